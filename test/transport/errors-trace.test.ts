/**
 * Typed failures of a round trip and the phase each names (invalid requests before any dial,
 * a refused dial, responseHeaderTimeout on the TestClock, a malformed response), and the
 * ClientTrace hooks for a first and a reused connection.
 */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Option, TestClock } from "effect"
import * as Body from "../../src/domain/Body.js"
import { Headers } from "../../src/domain/Headers.js"
import { Request } from "../../src/domain/Request.js"
import { listen } from "../../src/net/Listener.js"
import { ClientTrace, type ClientTraceHooks } from "../../src/transport/ClientTrace.js"
import type { TransportConfig } from "../../src/transport/config.js"
import { TransportError } from "../../src/transport/errors.js"
import { Transport } from "../../src/transport/Transport.js"
import { awaitSleepers, eventually, fetch, get, pseudoRandom, realSleep, response, scriptedServer } from "./scripted.js"

const stats = Effect.flatMap(Transport, (t) => t.stats)
const withTransport = (config: TransportConfig = {}) => <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.provide(self, Transport.layer(config))

/** A request built with the constructor, which does not validate. */
const unchecked = (url: string, method: string, names: Array<string>, values: Array<string>) => {
  const u = new URL(url)
  return new Request({
    method,
    url: u,
    headers: Headers.unsafeFromArrays(names, values),
    body: Body.empty,
    host: u.host,
    proto: "HTTP/1.1",
    trailers: undefined
  })
}

describe("invalid requests fail before any connection is made", () => {
  const cases: Array<[string, string, Array<string>, Array<string>]> = [
    ["a CR LF in a header value", "GET", ["X-Bad"], ["a\r\nb"]],
    ["a NUL in a header value", "GET", ["X-Bad"], ["a\u0000b"]],
    ["a space in a header name", "GET", ["X Bad"], ["v"]],
    ["a method that is not a token", "GE T", [], []]
  ]
  for (const [name, method, names, values] of cases) {
    it.live(`${name}: phase request, reason invalid-request, nothing dialed`, () =>
      Effect.gen(function*() {
        const server = yield* scriptedServer({ onRequest: (_req, conn) => conn.write(response("should not happen")) })
        yield* Effect.gen(function*() {
          const error = yield* Effect.flip(fetch(unchecked(server.url("/"), method, names, values)))
          expect(error).toBeInstanceOf(TransportError)
          expect(error).toMatchObject({ phase: "request", reason: "invalid-request", reused: false })
          yield* realSleep(50)
          expect(server.accepted()).toBe(0)
          expect((yield* stats).dials).toBe(0)
        }).pipe(withTransport())
        yield* server.expectAllClosed()
      }).pipe(Effect.scoped))
  }
})

describe("dial failures", () => {
  it.live("a port with nothing listening: phase dial, reason refused", () =>
    Effect.gen(function*() {
      const port = yield* Effect.scoped(Effect.map(listen({ host: "127.0.0.1", port: 0 }), (l) => l.port))
      yield* Effect.gen(function*() {
        const url = `http://127.0.0.1:${port}/x`
        const error = yield* Effect.flip(get(url))
        expect(error).toBeInstanceOf(TransportError)
        expect(error).toMatchObject({ phase: "dial", reason: "refused", reused: false, method: "GET", url })
        const s = yield* stats
        expect(s.open).toBe(0)
        expect(s.dialing).toBe(0)
        expect(s.active).toBe(0)
      }).pipe(withTransport())
    }))
})

describe("responseHeaderTimeout", () => {
  it.effect("on the TestClock: a server that never answers fails awaiting-headers, timeout; the connection is closed", () =>
    Effect.gen(function*() {
      const server = yield* scriptedServer() // reads requests, never answers
      yield* Effect.gen(function*() {
        const fiber = yield* Effect.fork(get(server.url("/slow")))
        yield* eventually("the request reaches the server", () => server.requests.length === 1)
        yield* awaitSleepers()
        yield* realSleep(20)
        yield* TestClock.adjust(Duration.seconds(4))
        yield* realSleep(20)
        expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
        yield* TestClock.adjust(Duration.seconds(1))
        const error = yield* Effect.flip(Fiber.join(fiber))
        expect(error).toBeInstanceOf(TransportError)
        expect(error).toMatchObject({ phase: "awaiting-headers", reason: "timeout", reused: false })
        yield* eventually("the client closes the timed-out connection", () => server.conns[0]!.closed)
        expect(server.accepted()).toBe(1)
        const s = yield* stats
        expect(s.idle).toBe(0)
        expect(s.active).toBe(0)
      }).pipe(withTransport({ responseHeaderTimeout: "5 seconds" }))
      yield* server.expectAllClosed()
    }).pipe(Effect.scoped))
})

