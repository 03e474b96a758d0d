/**
 * NetHttpClient: @effect/platform's HttpClient over our Transport, against a node:http server
 * (and raw node:net servers where the test needs bytes node:http would not send) on
 * 127.0.0.1:0. Request bodies of every HttpBody kind, JSON, the combinators, cookies, the
 * memoised and one-shot body accessors, a 1 MiB body, what happens to the connection after a
 * full or a partial read, errors, remoteAddress and the per-request options.
 */
import {
  HttpBody,
  HttpClient,
  HttpClientError,
  HttpClientRequest,
  HttpClientResponse,
  HttpIncomingMessage
} from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Deferred, Effect, Either, Exit, Fiber, FiberRef, Layer, Option, Schedule, Scope, Stream, TestClock } from "effect"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { Readable } from "node:stream"
import { inspect } from "node:util"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import * as NetHttpClient from "../../src/platform/HttpClient.js"
import { TransportError } from "../../src/transport/errors.js"
import { Transport } from "../../src/transport/Transport.js"
import { nodeServer } from "../support/nodeServer.js"
import { awaitSleepers, eventually, poll, realSleep } from "../transport/scripted.js"
import { recordingTracer, TRACE_ID } from "../support/recordingTracer.js"

// ---------------------------------------------------------------------------------------------
// A node:http server that records what it received

interface Received {
  readonly method: string
  readonly url: string
  readonly headers: http.IncomingHttpHeaders
  readonly rawHeaders: ReadonlyArray<string>
  readonly body: Buffer
  /** The server-side socket's index in accept order. */
  readonly conn: number
}

interface TestServer {
  readonly url: (path?: string) => string
  readonly received: Array<Received>
  /** Connections accepted so far. */
  readonly accepted: () => number
  /** Server-side sockets still open. */
  readonly open: () => number
}

type Handler = (req: Received, res: http.ServerResponse) => void

const httpServer = (handler: Handler): Effect.Effect<TestServer, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<{ server: http.Server; test: TestServer }>((resume) => {
      const received: Array<Received> = []
      const sockets: Array<import("node:net").Socket> = []
      const server = http.createServer((req, res) => {
        const chunks: Array<Buffer> = []
        req.on("data", (c: Buffer) => chunks.push(c))
        req.on("end", () => {
          const r: Received = {
            method: req.method!,
            url: req.url!,
            headers: req.headers,
            rawHeaders: req.rawHeaders,
            body: Buffer.concat(chunks),
            conn: sockets.indexOf(req.socket)
          }
          received.push(r)
          handler(r, res)
        })
      })
      server.on("connection", (s) => {
        sockets.push(s)
        s.on("error", () => s.destroy())
      })
      server.listen(0, "127.0.0.1", () => {
        const port = (server.address() as AddressInfo).port
        resume(Effect.succeed({
          server,
          test: {
            url: (path = "/") => `http://127.0.0.1:${port}${path}`,
            received,
            accepted: () => sockets.length,
            open: () => sockets.filter((s) => !s.destroyed).length
          }
        }))
      })
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ test }) => test))

// Printable ASCII that differs from position to position, so a chunk copied to the wrong place shows.
const bigBody = Buffer.from(Array.from({ length: 1 << 20 }, (_, i) => 32 + ((i ^ (i >> 8) ^ (i >> 16)) % 95)))

/** The default handler: routes by path. */
const routes: Handler = (req, res) => {
  const path = req.url.split("?")[0]
  switch (path) {
    case "/echo": {
      res.setHeader("Content-Type", req.headers["content-type"] ?? "application/octet-stream")
      res.end(req.body)
      return
    }
    case "/json":
      res.setHeader("Content-Type", "application/json")
      res.end(JSON.stringify({ hello: "world", n: 1 }))
      return
    case "/text":
      res.setHeader("Content-Type", "text/plain; charset=utf-8")
      res.end("héllo")
      return
    case "/cookies":
      res.setHeader("Set-Cookie", ["a=1; Path=/; HttpOnly", "b=2; Expires=Wed, 21 Oct 2037 07:28:00 GMT", "c=3"])
      res.setHeader("X-Multi", ["one", "two"])
      res.end("ok")
      return
    case "/big":
      res.setHeader("Content-Length", String(bigBody.length))
      res.end(bigBody)
      return
    case "/short":
      // A Content-Length of 1 MiB, 300,000 bytes, then the connection reset.
      res.setHeader("Content-Length", String(bigBody.length))
      res.write(bigBody.subarray(0, 300_000), () => res.destroy())
      return
    case "/form":
      res.setHeader("Content-Type", "application/x-www-form-urlencoded")
      res.end("a=1&b=two&a=3")
      return
    case "/missing":
      res.statusCode = 404
      res.end("not here")
      return
    default:
      res.end("hi")
  }
}

