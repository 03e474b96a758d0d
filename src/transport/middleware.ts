/**
 * Middleware that ships with the package, composed around a Client (`Client.wrap`,
 * `Client.layerMiddleware`) or a Transport (`Transport.wrap`, `Transport.layerMiddleware`):
 *
 * - {@link retry}: a Client middleware repeating replayable requests on a transport failure or
 *   a 429/503, on an Effect `Schedule`, honouring `Retry-After`;
 * - {@link defaultHeaders}: a Transport middleware adding header fields a request lacks;
 * - {@link limitResponseBody}: a Transport middleware whose response bodies fail past a size.
 *
 * ```ts
 * const layer = Client.layerMiddleware(Middleware.retry()).pipe(
 *   Layer.provide(Client.layer({ timeout: "10 seconds" })),
 *   Layer.provide(Transport.layerMiddleware((next) =>
 *     Middleware.defaultHeaders({ "User-Agent": "me/1.0" })(Middleware.limitResponseBody(1 << 20)(next))
 *   )),
 *   Layer.provide(Transport.layerDefault)
 * )
 * ```
 *
 * @since 0.1.0
 * @module
 */
import { Cause, Clock, Duration, Effect, Exit, Option, Schedule, ScheduleDecision, ScheduleIntervals, Scope, Stream } from "effect"
import * as Body from "../domain/Body.js"
import { ResponseBodyTooLarge } from "../domain/errors.js"
import { Headers, type HeadersInput } from "../domain/Headers.js"
import { Request } from "../domain/Request.js"
import { Response } from "../domain/Response.js"
import type { ClientError, ClientMiddleware, ClientRequestOptions, Execute } from "./Client.js"
import { TransportError } from "./errors.js"
import { isReplayable } from "./retry.js"
import type { RoundTrip, TransportMiddleware } from "./roundTrip.js"
import { redacted } from "../domain/redact.js"
import { isUpgrade } from "./UpgradeResponse.js"
import { withBody } from "./rebody.js"
import { parseHttpTime } from "../domain/httpDate.js"

// ---------------------------------------------------------------------------------------------
// retry

/**
 * What {@link retry} takes; every field is optional.
 *
 * @since 0.1.0
 * @category middleware
 */
export interface RetryOptions {
  /**
   * When to try again and how long to wait: stepped once per failed attempt with the
   * `TransportError` or the `Response` as input; a retry happens while it continues, after its
   * delay (unless a `Retry-After` field gives the delay). Default: exponential from 100 ms,
   * at most 3 retries (`Schedule.exponential("100 millis").pipe(Schedule.intersect(Schedule.recurs(3)))`).
   */
  readonly schedule?: Schedule.Schedule<unknown, unknown>
  /** The longest wait a `Retry-After` field may ask for; a longer one is cut to it. Default 60 s. */
  readonly maxRetryAfter?: Duration.DurationInput
  /** The statuses that are retried (the last such response is returned when retries run out). Default [429, 503]. */
  readonly statuses?: ReadonlyArray<number>
}

const DEFAULT_SCHEDULE: Schedule.Schedule<unknown, unknown> = Schedule.exponential("100 millis").pipe(Schedule.intersect(Schedule.recurs(3)))

/** How much of a retried response's body is read so that its connection can be reused (as the Client's redirects). */
const DRAIN_LIMIT = 2 << 10

// Failures a new attempt cannot change: the request itself is bad, the Transport is shutting
// down, the server's certificate or protocol is wrong.
const PERMANENT: ReadonlySet<string> = new Set(["invalid-request", "shutdown", "certificate", "not-tls", "body-too-large"])

/** Whether a failure of an attempt is one a new attempt may not meet: a `TransportError` past the request phase. */
const isRetryableError = (error: unknown): boolean =>
  error instanceof TransportError && error.phase !== "request" && !PERMANENT.has(error.reason)

