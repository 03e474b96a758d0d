/**
 * When a failed round trip may be sent again on another connection: Go's
 * `persistConn.shouldRetryRequest`, made stricter as ARCHITECTURE.md ("Retries") asks.
 *
 * @module
 */
import * as Body from "../domain/Body.js"
import type { Request } from "../domain/Request.js"

/** What is known of a failed attempt. */
export interface Attempt {
  /** The connection had served an earlier request (a fresh connection is never retried). */
  readonly reused: boolean
  /** Not one byte of the request reached the socket (Go's `nothingWrittenError`). */
  readonly nothingWritten: boolean
  /**
   * The server closed the connection (end of input or a reset) before the first byte of a
   * response (Go's `errServerClosedIdle` and `transportReadFromServerError`).
   */
  readonly closedBeforeResponse: boolean
}

/**
 * Whether the request may be repeated without the server seeing it twice with effect: a safe
 * method (GET, HEAD, OPTIONS, TRACE) or an `Idempotency-Key` / `X-Idempotency-Key` header,
 * and a body that is absent or can be produced again (Go's `Request.isReplayable`).
 */
export const isReplayable = <E>(request: Request<E>): boolean => {
  if (!Body.isReplayable(request.body)) return false
  const m = request.method
  if (m === "GET" || m === "HEAD" || m === "OPTIONS" || m === "TRACE") return true
  return request.headers.has("Idempotency-Key") || request.headers.has("X-Idempotency-Key")
}

/**
 * Whether to retry: only on a reused connection, only when nothing was written or the server
 * closed before answering, and only for a replayable request. These are the stale keep-alive
 * connections a server closed while we were picking them.
 */
export const shouldRetry = <E>(request: Request<E>, attempt: Attempt): boolean =>
  attempt.reused && (attempt.nothingWritten || attempt.closedBeforeResponse) && isReplayable(request)
