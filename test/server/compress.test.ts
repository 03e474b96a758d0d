/**
 * `Handlers.compress` over real sockets on 127.0.0.1: curl `--compressed` and undici with a
 * manual Accept-Encoding get gzip and br that decode to the original bytes; the coding chosen
 * by q-values; what is left alone (small bodies, images, encoded bodies, 206, no-transform);
 * HEAD's head equal to GET's; Vary; a streamed body flushed chunk by chunk (the client decodes
 * the first chunk before the server may send the second); stream failures; option checks.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Either, Exit, Stream } from "effect"
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as zlib from "node:zlib"
import { Agent, request as undiciRequest } from "undici"
import * as Body from "../../src/domain/Body.js"
import { InvalidConfig } from "../../src/domain/configErrors.js"
import { Headers } from "../../src/domain/Headers.js"
import { fileServer } from "../../src/server/fileServer.js"
import type { Handler } from "../../src/server/Handler.js"
import { compress, compressConfig, type CompressOptions, negotiateEncoding } from "../../src/server/handlers.js"
import type { ServerRequest } from "../../src/server/ServerRequest.js"
import { ServerResponse } from "../../src/server/ServerResponse.js"
import * as Response from "../../src/server/ServerResponse.js"
import { startServer } from "./rawClient.js"

// ---------------------------------------------------------------------------------------------
// Fixtures

/** 5000 bytes of text that compresses well but is not one repeated byte. */
const TEXT = Array.from({ length: 250 }, (_, i) => `line ${String(i).padStart(4, "0")} ok\n`).join("").slice(0, 5000)
const JSON_BODY = JSON.stringify({ items: Array.from({ length: 200 }, (_, i) => ({ id: i, name: `item-${i}` })) })
/** PNG magic then zeros: sniffed and labelled image/png, and very compressible (yet not to be compressed). */
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(4000)])

const withHeaders = (headers: Record<string, string>, status = 200): { status: number; headers: Record<string, string> } => ({ status, headers })

/** The routes every test serves (through `compress`). */
const routes = (request: ServerRequest): Effect.Effect<ServerResponse> => {
  const path = request.url.pathname
  switch (path) {
    case "/text":
      return Effect.succeed(Response.text(TEXT))
    case "/json":
      return Effect.succeed(Response.unsafeJson(JSON.parse(JSON_BODY)))
    case "/sniffed":
      // No Content-Type: the server would sniff text/plain; compress sniffs it first.
      return Effect.succeed(Response.bytes(Buffer.from(TEXT)))
    case "/small":
      return Effect.succeed(Response.text("hello, small world\n"))
    case "/png":
      return Effect.succeed(Response.bytes(PNG, { headers: { "Content-Type": "image/png" } }))
    case "/encoded":
      return Effect.succeed(Response.bytes(zlib.gzipSync(TEXT), withHeaders({ "Content-Type": "text/plain", "Content-Encoding": "gzip" })))
    case "/partial":
      return Effect.succeed(Response.text(TEXT.slice(0, 2000), withHeaders({ "Content-Range": `bytes 0-1999/${TEXT.length}` }, 206)))
    case "/no-transform":
      return Effect.succeed(Response.text(TEXT, withHeaders({ "Cache-Control": "public, no-transform" })))
    case "/vary":
      return Effect.succeed(Response.text(TEXT, withHeaders({ Vary: "Origin" })))
    case "/etag":
      return Effect.succeed(Response.text(TEXT, withHeaders({ Etag: "\"v1\"", "Accept-Ranges": "bytes" })))
    case "/stream-known":
      return Effect.succeed(Response.stream(Stream.make(Buffer.from(TEXT.slice(0, 2500)), Buffer.from(TEXT.slice(2500))), { length: TEXT.length, headers: { "Content-Type": "text/plain" } }))
    case "/stream-known-small":
      return Effect.succeed(Response.stream(Stream.make(Buffer.from("tiny")), { length: 4, headers: { "Content-Type": "text/plain" } }))
    case "/stream-unknown-small":
      return Effect.succeed(Response.stream(Stream.make(Buffer.from("tiny")), { headers: { "Content-Type": "text/plain" } }))
    case "/no-content":
      return Effect.succeed(Response.empty({ status: 204, headers: { "Content-Type": "text/plain" } }))
    default:
      return Effect.succeed(Response.status(404))
  }
}

