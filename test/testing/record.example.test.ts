/**
 * README's handler unit test ("Testing your services"), run as written: a request built from
 * values, the handler recorded without a socket.
 */
import { expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { ServerRequest, ServerResponse } from "../../src/server.js"
import { HttpTest } from "../../src/testing.js"

const greet = (request: ServerRequest) =>
  Effect.map(request.text, (name) => ServerResponse.text(`hello ${name}, ${request.cookie("session")?.value ?? "guest"}`))

it.effect("README: greets by name", () =>
  Effect.gen(function*() {
    const request = yield* ServerRequest.make({ method: "POST", url: "/greet", headers: { Cookie: "session=s1" }, body: "Ada" })
    const recorded = yield* HttpTest.record(greet, request)
    expect(recorded.status).toBe(200)
    expect(recorded.text).toBe("hello Ada, s1")
    expect(recorded.headers.get("Content-Length")).toBe("13")
  }))

it.effect("README: without a cookie, a guest", () =>
  Effect.gen(function*() {
    const request = yield* ServerRequest.make({ method: "POST", url: "/greet", body: "Bob" })
    const recorded = yield* HttpTest.record(greet, request)
    expect(recorded.text).toBe("hello Bob, guest")
  }))
