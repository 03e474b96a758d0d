/**
 * Per-request options of the Client (issue 19, item 2): the redirect policy and the timeout
 * given to one request win over the Client's own, without another Layer; a bad option, URL or
 * header field fails with the same typed error `Request.make` (or the Layer) gives.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Exit, Fiber, TestClock } from "effect"
import * as Body from "../../src/domain/Body.js"
import { InvalidConfig } from "../../src/domain/configErrors.js"
import { Request } from "../../src/domain/Request.js"
import type { ServerRequest } from "../../src/server/ServerRequest.js"
import * as ServerResponse from "../../src/server/ServerResponse.js"
import { HttpTest } from "../../src/testing/HttpTest.js"
import { TransportError } from "../../src/transport/errors.js"
import * as Redirect from "../../src/transport/redirect.js"
import { awaitSleepers, realSleep } from "./scripted.js"

/** /redirect answers 302 to /final; /final answers "final" and counts its visits. */
const redirecting = () => {
  const finals = { n: 0 }
  const handler = (request: ServerRequest) =>
    Effect.sync(() => {
      if (request.target === "/redirect") return ServerResponse.redirect("/final", 302)
      if (request.target === "/final") {
        finals.n++
        return ServerResponse.text("final")
      }
      return ServerResponse.status(404)
    })
  return { finals, handler }
}

const text = (body: Body.Body<TransportError>) => Effect.map(Body.collect(body), (b) => new TextDecoder().decode(b))

/** The failure of an Either, or a test failure. */
const leftOf = <A, E>(result: Either.Either<A, E>): E => {
  if (Either.isRight(result)) throw new Error("expected a failure, got a success")
  return result.left
}

describe("per-request redirect policy", () => {
  const { finals, handler } = redirecting()

  it.effect("the default policy follows; { checkRedirect: Redirect.never } on the same Client returns the 302", () =>
    Effect.gen(function*() {
      const { client, url } = yield* HttpTest
      const before = finals.n
      const followed = yield* Effect.scoped(Effect.flatMap(client.get(`${url}/redirect`), (r) => Effect.map(text(r.body), (t) => [r.status, t, r.request?.url.pathname] as const)))
      expect(followed).toEqual([200, "final", "/final"])
      expect(finals.n).toBe(before + 1)

      const kept = yield* Effect.scoped(Effect.flatMap(client.get(`${url}/redirect`, { checkRedirect: Redirect.never }), (r) =>
        Effect.map(text(r.body), () => [r.status, r.headers.get("Location")] as const)))
      expect(kept).toEqual([302, "/final"])
      expect(finals.n).toBe(before + 1)

      // The same through `do` and `execute`.
      const made = Request.make({ url: `${url}/redirect` })
      if (Either.isLeft(made)) throw made.left
      const viaDo = yield* Effect.scoped(Effect.map(client.do(made.right, { checkRedirect: Redirect.never }), (r) => r.status))
      expect(viaDo).toBe(302)
      const viaExecute = yield* Effect.scoped(Effect.map(client.execute(made.right, Effect.scope, { checkRedirect: Redirect.never }), (r) => r.status))
      expect(viaExecute).toBe(302)
      expect(finals.n).toBe(before + 1)

      // And the Client's own policy is untouched by the overrides.
      const again = yield* Effect.scoped(Effect.map(client.get(`${url}/redirect`), (r) => r.status))
      expect(again).toBe(200)
      expect(finals.n).toBe(before + 2)
    }).pipe(Effect.scoped, Effect.provide(HttpTest.server(handler))))

  it.effect("a Client that never follows follows for one request given the default policy; Redirect.limit(1) refuses the hop", () =>
    Effect.gen(function*() {
      const { client, url } = yield* HttpTest
      const own = yield* Effect.scoped(Effect.map(client.get(`${url}/redirect`), (r) => r.status))
      expect(own).toBe(302)
      const followed = yield* Effect.scoped(Effect.flatMap(client.get(`${url}/redirect`, { checkRedirect: Redirect.defaultPolicy }), (r) => text(r.body)))
      expect(followed).toBe("final")
      const limited = leftOf(yield* Effect.either(Effect.scoped(client.get(`${url}/redirect`, { checkRedirect: Redirect.limit(1) }))))
      expect(limited).toBeInstanceOf(Redirect.RedirectError)
      expect(limited).toMatchObject({ _tag: "RedirectError", reason: "too-many-redirects", status: 302 })
      // Every hop's connection went back to the pool.
      const { transport } = yield* HttpTest
      expect((yield* transport.stats).active).toBe(0)
    }).pipe(Effect.scoped, Effect.provide(HttpTest.server(handler, { client: { checkRedirect: Redirect.never } }))))
})

