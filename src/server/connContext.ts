/**
 * Go's `Server.ConnContext` around a connection's serve loop: the hook's services provided to
 * every handler run on the connection, and a failing hook closing that connection only.
 *
 * @module
 */
import { Context, Effect, Exit } from "effect"
import type { Conn } from "../net/Conn.js"
import type { ConnInfo } from "./config.js"
import type { ServerConn } from "./ServerConn.js"

const CLOSED = Symbol("closed")

/**
 * `serve` (a connection's serve loop, which closes `conn` when it ends) with the Context that
 * `hook(info)` yields merged over the fiber's own, so the handler keeps its services and gains
 * the hook's (the hook's win on a clash, as Go's derived context does).
 *
 * The hook runs in the connection's fiber before the first request is read. When it fails or
 * dies, the failure is logged, `conn` is closed, and `serve` still runs to notice the close
 * and do its usual end (ConnState "Closed", the server forgetting the connection), so nothing
 * leaks and the server goes on (Go's server crashes on a panicking ConnContext; one bad
 * connection must not end ours). A hook still running when the connection closes (a
 * shutdown closing it as idle, the client leaving) is given up on.
 */
export const serveWithConnContext = (
  hook: (info: ConnInfo) => Effect.Effect<Context.Context<never>, unknown>,
  sc: ServerConn,
  conn: Conn
): Effect.Effect<void> => {
  const info = sc.info
  const serve = sc.serve
  return Effect.flatMap(
    Effect.raceFirst(Effect.exit(Effect.suspend(() => hook(info))), Effect.as(conn.closed, CLOSED)),
    (result) => {
      if (result === CLOSED) return serve
      if (Exit.isSuccess(result)) {
        const services = result.value
        // A parked connection's next fiber gets them too.
        sc.connServices = services
        return Effect.mapInputContext(serve, (own: Context.Context<never>) => Context.merge(own, services))
      }
      return Effect.logError("effect-nethttp server: connContext failed; closing the connection", result.cause).pipe(
        Effect.annotateLogs({ conn: info.id, remoteAddress: info.remoteAddress ?? "" }),
        Effect.zipRight(conn.close),
        Effect.zipRight(serve)
      )
    }
  )
}
