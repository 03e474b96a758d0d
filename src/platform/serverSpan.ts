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
import { Chunk, Clock, Context, DefaultServices, Effect, Exit, FiberRef, FiberRefs, HashMap, Option, Tracer } from "effect"
import { canonicalHeaderKey } from "../domain/Headers.js"
import { isNativeTracer } from "../net/tracing.js"
import { NetServerRequest } from "./serverRequest.js"

// The fields HttpTraceContext.fromHeaders reads (W3C trace context, B3 single and multi), as
// it names them and in their canonical form (our Headers' keys: a lookup by a canonical name
// makes no new string).
const TRACE_FIELDS = ["traceparent", "b3", "x-b3-traceid", "x-b3-spanid", "x-b3-sampled"] as const
const TRACE_KEYS = TRACE_FIELDS.map(canonicalHeaderKey)

/** The request's trace fields alone, read from our request without converting every field. */
const traceFields = (request: HttpServerRequest.HttpServerRequest): PlatformHeaders.Headers => {
  if (!(request instanceof NetServerRequest)) return request.headers
  const source = request.source.headers
  let fields: Record<string, string> | undefined = undefined
  for (let i = 0; i < TRACE_FIELDS.length; i++) {
    const value = source.get(TRACE_KEYS[i]!)
    if (value !== undefined) (fields ??= {})[TRACE_FIELDS[i]!] = value
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

const HEX = "abcdef0123456789"

/** `length` random hex digits, as the built-in tracer makes its ids. */
const randomHex = (length: number): string => {
  let out = ""
  for (let i = 0; i < length; i++) out += HEX.charAt(Math.floor(Math.random() * 16))
  return out
}

// A span's statuses are classes, not literals: one per request, and a literal's allocation site
// is pretenured once a burst of them survives a scavenge (ARCHITECTURE.md, V8 traps).
class Started {
  readonly _tag = "Started"
  constructor(readonly startTime: bigint) {}
}

class Ended {
  readonly _tag = "Ended"
  constructor(readonly startTime: bigint, readonly endTime: bigint, readonly exit: Exit.Exit<unknown, unknown>) {}
}

/**
 * The built-in tracer's server span (Effect's `NativeSpan`: the same fields, methods and
 * random ids), with its trace and span ids made when first read, its attributes map, events
 * and links when first written: most requests never read them, and the ids alone were ~1 µs
 * and ~2 KB of strings per request. A child span or a log that reads them gets them as before.
 */
class LazySpan implements Tracer.Span {
  readonly _tag = "Span"
  readonly context = Context.empty()
  readonly kind = "server" as const
  readonly sampled = true
  status: Tracer.SpanStatus
  private ids: { traceId: string; spanId: string } | undefined = undefined
  private attrs: Map<string, unknown> | undefined = undefined
  private eventList: Array<[name: string, startTime: bigint, attributes: Record<string, unknown>]> | undefined = undefined
  private linkList: Array<Tracer.SpanLink> | undefined = undefined

  constructor(readonly name: string, readonly parent: Option.Option<Tracer.AnySpan>, readonly startTime: bigint) {
    this.status = new Started(startTime)
  }

  private get madeIds(): { traceId: string; spanId: string } {
    const parent = this.parent
    return this.ids ??= { traceId: parent._tag === "Some" ? parent.value.traceId : randomHex(32), spanId: randomHex(16) }
  }

  get traceId(): string {
    return this.madeIds.traceId
  }

  get spanId(): string {
    return this.madeIds.spanId
  }

  get attributes(): ReadonlyMap<string, unknown> {
    return this.attrs ??= new Map()
  }

  get events(): ReadonlyArray<[name: string, startTime: bigint, attributes: Record<string, unknown>]> {
    return this.eventList ??= []
  }

  get links(): ReadonlyArray<Tracer.SpanLink> {
    return this.linkList ??= []
  }

  end(endTime: bigint, exit: Exit.Exit<unknown, unknown>): void {
    this.status = new Ended(this.status.startTime, endTime, exit)
  }

  attribute(key: string, value: unknown): void {
    ;(this.attrs ??= new Map()).set(key, value)
  }

  event(name: string, startTime: bigint, attributes?: Record<string, unknown>): void {
    ;(this.eventList ??= []).push([name, startTime, attributes ?? {}])
  }

  addLinks(links: ReadonlyArray<Tracer.SpanLink>): void {
    ;(this.linkList ??= []).push(...links)
  }
}

/**
 * Starts and ends the server span outside the app's fiber, for `Serving` (HttpServer.ts): the
 * span is made in plain code before the fiber starts and put in the request's context as its
 * `ParentSpan` (the context is built per request anyway), then ended with the fiber's exit. It
 * is the span `withServerSpan` makes, without the `useSpan` + `withParentSpan` layers (and the
 * context copy the latter costs). It applies only where it is exactly that span: the tracer is
 * Effect's built-in one and enabled, no span annotations or links are set on the serve fiber,
 * and the serve fiber has no parent span (otherwise `prepare` returns undefined and
 * `withServerSpan` is used).
 */
export interface ServerSpans {
  /** The span for `request`, or undefined when `disabledWhen` says so. */
  readonly start: (request: HttpServerRequest.HttpServerRequest) => Tracer.Span | undefined
  /** Ends `span` with the app's exit, recording the response status. */
  readonly end: (span: Tracer.Span, exit: Exit.Exit<unknown, unknown>) => void
}

/** The fast server spans for a fiber with these FiberRefs and context (see `ServerSpans`), when they apply. */
export const prepare = (
  fiberRefs: FiberRefs.FiberRefs,
  context: Context.Context<never>,
  disabledWhen: (request: HttpServerRequest.HttpServerRequest) => boolean
): ServerSpans | undefined => {
  const get = <A>(ref: FiberRef.FiberRef<A>): A => FiberRefs.getOrDefault(fiberRefs, ref)
  if (!get(FiberRef.currentTracerEnabled)) return undefined
  if (HashMap.size(get(FiberRef.currentTracerSpanAnnotations)) > 0 || Chunk.size(get(FiberRef.currentTracerSpanLinks)) > 0) return undefined
  if (Option.isSome(Context.getOption(context, Tracer.ParentSpan))) return undefined
  const services = get(DefaultServices.currentServices)
  // The span is the built-in tracer's, made lean (`LazySpan`): with another tracer, none of this.
  if (!isNativeTracer(Context.get(services, Tracer.Tracer))) return undefined
  const clock = Context.get(services, Clock.Clock)
  const timing = get(FiberRef.currentTracerTimingEnabled)
  const nameOf = Context.get(context, HttpMiddleware.SpanNameGenerator)
  const now = (): bigint => (timing ? clock.unsafeCurrentTimeNanos() : BigInt(0))
  return {
    start: (request) => {
      if (disabledWhen(request)) return undefined
      const span = new LazySpan(nameOf(request), HttpTraceContext.fromHeaders(traceFields(request)), now())
      span.attribute("http.request.method", request.method)
      return span
    },
    end: (span, exit) => {
      if (span.status._tag === "Ended") return
      if (Exit.isSuccess(exit)) {
        const response = exit.value as { readonly status?: unknown } | null | undefined
        if (typeof response?.status === "number") span.attribute("http.response.status_code", response.status)
      }
      span.end(now(), exit)
    }
  }
}
