/**
 * The replies the server writes itself, before or instead of a handler, as Go's server does
 * (`server.go`, `c.serve`): plain text, `Connection: close`, the connection closed after.
 * Unlike Go they carry a Content-Length, so a client need not wait for the close.
 *
 * @module
 */
import { Cause, Chunk, Option } from "effect"
import { statusForParseError, type ParseError } from "../domain/errors.js"
import { RequestBodyError } from "./errors.js"
import * as Status from "../domain/Status.js"

/** The text body of a canned answer: `<code> <reason>`, then `: <detail>` when given (Go's `publicErr`). */
export const cannedText = (code: number, detail?: string): string => {
  const status = code + " " + Status.statusText(code)
  return detail === undefined ? status : status + ": " + detail
}

/**
 * A complete reply: `HTTP/1.1 <code> <reason>`, text/plain, `Connection: close`, and the body
 * `<code> <reason>` followed by `: <detail>` when given (Go's `publicErr`).
 */
export const cannedReply = (code: number, detail?: string): Buffer => {
  const status = code + " " + Status.statusText(code)
  const body = cannedText(code, detail)
  return Buffer.from(
    "HTTP/1.1 " + status + "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\nContent-Length: " +
      Buffer.byteLength(body) + "\r\n\r\n" + body,
    "utf8"
  )
}

/**
 * A canned reply without its body, for an answer to HEAD (RFC 9110 §9.3.2: the same fields,
 * Content-Length included, and no content).
 */
export const headOnly = (reply: Buffer): Buffer => {
  const end = reply.indexOf("\r\n\r\n")
  return end < 0 ? reply : reply.subarray(0, end + 4)
}

/**
 * The reply to a request that failed to parse: 431 for an oversized head, 501 for an
 * unsupported transfer coding, 505 for an unsupported version, else 400 (Go's replies).
 */
export const parseErrorReply = (error: ParseError): Buffer => {
  const code = statusForParseError(error)
  switch (code) {
    case Status.RequestHeaderFieldsTooLarge:
      return cannedReply(code)
    case Status.NotImplemented:
      return cannedReply(code, "unsupported transfer encoding")
    case Status.HTTPVersionNotSupported:
      return cannedReply(code, "unsupported protocol version")
    default:
      return cannedReply(code, error._tag === "MalformedMessage" ? error.detail : undefined)
  }
}

/** `417 Expectation Failed` for an Expect other than 100-continue, as Go's `sendExpectationFailed`. */
export const EXPECTATION_FAILED: Buffer = Buffer.from(
  "HTTP/1.1 417 Expectation Failed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
  "latin1"
)

/** The interim response sent on the first read of a body whose request expects it (RFC 9110 §10.1.1). */
export const CONTINUE: Buffer = Buffer.from("HTTP/1.1 100 Continue\r\n\r\n", "latin1")

/** The 500 answer to a handler that failed before writing anything. */
export const INTERNAL_SERVER_ERROR: Buffer = cannedReply(Status.InternalServerError)

// Go's httpguts.validHostByte: the characters RFC 3986 allows in a host and port.
const HOST_BYTE = new Uint8Array(128)
for (const c of "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!$%&'()*+,-.:;=[]_~") HOST_BYTE[c.charCodeAt(0)] = 1

const COLON = 0x3a
const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d

/**
 * Whether `host` is a valid Host field value; empty is valid (RFC 9112 §3.2 requires a 400 for
 * an invalid one). Every character must be one Go's `httpguts.ValidHostHeader` accepts, and
 * the value must have the shape of RFC 3986's `host [ ":" port ]`: a reg-name or IPv4address
 * (no ":" and no brackets), or an IP-literal in brackets, then optionally ":" and a port,
 * `port = *DIGIT` (so `example.com:` is valid and `example.com:8o`, `a:1:2`, `[::1]:x` are
 * not). As in Go and RFC 3986, the port is not range-checked: `example.com:65536` is valid.
 */
