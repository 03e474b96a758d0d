/**
 * `npm run bench:h2-server-inprocess`: the CPU an HTTP/2 stream costs our server, beside a bare
 * `node:http2` 'stream' handler (`respond` + `end`), without TLS, the kernel or h2load, whose
 * figures swing too much on this VM to see a change of a few percent (bench:h2's server half).
 *
 * `CONCURRENCY` (50) connections over in-memory pipes (`src/net/Pipe.ts`), h2c: ours is an
 * `H2ServerConn` as the Server makes it after the hand-over, serving README's hello handler
 * (`ServerResponse.text("Hello, World!")`); the peer is `http2.performServerHandshake` over the
 * same kind of pipe (both sessions sit on Node's JS stream adapter, so the figures carry its
 * cost too: read the difference, and the ratio only as a direction). A fake client per pipe
 * writes `STREAMS` (10) GET requests as hand-encoded HEADERS frames, waits for all their answers
 * to end, and writes the next batch a turn later. `BENCH_SECONDS` (2) after
 * `BENCH_WARMUP_SECONDS` (1), `BENCH_ROUNDS` (3) rounds, ours and the peer interleaved, medians of
 * CPU µs per stream.
 *
 * @module
 */
import { Effect, Either, Runtime } from "effect"
import * as http2 from "node:http2"
import type { Duplex } from "node:stream"
import { fromDuplex } from "../src/net/Conn.js"
import { makeInlineScheduler } from "../src/net/inlineScheduler.js"
import { streamPipe } from "../src/net/Pipe.js"
import { WriteBatch } from "../src/net/WriteBatch.js"
import { connInfo, validateServerOptions } from "../src/server/config.js"
import { H2ServerConn } from "../src/server/h2/H2ServerConn.js"
import { DateCache } from "../src/server/responseWriter.js"
import type { ConnHost } from "../src/server/ServerConn.js"
import * as ServerResponse from "../src/server/ServerResponse.js"
import { median } from "./client/report.js"
import { positiveFromEnv, roundsFromEnv, runCompiledChild } from "./harness.js"

runCompiledChild("bench/h2-server-inprocess.ts", "BENCH_INPROCESS_CHILD")

const CONCURRENCY = positiveFromEnv("BENCH_CONCURRENCY", 50)
const STREAMS = positiveFromEnv("BENCH_STREAMS", 10)
const SECONDS = positiveFromEnv("BENCH_SECONDS", 2)
const WARMUP_SECONDS = positiveFromEnv("BENCH_WARMUP_SECONDS", 1)
const BODY = "Hello, World!"

const frame = (type: number, flags: number, id: number, payload: Uint8Array): Buffer => {
  const out = Buffer.alloc(9 + payload.length)
  out.writeUIntBE(payload.length, 0, 3)
  out[3] = type
  out[4] = flags
  out.writeUInt32BE(id, 5)
  out.set(payload, 9)
  return out
}

const PREFACE = Buffer.concat([
  Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1"),
  frame(0x4, 0, 0, new Uint8Array(0)),
  // WINDOW_UPDATE on the connection: room for every answer of the run.
  frame(0x8, 0, 0, Buffer.from([0x3f, 0xff, 0x00, 0x00]))
])
const SETTINGS_ACK = frame(0x4, 0x1, 0, new Uint8Array(0))
// HPACK (RFC 7541 Appendix A): :method GET (2), :scheme http (6), :path / (4) indexed; :authority
// (name 1) as a literal without indexing.
const BLOCK = Buffer.concat([Buffer.from([0x82, 0x86, 0x84, 0x01, 0x09]), Buffer.from("localhost", "latin1")])

/** A client writing batches of GETs as frames and counting the answers' ends. */
class FakeClient {
  private nextId = 1
  private pending = 0
  private buffered: Buffer = Buffer.alloc(0)

  constructor(readonly stream: Duplex, readonly counter: { n: number; open: boolean }) {
    stream.on("data", (chunk: Buffer) => this.onData(chunk))
    stream.on("error", () => {})
    stream.write(PREFACE)
    this.batch()
  }

  private batch(): void {
    if (!this.counter.open) return
    const frames: Array<Buffer> = []
    for (let i = 0; i < STREAMS; i++) {
      frames.push(frame(0x1, 0x5, this.nextId, BLOCK))
      this.nextId += 2
    }
    this.pending = STREAMS
    this.stream.write(Buffer.concat(frames))
  }

