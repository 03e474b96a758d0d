/**
 * The client's per-request options: what a fiber may set for the requests it makes
 * (`RequestOptions`, `withRequestOptions`). Holds only the option values and their context
 * tag; the round trip (clientExecute.ts) reads them.
 *
 * @module
 * @since 0.1.0
 */
import { Context, type Duration, Effect } from "effect"
import { dual } from "effect/Function"

/**
 * Options for the requests made in a fiber, read from its context when each request starts
 * (like the stock clients' `UndiciRequestOptions` and `HttpAgent` tags). Every field is
 * optional; an absent `RequestOptions` means none of them.
 *
 * @since 0.1.0
 * @category models
 */
export interface RequestOptionsValue {
  /**
   * How long to wait for the response head, counted from the start of the request (so it
   * includes waiting for a pooled connection, dialing and writing the request; Go's
   * `ResponseHeaderTimeout` starts after the write, see `TransportConfig.responseHeaderTimeout`
   * for that). On Effect's `Clock`, so `TestClock` drives it. When it runs out the round trip
   * is abandoned (its connection is closed) and the request fails with a `RequestError`
   * (reason `"Transport"`) whose cause is a `TransportError` with phase `awaiting-headers` and
   * reason `timeout`. It does not limit reading the body.
   */
  readonly responseHeaderTimeout?: Duration.DurationInput | undefined
  /**
   * Send `Connection: close`: the connection is closed after this exchange instead of going
   * back to the pool, so the next request dials a new one (Go's `Request.Close`).
   */
  readonly noReuse?: boolean | undefined
}

const NO_OPTIONS: RequestOptionsValue = {}

/**
 * The per-request options in the context (a `Context.Reference`: absent means no options).
 *
 * ```ts
 * client.get(url).pipe(Effect.provideService(NetHttpClient.RequestOptions, { noReuse: true }))
 * ```
 *
 * @since 0.1.0
 * @category services
 */
export class RequestOptions extends Context.Reference<RequestOptions>()("effect-nethttp/platform/HttpClient/RequestOptions", {
  defaultValue: (): RequestOptionsValue => NO_OPTIONS
}) {}

/**
 * Runs `effect` with these per-request options for the requests it makes.
 *
 * @since 0.1.0
 * @category combinators
 */
export const withRequestOptions: {
  (options: RequestOptionsValue): <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(effect: Effect.Effect<A, E, R>, options: RequestOptionsValue): Effect.Effect<A, E, R>
} = dual(2, <A, E, R>(effect: Effect.Effect<A, E, R>, options: RequestOptionsValue) => Effect.provideService(effect, RequestOptions, options))
