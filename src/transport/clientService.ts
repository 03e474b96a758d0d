/**
 * The Client service's interface and the types around it (settings, per-request options, the
 * `Execute` primitive, middleware), apart from the `Client` tag and its construction
 * (`Client.ts`), so that the modules implementing it import the types without importing the
 * service that builds them.
 *
 * @module
 */
import type { Duration, Effect, Scope } from "effect"
import type * as Body from "../domain/Body.js"
import type { InvalidConfig } from "../domain/configErrors.js"
import type { InvalidHeader, InvalidMethod, InvalidUrl } from "../domain/errors.js"
import type { HeadersInput } from "../domain/Headers.js"
import type { Request } from "../domain/Request.js"
import type { Response } from "../domain/Response.js"
import type { CookieJarService } from "./CookieJar.js"
import type { TransportError } from "./errors.js"
import type * as Redirect from "./redirect.js"

/**
 * What the Client fails with: a round trip's error, or a redirect that could not be followed.
 *
 * @since 0.1.0
 * @category errors
 */
export type ClientError = TransportError | Redirect.RedirectError | RequestError

/**
 * A request that could not be made from what was given (a bad URL, method or header field:
 * the same errors `Request.make` returns; a bad per-request option: `InvalidConfig`).
 *
 * @since 0.1.0
 * @category errors
 */
export type RequestError = InvalidUrl | InvalidMethod | InvalidHeader | InvalidConfig

/**
 * What `Client.layer` takes; every field is optional.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClientConfig {
  /**
   * The time limit for a whole request (Go's `Client.Timeout`): getting a connection, every
   * redirect, the response head and reading the body. When it runs out the request fails with
   * a `TransportError` of reason `timeout` whose phase says what was running. No limit when
   * absent or zero.
   */
  readonly timeout?: Duration.DurationInput
  /** Decides about each redirect (Go's `CheckRedirect`). Default: follow up to 10. */
  readonly checkRedirect?: Redirect.RedirectPolicy
  /** A cookie jar (Go's `Client.Jar`); `layerWithCookieJar` takes it from the context instead. */
  readonly jar?: CookieJarService
}

/**
 * Options of the shorthand methods.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClientRequestInit extends ClientRequestOptions {
  readonly headers?: HeadersInput
  /** Sets Content-Type (Go's `Post` takes it as an argument). */
  readonly contentType?: string
}

/**
 * What a single request may set instead of the Client's own settings, without another Layer.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClientRequestOptions {
  /** This request's time limit in place of the Client's `timeout`; 0 for none. */
  readonly timeout?: Duration.DurationInput
  /** This request's redirect policy in place of the Client's `checkRedirect` (e.g. `Redirect.never`). */
  readonly checkRedirect?: Redirect.RedirectPolicy
}

/**
 * The one primitive of a Client (Go's `Client.Do`): sends `request` following the Client's
 * policy (redirects, cookies, Basic authorization from the URL, the timeout), with `options`
 * overriding them for this request. `scope` gives the Scope the response lives in when its
 * body is still arriving; it is run only then.
 *
 * @since 0.1.0
 * @category models
 */
export type Execute = <E = never, R = never>(
  request: Request<E>,
  scope: Effect.Effect<Scope.Scope, never, R>,
  options?: ClientRequestOptions
) => Effect.Effect<Response<TransportError>, ClientError | E, R>

/**
 * Behaviour composed around a Client: a function from the next `execute` to a new one.
 *
 * @since 0.1.0
 * @category models
 */
export type ClientMiddleware = (next: Execute) => Execute

/**
 * What a request body can be given as to the shorthand methods.
 *
 * @since 0.1.0
 * @category models
 */
export type ClientBodyInit<E> = Body.Body<E> | string | Uint8Array

/**
 * What the Client does. Every response is in the caller's Scope, as `Transport.roundTrip`'s.
 *
 * @since 0.1.0
 * @category services
 */
export interface ClientService {
  /** The primitive every other method derives from (see {@link Execute}). */
  readonly execute: Execute
  /**
   * Sends `request` following the Client's policy (Go's `Client.Do`): redirects, cookies,
   * Basic authorization from the URL's user info, the total timeout. A non-2xx status is not an
   * error. `Response.request` is the last hop's request.
   */
  readonly do: <E = never>(request: Request<E>, options?: ClientRequestOptions) => Effect.Effect<Response<TransportError>, ClientError | E, Scope.Scope>
  readonly get: (url: string | URL, init?: ClientRequestInit) => Effect.Effect<Response<TransportError>, ClientError, Scope.Scope>
  readonly head: (url: string | URL, init?: ClientRequestInit) => Effect.Effect<Response<TransportError>, ClientError, Scope.Scope>
  readonly delete: (url: string | URL, init?: ClientRequestInit) => Effect.Effect<Response<TransportError>, ClientError, Scope.Scope>
  readonly options: (url: string | URL, init?: ClientRequestInit) => Effect.Effect<Response<TransportError>, ClientError, Scope.Scope>
  readonly post: <E = never>(url: string | URL, body: ClientBodyInit<E>, init?: ClientRequestInit) => Effect.Effect<Response<TransportError>, ClientError | E, Scope.Scope>
  readonly put: <E = never>(url: string | URL, body: ClientBodyInit<E>, init?: ClientRequestInit) => Effect.Effect<Response<TransportError>, ClientError | E, Scope.Scope>
  readonly patch: <E = never>(url: string | URL, body: ClientBodyInit<E>, init?: ClientRequestInit) => Effect.Effect<Response<TransportError>, ClientError | E, Scope.Scope>
  /** Closes the Transport's idle connections (Go's `Client.CloseIdleConnections`). */
  readonly closeIdleConnections: Effect.Effect<void>
}
