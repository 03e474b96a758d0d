/**
 * One request's round trip, as `HttpClient.make` runs it: the platform request becomes ours
 * (headers, body, per-request options), goes through `Transport.roundTripIn`, and the answer
 * becomes a {@link NetHttpClientResponse}; failures become the platform's errors. Also the lean
 * span used under Effect's built-in tracer (see `HttpClient.make` in HttpClient.ts). The hot
 * path of the client: no generators, per-request values are class instances.
 *
 * @module
 */
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Cause, Context, Duration, Effect, Exit, FiberRef, Scope, type Tracer } from "effect"
import type { RuntimeFiber } from "effect/Fiber"
import * as Body from "../domain/Body.js"
import { LazyScope } from "../domain/lazyScope.js"
import { Request } from "../domain/Request.js"
import type { Response } from "../domain/Response.js"
import { isNativeTracer } from "../net/tracing.js"
import { TransportError } from "../transport/errors.js"
import { redacted } from "../domain/redact.js"
import type { TransportService } from "../transport/Transport.js"
import { isUpgrade } from "../transport/UpgradeResponse.js"
import { convertBody } from "./clientBody.js"
import { requestError } from "./clientErrors.js"
import { propagated, toHeaders } from "./clientHeaders.js"
import { RequestOptions, type RequestOptionsValue } from "./clientOptions.js"
import { BodyRelease, NetHttpClientResponse } from "./clientResponse.js"


/** Set (only while `make`'s per-request code runs) to turn its span off and ours on. */
const LEAN_SPAN = (_request: HttpClientRequest.HttpClientRequest): boolean => true

const LEAN_SPAN_OPTIONS: Tracer.SpanOptions = { kind: "client", captureStackTrace: false }

/**
 * For `HttpClient.transform`: under Effect's built-in tracer, with tracing on for `request`,
 * runs `effect` with `HttpClient.make`'s span turned off, so that `execute` opens the lean one.
 *
 * @internal
 */
export const withLeanSpan = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  request: HttpClientRequest.HttpClientRequest
): Effect.Effect<A, E, R> =>
  Effect.withFiberRuntime((fiber) => {
    if (
      !isNativeTracer(fiber.currentTracer) || !fiber.getFiberRef(FiberRef.currentTracerEnabled) ||
      fiber.getFiberRef(HttpClient.currentTracerDisabledWhen)(request)
    ) return effect
    // `make` sees its tracing disabled; `execute` sees this very predicate and opens the lean span.
    return Effect.locally(effect, HttpClient.currentTracerDisabledWhen, LEAN_SPAN)
  })

/**
 * What `HttpClient.make` runs for each request.
 *
 * @internal
 */
export type Execute = (
  request: HttpClientRequest.HttpClientRequest,
  url: URL,
  signal: AbortSignal,
  fiber: RuntimeFiber<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>
) => Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>

/**
 * The round trip of each request over `transport`, with the lean span when `withLeanSpan`
 * asked for it.
 *
 * @internal
 */
export const execute = (transport: TransportService): Execute => (request, url, signal, fiber) => {
  // Read the map directly, as the stock clients do: the Reference's default is the common case.
  const options = fiber.currentContext.unsafeMap.get(RequestOptions.key) as RequestOptionsValue | undefined
  if (fiber.getFiberRef(HttpClient.currentTracerDisabledWhen) !== LEAN_SPAN) return sendAll(transport, request, url, signal, options, undefined)
  // The lean span (see `withLeanSpan`): a child of the calling span, ended when the response head is
  // in (as the platform's); its propagation headers go straight into our Request.
  const name = Context.get(fiber.currentContext, HttpClient.SpanNameGenerator)(request)
  const propagate = fiber.getFiberRef(HttpClient.currentTracerPropagation)
  return Effect.useSpan(name, LEAN_SPAN_OPTIONS, (span) => {
    span.attribute("http.request.method", request.method)
    return Effect.map(sendAll(transport, request, url, signal, options, propagate ? span : undefined), (response) => {
      span.attribute("http.response.status_code", response.status)
      return response
    })
  })
}

/**
 * `request` sent with its body converted, under its header timeout if it has one. `span`: the
 * span whose propagation headers are to be sent (none when undefined).
 */
