/**
 * The Transport service's interface and its pool figures, apart from the `Transport` tag and
 * layers (`Transport.ts`), so that the modules implementing it (the pool, the round trip)
 * import the types without importing the service that builds them.
 *
 * @module
 */
import type { Effect, Scope } from "effect"
import type { Request } from "../domain/Request.js"
import type { Response } from "../domain/Response.js"
import type { TransportError } from "./errors.js"

/**
 * One pool key's connections (Go's `connsPerHost`, `idleConn`, `idleConnWait`).
 *
 * @since 0.1.0
 * @category models
 */
export interface HostStats {
  readonly idle: number
  readonly active: number
  readonly dialing: number
  readonly waiting: number
  /** HTTP/2 sessions open (each also counts as one `active` connection, as in Go). */
  readonly h2Sessions: number
  /** HTTP/2 streams open on those sessions. */
  readonly h2Streams: number
}

/**
 * A snapshot of the pool.
 *
 * @since 0.1.0
 * @category models
 */
export interface PoolStats {
  /** Idle connections across keys. */
  readonly idle: number
  /** Connections serving a request (from handing out until release). */
  readonly active: number
  /** Dials in flight. */
  readonly dialing: number
  /** Requests waiting for a connection. */
  readonly waiting: number
  /** Sockets open now (idle, active, and any still closing down or draining). */
  readonly open: number
  /** Connections dialed since the Transport started. */
  readonly dials: number
  /** Round trips served on a reused connection since the Transport started. */
  readonly reuses: number
  /** Per pool key ("http://host:port"). */
  readonly hosts: Readonly<Record<string, HostStats>>
}

/**
 * What the `Transport` service does.
 *
 * @since 0.1.0
 * @category services
 */
export interface TransportService {
  /**
   * Sends `request` and returns the response once its head arrived (Go's `RoundTrip`). The
   * response body is a stream in the caller's Scope: read it to the end and the connection
   * returns to the pool; close the Scope before that and the connection is closed. A status
   * 101 response is an {@link UpgradeResponse} holding the raw connection.
   *
   * The request's own body errors (`E`) come out as they are; everything else is a
   * `TransportError` saying in which phase it happened.
   */
  readonly roundTrip: <E = never>(
    request: Request<E>
  ) => Effect.Effect<Response<TransportError>, TransportError | E, Scope.Scope>
  /**
   * `roundTrip` with the response's Scope managed here: `use` runs with the response, and
   * when it completes (or fails, or is interrupted) a body it did not read to the end closes
   * the connection, as Go's `defer resp.Body.Close()`. Cheaper than `Effect.scoped` around
   * `roundTrip` (which provides a Scope through the context: about 10 µs a call in Effect 3.22).
   */
  readonly roundTripWith: <E, A, E2, R2>(
    request: Request<E>,
    use: (response: Response<TransportError>) => Effect.Effect<A, E2, R2>
  ) => Effect.Effect<A, TransportError | E | E2, R2>
  /**
   * `roundTrip` with the response's Scope taken from `scope`, run only when the response needs
   * one (a body still arriving, or an upgrade), and never from the context. A response whose
   * body arrived whole costs no Scope and no change of context. The Scope `scope` gives holds
   * the body as `roundTrip`'s does: read the body to the end and the connection returns to the
   * pool; close the Scope before that and the connection is closed.
   */
  readonly roundTripIn: <E = never, R = never>(
    request: Request<E>,
    scope: Effect.Effect<Scope.Scope, never, R>
  ) => Effect.Effect<Response<TransportError>, TransportError | E, R>
  /** Closes every idle connection (Go's `CloseIdleConnections`); active ones are untouched. */
  readonly closeIdleConnections: Effect.Effect<void>
  /** A snapshot of the pool. */
  readonly stats: Effect.Effect<PoolStats>
}