/**
 * Retries a replayable request (GET, HEAD, OPTIONS, TRACE, or any method with an
 * `Idempotency-Key` / `X-Idempotency-Key` field; with no body or a rewindable one, which is
 * rewound for each attempt) when an attempt fails with a `TransportError`, or answers with one
 * of `statuses` (429 and 503 by default). Any other request is passed through untouched; a
 * `RequestError`, a `RedirectError` or the request body's own error is never retried.
 *
 * The wait before a retry is the response's `Retry-After` (RFC 9110 §10.2.3: delay-seconds or
 * an HTTP-date, measured on the Clock), at most `maxRetryAfter`; else the schedule's delay. When
 * the schedule ends, a failure fails and a retried status is returned as the response it is.
 *
 * Each attempt gets a Scope of its own, made only if its response needs one (a body still
 * arriving). A response that is retried is released before the wait: a little of its body is
 * read (so a small body frees its connection for reuse), then its Scope is closed (closing the
 * connection if the body was not finished). The response returned lives in the caller's Scope.
 *
 * A Client middleware, not a Transport one: it retries the whole request as the caller made it
 * (redirects followed again from the first URL), and a status is only retried when it is the
 * final answer. The Client's timeout applies to each attempt (a timed-out attempt is a
 * `TransportError` of reason `timeout`, retried like any other; so is one whose connection was
 * refused or reset). Not retried: a `TransportError` of phase `request` or of reason
 * `invalid-request`, `shutdown`, `certificate`, `not-tls` or `body-too-large`.
 *
 * @since 0.1.0
 * @category middleware
 */
export const retry = (options: RetryOptions = {}): ClientMiddleware => {
  const schedule = options.schedule ?? DEFAULT_SCHEDULE
  const maxRetryAfterMs = Duration.toMillis(Duration.decode(options.maxRetryAfter ?? "60 seconds"))
  const statuses: ReadonlySet<number> = new Set(options.statuses ?? [429, 503])
  return (next: Execute): Execute =>
  <E, R>(request: Request<E>, scope: Effect.Effect<Scope.Scope, never, R>, requestOptions?: ClientRequestOptions) => {
    if (!isReplayable(request)) return next(request, scope, requestOptions)
    return Effect.suspend(() => {
      let state: unknown = schedule.initial
      /** Steps the schedule: the delay before the next attempt in ms, or undefined when it is done. */
      const step = (input: unknown): Effect.Effect<number | undefined> =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          Effect.map(schedule.step(now, input, state), ([s, , decision]) => {
            state = s
            return ScheduleDecision.isDone(decision) ? undefined : Math.max(0, ScheduleIntervals.start(decision.intervals) - now)
          }))

      const attempt = (): Effect.Effect<Response<TransportError>, unknown, R> =>
        Effect.suspend(() => {
          const rewound = Body.rewind(request.body)
          // isReplayable said the body can be sent again, so `rewound` is Some.
          const body = Option.getOrElse(rewound, () => request.body)
          const req = body === request.body ? request : request.withBody(body)
          const lazy = new AttemptScope()
          const onResponse = (response: Response<TransportError>): Effect.Effect<Response<TransportError>, unknown, R> => {
            if (!statuses.has(response.status)) return keep(response, lazy, scope)
            return Effect.flatMap(Clock.currentTimeMillis, (now) => {
              const retryAfter = retryAfterMillis(response.headers.get("Retry-After"), now)
              return Effect.flatMap(step(response), (delay) => {
                if (delay === undefined) return keep(response, lazy, scope)
                const wait = retryAfter === undefined ? delay : Math.min(retryAfter, maxRetryAfterMs)
                return release(response, lazy).pipe(Effect.zipRight(Effect.sleep(Duration.millis(wait))), Effect.zipRight(attempt()))
              })
            })
          }
          return next(req, lazy.get, requestOptions).pipe(
            Effect.onExit((exit) => Exit.isSuccess(exit) ? Effect.void : lazy.close(exit)),
            Effect.matchCauseEffect({
              onFailure: (cause) => {
                const failure = Cause.failureOption(cause)
                if (Option.isNone(failure) || !isRetryableError(failure.value)) return Effect.failCause(cause)
                return Effect.flatMap(step(failure.value), (delay) =>
                  delay === undefined ? Effect.failCause(cause) : Effect.zipRight(Effect.sleep(Duration.millis(delay)), attempt()))
              },
              onSuccess: (response) => Effect.onError(onResponse(response), (cause) => lazy.close(Exit.failCause(cause)))
            })
          )
        })
      return attempt()
    }) as Effect.Effect<Response<TransportError>, ClientError | E, R>
  }
}