const sendAll = (
  transport: TransportService,
  request: HttpClientRequest.HttpClientRequest,
  url: URL,
  signal: AbortSignal,
  options: RequestOptionsValue | undefined,
  span: Tracer.Span | undefined
): Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError> => {
  const body = request.body
  let sent: Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>
  switch (body._tag) {
    case "Empty":
      sent = send(transport, request, url, signal, options, Body.empty, undefined, span)
      break
    case "Uint8Array":
      sent = send(transport, request, url, signal, options, Body.bytes(body.body), undefined, span)
      break
    default: {
      // Off the hot path: the platform request with the headers is made now, and its errors
      // and response carry it, as `HttpClient.make`'s own span has them.
      const traced = span === undefined ? request : propagated(request, span)
      sent = Effect.flatMap(convertBody(traced, body), (converted) =>
        send(transport, traced, url, signal, options, converted.body, converted.contentType, undefined))
    }
  }
  const timeout = options?.responseHeaderTimeout
  return timeout === undefined ? sent : withHeaderTimeout(sent, span === undefined ? request : propagated(request, span), url, timeout)
}

/** One round trip through the Transport, with `body` as the request's body; the answer wrapped. */
const send = (
  transport: TransportService,
  request: HttpClientRequest.HttpClientRequest,
  url: URL,
  signal: AbortSignal,
  options: RequestOptionsValue | undefined,
  body: Body.Body<HttpClientError.RequestError>,
  contentType: string | undefined,
  span: Tracer.Span | undefined
): Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError> => {
  const platformHeaders = request.headers
  const hostHeader = platformHeaders["host"]
  const ours = new Request<HttpClientError.RequestError>({
    method: request.method,
    url, // passed through as is: the Transport's destination cache is keyed by its href
    headers: toHeaders(platformHeaders, contentType, options?.noReuse === true, span),
    body,
    host: hostHeader ?? url.host,
    proto: "HTTP/1.1",
    trailers: undefined
  })
  // The Transport asks for a Scope only for a body still arriving (or an upgrade): then one is
  // made, and closed on abort (or at once for an upgrade). A body that arrived whole costs none.
  const holder = new LazyScope()
  return Effect.uninterruptibleMask((restore) =>
    Effect.matchCauseEffect(restore(transport.roundTripIn(ours, holder)), {
      onSuccess: (response) => wrap(request, response, holder.made, signal, span),
      // A failure or an interruption, even one right after the head came: whatever the
      // Scope holds (a streamed body's connection) is closed.
      onFailure: (cause) => {
        const failed = Effect.failCause(
          Cause.map(cause, (e) => e instanceof TransportError ? requestError(span === undefined ? request : propagated(request, span), url, e) : e)
        )
        const scope = holder.made
        return scope === undefined ? failed : Effect.zipRight(Scope.close(scope, Exit.void), failed)
      }
    })
  )
}

/** Our response as the platform's; a streamed body's Scope is closed when `signal` aborts. */
const wrap = (
  request: HttpClientRequest.HttpClientRequest,
  response: Response<TransportError>,
  scope: Scope.CloseableScope | undefined,
  signal: AbortSignal,
  span: Tracer.Span | undefined
): Effect.Effect<HttpClientResponse.HttpClientResponse> => {
  const tag = response.body._tag
  if (isUpgrade(response)) {
    // 101: the platform has no use for the switched connection; it is closed now, and the
    // response is its head with an empty body.
    const remote = response.conn.remoteAddress
    const out = new NetHttpClientResponse(request, response, undefined, remote, span)
    return scope === undefined ? Effect.succeed(out) : Effect.as(Scope.close(scope, Exit.void), out)
  }
  if (tag === "Empty" || tag === "Bytes" || scope === undefined) {
    return Effect.succeed(new NetHttpClientResponse(request, response, undefined, undefined, span))
  }
  return Effect.succeed(new NetHttpClientResponse(request, response, new BodyRelease(scope, signal), undefined, span))
}

/** `effect` failing with a `RequestError` (phase awaiting-headers, reason timeout) after `timeout`. */
const withHeaderTimeout = (
  effect: Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>,
  request: HttpClientRequest.HttpClientRequest,
  url: URL,
  timeout: Duration.DurationInput
): Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError> => {
  const duration = Duration.decode(timeout)
  return Effect.timeoutFail(effect, {
    duration,
    onTimeout: () =>
      requestError(
        request,
        url,
        new TransportError({
          phase: "awaiting-headers",
          reason: "timeout",
          reused: false,
          method: request.method,
          url: redacted(url),
          detail: `no response head within ${Duration.format(duration)} (NetHttpClient.RequestOptions.responseHeaderTimeout)`
        })
      )
  })
}