const layer = NetHttpClient.layer.pipe(Layer.provideMerge(Transport.layer({ proxy: "none" })))

const stats = Effect.flatMap(Transport, (t) => t.stats)

/** Runs `f` with a server on `handler` and the client; everything is closed after. */
const withServer = <A, E>(
  f: (server: TestServer, client: HttpClient.HttpClient) => Effect.Effect<A, E, Transport | Scope.Scope>,
  handler: Handler = routes
) =>
  Effect.gen(function*() {
    const server = yield* httpServer(handler)
    const client = yield* HttpClient.HttpClient
    return yield* f(server, client)
  }).pipe(Effect.scoped, Effect.provide(layer))

const last = (server: TestServer): Received => server.received[server.received.length - 1]!

// ---------------------------------------------------------------------------------------------

describe("request bodies", () => {
  it.effect("GET with no body: no Content-Length, no Transfer-Encoding", () =>
    withServer((server, client) =>
      Effect.gen(function*() {
        const response = yield* client.get(server.url("/hello?x=1"), { urlParams: { y: "2" } })
        expect(response.status).toBe(200)
        expect(yield* response.text).toBe("hi")
        const r = last(server)
        expect(r.method).toBe("GET")
        expect(r.url).toBe("/hello?x=1&y=2")
        expect(r.headers["content-length"]).toBeUndefined()
        expect(r.headers["transfer-encoding"]).toBeUndefined()
        expect(r.body.length).toBe(0)
      })
    ))

  it.effect("Uint8Array and text bodies: the bytes, their Content-Type and Content-Length", () =>
    withServer((server, client) =>
      Effect.gen(function*() {
        const bytes = new Uint8Array([0, 1, 2, 255])
        yield* client.execute(HttpClientRequest.post(server.url("/echo")).pipe(HttpClientRequest.bodyUint8Array(bytes)))
        let r = last(server)
        expect([...r.body]).toEqual([0, 1, 2, 255])
        expect(r.headers["content-type"]).toBe("application/octet-stream")
        expect(r.headers["content-length"]).toBe("4")

        yield* client.execute(HttpClientRequest.put(server.url("/echo")).pipe(HttpClientRequest.bodyText("héllo", "text/x-test")))
        r = last(server)
        expect(r.method).toBe("PUT")
        expect(r.body.toString("utf8")).toBe("héllo")
        expect(r.headers["content-type"]).toBe("text/x-test")
        expect(r.headers["content-length"]).toBe("6")

        yield* client.execute(HttpClientRequest.post(server.url("/echo")).pipe(HttpClientRequest.bodyUrlParams({ a: "1", b: "x y" })))
        r = last(server)
        expect(r.body.toString()).toBe("a=1&b=x+y")
        expect(r.headers["content-type"]).toBe("application/x-www-form-urlencoded")
      })
    ))

  it.effect("JSON: bodyJson out, response.json back", () =>
    withServer((server, client) =>
      Effect.gen(function*() {
        const request = yield* HttpClientRequest.post(server.url("/echo")).pipe(HttpClientRequest.bodyJson({ a: [1, 2], b: "ü" }))
        const response = yield* client.execute(request)
        expect(yield* response.json).toEqual({ a: [1, 2], b: "ü" })
        const r = last(server)
        expect(r.headers["content-type"]).toBe("application/json")
        expect(r.headers["content-length"]).toBe(String(Buffer.byteLength(JSON.stringify({ a: [1, 2], b: "ü" }))))
        const fixed = yield* client.get(server.url("/json"))
        expect(yield* fixed.json).toEqual({ hello: "world", n: 1 })
        // An empty body is null, as the stock clients have it.
        const empty = yield* client.get(server.url("/missing")).pipe(Effect.flatMap((r) => r.text))
        expect(empty).toBe("not here")
      })
    ))

  it.effect("Raw: strings, bytes, ArrayBuffers, Blobs, Node Readables and async iterables", () =>
    withServer((server, client) =>
      Effect.gen(function*() {
        const post = (body: HttpBody.HttpBody) => client.execute(HttpClientRequest.post(server.url("/echo")).pipe(HttpClientRequest.setBody(body)))

        yield* post(HttpBody.raw("plain text", { contentType: "text/plain" }))
        expect(last(server).body.toString()).toBe("plain text")
        expect(last(server).headers["content-type"]).toBe("text/plain")
        expect(last(server).headers["content-length"]).toBe("10")

        yield* post(HttpBody.raw(Buffer.from("buffer")))
        expect(last(server).body.toString()).toBe("buffer")
        expect(last(server).headers["content-length"]).toBe("6")

        yield* post(HttpBody.raw(new TextEncoder().encode("abc").buffer))
        expect(last(server).body.toString()).toBe("abc")

        yield* post(HttpBody.raw(new Blob(["blob ", "parts"])))
        expect(last(server).body.toString()).toBe("blob parts")
        expect(last(server).headers["content-length"]).toBe("10")

        // A Readable of unknown length goes chunked; with contentLength, with that length.
        yield* post(HttpBody.raw(Readable.from([Buffer.from("rea"), "dable"])))
        expect(last(server).body.toString()).toBe("readable")
        expect(last(server).headers["transfer-encoding"]).toBe("chunked")
        yield* post(HttpBody.raw(Readable.from([Buffer.from("rea"), "dable"]), { contentLength: 8 }))
        expect(last(server).body.toString()).toBe("readable")
        expect(last(server).headers["content-length"]).toBe("8")

        async function* gen() {
          yield new Uint8Array([104, 105])
          yield "!"
        }
        yield* post(HttpBody.raw(gen()))
        expect(last(server).body.toString()).toBe("hi!")

        // Anything else is refused before anything is sent.
        const before = server.received.length
        const error = yield* Effect.flip(post(HttpBody.raw({ not: "a body" })))
        expect(error._tag).toBe("RequestError")
        expect(error.reason).toBe("Encode")
        expect((error as HttpClientError.RequestError).description).toMatch(/unsupported Raw body/)
        expect(server.received.length).toBe(before)
      })
    ))

  it.effect("FormData: multipart with a boundary and a Content-Length, fields and files intact", () =>
    withServer((server, client) =>
      Effect.gen(function*() {
        const form = new FormData()
        form.append("name", "Zoë \"the\"\nsecond line")
        form.append("name", "again")
        form.append("file", new File(["file contents\r\n", new Uint8Array([0, 255])], "a \"quoted\" name.bin", { type: "application/x-test" }))
        form.append("blob", new Blob(["blobby"]))
        yield* client.execute(HttpClientRequest.post(server.url("/echo")).pipe(HttpClientRequest.bodyFormData(form)))
        const r = last(server)
        const contentType = r.headers["content-type"]!
        expect(contentType).toMatch(/^multipart\/form-data; boundary=-+EffectNetHttpFormBoundary[0-9a-f]{32}$/)
        expect(r.headers["content-length"]).toBe(String(r.body.length))
        // The web platform's parser reads it back.
        const parsed = yield* Effect.promise(() => new Response(r.body, { headers: { "content-type": contentType } }).formData())
        expect(parsed.getAll("name")).toEqual(["Zoë \"the\"\r\nsecond line", "again"])
        const file = parsed.get("file") as File
        expect(file.name).toBe("a \"quoted\" name.bin")
        expect(file.type).toBe("application/x-test")
        expect([...new Uint8Array(yield* Effect.promise(() => file.arrayBuffer()))]).toEqual([...Buffer.from("file contents\r\n"), 0, 255])
        const blob = parsed.get("blob") as File
        expect(blob.name).toBe("blob")
        expect(yield* Effect.promise(() => blob.text())).toBe("blobby")

        // Strings only: one buffer.
        yield* client.execute(HttpClientRequest.post(server.url("/echo")).pipe(HttpClientRequest.bodyFormDataRecord({ a: "1", b: ["2", "3"] })))
        const again = yield* Effect.promise(() => new Response(last(server).body, { headers: { "content-type": last(server).headers["content-type"]! } }).formData())
        expect(again.getAll("b")).toEqual(["2", "3"])
      })
    ))

  it.effect("Stream: with a known length as Content-Length, without it chunked; a failing stream is an Encode error", () =>
    withServer((server, client) =>
      Effect.gen(function*() {
        const chunks = Stream.make(new Uint8Array([97, 98]), new Uint8Array([99]))
        yield* client.execute(HttpClientRequest.post(server.url("/echo")).pipe(HttpClientRequest.bodyStream(chunks, { contentLength: 3, contentType: "text/plain" })))
        expect(last(server).body.toString()).toBe("abc")
        expect(last(server).headers["content-length"]).toBe("3")
        expect(last(server).headers["content-type"]).toBe("text/plain")

        yield* client.execute(HttpClientRequest.post(server.url("/echo")).pipe(HttpClientRequest.bodyStream(chunks)))
        expect(last(server).body.toString()).toBe("abc")
        expect(last(server).headers["transfer-encoding"]).toBe("chunked")

        const failing = Stream.concat(chunks, Stream.fail("boom"))
        const error = yield* Effect.flip(client.execute(HttpClientRequest.post(server.url("/echo")).pipe(HttpClientRequest.bodyStream(failing))))
        expect(error._tag).toBe("RequestError")
        expect(error.reason).toBe("Encode")
        expect((error as HttpClientError.RequestError).cause).toBe("boom")
      })
    ))

  it.effect("a host header sets the Host sent", () =>
    withServer((server, client) =>
      Effect.gen(function*() {
        yield* client.get(server.url("/"), { headers: { host: "example.test", "x-custom": "v" } })
        expect(last(server).headers.host).toBe("example.test")
        expect(last(server).headers["x-custom"]).toBe("v")
        expect(last(server).rawHeaders.filter((h) => h.toLowerCase() === "host").length).toBe(1)
      })
    ))
})

