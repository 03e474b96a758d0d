/**
 * The header fields a client request is sent with: our `Headers` from the platform's record
 * (Host left to the request's own field, a multipart boundary's Content-Type, `Connection: close`,
 * trace propagation), and the platform request with the propagation headers added. Pure: no
 * effects, no I/O.
 *
 * @module
 */
import type * as PlatformHeaders from "@effect/platform/Headers"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpTraceContext from "@effect/platform/HttpTraceContext"
import type { Tracer } from "effect"
import { Headers } from "../domain/Headers.js"
import { canonicalFieldName } from "../domain/fieldNames.js"

/**
 * The platform request with the trace propagation headers of `span`, as `HttpClient.make` sends it.
 *
 * @internal
 */
export const propagated = (request: HttpClientRequest.HttpClientRequest, span: Tracer.Span): HttpClientRequest.HttpClientRequest =>
  HttpClientRequest.setHeaders(request, HttpTraceContext.toHeaders(span))

/**
 * Our fields for the platform's `input`: `contentType` replaces its Content-Type, `close` adds
 * `Connection: close`, and `span`'s `b3` and `traceparent` replace any given.
 *
 * @internal
 */
export const toHeaders = (
  input: PlatformHeaders.Headers,
  contentType: string | undefined,
  close: boolean,
  span: Tracer.Span | undefined
): Headers => {
  const names: Array<string> = []
  const values: Array<string> = []
  for (const key in input) {
    if (key === "host") continue // the Host is the request's own field
    if (span !== undefined && (key === "b3" || key === "traceparent")) continue // replaced, as `HttpTraceContext.toHeaders` would
    if (close && key === "connection") continue
    if (contentType !== undefined && key === "content-type") continue // the multipart boundary wins
    names.push(canonicalFieldName(key))
    values.push(input[key]!)
  }
  if (contentType !== undefined) {
    names.push("Content-Type")
    values.push(contentType)
  }
  if (close) {
    names.push("Connection")
    values.push("close")
  }
  if (span !== undefined) {
    // `HttpTraceContext.toHeaders(span)`, without the platform Headers record.
    const sampled = span.sampled
    const parent = span.parent
    names.push("B3", "Traceparent")
    values.push(
      `${span.traceId}-${span.spanId}-${sampled ? "1" : "0"}${parent._tag === "Some" ? `-${parent.value.spanId}` : ""}`,
      `00-${span.traceId}-${span.spanId}-${sampled ? "01" : "00"}`
    )
  }
  // Not validated here: the Transport validates every request's fields before sending.
  return Headers.unsafeFromArrays(names, values)
}
