/**
 * The Server's timeouts on the TestClock, a client disconnect interrupting its handler, the
 * connState hook, and graceful shutdown under load: no accepted request lost, idle connections
 * closed, new connections refused.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, Option, Ref, Scope, TestClock } from "effect"
import * as net from "node:net"
import type { ConnState } from "../../src/server/config.js"
import type { ServerService } from "../../src/server/Server.js"
import * as ServerResponse from "../../src/server/ServerResponse.js"
import { get, rawConnect, realSleep, startServer } from "./rawClient.js"

/** Polls `cond` in real time (bounded), for server-side facts the test cannot await directly. */
const eventually = (cond: () => boolean, timeoutMs = 5_000): Effect.Effect<boolean> =>
  Effect.gen(function*() {
    const deadline = Date.now() + timeoutMs
    while (!cond() && Date.now() < deadline) yield* realSleep(5)
    return cond()
  })

const connections = (server: ServerService) => Effect.map(server.stats, (s) => s.connections)

const waitConnections = (server: ServerService, n: number) =>
  Effect.gen(function*() {
    const deadline = Date.now() + 5_000
    while ((yield* connections(server)) !== n && Date.now() < deadline) yield* realSleep(5)
    return yield* connections(server)
  })

describe("timeouts (TestClock)", () => {
  it.scoped("readHeaderTimeout: a head that never ends is closed without a reply", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler: () => Effect.succeed(ServerResponse.text("x")), readHeaderTimeout: "1 second" })
      const c = yield* rawConnect(server.port)
      yield* c.send("GET / HTTP/1.1\r\nHost: x\r\n")
      expect(yield* waitConnections(server, 1)).toBe(1)
      yield* TestClock.adjust("900 millis")
      expect(yield* c.closed(100)).toBe(false)
      yield* TestClock.adjust("300 millis")
      expect(yield* c.closed()).toBe(true)
      expect(c.received()).toBe("")
    }))

  it.scoped("idleTimeout: a keep-alive connection waiting for its next request is closed", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler: () => Effect.succeed(ServerResponse.text("x")), idleTimeout: "5 seconds", readHeaderTimeout: "1 second" })
      const c = yield* rawConnect(server.port)
      yield* c.send(get("/"))
      expect(yield* c.responses(1)).toHaveLength(1)
      // Longer than readHeaderTimeout: between requests only idleTimeout counts.
      yield* TestClock.adjust("4 seconds")
      expect(yield* c.closed(100)).toBe(false)
      yield* c.send(get("/again"))
      expect(yield* c.responses(1)).toHaveLength(1)
      yield* TestClock.adjust("6 seconds")
      expect(yield* c.closed()).toBe(true)
    }))

  it.scoped("readTimeout: a body that stops arriving fails the handler's read with a timeout", () =>
    Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      const server = yield* startServer({
        readTimeout: "2 seconds",
        handler: (req) =>
          Deferred.succeed(started, undefined).pipe(
            Effect.zipRight(req.text),
            Effect.map((t) => ServerResponse.text(t)),
            Effect.catchTag("RequestBodyError", (e) => Effect.succeed(ServerResponse.text(e.reason, { status: 408 })))
          )
      })
      const c = yield* rawConnect(server.port)
      yield* c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
      yield* Deferred.await(started)
      yield* TestClock.adjust("3 seconds")
      const [r] = yield* c.responses(1)
      expect(r!.status).toBe(408)
      expect(r!.body).toBe("timeout")
      expect(r!.header("Connection")).toBe("close")
      expect(yield* c.closed()).toBe(true)
    }))

  it.scoped("writeTotalTimeout: a handler that never answers is interrupted and the connection closed", () =>
    Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      const interrupted = yield* Deferred.make<void>()
      const server = yield* startServer({
        writeTotalTimeout: "3 seconds",
        handler: () => Deferred.succeed(started, undefined).pipe(Effect.zipRight(Effect.never), Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined)))
      })
      const c = yield* rawConnect(server.port)
      yield* c.send(get("/"))
      yield* Deferred.await(started)
      yield* TestClock.adjust("4 seconds")
      yield* Deferred.await(interrupted)
      expect(yield* c.closed()).toBe(true)
      expect(c.received()).toBe("")
    }))
})

