/**
 * One primitive per service (issue 19, item 1): every derived method of a Transport
 * (`roundTrip`, `roundTripWith`, `roundTripIn`) and of a Client (`do`, the verbs, `execute`)
 * behaves as the primitive, on the service itself, on one rebuilt from its primitive
 * (`fromRoundTrip` / `fromExecute`) and on one wrapped in an identity middleware (`wrap`);
 * and a middleware sees every call of every method.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, FastCheck as fc } from "effect"
import * as Body from "../../src/domain/Body.js"
import { Request } from "../../src/domain/Request.js"
import type { Response } from "../../src/domain/Response.js"
import type { ServerRequest } from "../../src/server/ServerRequest.js"
import * as ServerResponse from "../../src/server/ServerResponse.js"
import * as Arbitraries from "../../src/testing/arbitraries.js"
import { HttpTest } from "../../src/testing/HttpTest.js"
import { type ClientMiddleware, type ClientService, Client, make as makeClient } from "../../src/transport/Client.js"
import type { TransportError } from "../../src/transport/errors.js"
import { fromRoundTrip, type TransportMiddleware, wrap } from "../../src/transport/roundTrip.js"
import { Transport, type TransportService } from "../../src/transport/Transport.js"

/** How many bytes of padding the echo appends (asked for by X-Pad): 300 KiB arrives as a stream. */
const PADS = [0, 1000, 300 << 10] as const

/**
 * Answers the method, the target, how many header fields came and a probe header in header
 * fields, and the request body (followed by X-Pad bytes of padding) as the body.
 */
const echo = (request: ServerRequest) =>
  Effect.map(request.bytes, (body) => {
    const pad = Number(request.headers.get("X-Pad") ?? "0")
    const out = new Uint8Array(body.length + pad)
    out.set(body, 0)
    for (let i = 0; i < pad; i++) out[body.length + i] = 0x61 + (i % 26)
    return ServerResponse.bytes(out, {
      headers: {
        "X-Method": request.method,
        "X-Target": request.target,
        "X-Fields": String([...request.headers].length),
        "X-Probe-Echo": request.headers.get("X-Probe") ?? "(none)"
      }
    })
  }).pipe(Effect.orDie)

/** What a response is compared by. */
interface Seen {
  readonly status: number
  readonly headers: Record<string, string | undefined>
  readonly body: string
}

const INTEREST = ["X-Method", "X-Target", "X-Fields", "X-Probe-Echo", "Content-Length", "Content-Type"] as const

/** How many responses arrived with a streamed body (the 300 KiB ones), to show both kinds ran. */
const streamed = { n: 0 }

const seen = (response: Response<TransportError>): Effect.Effect<Seen, TransportError> =>
  Effect.suspend(() => {
    if (response.body._tag === "Stream") streamed.n++
    return Effect.map(Body.collect(response.body), (bytes) => ({
      status: response.status,
      headers: Object.fromEntries(INTEREST.map((name) => [name, response.headers.get(name)])),
      body: Buffer.from(bytes).toString("latin1")
    }))
  })

/** Generated requests, each with a probe header and a padding size (fixed seed: reproducible). */
const sample = (origin: string, numRuns: number): ReadonlyArray<Request> =>
  fc.sample(
    fc.tuple(Arbitraries.request(origin), fc.constantFrom(...PADS), fc.integer({ min: 0, max: 1_000_000 })),
    { numRuns, seed: 19 }
  ).map(([request, pad, probe]) => {
    request.headers.set("X-Pad", String(pad))
    request.headers.set("X-Probe", `p${probe}`)
    return request
  })

/** What the echo must have answered to `request`. */
const expected = (request: Request, body: Uint8Array) => {
  const pad = Number(request.headers.get("X-Pad"))
  return {
    method: request.method,
    target: request.url.pathname + request.url.search,
    probe: request.headers.get("X-Probe"),
    length: body.length + pad
  }
}

const checkAgainstRequest = (s: Seen, request: Request, body: Uint8Array) => {
  const e = expected(request, body)
  expect(s.status).toBe(200)
  expect(s.headers["X-Method"]).toBe(e.method)
  expect(s.headers["X-Target"]).toBe(e.target)
  expect(s.headers["X-Probe-Echo"]).toBe(e.probe)
  if (request.method === "HEAD") {
    expect(s.body).toBe("")
  } else {
    expect(s.body.length).toBe(e.length)
    expect(s.body.slice(0, body.length)).toBe(Buffer.from(body).toString("latin1"))
  }
}

