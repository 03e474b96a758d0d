/**
 * Typed errors of the server: what a handler sees while it reads a request body, and why a
 * connection ended (reported to the `connState` hook and logged at debug level).
 *
 * @module
 */
import { Data } from "effect"
import { StacklessTaggedError } from "../domain/stacklessError.js"

/**
 * Why reading a request body failed.
 *
 * @since 0.1.0
 * @category errors
 */
export type RequestBodyFailure =
  /** The chunked framing was malformed (the connection is closed after the reply). */
  | "malformed"
  /** The body is larger than the server's `maxBodyBytes` (answered 413 when the handler fails with it). */
  | "too-large"
  /** The client closed or reset the connection before the body ended. */
  | "truncated"
  /** `readTimeout` ran out before the body ended. */
  | "timeout"
  /** The body was already read, or the connection was hijacked. */
  | "consumed"

/**
 * Reading the request body failed.
 *
 * @since 0.1.0
 * @category errors
 */
export class RequestBodyError extends StacklessTaggedError("RequestBodyError")<{
  readonly reason: RequestBodyFailure
  readonly detail: string
}> {
  override get message(): string {
    return `reading the request body failed: ${this.detail} (${this.reason})`
  }
}

/**
 * The server phase a timeout counts (Go's `Server` fields of the same names).
 *
 * @since 0.1.0
 * @category errors
 */
export type TimeoutPhase = "read-header" | "read" | "write" | "idle"

/**
 * A server timeout ran out; the connection is closed.
 *
 * @since 0.1.0
 * @category errors
 */
export class ServerTimeoutError extends Data.TaggedError("ServerTimeoutError")<{
  readonly phase: TimeoutPhase
  /** The configured timeout in milliseconds. */
  readonly timeoutMs: number
}> {
  override get message(): string {
    return `server ${this.phase} timeout of ${this.timeoutMs} ms ran out`
  }
}

/**
 * `hijack` was refused: the response was started, the body is still being read, or it was hijacked already.
 *
 * @since 0.1.0
 * @category errors
 */
export class HijackError extends Data.TaggedError("HijackError")<{
  readonly detail: string
}> {
  override get message(): string {
    return `hijack refused: ${this.detail}`
  }
}

/**
 * A graceful shutdown ran out of time (Go's `Shutdown` returning `context.DeadlineExceeded`):
 * `interrupted` connections still had requests in flight and were cut. The server is closed
 * all the same.
 *
 * @since 0.1.0
 * @category errors
 */
export class ShutdownTimeout extends Data.TaggedError("ShutdownTimeout")<{
  /** The grace period that ran out, in milliseconds. */
  readonly timeoutMs: number
  /** Connections interrupted and closed when it ran out. */
  readonly interrupted: number
}> {
  override get message(): string {
    return `shutdown: ${this.interrupted} connection(s) still busy after ${this.timeoutMs} ms were interrupted`
  }
}

/**
 * `writeInterim` was refused: not a 1xx status other than 101, or the final response was started.
 *
 * @since 0.1.0
 * @category errors
 */
export class InterimResponseError extends Data.TaggedError("InterimResponseError")<{
  readonly status: number
  readonly detail: string
}> {
  override get message(): string {
    return `interim response ${this.status} refused: ${this.detail}`
  }
}

/**
 * A handler answered with a status outside 100..999 (Go's `WriteHeader` panics): answered 500.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidStatusError extends Data.TaggedError("InvalidStatusError")<{
  readonly status: number
}> {
  override get message(): string {
    return `invalid response status ${this.status}: a status is an integer from 100 to 999`
  }
}
