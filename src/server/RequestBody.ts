/**
 * One request's side of its connection (`RequestIO`), made per request: the handle a
 * `ServerRequest` reads its body through, and asks for a hijack, an interim response or a new
 * deadline. Every call goes to the connection (`Exchanges`), which answers only while this
 * handle is its current exchange's.
 *
 * The handle's own state: OPEN while its exchange lasts; then ENDED (the body was read whole:
 * later reads give the end and the trailers stay readable) or OVER (some of it was not read:
 * later reads fail "consumed", never with an empty success, and never read the next request's
 * bytes).
 *
 * May touch: its own fields; the connection only through `Exchanges`.
 *
 * @module
 * @internal
 */
import { Effect, type Option, type Scope } from "effect"
import type { Headers } from "../domain/Headers.js"
import type { HijackError, InterimResponseError, RequestBodyError } from "./errors.js"
import type { Hijacked, RequestIO } from "./ServerRequest.js"

/**
 * The handle's exchange is still going on.
 *
 * @internal
 */
export const BODY_OPEN = 0
/**
 * The exchange is over and its body was read to its end.
 *
 * @internal
 */
export const BODY_ENDED = 1
/**
 * The exchange is over with some of its body unread (dropped or drained by the server).
 *
 * @internal
 */
export const BODY_OVER = 2

/**
 * What a connection does for the handles of its requests.
 *
 * @internal
 */
export interface Exchanges {
  pullFor(body: RequestBody): Effect.Effect<Uint8Array, Option.Option<RequestBodyError>>
  trailersFor(body: RequestBody): Headers | undefined
  hijackFor(body: RequestBody): Effect.Effect<Hijacked, HijackError, Scope.Scope>
  interimFor(body: RequestBody, status: number, fields: Headers | undefined): Effect.Effect<void, InterimResponseError>
  deadlineFor(body: RequestBody, which: "read" | "write", ms: number | undefined): void
}

/**
 * A request's handle on its connection (see the module's description).
 *
 * @internal
 */
export class RequestBody implements RequestIO {
  state: typeof BODY_OPEN | typeof BODY_ENDED | typeof BODY_OVER = BODY_OPEN
  trailerFields: Headers | undefined = undefined
  private pullEffect: Effect.Effect<Uint8Array, Option.Option<RequestBodyError>> | undefined = undefined

  constructor(private readonly conn: Exchanges) {}

  get pull(): Effect.Effect<Uint8Array, Option.Option<RequestBodyError>> {
    return this.pullEffect ??= Effect.suspend(() => this.conn.pullFor(this))
  }

  trailers(): Headers | undefined {
    return this.conn.trailersFor(this)
  }

  get hijack(): Effect.Effect<Hijacked, HijackError, Scope.Scope> {
    return Effect.suspend(() => this.conn.hijackFor(this))
  }

  writeInterim(status: number, headers?: Headers): Effect.Effect<void, InterimResponseError> {
    return Effect.suspend(() => this.conn.interimFor(this, status, headers))
  }

  setDeadline(which: "read" | "write", ms: number | undefined): Effect.Effect<void> {
    return Effect.sync(() => this.conn.deadlineFor(this, which, ms))
  }
}
