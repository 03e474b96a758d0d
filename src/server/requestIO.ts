/**
 * How a `ServerRequest` reaches its connection (`RequestIO`, implemented by the serve loop's
 * `RequestBody` and by `ServerRequest.make`'s recorder) and what a hijack hands over
 * (`Hijacked`), apart from `ServerRequest.ts` so that the implementations need not import
 * the request.
 *
 * @module
 */
import type { Effect, Option, Scope } from "effect"
import type { Headers } from "../domain/Headers.js"
import type { Conn } from "../net/Conn.js"
import type { HijackError, InterimResponseError, RequestBodyError } from "./errors.js"

/**
 * A connection taken over by a handler (Go's `Hijacker`): the server neither reads nor writes it again.
 *
 * @since 0.1.0
 * @category models
 */
export interface Hijacked {
  readonly conn: Conn
  /** Bytes the server had received after the request head and not yet parsed. */
  readonly buffered: Uint8Array
}

/**
 * How the request reaches its connection; implemented by the serve loop.
 *
 * @internal
 */
export interface RequestIO {
  /** The next body chunk; fails with None at the end. The first pull sends `100 Continue` when the client asked. */
  readonly pull: Effect.Effect<Uint8Array, Option.Option<RequestBodyError>>
  /** The trailer fields, once the body was read to its end. */
  trailers(): Headers | undefined
  /** Takes the connection over; it is closed when the Scope closes. */
  readonly hijack: Effect.Effect<Hijacked, HijackError, Scope.Scope>
  /** Sends an interim (1xx) response before the final one; `status` is 1xx other than 101 (`ServerRequest.writeInterim` checked it). */
  writeInterim(status: number, headers?: Headers): Effect.Effect<void, InterimResponseError>
  /** Replaces the server's read or write timeouts for this exchange: a deadline `ms` from now, or none. */
  setDeadline(which: "read" | "write", ms: number | undefined): Effect.Effect<void>
}
