/**
 * Go's handler helpers: `Error`, `NotFound`, `Redirect`, `RedirectHandler`, `StripPrefix`,
 * `TimeoutHandler` and `MaxBytesHandler`, plus a `Middleware` type to wrap handlers with, and
 * response compression (`compress`, from `compress.ts`).
 *
 * @module
 * @since 0.1.0
 */
import { type Duration, Effect, Option } from "effect"
import * as Body from "../domain/Body.js"
import { Headers } from "../domain/Headers.js"
import * as Status from "../domain/Status.js"
import { cleanSlashPath } from "./cleanPath.js"
import { RequestBodyError } from "./errors.js"
import type { Handler } from "./Handler.js"
import type { ServerRequest } from "./ServerRequest.js"
import { ServerResponse } from "./ServerResponse.js"

export {
  compress,
  CompressConfig,
  compressConfig,
  type CompressEncoding,
  type CompressOptions,
  compressResponse,
  DEFAULT_COMPRESSIBLE_TYPES,
  negotiateEncoding
} from "./compress.js"
export {
  forwarded,
  forwardedFacts,
  type ForwardedElement,
  type ForwardedNode,
  InvalidForwarded,
  parseForwarded,
  parseXForwardedFor,
  TrustedProxies,
  trustedProxies
} from "./forwarded.js"
export { health } from "./readiness.js"

/**
 * Wraps a handler in another (logging, authentication, limits).
 *
 * @since 0.1.0
 * @category models
 */
export type Middleware<E = never, R = never, E2 = E, R2 = R> = (handler: Handler<E, R>) => Handler<E2, R2>

/**
 * Applies middlewares so that the first one listed is the outermost (it sees the request first).
 *
 * @since 0.1.0
 * @category combinators
 */
export const compose = <E, R>(...middlewares: ReadonlyArray<Middleware<E, R>>) => (handler: Handler<E, R>): Handler<E, R> =>
  middlewares.reduceRight((h, m) => m(h), handler)

/**
 * Go's `http.Error`: `message` and a newline as plain text with `X-Content-Type-Options: nosniff`
 * (so a browser never renders it as HTML), and no Content-Length-breaking header from elsewhere.
 *
 * @since 0.1.0
 * @category constructors
 */
export const error = (message: string, code: number): ServerResponse => {
  const headers = Headers.unsafeFromArrays(
    ["Content-Type", "X-Content-Type-Options"],
    ["text/plain; charset=utf-8", "nosniff"]
  )
  return new ServerResponse(code, headers, Status.bodyAllowed(code) ? Body.text(message + "\n") : Body.empty, undefined, undefined)
}

/**
 * Go's `http.NotFound`: `404 page not found`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const notFound = (_request?: ServerRequest): ServerResponse => error("404 page not found", Status.NotFound)

/**
 * Go's `http.NotFoundHandler`.
 *
 * @since 0.1.0
 * @category handlers
 */
export const notFoundHandler: Handler = (request) => Effect.succeed(notFound(request))

const hasScheme = /^[A-Za-z][A-Za-z0-9+.-]*:/

const htmlEscapes: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&#34;", "'": "&#39;" }

/**
 * Go's `htmlEscape` (html.EscapeString's set, `"` and `'` as numeric references).
 *
 * @since 0.1.0
 * @category utils
 */
