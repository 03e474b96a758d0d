/**
 * The `ours` peer of `npm run bench:server`: our `Server` on 127.0.0.1, answering every request
 * with `ServerResponse.text("Hello, World!")` (200, `Content-Type: text/plain; charset=utf-8`),
 * written as a user would write it (so it does not use runner.ts).
 *
 * @module
 */
import { Effect } from "effect"
import { Server } from "../../src/server/Server.js"
import * as ServerResponse from "../../src/server/ServerResponse.js"

const port = Number(process.env.PORT ?? 0)

const program = Effect.gen(function*() {
  const server = yield* Server
  console.log(`listening ${server.url}`)
  yield* Effect.never
}).pipe(
  Effect.provide(
    Server.layer({ host: "127.0.0.1", port, handler: () => Effect.succeed(ServerResponse.text("Hello, World!")) })
  )
)

Effect.runFork(program)