describe("per-request timeout", () => {
  /** Answers after waiting 5 s (of the clock the server runs on). */
  const slow = (_request: ServerRequest) => Effect.as(Effect.sleep("5 seconds"), ServerResponse.text("late"))

  it.scoped("TestClock: { timeout: \"1 second\" } fails with reason timeout; the Client's own 10 s passes", () =>
    Effect.gen(function*() {
      const { client, url } = yield* HttpTest
      const short = yield* Effect.fork(Effect.either(Effect.scoped(client.get(`${url}/slow`, { timeout: "1 second" }))))
      yield* realSleep(20)
      // The handler's 5 s sleep and the request's 1 s timer.
      yield* awaitSleepers(2)
      yield* TestClock.adjust("1 second")
      const failed = leftOf(yield* Fiber.join(short))
      expect(failed).toBeInstanceOf(TransportError)
      expect(failed).toMatchObject({ reason: "timeout", phase: "awaiting-headers" })
      expect((failed as TransportError).detail).toContain("1s")

      const long = yield* Effect.fork(Effect.scoped(Effect.flatMap(client.get(`${url}/slow`), (r) => Effect.map(text(r.body), (t) => [r.status, t] as const))))
      yield* realSleep(20)
      yield* TestClock.adjust("5 seconds")
      yield* realSleep(20)
      const done = yield* Fiber.join(long)
      expect(done).toEqual([200, "late"])
    }).pipe(Effect.provide(HttpTest.server(slow, { client: { timeout: "10 seconds" } }))))

  it.live("real time: a 50 ms per-request timeout fails against a 300 ms handler, a 0 (none) override waits", () =>
    Effect.gen(function*() {
      const { client, url } = yield* HttpTest
      const started = Date.now()
      const failed = leftOf(yield* Effect.either(Effect.scoped(client.get(`${url}/`, { timeout: "50 millis" }))))
      expect(failed).toMatchObject({ _tag: "TransportError", reason: "timeout" })
      expect(Date.now() - started).toBeLessThan(280)
      // The Client's own limit (100 ms) fails too; the override "0" means none and waits.
      const own = leftOf(yield* Effect.either(Effect.scoped(client.get(`${url}/`))))
      expect(own).toMatchObject({ _tag: "TransportError", reason: "timeout" })
      const none = yield* Effect.scoped(Effect.flatMap(client.get(`${url}/`, { timeout: 0 }), (r) => text(r.body)))
      expect(none).toBe("late")
    }).pipe(
      Effect.scoped,
      Effect.provide(HttpTest.server(() => Effect.as(Effect.sleep("300 millis"), ServerResponse.text("late")), { client: { timeout: "100 millis" } }))
    ))
})

describe("bad input has one shape", () => {
  it.effect("{ timeout: \"bad\" } fails with InvalidConfig naming the field; a negative one too; nothing is sent", () =>
    Effect.gen(function*() {
      const { client, server, url } = yield* HttpTest
      for (const timeout of ["bad", "10 parsecs", -5, Number.NaN] as const) {
        const e = leftOf(yield* Effect.either(Effect.scoped(client.get(`${url}/`, { timeout: timeout as never }))))
        expect(e, `timeout = ${String(timeout)}`).toBeInstanceOf(InvalidConfig)
        expect(e).toMatchObject({ _tag: "InvalidConfig", component: "Client", field: "timeout" })
        const post = leftOf(yield* Effect.either(Effect.scoped(client.post(`${url}/`, "x", { timeout: timeout as never }))))
        expect(post).toMatchObject({ _tag: "InvalidConfig", field: "timeout" })
      }
      expect((yield* server.stats).accepted).toBe(0)
    }).pipe(Effect.scoped, Effect.provide(HttpTest.server(() => Effect.succeed(ServerResponse.text("ok"))))))

  it.effect("client.get(\"not a url\") fails with InvalidUrl, as Request.make does; a bad header name with InvalidHeader", () =>
    Effect.gen(function*() {
      const { client, server, url } = yield* HttpTest
      const fromMake = leftOf(Request.make({ url: "not a url" }))
      expect(fromMake._tag).toBe("InvalidUrl")
      const fromGet = leftOf(yield* Effect.either(Effect.scoped(client.get("not a url"))))
      expect(fromGet._tag).toBe(fromMake._tag)
      expect(fromGet).toEqual(fromMake)
      for (const u of ["ftp://127.0.0.1/", "http://", " http://127.0.0.1/"]) {
        const made = Request.make({ url: u })
        const got = yield* Effect.either(Effect.scoped(client.get(u)))
        expect(Either.isLeft(made), u).toBe(true)
        expect(leftOf(got)._tag, u).toBe(leftOf(made)._tag)
      }

      const badHeader = { "Bad Name": "x" }
      const headerFromMake = leftOf(Request.make({ url: `${url}/`, headers: badHeader }))
      expect(headerFromMake._tag).toBe("InvalidHeader")
      const headerFromGet = leftOf(yield* Effect.either(Effect.scoped(client.get(`${url}/`, { headers: badHeader }))))
      expect(headerFromGet._tag).toBe("InvalidHeader")
      expect(headerFromGet).toEqual(headerFromMake)
      const badValue = leftOf(yield* Effect.either(Effect.scoped(client.post(`${url}/`, "x", { headers: { "X-Ok": "a\r\nb" } }))))
      expect(badValue._tag).toBe("InvalidHeader")
      expect((yield* server.stats).accepted).toBe(0)

      // A good request afterwards still goes out.
      const ok = yield* Effect.scoped(Effect.flatMap(client.get(`${url}/`), (r) => text(r.body)))
      expect(ok).toBe("ok")
    }).pipe(Effect.scoped, Effect.provide(HttpTest.server(() => Effect.succeed(ServerResponse.text("ok"))))))

  it.effect("an exit of a bad request is a failure, never a defect", () =>
    Effect.gen(function*() {
      const { client } = yield* HttpTest
      const exit = yield* Effect.exit(Effect.scoped(client.get("not a url", { timeout: "bad" as never })))
      expect(Exit.isFailure(exit)).toBe(true)
      if (Exit.isFailure(exit)) expect(exit.cause._tag).toBe("Fail")
    }).pipe(Effect.scoped, Effect.provide(HttpTest.server(() => Effect.succeed(ServerResponse.text("ok"))))))
})
