/**
 * The `Client` service: Go's `http.Client` over the {@link Transport}: redirects, a cookie
 * jar, a total timeout, and Basic authorization from the URL's user info.
 *
 * ```ts
 * const program = Effect.gen(function*() {
 *   const client = yield* Client
 *   // The static reader supplies the response's Scope and closes it once the body is read.
 *   const text = yield* Response.text(client.get("https://example.com/"))
 * }).pipe(
 *   Effect.provide(Client.layerWithCookieJar({ timeout: "10 seconds" })),
 *   Effect.provide(CookieJar.layer()),
 *   Effect.provide(Transport.layerDefault)
 * )
 * ```
 *
 * The verbs and `do` return effects that need a Scope (the response's body lives in it) and can
 * also take one as an effect run only when the response needs it (`ScopeIn`): the static
 * readers of `Response` use that, so `Response.text(client.get(url))` makes no Scope and
 * changes no context for a body that arrived whole. The hot path (`follow` for a request that
 * is not redirected, `send` without a jar) runs no generator and allocates class instances
 * only (V8 pretenures object literals on per-request paths: see ARCHITECTURE.md).
 *
 * ```ts
 * // Or in a Scope of the caller's:
 * const response = yield* client.get(url)   // needs a Scope
 * const bytes = yield* response.bytes
 * ```
 *
 * @module
 */
import { Context, Duration, Effect, Either, ExecutionStrategy, Exit, Layer, Option, Scope, Stream } from "effect"
import * as Effectable from "effect/Effectable"
import * as Body from "../domain/Body.js"
import type { HeadersInput } from "../domain/Headers.js"
import type { InvalidConfig } from "../domain/configErrors.js"
import type { InvalidHeader, InvalidMethod, InvalidUrl } from "../domain/errors.js"
import { validateClientConfig } from "./clientConfig.js"
import { ReadIn, readTaking, type ReadTaker, ScopeIn, type ScopeTaker } from "../domain/readers.js"
import { makeRequest, Request, type RequestOptions, UrlCache } from "../domain/Request.js"
import { Response } from "../domain/Response.js"
import { ClientTrace, type ClientTraceHooks } from "./ClientTrace.js"
import { CookieJar, type CookieJarService } from "./CookieJar.js"
import { type Phase, TransportError } from "./errors.js"
import * as Redirect from "./redirect.js"
import { basicAuthFromUrl, redacted } from "./route.js"
import { isUpgrade } from "./UpgradeResponse.js"
import { Transport, type TransportService } from "./Transport.js"
import { withBody } from "./rebody.js"

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

/** How much of a redirect's body is read so that its connection can be reused (Go's maxBodySlurpSize). */
const DRAIN_LIMIT = 2 << 10

const PHASE_TEXT: Record<Phase, string> = {
  "request": "preparing the request",
  "pool-wait": "waiting for a connection",
  "dial": "dialing",
  "proxy": "connecting through the proxy",
  "tls-handshake": "in the TLS handshake",
  "write": "writing the request",
  "awaiting-headers": "awaiting headers",
  "reading-body": "reading the body"
}

/**
 * Where a request is, from the Transport's trace events (Go's Client reports "while awaiting
 * headers" or "while reading body" the same way). Passes every event on to the caller's hooks.
 */
class PhaseTracker {
  phase: Phase = "pool-wait"
  reused = false
  readonly hooks: ClientTraceHooks

  constructor(user: ClientTraceHooks | undefined) {
    this.hooks = {
      ...user,
      getConn: (hostPort) => {
        this.phase = "pool-wait"
        user?.getConn?.(hostPort)
      },
      connectStart: (network, addr) => {
        this.phase = "dial"
        user?.connectStart?.(network, addr)
      },
      tlsHandshakeStart: () => {
        this.phase = "tls-handshake"
        user?.tlsHandshakeStart?.()
      },
      gotConn: (info) => {
        this.phase = "write"
        this.reused = info.reused
        user?.gotConn?.(info)
      },
      wroteRequest: (error) => {
        if (error === undefined) this.phase = "awaiting-headers"
        user?.wroteRequest?.(error)
      }
    }
  }
}

