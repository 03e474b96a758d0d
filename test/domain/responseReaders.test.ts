/**
 * Readers of a response body (issue 19, item 3): `text`, `bytes`, `json`, `schemaJson`,
 * `bytesAtMost`, `textAtMost` on a `Response`, and the static scoped readers that give the
 * response a Scope of their own. On bodies that arrive whole, in chunks and truncated, and over
 * real sockets through the Transport and the Client (connection reuse and release).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Exit, Fiber, Layer, Option, Schema, Scope, Stream } from "effect"
import * as Effectable from "effect/Effectable"
import type * as net from "node:net"
import * as Body from "../../src/domain/Body.js"
import { ResponseBodyError, ResponseBodyTooLarge } from "../../src/domain/errors.js"
import { Headers } from "../../src/domain/Headers.js"
import { ScopeIn } from "../../src/domain/readers.js"
import { Request } from "../../src/domain/Request.js"
import { Response } from "../../src/domain/Response.js"
import { Client } from "../../src/transport/Client.js"
import { TransportError } from "../../src/transport/errors.js"
import { Transport } from "../../src/transport/Transport.js"
import { nodeServer } from "../support/nodeServer.js"

const u8 = (s: string) => new TextEncoder().encode(s)

const responseWith = <E = never>(body: Body.Body<E>): Response<E> =>
  new Response<E>({ status: 200, statusText: "OK", proto: "HTTP/1.1", headers: Headers.empty(), body, trailers: undefined, request: undefined })

/** `text` cut into chunks of `size` bytes (splitting multi-byte characters). */
const chunksOf = (bytes: Uint8Array, size: number): Array<Uint8Array> => {
  const out: Array<Uint8Array> = []
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size))
  return out
}

/** A one-shot body over these chunks, with a `pull` (as the Transport's) or without; counts pulls. */
const chunked = <E = never>(
  chunks: ReadonlyArray<Uint8Array>,
  options: { readonly pull?: boolean; readonly length?: number; readonly failAt?: { readonly index: number; readonly error: E } } = {}
) => {
  const state = { pulls: 0 }
  let i = 0
  const pull: Effect.Effect<Uint8Array, Option.Option<E>> = Effect.suspend(() => {
    state.pulls++
    if (options.failAt !== undefined && i === options.failAt.index) return Effect.fail(Option.some(options.failAt.error))
    if (i >= chunks.length) return Effect.fail(Option.none())
    return Effect.succeed(chunks[i++]!)
  })
  const body = options.pull === false
    ? Body.stream(Stream.repeatEffectOption(pull), options.length)
    : Body.stream(Stream.repeatEffectOption(pull), options.length, pull)
  return { body, state }
}

const truncated = new TransportError({ phase: "reading-body", reason: "closed", reused: false, method: "GET", url: "http://x/", detail: "the connection ended before the response body" })

const TEXT = "héllo, wörld € 🎉 ".repeat(500) // multi-byte characters of 2, 3 and 4 bytes
const BYTES = u8(TEXT)

describe("Response readers: a body that arrived whole (Bytes)", () => {
  it.effect("text, bytes, json", () =>
    Effect.gen(function*() {
      const r = responseWith(Body.text(TEXT))
      expect(yield* r.text).toBe(TEXT)
      expect(yield* r.bytes).toBe(r.body._tag === "Bytes" ? r.body.bytes : undefined) // not copied
      expect(yield* responseWith(Body.text(`{"a":[1,2],"b":"€"}`)).json).toEqual({ a: [1, 2], b: "€" })
      expect(yield* responseWith(Body.empty).text).toBe("")
      expect((yield* responseWith(Body.empty).bytes).length).toBe(0)
    }))

  it.effect("text drops a leading BOM and replaces invalid UTF-8", () =>
    Effect.gen(function*() {
      expect(yield* responseWith(Body.bytes(new Uint8Array([0xef, 0xbb, 0xbf, 0x61]))).text).toBe("a")
      expect(yield* responseWith(Body.bytes(new Uint8Array([0x61, 0xff, 0x62]))).text).toBe("a\uFFFDb")
    }))

  it.effect("bytesAtMost and textAtMost: within the limit, at it, past it", () =>
    Effect.gen(function*() {
      const r = responseWith(Body.text("0123456789"))
      expect(yield* r.textAtMost(100)).toBe("0123456789")
      expect(yield* r.textAtMost(10)).toBe("0123456789")
      const error = yield* Effect.flip(r.bytesAtMost(9))
      expect(error).toBeInstanceOf(ResponseBodyTooLarge)
      expect(error).toMatchObject({ _tag: "ResponseBodyTooLarge", limit: 9, received: 10, contentLength: 10 })
      expect(error.message).toContain("exceeds 9 bytes")
      expect(yield* Effect.flip(r.textAtMost(-1))).toMatchObject({ limit: 0, received: 10 })
      expect(yield* responseWith(Body.empty).textAtMost(0)).toBe("")
    }))
})

