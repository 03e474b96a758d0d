/**
 * The static readers over a Client's verbs (`Response.text(client.get(url))`, README's idiom)
 * read the body inside the first hop's round trip (`ReadIn`, see src/domain/readers.ts) rather
 * than in a Scope of their own. These tests hold that path to what `Effect.scoped` around the
 * verb gives: the same bodies whole and streamed, redirects (with whole and streamed 3xx
 * bodies, the last response kept, a 3xx without Location), cookies and Basic authorization,
 * errors, interruption, and no connection left behind; and that a Client with middleware or a
 * request with a timeout still reads through `execute`.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Exit, Fiber, Layer, Option, Stream } from "effect"
import * as Body from "../../src/domain/Body.js"
import { InvalidUrl, ResponseBodyError } from "../../src/domain/errors.js"
import { Request } from "../../src/domain/Request.js"
import { Response } from "../../src/domain/Response.js"
import type { ServerRequest } from "../../src/server/ServerRequest.js"
import * as ServerResponse from "../../src/server/ServerResponse.js"
import { HttpTest } from "../../src/testing/HttpTest.js"
import { Client } from "../../src/transport/Client.js"
import { CookieJar } from "../../src/transport/CookieJar.js"
import * as Redirect from "../../src/transport/redirect.js"
import { eventually, realSleep } from "./scripted.js"

const KIB = 1024
const encoder = new TextEncoder()

/** `n` bytes of a repeating pattern, as text. */
const pattern = (n: number): string => {
  let s = ""
  for (let i = 0; s.length < n && i < 1_000_000; i++) s += String.fromCharCode(97 + (i % 26))
  return s.slice(0, n)
}

const BIG = pattern(256 * KIB)

/** A body in two halves with a real pause between, so that the client sees it arrive in parts. */
const streamed = (text: string, status = 200, headers: Record<string, string> = {}) =>
  ServerResponse.stream(
    Stream.concat(
      Stream.make(encoder.encode(text.slice(0, text.length >> 1))),
      Stream.fromEffect(Effect.as(realSleep(20), encoder.encode(text.slice(text.length >> 1))))
    ),
    { status, headers }
  )

const visits = { final: 0 }

const handler = (request: ServerRequest) =>
  Effect.sync(() => {
    switch (request.path) {
      case "/small":
        return ServerResponse.text("small")
      case "/big":
        return streamed(BIG)
      case "/final":
        visits.final++
        return ServerResponse.text("final")
      case "/redirect-small":
        return ServerResponse.redirect("/final", 302)
      case "/redirect-big":
        return streamed(BIG, 302, { Location: "/final" })
      case "/no-location":
        return streamed("stay here", 302)
      case "/set-cookie":
        return ServerResponse.text("set", { headers: { "Set-Cookie": "flavour=oat; Path=/" } })
      case "/echo":
        return ServerResponse.text(`${request.headers.get("Cookie") ?? "-"} ${request.headers.get("Authorization") ?? "-"}`)
      case "/slow":
        return ServerResponse.stream(Stream.concat(Stream.make(encoder.encode("first ")), Stream.fromEffect(Effect.as(realSleep(1000), encoder.encode("never")))))
      case "/not-json":
        return ServerResponse.text("not json")
      default:
        return ServerResponse.status(404)
    }
  })

/** Waits until the Transport holds no connection for a request (none active, none waiting). */
const stats = Effect.flatMap(HttpTest, (t) => t.transport.stats)
const settled = eventually("no active connection", () => Effect.map(stats, (s) => s.active === 0 && s.waiting === 0))

/** What `Effect.scoped` around the verb reads: the reference for the static readers. */
const scopedText = <E, R>(effect: Effect.Effect<Response<E>, unknown, R>) =>
  Effect.scoped(Effect.flatMap(effect, (r) => Effect.map(Body.collect(r.body), (b) => new TextDecoder().decode(b))))