/** Builds the Client service over `transport`. */
export const make = (transport: TransportService, config: ClientConfig = {}): Effect.Effect<ClientService, InvalidConfig> =>
  Effect.gen(function*() {
    const clock = yield* Effect.clock
    const configTimeoutMs = (yield* validateClientConfig(config)).timeoutMs
    const configPolicy = config.checkRedirect ?? Redirect.defaultPolicy
    const jar = config.jar

    /** One hop: cookies and Basic authorization added, Set-Cookie stored (Go's `Client.send`). */
    const send = <E>(hop: Request<E>, scope: HopScope): Effect.Effect<Response<TransportError>, TransportError | E> => {
      const auth = hop.headers.has("Authorization") ? undefined : basicAuthFromUrl(hop.url)
      if (jar === undefined) return transport.roundTripIn(auth === undefined ? hop : withAdded(hop, auth, undefined), scope.get)
      return Effect.flatMap(jar.cookieHeader(hop.url), (cookies) => {
        const request = auth === undefined && cookies === undefined ? hop : withAdded(hop, auth, cookies)
        const sent = transport.roundTripIn(request, scope.get)
        return Effect.tap(sent, (response) =>
          response.headers.has("Set-Cookie") ? jar.setCookies(request.url, response.headers.values("Set-Cookie")) : Effect.void)
      })
    }

    /**
     * `send` with the response handed to `use` inside the round trip (`roundTripWith`): the
     * Scope a body still arriving needs is the Transport's, closed once `use` is done.
     */
    const sendWith = <E, A, E2, R2>(
      hop: Request<E>,
      use: (response: Response<TransportError>) => Effect.Effect<A, E2, R2>
    ): Effect.Effect<A, TransportError | E | E2, R2> => {
      const auth = hop.headers.has("Authorization") ? undefined : basicAuthFromUrl(hop.url)
      if (jar === undefined) return transport.roundTripWith(auth === undefined ? hop : withAdded(hop, auth, undefined), use)
      return Effect.flatMap(jar.cookieHeader(hop.url), (cookies) => {
        const request = auth === undefined && cookies === undefined ? hop : withAdded(hop, auth, cookies)
        return transport.roundTripWith(request, (response) =>
          response.headers.has("Set-Cookie")
            ? Effect.zipRight(jar.setCookies(request.url, response.headers.values("Set-Cookie")), use(response))
            : use(response))
      })
    }

    /** Reads a little of a redirect's body, so a small one frees its connection, then releases it. */
    const release = (response: Response<TransportError>, scope: HopScope): Effect.Effect<void> => {
      const length = response.contentLength
      const drain = length === undefined || length <= DRAIN_LIMIT
        ? Effect.ignore(Stream.runFoldWhile(Body.toStream(response.body), 0, (n) => n <= DRAIN_LIMIT, (n, chunk) => n + chunk.length))
        : Effect.void
      return Effect.zipRight(drain, scope.close(Exit.void))
    }

    /**
     * The response the loop ends with. Its hop Scope is closed as soon as nothing needs it (at
     * once for a body that arrived whole, at the end of a streamed body), so that a long-lived
     * caller Scope does not collect one per request; an upgraded connection keeps it.
     */
    const settle = (response: Response<TransportError>, scope: HopScope): Effect.Effect<Response<TransportError>> => {
      if (isUpgrade(response)) return Effect.succeed(response)
      const body = response.body
      if (body._tag !== "Stream") return scope.made === undefined ? Effect.succeed(response) : Effect.as(scope.close(Exit.void), response)
      const done = scope.close(Exit.void)
      const pull = body.pull
      const ending = pull === undefined ? undefined : Effect.tapError(pull, () => done)
      const stream = ending === undefined ? Stream.ensuring(body.stream, done) : Stream.repeatEffectOption(ending)
      const release = body.release === undefined ? done : Effect.zipRight(body.release, done)
      return Effect.succeed(withBody(response, Body.stream(stream, body.length, ending, release)))
    }

    /** One hop in its own Scope (see `follow`), the Scope closed if the hop fails. */
    const hop = <E>(request: Request<E>, scope: HopScope): Effect.Effect<Response<TransportError>, TransportError | E> =>
      Effect.onError(send(request, scope), (cause) => scope.close(Exit.failCause(cause)))

    /**
     * Go's `Client.do`: the redirect loop. A hop whose body is still arriving gets a Scope of its
     * own inside `outer` (made only then), so a redirect's body can be released early. The first
     * hop runs without the loop's state, which only a redirect needs.
     */
    const follow = <E>(first: Request<E>, outer: Effect.Effect<Scope.Scope>, policy: Redirect.RedirectPolicy): Effect.Effect<Response<TransportError>, ClientError | E> =>
      // Suspended: `execute`'s effect may be built once and run many times (a retry), and each
      // run needs a HopScope of its own.
      Effect.suspend(() => firstHop(first, outer, policy))

    const firstHop = <E>(first: Request<E>, outer: Effect.Effect<Scope.Scope>, policy: Redirect.RedirectPolicy): Effect.Effect<Response<TransportError>, ClientError | E> => {
      const scope = new HopScope(outer)
      // As `hop`, without its uninterruptible region: a hop failing after its Scope was made
      // (a middleware's failure) closes it here; one interrupted just after leaves it to the
      // caller's Scope, which holds every response's Scope (a static reader closes it at once).
      return Effect.matchCauseEffect(send(first, scope), {
        onFailure: (cause) => scope.made === undefined ? Effect.failCause(cause) : Effect.zipRight(scope.close(Exit.failCause(cause)), Effect.failCause(cause)),
        onSuccess: (response) =>
          Redirect.behavior(response.status, first.method, first as Request<unknown>).follow
            ? redirects(first, outer, policy, response, scope)
            : settle(response, scope)
      })
    }

    /** The rest of the redirect loop, from the first hop's response (a redirect). */
    const redirects = <E>(
      first: Request<E>,
      outer: Effect.Effect<Scope.Scope>,
      policy: Redirect.RedirectPolicy,
      firstResponse: Response<TransportError>,
      firstScope: HopScope
    ): Effect.Effect<Response<TransportError>, ClientError | E> =>
      Effect.gen(function*() {
        const via: Array<Request<unknown>> = [first as Request<unknown>]
        const firstHostPort = Redirect.hostPortOf(first.url)
        let strip = false
        let request: Request<E> = first
        let response = firstResponse
        let scope = firstScope
        // Go's makeHeadersCopier with a jar: cookies of the first request's Cookie field that a
        // redirect response sets again are dropped (the jar sends their new values).
        let firstCookies = jar === undefined ? undefined : first.headers.get("Cookie")
        for (;;) {
          const b = Redirect.behavior(response.status, request.method, first as Request<unknown>)
          if (!b.follow) return yield* settle(response, scope)
          const location = response.headers.get("Location")
          // A 3xx without a Location is returned as it is (Go: issues 17773 and 49281).
          if (location === undefined || location === "") return yield* settle(response, scope)
          const chain = () => via.map((r) => redacted(r.url))
          const url = Redirect.resolveLocation(location, request.url)
          if (url === undefined) {
            yield* release(response, scope)
            return yield* Effect.fail(
              new Redirect.RedirectError({
                reason: "invalid-location",
                method: first.method,
                url: location,
                chain: chain(),
                status: response.status,
                detail: `failed to parse Location header ${JSON.stringify(location)}`
              })
            )
          }
          if (!strip && Redirect.hostPortOf(url) !== firstHostPort) strip = true
          if (firstCookies !== undefined && response.headers.has("Set-Cookie")) {
            firstCookies = withoutCookiesSetBy(firstCookies, response.headers.values("Set-Cookie"))
          }
          const headers = Redirect.hopHeaders(first.headers, strip)
          if (jar !== undefined && !strip && firstCookies !== first.headers.get("Cookie")) {
            headers.delete("Cookie")
            if (firstCookies !== undefined && firstCookies !== "") headers.set("Cookie", firstCookies)
          }
          // Go's refererForURL: a Referer the first request set is kept, but never sent from
          // https to http.
          const referer = Redirect.refererFor(request.url, url, first.headers.get("Referer"))
          if (referer !== undefined) headers.set("Referer", referer)
          else headers.delete("Referer")
          // A custom Host survives a relative redirect (Go: issue 22233).
          const host = request.host !== request.url.host && Redirect.isRelative(location) ? request.host : url.host
          let body: Body.Body<E> = Body.empty
          if (b.includeBody) {
            const again = Body.rewind(first.body)
            if (Option.isSome(again)) body = again.value
          }
          const next = new Request<E>({ method: b.method, url, headers, body, host, proto: "HTTP/1.1", trailers: undefined })
          const decision = yield* Effect.onError(
            policy(next as Request<unknown>, via.slice()),
            () => release(response, scope)
          ).pipe(Effect.mapError((e) => e.status === 0 ? new Redirect.RedirectError({ ...e, status: response.status }) : e))
          if (decision === "use-last-response") return yield* settle(response, scope)
          yield* release(response, scope)
          request = next
          scope = new HopScope(outer)
          via.push(request as Request<unknown>)
          response = yield* hop(request, scope)
        }
      })


    const timeoutError = (request: Request<unknown>, tracker: PhaseTracker, timeoutMs: number): TransportError =>
      new TransportError({
        phase: tracker.phase,
        reason: "timeout",
        reused: tracker.reused,
        method: request.method,
        url: redacted(request.url),
        detail: `Client.Timeout of ${Duration.format(Duration.millis(timeoutMs))} exceeded while ${PHASE_TEXT[tracker.phase]}`
      })

    /** The body of the final response, failing once the deadline passes. */
    const bodyWithDeadline = (response: Response<TransportError>, request: Request<unknown>, tracker: PhaseTracker, deadline: number, timeoutMs: number): Response<TransportError> => {
      const body = response.body
      // A whole body arrived with the head; a streamed one is read with a pull (the Transport's).
      if (body._tag !== "Stream" || body.pull === undefined) return response
      const pull = body.pull
      const timed: Effect.Effect<Uint8Array, Option.Option<TransportError>> = Effect.suspend(() => {
        const left = deadline - clock.unsafeCurrentTimeMillis()
        tracker.phase = "reading-body"
        if (left <= 0) return Effect.fail(Option.some(timeoutError(request, tracker, timeoutMs)))
        return Effect.timeoutFail(pull, { duration: left, onTimeout: () => Option.some(timeoutError(request, tracker, timeoutMs)) })
      })
      return withBody(response, Body.stream(Stream.repeatEffectOption(timed), body.length, timed, body.release))
    }

    // `scope` runs in the caller's fiber (or one it forks, which inherits its context), so its
    // requirements R are met there: the cast only carries R to the result's type.
    const execute: Execute = <E, R>(request: Request<E>, scope: Effect.Effect<Scope.Scope, never, R>, options?: ClientRequestOptions) => {
      const outer = scope as Effect.Effect<Scope.Scope>
      const policy = options?.checkRedirect ?? configPolicy
      let timeoutMs = configTimeoutMs
      if (options?.timeout !== undefined) {
        const checked = validateClientConfig({ timeout: options.timeout })
        if (Either.isLeft(checked)) return Effect.fail(checked.left)
        timeoutMs = checked.right.timeoutMs
      }
      if (timeoutMs <= 0) return follow(request, outer, policy) as Effect.Effect<Response<TransportError>, ClientError | E, R>
      return Effect.flatMap(Effect.serviceOption(ClientTrace), (user) => {
        const tracker = new PhaseTracker(Option.getOrUndefined(user))
        const deadline = clock.unsafeCurrentTimeMillis() + timeoutMs
        return follow(request, outer, policy).pipe(
          Effect.timeoutFail({ duration: timeoutMs, onTimeout: () => timeoutError(request as Request<unknown>, tracker, timeoutMs) }),
          Effect.map((response) => bodyWithDeadline(response, request as Request<unknown>, tracker, deadline, timeoutMs)),
          Effect.provideService(ClientTrace, tracker.hooks)
        )
      }) as Effect.Effect<Response<TransportError>, ClientError | E, R>
    }

    /**
     * A static reader's way in (see `ReadIn`): the read runs inside the first hop's round trip,
     * as `roundTripWith`'s use, with no Scope of the reader's for a body that arrived whole. A
     * redirect continues as `execute` does from that first response (whose body, if still
     * arriving, the Transport releases once the whole read is done). A time limit covers the
     * whole exchange, the read included, so a request with one takes `execute`'s path.
     */
    const readPath: ReadPath = {
      accepts: (options) => configTimeoutMs <= 0 && options?.timeout === undefined,
      run: (request, options, read) => {
        const policy = options?.checkRedirect ?? configPolicy
        return sendWith(request, (response) =>
          Redirect.behavior(response.status, request.method, request as Request<unknown>).follow
            ? readTaking((outer) => redirects(request, outer, policy, response, new HopScope(outer)), read)
            : read(response.body))
      }
    }

    return fromExecuteReading(execute, transport.closeIdleConnections, readPath)
  })