describe("Response readers: a body in chunks (Stream)", () => {
  for (const pull of [true, false]) {
    const how = pull ? "through its pull" : "through the Stream"
    it.effect(`text and bytes of 1-byte to 7-byte chunks, ${how}`, () =>
      Effect.gen(function*() {
        for (const size of [1, 2, 3, 7]) {
          expect(yield* responseWith(chunked(chunksOf(BYTES, size), { pull }).body).text).toBe(TEXT)
          const bytes = yield* responseWith(chunked(chunksOf(BYTES, size), { pull, length: BYTES.length }).body).bytes
          expect(Buffer.from(bytes).equals(Buffer.from(BYTES))).toBe(true)
        }
      }))

    it.effect(`bytesAtMost stops reading at the limit, ${how}`, () =>
      Effect.gen(function*() {
        const within = chunked(chunksOf(u8("abcdefghij"), 3), { pull })
        expect(yield* responseWith(within.body).textAtMost(10)).toBe("abcdefghij")

        const past = chunked(chunksOf(u8("abcdefghijklmnopqrstuvwxyz"), 3), { pull })
        const error = yield* Effect.flip(responseWith(past.body).bytesAtMost(10))
        expect(error).toMatchObject({ _tag: "ResponseBodyTooLarge", limit: 10, received: 12, contentLength: undefined })
        // 4 chunks pulled (12 bytes), not the 9 the body holds.
        expect(past.state.pulls).toBeLessThanOrEqual(5)
      }))

    it.effect(`json over chunks, ${how}`, () =>
      Effect.gen(function*() {
        const doc = { name: "wörld", list: Array.from({ length: 100 }, (_, i) => i) }
        expect(yield* responseWith(chunked(chunksOf(u8(JSON.stringify(doc)), 5), { pull }).body).json).toEqual(doc)
      }))
  }

  it.effect("a declared length past the limit fails before reading anything", () =>
    Effect.gen(function*() {
      const { body, state } = chunked(chunksOf(BYTES, 100), { length: BYTES.length })
      const error = yield* Effect.flip(responseWith(body).bytesAtMost(1000))
      expect(error).toMatchObject({ limit: 1000, received: 0, contentLength: BYTES.length })
      expect(error.message).toContain(`of ${BYTES.length} bytes exceeds the limit of 1000`)
      expect(state.pulls).toBe(0)
    }))

  it.effect("a Rewindable body is read through its stream", () =>
    Effect.gen(function*() {
      const body = Body.rewindable(() => Stream.fromIterable(chunksOf(BYTES, 10)))
      expect(yield* responseWith(body).text).toBe(TEXT)
      expect(yield* Effect.flip(responseWith(body).bytesAtMost(5))).toMatchObject({ limit: 5, received: 10 })
    }))
})

