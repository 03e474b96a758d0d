/**
 * Content codings on the client (issue 21): the Transport asks for `gzip, deflate, br` when the
 * caller set no Accept-Encoding, and decodes gzip, x-gzip, deflate (zlib-wrapped and raw) and
 * br lazily as the body is pulled, with bounded output per pull and an optional limit on the
 * decoded size. Peers are node:http servers on 127.0.0.1:0 encoding with node:zlib.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Option } from "effect"
import * as http from "node:http"
import { Readable, Writable } from "node:stream"
import { pipeline } from "node:stream/promises"
import { monitorEventLoopDelay } from "node:perf_hooks"
import * as zlib from "node:zlib"
import { beforeAll } from "vitest"
import * as Body from "../../src/domain/Body.js"
import { validateTransportConfig, type TransportConfig } from "../../src/transport/config.js"
import { DECODED_CHUNK_BYTES, type DecodeFailure, decodePull } from "../../src/transport/contentCoding.js"
import { DecodedBodyTooLarge, TransportError } from "../../src/transport/errors.js"
import { Transport } from "../../src/transport/Transport.js"
import { type Peer, peer } from "./peers.js"
import { request } from "./scripted.js"

const withTransport = (config: TransportConfig = {}) => <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.provide(self, Transport.layer(config))

// Text that compresses, but not to nothing: ~150 KB.
const plain = Buffer.from(Array.from({ length: 4000 }, (_, i) => `line ${i}: the quick brown fox ${(i * 7919) % 1000}\n`).join(""))
const small = Buffer.from("hello, decoded world\n".repeat(20))

type Encoding = "gzip" | "x-gzip" | "deflate-zlib" | "deflate-raw" | "br"
const ENCODINGS: ReadonlyArray<Encoding> = ["gzip", "x-gzip", "deflate-zlib", "deflate-raw", "br"]

const headerOf = (e: Encoding): string => (e === "deflate-zlib" || e === "deflate-raw" ? "deflate" : e)
const encodeSync = (e: Encoding, b: Buffer): Buffer => {
  switch (e) {
    case "gzip":
    case "x-gzip":
      return zlib.gzipSync(b)
    case "deflate-zlib":
      return zlib.deflateSync(b)
    case "deflate-raw":
      return zlib.deflateRawSync(b)
    case "br":
      return zlib.brotliCompressSync(b)
  }
}
const encoder = (e: Encoding): zlib.Gzip | zlib.Deflate | zlib.DeflateRaw | zlib.BrotliCompress => {
  switch (e) {
    case "gzip":
    case "x-gzip":
      return zlib.createGzip()
    case "deflate-zlib":
      return zlib.createDeflate()
    case "deflate-raw":
      return zlib.createDeflateRaw()
    case "br":
      return zlib.createBrotliCompress()
  }
}

// Bombs: 1 GiB of zeros, compressed once by streaming it through the encoder.
const GiB = 1024 * 1024 * 1024
const MiB = 1024 * 1024
const bombs: { gzip?: Buffer; br?: Buffer; gzipWhole?: Buffer } = {}
const compressZeros = async (z: zlib.Gzip | zlib.BrotliCompress, total: number): Promise<Buffer> => {
  const zero = Buffer.alloc(MiB)
  const parts: Array<Buffer> = []
  const n = total / MiB
  await pipeline(
    Readable.from((function*() {
      for (let i = 0; i < n; i++) yield zero
    })()),
    z,
    new Writable({
      write(c: Buffer, _e, cb) {
        parts.push(c)
        cb()
      }
    })
  )
  return Buffer.concat(parts)
}

beforeAll(async () => {
  bombs.gzip = await compressZeros(zlib.createGzip({ level: 9 }), GiB)
  bombs.br = await compressZeros(zlib.createBrotliCompress({ params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5 } }), GiB)
  // 60 MiB of zeros in ~60 KB: small enough to arrive in one socket read with its head.
  bombs.gzipWhole = await compressZeros(zlib.createGzip({ level: 9 }), 60 * MiB)
}, 60_000)

/**
 * The test server: `/whole/<enc>` answers the small body in one write with its head;
 * `/stream/<enc>` streams the larger body through the encoder in 1 KiB writes;
 * `/corrupt/<enc>`, `/bomb/<gzip|br>`, `/whole-bomb`, `/as-is/<value>` (Content-Encoding as given).
 */
