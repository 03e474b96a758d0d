/**
 * The testing kit as a user would use it (README's example): `HttpTest.server` with a handler,
 * its client, `closeClientConnections`, and a property test that feeds `Arbitraries.request`
 * to a real server and checks what the server saw.
 */
import { describe, expect, it } from "@effect/vitest"
import { HttpBody, HttpRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect, FastCheck as fc } from "effect"
import { Arbitraries, Body, HttpTest, ServerResponse, type ServerRequest } from "../../src/index.js"

/** Echoes what it received as JSON: method, target, the fields it got, the body's length. */
const echo = (request: ServerRequest) =>
  Effect.flatMap(request.bytes, (body) =>
    ServerResponse.json({
      method: request.method,
      target: request.target,
      fields: [...request.headers].filter(([name]) => name.startsWith("X-") || name.startsWith("x-")),
      length: body.length
    }))

const json = (bytes: Uint8Array): unknown => JSON.parse(new TextDecoder().decode(bytes))

describe("HttpTest.server", () => {
  // The example in README.
  it.effect("GET through the test server's client", () =>
    Effect.gen(function*() {
      const { client, url } = yield* HttpTest
      const response = yield* client.get(`${url}/hello?x=1`, { headers: { "X-Test": "yes" } })
      expect(response.status).toBe(200)
      expect(json(yield* Body.collect(response.body))).toEqual({ method: "GET", target: "/hello?x=1", fields: [["X-Test", "yes"]], length: 0 })
    }).pipe(Effect.scoped, Effect.provide(HttpTest.server(echo))))

  it.effect("closeClientConnections drops the server's connections; the client's next GET goes out on a new one", () =>
    Effect.gen(function*() {
      const { client, closeClientConnections, server, transport, url } = yield* HttpTest
      const get = Effect.scoped(Effect.flatMap(client.get(`${url}/`), (r) => Effect.as(Body.collect(r.body), r.status)))
      expect(yield* get).toBe(200)
      expect((yield* server.stats).connections).toBe(1)
      yield* closeClientConnections
      expect((yield* server.stats).connections).toBe(0)
      expect(yield* get).toBe(200)
      const stats = yield* transport.stats
      expect(stats.dials).toBe(2)
      expect((yield* server.stats).accepted).toBe(2)
    }).pipe(Effect.scoped, Effect.provide(HttpTest.server(echo))))

  it.effect("property: every generated request reaches the server as generated", () =>
    Effect.gen(function*() {
      const { client, url } = yield* HttpTest
      const sample = fc.sample(Arbitraries.request(url), { numRuns: 40, seed: 42 })
      for (const request of sample) {
        const response = yield* client.do(request)
        expect(response.status).toBe(200)
        // A HEAD answer has no body to read the echo from.
        if (request.method === "HEAD") continue
        const seen = json(yield* Body.collect(response.body)) as { method: string; target: string; length: number }
        expect(seen.method).toBe(request.method)
        expect(seen.target).toBe(request.url.pathname + request.url.search)
        expect(seen.length).toBe(request.contentLength ?? 0)
      }
    }).pipe(Effect.scoped, Effect.provide(HttpTest.server(echo))))

  it.effect("HttpTest.app: an HttpRouter app on NetHttpServer, called through the platform HttpClient", () =>
    Effect.gen(function*() {
      const { closeClientConnections, httpClient, server } = yield* HttpTest
      const hello = yield* Effect.flatMap(httpClient.get("/hello/ada"), (r) => r.text)
      expect(hello).toBe("hello, ada")
      const echoed = yield* httpClient.post("/echo", { body: HttpBody.text("ping") }).pipe(
        Effect.flatMap((r) => r.text)
      )
      expect(echoed).toBe("ping")
      yield* closeClientConnections
      expect((yield* server.stats).connections).toBe(0)
      const missing = yield* Effect.map(httpClient.get("/nowhere"), (r) => r.status)
      expect(missing).toBe(404)
    }).pipe(
      Effect.scoped,
      Effect.provide(HttpTest.app(
        HttpRouter.empty.pipe(
          HttpRouter.get("/hello/:name", Effect.map(HttpRouter.params, (p) => HttpServerResponse.text(`hello, ${p.name}`))),
          HttpRouter.post("/echo", Effect.flatMap(HttpServerRequest.HttpServerRequest, (r) => Effect.map(r.text, (t) => HttpServerResponse.text(t))))
        )
      ))
    ))
})