/**
 * A Client from its one primitive (see {@link Execute}): `do` and the verbs derive from it. A
 * verb whose URL, method or header fields are invalid fails with the error `Request.make`
 * gives (`InvalidUrl`, `InvalidMethod`, `InvalidHeader`), before anything is sent.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromExecute = (execute: Execute, closeIdleConnections: Effect.Effect<void> = Effect.void): ClientService =>
  fromExecuteReading(execute, closeIdleConnections, undefined)

/**
 * The read inside the round trip that `make`'s Client offers the static readers (`ReadIn`):
 * `accepts` says whether a request with these options can take it.
 */
interface ReadPath {
  readonly accepts: (options: ClientRequestOptions | undefined) => boolean
  readonly run: <E, A, E2, R2>(
    request: Request<E>,
    options: ClientRequestOptions | undefined,
    read: (body: Body.Body<TransportError>) => Effect.Effect<A, E2, R2>
  ) => Effect.Effect<A, ClientError | E | E2, R2>
}

// `fromExecute`, with `make`'s read path; a Client built from another `execute` (middleware)
// has none, since its reads must go through that `execute`.
const fromExecuteReading = (execute: Execute, closeIdleConnections: Effect.Effect<void>, reading: ReadPath | undefined): ClientService => {
  // The verbs' URL texts, each parsed once (a Client sends to the same few again and again).
  const urls = new UrlCache()
  return {
    execute,
    do: (request, options) => new DoCall(execute, reading, request, options),
    get: (url, init) => new VerbCall<never>(execute, reading, urls, "GET", url, undefined, init),
    head: (url, init) => new VerbCall<never>(execute, reading, urls, "HEAD", url, undefined, init),
    delete: (url, init) => new VerbCall<never>(execute, reading, urls, "DELETE", url, undefined, init),
    options: (url, init) => new VerbCall<never>(execute, reading, urls, "OPTIONS", url, undefined, init),
    post: (url, body, init) => new VerbCall(execute, reading, urls, "POST", url, body, init),
    put: (url, body, init) => new VerbCall(execute, reading, urls, "PUT", url, body, init),
    patch: (url, body, init) => new VerbCall(execute, reading, urls, "PATCH", url, body, init),
    closeIdleConnections
  }
}

