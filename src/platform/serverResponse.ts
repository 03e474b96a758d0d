/**
 * The response hook handed to `HttpApp.toHandled`: it turns the app's `HttpServerResponse` into
 * our `ServerResponse` and keeps it on the request's Exchange, for the connection's fiber to
 * write once the app is done. Nothing is written from the hook (node:http's adapter writes
 * there); the conversion is a few field copies for the common bodies.
 *
 * - Header names become canonical (`content-type` → `Content-Type`); each cookie of
 *   `response.cookies` is one `Set-Cookie` field (before a `set-cookie` header's, as
 *   @effect/platform-node orders them); `statusText` is the reason phrase.
 * - Bodies: Empty; Uint8Array as it is; Raw as bytes (a string, Uint8Array, ArrayBuffer), or
 *   streamed (a Node Readable, a web ReadableStream, a Blob); FormData encoded as multipart by
 *   the runtime's `Response`; Stream as it is, its chunks written as they come with backpressure.
 *   A streamed body's length is its `contentLength`, else a `content-length` header's, else
 *   unknown (chunked).
 * - A streamed body outlives the hook, so the request's Scope (where the app may have opened
 *   what the stream reads, a multipart upload's files for one) is closed when the body ends
 *   rather than when the app returns (`HttpApp.ejectDefaultScopeClose`, as the platform's own web
 *   handler does). If the body is never written (the client went away first), the connection's
 *   fiber closes it when it ends.
 * - HEAD, and statuses without a body (1xx, 204, 304): the head only, the body neither run nor
 *   kept (a Readable is destroyed at once).
 *
 * @module
 */
import { Cookies, HttpApp, type HttpServerRequest, type HttpServerResponse } from "@effect/platform"
import { Context, Data, Effect, Exit, Option, Runtime, Scope, Stream } from "effect"
import type { Readable } from "node:stream"
import * as Body from "../domain/Body.js"
import { Headers } from "../domain/Headers.js"
import { isToken } from "../domain/http1/chars.js"
import * as Status from "../domain/Status.js"
import { ServerResponse } from "../server/ServerResponse.js"
import { canonicalFieldName } from "../domain/fieldNames.js"
import { fromReadable, isReadable } from "./nodeStreams.js"
import { CurrentExchange, type Exchange, NetServerRequest } from "./serverRequest.js"

/**
 * A response the platform gave us that HTTP cannot carry (node:http throws on these too). Thrown
 * while converting (a header name is checked deep in a loop) and caught in `handleResponse`, in
 * this module, which makes it a defect: the app's fiber answers 500 as for any other defect.
 *
 * @internal
 */
export class InvalidResponse extends Data.TaggedError("InvalidResponse")<{
  /** What cannot be sent: the status code, a header name, or a Raw body of an unknown kind. */
  readonly reason: "status" | "header-name" | "raw-body"
  /** The offending value as text: the status, the name, or the body's `Object.prototype.toString`. */
  readonly value: string
}> {
  override get message(): string {
    switch (this.reason) {
      case "status":
        return `invalid status code ${this.value}`
      case "header-name":
        return `invalid header name ${JSON.stringify(this.value)}`
      case "raw-body":
        return `a Raw body of this kind cannot be sent: ${this.value}`
    }
  }
}

/** Our canonical form of a platform name; a name that is not a token cannot be sent. */
const canonical = (name: string): string => {
  if (!isToken(name)) throw new InvalidResponse({ reason: "header-name", value: name })
  return canonicalFieldName(name)
}

/** A response's fields in our form (a class: one per request, see `headersOf`). */
class ConvertedHeaders {
  constructor(readonly headers: Headers, readonly declaredLength: number | undefined) {}
}

// Per-request arrays and results are made with `new` (ARCHITECTURE.md, V8 traps): a literal's
// allocation site is pretenured once a burst of them survives a scavenge, and every later
// response's fields then went to the old generation (~380 B a request, measured).
/** Our fields for the response's headers and cookies, and the length a `content-length` header declares. */
const headersOf = (response: HttpServerResponse.HttpServerResponse): ConvertedHeaders => {
  const names: Array<string> = new Array(0)
  const values: Array<string> = new Array(0)
  const source = response.headers as Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
  const withCookies = !Cookies.isEmpty(response.cookies)
  let setCookie: string | ReadonlyArray<string> | undefined = undefined
  let declaredLength: number | undefined = undefined
  for (const name in source) {
    const value = source[name]
    if (value === undefined) continue
    if (withCookies && name === "set-cookie") {
      setCookie = value
      continue
    }
    if (name === "content-length" && typeof value === "string") {
      const n = Number(value)
      if (Number.isSafeInteger(n) && n >= 0) declaredLength = n
    }
    const key = canonical(name)
    if (typeof value === "string") {
      names.push(key)
      values.push(value)
    } else {
      for (const v of value) {
        names.push(key)
        values.push(String(v))
      }
    }
  }
  if (withCookies) {
    for (const cookie of Cookies.toSetCookieHeaders(response.cookies)) {
      names.push("Set-Cookie")
      values.push(cookie)
    }
    if (setCookie !== undefined) {
      for (const v of typeof setCookie === "string" ? [setCookie] : setCookie) {
        names.push("Set-Cookie")
        values.push(v)
      }
    }
  }
  return new ConvertedHeaders(Headers.unsafeFromArrays(names, values), declaredLength)
}

/**
 * What to do for a streamed body that outlives the hook: close the ejected request Scope and
 * destroy a Readable, once, when the body ends, or when the connection's fiber ends if it is
 * never run.
 */
