/**
 * Conditional requests as Go's file serving decides them (`src/net/http/fs.go`,
 * RFC 9110 §13): `checkPreconditions` and its checks (If-Match and If-Unmodified-Since, 412;
 * If-None-Match, 304 for GET and HEAD else 412; If-Modified-Since, 304; If-Range, whether a
 * Range applies), entity-tag scanning with strong and weak comparison (`scanETag`,
 * `etagStrongMatch`, `etagWeakMatch`), `writeNotModified`'s header stripping, and the
 * Last-Modified validator: HTTP-dates read in the three formats Go's `ParseTime` accepts and
 * written as Go's `TimeFormat`.
 *
 * @module
 */
import * as Body from "../domain/Body.js"
import type { Headers } from "../domain/Headers.js"
import * as Status from "../domain/Status.js"
import { ServerResponse } from "./ServerResponse.js"
import { trimString } from "./textproto.js"
import { httpDate, parseHttpTime } from "../domain/httpDate.js"

/** What the checks read of a request: its method and header fields (a `ServerRequest` is one). */
export interface ConditionalRequest {
  readonly method: string
  readonly headers: Headers
}

/** Go's `condResult`: the field is absent or not applicable ("none"), holds, or does not. */
export type CondResult = "none" | "true" | "false"

/** What {@link checkPreconditions} decided: answer now, or go on with the Range field to apply. */
export type Preconditions =
  | { readonly _tag: "Done"; readonly response: ServerResponse }
  | { readonly _tag: "Go"; readonly range: string }

// ---------------------------------------------------------------------------------------------
// Entity-tags

/** Go's `scanETag`: a valid entity-tag at the start of `s` and the rest, or undefined. */
export const scanETag = (s: string): { readonly etag: string; readonly remain: string } | undefined => {
  s = trimString(s)
  const start = s.startsWith("W/") ? 2 : 0
  if (s.length - start < 2 || s[start] !== "\"") return undefined
  for (let i = start + 1; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c === 0x22) return { etag: s.slice(0, i + 1), remain: s.slice(i + 1) }
    // etagc: %x21 / %x23-7E / obs-text
    if (!(c === 0x21 || (c >= 0x23 && c <= 0x7e) || c >= 0x80)) return undefined
  }
  return undefined
}

/** Go's `etagStrongMatch`: both strong and the same (RFC 9110 §8.8.3.2). */
export const etagStrongMatch = (a: string, b: string | undefined): boolean => b !== undefined && a === b && a !== "" && a[0] === "\""

/** Go's `etagWeakMatch`: the same once any `W/` is taken off. */
export const etagWeakMatch = (a: string, b: string | undefined): boolean =>
  b !== undefined && (a.startsWith("W/") ? a.slice(2) : a) === (b.startsWith("W/") ? b.slice(2) : b)

/** Walks a list of entity-tags as Go's `checkIfMatch` and `checkIfNoneMatch`: "*" or a match wins. */
const matchesETagList = (list: string, etag: string | undefined, match: (a: string, b: string | undefined) => boolean): "star" | boolean => {
  let buf = list
  for (;;) {
    buf = trimString(buf)
    if (buf.length === 0) return false
    if (buf[0] === ",") {
      buf = buf.slice(1)
      continue
    }
    if (buf[0] === "*") return "star"
    const scanned = scanETag(buf)
    if (scanned === undefined) return false
    if (match(scanned.etag, etag)) return true
    buf = scanned.remain
  }
}

// ---------------------------------------------------------------------------------------------
// The checks (`headers` are the response's: the ETag the caller set)

const checkIfMatch = (request: ConditionalRequest, headers: Headers): CondResult => {
  const im = request.headers.get("If-Match")
  if (im === undefined || im === "") return "none"
  return matchesETagList(im, headers.get("Etag"), etagStrongMatch) === false ? "false" : "true"
}

const checkIfNoneMatch = (request: ConditionalRequest, headers: Headers): CondResult => {
  const inm = request.headers.get("If-None-Match")
  if (inm === undefined || inm === "") return "none"
  return matchesETagList(inm, headers.get("Etag"), etagWeakMatch) === false ? "true" : "false"
}

