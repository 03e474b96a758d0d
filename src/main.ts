/**
 * `npm start`: a demo `ServeMux` on our `Server`, listening on 127.0.0.1 (port `PORT`, default
 * 8080; 0 picks a free one). It prints its URL and serves until Ctrl-C, which shuts it down
 * gracefully. The routes come from two Layers, merged and checked once by `ServeMux.layer`:
 *
 * - `GET /{$}` says hello,
 * - `GET /hello/{name}` greets the wildcard's value,
 * - `POST /echo` parses a JSON body and answers it back (400 when it is not JSON),
 * - `GET /stream` streams five chunks, one every 200 ms (chunked),
 * - `GET /files/` is a FileServer over the bundled `demo/public` folder (ranges, conditional
 *   requests, a directory listing under `/files/docs/`),
 * - anything else is `404 page not found`; a wrong method is 405 with `Allow`.
 *
 * @module
 */
import { Cause, Effect, Layer, Schedule, Stream } from "effect"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { fileServer } from "./server/fileServer.js"
import { compose, error, type Middleware, stripPrefix } from "./server/handlers.js"
import { ServeMux } from "./server/ServeMux.js"
import { Server } from "./server/Server.js"
import type { ServerRequest } from "./server/ServerRequest.js"
import * as ServerResponse from "./server/ServerResponse.js"

const publicDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "demo", "public")

/** Logs one line per request: method, target, status and time taken. */
const accessLog: Middleware<unknown> = (next) => (request) =>
  Effect.gen(function*() {
    const start = Date.now()
    const response = yield* next(request)
    yield* Effect.log(`${request.method} ${request.target} ${response.status} ${Date.now() - start} ms`)
    return response
  })

const echo = (request: ServerRequest) =>
  Effect.gen(function*() {
    const text = yield* request.text
    try {
      return ServerResponse.unsafeJson({ youSent: JSON.parse(text) as unknown })
    } catch {
      return error("the body is not JSON", 400)
    }
  })

const ApiRoutes = ServeMux.routes([
  ["GET /{$}", (request: ServerRequest) => Effect.succeed(ServerResponse.text(`Hello from effect-nethttp! You asked for ${request.target} over ${request.proto}.\n`))],
  ["GET /hello/{name}", (request: ServerRequest) => Effect.succeed(ServerResponse.text(`Hello, ${request.pathValue("name")}!\n`))],
  ["POST /echo", echo],
  ["GET /stream", () =>
    Effect.succeed(ServerResponse.stream(
      Stream.range(1, 5).pipe(Stream.schedule(Schedule.spaced("200 millis")), Stream.map((i) => Buffer.from(`chunk ${i} of 5\n`))),
      { headers: { "Content-Type": "text/plain; charset=utf-8" } }
    ))]
])

const FileRoutes = ServeMux.routes([["GET /files/", stripPrefix("/files", fileServer(publicDir))]])

const port = Number(process.env.PORT ?? 8080)

const ServerLive = Layer.unwrapEffect(Effect.map(ServeMux, (mux) =>
  // The access log wraps the whole mux, so its 404s and redirects are logged too.
  Server.layer({ host: "127.0.0.1", port, handler: compose(accessLog)(mux.handler) }))).pipe(
    Layer.provide(ServeMux.layer(ApiRoutes, FileRoutes))
  )

const program = Effect.gen(function*() {
  const server = yield* Server
  yield* Effect.log(`effect-nethttp demo server listening on ${server.url}`)
  yield* Effect.log(`try: curl ${server.url}/hello/you   curl -d '{"a":1}' ${server.url}/echo   curl -N ${server.url}/stream   ${server.url}/files/`)
  return yield* Effect.never
})

const fiber = Effect.runFork(Effect.provide(program, Layer.orDie(ServerLive)))
// Ctrl-C interrupts the program: the server's Scope closes, which is a graceful shutdown.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    Effect.runFork(Effect.zipRight(Effect.log(`${signal}: shutting down`), fiber.interruptAsFork(fiber.id())))
  })
}
fiber.addObserver((exit) => {
  if (exit._tag === "Failure" && !Cause.isInterruptedOnly(exit.cause)) {
    console.error(Cause.pretty(exit.cause))
    process.exitCode = 1
  }
})
