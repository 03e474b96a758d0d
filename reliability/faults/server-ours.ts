/**
 * The server under test of the faults part (run in a child process): our `Server` with its
 * default limits and timeouts, except `readHeaderTimeout` when `FAULTS_READ_HEADER_TIMEOUT_MS`
 * is set (the quick run shortens it so the slow-loris scenario fits in seconds). Routes:
 *
 * - `GET /` answers `ok` (the normal client);
 * - `GET /stats` the process's memory (after a full GC when run with `--expose-gc`), open fds and the server's `stats`, as JSON;
 * - `POST /upload` reads the body under `handlers.maxBytes` (1 MiB: 413 past it) and answers its size;
 * - `GET /cut` announces 1 MiB, sends 256 KiB and fails: the connection is cut mid-body;
 * - `GET /bomb` a gzip bomb (`Content-Encoding: gzip`, 1 GiB decoded).
 *
 * Prints `listening http://127.0.0.1:<port>` once it listens.
 *
 * @module
 */
import { Effect, Stream } from "effect"
import * as fs from "node:fs"
import * as Body from "../../src/domain/Body.js"
import { maxBytes } from "../../src/server/handlers.js"
import { Server, type ServerService } from "../../src/server/Server.js"
import type { ServerRequest } from "../../src/server/ServerRequest.js"
import * as ServerResponse from "../../src/server/ServerResponse.js"
import { gzipBomb } from "./bomb.js"

const UPLOAD_LIMIT = 1024 * 1024
const readHeaderTimeoutMs = Number(process.env.FAULTS_READ_HEADER_TIMEOUT_MS ?? 0)
let bomb: Buffer | undefined

const fds = (): number => fs.readdirSync("/proc/self/fd").length

const upload = maxBytes((request: ServerRequest) => Effect.map(request.bytes, (b) => ServerResponse.text(`${b.length}\n`)), UPLOAD_LIMIT)

const program = Effect.gen(function*() {
  let server: ServerService | undefined
  const handler = (request: ServerRequest): Effect.Effect<ServerResponse.ServerResponse<unknown>, unknown> => {
    switch (request.path) {
      case "/":
        return Effect.succeed(ServerResponse.text("ok\n"))
      case "/stats":
        return Effect.map(server!.stats, (s) => {
          // With --expose-gc: a full collection first, so the heap figure is what is live.
          (globalThis as { gc?: () => void }).gc?.()
          const m = process.memoryUsage()
          return ServerResponse.unsafeJson({ rss: m.rss, heapUsed: m.heapUsed, fds: fds(), ...s })
        })
      case "/upload":
        return upload(request)
      case "/cut":
        return Effect.succeed(ServerResponse.stream(
          Stream.concat(Stream.make(new Uint8Array(256 * 1024)), Stream.fail("cut on purpose")),
          { length: 1024 * 1024 }
        ))
      case "/bomb":
        bomb ??= gzipBomb(64)
        return Effect.succeed(ServerResponse.make(Body.bytes(bomb), { headers: { "Content-Encoding": "gzip", "Content-Type": "application/octet-stream" } }))
      default:
        return Effect.succeed(ServerResponse.text("not found\n", { status: 404 }))
    }
  }
  server = yield* Server.make({
    host: "127.0.0.1",
    port: 0,
    handler,
    ...(readHeaderTimeoutMs > 0 ? { readHeaderTimeout: readHeaderTimeoutMs } : {})
  })
  console.log(`listening ${server.url}`)
  return yield* Effect.never
})

Effect.runFork(Effect.scoped(program))
