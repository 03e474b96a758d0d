/**
 * An HTTP response, as Go's `http.Response`: what a server sends or a client received.
 *
 * A `Response` is an immutable value apart from its `Headers` (mutable like Go's
 * `http.Header`, owned by the response); the `with*` helpers return copies.
 *
 * @module
 */
import { Either } from "effect"
import * as Body from "./Body.js"
import { type InvalidHeader, InvalidStatus } from "./errors.js"
import { Headers, type HeadersInput } from "./Headers.js"
import { REASON } from "./http1/chars.js"
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

  constructor(fields: ResponseFields<E>) {
    this.status = fields.status
    this.statusText = fields.statusText
    this.proto = fields.proto
    this.headers = fields.headers
    this.body = fields.body
    this.trailers = fields.trailers
    this.request = fields.request
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
      request: this.request
    }
  }
}