describe("Response readers: a truncated body", () => {
  for (const pull of [true, false]) {
    it.effect(`the stream's error comes out of every reader (${pull ? "pull" : "Stream"})`, () =>
      Effect.gen(function*() {
        const make = () => responseWith(chunked(chunksOf(BYTES, 64), { pull, failAt: { index: 5, error: truncated } }).body)
        expect(yield* Effect.flip(make().text)).toBe(truncated)
        expect(yield* Effect.flip(make().bytes)).toBe(truncated)
        expect(yield* Effect.flip(make().json)).toBe(truncated)
        expect(yield* Effect.flip(make().bytesAtMost(1 << 20))).toBe(truncated)
        expect(yield* Effect.flip(make().schemaJson(Schema.Unknown))).toBe(truncated)
        // Past the limit before the failure: the limit wins, the rest is not read.
        expect(yield* Effect.flip(make().bytesAtMost(100))).toMatchObject({ _tag: "ResponseBodyTooLarge", received: 128 })
      }))
  }
})

describe("Response readers: JSON and Schema", () => {
  const User = Schema.Struct({ id: Schema.Number, name: Schema.String })

  it.effect("schemaJson decodes a matching document", () =>
    Effect.gen(function*() {
      const r = responseWith(Body.text(`{"id":7,"name":"Ada","extra":true}`))
      expect(yield* r.schemaJson(User)).toEqual({ id: 7, name: "Ada" })
      const s = responseWith(chunked(chunksOf(u8(`{"id":8,"name":"Grace"}`), 4)).body)
      expect(yield* s.schemaJson(User)).toEqual({ id: 8, name: "Grace" })
    }))

  it.effect("invalid JSON fails with ResponseBodyError quoting the body's start", () =>
    Effect.gen(function*() {
      const html = `<html><body>${"x".repeat(200)}</body></html>`
      const error = yield* Effect.flip(responseWith(Body.text(html)).json)
      expect(error).toBeInstanceOf(ResponseBodyError)
      expect(error._tag).toBe("ResponseBodyError")
      expect(error.reason).toBe("invalid-json")
      expect(error.length).toBe(html.length)
      expect(error.excerpt).toBe(`${html.slice(0, 64)}…`)
      expect(error.detail).toMatch(/JSON/)
      expect(error.message).toContain("not valid JSON")
      const viaSchema = yield* Effect.flip(responseWith(Body.text("{")).schemaJson(User))
      expect(viaSchema).toMatchObject({ _tag: "ResponseBodyError", excerpt: "{" })
      expect(yield* Effect.flip(responseWith(Body.empty).json)).toMatchObject({ _tag: "ResponseBodyError", excerpt: "", length: 0 })
    }))

  it.effect("a document that does not fit the schema fails with a ParseError", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(responseWith(Body.text(`{"id":"seven","name":"Ada"}`)).schemaJson(User))
      expect(error._tag).toBe("ParseError")
      expect(String(error.message)).toContain("id")
    }))

  it.effect("static json and schemaJson, both ways of calling", () =>
    Effect.gen(function*() {
      const get = Effect.succeed(responseWith(Body.text(`{"id":1,"name":"Linus"}`)))
      expect(yield* Response.json(get)).toEqual({ id: 1, name: "Linus" })
      expect(yield* Response.schemaJson(User)(get)).toEqual({ id: 1, name: "Linus" })
      expect(yield* Response.schemaJson(get, User)).toEqual({ id: 1, name: "Linus" })
      expect(yield* Effect.flip(Response.schemaJson(Schema.Struct({ id: Schema.String }))(get))).toMatchObject({ _tag: "ParseError" })
    }))
})