  private onData(chunk: Buffer): void {
    let data = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk])
    let at = 0
    while (data.length - at >= 9) {
      const length = data.readUIntBE(at, 3)
      if (data.length - at < 9 + length) break
      const type = data[at + 3]!
      const flags = data[at + 4]!
      if (type === 0x4 && (flags & 0x1) === 0) this.stream.write(SETTINGS_ACK)
      else if ((type === 0x0 || type === 0x1) && (flags & 0x1) !== 0) {
        this.counter.n++
        if (--this.pending === 0) setImmediate(() => this.batch())
      }
      at += 9 + length
    }
    this.buffered = at === data.length ? Buffer.alloc(0) : data.subarray(at)
    data = this.buffered
  }
}

type Kind = "ours" | "node:http2"

const run = async (kind: Kind): Promise<{ streams: number; cpuMicros: number; seconds: number }> => {
  const counter = { n: 0, open: true }
  const closers: Array<() => void> = []
  if (kind === "ours") {
    const config = Either.getOrThrow(validateServerOptions({ host: "127.0.0.1", port: 0, handler: () => Effect.succeed(ServerResponse.text(BODY)) }))
    const scheduler = makeInlineScheduler()
    const runtime = await Effect.runPromise(Effect.withScheduler(Effect.runtime<never>(), scheduler))
    const runFork = Runtime.runFork(runtime)
    const clock = await Effect.runPromise(Effect.clock)
    const host: ConnHost = {
      start: () => {},
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
    for (let i = 0; i < CONCURRENCY; i++) {
      const [client, server] = streamPipe()
      const conn = fromDuplex(server, { address: "pipe", port: 0 })
      const h2 = new H2ServerConn(connInfo(i + 1, conn), conn, host, undefined, new Uint8Array(0))
      closers.push(() => h2.interrupt())
      new FakeClient(client, counter)
    }
  } else {
    for (let i = 0; i < CONCURRENCY; i++) {
      const [client, server] = streamPipe()
      const session = http2.performServerHandshake(server)
      session.on("stream", (stream) => {
        stream.respond({ ":status": 200, "content-type": "text/plain; charset=utf-8", "content-length": "13" })
        stream.end(BODY)
      })
      session.on("error", () => {})
      closers.push(() => session.destroy())
      new FakeClient(client, counter)
    }
  }
  await new Promise((r) => setTimeout(r, WARMUP_SECONDS * 1000))
  const n0 = counter.n
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  await new Promise((r) => setTimeout(r, SECONDS * 1000))
  const c1 = process.cpuUsage(c0)
  const t1 = performance.now()
  const streams = counter.n - n0
  counter.open = false
  await new Promise((r) => setTimeout(r, 50))
  for (const close of closers) close()
  await new Promise((r) => setTimeout(r, 50))
  return { streams, cpuMicros: c1.user + c1.system, seconds: (t1 - t0) / 1000 }
}

const main = async (): Promise<void> => {
  const rounds = roundsFromEnv()
  const cpu: Record<Kind, Array<number>> = { ours: [], "node:http2": [] }
  for (let round = 1; round <= rounds; round++) {
    for (const kind of ["ours", "node:http2"] as const) {
      const f = await run(kind)
      if (f.streams === 0) throw new Error(`${kind}: no stream answered`)
      cpu[kind].push(f.cpuMicros / f.streams)
      process.stderr.write(`  round ${round} ${kind}: ${Math.round(f.streams / f.seconds)} streams/s, ${(f.cpuMicros / f.streams).toFixed(2)} µs CPU each\n`)
    }
  }
  const ours = median(cpu.ours)
  const peer = median(cpu["node:http2"])
  console.log(`h2-server-inprocess: node ${process.version}, ${CONCURRENCY} connections x ${STREAMS} streams, ${rounds} rounds of ${SECONDS} s (after ${WARMUP_SECONDS} s warm-up), medians`)
  console.log(`info h2-server-inprocess/ours-cpu-per-stream ${ours.toFixed(2)}`)
  console.log(`info h2-server-inprocess/node:http2-cpu-per-stream ${peer.toFixed(2)}`)
  console.log(`info h2-server-inprocess/difference ${(ours - peer).toFixed(2)}`)
  process.exit(0)
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
