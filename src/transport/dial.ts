/**
 * Dialing for the pool (Go's `Transport.dialConnFor`): opens one connection along a route in a
 * Scope of its own, wraps it in a `PersistConn` whose owner is the pool, starts its read loop
 * and hands it to the pool; a failed dial is reported to the pool, which fails or re-queues
 * its waiters. Touches the pool through its dial callbacks only.
 *
 * @module
 * @internal
 */
import { Cause, Effect, Exit, Option, Scope } from "effect"
import type { ClientTraceHooks } from "./ClientTrace.js"
import { connect } from "./connect.js"
import { type ConnOwner, type Failure, PersistConn } from "./PersistConn.js"
import type { Route } from "./route.js"
import type { TransportParts } from "./transportParts.js"

/** Dials connection number `dial` for pool key `key`, then gives it (or the failure) to the pool. */
export const dialOne = (parts: TransportParts, key: string, route: Route, dial: number, trace: ClientTraceHooks | undefined): Effect.Effect<void> => {
  const pool = parts.pool
  return Effect.gen(function*() {
    const connScope = yield* Scope.make()
    const exit = yield* Effect.exit(Scope.extend(connect(parts.dialer, route, parts.config, trace), connScope))
    if (Exit.isFailure(exit)) {
      yield* Scope.close(connScope, exit)
      const failure = Option.getOrUndefined(Cause.failureOption(exit.cause))
      if (failure !== undefined) pool.dialFailed(key, dial, failure)
      return
    }
    const owner: ConnOwner = {
      release: pool.release,
      idleClosed: pool.idleClosed,
      after: pool.after,
      closed: (pc: PersistConn) => {
        pool.closed(pc)
        parts.runFork(Scope.close(connScope, Exit.void))
      }
    }
    const config = parts.config
    const pc = new PersistConn(pool.connId(), key, exit.value, owner, config.max1xxResponses, config.maxResponseHeaderBytes, parts.timers, parts.writes)
    parts.runFork(pc.readLoop)
    pool.dialed(key, dial, pc)
  }).pipe(Effect.onInterrupt(() => Effect.sync(() => pool.dialFailed(key, dial, shutdownDial))))
}

const shutdownDial: Failure = {
  phase: "pool-wait",
  reason: "shutdown",
  detail: "the Transport was shut down while dialing",
  nothingWritten: true,
  closedBeforeResponse: false
}
