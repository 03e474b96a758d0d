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
import { handOver } from "../net/handOver.js"
import type { ResolvedConfig } from "./config.js"
import { H2Session } from "./h2/H2Session.js"
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
    const conn = exit.value
    const config = parts.config
    const alpn = conn.tlsState?.()?.alpnProtocol
    // h2 when the server chose it in ALPN; h2c with prior knowledge when asked (direct http:// only).
    const h2 = route.scheme === "https:" ? alpn === "h2" : h2cFor(route, config)
    if (!h2 && !config.http1) {
      yield* Scope.close(connScope, Exit.void)
      pool.dialFailed(key, dial, {
        phase: "tls-handshake",
        reason: "tls-failed",
        detail: `${route.hostPort} did not choose h2 in ALPN, and HTTP/1.1 is turned off (protocols.http1 false)`,
        nothingWritten: true,
        closedBeforeResponse: false
      })
      return
    }
    if (h2) {
      const id = pool.connId()
      const authority = (route.scheme === "https:" ? "https://" : "http://") + route.hostPort
      let session: H2Session
      try {
        session = new H2Session(id, key, authority, handOver(conn), pool.sessionOwner, config.maxResponseHeaderBytes)
      } catch (e) {
        yield* Scope.close(connScope, Exit.void)
        pool.dialFailed(key, dial, {
          phase: "dial",
          reason: "dial-failed",
          detail: `HTTP/2 session with ${route.hostPort}: ${e instanceof Error ? e.message : String(e)}`,
          cause: e,
          nothingWritten: true,
          closedBeforeResponse: false
        })
        return
      }
      // The connection's Scope closes with the session (the socket is the session's now).
      session.release = () => parts.runFork(Scope.close(connScope, Exit.void))
      parts.sessionStarted()
      pool.dialedSession(key, dial, session)
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
    const pc = new PersistConn(pool.connId(), key, conn, owner, config.max1xxResponses, config.maxResponseHeaderBytes, parts.timers, parts.writes)
    parts.runFork(pc.readLoop)
    pool.dialed(key, dial, pc)
  }).pipe(Effect.onInterrupt(() => Effect.sync(() => pool.dialFailed(key, dial, shutdownDial))))
}

/** Whether a connection along `route` speaks h2c with prior knowledge (Go's UnencryptedHTTP2: http:// origins reached directly). */
export const h2cFor = (route: Route, config: ResolvedConfig): boolean =>
  config.unencryptedHTTP2 && route.scheme === "http:" && route.proxy === undefined && !route.onlyH1

const shutdownDial: Failure = {
  phase: "pool-wait",
  reason: "shutdown",
  detail: "the Transport was shut down while dialing",
  nothingWritten: true,
  closedBeforeResponse: false
}