export const htmlEscape = (s: string): string => s.replace(/[&<>"']/g, (c) => htmlEscapes[c]!)

/**
 * Resolves a redirect target as Go's `Redirect` does: a target with a scheme is kept; one
 * without is taken relative to the request's path (its directory when it does not start with
 * `/`), then cleaned, keeping a trailing slash and the query.
 *
 * @since 0.1.0
 * @category utils
 */
export const resolveRedirect = (request: ServerRequest, target: string): string => {
  if (hasScheme.test(target) || target.startsWith("//")) return target
  const requestPath = request.url.pathname
  let query = ""
  const q = target.indexOf("?")
  if (q >= 0) {
    query = target.slice(q)
    target = target.slice(0, q)
  }
  if (!target.startsWith("/")) {
    const dir = requestPath.slice(0, requestPath.lastIndexOf("/") + 1)
    target = dir + target
  }
  const trailing = target.endsWith("/")
  let cleaned = cleanSlashPath(target)
  if (trailing && !cleaned.endsWith("/")) cleaned += "/"
  return cleaned + query
}

/**
 * Go's `http.Redirect`: a redirect to `target` (resolved against the request, see
 * `resolveRedirect`) with `code` (a 3xx), and for GET and HEAD a short HTML body linking to it.
 *
 * @since 0.1.0
 * @category constructors
 */
export const redirect = (request: ServerRequest, target: string, code: number): ServerResponse => {
  const location = resolveRedirect(request, target)
  const headers = Headers.unsafeFromArrays(["Location"], [location])
  // Go: "Shouldn't send the body for POST or HEAD; that leaves GET" (HEAD's body is dropped anyway).
  if (request.method === "GET" || request.method === "HEAD") {
    headers.set("Content-Type", "text/html; charset=utf-8")
    const body = Body.text(`<a href="${htmlEscape(location)}">${Status.statusText(code)}</a>.\n\n`)
    return new ServerResponse(code, headers, body, undefined, undefined)
  }
  return new ServerResponse(code, headers, Body.empty, undefined, undefined)
}

/**
 * Go's `http.RedirectHandler`: every request is redirected to `target` with `code`.
 *
 * @since 0.1.0
 * @category handlers
 */
export const redirectHandler = (target: string, code: number): Handler => (request) => Effect.succeed(redirect(request, target, code))

const splitTarget = (target: string): { readonly path: string; readonly query: string } => {
  const q = target.indexOf("?")
  return q < 0 ? { path: target, query: "" } : { path: target.slice(0, q), query: target.slice(q) }
}

/**
 * Go's `http.StripPrefix`: hands on the request with `prefix` removed from its path, or answers
 * 404 when the path does not start with it. The prefix is compared with the path as received
 * (escaped), as Go compares both `Path` and `RawPath`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const stripPrefix = <E, R>(prefix: string, handler: Handler<E, R>): Handler<E, R> => (request) => {
  const target = request.head.targetForm === "absolute" ? request.url.pathname + request.url.search : request.target
  const { path, query } = splitTarget(target)
  if (!path.startsWith(prefix)) return Effect.succeed(notFound(request))
  const rest = path.slice(prefix.length)
  return handler(request.withTarget(rest + query))
}

/**
 * Go's `http.TimeoutHandler`: when `handler` has not produced its response within `timeout`
 * (on Effect's Clock, so TestClock drives it), its fiber is interrupted and the client gets
 * 503 with `message` (Go's default "<html>...Timeout...</html>" when empty). A streamed body
 * the handler already returned is not covered: Go buffers the whole response, we do not.
 *
 * @since 0.1.0
 * @category combinators
 */
export const timeoutHandler = <E, R>(handler: Handler<E, R>, timeout: Duration.DurationInput, message = ""): Handler<E, R> => (request) =>
  Effect.timeoutTo(handler(request), {
    duration: timeout,
    onSuccess: (response): ServerResponse<E> => response,
    onTimeout: (): ServerResponse<E> =>
      message === ""
        ? new ServerResponse(
          Status.ServiceUnavailable,
          Headers.unsafeFromArrays(["Content-Type"], ["text/html; charset=utf-8"]),
          Body.text("<html><head><title>Timeout</title></head><body><h1>Timeout</h1></body></html>"),
          undefined,
          undefined
        )
        : error(message, Status.ServiceUnavailable)
  })

/**
 * Go's `http.MaxBytesHandler`: the request body is limited to `limit` bytes. Reading past it
 * fails with `RequestBodyError` "too-large"; a handler that fails with it gets 413, and in every
 * case the connection is closed after the reply (Go's `requestTooLarge`), since the rest of the
 * body was never read.
 *
 * @since 0.1.0
 * @category combinators
 */
export const maxBytes = <E, R>(handler: Handler<E, R>, limit: number): Handler<E, R> => (request) => {
  if (request.contentLength !== undefined && request.contentLength <= limit) return handler(request)
  let seen = 0
  let exceeded = false
  const tooLarge = Effect.fail(Option.some(new RequestBodyError({ reason: "too-large", detail: `the body is larger than ${limit} bytes` })))
  const pull = Effect.flatMap(request.pull, (chunk) => {
    if (exceeded) return tooLarge
    seen += chunk.length
    if (seen > limit) {
      exceeded = true
      return tooLarge
    }
    return Effect.succeed(chunk)
  })
  return Effect.map(handler(request.withBodyPull(pull)), (response) => {
    if (exceeded) response.headers.set("Connection", "close")
    return response
  })
}
