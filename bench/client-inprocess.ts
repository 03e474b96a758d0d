/**
 * `npm run bench:client-inprocess`: our Transport and undici's `Pool` in one process, each
 * over in-memory pipes (`src/net/Pipe.ts`) to the same fake peer, which answers every request
 * head with a canned 13-byte response one `setImmediate` later (as a peer on another core
 * would, a turn later). No sockets and no kernel: what remains is the clients' own CPU, which
 * the loopback benchmark (`bench:client`) buries under this VM's wake-up costs and its swings
 * of up to 1.8x between runs. The figure to read is CPU µs per round trip; a change to the
 * Transport's hot path shows here first.
 *
 * Each round runs ours, ours-readme (README's `Response.text(client.get(url))` over the same
 * Transport), then undici (`BENCH_PEERS` selects), for `BENCH_SECONDS` (2) after `BENCH_WARMUP_SECONDS` (1)
 * with `BENCH_CONCURRENCY` (50) loops; 3 rounds (`BENCH_ROUNDS`), medians. It ends with
 * `info client-inprocess/cpu-per-round-trip <ours/undici>` (lower is better for ours) and
 * `info client-inprocess/round-trips-per-second <ours/undici>`.
 *
 * Like the other benchmarks it compiles itself with esbuild and runs as plain `node` (see
 * bench/harness.ts on tsx's keepNames).
 *
 * @module
 */
import { Effect, Either, Layer } from "effect"
import { Pool } from "undici"
import * as Body from "../src/domain/Body.js"
import { Request } from "../src/domain/Request.js"
import type { Response } from "../src/domain/Response.js"
import type { Duplex } from "node:stream"
import { fromDuplex } from "../src/net/Conn.js"
import { Dialer } from "../src/net/Dialer.js"
import { streamPipe } from "../src/net/Pipe.js"
import type { TransportError } from "../src/transport/errors.js"
import { Response as HttpResponse } from "../src/domain/Response.js"
import { Client } from "../src/transport/Client.js"
import { Transport } from "../src/transport/Transport.js"
import { positiveFromEnv, roundsFromEnv, runCompiledChild } from "./harness.js"

runCompiledChild("bench/client-inprocess.ts", "BENCH_INPROCESS_CHILD")

const RESPONSE = Buffer.from("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!", "latin1")
const END_OF_HEAD = Buffer.from("\r\n\r\n", "latin1")
const CONCURRENCY = positiveFromEnv("BENCH_CONCURRENCY", 50)
const SECONDS = positiveFromEnv("BENCH_SECONDS", 2)
const WARMUP_SECONDS = positiveFromEnv("BENCH_WARMUP_SECONDS", 1)

/** A pipe whose far end answers each request head (requests carry no body) a turn later. */
const fakePeer = (): Duplex => {
  const [client, serverStream] = streamPipe()
  const server = fromDuplex(serverStream)
  server.receive({
    onEnd: () => {},
    onError: () => {},
    onData: (chunk) => {
      const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
      let heads = 0
      for (let i = bytes.indexOf(END_OF_HEAD); i >= 0; i = bytes.indexOf(END_OF_HEAD, i + 4)) heads++
      setImmediate(() => {
        for (let k = 0; k < heads; k++) server.stream.write(RESPONSE)
      })
    }
  })
  return client
}

interface Figures {
  readonly roundTrips: number
  readonly seconds: number
  readonly cpuMicros: number
}

/** A measuring window: counts round trips until `end`, and the CPU used meanwhile. */
class Window {
  roundTrips = 0
  private readonly cpu = process.cpuUsage()
  private readonly start = performance.now()
  readonly end: number
  constructor(seconds: number) {
    this.end = this.start + seconds * 1000
  }
  open(): boolean {
    return performance.now() < this.end
  }
  figures(): Figures {
    const used = process.cpuUsage(this.cpu)
    return { roundTrips: this.roundTrips, seconds: (performance.now() - this.start) / 1000, cpuMicros: used.user + used.system }
  }
}

const request = Either.getOrThrow(Request.make({ url: "http://127.0.0.1:9/small" }))
const read = (response: Response<TransportError>) => Effect.map(Body.collect(response.body), (bytes) => bytes.length)

const dialStream = () => Effect.acquireRelease(Effect.sync(fakePeer), (s) => Effect.sync(() => s.destroy()))
const FakeDialer = Layer.succeed(Dialer, {
  dialStream,
  dial: () => Effect.flatMap(dialStream(), (s) => Effect.acquireRelease(Effect.sync(() => fromDuplex(s)), (c) => c.close))
})

