/**
 * The shipped middleware over real sockets (a scripted server on 127.0.0.1:0): `retry` (a Client
 * middleware) honouring Retry-After on the TestClock, never retrying what cannot be replayed,
 * returning the last response when retries run out and releasing every response it discards;
 * `defaultHeaders` and `limitResponseBody` (Transport middleware).
 */
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Clock, Effect, Fiber, Schedule, Stream, TestClock } from "effect"
import * as Body from "../../src/domain/Body.js"
import { ResponseBodyTooLarge } from "../../src/domain/errors.js"
import type { Request } from "../../src/domain/Request.js"
import * as Client from "../../src/transport/Client.js"
import { TransportError } from "../../src/transport/errors.js"
import * as Middleware from "../../src/transport/middleware.js"
import { wrap } from "../../src/transport/roundTrip.js"
import { Transport, type TransportService } from "../../src/transport/Transport.js"
import { chunk, chunkedResponse, eventually, head, realSleep, request, response, type ScriptedServer, scriptedServer } from "./scripted.js"

const DEFAULTS = { "User-Agent": "nethttp-test/1.0", "X-Default": "yes" }

/** The Transport of the test with defaultHeaders and limitResponseBody around it. */
const stackedTransport = (inner: TransportService, limit: number): TransportService =>
  wrap(inner, (next) => Middleware.defaultHeaders(DEFAULTS)(Middleware.limitResponseBody(limit)(next)))

/** A Client over the stacked Transport with `retry` around it. */
const stackedClient = (options: Middleware.RetryOptions = {}, limit = 1 << 20) =>
  Effect.gen(function*() {
    const inner = yield* Transport
    const client = yield* Client.make(stackedTransport(inner, limit))
    return { inner, client: Client.wrap(client, Middleware.retry(options)) }
  })

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString("latin1")

/** Waits (real time, bounded) until a fiber sleeps on the TestClock until exactly `at`. */
const awaitSleepUntil = (at: number) =>
  eventually(`a TestClock sleeper until ${at}`, () => Effect.map(TestClock.sleeps(), (s) => Chunk.some(s, (t) => t === at)))

/** Checks the pool holds nothing active and every open connection is idle. */
const expectPoolSettled = (transport: TransportService) =>
  Effect.gen(function*() {
    const stats = yield* transport.stats
    expect(stats.active).toBe(0)
    expect(stats.dialing).toBe(0)
    expect(stats.open).toBe(stats.idle)
  })

/** A server answering the n-th request (over all connections) with `answers[n]` (the last one after). */
const answering = (answers: ReadonlyArray<(n: number) => Buffer | "drop">) => {
  let count = 0
  return scriptedServer({
    onRequest: (_req, conn) => {
      const n = count++
      const answer = answers[Math.min(n, answers.length - 1)]!(n)
      if (answer === "drop") conn.socket.destroy()
      else conn.write(answer)
    }
  })
}

const withTransport = <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.provide(self, Transport.layer())

