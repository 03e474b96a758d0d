/**
 * What a handler answers: a status, header fields, a body and optional trailers. The server
 * frames it as Go's does (see `responseWriter.ts`): Content-Length for a body of known size,
 * chunked for a stream of unknown size on HTTP/1.1, until close on HTTP/1.0.
 *
 * Use with `import * as ServerResponse from "./ServerResponse.js"`.
 *
 * @module
 * @since 0.1.0
 */
import { Data, Effect, Either, type Stream } from "effect"
import { dual } from "effect/Function"
import * as Body from "../domain/Body.js"
import { Cookie, type CookieInit, type InvalidCookie, serializeSetCookie, validateCookie } from "../domain/Cookie.js"
import { Headers, type HeadersInput } from "../domain/Headers.js"
import * as Status from "../domain/Status.js"

/**
 * A response for the server to write. Its `headers` are owned by it (mutable, as Go's `Header`).
 *
 * @since 0.1.0
 * @category models
 */
export class ServerResponse<E = never> {
  constructor(
    /** The status code, 100..999. */
    readonly status: number,
    readonly headers: Headers,
    readonly body: Body.Body<E>,
    /**
     * Trailer fields sent after a chunked body (RFC 9110 §6.5), computed when the body ended.
     * Their names are announced in a `Trailer` field; a body of known length is then chunked.
     */
    readonly trailers: Effect.Effect<Headers, E> | undefined,
    /** The reason phrase; Go's `StatusText(status)` when absent. */
    readonly statusText: string | undefined
  ) {}
}

/**
 * What the constructors take besides the body.
 *
 * @since 0.1.0
 * @category models
 */
export interface ResponseInit<E = never> {
  /** Default 200. */
  readonly status?: number
  readonly statusText?: string
  readonly headers?: HeadersInput
  /** Trailer fields: their names now (announced in the head), their values when the body ended. */
  readonly trailers?: { readonly names: ReadonlyArray<string>; readonly values: Effect.Effect<Headers, E> }
}

/**
 * `JSON.stringify` refused the value (a cycle, a BigInt).
 *
 * @since 0.1.0
 * @category errors
 */
export class ResponseJsonError extends Data.TaggedError("ResponseJsonError")<{
  readonly detail: string
}> {}

const headersOf = (init: ResponseInit<unknown> | undefined, contentType: string | undefined): Headers => {
  // The common case, on every request of a hello-world handler: one known canonical field.
  if (init === undefined) return contentType === undefined ? Headers.empty() : oneField("Content-Type", contentType)
  const headers = init?.headers === undefined ? Headers.empty() : init.headers instanceof Headers ? init.headers : Headers.make(init.headers)
  if (contentType !== undefined && !headers.has("Content-Type")) headers.set("Content-Type", contentType)
  if (init?.trailers !== undefined) for (const name of init.trailers.names) headers.add("Trailer", name)
  return headers
}

/** Headers of one field, in `new Array`s (array literals' sites get pretenured under load). */
const oneField = (name: string, value: string): Headers => {
  const names = new Array<string>(1)
  const values = new Array<string>(1)
  names[0] = name
  values[0] = value
  return Headers.unsafeFromArrays(names, values)
}

const build = <E>(body: Body.Body<E>, init: ResponseInit<E> | undefined, contentType: string | undefined): ServerResponse<E> =>
  new ServerResponse(init?.status ?? Status.OK, headersOf(init, contentType), body, init?.trailers?.values, init?.statusText)

/**
 * A response with any body. No Content-Type is set: the server sniffs one from the first 512 bytes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <E = never>(body: Body.Body<E> = Body.empty, init?: ResponseInit<E>): ServerResponse<E> =>
  build(body, init, undefined)

/**
 * A response without a body (status default 200; give 204 for No Content).
 *
 * @since 0.1.0
 * @category constructors
 */
export const empty = (init?: ResponseInit): ServerResponse => build(Body.empty, init, undefined)

/**
 * A status with its reason phrase as the body, as Go's `http.Error(w, StatusText(code), code)`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const status = (code: number, init?: Omit<ResponseInit, "status">): ServerResponse =>
  build(Status.bodyAllowed(code) ? Body.text(Status.statusText(code) + "\n") : Body.empty, { ...init, status: code }, Status.bodyAllowed(code) ? "text/plain; charset=utf-8" : undefined)

/**
 * A UTF-8 text response, `Content-Type: text/plain; charset=utf-8` unless given.
 *
 * @since 0.1.0
 * @category constructors
 */