const handler = compress(routes)

// ---------------------------------------------------------------------------------------------
// Clients

/** An undici Agent, destroyed when the Scope closes. */
const undiciAgent = Effect.acquireRelease(
  Effect.sync(() => new Agent({ keepAliveTimeout: 10_000 })),
  (agent) => Effect.promise(() => agent.destroy())
)

const promise = <A>(f: () => Promise<A>, seconds = 10): Effect.Effect<A, Error> =>
  Effect.tryPromise({ try: f, catch: (e) => (e instanceof Error ? e : new Error(String(e))) }).pipe(
    Effect.timeoutFail({ duration: `${seconds} seconds`, onTimeout: () => new Error("undici request timed out") })
  )

interface Got {
  readonly status: number
  readonly headers: Record<string, string | Array<string> | undefined>
  readonly body: Buffer
}

/** One request with undici (no decoding: the bytes as sent). */
const fetchRaw = (dispatcher: Agent, url: string, headers: Record<string, string> = {}, method: "GET" | "HEAD" = "GET"): Effect.Effect<Got, Error> =>
  promise(async () => {
    const res = await undiciRequest(url, { dispatcher, method, headers })
    return { status: res.statusCode, headers: res.headers, body: Buffer.from(await res.body.arrayBuffer()) }
  })

const decode = (encoding: unknown, bytes: Buffer): Buffer =>
  encoding === "gzip" ? zlib.gunzipSync(bytes) : encoding === "br" ? zlib.brotliDecompressSync(bytes) : bytes

const CURL = "/usr/bin/curl"
const hasCurl = fs.existsSync(CURL)

/** Runs curl (at most 15 s; killed on interruption); stdout as bytes. */
const curl = (args: ReadonlyArray<string>): Effect.Effect<{ code: number; stdout: Buffer; stderr: string }, Error> =>
  Effect.async((resume) => {
    const child = execFile(CURL, ["--max-time", "10", ...args], { timeout: 15_000, encoding: "buffer" }, (error, stdout, stderr) => {
      if (error !== null && typeof error.code !== "number") return resume(Effect.fail(new Error(`curl failed: ${error.message}`)))
      resume(Effect.succeed({ code: error === null ? 0 : Number(error.code), stdout, stderr: stderr.toString() }))
    })
    child.stdin?.end()
    return Effect.sync(() => void child.kill("SIGKILL"))
  })

// ---------------------------------------------------------------------------------------------

describe("compress: curl --compressed", () => {
  for (const encoding of ["gzip", "br"] as const) {
    it.live.skipIf(!hasCurl)(`${encoding}: curl decodes the original bytes`, () =>
      Effect.gen(function*() {
        const server = yield* startServer({ handler })
        const r = yield* curl(["-s", "--compressed", "-H", `Accept-Encoding: ${encoding}`, "-D", "-", `${server.url}/text`])
        expect(r.code).toBe(0)
        const split = r.stdout.indexOf("\r\n\r\n")
        const head = r.stdout.subarray(0, split).toString("latin1")
        expect(head).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
        expect(head).toContain(`Content-Encoding: ${encoding}\r\n`)
        expect(head).toContain("Vary: Accept-Encoding\r\n")
        const length = Number(/Content-Length: (\d+)/.exec(head)?.[1])
        expect(length).toBeLessThan(TEXT.length / 2)
        expect(r.stdout.subarray(split + 4).toString()).toBe(TEXT)
      }).pipe(Effect.scoped))
  }
})

