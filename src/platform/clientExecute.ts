/**
 * One request's round trip, as `HttpClient.makeWith` runs it (`postprocess`): the URL made,
 * the span opened (clientSpan.ts), the platform request becomes ours (headers, body,
 * per-request options), goes through `Transport.roundTripIn`, and the answer becomes a
 * {@link NetHttpClientResponse}; failures become the platform's errors. The hot path of the
 * client: no generators, per-request values are class instances, and none of the per-response
 * AbortController, FinalizationRegistry entry and wrapper of `HttpClient.make`.
 *
 * @module
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as UrlParams from "@effect/platform/UrlParams"
import { Cause, Context, Duration, Effect, Exit, FiberRef, Scope, type Tracer } from "effect"
import type { RuntimeFiber } from "effect/Fiber"
import { globalValue } from "effect/GlobalValue"
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
import { withLeanSpan, withPlatformSpan } from "./clientSpan.js"


/**
 * The controllers of `HttpClient.withScope`'s requests: the platform keeps them in a global
 * WeakMap (`scopedRequests` in `internal/httpClient.ts`) that `make` reads; this is the same map
 * (`globalValue` gives the one value per key), so `withScope` applies to this client as to
 * `make`'s.
 */
const scopedRequests = globalValue(
  "@effect/platform/HttpClient/scopedRequests",
  () => new WeakMap<HttpClientRequest.HttpClientRequest, AbortController>()
)

/**
 * What `HttpClient.makeWith` runs for each request (its `postprocess`): what
 * `HttpClient.make` does, without the per-response AbortController, FinalizationRegistry entry
 * and `InterruptibleResponse` wrapper `make` adds (our responses release their own connection;
 * see `BodyRelease`):
 * - the URL from the request's URL, parameters and hash (`UrlParams.makeUrl`), an `InvalidUrl`
 *   `RequestError` if it cannot be made;
 * - tracing off (`Effect.withTracerEnabled(false)` or `HttpClient.withTracerDisabledWhen`): no
 *   span and no propagation headers;
 * - otherwise the span of `make` (see clientSpan.ts), named by `HttpClient.withSpanNameGenerator`,
 *   with `b3`/`traceparent` headers unless `HttpClient.withTracerPropagation(false)`; under
 *   Effect's built-in tracer the lean one;
 * - a streamed response body released when `HttpClient.withScope`'s Scope closes (as `make` aborts its
 *   controller), when it is read to the end or interrupted, or when the response is
 *   garbage-collected unread (only a body still arriving holds a connection).
 *
 * @internal
 */
export const postprocess = (transport: TransportService) => {
  const run = (request: HttpClientRequest.HttpClientRequest) =>
    Effect.withFiberRuntime<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>((fiber) =>
      roundTrip(transport, request, fiber)
    )
  return (
    request: Effect.Effect<HttpClientRequest.HttpClientRequest>
  ): Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError> => Effect.flatMap(request, run)
}

/** One request as `postprocess` runs it, on the calling fiber. */
const roundTrip = (
  transport: TransportService,
  request: HttpClientRequest.HttpClientRequest,
  fiber: RuntimeFiber<unknown, unknown>
): Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError> => {
  const made = UrlParams.makeUrl(request.url, request.urlParams, request.hash)
  if (made._tag === "Left") return Effect.fail(new HttpClientError.RequestError({ request, reason: "InvalidUrl", cause: made.left }))
  const url = made.right
  // `make` hands `f` the scoped controller's signal and registers nothing else for such a request.
  const signal = scopedRequests.get(request)?.signal
  // Read the map directly, as the stock clients do: the Reference's default is the common case.
  const options = fiber.currentContext.unsafeMap.get(RequestOptions.key) as RequestOptionsValue | undefined
  if (!fiber.getFiberRef(FiberRef.currentTracerEnabled) || fiber.getFiberRef(HttpClient.currentTracerDisabledWhen)(request)) {
    return sendAll(transport, request, url, signal, options, undefined)
  }
  const name = Context.get(fiber.currentContext, HttpClient.SpanNameGenerator)(request)
  const propagate = fiber.getFiberRef(HttpClient.currentTracerPropagation)
  const send = (span: Tracer.Span | undefined) => sendAll(transport, request, url, signal, options, span)
  return isNativeTracer(fiber.currentTracer)
    ? withLeanSpan(name, request, propagate, send)
    : withPlatformSpan(name, request, url, fiber, propagate, send)
}

/**
 * What `HttpClient.make` runs for each request: the round trip alone, no span (`make` opens its
 * own). Not used by the layer (see `postprocess`); kept so that a client built by
 * `HttpClient.make` over the Transport can be compared with ours.
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
 * The round trip of each request over `transport`, for `HttpClient.make` (see {@link Execute}).
 *
 * @internal
 */
export const execute = (transport: TransportService): Execute => (request, url, signal, fiber) =>
  sendAll(transport, request, url, signal, fiber.currentContext.unsafeMap.get(RequestOptions.key) as RequestOptionsValue | undefined, undefined)

/**
 * `request` sent with its body converted, under its header timeout if it has one. `span`: the
 * span whose propagation headers are to be sent (none when undefined).
 */
const sendAll = (
  transport: TransportService,
  request: HttpClientRequest.HttpClientRequest,
  url: URL,
  signal: AbortSignal | undefined,
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
  signal: AbortSignal | undefined,
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

/**
 * Our response as the platform's. A streamed body's Scope is closed when `signal` aborts or,
 * without a signal, when the response is garbage-collected unread.
 */
const wrap = (
  request: HttpClientRequest.HttpClientRequest,
  response: Response<TransportError>,
  scope: Scope.CloseableScope | undefined,
  signal: AbortSignal | undefined,
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
  const release = new BodyRelease(scope, signal)
  const out = new NetHttpClientResponse(request, response, release, undefined, span)
  // No signal (neither `make`'s nor `withScope`'s): nothing else would close the body of a
  // response dropped unread, so its garbage collection does, as `make`'s registry would.
  if (signal === undefined) release.closeWhenCollected(out)
  return Effect.succeed(out)
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
