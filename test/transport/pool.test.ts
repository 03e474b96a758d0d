/**
 * The Transport's connection pool over real loopback sockets: reuse after a body read to the
 * end, a second connection while a body is unread, abandoned bodies, the per-host limit under
 * load, the idle timeout on the TestClock, a server closing an idle connection, unsolicited
 * bytes on an idle connection, `Connection: close` and `disableKeepAlives`.
 *
 * Every test builds its Transport inside the test and, once the Transport's Scope has closed,
 * asserts that the server saw every connection closed (invariant 1).
 */
import { describe, expect, it } from "@effect/vitest"
import { Context, Duration, Effect, Exit, Fiber, Layer, Scope, TestClock } from "effect"
import * as Body from "../../src/domain/Body.js"
import { Transport } from "../../src/transport/Transport.js"
import type { TransportConfig } from "../../src/transport/config.js"
import {
  chunk,
  chunkedResponse,
  eventually,
  get,
  head,
  awaitSleepers,
  pseudoRandom,
  realSleep,
  request,
  response,
  scriptedServer
} from "./scripted.js"

const stats = Effect.flatMap(Transport, (t) => t.stats)

const withTransport = (config: TransportConfig = {}) => <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.provide(self, Transport.layer(config))

describe("reuse", () => {
  it.live("a fixed-length body read to the end: the next request reuses the connection", () =>
    Effect.gen(function*() {
      const server = yield* scriptedServer({
        onRequest: (req, conn) => conn.write(response(`hello ${req.target} #${req.index}`))
      })
      yield* Effect.gen(function*() {
        const a = yield* get(server.url("/a"))
        expect(a.status).toBe(200)
        expect(a.text).toBe("hello /a #0")
        expect((yield* stats).idle).toBe(1)
        const b = yield* get(server.url("/b"))
        expect(b.text).toBe("hello /b #1")
        const s = yield* stats
        expect(s.reuses).toBe(1)
        expect(s.dials).toBe(1)
        expect(s.idle).toBe(1)
        expect(s.active).toBe(0)
        expect(server.accepted()).toBe(1)
      }).pipe(withTransport())
      yield* server.expectAllClosed()
    }).pipe(Effect.scoped))

  it.live("a chunked body read to the end: the next request reuses the connection", () =>
    Effect.gen(function*() {
      const big = pseudoRandom(70_000, 7)
      const server = yield* scriptedServer({
        onRequest: (req, conn) => {
          if (req.index === 0) conn.write(chunkedResponse(["hello, ", "chunked ", "world"]))
          else {
            // Head, chunks and the last chunk in separate writes.
            conn.write(head({ "Transfer-Encoding": "chunked" }))
            conn.write(chunk(big.subarray(0, 30_000)))
            setTimeout(() => {
              conn.write(chunk(big.subarray(30_000)))
              conn.write("0\r\n")
              setTimeout(() => conn.write("\r\n"), 5)
            }, 5)
          }
        }
      })
      yield* Effect.gen(function*() {
        const a = yield* get(server.url("/a"))
        expect(a.text).toBe("hello, chunked world")
        const b = yield* get(server.url("/b"))
        expect(b.body.equals(big)).toBe(true)
        const s = yield* stats
        expect(s.reuses).toBe(1)
        expect(s.dials).toBe(1)
        expect(server.accepted()).toBe(1)
        expect(server.requests.map((r) => r.target)).toEqual(["/a", "/b"])
      }).pipe(withTransport())
      yield* server.expectAllClosed()
    }).pipe(Effect.scoped))

  it.live("a second request while the first body is unread opens a second connection", () =>
    Effect.gen(function*() {
      // /1's body arrives in part with the head; the rest waits for the test (a small body
      // that arrives whole with its head may be buffered by the Transport, which then frees
      // the connection at once: that is not "unread").
      let rest: (() => void) | undefined
      const server = yield* scriptedServer({
        onRequest: (req, conn) => {
          if (req.target !== "/1") return conn.write(response(`body of ${req.target}`))
          conn.write(Buffer.concat([head({ "Content-Length": "10" }), Buffer.from("body ")]))
          rest = () => conn.write("of /1")
        }
      })
      yield* Effect.gen(function*() {
        const transport = yield* Transport
        yield* Effect.gen(function*() {
          const first = yield* transport.roundTrip(request({ url: server.url("/1") }))
          const second = yield* get(server.url("/2"))
          expect(second.text).toBe("body of /2")
          expect(server.accepted()).toBe(2)
          expect(server.conns[1]!.requests.map((r) => r.target)).toEqual(["/2"])
          rest!()
          expect(Buffer.from(yield* Body.collect(first.body)).toString()).toBe("body of /1")
        }).pipe(Effect.scoped)
        const s = yield* stats
        expect(s.dials).toBe(2)
        expect(s.reuses).toBe(0)
        expect(s.idle).toBe(2)
      }).pipe(withTransport())
      yield* server.expectAllClosed()
    }).pipe(Effect.scoped))
})

