/**
 * Writers for HTTP/1.1 message heads and the chunked coding (RFC 9112). Each returns one
 * Buffer, ready for a single socket write; a small body can ride in the same Buffer.
 *
 * @module
 * @since 0.1.0
 */
import type { Headers } from "../Headers.js"
import { fieldHasToken } from "../tokenList.js"
import type { FastBuffer } from "./bufferMethods.js"

/**
 * The User-Agent sent when a request sets none, as Go sends `Go-http-client/1.1`.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_USER_AGENT = "effect-nethttp/0.1"

/**
 * How an outgoing body is delimited.
 *
 * @since 0.1.0
 * @category models
 */
export type OutgoingFraming =
  | { readonly _tag: "None" }
  | { readonly _tag: "Length"; readonly length: number }
  | { readonly _tag: "Chunked" }

const NONE: OutgoingFraming = { _tag: "None" }
const NO_NAMES: ReadonlyArray<string> = []
const CHUNKED: OutgoingFraming = { _tag: "Chunked" }

/**
 * How a request body is framed, as Go's transferWriter decides: a known positive length is
 * sent as Content-Length; an empty body sends `Content-Length: 0` only for POST, PUT and
 * PATCH (many servers want one there); an unknown length is chunked (never for CONNECT).
 *
 * @param length the body's length: 0 for no body, undefined when unknown
 *
 * @since 0.1.0
 * @category encoding
 */
export const requestFraming = (method: string, length: number | undefined): OutgoingFraming => {
  if (length === undefined) return method === "CONNECT" ? NONE : CHUNKED
  if (length > 0) return { _tag: "Length", length }
  return method === "POST" || method === "PUT" || method === "PATCH" ? { _tag: "Length", length: 0 } : NONE
}

/**
 * How a response body is framed, as Go's server decides: no body for HEAD and for 1xx, 204
 * and 304; a known length as Content-Length; an unknown length chunked on HTTP/1.1 and
 * delimited by closing the connection on HTTP/1.0.
 *
 * @since 0.1.0
 * @category encoding
 */
export const responseFraming = (
  requestMethod: string,
  status: number,
  length: number | undefined,
  http11: boolean
): OutgoingFraming | { readonly _tag: "Close" } => {
  if (status < 200 || status === 204 || status === 304) return NONE
  if (length !== undefined) return { _tag: "Length", length }
  if (requestMethod === "HEAD") return NONE
  return http11 ? CHUNKED : { _tag: "Close" }
}

/** Header fields the request writer controls itself (Go's `reqWriteExcludeHeader`). */
const REQUEST_EXCLUDED = new Set(["Host", "User-Agent", "Content-Length", "Transfer-Encoding", "Trailer"])
/** Header fields the response writer controls itself. */
const RESPONSE_EXCLUDED = new Set(["Content-Length", "Transfer-Encoding", "Trailer"])

/**
 * Go's writer turns CR and LF inside a value into spaces so no value can split a message.
 * Characters above 0xFF become spaces too: written as latin1 only their low byte would
 * remain, and U+010D would turn into a CR. (Callers validate first; this is the last guard.)
 *
 * @since 0.1.0
 * @category utils
 */
export const sanitizeFieldValue = (v: string): string => {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i)
    if (c === 0x0d || c === 0x0a || c > 0xff) return v.replace(/[\r\n\u0100-\uffff]/g, " ")
  }
  return v
}

const writeFields = (headers: Headers, excluded: ReadonlySet<string>): string => {
  let out = ""
  const n = headers.size
  for (let i = 0; i < n; i++) {
    const name = headers.nameAt(i)!
    if (excluded.has(name)) continue
    out += name + ": " + sanitizeFieldValue(headers.valueAt(i)!) + "\r\n"
  }
  return out
}

const framingFields = (framing: OutgoingFraming | { readonly _tag: "Close" }, trailerNames: ReadonlyArray<string>): string => {
  switch (framing._tag) {
    case "Length":
      return "Content-Length: " + framing.length + "\r\n"
    case "Chunked":
      return "Transfer-Encoding: chunked\r\n" + (trailerNames.length > 0 ? "Trailer: " + trailerNames.join(", ") + "\r\n" : "")
    default:
      return ""
  }
}

/**
 * What a request head is written from.
 *
 * @since 0.1.0
 * @category models
 */
export interface RequestHeadInit {
  readonly method: string
  /** The request-target: origin-form ("/path?q"), absolute-form for a proxy, authority-form for CONNECT. */
  readonly target: string
  /** The Host field value, written first. */
  readonly host: string
  readonly headers: Headers
  readonly framing: OutgoingFraming
  /** Adds `Connection: close` (Go's `Request.Close`, or a Transport with keep-alives off). */
  readonly close?: boolean
  /** Names announced in a Trailer field when the body is chunked. */
  readonly trailerNames?: ReadonlyArray<string>
  /** Adds `Accept-Encoding: gzip` (a Transport asking for transparent decompression, as Go's). */
  readonly acceptGzip?: boolean
  /**
   * Adds `Accept-Encoding` with this value (a Transport asking for the codings it decodes);
   * takes the place of `acceptGzip` when both are given.
   */
  readonly acceptEncoding?: string | undefined
}