describe("malformed responses", () => {
  it.live("a garbage status line fails awaiting-headers, malformed, and closes the connection", () =>
    Effect.gen(function*() {
      const server = yield* scriptedServer({ onRequest: (_req, conn) => conn.write("HTTP/1.1 2x0 Nope\r\n\r\n") })
      yield* Effect.gen(function*() {
        const error = yield* Effect.flip(get(server.url("/")))
        expect(error).toMatchObject({ _tag: "TransportError", phase: "awaiting-headers", reason: "malformed" })
        yield* eventually("the client closes the connection", () => server.conns[0]!.closed)
      }).pipe(withTransport())
      yield* server.expectAllClosed()
    }).pipe(Effect.scoped))

  it.live("a body shorter than its Content-Length fails reading-body when the server closes", () =>
    Effect.gen(function*() {
      const server = yield* scriptedServer({
        onRequest: (_req, conn) => {
          conn.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this")
          setTimeout(() => conn.socket.end(), 10)
        }
      })
      yield* Effect.gen(function*() {
        const error = yield* Effect.flip(get(server.url("/")))
        // The peer's close inside the body: `closed`, with the parser's unexpected-eof as the cause.
        expect(error).toMatchObject({ _tag: "TransportError", phase: "reading-body", reason: "closed", cause: { _tag: "MalformedMessage", reason: "unexpected-eof" } })
      }).pipe(withTransport())
      yield* server.expectAllClosed()
    }).pipe(Effect.scoped))
})

describe("ClientTrace", () => {
  it.live("a first request dials, a second reuses the idle connection", () =>
    Effect.gen(function*() {
      const server = yield* scriptedServer({ onRequest: (req, conn) => conn.write(response(`ok ${req.target}`)) })
      const hostPort = `127.0.0.1:${server.port}`
      const events: Array<string> = []
      const gotConns: Array<{ reused: boolean; wasIdle: boolean; idleTimeMs: number; connId: number }> = []
      const hooks: ClientTraceHooks = {
        getConn: (hp) => events.push(`getConn ${hp}`),
        connectStart: (network, addr) => events.push(`connectStart ${network} ${addr}`),
        connectDone: (network, addr, error) => events.push(`connectDone ${network} ${addr} ${error ?? "ok"}`),
        gotConn: (info) => {
          gotConns.push({ ...info })
          events.push(`gotConn reused=${info.reused} wasIdle=${info.wasIdle}`)
        },
        wroteHeaders: () => events.push("wroteHeaders"),
        wroteRequest: (error) => events.push(`wroteRequest ${error ?? "ok"}`),
        gotFirstResponseByte: () => events.push("gotFirstResponseByte"),
        // putIdleConn is asserted on its own below.
        got100Continue: () => events.push("got100Continue"),
        got1xxResponse: (status) => events.push(`got1xxResponse ${status}`)
      }
      yield* Effect.gen(function*() {
        const traced = (path: string) => get(server.url(path)).pipe(Effect.provide(ClientTrace.layer(hooks)))
        expect((yield* traced("/1")).text).toBe("ok /1")
        expect(events).toEqual([
          `getConn ${hostPort}`,
          `connectStart tcp ${hostPort}`,
          `connectDone tcp ${hostPort} ok`,
          "gotConn reused=false wasIdle=false",
          "wroteHeaders",
          "wroteRequest ok",
          "gotFirstResponseByte"
        ])
        events.length = 0
        yield* realSleep(15)
        expect((yield* traced("/2")).text).toBe("ok /2")
        expect(events).toEqual([
          `getConn ${hostPort}`,
          "gotConn reused=true wasIdle=true",
          "wroteHeaders",
          "wroteRequest ok",
          "gotFirstResponseByte"
        ])
        expect(gotConns[0]!.idleTimeMs).toBe(0)
        expect(gotConns[1]!.idleTimeMs).toBeGreaterThanOrEqual(10)
        expect(gotConns[1]!.connId).toBe(gotConns[0]!.connId)
        // Without a ClientTrace nothing is reported.
        events.length = 0
        expect((yield* get(server.url("/3"))).text).toBe("ok /3")
        expect(events).toEqual([])
      }).pipe(withTransport())
      yield* server.expectAllClosed()
    }).pipe(Effect.scoped))

  it.live("putIdleConn reports a connection going back to the pool, and never success for one that does not", () =>
    Effect.gen(function*() {
      const big = pseudoRandom(300_000, 9)
      const server = yield* scriptedServer({
        onRequest: (req, conn) => {
          if (req.target === "/big") conn.write(response(big))
          else conn.write(response(`ok ${req.target}`, req.target === "/close" ? { Connection: "close" } : {}))
        }
      })
      const puts: Array<string | undefined> = []
      yield* Effect.gen(function*() {
        const traced = (path: string) => get(server.url(path)).pipe(Effect.provide(ClientTrace.layer({ putIdleConn: (error) => puts.push(error) })))
        // A small body that arrived whole with its head.
        expect((yield* traced("/1")).text).toBe("ok /1")
        expect(puts).toEqual([undefined])
        // A larger body read by the caller.
        expect((yield* traced("/big")).body.equals(big)).toBe(true)
        expect(puts).toEqual([undefined, undefined])
        // Connection: close: either no call or a call with an error, never success.
        expect((yield* traced("/close")).text).toBe("ok /close")
        expect(puts.slice(2).every((e) => e !== undefined)).toBe(true)
      }).pipe(withTransport())
      yield* server.expectAllClosed()
    }).pipe(Effect.scoped))

  it.live("a refused dial reports connectDone with an error", () =>
    Effect.gen(function*() {
      const port = yield* Effect.scoped(Effect.map(listen({ host: "127.0.0.1", port: 0 }), (l) => l.port))
      const done: Array<string | undefined> = []
      yield* Effect.gen(function*() {
        yield* Effect.flip(get(`http://127.0.0.1:${port}/`).pipe(
          Effect.provide(ClientTrace.layer({ connectDone: (_n, _a, error) => done.push(error) }))
        ))
        expect(done).toHaveLength(1)
        expect(typeof done[0]).toBe("string")
      }).pipe(withTransport())
    }))
})
