/**
 * The server span of a request under Effect's built-in tracer, made for less than the
 * platform's `HttpMiddleware.tracer` costs. The built-in tracer exports nothing, so the span
 * matters only to the app itself (`Effect.currentSpan`, trace ids in its own logs, child spans):
 * it keeps the name, the kind, the parent taken from the request's trace headers (W3C
 * `traceparent`, B3), the method and the status, and leaves out the attributes nobody reads
 * there (the full URL and every request and response header, which cost a URL parse and a
 * redacted copy of the headers per request). With any other tracer installed the platform's
 * own middleware makes the full span, as on NodeHttpServer.
 *
 * @module
 */
import { HttpMiddleware, HttpServerRequest, HttpTraceContext } from "@effect/platform"
import type { Headers as PlatformHeaders } from "@effect/platform"
import { Context, Effect, Exit, Option } from "effect"
import { NetServerRequest } from "./serverRequest.js"

// The fields HttpTraceContext.fromHeaders reads (W3C trace context, B3 single and multi).
const TRACE_FIELDS = ["traceparent", "b3", "x-b3-traceid", "x-b3-spanid", "x-b3-sampled"] as const

/** The request's trace fields alone, read from our request without converting every field. */
const traceFields = (request: HttpServerRequest.HttpServerRequest): PlatformHeaders.Headers => {
  if (!(request instanceof NetServerRequest)) return request.headers
  const source = request.source.headers
  let fields: Record<string, string> | undefined = undefined
  for (const name of TRACE_FIELDS) {
    const value = source.get(name)
    if (value !== undefined) (fields ??= {})[name] = value
  }
  return (fields ?? {}) as PlatformHeaders.Headers
}

/** Wraps `app` in the request's server span (see the module's comment). */
export const withServerSpan = <E, R>(
  app: Effect.Effect<unknown, E, R | HttpServerRequest.HttpServerRequest>,
  disabledWhen: (request: HttpServerRequest.HttpServerRequest) => boolean
): Effect.Effect<unknown, E, R | HttpServerRequest.HttpServerRequest> =>
  Effect.withFiberRuntime((fiber) => {
    const request = Context.unsafeGet(fiber.currentContext, HttpServerRequest.HttpServerRequest)
    if (disabledWhen(request)) return app
    const name = Context.get(fiber.currentContext, HttpMiddleware.SpanNameGenerator)(request)
    return Effect.useSpan(name, {
      parent: Option.getOrUndefined(HttpTraceContext.fromHeaders(traceFields(request))),
      kind: "server",
      captureStackTrace: false
    }, (span) => {
      span.attribute("http.request.method", request.method)
      return Effect.onExit(Effect.withParentSpan(app, span), (exit) =>
        Effect.sync(() => {
          if (Exit.isSuccess(exit)) {
            const response = exit.value as { readonly status?: unknown }
            if (typeof response.status === "number") span.attribute("http.response.status_code", response.status)
          }
        }))
    })
  })