const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
  const [, kind, arg = ""] = (req.url ?? "").split("/")
  const e = arg as Encoding
  const fixed = (body: Buffer, encoding: string) => {
    res.writeHead(200, { "Content-Type": "text/plain", "Content-Encoding": encoding, "Content-Length": body.length })
    res.end(body)
  }
  switch (kind) {
    case "whole":
      return fixed(encodeSync(e, small), headerOf(e))
    case "stream": {
      res.writeHead(200, { "Content-Type": "text/plain", "Content-Encoding": headerOf(e) })
      const z = encoder(e)
      z.pipe(res)
      let i = 0
      const next = () => {
        if (i >= plain.length) return void z.end()
        z.write(plain.subarray(i, i + 1024))
        z.flush()
        i += 1024
        setImmediate(next)
      }
      return next()
    }
    case "corrupt": {
      const bad = Buffer.from(encodeSync(e, plain))
      for (let i = 12; i < bad.length - 12; i += 5) bad[i] = bad[i]! ^ 0x5a
      return fixed(bad, headerOf(e))
    }
    case "bomb":
      return fixed(arg === "br" ? bombs.br! : bombs.gzip!, arg)
    case "whole-bomb":
      return fixed(bombs.gzipWhole!, "gzip")
    case "as-is":
      return fixed(encodeSync("gzip", small), decodeURIComponent(arg))
    default:
      res.writeHead(404)
      res.end()
  }
}

const roundTrip = (url: string, headers?: Record<string, string>) =>
  Effect.flatMap(Transport, (t) => t.roundTrip(request({ url, ...(headers ? { headers } : {}) })))

const readAll = (url: string, headers?: Record<string, string>) =>
  Effect.gen(function*() {
    const response = yield* roundTrip(url, headers)
    const body = Buffer.from(yield* Body.collect(response.body))
    return { response, body }
  }).pipe(Effect.scoped)

