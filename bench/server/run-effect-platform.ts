/**
 * The `effect-platform` peer of `npm run bench:server`: @effect/platform-node's
 * `NodeHttpServer.layer` over `http.createServer()`, serving an `HttpRouter` whose one route,
 * `GET /`, answers `HttpServerResponse.text("Hello, World!")` (200, `Content-Type:
 * text/plain`), run the way `run-ours.ts` runs ours: `Effect.runFork` of a program that prints
 * the address and then never ends.
 *
 * @module
 */
import { HttpRouter, HttpServer, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { Effect } from "effect"
import * as http from "node:http"
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
  Effect.provide(NodeHttpServer.layer(() => http.createServer(), { port: listenPort(), host: HOST }))
)

Effect.runFork(program)
