/**
 * `npm run bench:server-inprocess`: our server's serve loop without the kernel or wrk: `CONCURRENCY`
 * (50) connections over in-memory pipes (`src/net/Pipe.ts`), each a `ServerConn` as the accept
 * loop makes it, serving README's hello handler (`ServerResponse.text("Hello, World!")`); a fake
 * client on each pipe sends the next `GET /` a turn after a response ends. The figure to read is CPU µs
 * per request: `bench:server` over loopback swings up to 1.8x between runs on this VM, which
 * buries a change of a few percent in the serve loop; this shows it.
 *
 * `BENCH_SECONDS` (2) after `BENCH_WARMUP_SECONDS` (1), `BENCH_ROUNDS` (3), medians. Like the other
 * benchmarks it compiles itself with esbuild and runs as plain `node` (see bench/harness.ts).
 *
 * @module
 */
import { Effect, Either, Runtime } from "effect"
import type { Duplex } from "node:stream"
import { fromDuplex } from "../src/net/Conn.js"
import { makeInlineScheduler } from "../src/net/inlineScheduler.js"
import { streamPipe } from "../src/net/Pipe.js"
import { WriteBatch } from "../src/net/WriteBatch.js"
import { connInfo, validateServerOptions } from "../src/server/config.js"
import { DateCache } from "../src/server/responseWriter.js"
import { type ConnHost, ServerConn } from "../src/server/ServerConn.js"
import * as ServerResponse from "../src/server/ServerResponse.js"
import { median } from "./client/report.js"
import { positiveFromEnv, roundsFromEnv, runCompiledChild } from "./harness.js"

runCompiledChild("bench/server-inprocess.ts", "BENCH_INPROCESS_CHILD")

const CONCURRENCY = positiveFromEnv("BENCH_CONCURRENCY", 50)
const SECONDS = positiveFromEnv("BENCH_SECONDS", 2)
const WARMUP_SECONDS = positiveFromEnv("BENCH_WARMUP_SECONDS", 1)
const REQUEST = Buffer.from("GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n", "latin1")
const BODY = "Hello, World!"

/** Counts responses on one client stream (each ends with the 13-byte body) and asks again. */
class FakeClient {
  constructor(readonly stream: Duplex, readonly counter: { n: number; open: boolean }) {
    stream.on("data", (chunk: Buffer) => {
      // One response per chunk in this setup (the server writes head and body at once).
      if (chunk.length >= BODY.length && chunk.toString("latin1", chunk.length - BODY.length) === BODY) {
        counter.n++
        // The next request a turn later, as a client on another core would send it (and so
        // that the ping-pong over the in-memory pipe never starves the timers).
        if (counter.open) setImmediate(() => stream.write(REQUEST))
      }
    })
  }
}

const run = async (): Promise<{ requests: number; cpuMicros: number; seconds: number }> => {
  const config = Either.getOrThrow(validateServerOptions({ host: "127.0.0.1", port: 0, handler: () => Effect.succeed(ServerResponse.text(BODY)) }))
  const scheduler = makeInlineScheduler()
  const runtime = await Effect.runPromise(Effect.withScheduler(Effect.runtime<never>(), scheduler))
  const runFork = Runtime.runFork(runtime)
  const clock = await Effect.runPromise(Effect.clock)
  const host: ConnHost = {
    start: (sc) => {
      runFork(sc.resume)
    },
    fork: (effect) => runFork(effect),
    handOver: undefined,
    config,
    handler: () => Effect.succeed(ServerResponse.text(BODY)),
    clock,
    dates: new DateCache(),
    writes: new WriteBatch(),
    scheme: "http",
    shuttingDown: () => false,
    notReady: () => false,
    forget: () => {}
  }
  const counter = { n: 0, open: true }
  const conns: Array<ServerConn> = []
  for (let i = 0; i < CONCURRENCY; i++) {
    const [client, server] = streamPipe()
    const conn = fromDuplex(server, { address: "pipe", port: 0 })
    const sc = new ServerConn(connInfo(i + 1, conn), conn, host)
    conns.push(sc)
    runFork(Effect.withScheduler(sc.serve, scheduler))
    new FakeClient(client, counter)
    client.write(REQUEST)
  }
  await new Promise((r) => setTimeout(r, WARMUP_SECONDS * 1000))
  const n0 = counter.n
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  await new Promise((r) => setTimeout(r, SECONDS * 1000))
  const c1 = process.cpuUsage(c0)
  const t1 = performance.now()
  const requests = counter.n - n0
  counter.open = false
  await new Promise((r) => setTimeout(r, 50))
  return { requests, cpuMicros: c1.user + c1.system, seconds: (t1 - t0) / 1000 }
}

const main = async (): Promise<void> => {
  const rounds = roundsFromEnv()
  const cpu: Array<number> = []
  const rate: Array<number> = []
  for (let round = 1; round <= rounds; round++) {
    const f = await run()
    cpu.push(f.cpuMicros / f.requests)
    rate.push(f.requests / f.seconds)
    process.stderr.write(`  round ${round}: ${Math.round(f.requests / f.seconds)} requests/s, ${(f.cpuMicros / f.requests).toFixed(2)} µs CPU each\n`)
  }
  console.log(`server-inprocess: node ${process.version}, concurrency ${CONCURRENCY}, ${rounds} rounds of ${SECONDS} s (after ${WARMUP_SECONDS} s warm-up), medians`)
  console.log(`info server-inprocess/requests-per-second ${Math.round(median(rate))}`)
  console.log(`info server-inprocess/cpu-per-request ${median(cpu).toFixed(2)}`)
  process.exit(0)
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
