/**
 * NetHttpClient built on `HttpClient.makeWith` (issue 25): against a client built with the
 * platform's `HttpClient.make` over the same round trip, under a recording tracer, the same
 * spans (names, kinds, every attribute); `withSpanNameGenerator`, `withTracerDisabledWhen` and
 * `withTracerPropagation` take effect; the combinators work; the response is ours, not wrapped;
 * an interrupted request, and a response left unread (its Scope closed; dropped: HttpClient.test.ts), give back
 * their connection (the Transport's pool stats). Real sockets on 127.0.0.1:0, node:http and
 * node:net peers; every wait is bounded.
 */
import { HttpClient, HttpClientError, HttpClientRequest } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Layer, Schedule, Scope } from "effect"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as NetHttpClient from "../../src/platform/HttpClient.js"
import { execute } from "../../src/platform/clientExecute.js"
import { NetHttpClientResponse } from "../../src/platform/clientResponse.js"
import { Transport } from "../../src/transport/Transport.js"
import { nodeServer } from "../support/nodeServer.js"
import { type RecordedSpan, recordingTracer, TRACE_ID } from "../support/recordingTracer.js"
import { eventually } from "../transport/scripted.js"

// ---------------------------------------------------------------------------------------------

interface Peer {
  readonly url: (path?: string) => string
  /** The headers of each request received, in order. */
  readonly received: Array<http.IncomingHttpHeaders>
}

/**
 * A node:http peer, without a Date header (so two answers have the same headers): `/big` is a
 * 1 MiB body (longer than what arrives with the head), `/missing` a 404, `/redirect` a 302 to
 * `/`, `/flaky` a 503 twice then 200, anything else `hi`.
 */
const peer: Effect.Effect<Peer, never, Scope.Scope> = Effect.acquireRelease(
  Effect.async<{ server: http.Server; peer: Peer }>((resume) => {
    const received: Array<http.IncomingHttpHeaders> = []
    let flaky = 2
    const server = http.createServer((req, res) => {
      res.sendDate = false
      received.push(req.headers)
      req.resume()
      req.on("end", () => {
        const path = req.url!.split("?")[0]
        if (path === "/big") {
          res.setHeader("Content-Type", "application/octet-stream")
          return void res.end(Buffer.alloc(1 << 20, 0x61))
        }
        if (path === "/missing") {
          res.statusCode = 404
          return void res.end("not here")
        }
        if (path === "/redirect") {
          res.statusCode = 302
          res.setHeader("Location", "/")
          return void res.end()
        }
        if (path === "/flaky" && flaky > 0) {
          flaky--
          res.statusCode = 503
          return void res.end("busy")
        }
        res.setHeader("Content-Type", "text/plain")
        res.setHeader("X-Answer", "42")
        res.end("hi")
      })
    })
    server.on("connection", (s) => s.on("error", () => s.destroy()))
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as AddressInfo).port
      resume(Effect.succeed({ server, peer: { url: (path = "/") => `http://127.0.0.1:${port}${path}`, received } }))
    })
  }),
  ({ server }) =>
    Effect.async<void>((resume) => {
      server.closeAllConnections()
      server.close(() => resume(Effect.void))
    })
).pipe(Effect.map(({ peer }) => peer))

const transportLayer = Transport.layer({ proxy: "none" })
const layer = NetHttpClient.layer.pipe(Layer.provideMerge(transportLayer))

const stats = Effect.flatMap(Transport, (t) => t.stats)

/** A client built by the platform's `HttpClient.make` over the same round trip (the reference). */
const platformMade = Effect.map(Transport, (t) => HttpClient.make(execute(t)))

const last = (p: Peer): http.IncomingHttpHeaders => p.received[p.received.length - 1]!

/** The spans as compared: name, kind and every attribute, in the order recorded. */
const shape = (spans: ReadonlyArray<RecordedSpan>) =>
  spans.map((s) => ({ name: s.name, kind: s.kind, attributes: [...s.attributes.entries()] }))

/** Runs `use` with each client under a fresh recording tracer; the spans each recorded. */
const recordBoth = <E>(
  use: (client: HttpClient.HttpClient) => Effect.Effect<unknown, E>
): Effect.Effect<{ ours: Array<RecordedSpan>; theirs: Array<RecordedSpan> }, E, HttpClient.HttpClient | Transport> =>
  Effect.gen(function*() {
    const ours = recordingTracer()
    const theirs = recordingTracer()
    yield* Effect.withTracer(use(yield* HttpClient.HttpClient), ours.tracer)
    yield* Effect.withTracer(use(yield* platformMade), theirs.tracer)
    return { ours: ours.spans, theirs: theirs.spans }
  })

// ---------------------------------------------------------------------------------------------