const checkIfUnmodifiedSince = (request: ConditionalRequest, modtime: number | undefined): CondResult => {
  const ius = request.headers.get("If-Unmodified-Since")
  if (ius === undefined || ius === "" || modtime === undefined) return "none"
  const t = parseHttpTime(ius)
  if (t === undefined) return "none"
  // Last-Modified has no sub-second precision: compare whole seconds.
  return Math.floor(modtime / 1000) <= t ? "true" : "false"
}

/**
 * Go's `checkIfModifiedSince` for GET and HEAD: "false" when the content (modified at
 * `modtime`, epoch milliseconds) has not changed since the field's date, to the second.
 */
export const checkIfModifiedSince = (request: ConditionalRequest, modtime: number | undefined): CondResult => {
  if (request.method !== "GET" && request.method !== "HEAD") return "none"
  const ims = request.headers.get("If-Modified-Since")
  if (ims === undefined || ims === "" || modtime === undefined) return "none"
  const t = parseHttpTime(ims)
  if (t === undefined) return "none"
  return Math.floor(modtime / 1000) <= t ? "false" : "true"
}

const checkIfRange = (request: ConditionalRequest, headers: Headers, modtime: number | undefined): CondResult => {
  if (request.method !== "GET" && request.method !== "HEAD") return "none"
  const ir = request.headers.get("If-Range")
  if (ir === undefined || ir === "") return "none"
  const scanned = scanETag(ir)
  if (scanned !== undefined) return etagStrongMatch(scanned.etag, headers.get("Etag")) ? "true" : "false"
  // Else a date (golang.org/issue/8367), compared to the second.
  if (modtime === undefined) return "false"
  const t = parseHttpTime(ir)
  return t !== undefined && t === Math.floor(modtime / 1000) ? "true" : "false"
}

/**
 * Go's `writeNotModified` (RFC 9110 §15.4.5): a 304 with `headers` stripped of representation
 * metadata (Content-Type, Content-Length, Content-Encoding), and of Last-Modified when there is
 * an ETag.
 */
export const writeNotModified = (headers: Headers): ServerResponse => {
  headers.delete("Content-Type")
  headers.delete("Content-Length")
  headers.delete("Content-Encoding")
  if (headers.has("Etag")) headers.delete("Last-Modified")
  return new ServerResponse(Status.NotModified, headers, Body.empty, undefined, undefined)
}

/**
 * Go's `checkPreconditions` (RFC 9110 §13.2.2, in its order): a 412 or 304 answer, or the
 * Range field to apply ("" when none, or when If-Range does not hold). `headers` are the
 * response's (their ETag is compared), `modtime` the content's in epoch milliseconds.
 */
export const checkPreconditions = (request: ConditionalRequest, headers: Headers, modtime: number | undefined): Preconditions => {
  let ch = checkIfMatch(request, headers)
  if (ch === "none") ch = checkIfUnmodifiedSince(request, modtime)
  if (ch === "false") return { _tag: "Done", response: new ServerResponse(Status.PreconditionFailed, headers, Body.empty, undefined, undefined) }
  switch (checkIfNoneMatch(request, headers)) {
    case "false":
      if (request.method === "GET" || request.method === "HEAD") return { _tag: "Done", response: writeNotModified(headers) }
      return { _tag: "Done", response: new ServerResponse(Status.PreconditionFailed, headers, Body.empty, undefined, undefined) }
    case "none":
      if (checkIfModifiedSince(request, modtime) === "false") return { _tag: "Done", response: writeNotModified(headers) }
  }
  let range = request.headers.get("Range") ?? ""
  if (range !== "" && checkIfRange(request, headers, modtime) === "false") range = ""
  return { _tag: "Go", range }
}

// ---------------------------------------------------------------------------------------------
// Dates

/** Epoch milliseconds of a modification time, or undefined when unknown (Go's `isZeroTime`). */
export const modtimeMillis = (d: Date | undefined): number | undefined => {
  if (d === undefined) return undefined
  const ms = d.getTime()
  return Number.isNaN(ms) || ms === 0 ? undefined : ms
}

/** Go's `TimeFormat` and `http.ParseTime`, from the domain (the client reads Retry-After with them too). */
export { httpDate, parseHttpTime }