describe("disconnects and connState", () => {
  it.live("a client that disconnects interrupts its handler's fiber", () =>
    Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      const interrupted = yield* Deferred.make<void>()
      const server = yield* startServer({
        handler: () => Deferred.succeed(started, undefined).pipe(Effect.zipRight(Effect.never), Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined)))
      })
      const c = yield* rawConnect(server.port)
      yield* c.send(get("/"))
      yield* Deferred.await(started)
      yield* c.destroy
      const done = yield* Deferred.await(interrupted).pipe(Effect.timeout("5 seconds"), Effect.option)
      expect(Option.isSome(done)).toBe(true)
      expect(yield* waitConnections(server, 0)).toBe(0)
    }).pipe(Effect.scoped))

  it.live("connState reports New, Active, Idle per request, then Closed; Hijacked for a hijack", () =>
    Effect.gen(function*() {
      const states = yield* Ref.make<Array<string>>([])
      const server = yield* startServer({
        handler: (req) =>
          req.target === "/hijack"
            ? Effect.scoped(Effect.as(Effect.orDie(req.hijack), ServerResponse.empty()))
            : Effect.succeed(ServerResponse.text("ok")),
        connState: (info, state: ConnState) => Ref.update(states, (s) => [...s, `${info.id}:${state}`])
      })
      const c = yield* rawConnect(server.port)
      yield* c.send(get("/1"))
      yield* c.responses(1)
      yield* c.send(get("/2"))
      yield* c.responses(1)
      yield* c.destroy
      yield* waitConnections(server, 0)
      expect(yield* Ref.get(states)).toEqual(["1:New", "1:Active", "1:Idle", "1:Active", "1:Idle", "1:Closed"])

      const h = yield* rawConnect(server.port)
      yield* h.send(get("/hijack"))
      expect(yield* h.closed()).toBe(true)
      yield* waitConnections(server, 0)
      expect((yield* Ref.get(states)).slice(6)).toEqual(["2:New", "2:Active", "2:Hijacked"])
    }).pipe(Effect.scoped))
})

/** Whether a TCP connect to `port` is refused. */
const refused = (port: number): Effect.Effect<boolean> =>
  Effect.async<boolean>((resume) => {
    const s = net.connect({ host: "127.0.0.1", port })
    s.once("connect", () => {
      s.destroy()
      resume(Effect.succeed(false))
    })
    s.once("error", () => resume(Effect.succeed(true)))
  })

describe("graceful shutdown", () => {
  it.live("under load: every accepted request is answered, idle connections closed, new ones refused", () =>
    Effect.gen(function*() {
      const release = yield* Deferred.make<void>()
      let inFlight = 0
      const scope = yield* Scope.make()
      const server = yield* startServer({
        handler: (req) =>
          req.target === "/quick"
            ? Effect.succeed(ServerResponse.text("quick"))
            : Effect.sync(() => inFlight++).pipe(Effect.zipRight(Deferred.await(release)), Effect.as(ServerResponse.text(`done ${req.target}`)))
      }).pipe(Scope.extend(scope))

      const idle = yield* rawConnect(server.port)
      yield* idle.send(get("/quick"))
      expect(yield* idle.responses(1)).toHaveLength(1)

      const N = 20
      const busy = yield* Effect.forEach(Array.from({ length: N }, (_, i) => i), () => rawConnect(server.port))
      yield* Effect.forEach(busy, (c, i) => c.send(get(`/${i}`)), { discard: true })
      expect(yield* eventually(() => inFlight === N)).toBe(true)

      const closing = yield* Effect.fork(Scope.close(scope, Exit.void))
      expect(yield* idle.closed()).toBe(true)
      expect(yield* refused(server.port)).toBe(true)
      expect(Option.isNone(yield* Fiber.poll(closing))).toBe(true)

      yield* Deferred.succeed(release, undefined)
      const answers = yield* Effect.forEach(busy, (c) => c.responses(1))
      expect(answers.map((rs) => rs[0]?.body)).toEqual(Array.from({ length: N }, (_, i) => `done /${i}`))
      expect(answers.every((rs) => rs[0]?.header("Connection") === "close")).toBe(true)
      yield* Fiber.join(closing)
      for (const c of busy) expect(yield* c.closed()).toBe(true)
    }).pipe(Effect.scoped))

  it.scoped("shutdownTimeout: a request still running when it ends is interrupted (TestClock)", () =>
    Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      const interrupted = yield* Deferred.make<void>()
      const scope = yield* Scope.make()
      const server = yield* startServer({
        shutdownTimeout: "2 seconds",
        writeTimeout: 0,
        handler: () => Deferred.succeed(started, undefined).pipe(Effect.zipRight(Effect.never), Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined)))
      }).pipe(Scope.extend(scope))
      const c = yield* rawConnect(server.port)
      yield* c.send(get("/"))
      yield* Deferred.await(started)
      const closing = yield* Effect.fork(Scope.close(scope, Exit.void))
      yield* TestClock.adjust("1 second")
      expect(Option.isNone(yield* Fiber.poll(closing))).toBe(true)
      yield* TestClock.adjust("2 seconds")
      yield* Deferred.await(interrupted)
      yield* Fiber.join(closing)
      expect(yield* c.closed()).toBe(true)
    }))
})
