/**
 * The request side of the HTTP/1.1 parser (RFC 9112): start line, header block, framing,
 * chunked bodies, limits, pipelining and end of input, table-driven.
 */
import { describe, expect, it } from "@effect/vitest"
import {
  HeaderTooLarge,
  MalformedMessage,
  type ParseError,
  statusForParseError,
  UnsupportedTransferEncoding,
  UnsupportedVersion
} from "../../../src/domain/errors.js"
import type { RequestHead } from "../../../src/domain/http1/MessageHead.js"
import { Event, Parser, type ParserLimits } from "../../../src/domain/http1/Parser.js"
import { bytes, errorOf, type Ev, groupMessages, parseAll, splitEvery } from "./harness.js"

// ---------------------------------------------------------------------------------------------
// Helpers

interface RequestSummary {
  readonly method: string
  readonly target: string
  readonly targetForm: string
  readonly proto: string
  readonly versionMajor: number
  readonly versionMinor: number
  readonly headers: Record<string, Array<string>>
  readonly framing: string
  readonly contentLength: number
  readonly keepAlive: boolean
  readonly upgrade: boolean
}

const summarize = (h: RequestHead): RequestSummary => ({
  method: h.method,
  target: h.target,
  targetForm: h.targetForm,
  proto: h.proto,
  versionMajor: h.versionMajor,
  versionMinor: h.versionMinor,
  headers: h.headers.toRecord(),
  framing: h.framing,
  contentLength: h.contentLength,
  keepAlive: h.keepAlive,
  upgrade: h.upgrade
})

/** Groups events into messages (body events concatenated); the tail is the terminal event. */
const messagesOf = (events: ReadonlyArray<Ev<RequestHead>>) => groupMessages(events, summarize)

const pick = (actual: Record<string, unknown>, keys: ReadonlyArray<string>): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const k of keys) out[k] = actual[k]
  return out
}

// ---------------------------------------------------------------------------------------------
// Accepted requests

interface AcceptCase {
  readonly name: string
  readonly input: string
  readonly limits?: ParserLimits
  readonly expected: Partial<RequestSummary> & {
    readonly body?: string
    readonly trailers?: Record<string, Array<string>> | undefined
  }
}

const GET = (target: string, fields = "Host: example.com\r\n"): string => `GET ${target} HTTP/1.1\r\n${fields}\r\n`

