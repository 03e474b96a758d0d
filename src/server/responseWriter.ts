/**
 * How the server frames a response, as Go's `response`/`chunkWriter` decide (server.go):
 * the status line (always HTTP/1.1, as Go), the handler's fields, `Date` and a sniffed
 * `Content-Type` when the handler set none, the connection fields and the framing.
 *
 * @module
 */
import * as Body from "../domain/Body.js"
import type { Headers } from "../domain/Headers.js"
import { type OutgoingFraming, responseFraming, sanitizeFieldValue } from "../domain/http1/writer.js"
import * as Status from "../domain/Status.js"
import { valueHasToken } from "../domain/tokenList.js"
import { detectContentType, SNIFF_LEN } from "./sniff.js"
import type { ServerResponse } from "./ServerResponse.js"

/** How the body goes on the wire: none, Content-Length, chunked, or until close. */
export type ResponseFraming = OutgoingFraming | { readonly _tag: "Close" }

/** The head to write and what follows it. */
export interface ResponsePlan {
  /** The head as latin1 characters. */
  readonly head: string
  readonly framing: ResponseFraming
  /** Whether body bytes are written at all (not for HEAD, 1xx, 204, 304). */
  readonly sendBody: boolean
  /** Whether the connection closes after this response. */
  readonly close: boolean
  /** Whether trailers follow the body (chunked only). */
  readonly withTrailers: boolean
}

/** What the request side contributes to the decision. */
export interface RequestSide {
  readonly method: string
  /** 0 for an HTTP/1.0 request, 1 for HTTP/1.1. */
  readonly versionMinor: number
  /** Whether the connection may stay open after this response, as far as the request and server go. */
  readonly keepAlive: boolean
}

/**
 * The head for `response`. `date` is the current IMF-fixdate; `firstChunk` the first body bytes
 * when known (a Bytes body's, or a stream's first chunk), for Content-Type sniffing.
 *
 * As Go's server (server.go, `chunkWriter.writeHeader`):
 * - a handler's valid Content-Length frames the body (also for HEAD, where it is written as
 *   given); an invalid one is dropped. A Bytes or Empty body of another length closes the
 *   connection after the response (see `bytesToWrite` for what is written);
 * - 1xx and 204 carry no Content-Length or Transfer-Encoding; 304 no Content-Type either
 *   (Go's `suppressedHeaders`; RFC 9110 §15.4.5, RFC 9112 §6.3);
 * - no Content-Type is sniffed when the handler set one, a Transfer-Encoding, or a non-empty
 *   Content-Encoding (golang/go#31753: sniffing compressed bytes labels them application/x-gzip).
 */
export const planResponse = (
  response: ServerResponse<unknown>,
  request: RequestSide,
  date: string,
  firstChunk: Uint8Array | undefined
): ResponsePlan => {
  const status = response.status
  const bodyAllowed = Status.bodyAllowed(status)
  const isHead = request.method === "HEAD"
  const http11 = request.versionMinor >= 1
  const f = new HandlerFields().scan(response.headers, status)
  // A Content-Length the handler set frames the body when it parses (Go's WriteHeader), so
  // trailers, which need chunked, cannot follow (as in Go, where they are then not sent).
  const declared = bodyAllowed && f.lengthFields === 1 && !f.codedTE ? declaredLength(f.lengthValue!) : undefined
  const wantsTrailers = response.trailers !== undefined && http11 && bodyAllowed && !isHead && declared === undefined
  const length = bodyAllowed ? (declared ?? (wantsTrailers ? undefined : Body.contentLength(response.body))) : undefined
  const framing = responseFraming(request.method, status, length, http11)
  // A body in hand that is not as long as the handler's Content-Length: the client cannot find
  // where this response ends, so the connection closes after it (Go's finishRequest).
  const short = declared !== undefined && !isHead && (response.body._tag === "Bytes" || response.body._tag === "Empty") &&
    Body.contentLength(response.body) !== declared
  const close = !request.keepAlive || framing._tag === "Close" || f.closeAsked || short

  let head = statusLine(status, response.statusText) + f.fields
  if (!f.hasDate) head += "Date: " + date + "\r\n"
  // Go's chunkWriter.writeHeader: no sniffing when the body is encoded (golang/go#31753).
  if (bodyAllowed && !f.hasType && !f.hasTE && !f.hasEncoding && firstChunk !== undefined && firstChunk.length > 0) {
    head += "Content-Type: " + detectContentType(firstChunk.length > SNIFF_LEN ? firstChunk.subarray(0, SNIFF_LEN) : firstChunk) + "\r\n"
  }
  if (close) head += "Connection: close\r\n"
  else if (f.connection !== undefined) head += "Connection: " + sanitizeFieldValue(f.connection) + "\r\n"
  else if (!http11) head += "Connection: keep-alive\r\n"
  switch (framing._tag) {
    case "Length":
      head += "Content-Length: " + framing.length + "\r\n"
      break
    case "Chunked":
      head += "Transfer-Encoding: chunked\r\n"
      if (wantsTrailers && f.trailerNames !== undefined) head += "Trailer: " + f.trailerNames.join(", ") + "\r\n"
      break
  }
  head += "\r\n"
  return new Plan(head, framing, framing._tag !== "None" && !isHead, close, wantsTrailers)
}