describe("spans as HttpClient.make opens them", () => {
  it.effect("the same names, kinds and attributes as a client built with HttpClient.make", () =>
    Effect.gen(function*() {
      const p = yield* peer
      const { ours, theirs } = yield* recordBoth((client) =>
        Effect.gen(function*() {
          const ok = yield* client.get(p.url("/path/x?q=1&r=two"), { headers: { "x-custom": "yes", authorization: "secret" } })
          expect(yield* ok.text).toBe("hi")
          const missing = yield* client.get(p.url("/missing"))
          expect(missing.status).toBe(404)
          const posted = yield* client.post(p.url("/post"), { body: HttpClientRequest.bodyUrlParams(HttpClientRequest.post("/"), { a: "1" }).body })
          expect(posted.status).toBe(200)
          yield* client.get(p.url("/big")).pipe(Effect.flatMap((r) => r.arrayBuffer))
        })
      )
      // The platform's span is there with its attributes (not only the lean one's).
      const platform = ours.find((s) => s.attributes.get("url.path") === "/path/x")
      expect(platform?.name).toBe("http.client GET")
      expect(platform?.kind).toBe("client")
      expect(platform?.attributes.get("url.query")).toBe("q=1&r=two")
      expect(platform?.attributes.get("url.full")).toBe(p.url("/path/x?q=1&r=two"))
      expect(platform?.attributes.get("server.port")).toBeTypeOf("number")
      expect(platform?.attributes.get("http.request.header.x-custom")).toBe("yes")
      expect(platform?.attributes.get("http.request.header.authorization")).toBe("<redacted>")
      expect(platform?.attributes.get("http.response.header.x-answer")).toBe("42")
      expect(platform?.attributes.get("http.response.status_code")).toBe(200)
      // And everything matches make's, span for span (the Transport's spans included).
      expect(ours.length).toBe(theirs.length)
      expect(shape(ours)).toEqual(shape(theirs))
    }).pipe(Effect.scoped, Effect.provide(layer)))

  it.effect("a failed request's span matches make's too, and the error is make's InvalidUrl for a bad URL", () =>
    Effect.gen(function*() {
      const closed = yield* nodeServer((s) => s.destroy())
      const { ours, theirs } = yield* recordBoth((client) =>
        Effect.gen(function*() {
          const refused = yield* Effect.flip(client.get(`http://127.0.0.1:${closed.port}/gone`))
          expect(refused._tag).toBe("RequestError")
          const invalid = yield* Effect.flip(client.get("http://[::1"))
          expect(invalid._tag).toBe("RequestError")
          expect((invalid as HttpClientError.RequestError).reason).toBe("InvalidUrl")
        })
      )
      expect(shape(ours)).toEqual(shape(theirs))
    }).pipe(Effect.scoped, Effect.provide(layer)))

  it.effect("withSpanNameGenerator names the span, under a real tracer and in the propagated headers", () =>
    Effect.gen(function*() {
      const p = yield* peer
      const { ours, theirs } = yield* recordBoth((client) =>
        client.pipe(HttpClient.withSpanNameGenerator((r) => `fetch ${r.method} ${new URL(r.url).pathname}`)).get(p.url("/named"))
      )
      expect(ours[0]?.name).toBe("fetch GET /named")
      expect(shape(ours)).toEqual(shape(theirs))
      // Under the built-in tracer the lean span is named the same way (the current span while
      // the request runs is not observable, but the generator is called with the request).
      const seen: Array<string> = []
      const client = (yield* HttpClient.HttpClient).pipe(HttpClient.withSpanNameGenerator((r) => {
        seen.push(r.method)
        return "lean"
      }))
      yield* client.get(p.url("/")).pipe(Effect.withSpan("outer"))
      expect(seen).toEqual(["GET"])
    }).pipe(Effect.scoped, Effect.provide(layer)))

  it.effect("withTracerDisabledWhen: no client span and no trace headers for the requests it matches", () =>
    Effect.gen(function*() {
      const p = yield* peer
      const { ours, theirs } = yield* recordBoth((client) =>
        Effect.gen(function*() {
          const filtered = client.pipe(HttpClient.withTracerDisabledWhen((r) => r.url.endsWith("/health")))
          yield* filtered.get(p.url("/health"))
          expect(last(p).traceparent).toBeUndefined()
          expect(last(p).b3).toBeUndefined()
          yield* filtered.get(p.url("/traced"))
          expect(last(p).traceparent).toBeDefined()
        })
      )
      expect(ours.some((s) => s.attributes.get("url.path") === "/health")).toBe(false)
      expect(ours.some((s) => s.attributes.get("url.path") === "/traced")).toBe(true)
      expect(shape(ours)).toEqual(shape(theirs))
    }).pipe(Effect.scoped, Effect.provide(layer)))

  it.effect("trace propagation: the client span's traceparent and b3 on the wire; none with withTracerPropagation(false)", () =>
    Effect.gen(function*() {
      const p = yield* peer
      const client = yield* HttpClient.HttpClient
      const { spans, tracer } = recordingTracer()
      const response = yield* client.get(p.url("/")).pipe(Effect.withSpan("outer"), Effect.withTracer(tracer))
      const outer = spans.find((s) => s.name === "outer")!
      const span = spans.find((s) => s.attributes.has("url.full"))!
      expect(span.name).toBe("http.client GET")
      expect(last(p).traceparent).toBe(`00-${TRACE_ID}-${span.spanId}-01`)
      expect(last(p).b3).toBe(`${TRACE_ID}-${span.spanId}-1-${outer.spanId}`)
      // The response's request is the one sent, headers included (as make's).
      expect(response.request.headers["traceparent"]).toBe(last(p).traceparent)

      const before = spans.length
      yield* client.pipe(HttpClient.withTracerPropagation(false)).get(p.url("/")).pipe(Effect.withTracer(tracer))
      expect(last(p).traceparent).toBeUndefined()
      expect(last(p).b3).toBeUndefined()
      expect(spans.slice(before).some((s) => s.name === "http.client GET")).toBe(true)

      // Under the built-in tracer the lean span propagates too.
      yield* client.get(p.url("/")).pipe(Effect.withSpan("outer"))
      expect(last(p).traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
    }).pipe(Effect.scoped, Effect.provide(layer)))
})

describe("a real HttpClient", () => {
  it.effect("filterStatusOk, mapRequest, retry and followRedirects work over the layer", () =>
    Effect.gen(function*() {
      const p = yield* peer
      const client = yield* HttpClient.HttpClient
      const error = yield* Effect.flip(client.pipe(HttpClient.filterStatusOk).get(p.url("/missing")))
      expect(error.reason).toBe("StatusCode")
      const prefixed = client.pipe(HttpClient.mapRequest(HttpClientRequest.prependUrl(p.url("/api"))))
      expect((yield* prefixed.get("/thing")).status).toBe(200)
      const retried = client.pipe(HttpClient.filterStatusOk, HttpClient.retry(Schedule.recurs(3)))
      expect(yield* (yield* retried.get(p.url("/flaky"))).text).toBe("hi")
      const followed = yield* client.pipe(HttpClient.followRedirects(3)).get(p.url("/redirect"))
      expect(followed.status).toBe(200)
      expect(yield* followed.text).toBe("hi")
      expect(followed.request.url).toBe(p.url("/"))
    }).pipe(Effect.scoped, Effect.provide(layer)))

  it.effect("the response is ours, not make's wrapper, and a body that came with its head holds no connection", () =>
    Effect.gen(function*() {
      const p = yield* peer
      const client = yield* HttpClient.HttpClient
      const response = yield* client.get(p.url("/"))
      expect(response).toBeInstanceOf(NetHttpClientResponse)
      // Not read yet, and already back in the pool.
      const s = yield* stats
      expect(s.idle).toBe(1)
      expect(s.active).toBe(0)
      expect(yield* response.text).toBe("hi")
      // The same under a real tracer.
      const { tracer } = recordingTracer()
      expect(yield* Effect.withTracer(client.get(p.url("/")), tracer)).toBeInstanceOf(NetHttpClientResponse)
    }).pipe(Effect.scoped, Effect.provide(layer)))
})

describe("connections given back", () => {
  it.effect("an interrupted request closes its connection (built-in tracer and a real one)", () =>
    Effect.gen(function*() {
      // Takes the request, never answers.
      const silent = yield* nodeServer((socket) => socket.resume())
      const client = yield* HttpClient.HttpClient
      for (const traced of [false, true]) {
        const { tracer } = recordingTracer()
        const request = client.get(`http://127.0.0.1:${silent.port}/`)
        const fiber = yield* Effect.fork(traced ? Effect.withTracer(request, tracer) : request)
        yield* eventually("the request is in flight", () => Effect.map(stats, (s) => s.active === 1))
        yield* Fiber.interrupt(fiber)
        yield* eventually("the connection is closed", () => Effect.map(stats, (s) => s.open === 0 && s.active === 0))
      }
    }).pipe(Effect.scoped, Effect.provide(layer)))

  it.effect("an unread streamed response: closing HttpClient.withScope's Scope closes its connection", () =>
    Effect.gen(function*() {
      const p = yield* peer
      const client = HttpClient.withScope(yield* HttpClient.HttpClient)
      const scope = yield* Scope.make()
      const response = yield* Scope.extend(client.get(p.url("/big")), scope)
      expect(response.status).toBe(200)
      expect((yield* stats).active).toBe(1)
      yield* Scope.close(scope, Exit.void)
      yield* eventually("the connection is closed", () => Effect.map(stats, (s) => s.open === 0 && s.active === 0))
      // Reading it now says so rather than hang.
      const error = yield* Effect.flip(response.text)
      expect(error.reason).toBe("Decode")
    }).pipe(Effect.scoped, Effect.provide(layer)))

  // An unread streamed response dropped without a Scope is released when collected: the
  // GC test of HttpClient.test.ts ("a streamed response dropped unread is aborted when collected").
  it.effect("a streamed response read to the end gives its connection back to the pool (idle)", () =>
    Effect.gen(function*() {
      const p = yield* peer
      const client = yield* HttpClient.HttpClient
      const read = yield* client.get(p.url("/big"))
      expect((yield* stats).active).toBe(1)
      expect((yield* read.arrayBuffer).byteLength).toBe(1 << 20)
      expect(yield* stats).toMatchObject({ idle: 1, active: 0 })
    }).pipe(Effect.scoped, Effect.provide(layer)))
})