describe("content codings", () => {
  for (const e of ENCODINGS) {
    it.live(`${e}: a small body written with its head in one write round trips`, () =>
      Effect.gen(function*() {
        const server: Peer = yield* peer(handler)
        const { body, response } = yield* readAll(`${server.url}/whole/${e}`)
        expect(server.seen[0]!.headers["accept-encoding"]).toBe("gzip, deflate, br")
        expect(body.equals(small)).toBe(true)
        expect(response.headers.has("Content-Encoding")).toBe(false)
        expect(response.headers.has("Content-Length")).toBe(false)
        expect(response.headers.get("Content-Type")).toBe("text/plain")
        expect(response.uncompressed).toBe(true)
        expect(response.originalContentEncoding).toBe(headerOf(e))
        expect(response.originalContentLength).toBe(encodeSync(e, small).length)
        expect(response.contentLength).toBeUndefined()
      }).pipe(withTransport(), Effect.scoped))

    it.live(`${e}: a body streamed in many chunks round trips and the connection is reused`, () =>
      Effect.gen(function*() {
        const server: Peer = yield* peer(handler)
        const first = yield* readAll(`${server.url}/stream/${e}`)
        expect(first.body.equals(plain)).toBe(true)
        expect(first.response.uncompressed).toBe(true)
        expect(first.response.headers.has("Content-Encoding")).toBe(false)
        const second = yield* readAll(`${server.url}/stream/${e}`)
        expect(second.body.equals(plain)).toBe(true)
        expect(server.connections()).toBe(1)
      }).pipe(withTransport(), Effect.scoped))

    it.live(`${e}: corrupt data fails with reading-body / decompress`, () =>
      Effect.gen(function*() {
        const server: Peer = yield* peer(handler)
        const error = yield* Effect.flip(readAll(`${server.url}/corrupt/${e}`))
        expect(error).toBeInstanceOf(TransportError)
        expect(error).toMatchObject({ phase: "reading-body", reason: "decompress" })
      }).pipe(withTransport(), Effect.scoped))
  }

  it.live("a caller's own Accept-Encoding: nothing decoded, the coding and length kept", () =>
    Effect.gen(function*() {
      const server: Peer = yield* peer(handler)
      for (const e of ["gzip", "br"] as const) {
        const { body, response } = yield* readAll(`${server.url}/whole/${e}`, { "Accept-Encoding": e })
        expect(server.seen.at(-1)!.headers["accept-encoding"]).toBe(e)
        expect(body.equals(encodeSync(e, small))).toBe(true)
        expect(response.headers.get("Content-Encoding")).toBe(e)
        expect(response.headers.get("Content-Length")).toBe(String(body.length))
        expect(response.uncompressed).toBe(false)
      }
    }).pipe(withTransport(), Effect.scoped))

  it.live("unknown and stacked codings pass through undecoded", () =>
    Effect.gen(function*() {
      const server: Peer = yield* peer(handler)
      for (const value of ["gzip, br", "compress", "zstd"]) {
        const { body, response } = yield* readAll(`${server.url}/as-is/${encodeURIComponent(value)}`)
        expect(body.equals(encodeSync("gzip", small))).toBe(true)
        expect(response.headers.get("Content-Encoding")).toBe(value)
        expect(response.uncompressed).toBe(false)
      }
    }).pipe(withTransport(), Effect.scoped))

  it.live("disableCompression, HEAD and Range: no Accept-Encoding sent, nothing decoded", () =>
    Effect.gen(function*() {
      const server: Peer = yield* peer(handler)
      const ranged = yield* readAll(`${server.url}/whole/gzip`, { Range: "bytes=0-" })
      expect(server.seen.at(-1)!.headers["accept-encoding"]).toBeUndefined()
      expect(ranged.response.uncompressed).toBe(false)
      yield* Effect.scoped(Effect.flatMap(Transport, (t) => t.roundTrip(request({ method: "HEAD", url: `${server.url}/whole/gzip` }))))
      expect(server.seen.at(-1)!.headers["accept-encoding"]).toBeUndefined()
      const off = yield* readAll(`${server.url}/whole/gzip`).pipe(withTransport({ disableCompression: true }))
      expect(server.seen.at(-1)!.headers["accept-encoding"]).toBeUndefined()
      expect(off.body.equals(encodeSync("gzip", small))).toBe(true)
      expect(off.response.uncompressed).toBe(false)
    }).pipe(withTransport(), Effect.scoped))

  it("maxDecodedBodyBytes is validated: a typed InvalidConfig naming the field", () => {
    for (const bad of [-1, 1.5, Number.NaN, Infinity]) {
      const r = validateTransportConfig({ maxDecodedBodyBytes: bad })
      expect(Either.isLeft(r)).toBe(true)
      if (Either.isLeft(r)) expect(r.left).toMatchObject({ _tag: "InvalidConfig", component: "Transport", field: "maxDecodedBodyBytes" })
    }
    expect(Either.isRight(validateTransportConfig({ maxDecodedBodyBytes: MiB }))).toBe(true)
  })
})

/**
 * Heap (and array buffers) growth and the longest event-loop stall while `self` runs. The
 * machine is shared: a run over the bounds is tried again, at most 3 runs in all, and the
 * first within them (else the last) is the answer. An eager decode stalls every run.
 */
const measured = <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    let m = yield* measuredOnce(self)
    for (let i = 1; i < 3 && (m.growthMiB >= 16 || m.maxStallMs >= 20); i++) m = yield* measuredOnce(self)
    return m
  })