export const text = (body: string, init?: ResponseInit): ServerResponse =>
  build(Body.bytes(Buffer.from(body, "utf8")), init, "text/plain; charset=utf-8")

/**
 * A UTF-8 HTML response, `Content-Type: text/html; charset=utf-8` unless given.
 *
 * @since 0.1.0
 * @category constructors
 */
export const html = (body: string, init?: ResponseInit): ServerResponse =>
  build(Body.bytes(Buffer.from(body, "utf8")), init, "text/html; charset=utf-8")

/**
 * A response of these bytes (not copied). Content-Type is sniffed unless given.
 *
 * @since 0.1.0
 * @category constructors
 */
export const bytes = (body: Uint8Array, init?: ResponseInit): ServerResponse => build(Body.bytes(body), init, undefined)

/**
 * `value` as JSON, `Content-Type: application/json`; a Left when `JSON.stringify` fails (an Either, as
 * every constructor here that can fail: yield it in `Effect.gen` or return it from a handler).
 *
 * @since 0.1.0
 * @category constructors
 */
export const json = (value: unknown, init?: ResponseInit): Either.Either<ServerResponse, ResponseJsonError> =>
  Either.try({
    try: () => unsafeJson(value, init),
    catch: (error) => new ResponseJsonError({ detail: error instanceof Error ? error.message : String(error) })
  })

/**
 * `value` as JSON; throws when `JSON.stringify` does (use `json` for a typed error).
 *
 * @since 0.1.0
 * @category constructors
 */
export const unsafeJson = (value: unknown, init?: ResponseInit): ServerResponse =>
  build(Body.bytes(Buffer.from(JSON.stringify(value) ?? "null", "utf8")), init, "application/json")

/**
 * A streamed response: every chunk is written (flushed) as the stream yields it. With
 * `length` it is sent with Content-Length (the stream must yield exactly that many bytes),
 * otherwise chunked on HTTP/1.1 and until close on HTTP/1.0.
 *
 * @since 0.1.0
 * @category constructors
 */
export const stream = <E>(body: Stream.Stream<Uint8Array, E>, init?: ResponseInit<E> & { readonly length?: number }): ServerResponse<E> =>
  build(Body.stream(body, init?.length), init, undefined)

/**
 * A redirect to `location` (Go's `http.Redirect` without the path cleaning, which comes with ServeMux). Default 302.
 *
 * @since 0.1.0
 * @category constructors
 */
export const redirect = (location: string, code: number = Status.Found): ServerResponse =>
  build(Body.empty, { status: code, headers: { Location: location } }, undefined)

/**
 * `response` with a `Set-Cookie` field for `cookie` added (Go's `http.SetCookie`), as Go's
 * `Cookie.String` writes it, once `validateCookie` (Go's `Cookie.Valid`) accepted it: an
 * invalid cookie is an `InvalidCookie` naming the field, where Go would drop what is invalid
 * and log. The response is a copy with its own headers; the body is shared. Data-first
 * (`setCookie(response, cookie)`) or pipeable (`pipe(response, setCookie(cookie))`).
 *
 * @since 0.1.0
 * @category combinators
 */
export const setCookie: {
  (cookie: Cookie | CookieInit): <E>(response: ServerResponse<E>) => Either.Either<ServerResponse<E>, InvalidCookie>
  <E>(response: ServerResponse<E>, cookie: Cookie | CookieInit): Either.Either<ServerResponse<E>, InvalidCookie>
} = dual(
  2,
  <E>(response: ServerResponse<E>, cookie: Cookie | CookieInit): Either.Either<ServerResponse<E>, InvalidCookie> =>
    Either.map(validateCookie(cookie instanceof Cookie ? cookie : Cookie.make(cookie)), (valid) => {
      const headers = response.headers.clone()
      headers.add("Set-Cookie", serializeSetCookie(valid))
      return new ServerResponse(response.status, headers, response.body, response.trailers, response.statusText)
    })
)