describe("abandoned bodies", () => {
  const abandon = (firstAnswer: (conn: { write: (d: string | Uint8Array) => void }) => void) =>
    Effect.gen(function*() {
      const server = yield* scriptedServer({
        onRequest: (req, conn) => {
          if (conn.index === 0 && req.index === 0) firstAnswer(conn)
          else conn.write(response("fresh"))
        }
      })
      yield* Effect.gen(function*() {
        const transport = yield* Transport
        yield* Effect.gen(function*() {
          const r = yield* transport.roundTrip(request({ url: server.url("/big") }))
          expect(r.status).toBe(200)
          // The Scope closes with the body unread.
        }).pipe(Effect.scoped)
        yield* eventually("the client closes the abandoned connection", () => server.conns[0]!.closed)
        const next = yield* get(server.url("/next"))
        expect(next.text).toBe("fresh")
        expect(server.accepted()).toBe(2)
        expect(server.conns[1]!.requests.map((r) => r.target)).toEqual(["/next"])
        const s = yield* stats
        expect(s.dials).toBe(2)
        expect(s.reuses).toBe(0)
      }).pipe(withTransport())
      yield* server.expectAllClosed()
    }).pipe(Effect.scoped)

  it.live("a 1 MiB body left unread closes the connection; the next request dials", () =>
    abandon((conn) => conn.write(response(pseudoRandom(1 << 20)))))

  it.live("a body whose server stalls after the head closes the connection; the next request dials", () =>
    abandon((conn) => {
      conn.write(head({ "Content-Length": String((1 << 20) + 1000) }))
      conn.write(pseudoRandom(1000))
    }))
})

describe("limits", () => {
  it.live("50 concurrent requests with maxConnsPerHost 2: never more than 2 connections", () =>
    Effect.gen(function*() {
      const server = yield* scriptedServer({
        onRequest: (req, conn) => {
          setTimeout(() => conn.write(response(`r${req.target.slice(1)}`)), 5)
        }
      })
      yield* Effect.gen(function*() {
        let maxInPool = 0
        let sampling = true
        const sampler = yield* Effect.fork(
          Effect.gen(function*() {
            for (let i = 0; i < 10_000 && sampling; i++) {
              const s = yield* stats
              for (const h of Object.values(s.hosts)) maxInPool = Math.max(maxInPool, h.idle + h.active + h.dialing)
              yield* realSleep(1)
            }
          })
        )
        const results = yield* Effect.all(
          Array.from({ length: 50 }, (_, i) => get(server.url(`/${i}`))),
          { concurrency: "unbounded" }
        )
        sampling = false
        yield* Fiber.join(sampler)
        expect(results.map((r) => r.text)).toEqual(Array.from({ length: 50 }, (_, i) => `r${i}`))
        expect(server.maxOpen()).toBeLessThanOrEqual(2)
        expect(server.accepted()).toBeLessThanOrEqual(2)
        expect(server.requests).toHaveLength(50)
        expect(maxInPool).toBeLessThanOrEqual(2)
        const s = yield* stats
        expect(s.active).toBe(0)
        expect(s.waiting).toBe(0)
        expect(s.dials).toBeLessThanOrEqual(2)
        expect(s.reuses).toBe(50 - s.dials)
      }).pipe(withTransport({ maxConnsPerHost: 2 }))
      yield* server.expectAllClosed()
    }).pipe(Effect.scoped))
})

