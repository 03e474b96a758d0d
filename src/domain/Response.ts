/**
 * An HTTP response, as Go's `http.Response`: what a server sends or a client received.
 *
 * A `Response` is an immutable value apart from its `Headers` (mutable like Go's
 * `http.Header`, owned by the response); the `with*` helpers return copies.
 *
 * @module
 */
import { Effect, Either, Function, type Scope } from "effect"
import type { ParseError } from "effect/ParseResult"
import type * as Schema from "effect/Schema"
import * as Body from "./Body.js"
import { type InvalidHeader, InvalidStatus, type ResponseBodyError, type ResponseBodyTooLarge } from "./errors.js"
import { Headers, type HeadersInput } from "./Headers.js"
import { REASON } from "./http1/chars.js"
import * as readers from "./readers.js"
import type { Request } from "./Request.js"
import * as Status from "./Status.js"

/**
 * Every field of a `Response`; see the class for their meaning.
 *
 * @since 0.1.0
 * @category models
 */
export interface ResponseFields<E = never> {
  readonly status: number
  readonly statusText: string
  readonly proto: string
  readonly headers: Headers
  readonly body: Body.Body<E>
  readonly trailers: Headers | undefined
  readonly request: Request<unknown> | undefined
  /** See {@link Response.uncompressed}; false when absent. */
  readonly uncompressed?: boolean
  /** See {@link Response.originalContentEncoding}. */
  readonly originalContentEncoding?: string | undefined
  /** See {@link Response.originalContentLength}. */
  readonly originalContentLength?: number | undefined
}

/**
 * What `Response.make` takes.
 *
 * @since 0.1.0
 * @category models
 */
export interface ResponseOptions<E = never> {
  /** The status code, 100..999. */
  readonly status: number
  /** The reason phrase; Go's `StatusText(status)` when absent. */
  readonly statusText?: string
  /** The protocol version; "HTTP/1.1" when absent. */
  readonly proto?: string
  readonly headers?: HeadersInput
  /** The body; empty when absent. */
  readonly body?: Body.Body<E>
  /** Trailer fields to send after a chunked body. */
  readonly trailers?: HeadersInput
  /** The request this response answers. */
  readonly request?: Request<unknown>
}

// reason-phrase = 1*( HTAB / SP / VCHAR / obs-text ) (RFC 9112 §4); empty is tolerated, as
// RFC 9112 §4 asks clients to accept a missing phrase.
const invalidReasonIndex = (s: string): number => {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c > 0xff || REASON[c] === 0) return i
  }
  return -1
}

const validateStatus = (status: number, statusText: string): InvalidStatus | undefined => {
  if (!Status.isValidCode(status)) return new InvalidStatus({ status, part: "code" })
  const i = invalidReasonIndex(statusText)
  return i < 0 ? undefined : new InvalidStatus({ status, part: "reason", statusText, index: i })
}