/** An attempt's Scope, made by hand on first need (a response whose body is still arriving). */
class AttemptScope {
  made: Scope.CloseableScope | undefined = undefined
  readonly get: Effect.Effect<Scope.Scope> = Effect.suspend(() =>
    this.made !== undefined ? Effect.succeed(this.made) : Effect.tap(Scope.make(), (s) => {
      this.made = s
    })
  )

  close(exit: Exit.Exit<unknown, unknown>): Effect.Effect<void> {
    return this.made === undefined ? Effect.void : Scope.close(this.made, exit)
  }
}

/**
 * The response returned: a body that arrived whole needs no Scope (the attempt's, if made, is
 * closed at once); one still arriving, or an upgrade, keeps the attempt's Scope open as long as
 * the caller's, which is taken from `scope` only then.
 */
const keep = <R>(response: Response<TransportError>, lazy: AttemptScope, scope: Effect.Effect<Scope.Scope, never, R>): Effect.Effect<Response<TransportError>, never, R> => {
  if (lazy.made === undefined) return Effect.succeed(response)
  if (response.body._tag !== "Stream" && !isUpgrade(response)) return Effect.as(lazy.close(Exit.void), response)
  return Effect.flatMap(scope, (outer) => Effect.as(Scope.addFinalizer(outer, lazy.close(Exit.void)), response))
}

/** Reads a little of a discarded response's body (so a small one frees its connection), then closes its Scope. */
const release = (response: Response<TransportError>, lazy: AttemptScope): Effect.Effect<void> => {
  const length = response.contentLength
  const drain = response.body._tag === "Stream" && (length === undefined || length <= DRAIN_LIMIT)
    ? Effect.ignore(Stream.runFoldWhile(Body.toStream(response.body), 0, (n) => n <= DRAIN_LIMIT, (n, chunk) => n + chunk.length))
    : Effect.void
  return Effect.ensuring(drain, lazy.close(Exit.void))
}

/**
 * The wait a `Retry-After` field asks for, in milliseconds from `now` (RFC 9110 §10.2.3:
 * delay-seconds, or an HTTP-date, a date in the past meaning no wait); undefined when absent
 * or invalid.
 */
const retryAfterMillis = (value: string | undefined, now: number): number | undefined => {
  if (value === undefined) return undefined
  const v = value.trim()
  if (v === "") return undefined
  if (/^[0-9]+$/.test(v)) return Number(v) * 1000
  const seconds = parseHttpTime(v)
  return seconds === undefined ? undefined : Math.max(0, seconds * 1000 - now)
}


// ---------------------------------------------------------------------------------------------
// defaultHeaders

/**
 * Adds each of these header fields to a request that has no field of that name (all its values
 * when a name has several); a field the request has is left as it is. The request is copied
 * (its headers cloned) only when something is added: the caller's request is never changed.
 * The fields are validated with the request's own, by the Transport (an invalid one fails the
 * round trip with a `TransportError` of reason `invalid-request`).
 *
 * @since 0.1.0
 * @category middleware
 */
export const defaultHeaders = (headers: HeadersInput): TransportMiddleware => {
  const defaults = Headers.make(headers)
  const names = defaults.names()
  return (next: RoundTrip): RoundTrip => (request, scope) => {
    let copy: Headers | undefined
    for (const name of names) {
      if (request.headers.has(name)) continue
      copy ??= request.headers.clone()
      for (const value of defaults.values(name)) copy.add(name, value)
    }
    if (copy === undefined) return next(request, scope)
    return next(
      new Request({
        method: request.method,
        url: request.url,
        headers: copy,
        body: request.body,
        host: request.host,
        proto: request.proto,
        trailers: request.trailers
      }),
      scope
    )
  }
}

// ---------------------------------------------------------------------------------------------
// limitResponseBody

