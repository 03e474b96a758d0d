/**
 * The server span under Effect's built-in tracer (serverSpan.ts): ours is made lean (its ids
 * when first read), and must look to the app as the stock server's span does: its name, kind,
 * method and status attributes, random ids that stay put, the parent from `traceparent`, and
 * child spans under it. Both servers run the same app.
 */
import { HttpClient, HttpClientRequest, HttpRouter, HttpServer, HttpServerResponse, type Etag, type HttpPlatform } from "@effect/platform"
import { NodeHttpClient, NodeHttpServer } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option, Ref, type Tracer } from "effect"
import * as http from "node:http"
import * as NetHttpServer from "../../src/platform/HttpServer.js"

const SERVERS: ReadonlyArray<{ readonly name: string; readonly layer: () => Layer.Layer<HttpServer.HttpServer | HttpPlatform.HttpPlatform | Etag.Generator, unknown> }> = [
  { name: "NodeHttpServer", layer: () => NodeHttpServer.layer(() => http.createServer(), { port: 0, host: "127.0.0.1" }) },
  { name: "NetHttpServer", layer: () => NetHttpServer.layer({ port: 0, host: "127.0.0.1" }) }
]

interface Seen {
  readonly span: Tracer.Span
  readonly ids: readonly [string, string]
  readonly child: Tracer.Span
}

for (const server of SERVERS) {
  describe(`${server.name}: the server span under the built-in tracer`, () => {
    const layer = HttpServer.layerTestClient.pipe(Layer.provide(NodeHttpClient.layerUndici), Layer.provideMerge(server.layer()))

    const serveSeen = Effect.gen(function*() {
      const seen = yield* Ref.make<Option.Option<Seen>>(Option.none())
      yield* HttpRouter.empty.pipe(
        HttpRouter.get(
          "/",
          Effect.gen(function*() {
            const span = yield* Effect.currentSpan
            const ids = [span.traceId, span.spanId] as const
            const child = yield* Effect.withSpan(Effect.currentSpan, "child")
            yield* Ref.set(seen, Option.some({ span, ids, child }))
            return HttpServerResponse.text("ok", { status: 201 })
          })
        ),
        HttpServer.serveEffect()
      )
      return seen
    })

    it.scopedLive("name, kind, method and status, ids that stay put, a child span under it", () =>
      Effect.gen(function*() {
        const seen = yield* serveSeen
        const client = yield* HttpClient.HttpClient
        const response = yield* client.get("/")
        expect(response.status).toBe(201)
        const { child, ids, span } = Option.getOrThrow(yield* Ref.get(seen))
        expect(span.name).toBe("http.server GET")
        expect(span.kind).toBe("server")
        expect(span.sampled).toBe(true)
        expect(ids[0]).toMatch(/^[0-9a-f]{32}$/)
        expect(ids[1]).toMatch(/^[0-9a-f]{16}$/)
        expect([span.traceId, span.spanId]).toEqual(ids)
        expect(span.attributes.get("http.request.method")).toBe("GET")
        expect(span.attributes.get("http.response.status_code")).toBe(201)
        expect(span.status._tag).toBe("Ended")
        expect(child.traceId).toBe(span.traceId)
        expect(Option.map(child.parent, (p) => p.spanId)).toEqual(Option.some(span.spanId))
      }).pipe(Effect.provide(layer)))

    it.scopedLive("a traceparent header makes the parent: its trace id, its span id", () =>
      Effect.gen(function*() {
        const seen = yield* serveSeen
        const client = yield* HttpClient.HttpClient
        const traceId = "4bf92f3577b34da6a3ce929d0e0e4736"
        const parentId = "00f067aa0ba902b7"
        yield* client.execute(HttpClientRequest.get("/").pipe(HttpClientRequest.setHeader("traceparent", `00-${traceId}-${parentId}-01`))).pipe(
          Effect.withTracerEnabled(false)
        )
        const { span } = Option.getOrThrow(yield* Ref.get(seen))
        expect(span.traceId).toBe(traceId)
        expect(span.spanId).toMatch(/^[0-9a-f]{16}$/)
        expect(span.spanId).not.toBe(parentId)
        expect(Option.map(span.parent, (p) => [p.traceId, p.spanId])).toEqual(Option.some([traceId, parentId]))
      }).pipe(Effect.provide(layer)))
  })
}