describe("compress: undici, decoded by zlib", () => {
  for (const encoding of ["gzip", "br"] as const) {
    it.live(`${encoding}: text, JSON and a sniffed body are encoded, Content-Length is the encoded one`, () =>
      Effect.gen(function*() {
        const server = yield* startServer({ handler })
        const dispatcher = yield* undiciAgent
        for (const [path, original, type] of [["/text", TEXT, "text/plain; charset=utf-8"], ["/json", JSON_BODY, "application/json"], ["/sniffed", TEXT, "text/plain; charset=utf-8"]] as const) {
          const r = yield* fetchRaw(dispatcher, `${server.url}${path}`, { "accept-encoding": encoding })
          expect(r.status).toBe(200)
          expect(r.headers["content-encoding"]).toBe(encoding)
          expect(r.headers["content-type"]).toBe(type)
          expect(r.headers["vary"]).toBe("Accept-Encoding")
          expect(r.headers["content-length"]).toBe(String(r.body.length))
          expect(r.body.length).toBeLessThan(Buffer.byteLength(original))
          expect(decode(encoding, r.body).toString()).toBe(original)
        }
      }).pipe(Effect.scoped))
  }

  it.live("the coding follows Accept-Encoding's q-values", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler })
      const dispatcher = yield* undiciAgent
      const cases: ReadonlyArray<readonly [string, string | undefined]> = [
        ["gzip, br", "br"], // equal q: br preferred
        ["br;q=0, gzip", "gzip"], // q=0 refuses
        ["gzip;q=0.5, br;q=0.8", "br"],
        ["gzip;q=0.8, br;q=0.5", "gzip"],
        ["*", "br"],
        ["*;q=0.5, gzip", "gzip"], // a listed coding beats * when its q is higher
        ["br;q=0, *", "gzip"], // * stands for the unlisted ones only
        ["identity", undefined],
        ["gzip;q=0, br;q=0", undefined],
        ["*;q=0", undefined],
        ["deflate, compress", undefined],
        ["GZIP", "gzip"],
        ["x-gzip", "gzip"],
        ["gzip;q=0.3, identity;q=0.9", undefined]
      ]
      for (const [acceptEncoding, want] of cases) {
        const r = yield* fetchRaw(dispatcher, `${server.url}/text`, { "accept-encoding": acceptEncoding })
        expect([acceptEncoding, r.headers["content-encoding"]]).toEqual([acceptEncoding, want])
        expect(decode(want, r.body).toString()).toBe(TEXT)
        // The answer depended on Accept-Encoding either way.
        expect(r.headers["vary"]).toBe("Accept-Encoding")
      }
      // No Accept-Encoding at all: identity (but still Vary).
      const none = yield* fetchRaw(dispatcher, `${server.url}/text`)
      expect(none.headers["content-encoding"]).toBeUndefined()
      expect(none.headers["vary"]).toBe("Accept-Encoding")
      expect(none.body.toString()).toBe(TEXT)
    }).pipe(Effect.scoped))

  it("negotiateEncoding on its own: br first at equal q, the offered list respected", () => {
    expect(negotiateEncoding("gzip, br")).toBe("br")
    expect(negotiateEncoding("gzip, br", ["gzip", "br"])).toBe("gzip")
    expect(negotiateEncoding("br", ["gzip"])).toBeUndefined()
    expect(negotiateEncoding("gzip;q=1.5")).toBeUndefined() // not a qvalue: ignored
    expect(negotiateEncoding("gzip;q=0.001")).toBe("gzip")
    expect(negotiateEncoding(" gzip ; q=0.7 , br ; q=0.70")).toBe("br")
    expect(negotiateEncoding("")).toBeUndefined()
    expect(negotiateEncoding(undefined)).toBeUndefined()
  })
})

