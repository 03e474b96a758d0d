/**
 * What the parser yields for a message head: the start line's parts, the header fields, and
 * the framing it decided on (RFC 9112 §6.3).
 *
 * @module
 */
import type { Headers } from "../Headers.js"

/**
 * How a message body is delimited (RFC 9112 §6.3):
 * - `none`: no body (a request without Content-Length or Transfer-Encoding; a response to
 *   HEAD; 1xx, 204, 304; a 101 or a 2xx answer to CONNECT),
 * - `length`: exactly `contentLength` bytes,
 * - `chunked`: the chunked transfer coding, with optional trailers,
 * - `close`: a response read until the connection closes.
 *
 * @since 0.1.0
 * @category models
 */
export type Framing = "none" | "length" | "chunked" | "close"

/**
 * The form of a request-target (RFC 9112 §3.2).
 *
 * @since 0.1.0
 * @category models
 */
export type TargetForm = "origin" | "absolute" | "authority" | "asterisk"

/**
 * A parsed request head.
 *
 * @since 0.1.0
 * @category models
 */
export class RequestHead {
  constructor(
    /** The method, case-sensitive as received (common ones are interned). */
    readonly method: string,
    /** The request-target as received; bytes above 0x7F are percent-encoded. */
    readonly target: string,
    readonly targetForm: TargetForm,
    readonly versionMajor: number,
    readonly versionMinor: number,
    readonly headers: Headers,
    readonly framing: Framing,
    /** The body length for `length` framing, 0 for `none`, -1 otherwise. */
    readonly contentLength: number,
    /** Whether the connection may be kept open after this message (RFC 9112 §9.3). */
    readonly keepAlive: boolean,
    /** Whether the Connection field lists `upgrade` and an Upgrade field is present. */
    readonly upgrade: boolean
  ) {}

  /** "HTTP/1.0" or "HTTP/1.1" (as received). */
  get proto(): string {
    return `HTTP/${this.versionMajor}.${this.versionMinor}`
  }
}

/**
 * A parsed response head.
 *
 * @since 0.1.0
 * @category models
 */
export class ResponseHead {
  constructor(
    readonly status: number,
    /** The reason phrase as received, possibly empty. */
    readonly reason: string,
    readonly versionMajor: number,
    readonly versionMinor: number,
    readonly headers: Headers,
    readonly framing: Framing,
    /** The body length for `length` framing, 0 for `none`, -1 otherwise. */
    readonly contentLength: number,
    /** Whether the connection may be reused after this message (RFC 9112 §9.3). */
    readonly keepAlive: boolean,
    /** Whether the Connection field lists `upgrade` and an Upgrade field is present. */
    readonly upgrade: boolean
  ) {}

  /** "HTTP/1.0" or "HTTP/1.1" (as received). */
  get proto(): string {
    return `HTTP/${this.versionMajor}.${this.versionMinor}`
  }
}