/**
 * What `do` returns: an effect needing a Scope from the context, which the static readers of
 * `Response` can run with a Scope of their own instead, made only if the response needs one
 * (`ScopeIn`). A class, not a closure over an object literal, so that V8 never pretenures it.
 */
class DoCall<E> extends Effectable.Class<Response<TransportError>, ClientError | E, Scope.Scope>
  implements ScopeTaker<Response<TransportError>, ClientError | E>, ReadTaker<TransportError, ClientError | E>
{
  constructor(
    readonly execute: Execute,
    readonly reading: ReadPath | undefined,
    readonly request: Request<E>,
    readonly options: ClientRequestOptions | undefined
  ) {
    super()
  }

  commit(): Effect.Effect<Response<TransportError>, ClientError | E, Scope.Scope> {
    return this.execute(this.request, Effect.scope, this.options)
  }

  [ScopeIn]<R>(scope: Effect.Effect<Scope.Scope, never, R>): Effect.Effect<Response<TransportError>, ClientError | E, R> {
    return this.execute(this.request, scope, this.options)
  }

  [ReadIn]<A, E3, R3>(read: (body: Body.Body<TransportError>) => Effect.Effect<A, E3, R3>): Effect.Effect<A, ClientError | E | E3, R3> | undefined {
    const reading = this.reading
    return reading === undefined || !reading.accepts(this.options) ? undefined : reading.run(this.request, this.options, read)
  }
}