describe("compress: left alone", () => {
  it.live("small bodies, image/png, an encoded body, a 206, no-transform and 204 are sent as they are", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler })
      const dispatcher = yield* undiciAgent
      const ae = { "accept-encoding": "gzip, br" }

      const small = yield* fetchRaw(dispatcher, `${server.url}/small`, ae)
      expect(small.headers["content-encoding"]).toBeUndefined()
      expect(small.headers["vary"]).toBeUndefined() // the size decided, not Accept-Encoding
      expect(small.body.toString()).toBe("hello, small world\n")

      const png = yield* fetchRaw(dispatcher, `${server.url}/png`, ae)
      expect(png.headers["content-encoding"]).toBeUndefined()
      expect(png.headers["vary"]).toBeUndefined()
      expect(png.headers["content-length"]).toBe(String(PNG.length))
      expect(png.body.equals(PNG)).toBe(true)

      const encoded = yield* fetchRaw(dispatcher, `${server.url}/encoded`, ae)
      expect(encoded.headers["content-encoding"]).toBe("gzip")
      expect(zlib.gunzipSync(encoded.body).toString()).toBe(TEXT) // encoded once, not twice

      const partial = yield* fetchRaw(dispatcher, `${server.url}/partial`, ae)
      expect(partial.status).toBe(206)
      expect(partial.headers["content-encoding"]).toBeUndefined()
      expect(partial.body.toString()).toBe(TEXT.slice(0, 2000))

      const noTransform = yield* fetchRaw(dispatcher, `${server.url}/no-transform`, ae)
      expect(noTransform.headers["content-encoding"]).toBeUndefined()
      expect(noTransform.body.toString()).toBe(TEXT)

      const noContent = yield* fetchRaw(dispatcher, `${server.url}/no-content`, ae)
      expect(noContent.status).toBe(204)
      expect(noContent.headers["content-encoding"]).toBeUndefined()

      const knownSmall = yield* fetchRaw(dispatcher, `${server.url}/stream-known-small`, ae)
      expect(knownSmall.headers["content-encoding"]).toBeUndefined()
      expect(knownSmall.headers["content-length"]).toBe("4")
    }).pipe(Effect.scoped))

  it.live("with minLength and types set, a small body and image/png are compressed", () =>
    Effect.gen(function*() {
      const config = yield* compressConfig({ minLength: 10, types: ["image/png"] })
      const server = yield* startServer({ handler: compress(routes, config) })
      const dispatcher = yield* undiciAgent
      const png = yield* fetchRaw(dispatcher, `${server.url}/png`, { "accept-encoding": "gzip" })
      expect(png.headers["content-encoding"]).toBe("gzip")
      expect(zlib.gunzipSync(png.body).equals(PNG)).toBe(true)
      // text/plain is no longer in the list.
      const text = yield* fetchRaw(dispatcher, `${server.url}/small`, { "accept-encoding": "gzip" })
      expect(text.headers["content-encoding"]).toBeUndefined()
    }).pipe(Effect.scoped))
})

