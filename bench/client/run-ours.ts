/**
 * The `ours` peer of `npm run bench:client`: our `Transport` (default settings), each request
 * `roundTripWith(request, read)`, in `concurrency` fibers. (`run-ours-scoped.ts` measures the
 * same with `Effect.scoped` around `roundTrip`.)
 *
 * @module
 */
import { runOurs } from "./ours.js"

runOurs((transport, request, read) => transport.roundTripWith(request, read))
