/**
 * The Server's read and write timeouts judge progress, not length (TestClock): an event stream
 * to a client that reads lives past writeTimeout, one to a client that stops reading is cut;
 * a slow but moving upload lives past readTimeout, and only a total cap cuts it; a handler's
 * own deadlines replace the server's; a graceful shutdown says when it had to cut.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, type Duration, Effect, Exit, Fiber, Stream, TestClock } from "effect"
import * as net from "node:net"
import type { ServerService } from "../../src/server/Server.js"
import * as ServerResponse from "../../src/server/ServerResponse.js"
import { ShutdownTimeout } from "../../src/server/errors.js"
import { get, rawConnect, realSleep, startServer } from "./rawClient.js"

const connections = (server: ServerService) => Effect.map(server.stats, (s) => s.connections)

/** Waits in real time (bounded) until the server has `n` connections. */
const waitConnections = (server: ServerService, n: number, timeoutMs = 5_000) =>
  Effect.gen(function*() {
    const deadline = Date.now() + timeoutMs
    while ((yield* connections(server)) !== n && Date.now() < deadline) yield* realSleep(5)
    return yield* connections(server)
  })

/** A raw client socket that starts paused and counts what it reads while resumed. */
const pausedClient = (port: number) =>
  Effect.acquireRelease(
    Effect.async<{ socket: net.Socket; received: () => number; closed: () => boolean }>((resume) => {
      const socket = net.connect({ host: "127.0.0.1", port })
      let received = 0
      let closed = false
      socket.on("data", (chunk: Buffer) => {
        received += chunk.length
      })
      socket.on("close", () => {
        closed = true
      })
      socket.on("error", () => {})
      socket.once("connect", () => {
        socket.pause()
        resume(Effect.succeed({ socket, received: () => received, closed: () => closed }))
      })
    }),
    ({ socket }) => Effect.sync(() => socket.destroy())
  )

const MiB = 1 << 20
const EVENT = Buffer.alloc(MiB, 0x61)
const EVENTS = 30

/** An event stream: one 1 MiB event every 10 s (of the TestClock), 30 of them (5 minutes). */
const eventStream = () =>
  Effect.succeed(ServerResponse.stream(
    Stream.repeatEffect(Effect.as(Effect.sleep("10 seconds"), EVENT)).pipe(Stream.take(EVENTS)),
    { headers: { "Content-Type": "text/event-stream" } }
  ))

describe("writeTimeout judges progress (TestClock)", () => {
  it.scoped("an event stream of 5 minutes to a client that reads once a minute stays up past a 60 s writeTimeout", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ writeTimeout: "60 seconds", handler: eventStream })
      const c = yield* pausedClient(server.port)
      c.socket.write(get("/events"))
      expect(yield* waitConnections(server, 1)).toBe(1)
      yield* realSleep(20)
      for (let minute = 0; minute < 5; minute++) {
        for (let step = 0; step < 6; step++) {
          yield* TestClock.adjust("10 seconds")
          yield* realSleep(15) // the event reaches the socket
        }
        // Once a minute the client reads what has arrived.
        c.socket.resume()
        const before = c.received()
        for (let i = 0; i < 200 && (c.received() === before || c.socket.readableLength > 0); i++) yield* realSleep(5)
        yield* realSleep(50)
        c.socket.pause()
        expect(c.closed()).toBe(false)
      }
      // The rest, read as it comes (the stream lags the clock by the minutes it waited for room).
      c.socket.resume()
      for (let i = 0; i < 100 && c.received() < EVENTS * MiB; i++) {
        yield* TestClock.adjust("10 seconds")
        yield* realSleep(20)
      }
      expect(c.received()).toBeGreaterThan(EVENTS * MiB)
      expect(c.closed()).toBe(false)
    }), 30_000)

  it.scoped("a client that stops reading is cut once no byte was taken for writeTimeout", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ writeTimeout: "60 seconds", handler: eventStream })
      const c = yield* pausedClient(server.port)
      c.socket.write(get("/events"))
      expect(yield* waitConnections(server, 1)).toBe(1)
      yield* realSleep(20)
      let steps = 0
      for (; steps < EVENTS && (yield* connections(server)) === 1; steps++) {
        yield* TestClock.adjust("10 seconds")
        yield* realSleep(15)
      }
      expect(yield* waitConnections(server, 0)).toBe(0)
      // Cut well before the stream's end: kernel buffers hold a few MiB, then 60 s pass.
      expect(steps).toBeLessThan(EVENTS)
      expect(c.received()).toBeLessThan(EVENTS * MiB)
    }), 30_000)

  it.scoped("time a handler spends before answering is not a write stall", () =>
    Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      const server = yield* startServer({
        writeTimeout: "3 seconds",
        handler: () => Effect.zipRight(Deferred.succeed(started, undefined), Effect.as(Effect.sleep("10 seconds"), ServerResponse.text("late")))
      })
      const c = yield* rawConnect(server.port)
      yield* c.send(get("/"))
      yield* Deferred.await(started)
      yield* TestClock.adjust("11 seconds")
      const [r] = yield* c.responses(1)
      expect(r?.status).toBe(200)
      expect(r?.body).toBe("late")
    }))

  it.scoped("writeTotalTimeout caps the whole answer; a handler's setWriteDeadline(\"none\") lifts it", () =>
    Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      const server = yield* startServer({
        writeTotalTimeout: "3 seconds",
        handler: (req) =>
          Effect.gen(function*() {
            if (req.target === "/lifted") yield* req.setWriteDeadline("none")
            yield* Deferred.succeed(started, undefined)
            yield* Effect.sleep("10 seconds")
            return ServerResponse.text("late")
          })
      })
      const lifted = yield* rawConnect(server.port)
      yield* lifted.send(get("/lifted"))
      yield* Deferred.await(started)
      yield* TestClock.adjust("11 seconds")
      const [r] = yield* lifted.responses(1)
      expect(r?.body).toBe("late")

      const cut = yield* rawConnect(server.port)
      yield* cut.send(get("/capped"))
      yield* realSleep(50)
      yield* TestClock.adjust("4 seconds")
      expect(yield* cut.closed()).toBe(true)
      expect(cut.received()).toBe("")
    }))
})