describe("compress: HEAD, Vary, ETag", () => {
  it.live("HEAD gets the head GET gets (the compressed Content-Length included) and no body", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler })
      const dispatcher = yield* undiciAgent
      for (const encoding of ["gzip", "br"] as const) {
        const get = yield* fetchRaw(dispatcher, `${server.url}/text`, { "accept-encoding": encoding })
        const head = yield* fetchRaw(dispatcher, `${server.url}/text`, { "accept-encoding": encoding }, "HEAD")
        expect(head.body.length).toBe(0)
        // undici asks to close after a HEAD (its `connection: close`), which the server echoes.
        const { connection: _c1, date: _d1, ...getHeaders } = get.headers
        const { connection: _c2, date: _d2, ...headHeaders } = head.headers
        expect(headHeaders).toEqual(getHeaders)
        expect(headHeaders["content-encoding"]).toBe(encoding)
        expect(headHeaders["content-length"]).toBe(String(get.body.length))
      }
    }).pipe(Effect.scoped))

  it.live("Vary: Accept-Encoding is appended to the handler's Vary; a strong ETag turns weak, Accept-Ranges goes", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler })
      const dispatcher = yield* undiciAgent
      const vary = yield* fetchRaw(dispatcher, `${server.url}/vary`, { "accept-encoding": "gzip" })
      expect(vary.headers["vary"]).toBe("Origin, Accept-Encoding")
      expect(vary.headers["content-encoding"]).toBe("gzip")
      const identity = yield* fetchRaw(dispatcher, `${server.url}/vary`, { "accept-encoding": "identity" })
      expect(identity.headers["vary"]).toBe("Origin, Accept-Encoding")

      const etag = yield* fetchRaw(dispatcher, `${server.url}/etag`, { "accept-encoding": "br" })
      expect(etag.headers["content-encoding"]).toBe("br")
      expect(etag.headers["etag"]).toBe("W/\"v1\"")
      expect(etag.headers["accept-ranges"]).toBeUndefined()
      const plain = yield* fetchRaw(dispatcher, `${server.url}/etag`)
      expect(plain.headers["etag"]).toBe("\"v1\"")
      expect(plain.headers["accept-ranges"]).toBe("bytes")
    }).pipe(Effect.scoped))
})

describe("compress: with FileServer", () => {
  /** A temporary directory (its real path) removed when the Scope closes. */
  const tempDir = Effect.acquireRelease(
    Effect.sync(() => fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "compress-")))),
    (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
  )

  it.live("a text file is compressed (Accept-Ranges dropped); a Range request gets its 206 uncompressed; a PNG is sent as it is", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      fs.writeFileSync(path.join(dir, "notes.txt"), TEXT)
      fs.writeFileSync(path.join(dir, "logo.png"), PNG)
      const server = yield* startServer({ handler: compress(fileServer(dir)) })
      const dispatcher = yield* undiciAgent
      const whole = yield* fetchRaw(dispatcher, `${server.url}/notes.txt`, { "accept-encoding": "gzip" })
      expect(whole.status).toBe(200)
      expect(whole.headers["content-encoding"]).toBe("gzip")
      expect(whole.headers["accept-ranges"]).toBeUndefined()
      expect(zlib.gunzipSync(whole.body).toString()).toBe(TEXT)

      const range = yield* fetchRaw(dispatcher, `${server.url}/notes.txt`, { "accept-encoding": "gzip", range: "bytes=0-9" })
      expect(range.status).toBe(206)
      expect(range.headers["content-encoding"]).toBeUndefined()
      expect(range.body.toString()).toBe(TEXT.slice(0, 10))

      const png = yield* fetchRaw(dispatcher, `${server.url}/logo.png`, { "accept-encoding": "gzip" })
      expect(png.headers["content-encoding"]).toBeUndefined()
      expect(png.body.equals(PNG)).toBe(true)
    }).pipe(Effect.scoped))

  it.live("an empty HEAD answer with a Content-Length is marked as GET's would be, without a length", () =>
    Effect.gen(function*() {
      const headStyle: Handler = (request) =>
        Effect.succeed(
          request.method === "HEAD"
            ? Response.empty({ headers: { "Content-Type": "text/plain", "Content-Length": String(TEXT.length) } })
            : Response.text(TEXT, { headers: { "Content-Type": "text/plain" } })
        )
      const server = yield* startServer({ handler: compress(headStyle) })
      const dispatcher = yield* undiciAgent
      const head = yield* fetchRaw(dispatcher, `${server.url}/`, { "accept-encoding": "br" }, "HEAD")
      expect(head.headers["content-encoding"]).toBe("br")
      expect(head.headers["vary"]).toBe("Accept-Encoding")
      expect(head.headers["content-length"]).toBeUndefined() // not the identity length
      expect(head.body.length).toBe(0)
    }).pipe(Effect.scoped))
})

