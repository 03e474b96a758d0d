/**
 * The client span of one request, as `HttpClient.make` of @effect/platform 0.97 opens it
 * (`internal/httpClient.ts`, `make`): named by `HttpClient.SpanNameGenerator`, kind `"client"`,
 * a child of the calling span, with the OpenTelemetry attributes of the request (method, URL,
 * server, every header redacted by `Headers.currentRedactedNames`) and of the response (status,
 * every header), ended when the response head is in. Under Effect's built-in tracer, which
 * records nothing, a lean span is opened instead: the same name, kind, parent and propagation
 * headers, with the method and status only (the URL and header attributes cost more than the
 * rest of a round trip and no one can read them).
 *
 * @module
 * @internal
 */
import * as PlatformHeaders from "@effect/platform/Headers"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Effect, type Tracer } from "effect"
import type { RuntimeFiber } from "effect/Fiber"

// The attribute names of `internal/httpClient.ts` (OpenTelemetry semantic conventions).
const ATTR_HTTP_REQUEST_METHOD = "http.request.method"
const ATTR_HTTP_RESPONSE_STATUS_CODE = "http.response.status_code"
const ATTR_SERVER_ADDRESS = "server.address"
const ATTR_SERVER_PORT = "server.port"
const ATTR_URL_FULL = "url.full"
const ATTR_URL_PATH = "url.path"
const ATTR_URL_SCHEME = "url.scheme"
const ATTR_URL_QUERY = "url.query"
const ATTR_HTTP_REQUEST_HEADER = "http.request.header."
const ATTR_HTTP_RESPONSE_HEADER = "http.response.header."

/** The options `make` opens its span with. */
const SPAN_OPTIONS: Tracer.SpanOptions = { kind: "client", captureStackTrace: false }

/**
 * Sends the request; `propagation` is the span whose `b3`/`traceparent` headers go on the wire
 * (none when undefined).
 *
 * @internal
 */
export type Send = (
  propagation: Tracer.Span | undefined
) => Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>

/**
 * `send` under the span `HttpClient.make` opens, with the same attributes in the same order:
 * `http.request.method`, `server.address` (the URL's origin, as the platform sets it),
 * `server.port` (when the URL names one), `url.full`, `url.path`, `url.scheme`, `url.query`
 * (when not empty), `http.request.header.<name>` for each header before propagation; then, on a
 * response, `http.response.status_code` and `http.response.header.<name>`. Inner spans (the
 * Transport's) are its children (`Effect.withParentSpan`), as in `make`.
 *
 * @internal
 */
export const withPlatformSpan = (
  name: string,
  request: HttpClientRequest.HttpClientRequest,
  url: URL,
  fiber: RuntimeFiber<unknown, unknown>,
  propagate: boolean,
  send: Send
): Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError> =>
  Effect.useSpan(name, SPAN_OPTIONS, (span) => {
    span.attribute(ATTR_HTTP_REQUEST_METHOD, request.method)
    span.attribute(ATTR_SERVER_ADDRESS, url.origin)
    if (url.port !== "") span.attribute(ATTR_SERVER_PORT, +url.port)
    span.attribute(ATTR_URL_FULL, url.toString())
    span.attribute(ATTR_URL_PATH, url.pathname)
    span.attribute(ATTR_URL_SCHEME, url.protocol.slice(0, -1))
    const query = url.search.slice(1)
    if (query !== "") span.attribute(ATTR_URL_QUERY, query)
    const redactedNames = fiber.getFiberRef(PlatformHeaders.currentRedactedNames)
    const requestHeaders = PlatformHeaders.redact(request.headers, redactedNames)
    for (const key in requestHeaders) span.attribute(ATTR_HTTP_REQUEST_HEADER + key, String(requestHeaders[key]))
    return Effect.map(Effect.withParentSpan(send(propagate ? span : undefined), span), (response) => {
      span.attribute(ATTR_HTTP_RESPONSE_STATUS_CODE, response.status)
      const responseHeaders = PlatformHeaders.redact(response.headers, redactedNames)
      for (const key in responseHeaders) span.attribute(ATTR_HTTP_RESPONSE_HEADER + key, String(responseHeaders[key]))
      return response
    })
  })

/**
 * `send` under the lean span (for Effect's built-in tracer): `make`'s name, kind and parent,
 * `http.request.method` and `http.response.status_code` only, and the same propagation headers.
 *
 * @internal
 */
export const withLeanSpan = (
  name: string,
  request: HttpClientRequest.HttpClientRequest,
  propagate: boolean,
  send: Send
): Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError> =>
  Effect.useSpan(name, SPAN_OPTIONS, (span) => {
    span.attribute(ATTR_HTTP_REQUEST_METHOD, request.method)
    return Effect.map(send(propagate ? span : undefined), (response) => {
      span.attribute(ATTR_HTTP_RESPONSE_STATUS_CODE, response.status)
      return response
    })
  })
