/**
 * The `ours-platform` peer of `npm run bench:server`: the same `HttpRouter` app as
 * `run-effect-platform.ts` (one route, `GET /`, answering `HttpServerResponse.text("Hello,
 * World!")`), served on our `NetHttpServer.layer` instead of @effect/platform-node's
 * `NodeHttpServer.layer`, run the same way: `Effect.runFork` of a program that prints the
 * address and then never ends.
 *
 * @module
 */
import { HttpRouter, HttpServer, HttpServerResponse } from "@effect/platform"
import { Effect } from "effect"
import * as NetHttpServer from "../../src/platform/HttpServer.js"
import { announce, BODY, HOST, listenPort } from "./runner.js"

const router = HttpRouter.empty.pipe(HttpRouter.get("/", HttpServerResponse.text(BODY)))

const program = Effect.gen(function*() {
  yield* HttpServer.serveEffect(router)
  const { address } = yield* HttpServer.HttpServer
  if (address._tag !== "TcpAddress") return yield* Effect.dieMessage(`not a TCP address: ${address.path}`)
  announce(address.port)
  yield* Effect.never
}).pipe(
  Effect.scoped,
  Effect.provide(NetHttpServer.layer({ port: listenPort(), host: HOST }))
)

Effect.runFork(program)