// ---------------------------------------------------------------------------------------------
// Streams

/** Decodes a prefix of a gzip or br stream (what has arrived so far). */
const decodePrefix = (encoding: "gzip" | "br", bytes: Buffer): string =>
  (encoding === "gzip"
    ? zlib.gunzipSync(bytes, { finishFlush: zlib.constants.Z_SYNC_FLUSH })
    : zlib.brotliDecompressSync(bytes, { finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH })).toString()

describe("compress: streamed bodies", () => {
  for (const encoding of ["gzip", "br"] as const) {
    it.live(`${encoding}: each chunk is flushed, so the client decodes the first before the server sends the second`, () =>
      Effect.gen(function*() {
        const first = "data: first event\n\n"
        const second = "data: second event\n\n"
        const gate = yield* Deferred.make<void>()
        const events: Handler = () =>
          Effect.succeed(Response.stream(
            Stream.make(Buffer.from(first)).pipe(
              Stream.concat(Stream.fromEffect(Deferred.await(gate)).pipe(Stream.drain)),
              Stream.concat(Stream.make(Buffer.from(second)))
            ),
            { headers: { "Content-Type": "text/event-stream" } }
          ))
        const server = yield* startServer({ handler: compress(events) })
        const dispatcher = yield* undiciAgent
        const r = yield* promise(async () => {
          const res = await undiciRequest(`${server.url}/events`, { dispatcher, headers: { "accept-encoding": encoding } })
          let received = Buffer.alloc(0)
          let beforeGate: string | undefined
          // Bounded: the server ends the body after the second event (and `promise` times out).
          for await (const chunk of res.body) {
            received = Buffer.concat([received, chunk as Buffer])
            if (beforeGate === undefined && decodePrefix(encoding, received) === first) {
              beforeGate = decodePrefix(encoding, received)
              Deferred.unsafeDone(gate, Exit.void)
            }
          }
          return { headers: res.headers, beforeGate, body: decode(encoding, received).toString() }
        }, 5)
        expect(r.headers["content-encoding"]).toBe(encoding)
        expect(r.headers["transfer-encoding"]).toBe("chunked")
        expect(r.headers["content-length"]).toBeUndefined()
        expect(r.beforeGate).toBe(first)
        expect(r.body).toBe(first + second)
      }).pipe(Effect.scoped))
  }

  it.live("a stream of known length is compressed (sent chunked), one of unknown length whatever its size", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler })
      const dispatcher = yield* undiciAgent
      const known = yield* fetchRaw(dispatcher, `${server.url}/stream-known`, { "accept-encoding": "gzip" })
      expect(known.headers["content-encoding"]).toBe("gzip")
      expect(known.headers["content-length"]).toBeUndefined()
      expect(known.headers["transfer-encoding"]).toBe("chunked")
      expect(zlib.gunzipSync(known.body).toString()).toBe(TEXT)
      const unknown = yield* fetchRaw(dispatcher, `${server.url}/stream-unknown-small`, { "accept-encoding": "br" })
      expect(unknown.headers["content-encoding"]).toBe("br")
      expect(zlib.brotliDecompressSync(unknown.body).toString()).toBe("tiny")
    }).pipe(Effect.scoped))

  it.live("a stream that fails fails as it would uncompressed: before its first chunk a 500, after it a cut body", () =>
    Effect.gen(function*() {
      const failing = (afterFirst: boolean): ServerResponse<string> =>
        new ServerResponse<string>(
          200,
          Headers.make({ "Content-Type": "text/plain" }),
          Body.stream((afterFirst ? Stream.make(Buffer.from(TEXT)) : Stream.empty).pipe(Stream.concat(Stream.fail("boom")))),
          undefined,
          undefined
        )
      const routesFailing: Handler<string> = (request) => Effect.succeed(failing(request.url.pathname === "/late"))
      const plain = yield* startServer({ handler: routesFailing })
      const compressed = yield* startServer({ handler: compress(routesFailing) })
      const dispatcher = yield* undiciAgent
      for (const server of [plain, compressed]) {
        const early = yield* fetchRaw(dispatcher, `${server.url}/early`, { "accept-encoding": "gzip" })
        expect(early.status).toBe(500)
        const late = yield* Effect.either(fetchRaw(dispatcher, `${server.url}/late`, { "accept-encoding": "gzip" }))
        expect(Either.isLeft(late)).toBe(true) // the connection was cut mid-body
      }
    }).pipe(Effect.scoped))
})