/** A `ResponsePlan`; a class, not an object literal, so that V8 never pretenures it (per response). */
class Plan implements ResponsePlan {
  constructor(
    readonly head: string,
    readonly framing: ResponseFraming,
    readonly sendBody: boolean,
    readonly close: boolean,
    readonly withTrailers: boolean
  ) {}
}

/**
 * The handler's header fields in one pass: the field lines to write as they are, and the facts
 * `planResponse` acts on. Names are canonical (Headers keeps them so), so plain comparisons do.
 */
class HandlerFields {
  fields = ""
  lengthValue: string | undefined = undefined
  lengthFields = 0
  codedTE = false
  hasDate = false
  hasType = false
  hasTE = false
  hasEncoding = false
  closeAsked = false
  connection: string | undefined = undefined
  trailerNames: Array<string> | undefined = undefined

  /** Reads `headers` (a handler's, answering with `status`); returns this. */
  scan(headers: Headers, status: number): this {
    for (let i = 0, n = headers.size; i < n; i++) {
      const name = headers.nameAt(i)!
      const value = headers.valueAt(i)!
      if (this.noted(name, value, status)) this.fields += name + ": " + sanitizeFieldValue(value) + "\r\n"
    }
    return this
  }

  /** Notes what `planResponse` acts on; false for a field written elsewhere (or not at all). */
  private noted(name: string, value: string, status: number): boolean {
    switch (name) {
      case "Content-Length":
        this.lengthValue ??= value
        this.lengthFields++
        return false // written from the framing (a valid one is `declared`)
      case "Transfer-Encoding":
        this.hasTE = true
        if (value.trim().toLowerCase() !== "identity") this.codedTE = true
        return false
      case "Trailer":
        for (const t of value.split(",")) if (t.trim() !== "") (this.trailerNames ??= []).push(t.trim())
        return false
      case "Date":
        this.hasDate = true
        return true
      case "Content-Type":
        // Go's suppressedHeaders(304); RFC 9110 §15.4.5: a 304 carries no representation metadata.
        if (status === Status.NotModified) return false
        this.hasType = true
        return true
      case "Content-Encoding":
        if (value !== "") this.hasEncoding = true
        return true
      case "Connection":
        if (valueHasToken(value, "close")) this.closeAsked = true
        this.connection = this.connection === undefined ? value : this.connection + ", " + value
        return false // written once we know whether the connection closes
      default:
        return true
    }
  }
}

/** What to write of a body held in memory (`bytesToWrite`), and what follows. */
export interface BytesWrite {
  /** The body bytes to write after the head, if any. */
  readonly data: Uint8Array | undefined
  /** Whether the connection closes after the response. */
  readonly close: boolean
  /** Why the body was not written as the handler gave it (for the log), when it was not. */
  readonly error: string | undefined
}

/**
 * What to write of an in-memory body (`bytes`, from a Bytes body; undefined for Empty) under
 * `plan`. With Content-Length framing (the handler's own Content-Length, which may differ from
 * the body's length) the wire must carry exactly the announced count: more bytes are cut to
 * it and the connection closes, with an error (Go's Write fails with `ErrContentLength`);
 * fewer are written and the connection closes (Go's `finishRequest`), so the client sees a
 * truncated body rather than a response that runs into the next one (RFC 9112 §6.3).
 */