describe("Middleware stack: retry + defaultHeaders + limitResponseBody", () => {
  it.scoped("waits as Retry-After asks (delay-seconds, then an HTTP-date) and succeeds on the third attempt", () =>
    Effect.gen(function*() {
      const start = yield* Clock.currentTimeMillis
      const retryAt = new Date(start + 2000 + 5000).toUTCString() // an IMF-fixdate, 5 s after the second attempt
      const s = yield* answering([
        () => response("busy", { "Retry-After": "2" }, 503, "Service Unavailable"),
        () => response("slow down", { "Retry-After": retryAt }, 429, "Too Many Requests"),
        () => response("ok")
      ])
      yield* Effect.gen(function*() {
        const { client, inner } = yield* stackedClient()
        const fiber = yield* Effect.fork(Effect.scoped(Effect.flatMap(
          client.get(s.url("/r"), { headers: { "User-Agent": "mine" } }),
          (r) => Effect.map(Body.collect(r.body), (b) => ({ status: r.status, body: text(b) }))
        )))
        yield* awaitSleepUntil(start + 2000)
        expect(s.requests.length).toBe(1)
        yield* TestClock.adjust("1999 millis")
        yield* realSleep(30)
        expect(s.requests.length).toBe(1)
        yield* TestClock.adjust("1 millis")
        yield* eventually("the second attempt", () => s.requests.length === 2)
        yield* awaitSleepUntil(start + 7000)
        yield* TestClock.adjust("4999 millis")
        yield* realSleep(30)
        expect(s.requests.length).toBe(2)
        yield* TestClock.adjust("1 millis")
        const result = yield* Fiber.join(fiber)
        expect(result).toEqual({ status: 200, body: "ok" })
        expect(s.requests.length).toBe(3)
        for (const r of s.requests) {
          expect(r.method).toBe("GET")
          expect(r.headers["user-agent"]).toBe("mine") // not overridden
          expect(r.headers["x-default"]).toBe("yes") // added
        }
        // The small 503 and 429 bodies were drained: one connection served all three.
        expect(s.accepted()).toBe(1)
        yield* expectPoolSettled(inner)
      }).pipe(withTransport)
      yield* s.expectAllClosed()
    }))

  it.scoped("a Retry-After longer than maxRetryAfter is cut to it; a date in the past means no wait", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.UTC(2026, 0, 1))
      const start = yield* Clock.currentTimeMillis
      const s = yield* answering([
        () => response("busy", { "Retry-After": "3600" }, 503),
        () => response("busy", { "Retry-After": "Sun, 06 Nov 1994 08:49:37 GMT" }, 503),
        () => response("ok")
      ])
      yield* Effect.gen(function*() {
        const { client } = yield* stackedClient({ maxRetryAfter: "10 seconds" })
        const fiber = yield* Effect.fork(Effect.scoped(Effect.map(client.get(s.url("/")), (r) => r.status)))
        yield* awaitSleepUntil(start + 10_000)
        yield* TestClock.adjust("10 seconds")
        expect(yield* Fiber.join(fiber)).toBe(200)
        expect(s.requests.length).toBe(3)
      }).pipe(withTransport)
    }))

  it.scoped("without Retry-After the schedule's delays are used (default: 100, 200, 400 ms), then the last 503 is returned", () =>
    Effect.gen(function*() {
      const start = yield* Clock.currentTimeMillis
      const s = yield* answering([(n) => response(`busy ${n}`, {}, 503, "Service Unavailable")])
      yield* Effect.gen(function*() {
        const { client, inner } = yield* stackedClient()
        const fiber = yield* Effect.fork(Effect.scoped(Effect.flatMap(
          client.get(s.url("/")),
          (r) => Effect.map(Body.collect(r.body), (b) => ({ status: r.status, body: text(b) }))
        )))
        let now = start
        for (const delay of [100, 200, 400]) {
          yield* awaitSleepUntil(now + delay)
          yield* TestClock.adjust(delay)
          now += delay
        }
        expect(yield* Fiber.join(fiber)).toEqual({ status: 503, body: "busy 3" })
        expect(s.requests.length).toBe(4)
        yield* expectPoolSettled(inner)
      }).pipe(withTransport)
      yield* s.expectAllClosed()
    }))

  it.scoped("a custom schedule bounds the retries; Retry-After: 0 retries at once", () =>
    Effect.gen(function*() {
      const s = yield* answering([(n) => response(`busy ${n}`, { "Retry-After": "0" }, 429)])
      yield* Effect.gen(function*() {
        const { client } = yield* stackedClient({ schedule: Schedule.recurs(1) })
        const r = yield* Effect.scoped(Effect.flatMap(client.get(s.url("/")), (r) => Effect.map(Body.collect(r.body), (b) => [r.status, text(b)])))
        expect(r).toEqual([429, "busy 1"])
        expect(s.requests.length).toBe(2)
      }).pipe(withTransport)
    }))

  it.scoped("statuses can be chosen: a 500 is retried only when listed", () =>
    Effect.gen(function*() {
      const s = yield* answering([() => response("oops", { "Retry-After": "0" }, 500), () => response("ok")])
      yield* Effect.gen(function*() {
        const plain = (yield* stackedClient()).client
        expect(yield* Effect.scoped(Effect.map(plain.get(s.url("/a")), (r) => r.status))).toBe(500)
        expect(s.requests.length).toBe(1)
      }).pipe(withTransport)
      const t = yield* answering([() => response("oops", { "Retry-After": "0" }, 500), () => response("ok")])
      yield* Effect.gen(function*() {
        const listed = (yield* stackedClient({ statuses: [500] })).client
        expect(yield* Effect.scoped(Effect.map(listed.get(t.url("/b")), (r) => r.status))).toBe(200)
        expect(t.requests.length).toBe(2)
      }).pipe(withTransport)
    }))

  it.scoped("a POST (not replayable) is never retried", () =>
    Effect.gen(function*() {
      const s = yield* answering([() => response("busy", { "Retry-After": "0" }, 503), () => response("ok")])
      yield* Effect.gen(function*() {
        const { client } = yield* stackedClient()
        const status = yield* Effect.scoped(Effect.map(client.post(s.url("/p"), "payload"), (r) => r.status))
        expect(status).toBe(503)
        yield* realSleep(50)
        expect(s.requests.length).toBe(1)
      }).pipe(withTransport)
    }))

  it.scoped("a POST with an Idempotency-Key and a rewindable body is retried, its body sent again each time", () =>
    Effect.gen(function*() {
      const s = yield* answering([() => response("busy", { "Retry-After": "0" }, 503), () => response("ok")])
      yield* Effect.gen(function*() {
        const { client } = yield* stackedClient()
        const payload = new TextEncoder().encode("payload")
        const body = Body.rewindable(() => Stream.make(payload.subarray(0, 3), payload.subarray(3)), payload.length)
        const status = yield* Effect.scoped(
          Effect.map(client.post(s.url("/p"), body, { headers: { "Idempotency-Key": "k-1" } }), (r) => r.status)
        )
        expect(status).toBe(200)
        expect(s.requests.map((r) => `${r.method} ${r.headers["idempotency-key"]}`)).toEqual(["POST k-1", "POST k-1"])
        const bodies = s.conns.flatMap((c) => c.requests.map((r) => c.received().subarray(r.offset).toString("latin1")))
        expect(bodies.every((b) => b.includes("payload"))).toBe(true)
      }).pipe(withTransport)
    }))

  it.scoped("a GET with a one-shot stream body (not rewindable) is not retried", () =>
    Effect.gen(function*() {
      const s = yield* answering([() => response("busy", { "Retry-After": "0" }, 503), () => response("ok")])
      yield* Effect.gen(function*() {
        const { client } = yield* stackedClient()
        const payload = new TextEncoder().encode("data")
        const oneShot = request({ url: s.url("/g"), body: Body.stream(Stream.make(payload), payload.length) })
        const status = yield* Effect.scoped(Effect.map(client.do(oneShot), (r) => r.status))
        expect(status).toBe(503)
        yield* realSleep(50)
        expect(s.requests.length).toBe(1)
      }).pipe(withTransport)
    }))

  it.scoped("a TransportError (a fresh connection dropped) is retried after the schedule's delay", () =>
    Effect.gen(function*() {
      const start = yield* Clock.currentTimeMillis
      const s = yield* answering([() => "drop", () => response("ok")])
      yield* Effect.gen(function*() {
        const { client, inner } = yield* stackedClient()
        const fiber = yield* Effect.fork(Effect.scoped(Effect.map(client.get(s.url("/")), (r) => r.status)))
        yield* awaitSleepUntil(start + 100)
        yield* TestClock.adjust("100 millis")
        expect(yield* Fiber.join(fiber)).toBe(200)
        expect(s.accepted()).toBe(2)
        yield* expectPoolSettled(inner)
      }).pipe(withTransport)
    }))

  it.scoped("a TransportError is returned when retries run out", () =>
    Effect.gen(function*() {
      const s = yield* answering([() => "drop"])
      yield* Effect.gen(function*() {
        const { client } = yield* stackedClient({ schedule: Schedule.recurs(2) })
        const error = yield* Effect.flip(Effect.scoped(client.get(s.url("/"))))
        expect(error).toBeInstanceOf(TransportError)
        expect(s.accepted()).toBe(3)
      }).pipe(withTransport)
    }))

  it.scoped("a retried response whose body is large or unfinished is released: its connection closed, nothing leaked", () =>
    Effect.gen(function*() {
      const s = yield* scriptedServer({
        onRequest: (_req, conn) => {
          if (conn.index === 0) {
            // A chunked 503 that never ends: draining stops after a little, the connection is closed.
            conn.write(Buffer.concat([head({ "Transfer-Encoding": "chunked", "Retry-After": "0" }, 503), chunk("x".repeat(4096))]))
          } else if (conn.index === 1) {
            // A 503 whose Content-Length is over the drain limit: not read, closed.
            conn.write(Buffer.concat([head({ "Content-Length": "100000", "Retry-After": "0" }, 503), Buffer.alloc(1000, 120)]))
          } else conn.write(response("ok"))
        }
      })
      yield* Effect.gen(function*() {
        const { client, inner } = yield* stackedClient()
        const r = yield* Effect.scoped(Effect.flatMap(client.get(s.url("/")), (r) => Effect.map(Body.collect(r.body), (b) => [r.status, text(b)])))
        expect(r).toEqual([200, "ok"])
        expect(s.accepted()).toBe(3)
        yield* eventually("the two discarded connections closed", () => s.openSockets() <= 1)
        yield* expectPoolSettled(inner)
        const stats = yield* inner.stats
        expect(stats.open).toBe(1)
      }).pipe(withTransport)
      yield* s.expectAllClosed()
    }))

  it.scoped("the final response's body, still arriving, lives in the caller's Scope and is read after retries", () =>
    Effect.gen(function*() {
      const s = yield* answering([
        () => response("busy", { "Retry-After": "0" }, 503),
        () => chunkedResponse(["x".repeat(3000), "y".repeat(3000)])
      ])
      yield* Effect.gen(function*() {
        const { client, inner } = yield* stackedClient()
        const body = yield* Effect.scoped(Effect.gen(function*() {
          const r = yield* client.get(s.url("/"))
          yield* realSleep(20)
          return text(yield* Body.collect(r.body))
        }))
        expect(body).toBe("x".repeat(3000) + "y".repeat(3000))
        yield* expectPoolSettled(inner)
        expect(s.accepted()).toBe(1)
      }).pipe(withTransport)
    }))
})

