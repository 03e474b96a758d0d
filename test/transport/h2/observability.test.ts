/**
 * ClientTrace events and spans for HTTP/2 round trips: the same events as over HTTP/1.1 (a new
 * session's dial and handshake, then gotConn with `protocol: "h2"`, the writes, the first byte),
 * a reused session skipping the dial; one client span per round trip.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { TEST_CERT } from "../../../src/testing/testCert.js"
import { ClientTrace } from "../../../src/transport/ClientTrace.js"
import { Transport } from "../../../src/transport/Transport.js"
import { recordingTracer } from "../../support/recordingTracer.js"
import { request } from "../scripted.js"
import { h2peer, h2text } from "./h2peer.js"

const transport = Transport.layer({ proxy: "none", tls: { ca: TEST_CERT } })

describe("HTTP/2 observability", () => {
  it.live("ClientTrace: dial, TLS, gotConn h2, writes, first byte; a reused session skips the dial", () =>
    Effect.gen(function*() {
      const server = yield* h2peer(h2text("traced"))
      const events: Array<string> = []
      const hooks = ClientTrace.layer({
        getConn: () => events.push("getConn"),
        connectStart: () => events.push("connectStart"),
        connectDone: (_n, _a, e) => events.push("connectDone" + (e ? " " + e : "")),
        tlsHandshakeStart: () => events.push("tlsHandshakeStart"),
        tlsHandshakeDone: (e) => events.push("tlsHandshakeDone" + (e ? " " + e : "")),
        gotConn: (i) => events.push(`gotConn ${i.protocol} reused=${i.reused}`),
        wroteHeaders: () => events.push("wroteHeaders"),
        wroteRequest: (e) => events.push("wroteRequest" + (e ? " " + e : "")),
        gotFirstResponseByte: () => events.push("gotFirstResponseByte"),
        putIdleConn: () => events.push("putIdleConn")
      })
      const t = yield* Transport
      const once = t.roundTripWith(request({ url: `${server.url}/` }), (r) => Effect.succeed(r.status)).pipe(Effect.provide(hooks))
      expect(yield* once).toBe(200)
      expect(events.splice(0)).toEqual([
        "getConn",
        "connectStart",
        "connectDone",
        "tlsHandshakeStart",
        "tlsHandshakeDone",
        "gotConn h2 reused=false",
        "wroteHeaders",
        "wroteRequest",
        "gotFirstResponseByte"
      ])
      expect(yield* once).toBe(200)
      expect(events).toEqual(["getConn", "gotConn h2 reused=true", "wroteHeaders", "wroteRequest", "gotFirstResponseByte"])
    }).pipe(Effect.scoped, Effect.provide(transport)))

  it.live("a round trip over h2 is one client span, as over HTTP/1.1", () =>
    Effect.gen(function*() {
      const server = yield* h2peer(h2text("spanned"))
      const { spans, tracer } = recordingTracer()
      yield* Effect.gen(function*() {
        const t = yield* Transport
        expect(yield* t.roundTripWith(request({ url: `${server.url}/s` }), (r) => Effect.succeed(r.proto))).toBe("HTTP/2.0")
      }).pipe(Effect.withTracer(tracer), Effect.provide(transport))
      const span = spans.filter((s) => s.name === "http.client GET")
      expect(span.length).toBe(1)
      expect(span[0]!.attributes.get("url.full")).toBe(`${server.url}/s`)
      expect(span[0]!.attributes.get("network.protocol.version")).toBe("2")
    }).pipe(Effect.scoped))
})
