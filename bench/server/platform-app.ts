/**
 * The app the `effect-platform` and `ours-platform` runners of `npm run bench:server` serve,
 * each on its own `HttpServer` layer: an `HttpRouter` whose one route, `GET /`, answers
 * `HttpServerResponse.text("Hello, World!")`, run as `run-ours.ts` runs ours (`Effect.runFork`
 * of a program that prints the address and then never ends).
 *
 * @module
 */
import { HttpRouter, HttpServer, HttpServerResponse } from "@effect/platform"
import { Effect, type Layer } from "effect"
import { announce, BODY } from "./runner.js"

const router = HttpRouter.empty.pipe(HttpRouter.get("/", HttpServerResponse.text(BODY)))

/** Serves the router on `layer`'s `HttpServer` until the process is killed. */
export const servePlatformApp = <E>(layer: Layer.Layer<HttpServer.HttpServer, E>): void => {
  const program = Effect.gen(function*() {
    yield* HttpServer.serveEffect(router)
    const { address } = yield* HttpServer.HttpServer
    if (address._tag !== "TcpAddress") return yield* Effect.dieMessage(`not a TCP address: ${address.path}`)
    announce(address.port)
    yield* Effect.never
  }).pipe(Effect.scoped, Effect.provide(layer))
  Effect.runFork(program)
}