describe("defaultHeaders", () => {
  it.scoped("adds missing fields (every value), keeps the request's own, and leaves the caller's request unchanged", () =>
    Effect.gen(function*() {
      const s = yield* answering([() => response("ok")])
      yield* Effect.gen(function*() {
        const transport = wrap(yield* Transport, Middleware.defaultHeaders({ "user-agent": "default-ua", "X-Multi": ["a", "b"], Accept: "*/*" }))
        const original = request({ url: s.url("/h"), headers: { "User-Agent": "mine" } })
        const status = yield* Effect.scoped(Effect.map(transport.roundTrip(original), (r) => r.status))
        expect(status).toBe(200)
        const seen = s.requests[0]!
        expect(seen.headers["user-agent"]).toBe("mine")
        expect(seen.headers["accept"]).toBe("*/*")
        expect(seen.rawHead).toMatch(/\r\nX-Multi: a\r\nX-Multi: b\r\n/i)
        expect(original.headers.has("X-Multi")).toBe(false)
        expect(original.headers.has("Accept")).toBe(false)
      }).pipe(withTransport)
    }))

  it.scoped("a request that has every field is passed as it is", () =>
    Effect.gen(function*() {
      const s = yield* answering([() => response("ok")])
      yield* Effect.gen(function*() {
        let seen: Request<unknown> | undefined
        const spy = wrap(yield* Transport, (next) => (request, scope) => {
          seen = request as Request<unknown>
          return next(request, scope)
        })
        const transport = wrap(spy, Middleware.defaultHeaders({ Accept: "*/*" }))
        const original = request({ url: s.url("/"), headers: { Accept: "text/plain" } })
        yield* Effect.scoped(transport.roundTrip(original))
        expect(seen).toBe(original)
        expect(s.requests[0]!.headers["accept"]).toBe("text/plain")
      }).pipe(withTransport)
    }))
})