/** `CONCURRENCY` fibers, each repeating `one` (yielding the body length) through a warm-up and a window. */
const measureLoops = <E, R>(one: Effect.Effect<number, E, R>): Effect.Effect<Figures, E, R> => {
  const window = (seconds: number) =>
    Effect.suspend(() => {
      const w = new Window(seconds)
      const loop = Effect.whileLoop({
        while: () => w.open(),
        body: () => one,
        step: (bytes: number) => {
          if (bytes !== 13) throw new Error(`expected 13 body bytes, got ${bytes}`)
          w.roundTrips++
        }
      })
      return Effect.as(Effect.forEach(Array.from({ length: CONCURRENCY }), () => loop, { concurrency: "unbounded", discard: true }), w)
    })
  return Effect.zipRight(window(WARMUP_SECONDS), Effect.map(window(SECONDS), (w) => w.figures()))
}

const FakeTransport = Transport.layerWithDialer({}).pipe(Layer.provide(FakeDialer))

/** Our Transport, as an Effect program would use it: `CONCURRENCY` fibers, each repeating `roundTripWith`. */
const runOurs = (): Promise<Figures> =>
  Effect.runPromise(
    Effect.flatMap(Transport, (transport) => measureLoops(transport.roundTripWith(request, read))).pipe(Effect.provide(FakeTransport))
  )

/** README's Client idiom over the same Transport: `Response.text(client.get(url))`. */
const runOursReadme = (): Promise<Figures> =>
  Effect.runPromise(
    Effect.flatMap(Client, (client) => measureLoops(Effect.map(HttpResponse.text(client.get("http://127.0.0.1:9/small")), (text) => text.length))).pipe(
      Effect.provide(Layer.orDie(Client.layer()).pipe(Layer.provide(FakeTransport)))
    )
  )

/** undici's Pool over the same pipes: `CONCURRENCY` async loops, each awaiting `request` and the body's text. */
const runUndici = async (): Promise<Figures> => {
  const pool = new Pool("http://127.0.0.1:9", {
    connections: CONCURRENCY,
    connect: ((_options: unknown, callback: (error: Error | null, socket: unknown) => void) => {
      const stream = fakePeer() as unknown as Record<string, unknown>
      // undici tunes these on a net.Socket; a pipe has nothing to tune.
      for (const method of ["setNoDelay", "setKeepAlive", "ref", "unref"]) stream[method] = () => stream
      queueMicrotask(() => callback(null, stream))
      return stream
    }) as never
  })
  const window = async (seconds: number): Promise<Window> => {
    const w = new Window(seconds)
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (w.open()) {
        const { body } = await pool.request({ path: "/small", method: "GET" })
        const text = await body.text()
        if (text.length !== 13) throw new Error(`expected 13 body bytes, got ${text.length}`)
        w.roundTrips++
      }
    }))
    return w
  }
  await window(WARMUP_SECONDS)
  const figures = (await window(SECONDS)).figures()
  await pool.close()
  return figures
}

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

const main = async (): Promise<void> => {
  const rounds = roundsFromEnv()
  const peers = [["ours", runOurs], ["ours-readme", runOursReadme], ["undici", runUndici]] as const
  const selected = (process.env.BENCH_PEERS ?? "ours,ours-readme,undici").split(",")
  const results: Record<string, Array<Figures>> = { ours: [], "ours-readme": [], undici: [] }
  for (let round = 1; round <= rounds; round++) {
    for (const [name, run] of peers) {
      if (!selected.includes(name)) continue
      const f = await run()
      results[name].push(f)
      process.stderr.write(`  round ${round} ${name}: ${Math.round(f.roundTrips / f.seconds)} round trips/s, ${(f.cpuMicros / f.roundTrips).toFixed(2)} µs CPU each\n`)
    }
  }
  const perSecond = (fs: ReadonlyArray<Figures>) => median(fs.map((f) => f.roundTrips / f.seconds))
  const cpu = (fs: ReadonlyArray<Figures>) => median(fs.map((f) => f.cpuMicros / f.roundTrips))
  console.log(`client-inprocess: node ${process.version}, concurrency ${CONCURRENCY}, ${rounds} interleaved rounds of ${SECONDS} s (after ${WARMUP_SECONDS} s warm-up), medians`)
  console.log("")
  console.log("| peer | round trips/s | µs CPU per round trip |")
  console.log("|---|---:|---:|")
  for (const [name] of peers) {
    if (results[name]!.length === 0) continue
    console.log(`| ${name} | ${Math.round(perSecond(results[name]!)).toLocaleString("en-US")} | ${cpu(results[name]!).toFixed(2)} |`)
  }
  console.log("")
  const ours = results.ours!, readme = results["ours-readme"]!, undici = results.undici!
  if (ours.length > 0 && undici.length > 0) {
    console.log(`info client-inprocess/cpu-per-round-trip ${(cpu(ours) / cpu(undici)).toFixed(2)}`)
    console.log(`info client-inprocess/round-trips-per-second ${(perSecond(ours) / perSecond(undici)).toFixed(2)}`)
  }
  if (readme.length > 0 && undici.length > 0) {
    console.log(`info client-inprocess/readme-cpu-per-round-trip ${(cpu(readme) / cpu(undici)).toFixed(2)}`)
    console.log(`info client-inprocess/readme-round-trips-per-second ${(perSecond(readme) / perSecond(undici)).toFixed(2)}`)
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
