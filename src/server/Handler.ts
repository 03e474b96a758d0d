/**
 * A handler answers one request (Go's `http.Handler`): an Effect that yields the response.
 * It runs in the connection's fiber; a failure or a defect becomes a 500 answer, and a client
 * that disconnects interrupts it.
 *
 * @module
 */
import { type Effect, FiberId } from "effect"
import type { ServerRequest } from "./ServerRequest.js"
import type { ServerResponse } from "./ServerResponse.js"

/**
 * Answers a request; `E` is the handler's failure, `R` what it needs from the context.
 *
 * @since 0.1.0
 * @category models
 */
export type Handler<E = never, R = never> = (request: ServerRequest) => Effect.Effect<ServerResponse<E>, E, R>

/**
 * The FiberId a handler is interrupted as when its client disconnects before the response
 * (found in the interruption's `Cause.interruptors`), so a handler can tell a client abort from
 * the server's own interruptions (a shutdown's deadline, a write timeout), which interrupt as
 * the connection's fiber. It equals (`Equal.equals`) @effect/platform's
 * `HttpServerError.clientAbortFiberId`.
 *
 * @since 0.1.0
 * @category constants
 */
export const clientAbortFiberId: FiberId.FiberId = FiberId.runtime(-499, 0)
