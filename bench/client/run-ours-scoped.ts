/**
 * The `ours-scoped` peer of `npm run bench:client`: our `Transport` (default settings), each
 * request `Effect.scoped(roundTrip(request) then read)`, in `concurrency` fibers: what
 * `Effect.scoped` costs on top of `roundTripWith` (the `ours` peer).
 *
 * @module
 */
import { Effect } from "effect"
import { runOurs } from "./ours.js"

runOurs((transport, request, read) => Effect.scoped(Effect.flatMap(transport.roundTrip(request), read)))