describe("the static readers over a Client's verbs", () => {
  it.live("read bodies that arrived whole and bodies streamed in parts as Effect.scoped does; connections go back to the pool", () =>
    Effect.gen(function*() {
      const { client, url } = yield* HttpTest
      for (const path of ["/small", "/big"] as const) {
        const read = yield* Response.text(client.get(url + path))
        expect(read).toBe(yield* scopedText(client.get(url + path)))
        expect(read.length).toBe(path === "/big" ? BIG.length : 5)
        expect((yield* Response.bytes(client.get(url + path))).length).toBe(read.length)
      }
      yield* settled
      const pool = yield* stats
      // Four whole reads of each path over one kept-alive connection at a time.
      expect(pool.idle).toBe(1)
      expect(pool.dials).toBe(1)
    }).pipe(Effect.scoped, Effect.provide(HttpTest.server(handler))))

  it.live("do takes the same path as the verbs", () =>
    Effect.gen(function*() {
      const { client, url } = yield* HttpTest
      const request = Either.getOrThrow(Request.make({ url: url + "/big" }))
      expect(yield* Response.text(client.do(request))).toBe(BIG)
      expect(yield* Response.text(client.do(request, { checkRedirect: Redirect.never }))).toBe(BIG)
      yield* settled
    }).pipe(Effect.scoped, Effect.provide(HttpTest.server(handler))))

  it.live("follow redirects whose bodies arrived whole or streamed; the chain's connections are all released", () =>
    Effect.gen(function*() {
      const { client, url } = yield* HttpTest
      const before = visits.final
      expect(yield* Response.text(client.get(url + "/redirect-small"))).toBe("final")
      expect(yield* Response.text(client.get(url + "/redirect-big"))).toBe("final")
      expect(visits.final).toBe(before + 2)
      yield* settled
      expect((yield* stats).idle).toBeGreaterThan(0)
    }).pipe(Effect.scoped, Effect.provide(HttpTest.server(handler))))

  it.live("keep the last response (Redirect.never, a 3xx without Location) with its whole streamed body", () =>
    Effect.gen(function*() {
      const { client, url } = yield* HttpTest
      const before = visits.final
      expect(yield* Response.text(client.get(url + "/redirect-big", { checkRedirect: Redirect.never }))).toBe(BIG)
      expect(yield* Response.text(client.get(url + "/no-location"))).toBe("stay here")
      expect(visits.final).toBe(before)
      yield* settled
    }).pipe(Effect.scoped, Effect.provide(HttpTest.server(handler))))

  it.live("store a response's cookies in the jar and send them, with Basic authorization from the URL", () =>
    Effect.gen(function*() {
      const { client, url } = yield* HttpTest
      expect(yield* Response.text(client.get(url + "/set-cookie"))).toBe("set")
      const withUser = url.replace("http://", "http://ann:secret@")
      expect(yield* Response.text(client.get(withUser + "/echo"))).toBe(`flavour=oat Basic ${Buffer.from("ann:secret").toString("base64")}`)
    }).pipe(Effect.scoped, Effect.provide(Layer.unwrapEffect(Effect.map(CookieJar.make(), (jar) => HttpTest.server(handler, { client: { jar } }))))))

  it.live("fail with the reader's and the request's typed errors, leaving no connection behind", () =>
    Effect.gen(function*() {
      const { client, url } = yield* HttpTest
      const badJson = yield* Effect.flip(Response.json(client.get(url + "/not-json")))
      expect(badJson).toBeInstanceOf(ResponseBodyError)
      const badUrl = yield* Effect.flip(Response.text(client.get("not a url")))
      expect(badUrl).toBeInstanceOf(InvalidUrl)
      const tooLarge = yield* Effect.flip(Response.bytesAtMost(client.get(url + "/big"), 1000))
      expect(tooLarge._tag).toBe("ResponseBodyTooLarge")
      yield* settled
    }).pipe(Effect.scoped, Effect.provide(HttpTest.server(handler))))

  it.live("an interrupted read closes the connection it held", () =>
    Effect.gen(function*() {
      const { client, url } = yield* HttpTest
      const fiber = yield* Effect.fork(Response.text(client.get(url + "/slow")))
      yield* eventually("the request active", () => Effect.map(stats, (s) => s.active === 1))
      yield* realSleep(20)
      const exit = yield* Fiber.interrupt(fiber)
      expect(Exit.isInterrupted(exit)).toBe(true)
      yield* settled
      yield* eventually("the connection closed", () => Effect.map(stats, (s) => s.open === 0))
    }).pipe(Effect.scoped, Effect.provide(HttpTest.server(handler))))

  it.live("a Client with middleware reads through its execute; a request with a timeout through the timed path", () =>
    Effect.gen(function*() {
      const { client, url } = yield* HttpTest
      const seen: Array<string> = []
      const wrapped = Client.wrap(client, (next) => (request, scope, options) => {
        seen.push(request.url.pathname)
        return next(request, scope, options)
      })
      expect(yield* Response.text(wrapped.get(url + "/big"))).toBe(BIG)
      expect(yield* Response.text(wrapped.get(url + "/redirect-small"))).toBe("final")
      expect(seen).toEqual(["/big", "/redirect-small"])
      expect(yield* Response.text(client.get(url + "/big", { timeout: "5 seconds" }))).toBe(BIG)
      yield* settled
    }).pipe(Effect.scoped, Effect.provide(HttpTest.server(handler))))

  it.live("a URL its verbs parsed once is parsed again when a response's request URL was changed in place", () =>
    Effect.gen(function*() {
      const { client, url } = yield* HttpTest
      const first = yield* Effect.scoped(client.get(url + "/small"))
      const shared = Option.getOrThrow(Option.fromNullable(first.request)).url
      shared.pathname = "/final" // read-only by contract; the Client does not trust it
      expect(yield* Response.text(client.get(url + "/small"))).toBe("small")
    }).pipe(Effect.scoped, Effect.provide(HttpTest.server(handler))))
})
