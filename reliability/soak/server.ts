/**
 * The soak's server: our `Server` on 127.0.0.1:0 with a handler routing on the path (small
 * answers, 1 MiB answers, streamed answers with pauses, a route that resets its connection
 * half the time by hijacking it and closing it unanswered, a slow route, and a POST echoing
 * its body's length). Every handler start is counted in the ledger under the request's id
 * (header `x-soak-id`), which every answer carries back.
 *
 * @module
 */
import { Effect, type Scope, Stream } from "effect"
import type { InvalidConfig } from "../../src/domain/configErrors.js"
import type { ListenError } from "../../src/net/errors.js"
import { Server, type ServerService } from "../../src/server/Server.js"
import type { ServerRequest } from "../../src/server/ServerRequest.js"
import * as ServerResponse from "../../src/server/ServerResponse.js"
import { Rng } from "../fuzz/rng.js"
import type { Ledger } from "./ledger.js"

/** The header carrying a request's id, both ways. */
export const ID_HEADER = "x-soak-id"

/** The size of the `big` answer: 1 MiB. */
export const BIG_BYTES = 1 << 20

/** The `stream` answer: this many chunks of this size, with a pause before each. */
export const STREAM_CHUNKS = 8
const STREAM_CHUNK_BYTES = 16 * 1024
const STREAM_PAUSE_MS = 5

/** Figures the server side counts besides the ledger. */
export interface ServerCounters {
  /** Connections hijacked and closed unanswered by the `reset` route. */
  hijackResets: number
  /** Requests without a valid soak id (none expected). */
  unknownIds: number
}

const big = new Uint8Array(BIG_BYTES).fill(0x62)
const chunk = new Uint8Array(STREAM_CHUNK_BYTES).fill(0x73)

/** The soak handler: routes on the path, counts the start in `ledger`. */
export const soakHandler = (ledger: Ledger, seed: number, counters: ServerCounters) => {
  const rng = new Rng(seed)
  return (request: ServerRequest): Effect.Effect<ServerResponse.ServerResponse> => {
    const idText = request.headers.get(ID_HEADER) ?? ""
    const id = Number(idText)
    if (!ledger.started(id)) counters.unknownIds++
    const headers = { [ID_HEADER]: idText }
    const small = ServerResponse.text(`ok ${idText}\n`, { headers })
    switch (request.path) {
      case "/small":
        return Effect.succeed(small)
      case "/big":
        return Effect.succeed(ServerResponse.bytes(big, { headers }))
      case "/stream":
        return Effect.succeed(ServerResponse.stream(
          Stream.range(1, STREAM_CHUNKS).pipe(Stream.mapEffect(() => Effect.as(Effect.sleep(STREAM_PAUSE_MS), chunk))),
          { headers }
        ))
      case "/reset":
        if (!rng.chance(0.5)) return Effect.succeed(small)
        // Taken over and closed unanswered when the Scope closes: the client sees the
        // connection reset before any byte of a response.
        return Effect.scoped(request.hijack).pipe(
          Effect.tap(() => Effect.sync(() => counters.hijackResets++)),
          Effect.as(ServerResponse.empty()),
          Effect.catchAll(() => Effect.succeed(small))
        )
      case "/slow":
        return Effect.as(Effect.sleep(50 + rng.int(150)), small)
      case "/echo":
        return request.text.pipe(
          Effect.map((body) => ServerResponse.text(`${body.length}\n`, { headers })),
          Effect.catchAll(() => Effect.succeed(ServerResponse.text("bad body\n", { status: 400, headers })))
        )
      default:
        return Effect.succeed(ServerResponse.text("not found\n", { status: 404, headers }))
    }
  }
}

/** Listens on 127.0.0.1, port 0, and serves the soak handler until the Scope closes. */
export const soakServer = (ledger: Ledger, seed: number, counters: ServerCounters): Effect.Effect<ServerService, ListenError | InvalidConfig, Scope.Scope> =>
  Server.make({ host: "127.0.0.1", port: 0, handler: soakHandler(ledger, seed, counters), shutdownTimeout: "5 seconds" })