/**
 * Limits every response body to `maxBytes` (Go's `http.MaxBytesReader` around `resp.Body`):
 * reading it fails once more than `maxBytes` have arrived (the chunk that crosses the limit is
 * not handed out), and fails at its first read, reading nothing, when its declared length
 * (Content-Length) is over the limit. A body of exactly `maxBytes` is read whole.
 *
 * The failure is a `TransportError` of phase `reading-body` and reason `body-too-large`, its
 * `cause` a `ResponseBodyTooLarge` with the facts (`limit`, `received`, `contentLength`); `reused`
 * is false (the middleware does not know the connection). It is a `TransportError` so that the
 * middleware keeps the Transport's type (`Response<TransportError>`) and composes anywhere a
 * Transport goes. Once the read fails the rest stays unread, so closing the response's Scope
 * closes the connection. Upgrade responses (101) are passed through.
 *
 * `maxBytes` must be a non-negative safe integer (a RangeError is thrown otherwise).
 *
 * @since 0.1.0
 * @category middleware
 */
export const limitResponseBody = (maxBytes: number): TransportMiddleware => {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
    throw new RangeError(`limitResponseBody: maxBytes must be a non-negative safe integer, got ${maxBytes}`)
  }
  return (next: RoundTrip): RoundTrip => (request, scope) =>
    Effect.map(next(request, scope), (response) => limited(response, request as Request<unknown>, maxBytes))
}

const limited = (response: Response<TransportError>, request: Request<unknown>, max: number): Response<TransportError> => {
  if (isUpgrade(response)) return response
  const body = response.body
  if (body._tag === "Empty") return response
  const tooLarge = (received: number, contentLength: number | undefined): TransportError => {
    const cause = new ResponseBodyTooLarge({ limit: max, received, contentLength })
    return new TransportError({
      phase: "reading-body",
      reason: "body-too-large",
      reused: false,
      method: request.method,
      url: redacted(request.url),
      detail: cause.message,
      cause
    })
  }
  if (body._tag === "Bytes") {
    // The body arrived whole with the head: too large by its Content-Length (nothing counted
    // as read), or by what arrived (chunked or read to close).
    const arrived = body.bytes.byteLength
    if (arrived <= max) return response
    const declared = declaredLength(response)
    return failing(response, declared === undefined ? tooLarge(arrived, undefined) : tooLarge(0, declared), arrived, undefined)
  }
  const length = Body.contentLength(body)
  // Too large by its declared length: fail before reading anything.
  // Past the limit, the rest of the body is given up at once (its connection closed).
  const release = body._tag === "Stream" ? body.release : undefined
  if (length !== undefined && length > max) return failing(response, tooLarge(0, length), length, release)
  const pull = body._tag === "Stream" ? body.pull : undefined
  if (pull !== undefined) {
    let received = 0
    let failed: TransportError | undefined
    const counted: Effect.Effect<Uint8Array, Option.Option<TransportError>> = Effect.suspend(() =>
      failed !== undefined ? Effect.fail(Option.some(failed)) : Effect.flatMap(pull, (chunk) => {
        received += chunk.byteLength
        if (received <= max) return Effect.succeed(chunk)
        failed = tooLarge(received, length)
        const fail = Effect.fail(Option.some(failed))
        return release === undefined ? fail : Effect.zipRight(release, fail)
      })
    )
    return withBody(response, Body.stream(Stream.repeatEffectOption(counted), length, counted, release))
  }
  const stream = Stream.suspend(() => {
    let received = 0
    return Stream.mapEffect(Body.toStream(body), (chunk) => {
      received += chunk.byteLength
      return received <= max ? Effect.succeed(chunk) : Effect.fail(tooLarge(received, length))
    })
  })
  return withBody(response, Body.stream(stream, length))
}

/** The response with a body failing with `error` at its first read (giving up the real one first). */
const failing = (response: Response<TransportError>, error: TransportError, length: number, release: Effect.Effect<void> | undefined): Response<TransportError> => {
  const fail = release === undefined ? Effect.fail(error) : Effect.zipRight(release, Effect.fail(error))
  return withBody(response, Body.stream(Stream.fromEffect(fail), length, Effect.mapError(fail, Option.some), release))
}

/** The Content-Length of a response not sent chunked, when valid. */
const declaredLength = (response: Response<TransportError>): number | undefined => {
  if (response.headers.has("Transfer-Encoding")) return undefined
  const value = response.headers.get("Content-Length")
  return value !== undefined && /^[0-9]+$/.test(value) ? Number(value) : undefined
}