describe("combinators and tracing", () => {
  it.effect("filterStatusOk, mapRequest(prependUrl) and retry work over the layer", () => {
    let failures = 2
    return withServer(
      (server, client) =>
        Effect.gen(function*() {
          const ok = client.pipe(HttpClient.filterStatusOk)
          const error = yield* Effect.flip(ok.get(server.url("/missing")))
          expect(error._tag).toBe("ResponseError")
          expect(error.reason).toBe("StatusCode")
          expect((error as HttpClientError.ResponseError).response.status).toBe(404)

          const prefixed = client.pipe(HttpClient.mapRequest(HttpClientRequest.prependUrl(server.url("/api"))))
          const response = yield* prefixed.get("/thing")
          expect(response.status).toBe(200)
          expect(last(server).url).toBe("/api/thing")

          const retried = client.pipe(HttpClient.filterStatusOk, HttpClient.retry(Schedule.recurs(3)))
          const before = server.received.length
          const flaky = yield* retried.get(server.url("/flaky"))
          expect(yield* flaky.text).toBe("finally")
          expect(server.received.length - before).toBe(3)
        }),
      (req, res) => {
        if (req.url === "/flaky" && failures > 0) {
          failures--
          res.statusCode = 503
          res.end("busy")
          return
        }
        if (req.url === "/flaky") return void res.end("finally")
        routes(req, res)
      }
    )
  })

  it.effect("the platform's span propagates trace headers", () =>
    withServer((server, client) =>
      Effect.gen(function*() {
        yield* client.get(server.url("/")).pipe(Effect.withSpan("outer"))
        expect(last(server).headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
        expect(last(server).headers.b3).toBeDefined()
      })
    ))

  it.effect("with the built-in tracer the lean client span is a child of the caller's, and its headers go on the wire", () =>
    withServer((server, client) =>
      Effect.gen(function*() {
        // The tracer in use is Effect's built-in one (the lean span's case).
        expect(yield* Effect.tracer).toBe(Effect.runSync(Effect.tracer))
        const outer = yield* Effect.currentSpan
        const response = yield* client.get(server.url("/"))
        // The client span ended with the response head: the caller's span is current again.
        expect(yield* Effect.currentSpan).toBe(outer)
        const got = last(server).headers
        const traceparent = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(String(got.traceparent))
        expect(traceparent).not.toBeNull()
        expect(traceparent![1]).toBe(outer.traceId)
        const clientSpanId = traceparent![2]!
        expect(clientSpanId).not.toBe(outer.spanId)
        // b3 names the parent: the calling span.
        expect(got.b3).toBe(`${outer.traceId}-${clientSpanId}-1-${outer.spanId}`)
        // The response's request carries the headers sent, as with the platform's own span.
        expect(response.request.headers["traceparent"]).toBe(got.traceparent)
        expect(response.request.headers["b3"]).toBe(got.b3)
        expect(yield* response.text).toBe("hi")
      }).pipe(Effect.withSpan("x"))
    ))

  it.effect("with the built-in tracer a request's own b3 and traceparent headers are replaced, as the platform does", () =>
    withServer((server, client) =>
      Effect.gen(function*() {
        const outer = yield* Effect.currentSpan
        yield* client.get(server.url("/"), { headers: { traceparent: "stale", b3: "stale" } })
        const got = last(server).headers
        expect(got.traceparent).toMatch(new RegExp(`^00-${outer.traceId}-[0-9a-f]{16}-01$`))
        expect(got.b3).toMatch(new RegExp(`^${outer.traceId}-[0-9a-f]{16}-1-${outer.spanId}$`))
        expect(last(server).rawHeaders.filter((h) => h.toLowerCase() === "traceparent")).toHaveLength(1)
      }).pipe(Effect.withSpan("x"))
    ))

  it.effect("with the built-in tracer, propagation off, tracing disabled for the request or the tracer disabled send no trace headers", () =>
    withServer((server, client) =>
      Effect.gen(function*() {
        const sent = () => [last(server).headers.traceparent, last(server).headers.b3]
        yield* client.pipe(HttpClient.withTracerPropagation(false)).get(server.url("/")).pipe(Effect.withSpan("x"))
        expect(sent()).toEqual([undefined, undefined])
        yield* client.get(server.url("/")).pipe(Effect.locally(HttpClient.currentTracerPropagation, false), Effect.withSpan("x"))
        expect(sent()).toEqual([undefined, undefined])
        yield* client.pipe(HttpClient.withTracerDisabledWhen((r) => r.url.endsWith("/off"))).get(server.url("/off")).pipe(Effect.withSpan("x"))
        expect(sent()).toEqual([undefined, undefined])
        yield* client.pipe(HttpClient.withTracerDisabledWhen((r) => r.url.endsWith("/off"))).get(server.url("/on")).pipe(Effect.withSpan("x"))
        expect(sent()[0]).toBeDefined()
        yield* client.get(server.url("/")).pipe(Effect.withSpan("x"), Effect.withTracerEnabled(false))
        expect(sent()).toEqual([undefined, undefined])
        // The user's predicate still applies afterwards, and the fiber's own one is untouched.
        expect((yield* FiberRef.get(HttpClient.currentTracerDisabledWhen))(HttpClientRequest.get("/"))).toBe(false)
      })
    ))

  it.effect("with another tracer the platform's span is as it was (URL and header attributes, propagation)", () =>
    withServer((server, client) =>
      Effect.gen(function*() {
        const { spans, tracer } = recordingTracer()
        yield* client.get(server.url("/text?q=1")).pipe(Effect.withTracer(tracer))
        const platform = spans.find((s) => s.attributes.has("url.path"))
        expect(platform).toBeDefined()
        expect(platform!.kind).toBe("client")
        expect(platform!.attributes.get("url.full")).toBe(server.url("/text?q=1"))
        expect(platform!.attributes.get("url.query")).toBe("q=1")
        expect(platform!.attributes.get("http.response.status_code")).toBe(200)
        expect([...platform!.attributes.keys()].some((k) => k.startsWith("http.response.header."))).toBe(true)
        expect(last(server).headers.traceparent).toBe(`00-${TRACE_ID}-${platform!.spanId}-01`)
      })
    ))
})

describe("responses", () => {
  it.effect("several Set-Cookie fields give one cookie each; other repeated fields are joined", () =>
    withServer((server, client) =>
      Effect.gen(function*() {
        const response = yield* client.get(server.url("/cookies"))
        const cookies = response.cookies
        expect(Object.keys(cookies.cookies).sort()).toEqual(["a", "b", "c"])
        expect(cookies.cookies.a!.value).toBe("1")
        expect(cookies.cookies.a!.options?.httpOnly).toBe(true)
        expect(cookies.cookies.a!.options?.path).toBe("/")
        // The comma inside Expires did not split the cookie.
        expect(cookies.cookies.b!.value).toBe("2")
        expect(cookies.cookies.b!.options?.expires?.getUTCFullYear()).toBe(2037)
        expect(cookies.cookies.c!.value).toBe("3")
        expect(response.headers["x-multi"]).toBe("one, two")
        expect(response.headers["set-cookie"]).toContain("a=1")
        expect(response.headers["content-length"]).toBe("2")
      })
    ))

  it.effect("text, json, arrayBuffer, urlParamsBody and formData are memoised", () =>
    withServer((server, client) =>
      Effect.gen(function*() {
        const response = yield* client.get(server.url("/text"))
        expect(yield* response.text).toBe("héllo")
        expect(yield* response.text).toBe("héllo")
        const a = yield* response.arrayBuffer
        expect(yield* response.arrayBuffer).toBe(a)
        expect(Buffer.from(a).toString()).toBe("héllo")

        const form = yield* client.get(server.url("/form"))
        const params = yield* form.urlParamsBody
        expect(params).toEqual([["a", "1"], ["b", "two"], ["a", "3"]])
        const data = yield* form.formData
        expect(data.getAll("a")).toEqual(["1", "3"])
        expect(yield* form.formData).toBe(data)
        expect(yield* form.text).toBe("a=1&b=two&a=3")

        // A streamed body too: read once, then from memory.
        const big = yield* client.get(server.url("/big"))
        const first = yield* big.arrayBuffer
        expect(first.byteLength).toBe(1 << 20)
        // Exactly the body's bytes, whether given as gathered or copied.
        expect(Buffer.from(first).equals(bigBody)).toBe(true)
        expect(yield* big.arrayBuffer).toBe(first)
        expect((yield* big.text).length).toBe(1 << 20)
      })
    ))

  it.effect("a bad JSON body is a Decode error", () =>
    withServer((server, client) =>
      Effect.gen(function*() {
        const response = yield* client.get(server.url("/text"))
        const error = yield* Effect.flip(response.json)
        expect(error.reason).toBe("Decode")
        expect(error.cause).toBeInstanceOf(SyntaxError)
      })
    ))

  it.effect("stream runs once: a second run, or text after it, fails with a ResponseError", () =>
    withServer((server, client) =>
      Effect.gen(function*() {
        for (const path of ["/text", "/big"]) {
          const response = yield* client.get(server.url(path))
          const bytes = yield* Stream.runFold(response.stream, 0, (n, c) => n + c.length)
          expect(bytes).toBe(path === "/big" ? 1 << 20 : 6)
          const again = yield* Effect.flip(Stream.runDrain(response.stream))
          expect(again._tag).toBe("ResponseError")
          expect(again.reason).toBe("Decode")
          expect(again.description).toMatch(/already run/)
          const text = yield* Effect.flip(response.text)
          expect(text.description).toMatch(/consumed by `stream`/)
        }
        // After text, the stream yields the kept bytes.
        const read = yield* client.get(server.url("/text"))
        yield* read.text
        const chunks = yield* Stream.runCollect(read.stream)
        expect(Buffer.concat([...chunks]).toString()).toBe("héllo")
      })
    ))

  it.effect("a 1 MiB body streams in chunks, then the connection is idle and reused", () =>
    withServer((server, client) =>
      Effect.gen(function*() {
        const response = yield* client.get(server.url("/big"))
        const chunks = yield* Stream.runCollect(response.stream)
        expect(Chunk.size(chunks)).toBeGreaterThan(1)
        expect(Chunk.reduce(chunks, 0, (n, c) => n + c.length)).toBe(1 << 20)
        expect(Buffer.concat(Chunk.toArray(chunks)).equals(bigBody)).toBe(true)
        yield* eventually("the connection is idle", () => Effect.map(stats, (s) => s.idle === 1 && s.active === 0))
        const again = yield* client.get(server.url("/big"))
        expect(Buffer.from(yield* again.arrayBuffer).equals(bigBody)).toBe(true)
        const s = yield* stats
        expect(s.dials).toBe(1)
        expect(s.reuses).toBe(1)
        expect(s.idle).toBe(1)
        expect(server.accepted()).toBe(1)
      })
    ))

  it.effect("a partial read ended early closes the connection; a full read leaves it idle", () =>
    withServer((server, client) =>
      Effect.gen(function*() {
        const full = yield* client.get(server.url("/big"))
        yield* full.arrayBuffer
        expect((yield* stats).idle).toBe(1)

        const partial = yield* client.get(server.url("/big"))
        const first = yield* Stream.runHead(partial.stream)
        expect(Option.isSome(first)).toBe(true)
        yield* eventually("the connection is closed", () => Effect.map(stats, (s) => s.open === 0 && s.idle === 0 && s.active === 0))
        yield* eventually("the server saw it close", () => server.open() === 0)
      })
    ))

  it.effect("interrupting a body read closes the connection", () =>
    Effect.gen(function*() {
      // The head and part of the body, then nothing.
      const s = yield* nodeServer((socket) => {
        socket.once("data", () => socket.write("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + "x".repeat(1000)))
      })
      const client = yield* HttpClient.HttpClient
      const response = yield* client.get(`http://127.0.0.1:${s.port}/`)
      const started = yield* Deferred.make<void>()
      const fiber = yield* Effect.fork(Effect.zipRight(Deferred.succeed(started, undefined), response.arrayBuffer))
      yield* Deferred.await(started)
      yield* realSleep(20) // blocked on the socket by now
      expect(fiber.unsafePoll()).toBe(null)
      yield* Fiber.interrupt(fiber)
      yield* eventually("the connection is closed", () => Effect.map(stats, (st) => st.open === 0))
      // A later read says what happened rather than hang.
      const error = yield* Effect.flip(response.text)
      expect(error.reason).toBe("Decode")
      expect(error.description).toMatch(/interrupted/)
    }).pipe(Effect.scoped, Effect.provide(layer)))

  it.effect("a streamed response dropped unread is aborted when collected: its connection is closed", () =>
    withServer((server, client) =>
      Effect.gen(function*() {
        // Only the status escapes; the response itself is garbage once this returns.
        const status = yield* Effect.map(client.get(server.url("/big")), (r) => r.status)
        expect(status).toBe(200)
        expect((yield* stats).active).toBe(1)
        setFlagsFromString("--expose-gc")
        const gc = runInNewContext("gc") as () => void
        // Bounded: a few collections, letting FinalizationRegistry callbacks run in between.
        const closed = yield* poll(() => {
          gc()
          return Effect.map(stats, (s) => s.open === 0)
        }, 5000, 20)
        expect(closed).toBe(true)
      })
    ))

  it.effect("HttpClient.withScope: closing the Scope before the body's end closes the connection", () =>
    withServer((server, client) =>
      Effect.gen(function*() {
        const scoped = HttpClient.withScope(client)
        yield* Effect.scoped(Effect.gen(function*() {
          const response = yield* scoped.get(server.url("/big"))
          expect(response.status).toBe(200)
          expect((yield* stats).active).toBe(1)
        }))
        yield* eventually("the connection is closed", () => Effect.map(stats, (s) => s.open === 0))
      })
    ))

  it.effect("a body that breaks off is a Decode error with our TransportError as cause", () =>
    Effect.gen(function*() {
      const s = yield* nodeServer((socket) => {
        socket.once("data", () => socket.end("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + "x".repeat(1000)))
      })
      const client = yield* HttpClient.HttpClient
      const response = yield* client.get(`http://127.0.0.1:${s.port}/`)
      const error = yield* Effect.flip(response.text)
      expect(error._tag).toBe("ResponseError")
      expect(error.reason).toBe("Decode")
      expect(error.cause).toBeInstanceOf(TransportError)
      expect((error.cause as TransportError).phase).toBe("reading-body")
      expect(error.description).toBe((error.cause as TransportError).message)
      yield* eventually("the connection is closed", () => Effect.map(stats, (st) => st.open === 0))
    }).pipe(Effect.scoped, Effect.provide(layer)))

  it.effect("a body cut short of its Content-Length fails arrayBuffer with a Decode ResponseError; the client goes on", () =>
    withServer((server, client) =>
      Effect.gen(function*() {
        const short = yield* client.get(server.url("/short"))
        expect(short.status).toBe(200)
        const e = yield* Effect.flip(short.arrayBuffer)
        expect(e._tag).toBe("ResponseError")
        expect(e.reason).toBe("Decode")
        const next = yield* client.get(server.url("/text"))
        expect(yield* next.text).toBe("héllo")
      })
    ))

  it.effect("MaxBodySize is honoured, in memory and streamed", () =>
    withServer((server, client) =>
      Effect.gen(function*() {
        const small = yield* client.get(server.url("/text"))
        const e1 = yield* Effect.flip(HttpIncomingMessage.withMaxBodySize(small.text, Option.some(3)))
        expect(e1.description).toMatch(/MaxBodySize/)
        const big = yield* client.get(server.url("/big"))
        const e2 = yield* Effect.flip(HttpIncomingMessage.withMaxBodySize(big.arrayBuffer, Option.some(1000)))
        expect(e2.description).toMatch(/MaxBodySize/)
        yield* eventually("the connection is closed", () => Effect.map(stats, (s) => s.open === 0))
      })
    ))

  it.effect("remoteAddress: none for an ordinary response, the peer's for a 101", () =>
    Effect.gen(function*() {
      const s = yield* nodeServer((socket) => {
        socket.on("data", (d: Buffer) => {
          socket.write(d.toString().startsWith("GET /upgrade")
            ? "HTTP/1.1 101 Switching Protocols\r\nUpgrade: test\r\nConnection: Upgrade\r\n\r\n"
            : "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        })
      })
      const client = yield* HttpClient.HttpClient
      const plain = yield* client.get(`http://127.0.0.1:${s.port}/`)
      expect(plain.remoteAddress).toEqual(Option.none())
      const upgraded = yield* client.get(`http://127.0.0.1:${s.port}/upgrade`, { headers: { upgrade: "test", connection: "Upgrade" } })
      expect(upgraded.status).toBe(101)
      expect(upgraded.remoteAddress).toEqual(Option.some("127.0.0.1"))
      expect(yield* upgraded.text).toBe("")
      yield* eventually("the switched connection is closed", () => Effect.map(stats, (st) => st.open === 0))
    }).pipe(Effect.scoped, Effect.provide(layer)))

  it.effect("toJSON and inspect show status, headers and a body in memory", () =>
    withServer((server, client) =>
      Effect.gen(function*() {
        const response = yield* client.get(server.url("/json"))
        const json = response.toJSON() as Record<string, unknown>
        expect(json._id).toBe("@effect/platform/HttpClientResponse")
        expect(json.status).toBe(200)
        expect(json.body).toEqual({ hello: "world", n: 1 })
        expect(inspect(response)).toContain("@effect/platform/HttpClientResponse")
        expect(HttpClientResponse.TypeId in response).toBe(true)
        // A streamed body is not read just to be shown.
        const big = yield* client.get(server.url("/big"))
        expect((big.toJSON() as Record<string, unknown>).body).toBeUndefined()
        expect((yield* big.arrayBuffer).byteLength).toBe(1 << 20)
      })
    ))
})

describe("errors", () => {
  it.effect("connection refused: a Transport RequestError with our TransportError and a readable description", () =>
    Effect.gen(function*() {
      // A port that was just free.
      const port = yield* Effect.scoped(Effect.map(nodeServer(() => {}), (s) => s.port))
      const client = yield* HttpClient.HttpClient
      const error = yield* Effect.flip(client.get(`http://127.0.0.1:${port}/x`))
      expect(error._tag).toBe("RequestError")
      expect(error.reason).toBe("Transport")
      const cause = error.cause as TransportError
      expect(cause).toBeInstanceOf(TransportError)
      expect(cause.phase).toBe("dial")
      expect(cause.reason).toBe("refused")
      expect(error.description).toBe(cause.message)
      expect(error.message).toContain("ECONNREFUSED")
    }).pipe(Effect.provide(layer)))

  it.effect("an unsupported scheme is InvalidUrl; an invalid header value is Encode", () =>
    Effect.gen(function*() {
      const client = yield* HttpClient.HttpClient
      const scheme = yield* Effect.flip(client.get("ftp://127.0.0.1/file"))
      expect(scheme.reason).toBe("InvalidUrl")
      expect(scheme.cause).toBeInstanceOf(TransportError)
      const header = yield* Effect.flip(client.get("http://127.0.0.1:1/", { headers: { "x-bad": "a\r\nb" } }))
      expect(header.reason).toBe("Encode")
      expect(header.cause).toBeInstanceOf(TransportError)
      expect((header.cause as TransportError).phase).toBe("request")
    }).pipe(Effect.provide(layer)))
})

describe("RequestOptions", () => {
  it.effect("noReuse sends Connection: close, so every request dials anew", () =>
    withServer((server, client) =>
      Effect.gen(function*() {
        for (let i = 0; i < 3; i++) {
          const response = yield* client.get(server.url("/")).pipe(NetHttpClient.withRequestOptions({ noReuse: true }))
          expect(yield* response.text).toBe("hi")
          expect(last(server).headers.connection).toBe("close")
        }
        const s = yield* stats
        expect(s.dials).toBe(3)
        expect(s.reuses).toBe(0)
        expect(server.accepted()).toBe(3)
        // Without it, the connection is kept.
        yield* client.get(server.url("/"))
        yield* client.get(server.url("/"))
        expect((yield* stats).dials).toBe(4)
        expect((yield* stats).reuses).toBe(1)
      })
    ))

  it.effect("responseHeaderTimeout fires on the TestClock: RequestError, awaiting-headers timeout, connection closed", () =>
    Effect.gen(function*() {
      // Reads the request and never answers.
      const s = yield* nodeServer(() => {})
      const client = yield* HttpClient.HttpClient
      const fiber = yield* Effect.fork(Effect.either(
        client.get(`http://127.0.0.1:${s.port}/slow`).pipe(Effect.provideService(NetHttpClient.RequestOptions, { responseHeaderTimeout: "2 seconds" }))
      ))
      yield* eventually("the request is sent", () => Effect.map(stats, (st) => st.active === 1))
      yield* awaitSleepers(1)
      yield* TestClock.adjust("1 second")
      expect(fiber.unsafePoll()).toBe(null)
      yield* TestClock.adjust("1 second")
      const result = yield* Fiber.join(fiber)
      expect(Either.isLeft(result)).toBe(true)
      const error = Either.getLeft(result).pipe(Option.getOrThrow)
      expect(error._tag).toBe("RequestError")
      expect(error.reason).toBe("Transport")
      const cause = error.cause as TransportError
      expect(cause.phase).toBe("awaiting-headers")
      expect(cause.reason).toBe("timeout")
      expect(error.description).toMatch(/no response head within 2s/)
      yield* eventually("the connection is closed", () => Effect.map(stats, (st) => st.open === 0))
    }).pipe(Effect.scoped, Effect.provide(layer)))
})

describe("layers", () => {
  it.effect("layerDefault and make build working clients", () =>
    Effect.gen(function*() {
      const server = yield* httpServer(routes)
      const viaDefault = yield* Effect.flatMap(HttpClient.HttpClient, (c) => c.get(server.url("/text"))).pipe(Effect.flatMap((r) => r.text), Effect.provide(NetHttpClient.layerDefault))
      expect(viaDefault).toBe("héllo")
      const viaMake = yield* Effect.flatMap(Transport, (t) => NetHttpClient.make(t).get(server.url("/json"))).pipe(Effect.flatMap((r) => r.json), Effect.provide(Transport.layer({ proxy: "none" })))
      expect(viaMake).toEqual({ hello: "world", n: 1 })
      expect(Exit.isSuccess(yield* Effect.exit(Effect.void))).toBe(true)
    }).pipe(Effect.scoped))
})