/** What the verbs return: the request made when it runs, then as `DoCall`. */
class VerbCall<E> extends Effectable.Class<Response<TransportError>, ClientError | E, Scope.Scope>
  implements ScopeTaker<Response<TransportError>, ClientError | E>, ReadTaker<TransportError, ClientError | E>
{
  constructor(
    readonly execute: Execute,
    readonly reading: ReadPath | undefined,
    readonly urls: UrlCache,
    readonly method: string,
    readonly url: string | URL,
    readonly body: ClientBodyInit<E> | undefined,
    readonly init: ClientRequestInit | undefined
  ) {
    super()
  }

  commit(): Effect.Effect<Response<TransportError>, ClientError | E, Scope.Scope> {
    return this[ScopeIn](Effect.scope)
  }

  // Called when the effect runs (by `commit`, or by a reader inside its own run), never when it
  // is built: each run makes its request anew, with no `Effect.suspend` of its own.
  [ScopeIn]<R>(scope: Effect.Effect<Scope.Scope, never, R>): Effect.Effect<Response<TransportError>, ClientError | E, R> {
    const made = this.request()
    return Either.isLeft(made) ? Effect.fail(made.left) : this.execute(made.right, scope, this.init)
  }

  // As `[ScopeIn]`, for a static reader (see `ReadIn`).
  [ReadIn]<A, E3, R3>(read: (body: Body.Body<TransportError>) => Effect.Effect<A, E3, R3>): Effect.Effect<A, ClientError | E | E3, R3> | undefined {
    const reading = this.reading
    if (reading === undefined || !reading.accepts(this.init)) return undefined
    const made = this.request()
    return Either.isLeft(made) ? Effect.fail(made.left) : reading.run(made.right, this.init, read)
  }

  private request(): Either.Either<Request<E>, InvalidUrl | InvalidMethod | InvalidHeader> {
    const body = this.body
    const init = this.init
    const made = makeRequest<E>(
      new VerbOptions<E>(
        this.method,
        this.url,
        init?.headers,
        body === undefined ? undefined : typeof body === "string" ? Body.text(body) : body instanceof Uint8Array ? Body.bytes(body) : body
      ),
      this.urls
    )
    if (Either.isRight(made) && init?.contentType !== undefined) made.right.headers.set("Content-Type", init.contentType)
    return made
  }
}

