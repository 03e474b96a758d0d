/**
 * Retries (ARCHITECTURE.md, Lifecycles): a request is retried on a new connection only when a
 * REUSED connection was dropped by the server before the first response byte, and only when
 * the request can be replayed (GET/HEAD/OPTIONS/TRACE or an Idempotency-Key, with no body or a
 * rewindable one). A fresh connection is never retried.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import * as Body from "../../src/domain/Body.js"
import { Transport } from "../../src/transport/Transport.js"
import { TransportError } from "../../src/transport/errors.js"
import { fetch, get, realSleep, request, response, type ScriptedConn, scriptedServer, type ScriptedRequest } from "./scripted.js"

const withTransport = <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.provide(self, Transport.layer())
const stats = Effect.flatMap(Transport, (t) => t.stats)

/**
 * A server that answers the first request on connection 0 with keep-alive, then drops that
 * connection when its second request is complete (`how`); every other connection answers.
 */
const dropsSecondRequest = (how: "close" | "reset") =>
  scriptedServer({
    onRequest: (req: ScriptedRequest, conn: ScriptedConn) => {
      if (conn.index === 0 && req.index === 1) {
        if (how === "reset") conn.socket.resetAndDestroy()
        else conn.socket.destroy()
      } else conn.write(response(`ok ${req.method} ${req.target} ${req.body.toString("latin1")}`.trimEnd()))
    }
  })

describe("retry on a reused connection the server dropped", () => {
  for (const [how, what] of [["close", "closes without answering"], ["reset", "resets the connection"]] as const) {
    it.live(`a GET is retried on a new connection when the server ${what}`, () =>
      Effect.gen(function*() {
        const server = yield* dropsSecondRequest(how)
        yield* Effect.gen(function*() {
          expect((yield* get(server.url("/1"))).text).toBe("ok GET /1")
          const second = yield* get(server.url("/2"))
          expect(second.text).toBe("ok GET /2")
          expect(server.accepted()).toBe(2)
          expect(server.requests.map((r) => `${r.conn}:${r.target}`)).toEqual(["0:/1", "0:/2", "1:/2"])
        }).pipe(withTransport)
        yield* server.expectAllClosed()
      }).pipe(Effect.scoped))
  }

  it.live("a POST with a one-shot stream body is not retried: awaiting-headers (or write), reused", () =>
    Effect.gen(function*() {
      const server = yield* dropsSecondRequest("close")
      yield* Effect.gen(function*() {
        expect((yield* get(server.url("/1"))).text).toBe("ok GET /1")
        const payload = new TextEncoder().encode("payload")
        const error = yield* Effect.flip(
          fetch(request({ method: "POST", url: server.url("/2"), body: Body.stream(Stream.make(payload), payload.length) }))
        )
        expect(error).toBeInstanceOf(TransportError)
        const e = error as TransportError
        expect(["awaiting-headers", "write"]).toContain(e.phase)
        expect(["closed", "reset"]).toContain(e.reason)
        expect(e.reused).toBe(true)
        expect(e.method).toBe("POST")
        yield* realSleep(50)
        expect(server.accepted()).toBe(1)
        expect(server.requests.map((r) => `${r.conn}:${r.method} ${r.target}`)).toEqual(["0:GET /1", "0:POST /2"])
      }).pipe(withTransport)
      yield* server.expectAllClosed()
    }).pipe(Effect.scoped))

  it.live("a POST with an Idempotency-Key and a Bytes body is retried with its body", () =>
    Effect.gen(function*() {
      const server = yield* dropsSecondRequest("close")
      yield* Effect.gen(function*() {
        expect((yield* get(server.url("/1"))).text).toBe("ok GET /1")
        const second = yield* fetch(
          request({ method: "POST", url: server.url("/2"), headers: { "Idempotency-Key": "k-1" }, body: Body.text("payload") })
        )
        expect(second.text).toBe("ok POST /2 payload")
        expect(server.accepted()).toBe(2)
        const retried = server.conns[1]!.requests[0]!
        expect(retried.headers["idempotency-key"]).toBe("k-1")
        expect(retried.body.toString()).toBe("payload")
        expect(server.requests.map((r) => `${r.conn}:${r.method} ${r.target}`)).toEqual(["0:GET /1", "0:POST /2", "1:POST /2"])
      }).pipe(withTransport)
      yield* server.expectAllClosed()
    }).pipe(Effect.scoped))

  it.live("a POST with an Idempotency-Key and a rewindable body is retried with its body made afresh", () =>
    Effect.gen(function*() {
      const server = yield* dropsSecondRequest("close")
      yield* Effect.gen(function*() {
        expect((yield* get(server.url("/1"))).text).toBe("ok GET /1")
        let made = 0
        const body = Body.rewindable(() => {
          made++
          return Stream.make(new TextEncoder().encode("re"), new TextEncoder().encode("wound"))
        })
        const second = yield* fetch(request({ method: "POST", url: server.url("/2"), headers: { "Idempotency-Key": "k-2" }, body }))
        expect(second.text).toBe("ok POST /2 rewound")
        expect(server.accepted()).toBe(2)
        expect(made).toBe(2)
      }).pipe(withTransport)
      yield* server.expectAllClosed()
    }).pipe(Effect.scoped))

  it.live("a POST without an Idempotency-Key is not retried even with a Bytes body", () =>
    Effect.gen(function*() {
      const server = yield* dropsSecondRequest("close")
      yield* Effect.gen(function*() {
        expect((yield* get(server.url("/1"))).text).toBe("ok GET /1")
        const error = yield* Effect.flip(fetch(request({ method: "POST", url: server.url("/2"), body: Body.text("payload") })))
        expect(error).toMatchObject({ _tag: "TransportError", reused: true })
        expect(server.accepted()).toBe(1)
      }).pipe(withTransport)
      yield* server.expectAllClosed()
    }).pipe(Effect.scoped))
})

describe("no retry on a fresh connection", () => {
  it.live("a GET whose fresh connection is closed without an answer fails: awaiting-headers, closed, not reused", () =>
    Effect.gen(function*() {
      const server = yield* scriptedServer({ onRequest: (_req, conn) => conn.socket.destroy() })
      yield* Effect.gen(function*() {
        const error = yield* Effect.flip(get(server.url("/only")))
        expect(error).toBeInstanceOf(TransportError)
        expect(error).toMatchObject({ phase: "awaiting-headers", reason: "closed", reused: false, method: "GET", url: server.url("/only") })
        yield* realSleep(50)
        expect(server.accepted()).toBe(1)
        expect(server.requests).toHaveLength(1)
        const s = yield* stats
        expect(s.idle).toBe(0)
        expect(s.active).toBe(0)
      }).pipe(withTransport)
      yield* server.expectAllClosed()
    }).pipe(Effect.scoped))
})
