/**
 * `effect-nethttp serve DIR`: our `Server` with `fileServer(DIR)` behind the access log. It
 * prints its URL, writes one access log line per request to stdout, and on SIGINT or SIGTERM
 * shuts down gracefully (in-flight requests finish, for up to 10 s) and returns.
 *
 * @module
 */
import { Effect } from "effect"
import * as fsp from "node:fs/promises"
import * as nodePath from "node:path"
import { fileServer } from "../server/fileServer.js"
import { Server } from "../server/Server.js"
import type { ServeCommand } from "./args.js"
import { accessLog } from "./accessLog.js"
import { type CliError, errnoCode, messageOf, ServeDirError } from "./errors.js"
import { awaitSignal } from "./signals.js"
import { Stdio } from "./Stdio.js"

/** The directory to serve, absolute; fails unless it is a directory. */
const directory = (dir: string): Effect.Effect<string, ServeDirError> => {
  const absolute = nodePath.resolve(dir)
  return Effect.tryPromise({
    try: () => fsp.stat(absolute),
    catch: (cause) => new ServeDirError({ dir, detail: errnoCode(cause) === "ENOENT" ? "no such directory" : messageOf(cause) })
  }).pipe(
    Effect.filterOrFail((stat) => stat.isDirectory(), () => new ServeDirError({ dir, detail: "not a directory" })),
    Effect.as(absolute)
  )
}

/**
 * Runs `serve` until SIGINT or SIGTERM, then shuts the server down gracefully and succeeds.
 * Fails when the directory is not one or the address cannot be listened on.
 */
export const runServe = (command: ServeCommand): Effect.Effect<void, CliError, Stdio> =>
  Effect.gen(function*() {
    const stdio = yield* Stdio
    const root = yield* directory(command.dir)
    const line = (text: string) => stdio.out.write(text + "\n")
    const handler = accessLog<never, never>({ write: line, now: () => performance.now() })(fileServer(root))
    // Files can be large and clients slow: no write timeout (the others keep their defaults).
    const ServerLive = Server.layer({ host: command.host, port: command.port, handler, writeTimeout: 0 })
    yield* Effect.provide(
      Effect.gen(function*() {
        const server = yield* Server
        line(`effect-nethttp: serving ${root} on ${server.url}/`)
        const signal = yield* awaitSignal
        stdio.err.write(`effect-nethttp: ${signal}: shutting down\n`)
      }),
      ServerLive
    )
    stdio.err.write("effect-nethttp: stopped\n")
  })