const measuredOnce = <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const histogram = monitorEventLoopDelay({ resolution: 1 })
    const used = () => {
      const m = process.memoryUsage()
      return m.heapUsed + m.arrayBuffers
    }
    const before = used()
    histogram.enable()
    const result = yield* Effect.ensuring(self, Effect.sync(() => histogram.disable()))
    // A moment for a decoder running on behind the caller to show its output.
    yield* Effect.promise(() => new Promise((r) => setTimeout(r, 50)))
    const growth = used() - before
    if (process.env.CODING_DEBUG) console.log("measured", (growth / MiB).toFixed(1), "MiB", (histogram.max / 1e6).toFixed(1), "ms")
    return { result, growthMiB: growth / MiB, maxStallMs: histogram.max / 1e6 }
  })

// A first round trip on the connection (compiling the paths the measured one takes), and a
// moment for the collector after the bombs were made.
const warmUp = (server: Peer) =>
  Effect.gen(function*() {
    yield* readAll(`${server.url}/whole/gzip`)
    yield* readAll(`${server.url}/stream/gzip`)
    yield* Effect.promise(() => new Promise((r) => setTimeout(r, 20)))
  })

describe("decompression bombs", () => {
  for (const coding of ["gzip", "br"] as const) {
    it.live(`${coding}, 1 GiB: the response received, the body not read: no decoding, no stall`, () =>
      Effect.gen(function*() {
        const server: Peer = yield* peer(handler)
        yield* warmUp(server)
        const m = yield* measured(Effect.scoped(Effect.gen(function*() {
          const response = yield* roundTrip(`${server.url}/bomb/${coding}`)
          expect(response.uncompressed).toBe(true)
          yield* Effect.promise(() => new Promise((r) => setTimeout(r, 100)))
          return response.status
        })))
        expect(m.result).toBe(200)
        expect(m.growthMiB).toBeLessThan(16)
        expect(m.maxStallMs).toBeLessThan(20)
      }).pipe(withTransport(), Effect.scoped))

    it.live(`${coding}, 1 GiB: read partly (a few chunks, then released): bounded chunks, heap and stalls`, () =>
      Effect.gen(function*() {
        const server: Peer = yield* peer(handler)
        yield* warmUp(server)
        const m = yield* measured(Effect.scoped(Effect.gen(function*() {
          const response = yield* roundTrip(`${server.url}/bomb/${coding}`)
          const body = response.body
          if (body._tag !== "Stream" || body.pull === undefined || body.release === undefined) throw new Error("expected a pulled body")
          const sizes: Array<number> = []
          for (let i = 0; i < 8; i++) sizes.push((yield* Effect.mapError(body.pull, Option.getOrThrow)).length)
          yield* body.release
          // A pull after the release fails, as for a body not decoded.
          const after = yield* Effect.flip(body.pull)
          expect(Option.getOrUndefined(after)).toMatchObject({ _tag: "TransportError", phase: "reading-body", reason: "closed" })
          return sizes
        })))
        expect(m.result.length).toBe(8)
        for (const size of m.result) {
          expect(size).toBeGreaterThan(0)
          expect(size).toBeLessThanOrEqual(64 * 1024)
        }
        expect(m.growthMiB).toBeLessThan(16)
        expect(m.maxStallMs).toBeLessThan(20)
      }).pipe(withTransport(), Effect.scoped))

    it.live(`${coding}, 1 GiB: maxDecodedBodyBytes 1 MiB fails the whole read with a typed error`, () =>
      Effect.gen(function*() {
        const server: Peer = yield* peer(handler)
        yield* warmUp(server)
        const m = yield* measured(Effect.flip(readAll(`${server.url}/bomb/${coding}`)))
        const error = m.result
        expect(error).toBeInstanceOf(TransportError)
        expect(error).toMatchObject({ phase: "reading-body", reason: "decoded-body-too-large" })
        const cause = (error as TransportError).cause
        expect(cause).toBeInstanceOf(DecodedBodyTooLarge)
        expect((cause as DecodedBodyTooLarge).limit).toBe(MiB)
        expect(m.growthMiB).toBeLessThan(16)
        expect(m.maxStallMs).toBeLessThan(20)
      }).pipe(withTransport({ maxDecodedBodyBytes: MiB }), Effect.scoped))
  }

  it.live("gzip, 60 MiB arriving whole with its head: not decoded when not read", () =>
    Effect.gen(function*() {
      const server: Peer = yield* peer(handler)
      yield* warmUp(server)
      const m = yield* measured(Effect.scoped(Effect.gen(function*() {
        const response = yield* roundTrip(`${server.url}/whole-bomb`)
        expect(response.uncompressed).toBe(true)
        expect(response.originalContentLength).toBe(bombs.gzipWhole!.length)
        yield* Effect.promise(() => new Promise((r) => setTimeout(r, 50)))
        // Read a little: one bounded chunk.
        const body = response.body
        if (body._tag !== "Stream" || body.pull === undefined) throw new Error("expected a pulled body")
        return (yield* Effect.mapError(body.pull, Option.getOrThrow)).length
      })))
      expect(m.result).toBeGreaterThan(0)
      expect(m.result).toBeLessThanOrEqual(64 * 1024)
      expect(m.growthMiB).toBeLessThan(16)
      expect(m.maxStallMs).toBeLessThan(20)
    }).pipe(withTransport(), Effect.scoped))
})