export const bytesToWrite = (plan: ResponsePlan, bytes: Uint8Array | undefined): BytesWrite => {
  if (!plan.sendBody) return new BytesWriteImpl(undefined, plan.close, undefined)
  const framing = plan.framing
  const n = bytes === undefined ? 0 : bytes.length
  if (framing._tag !== "Length" || n === framing.length) return new BytesWriteImpl(bytes, plan.close, undefined)
  if (n > framing.length) {
    return new BytesWriteImpl(
      bytes!.subarray(0, framing.length),
      true,
      `the response body has ${n} bytes, more than its announced Content-Length of ${framing.length}: the rest was not written`
    )
  }
  return new BytesWriteImpl(bytes, true, `the response body has ${n} bytes, fewer than its announced Content-Length of ${framing.length}`)
}

class BytesWriteImpl implements BytesWrite {
  constructor(readonly data: Uint8Array | undefined, readonly close: boolean, readonly error: string | undefined) {}
}

/**
 * Whether a handler's status can be written: an integer from 100 to 999 (RFC 9110 §15:
 * three digits). Go's `WriteHeader` panics on any other (`checkWriteHeaderCode`); the server
 * answers 500 instead.
 */
export const validStatus = (status: number): boolean => Number.isInteger(status) && status >= 100 && status <= 999

/**
 * The head of an interim (1xx) response, such as `103 Early Hints` (RFC 9110 §15.2, RFC 8297),
 * ending with the blank line: the status line and `headers`, values sanitised as in
 * `planResponse`, without Date, Connection handling or framing. Content-Length,
 * Transfer-Encoding and Trailer are left out (Go writes a 1xx with
 * `WriteSubset(excludedHeadersNoBody)`; RFC 9112 §6.3: a 1xx has no content). The caller
 * checks that `status` is 1xx (and not 101, which switches protocols).
 */
export const interimHead = (status: number, headers: Headers): string => {
  let head = statusLine(status, undefined)
  for (let i = 0, n = headers.size; i < n; i++) {
    const name = headers.nameAt(i)!
    if (name === "Content-Length" || name === "Transfer-Encoding" || name === "Trailer") continue
    head += name + ": " + sanitizeFieldValue(headers.valueAt(i)!) + "\r\n"
  }
  return head + "\r\n"
}

/**
 * The handler's Content-Length value, if it parses: a non-negative decimal integer (OWS around
 * it ignored). `planResponse` uses it only when it is the one such field and no Transfer-Encoding
 * other than identity is set: Go honours a Content-Length that parses and drops one that does
 * not (`response.WriteHeader`), and drops it beside a Transfer-Encoding (`chunkWriter.writeHeader`).
 *
 * @internal
 */
export const declaredLength = (value: string): number | undefined => {
  let start = 0
  let end = value.length
  while (start < end && (value.charCodeAt(start) === 0x20 || value.charCodeAt(start) === 0x09)) start++
  while (end > start && (value.charCodeAt(end - 1) === 0x20 || value.charCodeAt(end - 1) === 0x09)) end--
  if (end === start || end - start > 15) return undefined
  let n = 0
  for (let i = start; i < end; i++) {
    const c = value.charCodeAt(i)
    if (c < 0x30 || c > 0x39) return undefined
    n = n * 10 + (c - 0x30)
  }
  return n
}

const formatStatusLine = (status: number, reason: string): string => "HTTP/1.1 " + status + " " + reason + "\r\n"

/** The status lines of every registered status, formatted once, by code (an array: no hashing per response). */
const STATUS_LINES: ReadonlyArray<string | undefined> = (() => {
  const lines = new Array<string | undefined>(1000).fill(undefined)
  for (const code of Status.all) lines[code] = formatStatusLine(code, Status.statusText(code))
  return lines
})()

/** `HTTP/1.1 <code> <reason>` and CRLF, always HTTP/1.1 as Go's server writes. */
const statusLine = (status: number, reason: string | undefined): string =>
  reason !== undefined
    ? formatStatusLine(status, sanitizeFieldValue(reason))
    : STATUS_LINES[status] ?? formatStatusLine(status, "status code " + status)

/** Formats `Date` values (IMF-fixdate, RFC 9110 §5.6.7), reformatting at most once a second. */
export class DateCache {
  private second = -1
  private value = ""

  /** The Date value for the time `millis` (epoch milliseconds). */
  format(millis: number): string {
    const second = Math.floor(millis / 1000)
    if (second !== this.second) {
      this.second = second
      this.value = new Date(second * 1000).toUTCString()
    }
    return this.value
  }
}