/**
 * The request head as a string of latin1 characters: request-line, Host first, then the
 * User-Agent (the default unless the caller set one; an empty value sends none, as Go),
 * the caller's fields, `Connection: close` when asked, and the framing fields.
 *
 * @since 0.1.0
 * @category encoding
 */
export const formatRequestHead = (init: RequestHeadInit): string => {
  const headers = init.headers
  let out = init.method + " " + init.target + " HTTP/1.1\r\nHost: " + sanitizeFieldValue(init.host) + "\r\n"
  const ua = headers.get("User-Agent")
  if (ua === undefined) out += "User-Agent: " + DEFAULT_USER_AGENT + "\r\n"
  else if (ua !== "") out += "User-Agent: " + sanitizeFieldValue(ua) + "\r\n"
  out += writeFields(headers, REQUEST_EXCLUDED)
  if (init.close === true && !fieldHasToken(headers, "Connection", "close")) out += "Connection: close\r\n"
  if (init.acceptEncoding !== undefined) out += "Accept-Encoding: " + init.acceptEncoding + "\r\n"
  else if (init.acceptGzip === true) out += "Accept-Encoding: gzip\r\n"
  return out + framingFields(init.framing, init.trailerNames ?? NO_NAMES) + "\r\n"
}

/**
 * The request head, with `body` appended when given (for a small body sent in the same
 * write), as one Buffer.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeRequest = (init: RequestHeadInit, body?: Uint8Array): Buffer =>
  withBody(formatRequestHead(init), body)

/**
 * What a response head is written from.
 *
 * @since 0.1.0
 * @category models
 */
export interface ResponseHeadInit {
  readonly status: number
  /** The reason phrase; Go's `StatusText` is the usual choice. */
  readonly reason: string
  /** 0 for an HTTP/1.0 status line, 1 (the default) for HTTP/1.1. */
  readonly versionMinor?: number
  readonly headers: Headers
  readonly framing: OutgoingFraming | { readonly _tag: "Close" }
  /** Adds `Connection: close`. */
  readonly close?: boolean
  /** Adds `Connection: keep-alive` (for an HTTP/1.0 client that asked for it). */
  readonly keepAlive?: boolean
  readonly trailerNames?: ReadonlyArray<string>
  /** Fields already formatted (each line ending in CRLF), written after `headers`: a server's own Date, say. */
  readonly extraFields?: string
}

/**
 * The response head as a string of latin1 characters.
 *
 * @since 0.1.0
 * @category encoding
 */
export const formatResponseHead = (init: ResponseHeadInit): string => {
  let out = "HTTP/1." + (init.versionMinor ?? 1) + " " + init.status + " " + init.reason + "\r\n"
  out += writeFields(init.headers, RESPONSE_EXCLUDED)
  if (init.extraFields !== undefined) out += init.extraFields
  if (init.close === true) {
    if (!fieldHasToken(init.headers, "Connection", "close")) out += "Connection: close\r\n"
  } else if (init.keepAlive === true && !init.headers.has("Connection")) out += "Connection: keep-alive\r\n"
  return out + framingFields(init.framing, init.trailerNames ?? NO_NAMES) + "\r\n"
}

/**
 * The response head, with `body` appended when given, as one Buffer.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeResponse = (init: ResponseHeadInit, body?: Uint8Array): Buffer =>
  withBody(formatResponseHead(init), body)

const CRLF = Buffer.from("\r\n", "latin1")

/**
 * One chunk of the chunked coding (RFC 9112 §7.1): size line, data, CRLF. Empty data gives an empty Buffer.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeChunk = (data: Uint8Array): Buffer => {
  if (data.length === 0) return Buffer.alloc(0)
  const line = data.length.toString(16) + "\r\n"
  const out = Buffer.allocUnsafe(line.length + data.length + 2)
  ;(out as FastBuffer).latin1Write(line, 0)
  out.set(data, line.length)
  CRLF.copy(out, line.length + data.length)
  return out
}

/**
 * The last chunk, the trailer fields if any, and the final CRLF (RFC 9112 §7.1.2).
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeLastChunk = (trailers?: Headers): Buffer => {
  let out = "0\r\n"
  if (trailers !== undefined) out += writeFields(trailers, RESPONSE_EXCLUDED)
  return Buffer.from(out + "\r\n", "latin1")
}

/**
 * A head (latin1 characters) and a body in one Buffer, for one socket write.
 *
 * @since 0.1.0
 * @category encoding
 */
export const withBody = (head: string, body: Uint8Array | undefined): Buffer => {
  if (body === undefined || body.length === 0) return Buffer.from(head, "latin1")
  const out = Buffer.allocUnsafe(head.length + body.length)
  ;(out as FastBuffer).latin1Write(head, 0)
  out.set(body, head.length)
  return out
}