// ---------------------------------------------------------------------------------------------

describe("compress: options", () => {
  const invalid = (options: CompressOptions): InvalidConfig | undefined => {
    const r = compressConfig(options)
    return Either.isLeft(r) ? r.left : undefined
  }

  it("bad options fail with InvalidConfig naming the option", () => {
    const cases: ReadonlyArray<readonly [CompressOptions, string]> = [
      [{ minLength: -1 }, "compress.minLength"],
      [{ minLength: 1.5 }, "compress.minLength"],
      [{ minLength: Number.NaN }, "compress.minLength"],
      [{ gzipLevel: 0 }, "compress.gzipLevel"],
      [{ gzipLevel: 10 }, "compress.gzipLevel"],
      [{ brotliQuality: 12 }, "compress.brotliQuality"],
      [{ types: ["text"] }, "compress.types"],
      [{ types: ["*/*"] }, "compress.types"],
      [{ types: ["text/html; charset=utf-8"] }, "compress.types"],
      [{ encodings: [] }, "compress.encodings"],
      [{ encodings: ["gzip", "gzip"] }, "compress.encodings"],
      [{ encodings: ["deflate" as "gzip"] }, "compress.encodings"]
    ]
    for (const [options, field] of cases) {
      const error = invalid(options)
      expect(error).toBeInstanceOf(InvalidConfig)
      expect([JSON.stringify(options), error?.field, error?.component]).toEqual([JSON.stringify(options), field, "Server"])
    }
    expect(invalid({})).toBeUndefined()
    expect(invalid({ minLength: 0, types: ["text/*", "+json", "Application/XML"], encodings: ["gzip"], gzipLevel: 9, brotliQuality: 0 })).toBeUndefined()
  })

  it("the types list matches exact types, type/* and +suffix, ignoring parameters and case", () => {
    const config = Either.getOrThrow(compressConfig())
    expect(config.compressible("text/html; charset=utf-8")).toBe(true)
    expect(config.compressible("TEXT/CSS")).toBe(true)
    expect(config.compressible("application/json")).toBe(true)
    expect(config.compressible("application/ld+json")).toBe(true)
    expect(config.compressible("application/atom+xml")).toBe(true)
    expect(config.compressible("image/svg+xml")).toBe(true)
    expect(config.compressible("application/javascript")).toBe(true)
    expect(config.compressible("image/png")).toBe(false)
    expect(config.compressible("application/octet-stream")).toBe(false)
    expect(config.compressible("application/jsonx")).toBe(false)
    expect(config.compressible("text")).toBe(false)
  })

  it.live("encodings: [\"gzip\"] never answers br", () =>
    Effect.gen(function*() {
      const config = yield* compressConfig({ encodings: ["gzip"] })
      const server = yield* startServer({ handler: compress(routes, config) })
      const dispatcher = yield* undiciAgent
      const r = yield* fetchRaw(dispatcher, `${server.url}/text`, { "accept-encoding": "br" })
      expect(r.headers["content-encoding"]).toBeUndefined()
      const g = yield* fetchRaw(dispatcher, `${server.url}/text`, { "accept-encoding": "br, gzip;q=0.1" })
      expect(g.headers["content-encoding"]).toBe("gzip")
    }).pipe(Effect.scoped))
})
