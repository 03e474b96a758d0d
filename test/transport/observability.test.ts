/**
 * Observability of the Transport: a span per round trip when a tracer is installed (none with
 * Effect's built-in one), the pool metrics, `roundTripWith` releasing a body its `use` did
 * not read, and a request body shorter than its declared length.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Metric, Option, Stream } from "effect"
import * as Body from "../../src/domain/Body.js"
import { poolMetrics } from "../../src/transport/ConnPool.js"
import { Transport } from "../../src/transport/Transport.js"
import { recordingTracer } from "../support/recordingTracer.js"
import { eventually, pseudoRandom, request, response, scriptedServer } from "./scripted.js"

describe("spans", () => {
  it.live("a round trip is a client span named after the method when a tracer is installed", () =>
    Effect.gen(function*() {
      const server = yield* scriptedServer({ onRequest: (_req, conn) => conn.write(response("ok")) })
      const { spans, tracer } = recordingTracer()
      yield* Effect.gen(function*() {
        const transport = yield* Transport
        const status = yield* transport.roundTripWith(request({ url: server.url("/a") }), (r) => Effect.succeed(r.status))
        expect(status).toBe(200)
      }).pipe(Effect.withTracer(tracer), Effect.provide(Transport.layer()))
      const span = spans.find((s) => s.name === "http.client GET")
      expect(span).toBeDefined()
      expect(span!.kind).toBe("client")
      expect(span!.attributes.get("http.request.method")).toBe("GET")
      expect(span!.attributes.get("url.full")).toBe(server.url("/a"))
      yield* server.expectAllClosed()
    }).pipe(Effect.scoped))

  it.live("no span is made with Effect's built-in tracer", () =>
    Effect.gen(function*() {
      const server = yield* scriptedServer({ onRequest: (_req, conn) => conn.write(response("ok")) })
      const seen = yield* Effect.gen(function*() {
        const transport = yield* Transport
        // The span current inside `use` is the caller's: none was opened for the round trip.
        return yield* transport.roundTripWith(request({ url: server.url("/") }), () => Effect.option(Effect.currentSpan))
      }).pipe(Effect.provide(Transport.layer()))
      expect(Option.isNone(seen)).toBe(true)
      yield* server.expectAllClosed()
    }).pipe(Effect.scoped))
})

describe("metrics", () => {
  it.live("dials and reuses are counted, and the idle gauge follows the pool", () =>
    Effect.gen(function*() {
      const server = yield* scriptedServer({ onRequest: (_req, conn) => conn.write(response("ok")) })
      const dials0 = (yield* Metric.value(poolMetrics.dials)).count
      const reuses0 = (yield* Metric.value(poolMetrics.reuses)).count
      yield* Effect.gen(function*() {
        const transport = yield* Transport
        for (let i = 0; i < 3; i++) {
          yield* transport.roundTripWith(request({ url: server.url("/") }), (r) => Body.collect(r.body))
        }
        expect((yield* Metric.value(poolMetrics.idle)).value).toBe(1)
        expect((yield* Metric.value(poolMetrics.active)).value).toBe(0)
      }).pipe(Effect.provide(Transport.layer()))
      expect((yield* Metric.value(poolMetrics.dials)).count - dials0).toBe(1)
      expect((yield* Metric.value(poolMetrics.reuses)).count - reuses0).toBe(2)
      yield* server.expectAllClosed()
    }).pipe(Effect.scoped))
})

describe("roundTripWith", () => {
  it.live("a streamed body left unread by `use` closes its connection; a read one is reused", () =>
    Effect.gen(function*() {
      const big = pseudoRandom(512 << 10)
      const server = yield* scriptedServer({ onRequest: (_req, conn) => conn.write(response(big)) })
      yield* Effect.gen(function*() {
        const transport = yield* Transport
        const status = yield* transport.roundTripWith(request({ url: server.url("/") }), (r) => Effect.succeed(r.status))
        expect(status).toBe(200)
        yield* eventually("the unread connection closed", () => server.openSockets() === 0)
        const n = yield* transport.roundTripWith(request({ url: server.url("/") }), (r) => Body.fold(r.body, 0, (n, c) => n + c.length))
        expect(n).toBe(big.length)
        const again = yield* transport.roundTripWith(request({ url: server.url("/") }), (r) => Body.collect(r.body))
        expect(Buffer.from(again).equals(big)).toBe(true)
        expect(server.accepted()).toBe(2)
      }).pipe(Effect.provide(Transport.layer()))
      yield* server.expectAllClosed()
    }).pipe(Effect.scoped))
})

describe("request bodies", () => {
  it.live("a body shorter than its declared length fails the write as an invalid request and closes the connection", () =>
    Effect.gen(function*() {
      const server = yield* scriptedServer({ onRequest: (_req, conn) => conn.write(response("ok")) })
      const result = yield* Effect.gen(function*() {
        const transport = yield* Transport
        const body = Body.stream(Stream.make(new Uint8Array([1, 2, 3])), 5)
        return yield* Effect.either(transport.roundTripWith(request({ method: "POST", url: server.url("/"), body }), (r) => Effect.succeed(r.status)))
      }).pipe(Effect.provide(Transport.layer()))
      expect(result._tag).toBe("Left")
      if (result._tag === "Left") {
        expect(result.left).toMatchObject({ _tag: "TransportError", phase: "write", reason: "invalid-request", reused: false })
      }
      yield* server.expectAllClosed()
    }).pipe(Effect.scoped))
})