const acceptCases: ReadonlyArray<AcceptCase> = [
  // Start line: methods
  {
    name: "a minimal GET",
    input: GET("/"),
    expected: {
      method: "GET", target: "/", targetForm: "origin", proto: "HTTP/1.1", versionMajor: 1, versionMinor: 1,
      headers: { Host: ["example.com"] }, framing: "none", contentLength: 0, keepAlive: true, upgrade: false, body: "",
      trailers: undefined
    }
  },
  { name: "HEAD", input: "HEAD /x HTTP/1.1\r\n\r\n", expected: { method: "HEAD", target: "/x", headers: {} } },
  { name: "DELETE", input: "DELETE /items/1 HTTP/1.1\r\n\r\n", expected: { method: "DELETE", framing: "none" } },
  { name: "TRACE", input: "TRACE / HTTP/1.1\r\n\r\n", expected: { method: "TRACE" } },
  { name: "an extension method", input: "PURGE /cache HTTP/1.1\r\n\r\n", expected: { method: "PURGE", target: "/cache" } },
  { name: "a method with tchar punctuation", input: "M-SEARCH / HTTP/1.1\r\n\r\n", expected: { method: "M-SEARCH" } },
  { name: "a method is case-sensitive (lower case kept)", input: "get / HTTP/1.1\r\n\r\n", expected: { method: "get" } },
  { name: "a method of every tchar", input: "X!#$%&'*+-.^_`|~9 / HTTP/1.1\r\n\r\n", expected: { method: "X!#$%&'*+-.^_`|~9" } },
  // Start line: targets
  { name: "origin-form with a query", input: GET("/search?q=a%20b&x=1"), expected: { target: "/search?q=a%20b&x=1", targetForm: "origin" } },
  { name: "origin-form with a fragment-like byte", input: GET("/a#b"), expected: { target: "/a#b", targetForm: "origin" } },
  { name: "absolute-form http", input: GET("http://example.com/x?y=1"), expected: { target: "http://example.com/x?y=1", targetForm: "absolute" } },
  { name: "absolute-form https with port", input: GET("https://example.com:8443/"), expected: { target: "https://example.com:8443/", targetForm: "absolute" } },
  { name: "absolute-form with a scheme of + - .", input: GET("svn+ssh.x-y://host/"), expected: { targetForm: "absolute" } },
  {
    name: "authority-form for CONNECT",
    input: "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
    expected: { method: "CONNECT", target: "example.com:443", targetForm: "authority", framing: "none", keepAlive: true }
  },
  { name: "authority-form with an IPv6 literal", input: "CONNECT [::1]:8080 HTTP/1.1\r\n\r\n", expected: { target: "[::1]:8080", targetForm: "authority" } },
  { name: "asterisk-form for OPTIONS", input: "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", expected: { method: "OPTIONS", target: "*", targetForm: "asterisk" } },
  { name: "OPTIONS with an origin-form target", input: "OPTIONS /x HTTP/1.1\r\n\r\n", expected: { target: "/x", targetForm: "origin" } },
  { name: "bytes >= 0x80 in the target are percent-encoded", input: GET("/caf\xc3\xa9?q=\xff"), expected: { target: "/caf%C3%A9?q=%FF" } },
  { name: "a high byte first after the slash", input: GET("/\x80"), expected: { target: "/%80" } },
  { name: "existing percent-escapes are kept as they are", input: GET("/%7e%2F"), expected: { target: "/%7e%2F" } },
  // Start line: versions, leading CRLF
  { name: "HTTP/1.0 is not persistent by default", input: "GET / HTTP/1.0\r\n\r\n", expected: { proto: "HTTP/1.0", versionMinor: 0, keepAlive: false } },
  { name: "HTTP/1.0 with Connection: keep-alive", input: "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", expected: { keepAlive: true } },
  { name: "HTTP/1.0 with Connection: Keep-Alive", input: "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", expected: { keepAlive: true } },
  { name: "one leading CRLF is skipped", input: "\r\nGET / HTTP/1.1\r\n\r\n", expected: { method: "GET", target: "/" } },
  { name: "several leading CRLFs are skipped", input: "\r\n\r\n\r\nPOST /p HTTP/1.1\r\nContent-Length: 1\r\n\r\nx", expected: { method: "POST", body: "x" } },
  // Keep-alive and upgrade
  { name: "HTTP/1.1 Connection: close", input: GET("/", "Connection: close\r\n"), expected: { keepAlive: false } },
  { name: "Connection: Close in another case", input: GET("/", "Connection: CLOSE\r\n"), expected: { keepAlive: false } },
  { name: "close among other tokens", input: GET("/", "Connection: keep-alive, Close\r\n"), expected: { keepAlive: false } },
  { name: "close in a second Connection field", input: GET("/", "Connection: te\r\nConnection: close\r\n"), expected: { keepAlive: false } },
  { name: "an unrelated Connection token keeps HTTP/1.1 persistent", input: GET("/", "Connection: te\r\n"), expected: { keepAlive: true } },
  {
    name: "Connection: Upgrade with an Upgrade field",
    input: GET("/chat", "Host: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"),
    expected: { upgrade: true, keepAlive: true, headers: { Host: ["a"], Connection: ["Upgrade"], Upgrade: ["websocket"] } }
  },
  { name: "upgrade listed with keep-alive", input: GET("/", "Connection: keep-alive, upgrade\r\nUpgrade: h2c\r\n"), expected: { upgrade: true } },
  { name: "Upgrade field without Connection: upgrade", input: GET("/", "Upgrade: websocket\r\n"), expected: { upgrade: false } },
  { name: "Connection: upgrade without an Upgrade field", input: GET("/", "Connection: upgrade\r\n"), expected: { upgrade: false } },
  // Header fields
  {
    name: "names come out canonical",
    input: GET("/", "content-type: text/plain\r\nx-request-id: 7\r\nX-CUSTOM-HEADER: a\r\nhOsT: h\r\nx_under_score: u\r\n"),
    expected: {
      headers: { "Content-Type": ["text/plain"], "X-Request-Id": ["7"], "X-Custom-Header": ["a"], Host: ["h"], "X_under_score": ["u"] }
    }
  },
  {
    name: "long and uncommon names are canonicalized",
    input: GET("/", "x-some-very-long-header-name-that-is-not-interned-at-all: v\r\nA-b-C-d: w\r\n"),
    expected: { headers: { "X-Some-Very-Long-Header-Name-That-Is-Not-Interned-At-All": ["v"], "A-B-C-D": ["w"] } }
  },
  {
    name: "values are trimmed of SP and HTAB",
    input: GET("/", "X-A:   spaced value \t \r\nX-B:\tb\t\r\nX-C:c\r\n"),
    expected: { headers: { "X-A": ["spaced value"], "X-B": ["b"], "X-C": ["c"] } }
  },
  { name: "empty values", input: GET("/", "X-Empty:\r\nX-Blank:   \r\n"), expected: { headers: { "X-Empty": [""], "X-Blank": [""] } } },
  {
    name: "inner whitespace, HTAB and obs-text are kept",
    input: GET("/", "X-A: a \t b\r\nX-B: caf\xe9\r\n"),
    expected: { headers: { "X-A": ["a \t b"], "X-B": ["caf\u00e9"] } }
  },
  {
    name: "repeated fields keep every value in order",
    input: GET("/", "Accept: a\r\nCookie: c=1\r\naccept: b\r\nCookie: d=2\r\n"),
    expected: { headers: { Accept: ["a", "b"], Cookie: ["c=1", "d=2"] } }
  },
  { name: "a value with a colon", input: GET("/", "Host: example.com:8080\r\n"), expected: { headers: { Host: ["example.com:8080"] } } },
  // Framing: Content-Length
  {
    name: "a Content-Length body",
    input: "POST /submit HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
    expected: { method: "POST", framing: "length", contentLength: 5, body: "hello", keepAlive: true }
  },
  { name: "Content-Length: 0", input: "POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", expected: { framing: "length", contentLength: 0, body: "" } },
  { name: "Content-Length with surrounding whitespace", input: "PUT / HTTP/1.1\r\nContent-Length:  3 \r\n\r\nabc", expected: { contentLength: 3, body: "abc" } },
  { name: "Content-Length with leading zeros", input: "PUT / HTTP/1.1\r\nContent-Length: 003\r\n\r\nabc", expected: { contentLength: 3, body: "abc" } },
  { name: "Content-Length in lower case", input: "PUT / HTTP/1.1\r\ncontent-length: 3\r\n\r\nabc", expected: { framing: "length", contentLength: 3, body: "abc" } },
  { name: "Content-Length in upper case", input: "PUT / HTTP/1.1\r\nCONTENT-LENGTH: 3\r\n\r\nabc", expected: { framing: "length", contentLength: 3, body: "abc" } },
  {
    name: "equal duplicate Content-Length fields frame once",
    input: "POST / HTTP/1.1\r\nContent-Length: 4\r\nContent-Length: 4\r\n\r\nbody",
    expected: { framing: "length", contentLength: 4, body: "body" }
  },
  {
    name: "a body with CR, LF and high bytes is opaque",
    input: "POST / HTTP/1.1\r\nContent-Length: 6\r\n\r\n\r\n\x00\xff\n\r",
    expected: { body: "\r\n\x00\xff\n\r" }
  },
  // Framing: chunked
  {
    name: "a chunked body",
    input: "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
    expected: { framing: "chunked", contentLength: -1, body: "hello world", trailers: undefined, keepAlive: true }
  },
  { name: "Transfer-Encoding in another case", input: "POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n", expected: { framing: "chunked", body: "x" } },
  { name: "transfer-encoding name in lower case", input: "POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n", expected: { framing: "chunked", body: "x" } },
  { name: "hex sizes in either case", input: "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nA\r\n0123456789\r\nb\r\nabcdefghijk\r\n0\r\n\r\n", expected: { body: "0123456789abcdefghijk" } },
  { name: "a chunk size with leading zeros", input: "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0003\r\nabc\r\n000\r\n\r\n", expected: { body: "abc" } },
  { name: "a 16-digit chunk size of small value", input: "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0000000000000002\r\nab\r\n0\r\n\r\n", expected: { body: "ab" } },
  { name: "an empty chunked body", input: "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", expected: { framing: "chunked", body: "" } },
  {
    name: "chunked with trailers",
    input: "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n3\r\nabc\r\n0\r\nx-checksum: 900150983cd24fb0\r\nExpires:  never \r\n\r\n",
    expected: { body: "abc", trailers: { "X-Checksum": ["900150983cd24fb0"], Expires: ["never"] } }
  },
  { name: "a chunk extension with no value", input: "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;last\r\nabc\r\n0\r\n\r\n", expected: { body: "abc" } },
  { name: "a chunk extension with a token value", input: "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;name=value\r\nabc\r\n0;x=1\r\n\r\n", expected: { body: "abc" } },
  { name: "chunk extensions with BWS", input: "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3 ;\tname = value\r\nabc\r\n0\r\n\r\n", expected: { body: "abc" } },
  {
    name: "a quoted chunk extension value with a quoted-pair",
    input: "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;q=\"a \\\" b;c=d\\\\\"\r\nabc\r\n0\r\n\r\n",
    expected: { body: "abc" }
  },
  { name: "several chunk extensions", input: "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;a=1;b;c=\"x y\"\r\nabc\r\n0\r\n\r\n", expected: { body: "abc" } },
  { name: "a chunk extension with an obs-text quoted value", input: "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;a=\"\xe9\"\r\nabc\r\n0\r\n\r\n", expected: { body: "abc" } },
  // HTTP/1.2: RFC 9112 §2.3 says to process it as the highest minor version implemented (1.1)
  { name: "a higher minor version is processed as HTTP/1.1 (RFC 9112 §2.3)", input: "GET / HTTP/1.2\r\n\r\n", expected: { versionMajor: 1, keepAlive: true } }
]

describe("Parser.request: accepted requests", () => {
  it.each(acceptCases)("$name", ({ expected, input, limits }) => {
    const { body, trailers, ...headExpected } = expected
    const events = parseAll(Parser.request(limits), [input], { finish: true })
    const { last, messages } = messagesOf(events)
    expect(messages).toHaveLength(1)
    const msg = messages[0]!
    expect(msg.complete).toBe(true)
    expect(last).toEqual({ type: "eof" })
    expect(pick(msg.head as unknown as Record<string, unknown>, Object.keys(headExpected))).toEqual(headExpected)
    if (body !== undefined) expect(msg.body).toBe(body)
    if ("trailers" in expected) expect(msg.trailers).toEqual(trailers)
  })

  it.each(acceptCases)("$name: parses the same fed one byte at a time", ({ input, limits }) => {
    const whole = messagesOf(parseAll(Parser.request(limits), [input], { finish: true }))
    const split = messagesOf(parseAll(Parser.request(limits), splitEvery(input, 1), { finish: true }))
    expect(split).toEqual(whole)
  })
})

