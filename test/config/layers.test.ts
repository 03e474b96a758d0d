/**
 * Settings are validated when a Layer is built (issue 19, items 4 and 5): building a Layer (or
 * running `make`) with a setting that makes no sense fails with `InvalidConfig` naming the
 * field and the component, before anything listens or dials; the default Layers build and
 * make requests.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Context, Effect, Exit, Layer, Option } from "effect"
import * as Body from "../../src/domain/Body.js"
import { InvalidConfig } from "../../src/domain/configErrors.js"
import { Request } from "../../src/domain/Request.js"
import type { ServerRequest } from "../../src/server/ServerRequest.js"
import * as ServerResponse from "../../src/server/ServerResponse.js"
import { Server } from "../../src/server/Server.js"
import { HttpTest } from "../../src/testing/HttpTest.js"
import { Client } from "../../src/transport/Client.js"
import type { TransportConfig } from "../../src/transport/config.js"
import { Transport } from "../../src/transport/Transport.js"

const handler = (request: ServerRequest) => Effect.succeed(ServerResponse.text(`hello ${request.target}`))

/** The InvalidConfig a build failed with (a typed failure, not a defect), or a test failure. */
const invalidOf = <A, E>(exit: Exit.Exit<A, E>, what: string): InvalidConfig => {
  if (Exit.isSuccess(exit)) throw new Error(`${what}: expected the build to fail, it succeeded`)
  const failure = Cause.failureOption(exit.cause)
  if (Option.isNone(failure)) throw new Error(`${what}: expected a typed failure, got ${Cause.pretty(exit.cause)}`)
  expect(failure.value, what).toBeInstanceOf(InvalidConfig)
  return failure.value as InvalidConfig
}

/** Builds `layer` in a Scope of its own and returns the exit. */
const build = <A, E>(layer: Layer.Layer<A, E>) => Effect.scoped(Effect.exit(Layer.build(layer)))