describe("Response: the static scoped readers", () => {
  /** An effect that needs a Scope, as `client.get`: it records how its Scope closed. */
  const getIn = <E>(body: Body.Body<E>, closed: Array<Exit.Exit<unknown, unknown>>) =>
    Effect.flatMap(Effect.scope, (scope) =>
      Effect.as(Scope.addFinalizerExit(scope, (exit) => Effect.sync(() => closed.push(exit))), responseWith(body)))

  it.effect("close the Scope after the read, with its outcome", () =>
    Effect.gen(function*() {
      const closed: Array<Exit.Exit<unknown, unknown>> = []
      expect(yield* Response.text(getIn(Body.text("hi"), closed))).toBe("hi")
      expect(closed.length).toBe(1)
      expect(Exit.isSuccess(closed[0]!)).toBe(true)

      expect(new TextDecoder().decode(yield* Response.bytes(getIn(chunked(chunksOf(BYTES, 9)).body, closed)))).toBe(TEXT)
      expect(closed.length).toBe(2)

      const tooLarge = yield* Effect.flip(Response.bytesAtMost(getIn(chunked(chunksOf(BYTES, 9)).body, closed), 20))
      expect(tooLarge).toMatchObject({ _tag: "ResponseBodyTooLarge", limit: 20, received: 27 })
      expect(closed.length).toBe(3)
      expect(Exit.isFailure(closed[2]!)).toBe(true)

      expect(yield* Response.textAtMost(5)(getIn(Body.text("12345"), closed))).toBe("12345")
      expect(yield* Effect.flip(Response.textAtMost(getIn(Body.text("123456"), closed), 5))).toMatchObject({ received: 6 })
      expect(closed.length).toBe(5)
    }))

  it.effect("the effect's own failure comes out, and the Scope closes", () =>
    Effect.gen(function*() {
      const closed: Array<Exit.Exit<unknown, unknown>> = []
      const failing = Effect.zipRight(getIn(Body.empty, closed), Effect.fail("no route" as const))
      expect(yield* Effect.flip(Response.text(failing))).toBe("no route")
      expect(closed.length).toBe(1)
      const truncatedBody = chunked(chunksOf(BYTES, 64), { failAt: { index: 2, error: truncated } }).body
      expect(yield* Effect.flip(Response.text(getIn(truncatedBody, closed)))).toBe(truncated)
      expect(closed.length).toBe(2)
    }))

  it.effect("an interrupted read closes the Scope", () =>
    Effect.gen(function*() {
      const closed: Array<Exit.Exit<unknown, unknown>> = []
      const never = Body.stream(Stream.never)
      const fiber = yield* Effect.fork(Response.text(getIn(never, closed)))
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(fiber)
      expect(closed.length).toBe(1)
      expect(Exit.isInterrupted(closed[0]!)).toBe(true)
    }))

  it.effect("the read runs in the caller's context, the Scope in the effect's only", () =>
    Effect.gen(function*() {
      const outer = yield* Scope.make()
      const inner: Array<Scope.Scope> = []
      const get = Effect.map(Effect.scope, (s) => {
        inner.push(s)
        return responseWith(Body.text("x"))
      })
      yield* Response.text(get).pipe(Effect.provideService(Scope.Scope, outer))
      expect(inner[0]).not.toBe(outer)
      // The caller's Scope is back in place afterwards.
      expect(yield* Effect.scope.pipe(Effect.provideService(Scope.Scope, outer))).toBe(outer)
      yield* Scope.close(outer, Exit.void)
    }))
})

