/**
 * The Client's total timeout (Go's `Client.Timeout`) under the TestClock: it covers awaiting
 * the head, every redirect and reading the body, and its error says which phase ran out.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Fiber, Layer, TestClock } from "effect"
import * as Body from "../../src/domain/Body.js"
import { Client } from "../../src/transport/Client.js"
import { TransportError } from "../../src/transport/errors.js"
import { Transport } from "../../src/transport/Transport.js"
import { nodeServer } from "../support/nodeServer.js"
import { awaitSleepers, eventually, realSleep } from "./scripted.js"

/** A raw server: each request head gets `answer(requestNumber)` written back at once. */
const rawServer = (answer: (n: number) => string) => {
  let requests = 0
  return Effect.map(
    nodeServer((socket) => {
      let buffered = ""
      socket.on("data", (chunk: Buffer) => {
        buffered += chunk.toString("latin1")
        for (let i = buffered.indexOf("\r\n\r\n"); i >= 0 && requests < 100; i = buffered.indexOf("\r\n\r\n")) {
          buffered = buffered.slice(i + 4)
          socket.write(answer(requests++))
        }
      })
    }),
    (s) => ({ ...s, requests: () => requests, open: () => s.sockets.filter((socket) => !socket.destroyed).length })
  )
}

const layer = Client.layer({ timeout: "5 seconds" }).pipe(Layer.provideMerge(Transport.layer({ proxy: "none" })))


describe("Client timeout", () => {
  it.effect("fires while reading the body: phase reading-body, and the connection is closed, not reused", () =>
    Effect.gen(function*() {
      // The head and 10 of 100 bytes, then nothing.
      const s = yield* rawServer(() => "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789")
      const client = yield* Client
      const result = yield* Effect.scoped(Effect.gen(function*() {
        const response = yield* client.get(`http://127.0.0.1:${s.port}/slow`)
        expect(response.status).toBe(200)
        const fiber = yield* Effect.fork(Effect.either(Body.collect(response.body)))
        yield* realSleep(20)
        yield* awaitSleepers(1)
        yield* TestClock.adjust("4 seconds")
        expect(fiber.unsafePoll()).toBe(null)
        yield* TestClock.adjust("1 second")
        return yield* Fiber.join(fiber)
      }))
      expect(Either.isLeft(result)).toBe(true)
      const error = Either.getLeft(result).pipe((o) => o._tag === "Some" ? o.value : undefined)
      expect(error).toBeInstanceOf(TransportError)
      expect(error!.phase).toBe("reading-body")
      expect(error!.reason).toBe("timeout")
      expect(error!.detail).toBe("Client.Timeout of 5s exceeded while reading the body")
      yield* eventually("the connection closed", () => s.open() === 0)
      const stats = yield* Effect.flatMap(Transport, (t) => t.stats)
      expect(stats.open).toBe(0)
    }).pipe(Effect.scoped, Effect.provide(layer)))

  it.effect("fires while awaiting headers, across a redirect: the deadline is for the whole chain", () =>
    Effect.gen(function*() {
      // The first request is redirected at once; the second gets no answer.
      const s = yield* rawServer((n) => n === 0 ? "HTTP/1.1 302 Found\r\nLocation: /next\r\nContent-Length: 0\r\n\r\n" : "")
      const client = yield* Client
      const fiber = yield* Effect.fork(Effect.flip(Effect.scoped(client.get(`http://127.0.0.1:${s.port}/start`))))
      yield* eventually("the redirect was followed", () => s.requests() === 2)
      yield* awaitSleepers(1)
      yield* TestClock.adjust("5 seconds")
      const error = yield* Fiber.join(fiber)
      expect(error).toBeInstanceOf(TransportError)
      const e = error as TransportError
      expect(e.phase).toBe("awaiting-headers")
      expect(e.reason).toBe("timeout")
      expect(e.reused).toBe(true)
      expect(e.url).toBe(`http://127.0.0.1:${s.port}/start`)
    }).pipe(Effect.scoped, Effect.provide(layer)))

  it.effect("a response read in time is not affected", () =>
    Effect.gen(function*() {
      const s = yield* rawServer(() => "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
      const client = yield* Client
      const body = yield* Effect.scoped(Effect.flatMap(client.get(`http://127.0.0.1:${s.port}/`), (r) => Body.collect(r.body)))
      expect(Buffer.from(body).toString()).toBe("ok")
      yield* TestClock.adjust("10 seconds")
    }).pipe(Effect.scoped, Effect.provide(layer)))
})