describe("decodePull", () => {
  // The input as a pull of these pieces, then the end.
  const pieces = (parts: ReadonlyArray<Uint8Array>) => {
    let i = 0
    return Effect.suspend(() => (i < parts.length ? Effect.succeed(parts[i++]!) : Effect.fail(Option.none())))
  }
  const drain = <E>(pull: Effect.Effect<Uint8Array, Option.Option<E>>) =>
    Effect.gen(function*() {
      const out: Array<Uint8Array> = []
      for (let i = 0; i < 100_000; i++) {
        const next = yield* Effect.either(pull)
        if (Either.isRight(next)) out.push(next.right)
        else if (Option.isNone(next.left)) return Buffer.concat(out)
        else return yield* Effect.fail(next.left.value)
      }
      throw new Error("no end")
    })

  it.effect("deflate split after its first byte is told zlib-wrapped or raw from the first two bytes", () =>
    Effect.gen(function*() {
      for (const e of ["deflate-zlib", "deflate-raw"] as const) {
        const coded = encodeSync(e, plain)
        const d = decodePull("deflate", pieces([coded.subarray(0, 1), coded.subarray(1, 2), coded.subarray(2)]), 0, (f) => f)
        expect((yield* drain(d.pull)).equals(plain)).toBe(true)
      }
    }))

  it.effect("an empty body decodes to empty, and a body of one deflate byte fails as corrupt", () =>
    Effect.gen(function*() {
      for (const coding of ["gzip", "deflate", "br"] as const) {
        expect((yield* drain(decodePull(coding, pieces([]), 0, (f) => f).pull)).length).toBe(0)
      }
      const one = yield* Effect.flip(drain(decodePull("deflate", pieces([Buffer.from([0x78])]), 0, (f) => f).pull))
      expect(one._tag).toBe("Corrupt")
    }))

  it.effect("each pull yields at most DECODED_CHUNK_BYTES (16 KiB); the limit fails once passed; release ends the pulls", () =>
    Effect.gen(function*() {
      const zeros = zlib.gzipSync(Buffer.alloc(4 * MiB))
      const d = decodePull("gzip", pieces([zeros]), MiB, (f) => f)
      let total = 0
      let failure: DecodeFailure | undefined
      for (let i = 0; i < 1000 && failure === undefined; i++) {
        const next = yield* Effect.either(d.pull)
        if (Either.isRight(next)) {
          expect(next.right.length).toBeLessThanOrEqual(DECODED_CHUNK_BYTES)
          total += next.right.length
        } else failure = Option.getOrUndefined(next.left)
      }
      expect(failure).toEqual({ _tag: "TooLarge", limit: MiB })
      expect(total).toBeLessThanOrEqual(MiB)
      const e = decodePull("gzip", pieces([zeros]), 0, (f) => f)
      expect((yield* e.pull).length).toBeGreaterThan(0)
      e.release()
      expect(yield* Effect.flip(e.pull)).toEqual(Option.some({ _tag: "Released" }))
    }))
})