describe("Parser.request: the head is complete without the body", () => {
  it("reports Head before the body has arrived, then Body and End as bytes come", () => {
    const parser = Parser.request()
    const events = parseAll(parser, ["POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n"])
    expect(events.map((e) => e.type)).toEqual(["head"])
    expect(parser.head.contentLength).toBe(10)
    const more = parseAll(parser, ["01234", "56789"])
    expect(more).toEqual([{ type: "body", data: "01234" }, { type: "body", data: "56789" }, { type: "end", trailers: undefined }])
  })

  it("hands body bytes out as views into the input, not copies", () => {
    const parser = Parser.request()
    const input = bytes("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello")
    parser.feed(input)
    expect(parser.next()).toBe(Event.Head)
    expect(parser.next()).toBe(Event.Body)
    expect(parser.chunk.toString()).toBe("hello")
    expect(parser.chunk.buffer).toBe(input.buffer)
    expect(parser.next()).toBe(Event.End)
    expect(parser.next()).toBe(Event.NeedMore)
  })

  it("leaves the bytes of the next message buffered", () => {
    const parser = Parser.request()
    parser.feed(bytes("POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\nhiGET / HT"))
    expect(parser.next()).toBe(Event.Head)
    expect(parser.next()).toBe(Event.Body)
    expect(parser.chunk.toString()).toBe("hi")
    expect(parser.next()).toBe(Event.End)
    expect(parser.buffered).toBe("GET / HT".length)
  })
})

// ---------------------------------------------------------------------------------------------
// Rejected requests

interface RejectCase {
  readonly name: string
  readonly input: string
  readonly limits?: ParserLimits
  readonly finish?: boolean
  readonly tag: ParseError["_tag"]
  readonly reason?: MalformedMessage["reason"]
  readonly header?: string
  /** The offset, or a string whose first occurrence in the input is where the offset points. */
  readonly at?: number | string
  /** Extra fields of the error to compare. */
  readonly fields?: Record<string, unknown>
  /** When the offset depends on how the input is split (errors found on incomplete lines). */
  readonly offsetDependsOnSplit?: boolean
}

const H = "GET / HTTP/1.1\r\n"
const CHUNKED = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
const mal = (
  name: string,
  input: string,
  reason: MalformedMessage["reason"],
  at?: number | string,
  extra: Partial<RejectCase> = {}
): RejectCase => ({ name, input, tag: "MalformedMessage", reason, ...(at === undefined ? {} : { at }), ...extra })

