/**
 * `npm start`: a demo server on our `Server`, listening on 127.0.0.1 (port `PORT`, default
 * 8080; 0 picks a free one). It prints its URL and serves until Ctrl-C, which shuts it down
 * gracefully. Richer demos (routing, files) come with the ServeMux.
 *
 * - `GET /` says hello,
 * - `POST /echo` answers the request body back,
 * - `GET /stream` streams five chunks, one every 200 ms (chunked),
 * - anything else is 404.
 *
 * @module
 */
import { Cause, Effect, Layer, Schedule, Stream } from "effect"
import { Server } from "./server/Server.js"
import type { ServerRequest } from "./server/ServerRequest.js"
import * as ServerResponse from "./server/ServerResponse.js"

const handler = (request: ServerRequest) => {
  const path = request.url.pathname
  if (path === "/" && (request.method === "GET" || request.method === "HEAD")) {
    return Effect.succeed(ServerResponse.text(`Hello from effect-nethttp! You asked for ${request.target} over ${request.proto}.\n`))
  }
  if (path === "/echo" && request.method === "POST") {
    return Effect.map(request.bytes, (body) =>
      ServerResponse.bytes(body, { headers: { "Content-Type": request.headers.get("Content-Type") ?? "application/octet-stream" } }))
  }
  if (path === "/stream") {
    const chunks = Stream.range(1, 5).pipe(
      Stream.schedule(Schedule.spaced("200 millis")),
      Stream.map((i) => Buffer.from(`chunk ${i} of 5\n`))
    )
    return Effect.succeed(ServerResponse.stream(chunks, { headers: { "Content-Type": "text/plain; charset=utf-8" } }))
  }
  return Effect.succeed(ServerResponse.text("404 page not found\n", { status: 404 }))
}

const port = Number(process.env.PORT ?? 8080)

const program = Effect.gen(function*() {
  const server = yield* Server
  yield* Effect.log(`effect-nethttp demo server listening on ${server.url}`)
  yield* Effect.log(`try: curl ${server.url}/   curl -d hello ${server.url}/echo   curl -N ${server.url}/stream`)
  return yield* Effect.never
}).pipe(Effect.provide(Layer.orDie(Server.layer({ host: "127.0.0.1", port, handler }))))

const fiber = Effect.runFork(program)
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
