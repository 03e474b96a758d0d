/**
 * How the server frames a response, as Go's `response`/`chunkWriter` decide (server.go):
 * the status line (always HTTP/1.1, as Go), the handler's fields, `Date` and a sniffed
 * `Content-Type` when the handler set none, the connection fields and the framing.
 *
 * @module
 */
import * as Body from "../domain/Body.js"
import { type OutgoingFraming, responseFraming, sanitizeFieldValue } from "../domain/http1/writer.js"
import * as Status from "../domain/Status.js"
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
 */
export const planResponse = (
  response: ServerResponse<unknown>,
  request: RequestSide,
  date: string,
  firstChunk: Uint8Array | undefined
): ResponsePlan => {
  const status = response.status
  const headers = response.headers
  const bodyAllowed = Status.bodyAllowed(status)
  const isHead = request.method === "HEAD"
  const http11 = request.versionMinor >= 1
  const wantsTrailers = response.trailers !== undefined && http11 && bodyAllowed && !isHead
  const length = bodyAllowed ? (wantsTrailers ? undefined : Body.contentLength(response.body)) : undefined
  const framing = responseFraming(request.method, status, length, http11)

  // One pass over the handler's fields: write them, and note the ones we act on. Names are
  // canonical (Headers keeps them so), so plain comparisons do.
  let fields = ""
  let hasDate = false
  let hasType = false
  let hasTE = false
  let closeAsked = false
  let connection: string | undefined = undefined
  let trailerNames: Array<string> | undefined = undefined
  for (let i = 0, n = headers.size; i < n; i++) {
    const name = headers.nameAt(i)!
    const value = headers.valueAt(i)!
    switch (name) {
      case "Content-Length":
        continue
      case "Transfer-Encoding":
        hasTE = true
        continue
      case "Trailer":
        if (wantsTrailers) for (const t of value.split(",")) if (t.trim() !== "") (trailerNames ??= []).push(t.trim())
        continue
      case "Date":
        hasDate = true
        break
      case "Content-Type":
        hasType = true
        break
      case "Connection":
        if (hasToken(value, "close")) closeAsked = true
        connection = connection === undefined ? value : connection + ", " + value
        continue // written below, once we know whether the connection closes
    }
    fields += name + ": " + sanitizeFieldValue(value) + "\r\n"
  }
  const close = !request.keepAlive || framing._tag === "Close" || closeAsked

  let head = statusLine(status, response.statusText) + fields
  if (!hasDate) head += "Date: " + date + "\r\n"
  if (bodyAllowed && !hasType && !hasTE && firstChunk !== undefined && firstChunk.length > 0) {
    head += "Content-Type: " + detectContentType(firstChunk.length > SNIFF_LEN ? firstChunk.subarray(0, SNIFF_LEN) : firstChunk) + "\r\n"
  }
  if (close) head += "Connection: close\r\n"
  else if (connection !== undefined) head += "Connection: " + sanitizeFieldValue(connection) + "\r\n"
  else if (!http11) head += "Connection: keep-alive\r\n"
  switch (framing._tag) {
    case "Length":
      head += "Content-Length: " + framing.length + "\r\n"
      break
    case "Chunked":
      head += "Transfer-Encoding: chunked\r\n"
      if (trailerNames !== undefined) head += "Trailer: " + trailerNames.join(", ") + "\r\n"
      break
  }
  head += "\r\n"
  return { head, framing, sendBody: framing._tag !== "None" && !isHead, close, withTrailers: wantsTrailers }
}

const formatStatusLine = (status: number, reason: string): string => "HTTP/1.1 " + status + " " + reason + "\r\n"

/** The status lines of every registered status, formatted once. */
const STATUS_LINES: ReadonlyMap<number, string> = new Map(Status.all.map((code) => [code, formatStatusLine(code, Status.statusText(code))]))

/** `HTTP/1.1 <code> <reason>` and CRLF, always HTTP/1.1 as Go's server writes. */
const statusLine = (status: number, reason: string | undefined): string =>
  reason !== undefined
    ? formatStatusLine(status, sanitizeFieldValue(reason))
    : STATUS_LINES.get(status) ?? formatStatusLine(status, "status code " + status)

/** Whether the comma-separated list `value` holds `token` (case-insensitive). */
const hasToken = (value: string, token: string): boolean => {
  for (const part of value.split(",")) if (part.trim().toLowerCase() === token) return true
  return false
}

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
