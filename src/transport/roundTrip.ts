/**
 * The Transport's one primitive, `RoundTrip`, and what derives from it: the whole
 * `TransportService` (`fromRoundTrip`) and middleware around it (`wrap`).
 *
 * @since 0.1.0
 * @module
 */
import { Effect, type Scope } from "effect"
import { LazyScope } from "../domain/lazyScope.js"
import type { Request } from "../domain/Request.js"
import type { Response } from "../domain/Response.js"
import type { TransportError } from "./errors.js"
import type { PoolStats, TransportService } from "./transportService.js"

/**
 * The one primitive of a Transport (Go's `RoundTripper.RoundTrip`): sends `request` and returns
 * the response once its head arrived. `scope` gives the Scope a response needs when its body is
 * still arriving (or it is an upgrade); it is run only then, so a response that arrived whole
 * costs no Scope. Read the body to its end and the connection returns to the pool; close that
 * Scope before and the connection is closed.
 *
 * @since 0.1.0
 * @category models
 */
export type RoundTrip = <E = never, R = never>(
  request: Request<E>,
  scope: Effect.Effect<Scope.Scope, never, R>
) => Effect.Effect<Response<TransportError>, TransportError | E, R>

/**
 * Behaviour composed around a Transport (Go's RoundTripper wrappers, undici's interceptors):
 * a function from the next round trip to a new one.
 *
 * @since 0.1.0
 * @category models
 */
export type TransportMiddleware = (next: RoundTrip) => RoundTrip

/**
 * A Transport from its one primitive; `roundTrip` and `roundTripWith` are derived from it.
 * `closeIdleConnections` and `stats` default to doing nothing and an empty pool.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromRoundTrip = (
  roundTrip: RoundTrip,
  rest: { readonly closeIdleConnections?: Effect.Effect<void>; readonly stats?: Effect.Effect<PoolStats> } = {}
): TransportService => ({
  roundTripIn: roundTrip,
  roundTrip: (request) => roundTrip(request, Effect.scope),
  roundTripWith: (request, use) =>
    Effect.suspend(() => {
      // A Scope made only if the response needs one, closed once `use` is done.
      const lazy = new LazyScope()
      return Effect.onExit(Effect.flatMap(roundTrip(request, lazy), use), (exit) => lazy.close(exit))
    }),
  closeIdleConnections: rest.closeIdleConnections ?? Effect.void,
  stats: rest.stats ?? EMPTY_STATS
})

/**
 * `transport` with `middleware` around its round trips (the pool's `stats` and
 * `closeIdleConnections` are the inner Transport's).
 *
 * @since 0.1.0
 * @category combinators
 */
export const wrap = (transport: TransportService, middleware: TransportMiddleware): TransportService =>
  fromRoundTrip(middleware(transport.roundTripIn), { closeIdleConnections: transport.closeIdleConnections, stats: transport.stats })

const EMPTY_STATS: Effect.Effect<PoolStats> = Effect.succeed({ idle: 0, active: 0, dialing: 0, waiting: 0, open: 0, dials: 0, reuses: 0, hosts: {} })

