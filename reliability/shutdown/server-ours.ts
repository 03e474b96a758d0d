/**
 * Our server under shutdown (a child process of the shutdown part): `GET /work` waits
 * `SHUTDOWN_HANDLER_MS` (20 ms) so requests are in flight, then answers a streamed body whose
 * end counts the answer. SIGTERM interrupts the main fiber: closing the server's Scope is the
 * graceful shutdown (the default `shutdownTimeout`, 10 s); then it prints its counts
 * (`counts.ts`) and lets the process end by itself (a handle left open would keep it alive).
 *
 * @module
 */
import { Effect, Fiber, Stream } from "effect"
import * as fs from "node:fs"
import { Server } from "../../src/server/Server.js"
import type { ServerRequest } from "../../src/server/ServerRequest.js"
import * as ServerResponse from "../../src/server/ServerResponse.js"
import { countsLine, idOf } from "./counts.js"

const HANDLER_MS = Number(process.env.SHUTDOWN_HANDLER_MS ?? 20)
const BODY = new TextEncoder().encode("done\n")
let started = 0
let answered = 0
const startedIds: Array<string> = []
let sigtermAt = 0

const handler = (request: ServerRequest) => {
  started++
  const id = idOf(request.rawQuery)
  if (id !== undefined) startedIds.push(id)
  const body = Stream.concat(Stream.make(BODY), Stream.execute(Effect.sync(() => void answered++)))
  return Effect.as(Effect.sleep(HANDLER_MS), ServerResponse.stream(body, { headers: { "Content-Type": "text/plain" } }))
}

const main = Effect.runFork(Effect.scoped(Effect.gen(function*() {
  const server = yield* Server.make({ host: "127.0.0.1", port: 0, handler })
  console.log(`listening ${server.url}`)
  return yield* Effect.never
})).pipe(Effect.ensuring(Effect.sync(() => {
  fs.writeSync(1, countsLine({ started, answered, startedIds, shutdownMs: sigtermAt === 0 ? 0 : Date.now() - sigtermAt }))
}))))

process.once("SIGTERM", () => {
  sigtermAt = Date.now()
  fs.writeSync(1, `inflight ${started - answered}\n`)
  Effect.runFork(Fiber.interrupt(main))
})