describe("Response: the static readers over an effect taking its Scope as an effect (ScopeIn, the Client's verbs)", () => {
  /** As `client.get`: asks for a Scope only when `ask` (a body still arriving), and records it. */
  class Taker<E> extends Effectable.Class<Response<E>, never, Scope.Scope> {
    constructor(
      readonly body: () => Body.Body<E>,
      readonly ask: boolean,
      readonly made: Array<Scope.Scope>,
      readonly closed: Array<Exit.Exit<unknown, unknown>>
    ) {
      super()
    }
    commit(): Effect.Effect<Response<E>, never, Scope.Scope> {
      return this[ScopeIn](Effect.scope)
    }
    [ScopeIn]<R>(scope: Effect.Effect<Scope.Scope, never, R>): Effect.Effect<Response<E>, never, R> {
      if (!this.ask) return Effect.succeed(responseWith(this.body()))
      return Effect.flatMap(scope, (s) => {
        this.made.push(s)
        return Effect.as(Scope.addFinalizerExit(s, (exit) => Effect.sync(() => this.closed.push(exit))), responseWith(this.body()))
      })
    }
  }

  it.effect("a Scope is made only when asked for, closed after the read; the same effect runs again with a new one", () =>
    Effect.gen(function*() {
      const made: Array<Scope.Scope> = []
      const closed: Array<Exit.Exit<unknown, unknown>> = []
      const whole = new Taker(() => Body.text("hi"), false, made, closed)
      expect(yield* Response.text(whole)).toBe("hi")
      expect(made.length).toBe(0)

      const streamed = Response.bytes(new Taker(() => chunked(chunksOf(BYTES, 9)).body, true, made, closed))
      expect(new TextDecoder().decode(yield* streamed)).toBe(TEXT)
      expect(new TextDecoder().decode(yield* streamed)).toBe(TEXT)
      expect(made.length).toBe(2)
      expect(made[0]).not.toBe(made[1])
      expect(closed.length).toBe(2)
      expect(closed.every(Exit.isSuccess)).toBe(true)

      // Run as an ordinary effect, it takes the Scope from the context.
      expect(yield* Effect.scoped(Effect.flatMap(whole, (r) => r.text))).toBe("hi")
    }))

  it.effect("a failed read and an interrupted one close the Scope", () =>
    Effect.gen(function*() {
      const made: Array<Scope.Scope> = []
      const closed: Array<Exit.Exit<unknown, unknown>> = []
      const truncatedBody = () => chunked(chunksOf(BYTES, 64), { failAt: { index: 2, error: truncated } }).body
      expect(yield* Effect.flip(Response.text(new Taker(truncatedBody, true, made, closed)))).toBe(truncated)
      expect(closed.length).toBe(1)
      expect(Exit.isFailure(closed[0]!)).toBe(true)

      const fiber = yield* Effect.fork(Response.text(new Taker(() => Body.stream(Stream.never), true, made, closed)))
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(fiber)
      expect(closed.length).toBe(2)
      expect(Exit.isInterrupted(closed[1]!)).toBe(true)
    }))
})

// ---------------------------------------------------------------------------------------------
// Over real sockets

/** A peer answering every request on a connection with `respond`, which writes raw bytes. */
const peer = (respond: (socket: net.Socket, path: string) => void) =>
  nodeServer((socket) => {
    let buffered = ""
    socket.on("data", (data) => {
      buffered += data.toString("latin1")
      for (;;) {
        const end = buffered.indexOf("\r\n\r\n")
        if (end < 0) return
        const head = buffered.slice(0, end)
        buffered = buffered.slice(end + 4)
        respond(socket, head.split(" ")[1] ?? "/")
      }
    })
  })

const closedSoon = (socket: net.Socket) =>
  Effect.promise(() =>
    new Promise<boolean>((resolve) => {
      if (socket.destroyed || socket.readyState === "closed") return resolve(true)
      const timer = setTimeout(() => resolve(false), 2000)
      socket.once("close", () => {
        clearTimeout(timer)
        resolve(true)
      })
    }))

const waitForStats = (transport: Transport["Type"], done: (s: Effect.Effect.Success<Transport["Type"]["stats"]>) => boolean) =>
  Effect.gen(function*() {
    for (let i = 0; i < 200; i++) {
      const s = yield* transport.stats
      if (done(s)) return s
      yield* Effect.sleep("5 millis")
    }
    return yield* transport.stats
  })

const ClientLive = Client.layer().pipe(Layer.provideMerge(Transport.layer()))

const big = "z".repeat(64 * 1024)