const rejectCases: ReadonlyArray<RejectCase> = [
  // Request line
  mal("a leading space", " GET / HTTP/1.1\r\n\r\n", "invalid-method", 0),
  mal("a non-token byte in the method", "G(T / HTTP/1.1\r\n\r\n", "invalid-method", 1),
  mal("a tab after the method", "GET\t/ HTTP/1.1\r\n\r\n", "invalid-method", 3),
  mal("a slash where the method should be", "/ HTTP/1.1\r\n\r\n", "invalid-method", 0),
  mal("a bare LF before the request-line is not an empty line", "\nGET / HTTP/1.1\r\n\r\n", "invalid-method", 0),
  mal("two spaces before the target", "GET  / HTTP/1.1\r\n\r\n", "invalid-target", 4),
  mal("a NUL in the target", "GET /a\x00b HTTP/1.1\r\n\r\n", "invalid-target", 6),
  mal("a DEL in the target", "GET /a\x7fb HTTP/1.1\r\n\r\n", "invalid-target", 6),
  mal("a tab in the target", "GET /a\tb HTTP/1.1\r\n\r\n", "invalid-target", 6),
  mal("no version (HTTP/0.9 style)", "GET /\r\n\r\n", "invalid-target", 5),
  mal("asterisk-form for GET", "GET * HTTP/1.1\r\n\r\n", "invalid-target", 4),
  mal("an asterisk with more", "OPTIONS *x HTTP/1.1\r\n\r\n", "invalid-target", 8),
  mal("a relative target", "GET foo/bar HTTP/1.1\r\n\r\n", "invalid-target", 4),
  mal("a target starting with a digit", "GET 1http://x/ HTTP/1.1\r\n\r\n", "invalid-target", 4),
  mal("CONNECT without a port", "CONNECT example.com HTTP/1.1\r\n\r\n", "invalid-target", 8),
  mal("CONNECT with an empty port", "CONNECT example.com: HTTP/1.1\r\n\r\n", "invalid-target", 8),
  mal("CONNECT with a non-numeric port", "CONNECT example.com:https HTTP/1.1\r\n\r\n", "invalid-target", 8),
  mal("CONNECT with userinfo", "CONNECT user@example.com:443 HTTP/1.1\r\n\r\n", "invalid-target", 8),
  mal("CONNECT with a path after the authority", "CONNECT example.com:443/x HTTP/1.1\r\n\r\n", "invalid-target", 8),
  mal("a lower-case protocol name", "GET / http/1.1\r\n\r\n", "invalid-version", 6),
  mal("a version without a minor", "GET / HTTP/1\r\n\r\n", "invalid-version", 12),
  mal("a version with two major digits", "GET / HTTP/11.1\r\n\r\n", "invalid-version", 12),
  mal("a version with a letter", "GET / HTTP/1.x\r\n\r\n", "invalid-version", 13),
  mal("a space after the version", "GET / HTTP/1.1 \r\n\r\n", "invalid-version", 14),
  mal("garbage after the version", "GET / HTTP/1.1x\r\n\r\n", "invalid-version", 14),
  mal("a bare CR ending the request-line", "GET / HTTP/1.1\rHost: a\r\n\r\n", "bare-cr", 14),
  mal("a bare LF ending the request-line", "GET / HTTP/1.1\nHost: a\r\n\r\n", "bare-lf", 14),
  { name: "HTTP/2.0", input: "GET / HTTP/2.0\r\n\r\n", tag: "UnsupportedVersion", at: 11, fields: { major: 2, minor: 0, kind: "request" } },
  { name: "HTTP/0.9 with a version", input: "GET / HTTP/0.9\r\n\r\n", tag: "UnsupportedVersion", at: 11, fields: { major: 0, minor: 9 } },
  { name: "HTTP/3.1", input: "GET / HTTP/3.1\r\nHost: a\r\n\r\n", tag: "UnsupportedVersion", at: 11, fields: { major: 3, minor: 1 } },
  // Header fields
  mal("whitespace before the colon, inside the name", H + "Ho st: x\r\n\r\n", "whitespace-before-colon", 18),
  mal("a space before the colon", H + "Host : x\r\n\r\n", "whitespace-before-colon", 20),
  mal("a tab before the colon", H + "Host\t: x\r\n\r\n", "whitespace-before-colon", 20),
  mal("a space before the colon of Content-Length", H + "Content-Length : 0\r\n\r\n", "whitespace-before-colon", 30),
  mal("an empty field name", H + ": x\r\n\r\n", "invalid-header-name", 16),
  mal("a parenthesis in a name", H + "X(y: 1\r\n\r\n", "invalid-header-name", 17),
  mal("an @ in a name", H + "X-A@B: 1\r\n\r\n", "invalid-header-name", 19),
  mal("a quote in a name", H + "X\"A: 1\r\n\r\n", "invalid-header-name", 17),
  mal("obs-text in a name", H + "H\xe9ader: 1\r\n\r\n", "invalid-header-name", 17),
  mal("a NUL in a name", H + "X-\x00: 1\r\n\r\n", "invalid-header-name", 18),
  mal("a slash in a name of many bytes", H + "X-Forwarded/For: 1\r\n\r\n", "invalid-header-name", 27),
  mal("a line without a colon", H + "NoColon\r\n\r\n", "missing-colon", 23),
  mal("a NUL in a value", H + "X-A: a\x00b\r\n\r\n", "invalid-header-value", 22, { header: "X-A" }),
  mal("a DEL in a value", H + "X-A: ab\x7f\r\n\r\n", "invalid-header-value", 23, { header: "X-A" }),
  mal("an ESC in a value", H + "x-a: \x1b[31m\r\n\r\n", "invalid-header-value", 21, { header: "X-A" }),
  mal("a control byte deep in a long value", H + "User-Agent: " + "a".repeat(37) + "\x01z\r\n\r\n", "invalid-header-value", 65, { header: "User-Agent" }),
  mal("a bare CR in a value", H + "X-A: a\rb\r\n\r\n", "bare-cr", 22, { header: "X-A" }),
  mal("a bare CR at the end of a value", H + "Host: a\r\r\n\r\n", "bare-cr", 23, { header: "Host" }),
  mal("a bare CR instead of the empty line", H + "Host: a\r\n\rX\r\n", "bare-cr", 25),
  mal("a bare LF ending a field line", H + "Host: a\nX: b\r\n\r\n", "bare-lf", 23, { header: "Host" }),
  mal("a bare LF as the empty line", H + "Host: a\r\n\n", "bare-lf", 25),
  mal("obs-fold with a space", H + "X-A: a\r\n b\r\n\r\n", "obs-fold", 24),
  mal("obs-fold with a tab", H + "X-A: a\r\n\tb\r\n\r\n", "obs-fold", 24),
  mal("whitespace before the first field line", H + " X-A: a\r\n\r\n", "obs-fold", 16),
  // Framing
  mal("a signed Content-Length", "POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\nhello", "invalid-content-length", undefined, { header: "Content-Length" }),
  mal("a negative Content-Length", "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", "invalid-content-length", undefined, { header: "Content-Length" }),
  mal("a Content-Length with a letter", "POST / HTTP/1.1\r\nContent-Length: 5a\r\n\r\n", "invalid-content-length", undefined, { header: "Content-Length" }),
  mal("a hex Content-Length", "POST / HTTP/1.1\r\nContent-Length: 0x5\r\n\r\n", "invalid-content-length", undefined, { header: "Content-Length" }),
  mal("an exponent Content-Length", "POST / HTTP/1.1\r\nContent-Length: 1e3\r\n\r\n", "invalid-content-length", undefined, { header: "Content-Length" }),
  mal("an empty Content-Length", "POST / HTTP/1.1\r\nContent-Length:\r\n\r\n", "invalid-content-length", undefined, { header: "Content-Length" }),
  mal("a Content-Length with inner space", "POST / HTTP/1.1\r\nContent-Length: 5 5\r\n\r\n", "invalid-content-length", undefined, { header: "Content-Length" }),
  mal("a Content-Length list in one field", "POST / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\nhello", "invalid-content-length", undefined, { header: "Content-Length" }),
  mal("a Content-Length beyond 2^53", "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", "invalid-content-length", undefined, { header: "Content-Length" }),
  mal("differing Content-Length fields", "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", "conflicting-content-length", undefined, { header: "Content-Length" }),
  mal("Content-Length 5 and 05", "POST / HTTP/1.1\r\nContent-Length: 5\r\ncontent-length: 05\r\n\r\nhello", "conflicting-content-length", undefined, { header: "Content-Length" }),
  mal("Transfer-Encoding and Content-Length", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", "content-length-with-transfer-encoding", undefined, { header: "Transfer-Encoding" }),
  mal("Content-Length then Transfer-Encoding", "POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "content-length-with-transfer-encoding", undefined, { header: "Transfer-Encoding" }),
  mal("Transfer-Encoding on HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "transfer-encoding-on-http10", undefined, { header: "Transfer-Encoding" }),
  mal("chunked, chunked", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", "invalid-transfer-encoding", undefined, { header: "Transfer-Encoding" }),
  mal("chunked in two fields", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", "invalid-transfer-encoding", undefined, { header: "Transfer-Encoding" }),
  { name: "Transfer-Encoding: gzip", input: "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", tag: "UnsupportedTransferEncoding", fields: { coding: "gzip", kind: "request" } },
  { name: "Transfer-Encoding: gzip, chunked", input: "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", tag: "UnsupportedTransferEncoding", fields: { coding: "gzip, chunked" } },
  { name: "Transfer-Encoding: chunked, gzip", input: "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", tag: "UnsupportedTransferEncoding", fields: { coding: "chunked, gzip" } },
  { name: "Transfer-Encoding: identity", input: "POST / HTTP/1.1\r\nTransfer-Encoding: identity\r\n\r\n", tag: "UnsupportedTransferEncoding", fields: { coding: "identity" } },
  { name: "Transfer-Encoding in two fields, gzip then chunked", input: "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", tag: "UnsupportedTransferEncoding" },
  // Chunked framing
  mal("a chunk size that is not hex", CHUNKED + "zz\r\n", "invalid-chunk-size", CHUNKED.length),
  mal("an empty chunk-size line", CHUNKED + "\r\nabc", "invalid-chunk-size", CHUNKED.length),
  mal("a space before the chunk size", CHUNKED + " 5\r\nhello\r\n0\r\n\r\n", "invalid-chunk-size", CHUNKED.length),
  // RFC 9112 §7.1.1: BWS only before ";" or "=", never before the CRLF.
  mal("a space after the chunk size", CHUNKED + "5 \r\nhello\r\n0\r\n\r\n", "invalid-chunk-size", CHUNKED.length + 1),
  mal("a tab after the chunk size", CHUNKED + "5\t\r\nhello\r\n0\r\n\r\n", "invalid-chunk-size", CHUNKED.length + 1),
  mal("a space after the last chunk's size", CHUNKED + "0 \r\n\r\n", "invalid-chunk-size", CHUNKED.length + 1),
  mal("a space after a chunk extension", CHUNKED + "5;a=b \r\nhello\r\n0\r\n\r\n", "invalid-chunk-extension", CHUNKED.length + 5),
  mal("a negative chunk size", CHUNKED + "-5\r\n", "invalid-chunk-size", CHUNKED.length),
  mal("a 0x prefix on the chunk size", CHUNKED + "0x5\r\nhello\r\n0\r\n\r\n", "invalid-chunk-extension", CHUNKED.length + 1),
  mal("garbage after the chunk size", CHUNKED + "5x\r\nhello\r\n0\r\n\r\n", "invalid-chunk-extension", CHUNKED.length + 1),
  mal("a chunk size of 17 digits", CHUNKED + "10000000000000000\r\n", "chunk-size-too-large"),
  mal("17 digits even with leading zeros (as Go)", CHUNKED + "00000000000000005\r\nhello\r\n0\r\n\r\n", "chunk-size-too-large"),
  mal("a chunk size overflowing 2^53", CHUNKED + "ffffffffffffffff\r\n", "chunk-size-too-large"),
  mal("a chunk extension without a name", CHUNKED + "5;\r\nhello\r\n0\r\n\r\n", "invalid-chunk-extension", CHUNKED.length + 2),
  mal("a chunk extension of only =value", CHUNKED + "5;=x\r\nhello\r\n0\r\n\r\n", "invalid-chunk-extension", CHUNKED.length + 2),
  mal("a chunk extension = without a value", CHUNKED + "5;a=\r\nhello\r\n0\r\n\r\n", "invalid-chunk-extension", CHUNKED.length + 4),
  mal("two tokens in a chunk extension value", CHUNKED + "5;a=b c\r\nhello\r\n0\r\n\r\n", "invalid-chunk-extension", CHUNKED.length + 6),
  mal("a non-token byte in a chunk extension name", CHUNKED + "5;a@b\r\nhello\r\n0\r\n\r\n", "invalid-chunk-extension", CHUNKED.length + 3),
  mal("an unterminated quoted chunk extension", CHUNKED + "5;a=\"xy\r\nhello\r\n0\r\n\r\n", "invalid-chunk-extension", CHUNKED.length + 7),
  mal("a control byte in a quoted-pair", CHUNKED + "5;a=\"\\\x01\"\r\nhello\r\n0\r\n\r\n", "invalid-chunk-extension", CHUNKED.length + 6),
  mal("a chunk-size line longer than the limit", CHUNKED + "1;" + "a".repeat(40) + "\r\nx\r\n0\r\n\r\n", "chunk-line-too-long", undefined, { limits: { maxChunkLineBytes: 16 } }),
  mal("a chunk-size line longer than the default 4096", CHUNKED + "1;" + "a".repeat(5000) + "\r\nx\r\n0\r\n\r\n", "chunk-line-too-long", undefined, { offsetDependsOnSplit: true }),
  mal("chunk data not followed by CRLF", CHUNKED + "5\r\nhelloX\r\n0\r\n\r\n", "missing-chunk-crlf", CHUNKED.length + 8),
  mal("chunk data followed by the next size", CHUNKED + "5\r\nhello0\r\n\r\n", "missing-chunk-crlf", CHUNKED.length + 8),
  mal("a chunk longer than its size", CHUNKED + "3\r\nhello\r\n0\r\n\r\n", "missing-chunk-crlf", CHUNKED.length + 6),
  mal("a bare LF ending the chunk-size line", CHUNKED + "5\nhello\r\n0\r\n\r\n", "bare-lf", CHUNKED.length + 1),
  mal("a bare LF after chunk extensions", CHUNKED + "5;a=b\nhello\r\n0\r\n\r\n", "bare-lf", CHUNKED.length + 5),
  mal("a bare LF ending the last-chunk line", CHUNKED + "5\r\nhello\r\n0\n\r\n", "bare-lf", CHUNKED.length + 11),
  mal("a bare LF as the final line", CHUNKED + "0\r\n\n", "bare-lf", CHUNKED.length + 3),
  mal("a bare LF ending a trailer field", CHUNKED + "0\r\nX-T: v\n\r\n", "bare-lf", CHUNKED.length + 9, { header: "X-T" }),
  mal("a bare CR in the chunk-size line", CHUNKED + "5\rhello\r\n0\r\n\r\n", "bare-cr", CHUNKED.length + 1),
  mal("obs-fold in the trailers", CHUNKED + "0\r\nX-T: a\r\n b\r\n\r\n", "obs-fold", CHUNKED.length + 11),
  mal("an invalid trailer name", CHUNKED + "0\r\nX T: a\r\n\r\n", "whitespace-before-colon", CHUNKED.length + 4),
  mal("a control byte in a trailer value", CHUNKED + "0\r\nX-T: a\x01\r\n\r\n", "invalid-header-value", CHUNKED.length + 9, { header: "X-T" }),
  // Limits
  {
    name: "a head over the limit",
    input: H + "X-Long: " + "a".repeat(100) + "\r\n\r\n",
    limits: { maxHeaderBytes: 64 },
    tag: "HeaderTooLarge",
    at: 64,
    fields: { section: "head", limit: 64, kind: "request" }
  },
  {
    name: "a request-line alone over the limit",
    input: "GET /" + "a".repeat(100) + " HTTP/1.1\r\n\r\n",
    limits: { maxHeaderBytes: 32 },
    tag: "HeaderTooLarge",
    at: 32,
    fields: { section: "head", limit: 32 }
  },
  {
    name: "trailers over the limit",
    input: CHUNKED + "0\r\nX-Trailer: " + "t".repeat(100) + "\r\n\r\n",
    limits: { maxTrailerBytes: 32 },
    tag: "HeaderTooLarge",
    at: CHUNKED.length + 3 + 32,
    fields: { section: "trailers", limit: 32, kind: "request" }
  },
  // End of input
  mal("end of input inside the request-line", "GET / HT", "unexpected-eof", 8, { finish: true }),
  mal("end of input after a CR of a leading CRLF", "\r", "unexpected-eof", undefined, { finish: true }),
  mal("end of input inside the header fields", H + "Host: exa", "unexpected-eof", 25, { finish: true }),
  mal("end of input before the empty line", H + "Host: a\r\n", "unexpected-eof", 25, { finish: true }),
  mal("end of input inside a Content-Length body", "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nhello", "unexpected-eof", 44, { finish: true }),
  mal("end of input before a chunk-size line", CHUNKED, "unexpected-eof", CHUNKED.length, { finish: true }),
  mal("end of input inside chunk data", CHUNKED + "5\r\nhel", "unexpected-eof", CHUNKED.length + 6, { finish: true }),
  mal("end of input after chunk data", CHUNKED + "5\r\nhello", "unexpected-eof", CHUNKED.length + 8, { finish: true }),
  mal("end of input before the last CRLF", CHUNKED + "5\r\nhello\r\n0\r\n", "unexpected-eof", CHUNKED.length + 13, { finish: true }),
  mal("end of input inside the trailers", CHUNKED + "0\r\nX-T: 1\r\n", "unexpected-eof", CHUNKED.length + 11, { finish: true })
]

const offsetOf = (c: RejectCase): number | undefined =>
  typeof c.at === "string" ? c.input.indexOf(c.at) : c.at

const checkError = (c: RejectCase, error: ParseError, checkOffset: boolean) => {
  expect(error._tag).toBe(c.tag)
  expect(error.kind).toBe("request")
  if (c.reason !== undefined) expect((error as MalformedMessage).reason).toBe(c.reason)
  if (c.tag === "MalformedMessage") expect((error as MalformedMessage).header).toBe(c.header)
  const offset = offsetOf(c)
  if (checkOffset && offset !== undefined) expect(error.offset).toBe(offset)
  // Wherever it points, the offset lies within the bytes fed.
  expect(error.offset).toBeGreaterThanOrEqual(0)
  expect(error.offset).toBeLessThanOrEqual(c.input.length)
  if (c.fields !== undefined) expect(pick(error as unknown as Record<string, unknown>, Object.keys(c.fields))).toEqual(c.fields)
}

describe("Parser.request: rejected requests", () => {
  it.each(rejectCases)("$name", (c) => {
    const events = parseAll(Parser.request(c.limits), [c.input], { finish: c.finish === true })
    checkError(c, errorOf(events), true)
  })

  it.each(rejectCases)("$name: the same error fed one byte at a time", (c) => {
    const events = parseAll(Parser.request(c.limits), splitEvery(c.input, 1), { finish: c.finish === true })
    checkError(c, errorOf(events), c.offsetDependsOnSplit !== true && c.reason !== "chunk-line-too-long")
  })

  it("points a chunk-line-too-long error inside the chunk-size line", () => {
    const input = CHUNKED + "1;" + "a".repeat(40) + "\r\nx\r\n0\r\n\r\n"
    const error = errorOf(parseAll(Parser.request({ maxChunkLineBytes: 16 }), [input]))
    expect(error).toBeInstanceOf(MalformedMessage)
    expect(error.offset).toBeGreaterThanOrEqual(CHUNKED.length)
    expect(error.offset).toBeLessThanOrEqual(CHUNKED.length + 44)
  })

  it("accepts a chunk-size line just at the chunk line limit", () => {
    // "1;aaaaaaaaaaaa\r\n" is 16 bytes.
    const input = CHUNKED + "1;" + "a".repeat(12) + "\r\nx\r\n0\r\n\r\n"
    const { messages } = messagesOf(parseAll(Parser.request({ maxChunkLineBytes: 16 }), [input]))
    expect(messages).toHaveLength(1)
    expect(messages[0]!.body).toBe("x")
  })

  it("keeps the error: next() answers Error again, even after more input", () => {
    const parser = Parser.request()
    parser.feed(bytes(H + "Ho st: x\r\n\r\n"))
    expect(parser.next()).toBe(Event.Error)
    const error = parser.error
    parser.feed(bytes(GET("/")))
    expect(parser.next()).toBe(Event.Error)
    expect(parser.next()).toBe(Event.Error)
    expect(parser.error).toBe(error)
  })

  it("gives a readable message naming the reason and offset", () => {
    const error = errorOf(parseAll(Parser.request(), [H + "Ho st: x\r\n\r\n"]))
    expect(error).toBeInstanceOf(MalformedMessage)
    expect(error.message).toContain("whitespace-before-colon")
    expect(error.message).toContain("18")
  })

  it("measures the offset from the first byte of the message, after leading CRLFs", () => {
    const error = errorOf(parseAll(Parser.request(), ["\r\n\r\n" + H + "Ho st: x\r\n\r\n"]))
    expect(error.offset).toBe(18)
  })

  it("measures the offset from the first byte of a pipelined message", () => {
    const events = parseAll(Parser.request(), [GET("/1") + H + "Ho st: x\r\n\r\n"])
    expect(events.map((e) => e.type)).toEqual(["head", "end", "error"])
    const error = errorOf(events)
    expect((error as MalformedMessage).reason).toBe("whitespace-before-colon")
    expect(error.offset).toBe(18)
  })

  it("measures the offset of a pipelined message across feeds", () => {
    const input = "POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc" + H + "X-A: a\x00b\r\n\r\n"
    for (const n of [1, input.length]) {
      const error = errorOf(parseAll(Parser.request(), splitEvery(input, n)))
      expect((error as MalformedMessage).reason).toBe("invalid-header-value")
      expect(error.offset).toBe(22)
    }
  })
})

// ---------------------------------------------------------------------------------------------
// Head size limit

describe("Parser.request: maxHeaderBytes", () => {
  const head = H + "Host: example.com\r\nX-Pad: " + "p".repeat(30) + "\r\n\r\n"

  it.each([
    ["just at the limit", head.length, true],
    ["one byte over the limit", head.length - 1, false],
    ["well under the limit", head.length * 2, true]
  ] as const)("a head %s", (_, limit, accepted) => {
    for (const chunks of [[head], splitEvery(head, 1)]) {
      const events = parseAll(Parser.request({ maxHeaderBytes: limit }), chunks)
      if (accepted) {
        expect(events.map((e) => e.type)).toEqual(["head", "end"])
      } else {
        const error = errorOf(events)
        expect(error).toBeInstanceOf(HeaderTooLarge)
        expect(error).toMatchObject({ section: "head", limit, kind: "request" })
      }
    }
  })

  it("counts the head only, not a body that follows in the same buffer", () => {
    const input = "POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\n" + "b".repeat(100)
    const limit = input.length - 100
    const { messages } = messagesOf(parseAll(Parser.request({ maxHeaderBytes: limit }), [input]))
    expect(messages[0]!.body).toHaveLength(100)
  })

  it("does not count skipped leading CRLFs (only the message's bytes)", () => {
    const limit = head.length
    const events = parseAll(Parser.request({ maxHeaderBytes: limit }), ["\r\n\r\n" + head])
    expect(events.map((e) => e.type)).toEqual(["head", "end"])
  })

  it("applies afresh to each pipelined message", () => {
    const events = parseAll(Parser.request({ maxHeaderBytes: head.length }), [head + head + head])
    expect(events.map((e) => e.type)).toEqual(["head", "end", "head", "end", "head", "end"])
  })

  it("a trailer section just at maxTrailerBytes is accepted, one byte less is not", () => {
    const trailers = "X-Trailer: 12345\r\n\r\n"
    const input = CHUNKED + "1\r\nx\r\n0\r\n" + trailers
    const ok = messagesOf(parseAll(Parser.request({ maxTrailerBytes: trailers.length }), [input]))
    expect(ok.messages[0]!.trailers).toEqual({ "X-Trailer": ["12345"] })
    const error = errorOf(parseAll(Parser.request({ maxTrailerBytes: trailers.length - 1 }), [input]))
    expect(error).toMatchObject({ _tag: "HeaderTooLarge", section: "trailers" })
    expect(statusForParseError(error)).toBe(400)
  })
})

// ---------------------------------------------------------------------------------------------
// Pipelining, end of input

describe("Parser.request: pipelining and end of input", () => {
  const pipelined =
    "GET /one HTTP/1.1\r\nHost: a\r\n\r\n" +
    "POST /two HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello" +
    "PUT /three HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nX-Sum: 5\r\n\r\n"

  it.each([1, pipelined.length])("three pipelined requests in order (fed %i bytes at a time)", (n) => {
    const { last, messages } = messagesOf(parseAll(Parser.request(), splitEvery(pipelined, n), { finish: true }))
    expect(last).toEqual({ type: "eof" })
    expect(messages.map((m) => [m.head.method, m.head.target, m.head.framing, m.body, m.trailers])).toEqual([
      ["GET", "/one", "none", "", undefined],
      ["POST", "/two", "length", "hello", undefined],
      ["PUT", "/three", "chunked", "abcde", { "X-Sum": ["5"] }]
    ])
    expect(messages.every((m) => m.complete && m.head.keepAlive)).toBe(true)
  })

  it("the same head shape twice on one connection gives each message its own fields", () => {
    const a = "POST /a HTTP/1.1\r\nHost: one\r\nContent-Length: 2\r\nX-Id: 1\r\n\r\nhi"
    const b = "POST /b HTTP/1.1\r\nHost: two\r\nContent-Length: 3\r\nX-Id: 2\r\n\r\nbye"
    const c = "POST /c HTTP/1.1\r\nHost: three\r\ncontent-length: 1\r\nX-Id: 3\r\n\r\n!"
    const d = "POST /d HTTP/1.1\r\nHostx: four\r\nTransfer-Encoding: chunked\r\nX-Id: 4\r\n\r\n1\r\n?\r\n0\r\n\r\n"
    for (const n of [1, 1000]) {
      const { messages } = messagesOf(parseAll(Parser.request(), splitEvery(a + b + c + d + a, n)))
      expect(messages.map((m) => [m.head.target, m.head.headers, m.head.framing, m.body])).toEqual([
        ["/a", { Host: ["one"], "Content-Length": ["2"], "X-Id": ["1"] }, "length", "hi"],
        ["/b", { Host: ["two"], "Content-Length": ["3"], "X-Id": ["2"] }, "length", "bye"],
        ["/c", { Host: ["three"], "Content-Length": ["1"], "X-Id": ["3"] }, "length", "!"],
        ["/d", { Hostx: ["four"], "Transfer-Encoding": ["chunked"], "X-Id": ["4"] }, "chunked", "?"],
        ["/a", { Host: ["one"], "Content-Length": ["2"], "X-Id": ["1"] }, "length", "hi"]
      ])
    }
  })

  it("a field renamed between messages is not taken for the previous name", () => {
    const first = "GET / HTTP/1.1\r\nX-Aaaa: 1\r\nContent-Length: 0\r\n\r\n"
    const second = "GET / HTTP/1.1\r\nX-Aaaa: 1\r\nContent-Lengthx: 5\r\n\r\n"
    const third = "GET / HTTP/1.1\r\nX-Aaab: 1\r\nContent-Lengt: 5\r\n\r\n"
    const { messages } = messagesOf(parseAll(Parser.request(), [first + second + third]))
    expect(messages.map((m) => [m.head.headers, m.head.framing])).toEqual([
      [{ "X-Aaaa": ["1"], "Content-Length": ["0"] }, "length"],
      [{ "X-Aaaa": ["1"], "Content-Lengthx": ["5"] }, "none"],
      [{ "X-Aaab": ["1"], "Content-Lengt": ["5"] }, "none"]
    ])
  })

  it("an invalid name is refused even after a valid one of the same length on the same line", () => {
    const first = "GET / HTTP/1.1\r\nX-Aaaa: 1\r\n\r\n"
    const second = "GET / HTTP/1.1\r\nX Aaa: 1\r\n\r\n"
    const events = parseAll(Parser.request(), [first + second])
    expect(events.map((e) => e.type)).toEqual(["head", "end", "error"])
    expect(errorOf(events)).toMatchObject({ reason: "whitespace-before-colon", offset: 17 })
  })

  it("a pipelined request may start with CRLF after the previous body", () => {
    const input = "POST / HTTP/1.1\r\nContent-Length: 1\r\n\r\nx\r\nGET /next HTTP/1.1\r\n\r\n"
    const { messages } = messagesOf(parseAll(Parser.request(), [input]))
    expect(messages.map((m) => m.head.target)).toEqual(["/", "/next"])
  })

  it("reports Eof when the input ends between messages", () => {
    const events = parseAll(Parser.request(), [GET("/")], { finish: true })
    expect(events.map((e) => e.type)).toEqual(["head", "end", "eof"])
  })

  it("reports Eof for an input that ends before any message", () => {
    expect(parseAll(Parser.request(), [], { finish: true })).toEqual([{ type: "eof" }])
  })

  it("reports Eof after skipped CRLFs", () => {
    expect(parseAll(Parser.request(), ["\r\n\r\n"], { finish: true })).toEqual([{ type: "eof" }])
  })

  it("keeps answering Eof", () => {
    const parser = Parser.request()
    parser.finish()
    expect(parser.next()).toBe(Event.Eof)
    expect(parser.next()).toBe(Event.Eof)
  })

  it("answers NeedMore while a message is incomplete and finish() was not called", () => {
    const parser = Parser.request()
    parser.feed(bytes("GET / HTTP/1.1\r\nHost: a\r\n"))
    expect(parser.next()).toBe(Event.NeedMore)
    expect(parser.next()).toBe(Event.NeedMore)
    parser.finish()
    expect(parser.next()).toBe(Event.Error)
    expect(parser.error).toMatchObject({ _tag: "MalformedMessage", reason: "unexpected-eof" })
  })

  it("finish() after a complete head and a partial body is unexpected-eof, after the body bytes", () => {
    const events = parseAll(Parser.request(), ["POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\nab"], { finish: true })
    expect(events.map((e) => e.type)).toEqual(["head", "body", "error"])
    expect(statusForParseError(errorOf(events))).toBe(400)
  })

  it("ignores an empty feed", () => {
    const parser = Parser.request()
    parser.feed(new Uint8Array(0))
    expect(parser.next()).toBe(Event.NeedMore)
    parser.feed(bytes(GET("/")))
    parser.feed(new Uint8Array(0))
    expect(parser.next()).toBe(Event.Head)
    expect(parser.head.target).toBe("/")
  })

  it("accepts a Uint8Array that is not a Buffer, at an offset into a larger ArrayBuffer", () => {
    const raw = new TextEncoder().encode("xxxx" + GET("/u8") + "yyyy")
    const view = raw.subarray(4, raw.length - 4)
    const { messages } = messagesOf(parseAll(Parser.request(), [view]))
    expect(messages[0]!.head.target).toBe("/u8")
    expect(messages[0]!.head.headers).toEqual({ Host: ["example.com"] })
  })

  it("takeBuffered returns what follows the parsed message and detaches", () => {
    const parser = Parser.request()
    parser.feed(bytes("GET /chat HTTP/1.1\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n\x81\x05hello"))
    expect(parser.next()).toBe(Event.Head)
    expect(parser.head.upgrade).toBe(true)
    expect(parser.next()).toBe(Event.End)
    expect(parser.takeBuffered().toString("latin1")).toBe("\x81\x05hello")
    expect(parser.buffered).toBe(0)
    expect(parser.next()).toBe(Event.Detached)
  })

  it("a message without trailers after one with trailers has none", () => {
    const parser = Parser.request()
    const events = parseAll(parser, [CHUNKED + "0\r\nX-T: 1\r\n\r\n" + CHUNKED + "0\r\n\r\n"])
    expect(events.filter((e) => e.type === "end")).toEqual([
      { type: "end", trailers: { "X-T": ["1"] } },
      { type: "end", trailers: undefined }
    ])
  })
})

// ---------------------------------------------------------------------------------------------
// Input split between feeds (ARCHITECTURE invariant 4: parsing does not depend on the split)

/** Every way to cut the input into two feeds. */
const cutsInTwo = (input: string): Array<Array<string>> => {
  const out: Array<Array<string>> = []
  for (let k = 1; k < input.length; k++) out.push([input.slice(0, k), input.slice(k)])
  return out
}

describe("Parser.request: input cut between feeds", () => {
  it("parses the same when every feed ends at a line boundary", () => {
    const input = "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nX-A: 1\r\n\r\nabc"
    const whole = messagesOf(parseAll(Parser.request(), [input]))
    const lines = input.split(/(?<=\r\n)/)
    expect(lines.length).toBeGreaterThan(4)
    expect(messagesOf(parseAll(Parser.request(), lines))).toEqual(whole)
    expect(whole.messages[0]!.head.headers).toEqual({ Host: ["a"], "Content-Length": ["3"], "X-A": ["1"] })
  })

  it("parses the same when the request-line is cut anywhere", () => {
    const input = "GET /path?q=1 HTTP/1.1\r\n\r\n"
    const whole = messagesOf(parseAll(Parser.request(), [input]))
    for (const chunks of cutsInTwo(input)) expect(messagesOf(parseAll(Parser.request(), chunks))).toEqual(whole)
  })

  it("parses the same when a chunked body is cut anywhere after the head", () => {
    const head = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
    const body = "5;a=\"b\"\r\nhello\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n"
    for (let k = 0; k <= body.length; k++) {
      const { messages } = messagesOf(parseAll(Parser.request(), [head + body.slice(0, k), body.slice(k)]))
      expect(messages.map((m) => [m.body, m.complete])).toEqual([["hello0123456789abcdef", true]])
    }
  })

  // Regression, once wrong: when a feed ends inside a field line and the same onFields pass already scanned the
  // start line or a complete field line, the loop breaks without rewinding `p` to the line's
  // start and materialize(batchStart, p, count) moves `pos` past the partial line: its bytes are
  // lost (the whole line when the cut falls between its CR and LF), and the next feed's bytes
  // start a new "line". Byte-at-a-time input is not affected (every line then arrives whole).
  it("a field name cut between feeds keeps its first bytes", () => {
    const { messages } = messagesOf(parseAll(Parser.request(), ["GET / HTTP/1.1\r\nHo", "st: a\r\n\r\n"]))
    expect(messages[0]!.head.headers).toEqual({ Host: ["a"] })
  })

  it("a field value cut between feeds is whole", () => {
    const events = parseAll(Parser.request(), ["GET / HTTP/1.1\r\nHost: exa", "mple.com\r\n\r\n"])
    expect(messagesOf(events).messages[0]?.head.headers).toEqual({ Host: ["example.com"] })
  })

  it("a field line cut between its CR and LF is kept", () => {
    const { messages } = messagesOf(parseAll(Parser.request(), ["GET / HTTP/1.1\r\nHost: a\r", "\n\r\n"]))
    expect(messages[0]!.head.headers).toEqual({ Host: ["a"] })
  })

  it("the rest of a cut value is not read as a new field line (request smuggling)", () => {
    const events = parseAll(Parser.request(), ["GET / HTTP/1.1\r\nX-Junk: abc", "Transfer-Encoding: chunked\r\n\r\n"])
    const { messages } = messagesOf(events)
    expect(messages[0]!.head.headers).toEqual({ "X-Junk": ["abcTransfer-Encoding: chunked"] })
    expect(messages[0]!.head.framing).toBe("none")
  })

  it("a field line over maxHeaderBytes without its LF yet is HeaderTooLarge", () => {
    const events = parseAll(Parser.request({ maxHeaderBytes: 100 }), [H + "X-Long: " + "a".repeat(200)])
    expect(errorOf(events)).toMatchObject({ _tag: "HeaderTooLarge", section: "head", limit: 100, offset: 100 })
  })

  it("a trailer line cut between feeds is kept", () => {
    const { messages } = messagesOf(parseAll(Parser.request(), [CHUNKED + "0\r\nX-A: 1\r\nX-Chec", "ksum: 1\r\n\r\n"]))
    expect(messages[0]!.trailers).toEqual({ "X-A": ["1"], "X-Checksum": ["1"] })
  })

  it("every accepted request parses the same however it is cut in two", () => {
    const mismatches: Array<string> = []
    for (const c of acceptCases) {
      const whole = messagesOf(parseAll(Parser.request(c.limits), [c.input], { finish: true }))
      for (const chunks of cutsInTwo(c.input)) {
        const split = messagesOf(parseAll(Parser.request(c.limits), chunks, { finish: true }))
        if (JSON.stringify(split) !== JSON.stringify(whole)) mismatches.push(`${c.name} @${chunks[0]!.length}`)
      }
    }
    expect(mismatches).toEqual([])
  })

  it("three pipelined requests fed 2, 3, 5, 8, 13 and 64 bytes at a time", () => {
    const pipelined =
      "GET /one HTTP/1.1\r\nHost: a\r\n\r\n" +
      "POST /two HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello" +
      "PUT /three HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nX-Sum: 5\r\n\r\n"
    const whole = messagesOf(parseAll(Parser.request(), [pipelined], { finish: true }))
    for (const n of [2, 3, 5, 8, 13, 64]) {
      expect(messagesOf(parseAll(Parser.request(), splitEvery(pipelined, n), { finish: true }))).toEqual(whole)
    }
  })

  it("a head just at maxHeaderBytes fed 5 bytes at a time", () => {
    const head = H + "Host: example.com\r\nX-Pad: " + "p".repeat(30) + "\r\n\r\n"
    const events = parseAll(Parser.request({ maxHeaderBytes: head.length }), splitEvery(head, 5))
    expect(events.map((e) => e.type)).toEqual(["head", "end"])
    expect(messagesOf(events).messages[0]!.head.headers).toEqual({ Host: ["example.com"], "X-Pad": ["p".repeat(30)] })
  })

  it("the offset of an error in a pipelined message fed 2 bytes at a time", () => {
    const input = "POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc" + H + "X-A: a\x00b\r\n\r\n"
    const error = errorOf(parseAll(Parser.request(), splitEvery(input, 2)))
    expect(error).toMatchObject({ reason: "invalid-header-value", offset: 22, header: "X-A" })
  })
})

// ---------------------------------------------------------------------------------------------
// Go's framing choices not followed yet

describe("Parser.request: framing as Go decides it", () => {
  // Regression, once wrong: Go's fixLength replaces equal duplicate Content-Length fields by one field.
  it("equal duplicate Content-Length fields come out as one field", () => {
    const input = "POST / HTTP/1.1\r\nContent-Length: 4\r\nContent-Length: 4\r\n\r\nbody"
    const { messages } = messagesOf(parseAll(Parser.request(), [input]))
    expect(messages[0]!.head.headers).toEqual({ "Content-Length": ["4"] })
  })

  // Regression, once wrong: a coding with parameters is not "exactly chunked"; Go answers 501
  // (parseTransferEncoding: !EqualFold(raw[0], "chunked")). Framing such a request as chunked
  // desyncs from a front end that does not recognise the coding.
  it("Transfer-Encoding: chunked;foo=bar is an unsupported coding", () => {
    const input = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked;foo=bar\r\n\r\n0\r\n\r\n"
    const error = errorOf(parseAll(Parser.request(), [input]))
    expect(error).toMatchObject({ _tag: "UnsupportedTransferEncoding", coding: "chunked;foo=bar" })
  })
})

// ---------------------------------------------------------------------------------------------
// statusForParseError

describe("statusForParseError", () => {
  it.each([
    ["MalformedMessage", 400, new MalformedMessage({ kind: "request", reason: "bare-lf", offset: 0, detail: "x" })],
    ["HeaderTooLarge head", 431, new HeaderTooLarge({ kind: "request", section: "head", limit: 1, offset: 1 })],
    ["HeaderTooLarge trailers", 400, new HeaderTooLarge({ kind: "request", section: "trailers", limit: 1, offset: 1 })],
    ["UnsupportedTransferEncoding", 501, new UnsupportedTransferEncoding({ kind: "request", coding: "gzip", offset: 0 })],
    ["UnsupportedVersion", 505, new UnsupportedVersion({ kind: "request", major: 2, minor: 0, offset: 5 })]
  ] as const)("%s -> %i", (_, status, error) => {
    expect(statusForParseError(error)).toBe(status)
  })

  it.each([
    ["a malformed head", 400, H + "Ho st: x\r\n\r\n", {}],
    ["an oversized head", 431, H + "X: " + "a".repeat(100) + "\r\n\r\n", { maxHeaderBytes: 50 }],
    ["an unknown transfer coding", 501, "POST / HTTP/1.1\r\nTransfer-Encoding: br\r\n\r\n", {}],
    ["HTTP/2.0", 505, "GET / HTTP/2.0\r\n\r\n", {}],
    ["a bad chunk size", 400, CHUNKED + "g\r\n", {}],
    ["conflicting lengths", 400, "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", {}]
  ] as const)("what the parser reports for %s maps to %i", (_, status, input, limits) => {
    expect(statusForParseError(errorOf(parseAll(Parser.request(limits), [input])))).toBe(status)
  })
})