describe("readTimeout judges progress (TestClock)", () => {
  /** Sends a 6-byte body one byte every 10 s (TestClock), then returns the response. */
  const trickle = (options: { readonly readTimeout?: Duration.DurationInput; readonly readTotalTimeout?: Duration.DurationInput; readonly lift?: boolean }) =>
    Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      const server = yield* startServer({
        ...(options.readTimeout === undefined ? {} : { readTimeout: options.readTimeout }),
        ...(options.readTotalTimeout === undefined ? {} : { readTotalTimeout: options.readTotalTimeout }),
        handler: (req) =>
          Effect.gen(function*() {
            if (options.lift === true) yield* req.setReadDeadline("none")
            yield* Deferred.succeed(started, undefined)
            const text = yield* req.text
            return ServerResponse.text(`got ${text}`)
          })
      })
      const c = yield* rawConnect(server.port)
      yield* c.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\n")
      yield* Deferred.await(started)
      for (const byte of "abcdef") {
        yield* TestClock.adjust("10 seconds")
        if (c.isEnded()) break
        yield* c.send(byte)
        yield* realSleep(20)
      }
      yield* TestClock.adjust("1 second")
      const [r] = yield* c.responses(1)
      return r
    })

  it.scoped("an upload moving at 1 byte per 10 s lives past a 30 s readTimeout (stall)", () =>
    Effect.gen(function*() {
      const r = yield* trickle({ readTimeout: "30 seconds" })
      expect(r?.status).toBe(200)
      expect(r?.body).toBe("got abcdef")
    }))

  it.scoped("the same upload is cut by a 30 s readTotalTimeout: 408", () =>
    Effect.gen(function*() {
      const r = yield* trickle({ readTimeout: "0 seconds", readTotalTimeout: "30 seconds" })
      expect(r?.status).toBe(408)
      expect(r?.header("Connection")).toBe("close")
    }))

  it.scoped("an upload at 1 byte per 10 s is cut by a 5 s readTimeout (stall): 408", () =>
    Effect.gen(function*() {
      const r = yield* trickle({ readTimeout: "5 seconds" })
      expect(r?.status).toBe(408)
    }))

  it.scoped("a handler's setReadDeadline(\"none\") lifts a 5 s readTimeout", () =>
    Effect.gen(function*() {
      const r = yield* trickle({ readTimeout: "5 seconds", lift: true })
      expect(r?.status).toBe(200)
      expect(r?.body).toBe("got abcdef")
    }))

  it.scoped("with the defaults, a body that stops arriving is answered 408 (not cut without a status line)", () =>
    Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      const server = yield* startServer({
        handler: (req) => Effect.zipRight(Deferred.succeed(started, undefined), Effect.map(req.text, (t) => ServerResponse.text(t)))
      })
      const c = yield* rawConnect(server.port)
      yield* c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
      yield* Deferred.await(started)
      yield* TestClock.adjust("61 seconds")
      const [r] = yield* c.responses(1)
      expect(r?.status).toBe(408)
      expect(yield* c.closed()).toBe(true)
    }))
})

describe("shutdown says whether it had to cut", () => {
  it.scoped("every request finished within the grace period: success", () =>
    Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      const server = yield* startServer({
        handler: () => Effect.zipRight(Deferred.succeed(started, undefined), Effect.as(Effect.sleep("1 second"), ServerResponse.text("done")))
      })
      const c = yield* rawConnect(server.port)
      yield* c.send(get("/"))
      yield* Deferred.await(started)
      const shutdown = yield* Effect.fork(server.shutdown("5 seconds"))
      yield* realSleep(20)
      yield* TestClock.adjust("2 seconds")
      const exit = yield* Fiber.await(shutdown)
      expect(Exit.isSuccess(exit)).toBe(true)
      const [r] = yield* c.responses(1)
      expect(r?.body).toBe("done")
    }))

  it.scoped("a handler still running when the time ran out: ShutdownTimeout with the count cut", () =>
    Effect.gen(function*() {
      let started = 0
      const server = yield* startServer({
        handler: () => Effect.zipRight(Effect.sync(() => started++), Effect.as(Effect.never, ServerResponse.text("never")))
      })
      const c = yield* rawConnect(server.port)
      yield* c.send(get("/"))
      const second = yield* rawConnect(server.port)
      yield* second.send(get("/second"))
      for (let i = 0; i < 500 && started < 2; i++) yield* realSleep(5)
      expect(started).toBe(2)
      const shutdown = yield* Effect.fork(server.shutdown("5 seconds"))
      yield* realSleep(20)
      yield* TestClock.adjust("6 seconds")
      const exit = yield* Fiber.await(shutdown)
      expect(Exit.isFailure(exit)).toBe(true)
      if (Exit.isFailure(exit)) {
        const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
        expect(error).toBeInstanceOf(ShutdownTimeout)
        expect(error?.interrupted).toBe(2)
        expect(error?.timeoutMs).toBe(5000)
      }
      expect(yield* c.closed()).toBe(true)
      // A second call has the first one's result.
      const again = yield* Effect.exit(server.shutdown("1 second"))
      expect(Exit.isFailure(again)).toBe(true)
    }))
})