describe("Response readers over the Transport and the Client", () => {
  it.live("Response.text(client.get(url)) reads a body that arrived whole and one that streamed", () =>
    Effect.gen(function*() {
      const server = yield* peer((socket, path) => {
        if (path === "/small") return socket.write("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nhello, world")
        // Streamed: the head and part of the body now, the rest a little later.
        socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${big.length}\r\n\r\n${big.slice(0, 1000)}`)
        setTimeout(() => socket.write(big.slice(1000)), 10)
      })
      const client = yield* Client
      const transport = yield* Transport
      const url = `http://127.0.0.1:${server.port}`
      expect(yield* Response.text(client.get(`${url}/small`))).toBe("hello, world")
      expect(yield* Response.text(client.get(`${url}/big`))).toBe(big)
      expect((yield* Response.bytes(client.get(`${url}/big`))).length).toBe(big.length)
      const stats = yield* waitForStats(transport, (s) => s.idle === 1)
      expect(stats).toMatchObject({ idle: 1, active: 0, dials: 1, reuses: 2 })
    }).pipe(Effect.provide(ClientLive), Effect.scoped))

  it.live("a reader's effect, a verb's and execute's, built once and run again, stream each body anew", () =>
    Effect.gen(function*() {
      const server = yield* peer((socket) => {
        socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${big.length}\r\n\r\n${big.slice(0, 1000)}`)
        setTimeout(() => socket.write(big.slice(1000)), 10)
      })
      const client = yield* Client
      const transport = yield* Transport
      const url = `http://127.0.0.1:${server.port}/big`
      const read = Response.text(client.get(url))
      expect(yield* read).toBe(big)
      expect(yield* read).toBe(big)
      const request = Either.getOrThrow(Request.make({ url }))
      const executed = Response.text(client.execute(request, Effect.scope))
      expect(yield* executed).toBe(big)
      expect(yield* executed).toBe(big)
      const get = client.get(url)
      expect(yield* Effect.scoped(Effect.flatMap(get, (r) => r.text))).toBe(big)
      expect(yield* Effect.scoped(Effect.flatMap(get, (r) => r.text))).toBe(big)
      const stats = yield* waitForStats(transport, (s) => s.idle === 1)
      expect(stats).toMatchObject({ idle: 1, active: 0, dials: 1, reuses: 5 })
    }).pipe(Effect.provide(ClientLive), Effect.scoped))

  it.live("bytesAtMost past the limit closes the connection; within it, reuses it", () =>
    Effect.gen(function*() {
      const server = yield* peer((socket, path) => {
        if (path === "/chunked") {
          // No declared length: 3 chunks of 40 bytes now, the end never comes.
          return socket.write(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${`28\r\n${"c".repeat(40)}\r\n`.repeat(3)}`)
        }
        if (path === "/declared") {
          return socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n${"d".repeat(1000)}`)
        }
        socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${big.length}\r\n\r\n${big.slice(0, 10)}`)
        setTimeout(() => socket.write(big.slice(10)), 10)
      })
      const client = yield* Client
      const transport = yield* Transport
      const url = `http://127.0.0.1:${server.port}`

      // Within the limit: read to the end, the connection goes back to the pool.
      const within = yield* Response.bytesAtMost(client.get(`${url}/ok`), big.length)
      expect(within.length).toBe(big.length)
      expect(yield* waitForStats(transport, (s) => s.idle === 1)).toMatchObject({ idle: 1, open: 1, dials: 1 })

      // Past the limit (no declared length): the read stops, the connection is closed.
      const error = yield* Effect.flip(Response.bytesAtMost(50)(client.get(`${url}/chunked`)))
      expect(error).toBeInstanceOf(ResponseBodyTooLarge)
      expect(error).toMatchObject({ limit: 50, contentLength: undefined })
      expect((error as ResponseBodyTooLarge).received).toBeGreaterThan(50)
      expect(yield* closedSoon(server.sockets[0]!)).toBe(true)
      expect(yield* waitForStats(transport, (s) => s.open === 0)).toMatchObject({ idle: 0, active: 0, open: 0, reuses: 1 })

      // A declared length past the limit: nothing read, the connection closed as well.
      const declared = yield* Effect.flip(Response.textAtMost(client.get(`${url}/declared`), 1000))
      expect(declared).toMatchObject({ _tag: "ResponseBodyTooLarge", limit: 1000, received: 0, contentLength: 100000 })
      expect(server.sockets.length).toBe(2)
      expect(yield* closedSoon(server.sockets[1]!)).toBe(true)
      expect(yield* waitForStats(transport, (s) => s.open === 0)).toMatchObject({ idle: 0, open: 0, dials: 2 })

      // Within the limit again, on a new connection that is then kept.
      expect((yield* Response.bytesAtMost(client.get(`${url}/ok`), 1 << 20)).length).toBe(big.length)
      expect(yield* waitForStats(transport, (s) => s.idle === 1)).toMatchObject({ idle: 1, open: 1, dials: 3 })
    }).pipe(Effect.provide(ClientLive), Effect.scoped))

  it.live("the instance bytesAtMost past the limit closes the connection at once, with the caller's Scope still open", () =>
    Effect.gen(function*() {
      const server = yield* peer((socket, path) => {
        if (path === "/declared") return socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n${"d".repeat(1000)}`)
        // No declared length: 3 chunks of 40 bytes now, the end never comes.
        socket.write(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${`28\r\n${"c".repeat(40)}\r\n`.repeat(3)}`)
      })
      const client = yield* Client
      const transport = yield* Transport
      const url = `http://127.0.0.1:${server.port}`
      yield* Effect.scoped(Effect.gen(function*() {
        const chunked = yield* client.get(`${url}/chunked`)
        expect(yield* Effect.flip(chunked.bytesAtMost(50))).toMatchObject({ _tag: "ResponseBodyTooLarge", limit: 50 })
        expect(yield* closedSoon(server.sockets[0]!)).toBe(true)
        expect(yield* waitForStats(transport, (s) => s.open === 0)).toMatchObject({ active: 0, open: 0 })
        // A read after the release fails; it does not wait for bytes that will never be read.
        expect(yield* Effect.flip(chunked.bytes)).toMatchObject({ _tag: "TransportError", phase: "reading-body" })

        const declared = yield* client.get(`${url}/declared`)
        expect(yield* Effect.flip(declared.textAtMost(10))).toMatchObject({ _tag: "ResponseBodyTooLarge", received: 0, contentLength: 100000 })
        expect(yield* closedSoon(server.sockets[1]!)).toBe(true)
        expect(yield* waitForStats(transport, (s) => s.open === 0)).toMatchObject({ active: 0, open: 0, dials: 2 })
      }))
    }).pipe(Effect.provide(ClientLive), Effect.scoped))

  it.live("the instance readers in the caller's Scope, and JSON over the wire", () =>
    Effect.gen(function*() {
      const server = yield* peer((socket, path) => {
        const body = path === "/json" ? `{"id":3,"name":"Ken"}` : "<html>oops</html>"
        socket.write(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`)
      })
      const client = yield* Client
      const url = `http://127.0.0.1:${server.port}`
      const User = Schema.Struct({ id: Schema.Number, name: Schema.String })
      const user = yield* Effect.scoped(Effect.flatMap(client.get(`${url}/json`), (r) => r.schemaJson(User)))
      expect(user).toEqual({ id: 3, name: "Ken" })
      expect(yield* Response.schemaJson(User)(client.get(`${url}/json`))).toEqual({ id: 3, name: "Ken" })
      const bad = yield* Effect.either(Response.json(client.get(`${url}/html`)))
      expect(Either.isLeft(bad) && bad.left).toMatchObject({ _tag: "ResponseBodyError", excerpt: "<html>oops</html>" })
      const transport = yield* Transport
      expect(yield* waitForStats(transport, (s) => s.idle === 1)).toMatchObject({ idle: 1, dials: 1 })
    }).pipe(Effect.provide(ClientLive), Effect.scoped))

  it.live("a body cut off by the server: the TransportError comes out of Response.text", () =>
    Effect.gen(function*() {
      const server = yield* peer((socket) => {
        socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n${"t".repeat(100)}`)
        setTimeout(() => socket.destroy(), 10)
      })
      const client = yield* Client
      const error = yield* Effect.flip(Response.text(client.get(`http://127.0.0.1:${server.port}/`)))
      expect(error).toBeInstanceOf(TransportError)
      expect(error).toMatchObject({ _tag: "TransportError", phase: "reading-body" })
      const transport = yield* Transport
      expect(yield* waitForStats(transport, (s) => s.open === 0)).toMatchObject({ idle: 0, open: 0 })
    }).pipe(Effect.provide(ClientLive), Effect.scoped))
})