/** A verb's `RequestOptions` (a class: see `DoCall`). */
class VerbOptions<E> implements RequestOptions<E> {
  constructor(
    readonly method: string,
    readonly url: string | URL,
    readonly headers: HeadersInput | undefined,
    readonly body: Body.Body<E> | undefined
  ) {}
}

/**
 * `client` with `middleware` around its `execute` (every verb goes through it).
 *
 * @since 0.1.0
 * @category combinators
 */
export const wrap = (client: ClientService, middleware: ClientMiddleware): ClientService =>
  fromExecute(middleware(client.execute), client.closeIdleConnections)

/**
 * A hop's Scope inside the caller's, forked on first need (a body still arriving, an upgrade).
 * It is itself the effect giving that Scope (one object per hop, not an object and a closure).
 */
class HopScope extends Effectable.Class<Scope.Scope> {
  made: Scope.CloseableScope | undefined = undefined

  /** `outer` gives the caller's Scope; it runs only when a hop needs a Scope. */
  constructor(readonly outer: Effect.Effect<Scope.Scope>) {
    super()
  }

  commit(): Effect.Effect<Scope.Scope> {
    return this.made !== undefined ? Effect.succeed(this.made) : Effect.map(Effect.flatMap(this.outer, (o) => Scope.fork(o, ExecutionStrategy.sequential)), (s) => {
      this.made = s
      return s
    })
  }