describe("idle connections", () => {
  it.effect("idleConnTimeout on the TestClock closes an idle connection; the next request dials", () =>
    Effect.gen(function*() {
      const server = yield* scriptedServer({ onRequest: (_req, conn) => conn.write(response("ok")) })
      yield* Effect.gen(function*() {
        expect((yield* get(server.url("/1"))).text).toBe("ok")
        expect((yield* stats).idle).toBe(1)
        yield* awaitSleepers()
        yield* TestClock.adjust(Duration.seconds(9))
        yield* realSleep(20)
        expect((yield* stats).idle).toBe(1)
        expect(server.conns[0]!.closed).toBe(false)
        yield* TestClock.adjust(Duration.seconds(1))
        yield* eventually("the server sees the idle connection closed", () => server.conns[0]!.closed)
        yield* eventually("stats show no idle connection", () => Effect.map(stats, (s) => s.idle === 0))
        expect((yield* get(server.url("/2"))).text).toBe("ok")
        expect(server.accepted()).toBe(2)
        expect((yield* stats).reuses).toBe(0)
      }).pipe(withTransport({ idleConnTimeout: "10 seconds" }))
      yield* server.expectAllClosed()
    }).pipe(Effect.scoped))

  it.live("a server closing an idle connection: it leaves the pool at once, the next request dials", () =>
    Effect.gen(function*() {
      const server = yield* scriptedServer({ onRequest: (req, conn) => conn.write(response(`ok ${req.target}`)) })
      yield* Effect.gen(function*() {
        expect((yield* get(server.url("/1"))).text).toBe("ok /1")
        expect((yield* stats).idle).toBe(1)
        server.conns[0]!.socket.end() // a FIN while idle
        yield* eventually("the read loop notices the close: idle 0", () => Effect.map(stats, (s) => s.idle === 0), 1000)
        // And the client closes its side of the dead connection.
        yield* eventually("the client closes the connection the server ended", () => server.conns[0]!.closed, 1000)
        const next = yield* get(server.url("/2"))
        expect(next.text).toBe("ok /2")
        expect(server.accepted()).toBe(2)
        expect(server.conns[0]!.requests).toHaveLength(1)
      }).pipe(withTransport())
      yield* server.expectAllClosed()
    }).pipe(Effect.scoped))

  it.live("unsolicited bytes on an idle connection close it; they never become the next response", () =>
    Effect.gen(function*() {
      const server = yield* scriptedServer({ onRequest: (req, conn) => conn.write(response(`real ${req.target}`)) })
      yield* Effect.gen(function*() {
        expect((yield* get(server.url("/1"))).text).toBe("real /1")
        expect((yield* stats).idle).toBe(1)
        server.conns[0]!.write("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\njunk")
        yield* eventually("the client closes the connection that got unsolicited bytes", () => server.conns[0]!.closed)
        expect((yield* stats).idle).toBe(0)
        const next = yield* get(server.url("/2"))
        expect(next.text).toBe("real /2")
        expect(server.accepted()).toBe(2)
      }).pipe(withTransport())
      yield* server.expectAllClosed()
    }).pipe(Effect.scoped))

  it.live("closeIdleConnections closes idle connections, leaves an active one alone, and closes it when it goes idle", () =>
    Effect.gen(function*() {
      let rest: (() => void) | undefined
      const server = yield* scriptedServer({
        onRequest: (req, conn) => {
          if (req.target !== "/2") return conn.write(response(`ok ${req.target}`))
          conn.write(Buffer.concat([head({ "Content-Length": "5" }), Buffer.from("ok")]))
          rest = () => conn.write(" /2")
        }
      })
      yield* Effect.gen(function*() {
        const transport = yield* Transport
        expect((yield* get(server.url("/1"))).text).toBe("ok /1")
        yield* Effect.gen(function*() {
          // The idle connection is taken by this request; a second one dials and goes idle after.
          const active = yield* transport.roundTrip(request({ url: server.url("/2") }))
          expect((yield* get(server.url("/3"))).text).toBe("ok /3")
          expect((yield* stats).idle).toBe(1)
          yield* transport.closeIdleConnections
          expect((yield* stats).idle).toBe(0)
          yield* eventually("the idle connection is closed", () => server.conns[1]!.closed)
          expect(server.conns[0]!.closed).toBe(false)
          rest!()
          expect(Buffer.from(yield* Body.collect(active.body)).toString()).toBe("ok /2")
        }).pipe(Effect.scoped)
        // As Go's closeIdle flag: a connection going idle after closeIdleConnections, with no
        // request in between, is closed too.
        expect((yield* stats).idle).toBe(0)
        yield* eventually("the connection that went idle afterwards is closed", () => server.conns[0]!.closed)
        // A new request clears the flag: its connection stays idle after it.
        expect((yield* get(server.url("/4"))).text).toBe("ok /4")
        expect((yield* stats).idle).toBe(1)
        expect(server.accepted()).toBe(3)
      }).pipe(withTransport())
      yield* server.expectAllClosed()
    }).pipe(Effect.scoped))
})