describe("an invalid setting fails the Layer build with its field named", () => {
  const cases: ReadonlyArray<readonly [string, Layer.Layer<never, unknown>, InvalidConfig["component"], string, unknown]> = [
    ["Transport.layer({ maxIdleConns: -1 })", Transport.layer({ maxIdleConns: -1 }), "Transport", "maxIdleConns", -1],
    ["Transport.layer({ maxIdleConns: 2.5 })", Transport.layer({ maxIdleConns: 2.5 }), "Transport", "maxIdleConns", 2.5],
    ["Transport.layer({ maxConnsPerHost: -3 })", Transport.layer({ maxConnsPerHost: -3 }), "Transport", "maxConnsPerHost", -3],
    ["Transport.layer({ maxIdleConnsPerHost: 1.5 })", Transport.layer({ maxIdleConnsPerHost: 1.5 }), "Transport", "maxIdleConnsPerHost", 1.5],
    [
      "Transport.layer({ idleConnTimeout: \"nonsense\" })",
      Transport.layer({ idleConnTimeout: "nonsense" as TransportConfig["idleConnTimeout"] }),
      "Transport",
      "idleConnTimeout",
      "nonsense"
    ],
    [
      "Transport.layer({ dialTimeout: \"nonsense\" })",
      Transport.layer({ dialTimeout: "nonsense" as TransportConfig["dialTimeout"] }),
      "Transport",
      "dialTimeout",
      "nonsense"
    ],
    ["Transport.layer({ responseHeaderTimeout: -1 })", Transport.layer({ responseHeaderTimeout: -1 }), "Transport", "responseHeaderTimeout", -1],
    ["Transport.layer({ maxResponseHeaderBytes: Infinity })", Transport.layer({ maxResponseHeaderBytes: Infinity }), "Transport", "maxResponseHeaderBytes", Infinity],
    ["Client.layer({ timeout: -5 })", Client.layer({ timeout: -5 }).pipe(Layer.provide(Transport.layerDefault)), "Client", "timeout", -5],
    [
      "Client.layer({ timeout: \"soon\" })",
      Client.layer({ timeout: "soon" as never }).pipe(Layer.provide(Transport.layerDefault)),
      "Client",
      "timeout",
      "soon"
    ],
    ["Client.layer({ timeout: NaN })", Client.layer({ timeout: Number.NaN }).pipe(Layer.provide(Transport.layerDefault)), "Client", "timeout", Number.NaN],
    [
      "Server.layer({ readTimeout: \"x\" })",
      Server.layer({ host: "127.0.0.1", port: 0, handler, readTimeout: "x" as never }),
      "Server",
      "readTimeout",
      "x"
    ],
    ["Server.layer({ maxHeaderBytes: 1.5 })", Server.layer({ host: "127.0.0.1", port: 0, handler, maxHeaderBytes: 1.5 }), "Server", "maxHeaderBytes", 1.5],
    ["Server.layer({ maxBodyBytes: -1 })", Server.layer({ host: "127.0.0.1", port: 0, handler, maxBodyBytes: -1 }), "Server", "maxBodyBytes", -1],
    ["Server.layer({ shutdownTimeout: -1 })", Server.layer({ host: "127.0.0.1", port: 0, handler, shutdownTimeout: -1 }), "Server", "shutdownTimeout", -1]
  ]

  for (const [name, layer, component, field, value] of cases) {
    it.effect(name, () =>
      Effect.gen(function*() {
        const e = invalidOf(yield* build(layer), name)
        expect(e).toMatchObject({ _tag: "InvalidConfig", component, field })
        expect(Object.is(e.value, value)).toBe(true)
        expect(e.message).toContain(`${component} setting ${field}`)
        expect(e.reason.length).toBeGreaterThan(0)
      }))
  }

  it.effect("Transport.make({ maxConnsPerHost: NaN }) and Client.make({ timeout: -5 }) fail the same way", () =>
    Effect.gen(function*() {
      const transport = invalidOf(yield* Effect.scoped(Effect.exit(Transport.make({ maxConnsPerHost: Number.NaN }))), "Transport.make")
      expect(transport).toMatchObject({ _tag: "InvalidConfig", component: "Transport", field: "maxConnsPerHost" })
      expect(Number.isNaN(transport.value)).toBe(true)
      const client = invalidOf(
        yield* Effect.scoped(Effect.exit(Effect.provide(Client.make({ timeout: -5 }), Transport.layerDefault))),
        "Client.make"
      )
      expect(client).toMatchObject({ _tag: "InvalidConfig", component: "Client", field: "timeout", value: -5 })
    }))

  it.effect("a Server with a bad setting never listens: the same port is free for a good one", () =>
    Effect.gen(function*() {
      // Take a free port, release it, and ask a bad Server for it: it must fail on the setting,
      // not on the listen, and leave the port to the good one.
      const port = yield* Effect.scoped(Effect.map(Layer.build(Server.layer({ host: "127.0.0.1", port: 0, handler })), (ctx) => Context.get(ctx, Server).port))
      const bad = invalidOf(yield* build(Server.layer({ host: "127.0.0.1", port, handler, maxHeaderBytes: -1 })), "bad server")
      expect(bad.field).toBe("maxHeaderBytes")
      const good = yield* build(Server.layer({ host: "127.0.0.1", port, handler }))
      expect(Exit.isSuccess(good)).toBe(true)
    }))

  it.effect("a valid edge: maxIdleConnsPerHost -1 (keep none, as Go) and timeout 0 (none) build", () =>
    Effect.gen(function*() {
      expect(Exit.isSuccess(yield* build(Transport.layer({ maxIdleConnsPerHost: -1, proxy: "none" })))).toBe(true)
      expect(Exit.isSuccess(yield* build(Client.layer({ timeout: 0 }).pipe(Layer.provide(Transport.layerDefault))))).toBe(true)
      expect(Exit.isSuccess(yield* build(Server.layer({ host: "127.0.0.1", port: 0, handler, maxHeaderBytes: 0 })))).toBe(true)
    }))
})

describe("the default Layers build and make requests", () => {
  it.effect("Transport.layerDefault: a round trip to an HttpTest server", () =>
    Effect.gen(function*() {
      const { url } = yield* HttpTest
      const body = yield* Effect.gen(function*() {
        const transport = yield* Transport
        const made = Request.make({ url: `${url}/transport` })
        if (made._tag === "Left") throw made.left
        const text = yield* transport.roundTripWith(made.right, (r) =>
          Effect.map(Body.collect(r.body), (b) => `${r.status} ${new TextDecoder().decode(b)}`))
        expect((yield* transport.stats).dials).toBe(1)
        return text
      }).pipe(Effect.provide(Transport.layerDefault))
      expect(body).toBe("200 hello /transport")
    }).pipe(Effect.scoped, Effect.provide(HttpTest.server(handler))))

  it.effect("Client.layerDefault brings its own Transport: a GET to an HttpTest server", () =>
    Effect.gen(function*() {
      const { server, url } = yield* HttpTest
      const before = (yield* server.stats).accepted
      const body = yield* Effect.gen(function*() {
        const client = yield* Client
        const response = yield* client.get(`${url}/client`)
        return `${response.status} ${new TextDecoder().decode(yield* Body.collect(response.body))}`
      }).pipe(Effect.scoped, Effect.provide(Client.layerDefault))
      expect(body).toBe("200 hello /client")
      expect((yield* server.stats).accepted).toBe(before + 1)
    }).pipe(Effect.scoped, Effect.provide(HttpTest.server(handler))))
})