  /** The effect giving the Scope. */
  get get(): Effect.Effect<Scope.Scope> {
    return this
  }

  /** Closes the Scope, if it was made. */
  close(exit: Exit.Exit<unknown, unknown>): Effect.Effect<void> {
    return this.made === undefined ? Effect.void : Scope.close(this.made, exit)
  }
}


/** `request` with Authorization (`auth`) and cookies (`cookies`, after any Cookie it has) added to a copy of its header fields. */
const withAdded = <E>(request: Request<E>, auth: string | undefined, cookies: string | undefined): Request<E> => {
  const headers = request.headers.clone()
  if (auth !== undefined) headers.set("Authorization", auth)
  if (cookies !== undefined) {
    const existing = headers.get("Cookie")
    headers.set("Cookie", existing === undefined || existing === "" ? cookies : existing + "; " + cookies)
  }
  return new Request<E>({
    method: request.method,
    url: request.url,
    headers,
    body: request.body,
    host: request.host,
    proto: request.proto,
    trailers: request.trailers
  })
}

/** `cookies` (a Cookie field value) without the cookies whose names the Set-Cookie values set. */
const withoutCookiesSetBy = (cookies: string, setCookies: ReadonlyArray<string>): string => {
  const set = new Set(setCookies.map((v) => v.slice(0, Math.max(0, v.indexOf("="))).trim()))
  return cookies
    .split(";")
    .map((c) => c.trim())
    .filter((c) => c !== "" && !set.has(c.slice(0, Math.max(0, c.indexOf("="))).trim()))
    .sort()
    .join("; ")
}

/**
 * The Client: Go's `http.Client` over the `Transport` in context.
 *
 * @since 0.1.0
 * @category services
 */
export class Client extends Context.Tag("effect-nethttp/Client")<Client, ClientService>() {
  /** A Client with these settings over the Transport in context. */
  static readonly layer = (config: ClientConfig = {}): Layer.Layer<Client, InvalidConfig, Transport> =>
    Layer.effect(Client, Effect.flatMap(Transport, (transport) => make(transport, config)))

  /** Builds a Client with these settings over the Transport in context. */
  static readonly make = (config: ClientConfig = {}): Effect.Effect<ClientService, InvalidConfig, Transport> =>
    Effect.flatMap(Transport, (transport) => make(transport, config))

  /** A Client from its one primitive (see {@link Execute}); `do` and the verbs derive from it. */
  static readonly fromExecute = fromExecute

  /** `client` with `middleware` around its `execute`. */
  static readonly wrap = wrap

  /** A Layer putting `middleware` around the Client it is given. */
  static readonly layerMiddleware = (middleware: ClientMiddleware): Layer.Layer<Client, never, Client> =>
    Layer.effect(Client, Effect.map(Client, (client) => wrap(client, middleware)))

  /** A Client that keeps cookies in the `CookieJar` in context. */
  static readonly layerWithCookieJar = (config: Omit<ClientConfig, "jar"> = {}): Layer.Layer<Client, InvalidConfig, Transport | CookieJar> =>
    Layer.effect(
      Client,
      Effect.flatMap(Effect.all([Transport, CookieJar]), ([transport, jar]) => make(transport, { ...config, jar }))
    )

  /**
   * A Client with no timeout, Go's redirect policy and no jar (Go's `DefaultClient`), with a
   * Transport of the default settings of its own (`Transport.layerDefault`).
   */
  static readonly layerDefault: Layer.Layer<Client> = Layer.orDie(Client.layer()).pipe(Layer.provide(Transport.layerDefault))
}