/**
 * An HTTP response. Construct one with `Response.make`, which validates; the constructor
 * does not, and is for the codec and the transport, which have validated already.
 *
 * Whether the status allows a body (`Status.bodyAllowed`) and whether the request was HEAD
 * are the writer's concern: like Go's server, it sends no body bytes then.
 *
 * Readers of the body: `response.text`, `bytes`, `json`, `schemaJson(schema)`,
 * `bytesAtMost(n)` and `textAtMost(n)` read it in the Scope the response lives in (the
 * caller's); the static ones with the same names take the effect that yields the response,
 * give it a Scope of its own and close that Scope when the read ends, so the connection is
 * released (returned to the pool when the body was read to its end, closed otherwise):
 *
 * ```ts
 * const page = yield* Response.text(client.get("http://127.0.0.1:8080/"))
 * const user = yield* Response.schemaJson(User)(client.get("http://127.0.0.1:8080/user"))
 * const small = yield* Response.bytesAtMost(client.get(url), 64 * 1024)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export class Response<E = never> {
  /** The status code (RFC 9110 §15). */
  readonly status: number
  /** The reason phrase, sent or received; possibly "" (RFC 9112 §4). */
  readonly statusText: string
  /** The protocol version, "HTTP/1.1" unless received otherwise. */
  readonly proto: string
  /** The header fields (mutable, owned by this response). */
  readonly headers: Headers
  /** The body. */
  readonly body: Body.Body<E>
  /** Trailer fields (RFC 9110 §6.5) sent or received after a chunked body, if any. */
  readonly trailers: Headers | undefined
  /** The request this response answers, when known (Go's `Response.Request`). */
  readonly request: Request<unknown> | undefined
  /**
   * Whether the client decoded the body it received (Go's `Response.Uncompressed`): the
   * Transport asked for codings and decoded gzip, deflate or br; `headers` then have no
   * Content-Encoding or Content-Length (the decoded length is unknown), and the received
   * values are in `originalContentEncoding` and `originalContentLength`.
   */
  readonly uncompressed: boolean
  /** When `uncompressed`: the Content-Encoding field as received (e.g. "gzip"). */
  readonly originalContentEncoding: string | undefined
  /** When `uncompressed`: the Content-Length as received (the coded length), if there was one. */
  readonly originalContentLength: number | undefined

  constructor(fields: ResponseFields<E>) {
    this.status = fields.status
    this.statusText = fields.statusText
    this.proto = fields.proto
    this.headers = fields.headers
    this.body = fields.body
    this.trailers = fields.trailers
    this.request = fields.request
    this.uncompressed = fields.uncompressed ?? false
    this.originalContentEncoding = fields.originalContentEncoding
    this.originalContentLength = fields.originalContentLength
  }

  /**
   * A response with this status, Go's reason phrase for it unless one is given, and valid
   * header and trailer fields (copied).
   */
  static make<E = never>(options: ResponseOptions<E>): Either.Either<Response<E>, InvalidStatus | InvalidHeader> {
    const statusText = options.statusText ?? Status.statusText(options.status)
    const invalid = validateStatus(options.status, statusText)
    if (invalid !== undefined) return Either.left(invalid)
    return Either.gen(function*() {
      const headers = yield* Headers.validated(options.headers)
      const trailers = options.trailers === undefined ? undefined : yield* Headers.validated(options.trailers)
      return new Response<E>({
        status: options.status,
        statusText,
        proto: options.proto ?? "HTTP/1.1",
        headers,
        body: options.body ?? Body.empty,
        trailers,
        request: options.request
      })
    })
  }

  // -------------------------------------------------------------------------------------------
  // Readers of the body, in the Scope the response lives in

  /**
   * The whole body as text, decoded as UTF-8 (invalid sequences become U+FFFD; a leading BOM
   * is dropped). A body that arrived whole is decoded directly; a streamed one is gathered
   * into one buffer and decoded once. Reading to the end releases the connection to the pool.
   */
  get text(): Effect.Effect<string, E> {
    return readers.text(this.body)
  }

  /** The whole body (Go's `io.ReadAll(resp.Body)`), as `Body.collect`. */
  get bytes(): Effect.Effect<Uint8Array, E> {
    return readers.bytes(this.body)
  }

  /** The whole body parsed as JSON; text that is not JSON fails with `ResponseBodyError`. */
  get json(): Effect.Effect<unknown, E | ResponseBodyError> {
    return readers.json(this.body)
  }

  /**
   * The whole body parsed as JSON and decoded with `schema` (`Schema.decodeUnknown`): a
   * `ResponseBodyError` for text that is not JSON, a `ParseError` for JSON that does not fit.
   */
  schemaJson<A, I, R>(schema: Schema.Schema<A, I, R>): Effect.Effect<A, E | ResponseBodyError | ParseError, R> {
    return readers.schemaJson(schema)(this.body)
  }

  /**
   * The whole body if it is at most `limit` bytes long (a negative limit counts as 0). Past
   * the limit, or when the declared length (Content-Length) already is, it fails with
   * `ResponseBodyTooLarge` and reads no further: the rest of the body is given up at once, and
   * the connection closed (not returned to the pool) rather than held until the response's
   * Scope closes.
   */
  bytesAtMost(limit: number): Effect.Effect<Uint8Array, E | ResponseBodyTooLarge> {
    return readers.bytesAtMost(this.body, limit)
  }

  /** `bytesAtMost(limit)` decoded as UTF-8, as `text`. */
  textAtMost(limit: number): Effect.Effect<string, E | ResponseBodyTooLarge> {
    return readers.textAtMost(this.body, limit)
  }

  // -------------------------------------------------------------------------------------------
  // Scoped readers: the response's Scope made here and closed when the read ends

  /**
   * Runs `effect` (e.g. `client.get(url)`) with a Scope of its own, reads the response's body
   * as text, and closes the Scope: the connection goes back to the pool (or is closed, on a
   * failure or an interruption). The Scope is made and closed by hand (about the cost of
   * `Effect.scoped`, without its context in the read).
   */
  static text<E1, E2, R>(effect: Effect.Effect<Response<E1>, E2, R>): Effect.Effect<string, E1 | E2, Exclude<R, Scope.Scope>> {
    return readers.scopedRead(effect, readers.text)
  }

  /** As `Response.text`, for the body's bytes. */
  static bytes<E1, E2, R>(effect: Effect.Effect<Response<E1>, E2, R>): Effect.Effect<Uint8Array, E1 | E2, Exclude<R, Scope.Scope>> {
    return readers.scopedRead(effect, readers.bytes)
  }

  /** As `Response.text`, for the body parsed as JSON (`ResponseBodyError` when it is not JSON). */
  static json<E1, E2, R>(
    effect: Effect.Effect<Response<E1>, E2, R>
  ): Effect.Effect<unknown, E1 | E2 | ResponseBodyError, Exclude<R, Scope.Scope>> {
    return readers.scopedRead(effect, readers.json)
  }

  /**
   * As `Response.text`, for the body parsed as JSON and decoded with `schema`:
   * `Response.schemaJson(schema)(effect)` or `Response.schemaJson(effect, schema)`. The
   * decoder is made once per `schemaJson(schema)`.
   */
  static readonly schemaJson: {
    <A, I, R2>(schema: Schema.Schema<A, I, R2>): <E1, E2, R>(
      effect: Effect.Effect<Response<E1>, E2, R>
    ) => Effect.Effect<A, E1 | E2 | ResponseBodyError | ParseError, Exclude<R, Scope.Scope> | R2>
    <E1, E2, R, A, I, R2>(
      effect: Effect.Effect<Response<E1>, E2, R>,
      schema: Schema.Schema<A, I, R2>
    ): Effect.Effect<A, E1 | E2 | ResponseBodyError | ParseError, Exclude<R, Scope.Scope> | R2>
  } = Function.dual(
    2,
    <E1, E2, R, A, I, R2>(effect: Effect.Effect<Response<E1>, E2, R>, schema: Schema.Schema<A, I, R2>) =>
      readers.scopedRead(effect, readers.schemaJson(schema))
  )

  /**
   * As `Response.text`, for at most `limit` bytes of the body:
   * `Response.bytesAtMost(limit)(effect)` or `Response.bytesAtMost(effect, limit)`. Past the
   * limit it fails with `ResponseBodyTooLarge` and the Scope closes at once, closing the
   * connection (the unread rest is never parsed).
   */
  static readonly bytesAtMost: {
    (limit: number): <E1, E2, R>(
      effect: Effect.Effect<Response<E1>, E2, R>
    ) => Effect.Effect<Uint8Array, E1 | E2 | ResponseBodyTooLarge, Exclude<R, Scope.Scope>>
    <E1, E2, R>(
      effect: Effect.Effect<Response<E1>, E2, R>,
      limit: number
    ): Effect.Effect<Uint8Array, E1 | E2 | ResponseBodyTooLarge, Exclude<R, Scope.Scope>>
  } = Function.dual(
    2,
    <E1, E2, R>(effect: Effect.Effect<Response<E1>, E2, R>, limit: number) =>
      readers.scopedRead(effect, (body) => readers.bytesAtMost(body, limit))
  )

  /** `Response.bytesAtMost` decoded as UTF-8, as `Response.text`. */
  static readonly textAtMost: {
    (limit: number): <E1, E2, R>(
      effect: Effect.Effect<Response<E1>, E2, R>
    ) => Effect.Effect<string, E1 | E2 | ResponseBodyTooLarge, Exclude<R, Scope.Scope>>
    <E1, E2, R>(
      effect: Effect.Effect<Response<E1>, E2, R>,
      limit: number
    ): Effect.Effect<string, E1 | E2 | ResponseBodyTooLarge, Exclude<R, Scope.Scope>>
  } = Function.dual(
    2,
    <E1, E2, R>(effect: Effect.Effect<Response<E1>, E2, R>, limit: number) =>
      readers.scopedRead(effect, (body) => readers.textAtMost(body, limit))
  )

  /** The body's length in bytes, or undefined when unknown (Go's ContentLength -1). */
  get contentLength(): number | undefined {
    return Body.contentLength(this.body)
  }

  /** A copy with these header fields (validated and copied) in place of the current ones. */
  withHeaders(headers: HeadersInput): Either.Either<Response<E>, InvalidHeader> {
    return Either.map(Headers.validated(headers), (h) => new Response<E>({ ...this.fields(), headers: h }))
  }

  /** A copy with this body (header and trailer fields are copied). */
  withBody<E2>(body: Body.Body<E2>): Response<E2> {
    return new Response<E2>({ ...this.fields(), body })
  }

  // The fields for a copy: headers and trailers are cloned, since each response owns its own.
  private fields(): ResponseFields<E> {
    return {
      status: this.status,
      statusText: this.statusText,
      proto: this.proto,
      headers: this.headers.clone(),
      body: this.body,
      trailers: this.trailers?.clone(),
      request: this.request,
      uncompressed: this.uncompressed,
      originalContentEncoding: this.originalContentEncoding,
      originalContentLength: this.originalContentLength
    }
  }
}