describe("Connection: close", () => {
  it.live("a response with Connection: close: the client closes the connection and does not reuse it", () =>
    Effect.gen(function*() {
      // The server keeps its side open: closing is the client's job.
      const server = yield* scriptedServer({
        onRequest: (req, conn) => conn.write(response(`bye ${req.target}`, { Connection: "close" }))
      })
      yield* Effect.gen(function*() {
        expect((yield* get(server.url("/1"))).text).toBe("bye /1")
        yield* eventually("the client closes the connection after Connection: close", () => server.conns[0]!.closed)
        expect((yield* get(server.url("/2"))).text).toBe("bye /2")
        expect(server.accepted()).toBe(2)
        yield* eventually("the second one too", () => server.conns[1]!.closed)
        const s = yield* stats
        expect(s.idle).toBe(0)
        expect(s.reuses).toBe(0)
        expect(s.dials).toBe(2)
      }).pipe(withTransport())
      yield* server.expectAllClosed()
    }).pipe(Effect.scoped))

  it.live("disableKeepAlives: every request says Connection: close and gets a new connection", () =>
    Effect.gen(function*() {
      const server = yield* scriptedServer({ onRequest: (req, conn) => conn.write(response(`ok ${req.target}`)) })
      yield* Effect.gen(function*() {
        for (let i = 0; i < 3; i++) expect((yield* get(server.url(`/${i}`))).text).toBe(`ok /${i}`)
        expect(server.accepted()).toBe(3)
        expect(server.requests.map((r) => r.headers["connection"])).toEqual(["close", "close", "close"])
        yield* eventually("the client closed every connection", () => server.openSockets() === 0)
        const s = yield* stats
        expect(s.idle).toBe(0)
        expect(s.reuses).toBe(0)
      }).pipe(withTransport({ disableKeepAlives: true }))
      yield* server.expectAllClosed()
    }).pipe(Effect.scoped))
})

describe("the Transport's Scope", () => {
  it.live("closing it closes every connection, fails a waiting request (pool-wait, shutdown) and an unread body", () =>
    Effect.gen(function*() {
      const server = yield* scriptedServer({
        onRequest: (req, conn) => {
          if (req.target === "/stall") conn.write(head({ "Content-Length": "10" })) // and never the body
          else conn.write(response("ok"))
        }
      })
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(Transport.layer({ maxConnsPerHost: 1 }), scope)
      const transport = Context.get(context, Transport)
      const requestScope = yield* Scope.make()
      const stalled = yield* transport.roundTrip(request({ url: server.url("/stall") })).pipe(Scope.extend(requestScope))
      expect(stalled.status).toBe(200)
      const waiter = yield* Effect.fork(Effect.scoped(transport.roundTrip(request({ url: server.url("/waits") }))))
      yield* eventually("the second request waits for the only connection", () => Effect.map(transport.stats, (s) => s.waiting === 1))
      yield* Scope.close(scope, Exit.void)
      const error = yield* Effect.flip(Fiber.join(waiter).pipe(Effect.timeoutFail({ duration: "2 seconds", onTimeout: () => "waiter still waiting" as const })))
      expect(error).toMatchObject({ _tag: "TransportError", phase: "pool-wait", reason: "shutdown" })
      yield* server.expectAllClosed()
      const read = yield* Effect.either(
        Body.collect(stalled.body).pipe(Effect.timeoutFail({ duration: "2 seconds", onTimeout: () => "body read hangs" as const }))
      )
      expect(read._tag).toBe("Left")
      if (read._tag === "Left") expect(read.left).toMatchObject({ _tag: "TransportError" })
      yield* Scope.close(requestScope, Exit.void)
      expect(server.requests.map((r) => r.target)).toEqual(["/stall"])
    }).pipe(Effect.scoped))
})
