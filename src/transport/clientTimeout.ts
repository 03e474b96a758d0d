/**
 * The Client's total timeout (Go's `Client.Timeout`): one deadline over getting a connection,
 * every redirect, the response head and reading the body, and a `TransportError` of reason
 * `timeout` whose phase says what was running when it ran out (tracked from the Transport's
 * `ClientTrace` events, passed on to the caller's own hooks). Touches nothing but the response
 * it wraps.
 *
 * @module
 * @internal
 */
import { type Clock, Duration, Effect, Option, Stream } from "effect"
import * as Body from "../domain/Body.js"
import type { Request } from "../domain/Request.js"
import type { Response } from "../domain/Response.js"
import { ClientTrace, type ClientTraceHooks } from "./ClientTrace.js"
import { type Phase, TransportError } from "./errors.js"
import { withBody } from "./rebody.js"
import { redacted } from "../domain/redact.js"

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
const bodyWithDeadline = (
  clock: Clock.Clock,
  response: Response<TransportError>,
  request: Request<unknown>,
  tracker: PhaseTracker,
  deadline: number,
  timeoutMs: number
): Response<TransportError> => {
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

/**
 * `exchange` (the hops of `request`, ending with the final response) within `timeoutMs`,
 * its body included: the time left when the head arrived bounds the body's reads.
 *
 * @internal
 */
export const withTimeout = <E>(
  clock: Clock.Clock,
  request: Request<unknown>,
  timeoutMs: number,
  exchange: Effect.Effect<Response<TransportError>, E>
): Effect.Effect<Response<TransportError>, E | TransportError> =>
  Effect.flatMap(Effect.serviceOption(ClientTrace), (user) => {
    const tracker = new PhaseTracker(Option.getOrUndefined(user))
    const deadline = clock.unsafeCurrentTimeMillis() + timeoutMs
    return exchange.pipe(
      Effect.timeoutFail({ duration: timeoutMs, onTimeout: () => timeoutError(request, tracker, timeoutMs) }),
      Effect.map((response) => bodyWithDeadline(clock, response, request, tracker, deadline, timeoutMs)),
      Effect.provideService(ClientTrace, tracker.hooks)
    )
  })