/** The three ways of calling a Transport, each reading the whole body. */
const transportCalls = (transport: TransportService) => ({
  roundTrip: (request: Request) => Effect.scoped(Effect.flatMap(transport.roundTrip(request), seen)),
  roundTripWith: (request: Request) => transport.roundTripWith(request, seen),
  roundTripIn: (request: Request) => Effect.scoped(Effect.flatMap(transport.roundTripIn(request, Effect.scope), seen))
})

const noActive = (transport: TransportService, what: string) =>
  Effect.map(transport.stats, (stats) => {
    expect(stats.active, `${what}: active connections`).toBe(0)
    expect(stats.waiting, `${what}: waiting requests`).toBe(0)
  })

/** The verb of the Client matching `request`'s method, with its fields and body. */
const verbCall = (client: ClientService, request: Request, body: Uint8Array) => {
  const init = { headers: request.headers }
  switch (request.method) {
    case "GET":
      return client.get(request.url, init)
    case "HEAD":
      return client.head(request.url, init)
    case "DELETE":
      return client.delete(request.url, init)
    case "OPTIONS":
      return client.options(request.url, init)
    case "POST":
      return client.post(request.url, body, init)
    case "PUT":
      return client.put(request.url, body, init)
    case "PATCH":
      return client.patch(request.url, body, init)
    default:
      throw new Error(`no verb for ${request.method}`)
  }
}

const clientCalls = (client: ClientService) => ({
  do: (request: Request, _body: Uint8Array) => Effect.scoped(Effect.flatMap(client.do(request), seen)),
  verb: (request: Request, body: Uint8Array) => Effect.scoped(Effect.flatMap(verbCall(client, request, body), seen)),
  execute: (request: Request, _body: Uint8Array) => Effect.scoped(Effect.flatMap(client.execute(request, Effect.scope), seen))
})

describe("each derived method behaves as the primitive", () => {
  it.effect("Transport: roundTrip, roundTripWith, roundTripIn on the Transport, fromRoundTrip and wrap agree", () =>
    Effect.gen(function*() {
      const { transport, url } = yield* HttpTest
      const transports: ReadonlyArray<readonly [string, TransportService]> = [
        ["Transport", transport],
        ["fromRoundTrip", fromRoundTrip(transport.roundTripIn, { stats: transport.stats, closeIdleConnections: transport.closeIdleConnections })],
        ["wrap", wrap(transport, (next) => next)],
        ["Transport.wrap", Transport.wrap(transport, (next) => next)]
      ]
      const requests = sample(url, 25)
      expect(requests.length).toBe(25)
      const streamedBefore = streamed.n
      let compared = 0
      for (const request of requests) {
        const body = yield* Body.collect(request.body)
        let first: Seen | undefined = undefined
        for (const [name, t] of transports) {
          for (const [method, call] of Object.entries(transportCalls(t))) {
            const s = yield* call(request)
            checkAgainstRequest(s, request, body)
            if (first === undefined) first = s
            else expect(s, `${name}.${method} on ${request.method} ${request.url.href}`).toEqual(first)
            yield* noActive(transport, `${name}.${method}`)
            compared++
          }
        }
      }
      expect(compared).toBe(25 * 4 * 3)
      // Some bodies arrived whole, some streamed (a multiple of the 12 ways of calling).
      expect(streamed.n - streamedBefore).toBeGreaterThan(0)
      expect(streamed.n - streamedBefore).toBeLessThan(compared)
      expect((streamed.n - streamedBefore) % 12).toBe(0)
      // Everything went over kept-alive connections: every body was read to its end.
      const stats = yield* transport.stats
      expect(stats.dials).toBeLessThanOrEqual(2)
      expect(stats.open).toBe(stats.idle)
    }).pipe(Effect.scoped, Effect.provide(HttpTest.server(echo))))

  it.effect("Client: do, the verbs and execute on the Client, fromExecute and wrap agree", () =>
    Effect.gen(function*() {
      const { client, transport, url } = yield* HttpTest
      const clients: ReadonlyArray<readonly [string, ClientService]> = [
        ["Client", client],
        ["fromExecute", Client.fromExecute(client.execute, client.closeIdleConnections)],
        ["wrap", Client.wrap(client, (next) => next)]
      ]
      const requests = sample(url, 25)
      let compared = 0
      for (const request of requests) {
        const body = yield* Body.collect(request.body)
        let first: Seen | undefined = undefined
        for (const [name, c] of clients) {
          for (const [method, call] of Object.entries(clientCalls(c))) {
            const s = yield* call(request, body)
            checkAgainstRequest(s, request, body)
            if (first === undefined) first = s
            else expect(s, `${name}.${method} on ${request.method} ${request.url.href}`).toEqual(first)
            yield* noActive(transport, `${name}.${method}`)
            compared++
          }
        }
      }
      expect(compared).toBe(25 * 3 * 3)
    }).pipe(Effect.scoped, Effect.provide(HttpTest.server(echo))))
})

