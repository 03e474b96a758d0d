/**
 * Typed errors of the domain layer: what went wrong while reading or validating an HTTP/1.1
 * message, with the facts as fields (which limit, which header, at which byte offset).
 *
 * @module
 */
import { Data } from "effect"
import { StacklessTaggedError } from "./stacklessError.js"

/**
 * Which kind of message an error concerns.
 *
 * @since 0.1.0
 * @category errors
 */
export type MessageKind = "request" | "response"

/**
 * Why a message was malformed. Each reason is one rule of RFC 9112 (or one of our stricter
 * choices, listed in README's "Differences from Go").
 *
 * @since 0.1.0
 * @category errors
 */
export type MalformedReason =
  | "invalid-method"
  | "invalid-target"
  | "invalid-version"
  | "invalid-status-line"
  | "invalid-status-code"
  | "invalid-reason-phrase"
  | "bare-lf"
  | "bare-cr"
  | "invalid-header-name"
  | "whitespace-before-colon"
  | "missing-colon"
  | "invalid-header-value"
  | "obs-fold"
  | "invalid-content-length"
  | "conflicting-content-length"
  | "content-length-with-transfer-encoding"
  | "transfer-encoding-on-http10"
  | "invalid-transfer-encoding"
  | "invalid-chunk-size"
  | "chunk-size-too-large"
  | "invalid-chunk-extension"
  | "chunk-line-too-long"
  | "missing-chunk-crlf"
  | "trailers-too-large"
  | "unexpected-eof"

/**
 * A message that breaks the HTTP/1.1 grammar or its framing rules. A server answers it with
 * 400 Bad Request and closes the connection; a client fails the round trip.
 *
 * @since 0.1.0
 * @category errors
 */
export class MalformedMessage extends StacklessTaggedError("MalformedMessage")<{
  readonly kind: MessageKind
  readonly reason: MalformedReason
  /** Byte offset from the first byte of the message where the problem was found. */
  readonly offset: number
  /** The header concerned, when there is one (canonical form). */
  readonly header?: string
  /** A short human-readable explanation. */
  readonly detail: string
}> {
  override get message(): string {
    return `malformed HTTP ${this.kind}: ${this.detail} (${this.reason} at byte ${this.offset})`
  }
}

/**
 * The message head (start line and header fields), or the trailer section, grew past its
 * configured limit. A server answers 431 Request Header Fields Too Large (RFC 6585 §5).
 *
 * @since 0.1.0
 * @category errors
 */
export class HeaderTooLarge extends StacklessTaggedError("HeaderTooLarge")<{
  readonly kind: MessageKind
  /** "head" for the start line and header fields, "trailers" for the trailer section. */
  readonly section: "head" | "trailers"
  /** The limit in bytes. */
  readonly limit: number
  /** Byte offset from the first byte of the message where the limit was passed. */
  readonly offset: number
}> {
  override get message(): string {
    return `HTTP ${this.kind} ${this.section} larger than ${this.limit} bytes`
  }
}

/**
 * A request whose Transfer-Encoding names a coding other than `chunked`. A server answers
 * 501 Not Implemented (RFC 9112 §6.1), as Go does.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnsupportedTransferEncoding extends StacklessTaggedError("UnsupportedTransferEncoding")<{
  readonly kind: MessageKind
  /** The Transfer-Encoding field value as received. */
  readonly coding: string
  readonly offset: number
}> {
  override get message(): string {
    return `unsupported transfer encoding: ${JSON.stringify(this.coding)}`
  }
}

/**
 * A syntactically valid HTTP version other than 1.0 or 1.1. A server answers
 * 505 HTTP Version Not Supported.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnsupportedVersion extends StacklessTaggedError("UnsupportedVersion")<{
  readonly kind: MessageKind
  readonly major: number
  readonly minor: number
  readonly offset: number
}> {
  override get message(): string {
    return `unsupported HTTP version: HTTP/${this.major}.${this.minor}`
  }
}

/**
 * Every error the HTTP/1.1 parser produces.
 *
 * @since 0.1.0
 * @category errors
 */
export type ParseError = MalformedMessage | HeaderTooLarge | UnsupportedTransferEncoding | UnsupportedVersion

/**
 * A header name or value that may not be sent: a name that is not a token (RFC 9110 §5.1),
 * or a value with CR, LF, NUL or another control character (RFC 9110 §5.5).
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidHeader extends Data.TaggedError("InvalidHeader")<{
  readonly name: string
  readonly part: "name" | "value"
  /** Index of the offending character in the name or value. */
  readonly index: number
}> {
  override get message(): string {
    return `invalid header field ${this.part} for ${JSON.stringify(this.name)} at index ${this.index}`
  }
}