describe("limitResponseBody", () => {
  const N = 1000

  /** A round trip through the limit whose body is read in full (or fails). */
  const read = (s: ScriptedServer, path: string) =>
    Effect.gen(function*() {
      const transport = wrap(yield* Transport, Middleware.limitResponseBody(N))
      const result = yield* Effect.scoped(Effect.flatMap(transport.roundTrip(request({ url: s.url(path) })), (r) => Effect.either(Body.collect(r.body))))
      return { result, stats: yield* transport.stats }
    })

  const tooLarge = (result: { _tag: string; left?: unknown }) => {
    expect(result._tag).toBe("Left")
    const e = result.left as TransportError
    expect(e).toBeInstanceOf(TransportError)
    expect(e.phase).toBe("reading-body")
    expect(e.reason).toBe("body-too-large")
    expect(e.cause).toBeInstanceOf(ResponseBodyTooLarge)
    return e.cause as ResponseBodyTooLarge
  }

  it.scoped("passes a body of exactly N bytes (Content-Length and chunked)", () =>
    Effect.gen(function*() {
      const s = yield* scriptedServer({
        onRequest: (req, conn) => {
          if (req.target === "/cl") conn.write(response("a".repeat(N)))
          else conn.write(chunkedResponse(["b".repeat(N - 1), "c"]))
        }
      })
      yield* Effect.gen(function*() {
        const cl = yield* read(s, "/cl")
        expect(cl.result._tag === "Right" && cl.result.right.length).toBe(N)
        const chunked = yield* read(s, "/chunked")
        expect(chunked.result._tag === "Right" && text(chunked.result.right)).toBe("b".repeat(N - 1) + "c")
        expect(chunked.stats.active).toBe(0)
        expect(s.accepted()).toBe(1) // both read to the end: the connection was reused
      }).pipe(withTransport)
    }))

  it.scoped("fails at once, reading nothing, when Content-Length is over N (small and large bodies)", () =>
    Effect.gen(function*() {
      const s = yield* scriptedServer({
        onRequest: (req, conn) => conn.write(response("a".repeat(req.target === "/small" ? N + 1 : 200_000)))
      })
      yield* Effect.gen(function*() {
        for (const [path, length] of [["/small", N + 1], ["/large", 200_000]] as const) {
          const { result, stats } = yield* read(s, path)
          const cause = tooLarge(result)
          expect(cause).toMatchObject({ limit: N, received: 0, contentLength: length })
          expect(stats.active).toBe(0)
          expect(stats.open).toBe(stats.idle)
        }
      }).pipe(withTransport)
      yield* s.expectAllClosed()
    }))

  it.scoped("fails once more than N bytes of a chunked body arrived (whole with the head, or in chunks over time)", () =>
    Effect.gen(function*() {
      const s = yield* scriptedServer({
        onRequest: (req, conn) => {
          if (req.target === "/whole") return conn.write(chunkedResponse(["a".repeat(600), "b".repeat(600), "c".repeat(600)]))
          conn.write(head({ "Transfer-Encoding": "chunked" }))
          const parts = ["a".repeat(600), "b".repeat(600), "c".repeat(600)]
          parts.forEach((part, i) => setTimeout(() => conn.write(chunk(part)), 10 * (i + 1)))
        }
      })
      yield* Effect.gen(function*() {
        for (const [path, received] of [["/whole", 1800], ["/slow", 1200]] as const) {
          const { result, stats } = yield* read(s, path)
          const cause = tooLarge(result)
          expect(cause).toMatchObject({ limit: N, received, contentLength: undefined })
          expect(stats.active).toBe(0)
          expect(stats.open).toBe(stats.idle)
        }
      }).pipe(withTransport)
      yield* s.expectAllClosed()
    }))

  it.scoped("in the stack, the Client's reader fails with the limit's TransportError", () =>
    Effect.gen(function*() {
      const s = yield* answering([() => chunkedResponse(["z".repeat(80), "z".repeat(80)])])
      yield* Effect.gen(function*() {
        const { client } = yield* stackedClient({}, 100)
        const error = yield* Effect.flip(Effect.scoped(Effect.flatMap(client.get(s.url("/")), (r) => Body.collect(r.body))))
        expect(error).toBeInstanceOf(TransportError)
        expect((error as TransportError).reason).toBe("body-too-large")
        expect(s.requests.length).toBe(1) // a body error is not retried
      }).pipe(withTransport)
    }))

  it("refuses a negative or fractional limit", () => {
    expect(() => Middleware.limitResponseBody(-1)).toThrow(RangeError)
    expect(() => Middleware.limitResponseBody(1.5)).toThrow(RangeError)
    expect(typeof Middleware.limitResponseBody(0)).toBe("function")
  })
})