export const validHost = (host: string): boolean => {
  const n = host.length
  for (let i = 0; i < n; i++) {
    const c = host.charCodeAt(i)
    if (c >= 128 || HOST_BYTE[c] === 0) return false
  }
  let i = 0
  if (n > 0 && host.charCodeAt(0) === OPEN_BRACKET) {
    // IP-literal = "[" ( IPv6address / IPvFuture ) "]": non-empty, no brackets inside.
    i = 1
    while (i < n && host.charCodeAt(i) !== CLOSE_BRACKET) {
      if (host.charCodeAt(i) === OPEN_BRACKET) return false
      i++
    }
    if (i >= n || i === 1) return false
    i++
  } else {
    // reg-name / IPv4address: no ":" (that starts the port) and no brackets.
    while (i < n) {
      const c = host.charCodeAt(i)
      if (c === COLON) break
      if (c === OPEN_BRACKET || c === CLOSE_BRACKET) return false
      i++
    }
  }
  if (i === n) return true
  if (host.charCodeAt(i) !== COLON) return false
  for (i++; i < n; i++) {
    const c = host.charCodeAt(i)
    if (c < 0x30 || c > 0x39) return false
  }
  return true
}

/**
 * Why a parsed request head cannot be served (Go's checks in `readRequest`), as the reply to
 * send, or undefined when it can: a version other than 1.0 and 1.1 (505), a missing Host on HTTP/1.1 (except CONNECT), several Host
 * fields, an invalid Host value, and an Expect other than `100-continue`.
 */
export const headProblem = (
  versionMinor: number,
  method: string,
  hostCount: number,
  host: string | undefined,
  expect: string | undefined
): Buffer | undefined => {
  // Go's http1ServerSupportsRequest: only 1.0 and 1.1 (the parser accepts any 1.x, as RFC 9112 §2.5 lets it).
  if (versionMinor > 1) return cannedReply(Status.HTTPVersionNotSupported, "unsupported protocol version")
  if (hostCount === 0) {
    if (versionMinor >= 1 && method !== "CONNECT") return cannedReply(Status.BadRequest, "missing required Host header")
  } else if (hostCount > 1) return cannedReply(Status.BadRequest, "too many Host headers")
  else if (!validHost(host ?? "")) return cannedReply(Status.BadRequest, "malformed Host header")
  if (expect !== undefined && expect.toLowerCase() !== "100-continue") return EXPECTATION_FAILED
  return undefined
}

/**
 * The answer to a handler that failed before its response was started, and whether the fault
 * is the client's: a `RequestBodyError` it let through (or a malformed body the connection saw,
 * `seen`) is 413 too large, 400 malformed or cut short, 408 stalled (node:http's answer);
 * anything else, `consumed` included (the handler's bug), is a 500.
 */
export const failureReply = (cause: Cause.Cause<unknown>, seen: RequestBodyError | undefined): FailureReply => {
  const answer = failureAnswer(cause, seen)
  const reply = answer.status === Status.InternalServerError ? INTERNAL_SERVER_ERROR : cannedReply(answer.status, answer.detail)
  return new FailureReply(reply, answer.clientFault)
}

/** What `failureReply` gives. */
export class FailureReply {
  constructor(readonly reply: Buffer, readonly clientFault: boolean) {}
}

/**
 * The answer to a handler's failure as a status and a detail for its text, for a protocol
 * that writes it itself (HTTP/2): `failureReply`'s choice.
 */
export const failureAnswer = (cause: Cause.Cause<unknown>, seen: RequestBodyError | undefined): FailureAnswer => {
  const bodyFailure = Cause.failures(cause).pipe(Chunk.findFirst((f): f is RequestBodyError => f instanceof RequestBodyError), Option.getOrUndefined)
  const reason = bodyFailure?.reason ?? (seen?.reason === "malformed" ? "malformed" : undefined)
  const clientFault = bodyFailure !== undefined
  return reason === "too-large"
    ? new FailureAnswer(Status.RequestEntityTooLarge, undefined, clientFault)
    : reason === "malformed" || reason === "truncated"
    ? new FailureAnswer(Status.BadRequest, (bodyFailure ?? seen)!.detail, clientFault)
    : reason === "timeout"
    ? new FailureAnswer(Status.RequestTimeout, undefined, clientFault)
    : new FailureAnswer(Status.InternalServerError, undefined, clientFault)
}

/** What `failureAnswer` gives. */
export class FailureAnswer {
  constructor(readonly status: number, readonly detail: string | undefined, readonly clientFault: boolean) {}
}