const streamed = (
  exchange: Exchange,
  stream: Stream.Stream<Uint8Array, unknown>,
  scope: Option.Option<Scope.Scope>,
  readable: Readable | undefined
): Stream.Stream<Uint8Array, unknown> => {
  if (Option.isSome(scope)) HttpApp.ejectDefaultScopeClose(scope.value)
  let done = false
  const cleanup: Effect.Effect<void> = Effect.suspend(() => {
    if (done) return Effect.void
    done = true
    exchange.connFiber.removeObserver(fallback)
    if (readable !== undefined && !readable.destroyed) readable.destroy()
    return Option.isSome(scope) ? Scope.close(scope.value as Scope.CloseableScope, Exit.void) : Effect.void
  })
  const fallback = (): void => {
    if (!done) Runtime.runFork(exchange.runtime, cleanup)
  }
  exchange.connFiber.addObserver(fallback)
  return Stream.ensuring(stream, cleanup)
}

const fromWeb = (stream: () => ReadableStream<Uint8Array>): Stream.Stream<Uint8Array, unknown> =>
  Stream.suspend(() => Stream.fromReadableStream(stream, (cause) => cause))

/** A body that is not sent (HEAD, or a status without one): its length only; a Readable is destroyed. */
const unsent = (body: HttpServerResponse.HttpServerResponse["body"], declaredLength: number | undefined): Body.Body<unknown> => {
  switch (body._tag) {
    case "Empty":
      return Body.empty
    case "Uint8Array":
      return Body.bytes(body.body)
    case "Raw": {
      const raw = body.body
      if (typeof raw === "string") return Body.bytes(Buffer.from(raw, "utf8"))
      if (raw instanceof Uint8Array) return Body.bytes(raw)
      if (isReadable(raw)) raw.destroy()
      return Body.stream(Stream.empty, body.contentLength ?? declaredLength)
    }
    case "FormData":
      return Body.stream(Stream.empty)
    case "Stream":
      return Body.stream(Stream.empty, body.contentLength ?? declaredLength)
  }
}

/** Converts the platform's response (see the module's description). Throws InvalidResponse. */
const convert = (
  exchange: Exchange,
  response: HttpServerResponse.HttpServerResponse,
  context: Context.Context<never>
): ServerResponse<unknown> => {
  const status = response.status
  if (!Number.isInteger(status) || status < 100 || status > 999) throw new InvalidResponse({ reason: "status", value: String(status) })
  const { declaredLength, headers } = headersOf(response)
  const body = response.body
  if (exchange.source.method === "HEAD" || !Status.bodyAllowed(status)) {
    return new ServerResponse(status, headers, unsent(body, declaredLength), undefined, response.statusText)
  }
  const scope = () => Context.getOption(context, Scope.Scope)
  let out: Body.Body<unknown>
  switch (body._tag) {
    case "Empty":
      out = Body.empty
      break
    case "Uint8Array":
      out = Body.bytes(body.body)
      break
    case "Raw": {
      const raw = body.body
      const length = body.contentLength ?? declaredLength
      if (raw === undefined || raw === null) out = Body.empty
      else if (typeof raw === "string") out = Body.bytes(Buffer.from(raw, "utf8"))
      else if (raw instanceof Uint8Array) out = Body.bytes(raw)
      else if (raw instanceof ArrayBuffer) out = Body.bytes(new Uint8Array(raw))
      else if (isReadable(raw)) out = Body.stream(streamed(exchange, fromReadable(raw, (cause) => cause), scope(), raw), length)
      else if (raw instanceof ReadableStream) out = Body.stream(streamed(exchange, fromWeb(() => raw as ReadableStream<Uint8Array>), scope(), undefined), length)
      else if (raw instanceof Blob) out = Body.stream(streamed(exchange, fromWeb(() => raw.stream()), scope(), undefined), raw.size)
      else throw new InvalidResponse({ reason: "raw-body", value: Object.prototype.toString.call(raw) })
      break
    }
    case "FormData": {
      // The runtime's multipart encoder, as @effect/platform-node uses it.
      const encoded = new Response(body.formData)
      const contentType = encoded.headers.get("content-type")
      if (contentType !== null) headers.set("Content-Type", contentType)
      out = Body.stream(streamed(exchange, fromWeb(() => encoded.body!), scope(), undefined))
      break
    }
    case "Stream":
      out = Body.stream(streamed(exchange, body.stream, scope(), undefined), body.contentLength ?? declaredLength)
      break
  }
  return new ServerResponse(status, headers, out, undefined, response.statusText)
}

/**
 * The response hook for `HttpApp.toHandled`: keeps the first response of the request for the
 * server to write (a later one, as node:http's adapter ignores a response after the first).
 */
export const handleResponse = (
  request: HttpServerRequest.HttpServerRequest,
  response: HttpServerResponse.HttpServerResponse
): Effect.Effect<void> => Effect.withFiberRuntime((fiber) => keepResponse(fiber.currentContext, request, response) ?? Effect.void)

/**
 * `handleResponse`'s work, in the context of the fiber it runs in: undefined when it is done (the
 * response kept, or a later one ignored), or the defect to die with (a response HTTP cannot
 * carry). The lean toHandled (handled.ts) calls it inside its own `withFiberRuntime`.
 *
 * @internal
 */
export const keepResponse = (
  context: Context.Context<never>,
  request: HttpServerRequest.HttpServerRequest,
  response: HttpServerResponse.HttpServerResponse
): Effect.Effect<never> | undefined => {
  const exchange = request instanceof NetServerRequest ? request.exchange : Context.getOrElse(context, CurrentExchange, () => undefined)
  if (exchange === undefined || exchange.response !== undefined) return undefined
  try {
    exchange.response = convert(exchange, response, context)
    return undefined
  } catch (error) {
    return Effect.die(error)
  }
}