/**
 * A method that is not a token (RFC 9110 §9.1).
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidMethod extends Data.TaggedError("InvalidMethod")<{
  readonly method: string
}> {
  override get message(): string {
    return `invalid HTTP method ${JSON.stringify(this.method)}`
  }
}

/**
 * The status a server answers a request that failed to parse with, as Go's server does:
 * 431 for an oversized head, 501 for an unknown transfer coding, 505 for an unsupported
 * version, 400 for everything else.
 *
 * @since 0.1.0
 * @category utils
 */
export const statusForParseError = (error: ParseError): number => {
  switch (error._tag) {
    case "HeaderTooLarge":
      return error.section === "head" ? 431 : 400
    case "UnsupportedTransferEncoding":
      return 501
    case "UnsupportedVersion":
      return 505
    case "MalformedMessage":
      return 400
  }
}

/**
 * Why a URL was refused.
 *
 * @since 0.1.0
 * @category errors
 */
export type InvalidUrlReason =
  /** The WHATWG URL parser refused it. */
  | "unparseable"
  /**
   * It holds an ASCII control character (Go's url.Parse refuses those), or begins or ends
   * with a space (which the WHATWG parser would silently drop).
   */
  | "invalid-character"
  /** Its scheme is neither http nor https (Go's "unsupported protocol scheme"). */
  | "unsupported-scheme"

/**
 * A request URL that cannot be used, with the URL as given and the reason.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidUrl extends Data.TaggedError("InvalidUrl")<{
  readonly url: string
  readonly reason: InvalidUrlReason
}> {
  override get message(): string {
    return `invalid request URL ${JSON.stringify(this.url)}: ${this.reason}`
  }
}

/**
 * A status code or reason phrase that cannot be sent: a code outside 100..999 (Go's
 * `WriteHeader` panics on those; RFC 9110 §15), or a reason phrase holding a character
 * RFC 9112 §4 does not allow (CR, LF and other controls, or anything above 0xFF).
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidStatus extends Data.TaggedError("InvalidStatus")<{
  readonly status: number
  /** Which part is invalid: the code itself or the reason phrase. */
  readonly part: "code" | "reason"
  /** The reason phrase offered, when it is the invalid part. */
  readonly statusText?: string
  /** Index of the offending character in the reason phrase, when it is the invalid part. */
  readonly index?: number
}> {
  override get message(): string {
    return this.part === "code"
      ? `invalid HTTP status code ${this.status}`
      : `invalid reason phrase ${JSON.stringify(this.statusText)} at index ${this.index}`
  }
}

/**
 * A response body that could not be read as asked: for `Response.json` and
 * `Response.schemaJson`, text that is not JSON. Carries the parser's message and the start of
 * the text, so a log line shows what came instead (an HTML error page, say).
 *
 * @since 0.1.0
 * @category errors
 */
export class ResponseBodyError extends Data.TaggedError("ResponseBodyError")<{
  /** What the body failed to be. */
  readonly reason: "invalid-json"
  /** The parser's own message (`JSON.parse`'s SyntaxError). */
  readonly detail: string
  /** The body's first characters (at most 64, "…" added when cut). */
  readonly excerpt: string
  /** The body's length in bytes. */
  readonly length: number
}> {
  override get message(): string {
    return `response body is not valid JSON (${this.length} bytes): ${this.detail}; body starts ${JSON.stringify(this.excerpt)}`
  }
}

/**
 * A response body longer than a reader's limit (`Response.bytesAtMost`, `Response.textAtMost`).
 * The read stopped there: the rest of the body is not read, so its connection is closed, not
 * returned to the pool, once the response's Scope closes (at once with the static readers).
 *
 * @since 0.1.0
 * @category errors
 */
export class ResponseBodyTooLarge extends Data.TaggedError("ResponseBodyTooLarge")<{
  /** The limit in bytes. */
  readonly limit: number
  /**
   * The bytes read when the read stopped (more than `limit`); 0 when the declared length alone
   * exceeded the limit and nothing was read.
   */
  readonly received: number
  /** The body's declared length (Content-Length), when known. */
  readonly contentLength: number | undefined
}> {
  override get message(): string {
    return this.received > this.limit
      ? `response body exceeds ${this.limit} bytes (${this.received} bytes read)`
      : `response body of ${this.contentLength} bytes exceeds the limit of ${this.limit} bytes`
  }
}
