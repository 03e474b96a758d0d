/**
 * `InvalidResponse` (serverResponse.ts): a response HTTP cannot carry is a tagged error with its
 * facts in fields, and the server answers such a response 500 and goes on.
 */
import { HttpClient, HttpRouter, HttpServer, HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Layer } from "effect"
import * as NetHttpClient from "../../src/platform/HttpClient.js"
import * as NetHttpServer from "../../src/platform/HttpServer.js"
import { InvalidResponse } from "../../src/platform/serverResponse.js"

const testLayer = HttpServer.layerTestClient.pipe(
  Layer.provide(NetHttpClient.layerDefault),
  Layer.provideMerge(NetHttpServer.layer({ port: 0, host: "127.0.0.1" }))
)

describe("InvalidResponse", () => {
  it("is a tagged Error with the facts in fields and the message callers saw before", () => {
    const status = new InvalidResponse({ reason: "status", value: "1000" })
    expect(status).toBeInstanceOf(Error)
    expect(status._tag).toBe("InvalidResponse")
    expect(status.name).toBe("InvalidResponse")
    expect(status.reason).toBe("status")
    expect(status.value).toBe("1000")
    expect(status.message).toBe("invalid status code 1000")
    expect(new InvalidResponse({ reason: "header-name", value: "a b" }).message).toBe("invalid header name \"a b\"")
    expect(new InvalidResponse({ reason: "raw-body", value: "[object Object]" }).message).toBe(
      "a Raw body of this kind cannot be sent: [object Object]"
    )
  })

  it("fails an Effect as a typed failure when yielded", () => {
    const exit = Effect.runSyncExit(new InvalidResponse({ reason: "status", value: "42" }))
    expect(Exit.isFailure(exit) && Cause.failureOption(exit.cause)._tag === "Some").toBe(true)
  })

  it.scopedLive("a status or header name HTTP cannot carry answers 500, and the server goes on", () =>
    Effect.gen(function*() {
      yield* HttpRouter.empty.pipe(
        HttpRouter.get("/status", HttpServerResponse.text("x", { status: 1000 })),
        HttpRouter.get("/name", HttpServerResponse.text("x", { headers: { "bad name": "v" } })),
        HttpRouter.get("/raw", HttpServerResponse.raw({ not: "a body" })),
        HttpRouter.get("/ok", HttpServerResponse.text("ok")),
        HttpServer.serveEffect()
      )
      expect((yield* HttpClient.get("/status")).status).toBe(500)
      expect((yield* HttpClient.get("/name")).status).toBe(500)
      expect((yield* HttpClient.get("/raw")).status).toBe(500)
      expect(yield* HttpClient.get("/ok").pipe(Effect.flatMap((r) => r.text))).toBe("ok")
    }).pipe(Effect.provide(testLayer)))
})
