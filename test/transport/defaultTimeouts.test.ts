/**
 * The Transport's default timeouts on the TestClock (undici's: 300 s for the response head,
 * 300 s of body inactivity): a server that never answers, a body that stalls, a slow body that
 * keeps moving (progress, not length, is judged), a caller that does not read (not timed out),
 * and 0 turning both off (no timer runs at all).
 */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Option, TestClock } from "effect"
import * as Body from "../../src/domain/Body.js"
import type { TransportConfig } from "../../src/transport/config.js"
import { TransportError } from "../../src/transport/errors.js"
import { Transport } from "../../src/transport/Transport.js"
import { awaitSleepers, eventually, get, realSleep, request, type ScriptedConn, scriptedServer } from "./scripted.js"

const withTransport = (config: TransportConfig = {}) => <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.provide(self, Transport.layer(config))

/** Moves the TestClock by `seconds`, with real time around it for sockets and fibers to act. */
const pass = (seconds: number) =>
  Effect.gen(function*() {
    yield* realSleep(20)
    yield* TestClock.adjust(Duration.seconds(seconds))
    yield* realSleep(20)
  })

/** A server answering every request with a 3-byte body's head and first byte only; `last()` is the newest connection (to send the rest). */
const firstByteServer = Effect.map(
  scriptedServer({ onRequest: (_req, conn) => conn.write("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\na") }),
  (server) => ({ server, last: (): ScriptedConn | undefined => server.conns[server.conns.length - 1] })
)

const pending = <A, E>(fiber: Fiber.RuntimeFiber<A, E>) => Effect.map(Fiber.poll(fiber), Option.isNone)

describe("default timeouts (300 s head, 300 s body inactivity)", () => {
  it.effect("a server that never answers: awaiting-headers, timeout at 300 s, not before", () =>
    Effect.gen(function*() {
      const server = yield* scriptedServer() // reads requests, never answers
      yield* Effect.gen(function*() {
        const fiber = yield* Effect.fork(get(server.url("/never")))
        yield* eventually("the request reaches the server", () => server.requests.length === 1)
        yield* awaitSleepers()
        yield* pass(299)
        expect(yield* pending(fiber)).toBe(true)
        yield* pass(1)
        const error = yield* Effect.flip(Fiber.join(fiber))
        expect(error).toBeInstanceOf(TransportError)
        expect(error).toMatchObject({ phase: "awaiting-headers", reason: "timeout" })
        yield* eventually("the timed-out connection is closed", () => server.conns[0]!.closed)
      }).pipe(withTransport())
      yield* server.expectAllClosed()
    }).pipe(Effect.scoped))

  it.effect("a body that stalls: reading-body, timeout after 300 s without a byte; one that moves every 200 s lives past 300 s", () =>
    Effect.gen(function*() {
      const { last, server } = yield* firstByteServer
      yield* Effect.gen(function*() {
        // Moving: a byte every 200 s, 400 s in all.
        const slow = yield* Effect.fork(get(server.url("/slow")))
        yield* eventually("the first byte is out", () => last() !== undefined)
        yield* awaitSleepers(2)
        yield* pass(200)
        last()!.write("b")
        yield* realSleep(20)
        yield* pass(200)
        expect(yield* pending(slow)).toBe(true)
        last()!.write("c")
        expect((yield* Fiber.join(slow)).text).toBe("abc")

        // Stalled: nothing after the first byte.
        const stalled = yield* Effect.fork(get(server.url("/stalled")))
        yield* eventually("the second request's first byte is out", () => server.requests.length === 2)
        yield* realSleep(20)
        yield* pass(299)
        expect(yield* pending(stalled)).toBe(true)
        yield* pass(1)
        const error = yield* Effect.flip(Fiber.join(stalled))
        expect(error).toMatchObject({ _tag: "TransportError", phase: "reading-body", reason: "timeout" })
        expect(String(error.message)).toMatch(/300000 ms/)
      }).pipe(withTransport())
      yield* server.expectAllClosed()
    }).pipe(Effect.scoped))

  it.effect("a caller that does not read is not timed out: only a read waiting for bytes is judged", () =>
    Effect.gen(function*() {
      const { last, server } = yield* firstByteServer
      yield* Effect.gen(function*() {
        const transport = yield* Transport
        const response = yield* transport.roundTrip(request({ url: server.url("/") }))
        // The caller holds the response for 1000 s without reading; the rest comes meanwhile.
        yield* pass(1000)
        last()!.write("bc")
        yield* realSleep(20)
        yield* pass(1000)
        expect(Buffer.from(yield* Body.collect(response.body)).toString("latin1")).toBe("abc")
      }).pipe(Effect.scoped, withTransport())
      yield* server.expectAllClosed()
    }).pipe(Effect.scoped))

  it.effect("0 turns both off: a silent server, and a body that stalls, are waited for as long as it takes", () =>
    Effect.gen(function*() {
      const server = yield* scriptedServer()
      yield* Effect.gen(function*() {
        const fiber = yield* Effect.fork(get(server.url("/never")))
        yield* eventually("the request reaches the server", () => server.requests.length === 1)
        yield* pass(100_000)
        expect(yield* pending(fiber)).toBe(true)
        yield* Fiber.interrupt(fiber)
        const stalled = yield* Effect.fork(get(server.url("/stalled")))
        yield* eventually("the second request reaches the server", () => server.requests.length === 2)
        server.conns[server.conns.length - 1]!.write("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\na")
        yield* realSleep(20)
        yield* pass(100_000)
        expect(yield* pending(stalled)).toBe(true)
        yield* Fiber.interrupt(stalled)
      }).pipe(withTransport({ responseHeaderTimeout: 0, bodyTimeout: 0 }))
      yield* server.expectAllClosed()
    }).pipe(Effect.scoped))
})