describe("a middleware sees every call", () => {
  it.effect("a TransportMiddleware counts each of the three methods' calls, and a Client over it goes through it", () =>
    Effect.gen(function*() {
      const { transport, url } = yield* HttpTest
      const calls: Array<string> = []
      const counting: TransportMiddleware = (next) => (request, scope) =>
        Effect.suspend(() => {
          calls.push(`${request.method} ${request.url.pathname}`)
          return next(request, scope)
        })
      const wrapped = Transport.wrap(transport, counting)
      const request = (path: string) => Request.make({ url: `${url}${path}` }).pipe((e) => {
        if (e._tag === "Left") throw e.left
        return e.right
      })
      const { roundTrip, roundTripIn, roundTripWith } = transportCalls(wrapped)
      expect((yield* roundTrip(request("/a"))).headers["X-Target"]).toBe("/a")
      expect(calls).toEqual(["GET /a"])
      expect((yield* roundTripWith(request("/b"))).headers["X-Target"]).toBe("/b")
      expect(calls).toEqual(["GET /a", "GET /b"])
      expect((yield* roundTripIn(request("/c"))).headers["X-Target"]).toBe("/c")
      expect(calls).toEqual(["GET /a", "GET /b", "GET /c"])
      // Middleware composes: the inner one sees each call once more.
      const twice = Transport.wrap(wrapped, counting)
      yield* twice.roundTripWith(request("/d"), seen)
      expect(calls.slice(3)).toEqual(["GET /d", "GET /d"])
      // A Client over the wrapped Transport sends every hop through it.
      const client = yield* makeClient(wrapped)
      yield* Effect.scoped(Effect.flatMap(client.post(`${url}/e`, "x"), seen))
      expect(calls.slice(5)).toEqual(["POST /e"])
      // The stats are the inner Transport's.
      expect(yield* wrapped.stats).toEqual(yield* transport.stats)
      yield* noActive(transport, "after the middleware calls")
    }).pipe(Effect.scoped, Effect.provide(HttpTest.server(echo))))

  it.effect("a ClientMiddleware counts every verb, do and execute, and passes each request's options", () =>
    Effect.gen(function*() {
      const { client, url } = yield* HttpTest
      const calls: Array<string> = []
      const counting: ClientMiddleware = (next) => (request, scope, options) =>
        Effect.suspend(() => {
          calls.push(`${request.method} ${request.url.pathname}${options?.timeout === undefined ? "" : ` timeout=${String(options.timeout)}`}`)
          return next(request, scope, options)
        })
      const wrapped = Client.wrap(client, counting)
      const one = (effect: Effect.Effect<Response<TransportError>, unknown, import("effect").Scope.Scope>) =>
        Effect.scoped(Effect.flatMap(effect, (r) => Effect.as(Body.collect(r.body), r.status)))
      const made = Request.make({ method: "PUT", url: `${url}/do` })
      if (made._tag === "Left") throw made.left
      const statuses = [
        yield* one(wrapped.get(`${url}/get`)),
        yield* one(wrapped.head(`${url}/head`)),
        yield* one(wrapped.delete(`${url}/delete`)),
        yield* one(wrapped.options(`${url}/options`)),
        yield* one(wrapped.post(`${url}/post`, "p")),
        yield* one(wrapped.put(`${url}/put`, new Uint8Array([1, 2]))),
        yield* one(wrapped.patch(`${url}/patch`, Body.text("q"))),
        yield* one(wrapped.do(made.right)),
        yield* one(wrapped.execute(made.right, Effect.scope)),
        yield* one(wrapped.get(`${url}/opts`, { timeout: "30 seconds" }))
      ]
      expect(statuses).toEqual(Array(10).fill(200))
      expect(calls).toEqual([
        "GET /get",
        "HEAD /head",
        "DELETE /delete",
        "OPTIONS /options",
        "POST /post",
        "PUT /put",
        "PATCH /patch",
        "PUT /do",
        "PUT /do",
        "GET /opts timeout=30 seconds"
      ])
      // An invalid URL fails before the middleware is reached.
      const bad = yield* Effect.either(one(wrapped.get("not a url")))
      expect(bad._tag).toBe("Left")
      expect(calls.length).toBe(10)
    }).pipe(Effect.scoped, Effect.provide(HttpTest.server(echo))))
})
