/**
 * The response side of the HTTP/1.1 parser (RFC 9112): status line, header block (with the
 * tolerances a client allows), framing by status and request method, chunked bodies with
 * trailers, read-until-close, protocol switches and errors, table-driven.
 */
import { describe, expect, it } from "@effect/vitest"
import { HeaderTooLarge, type MalformedMessage, type ParseError } from "../../../src/domain/errors.js"
import type { ResponseHead } from "../../../src/domain/http1/MessageHead.js"
import { Event, Parser, type ParserLimits } from "../../../src/domain/http1/Parser.js"
import { bytes, errorOf, type Ev, groupMessages, parseAll, splitEvery } from "./harness.js"

// ---------------------------------------------------------------------------------------------
// Helpers

interface ResponseSummary {
  readonly status: number
  readonly reason: string
  readonly proto: string
  readonly versionMajor: number
  readonly versionMinor: number
  readonly headers: Record<string, Array<string>>
  readonly framing: string
  readonly contentLength: number
  readonly keepAlive: boolean
  readonly upgrade: boolean
}

const summarize = (h: ResponseHead): ResponseSummary => ({
  status: h.status,
  reason: h.reason,
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
const messagesOf = (events: ReadonlyArray<Ev<ResponseHead>>) => groupMessages(events, summarize)

const pick = (actual: Record<string, unknown>, keys: ReadonlyArray<string>): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const k of keys) out[k] = actual[k]
  return out
}

const response = (method?: string, limits?: ParserLimits): Parser<ResponseHead> => {
  const parser = Parser.response(limits)
  if (method !== undefined) parser.expect(method)
  return parser
}

// ---------------------------------------------------------------------------------------------
// Accepted responses

interface AcceptCase {
  readonly name: string
  readonly input: string
  /** The method of the request answered (default: none set, i.e. GET). */
  readonly method?: string
  readonly limits?: ParserLimits
  readonly expected: Partial<ResponseSummary> & {
    readonly body?: string
    readonly trailers?: Record<string, Array<string>> | undefined
  }
}

const OK = "HTTP/1.1 200 OK\r\n"
const CHUNKED = OK + "Transfer-Encoding: chunked\r\n\r\n"

const acceptCases: ReadonlyArray<AcceptCase> = [
  // Status line
  {
    name: "a 200 with a Content-Length body",
    input: OK + "Content-Length: 2\r\n\r\nhi",
    expected: {
      status: 200, reason: "OK", proto: "HTTP/1.1", versionMajor: 1, versionMinor: 1, headers: { "Content-Length": ["2"] },
      framing: "length", contentLength: 2, keepAlive: true, upgrade: false, body: "hi", trailers: undefined
    }
  },
  { name: "a reason phrase with spaces", input: "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", expected: { status: 404, reason: "Not Found", body: "" } },
  { name: "a reason phrase with punctuation", input: "HTTP/1.1 200 OK: fine (really), 100%\r\nContent-Length: 0\r\n\r\n", expected: { reason: "OK: fine (really), 100%" } },
  { name: "a reason phrase with HTAB and obs-text", input: "HTTP/1.1 200 Tout\tva bien, caf\xe9\r\nContent-Length: 0\r\n\r\n", expected: { reason: "Tout\tva bien, caf\u00e9" } },
  { name: "an empty reason phrase after the space", input: "HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n", expected: { status: 200, reason: "" } },
  { name: "no space before an empty reason (as Go)", input: "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", expected: { status: 200, reason: "" } },
  { name: "an unnamed status code", input: "HTTP/1.1 299 Whatever\r\nContent-Length: 0\r\n\r\n", expected: { status: 299, reason: "Whatever" } },
  { name: "the lowest status code, 100", input: "HTTP/1.1 100 Continue\r\n\r\n", expected: { status: 100, framing: "none" } },
  { name: "the highest status code, 599", input: "HTTP/1.1 599 Custom\r\nContent-Length: 1\r\n\r\nx", expected: { status: 599, body: "x" } },
  { name: "HTTP/1.0 is not persistent by default", input: "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi", expected: { proto: "HTTP/1.0", versionMinor: 0, keepAlive: false, body: "hi" } },
  { name: "HTTP/1.0 with Connection: keep-alive", input: "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nhi", expected: { keepAlive: true } },
  { name: "HTTP/1.1 with Connection: close", input: OK + "Connection: close\r\nContent-Length: 2\r\n\r\nhi", expected: { keepAlive: false, framing: "length" } },
  { name: "Connection: close among other tokens", input: OK + "Connection: Keep-Alive, CLOSE\r\nContent-Length: 0\r\n\r\n", expected: { keepAlive: false } },
  // Header fields
  {
    name: "names come out canonical and values trimmed",
    input: OK + "content-type:  text/html; charset=utf-8 \r\nx-powered-by:\tgo\t\r\nSET-COOKIE: a=1\r\nset-cookie: b=2\r\nContent-Length: 0\r\n\r\n",
    expected: { headers: { "Content-Type": ["text/html; charset=utf-8"], "X-Powered-By": ["go"], "Set-Cookie": ["a=1", "b=2"], "Content-Length": ["0"] } }
  },
  {
    name: "obs-fold is unfolded into one SP",
    input: OK + "X-Folded: one\r\n two\r\n\tthree\r\nContent-Length: 0\r\n\r\n",
    expected: { headers: { "X-Folded": ["one two three"], "Content-Length": ["0"] } }
  },
  {
    name: "obs-fold with whitespace around the folds",
    input: OK + "X-Folded: one  \r\n   two \t\r\nContent-Length: 0\r\n\r\n",
    expected: { headers: { "X-Folded": ["one two"], "Content-Length": ["0"] } }
  },
  {
    name: "a fold of only whitespace adds nothing",
    input: OK + "X-Folded: a\r\n  \r\nX-Next: b\r\nContent-Length: 0\r\n\r\n",
    expected: { headers: { "X-Folded": ["a"], "X-Next": ["b"], "Content-Length": ["0"] } }
  },
  {
    name: "bare LF line endings in the head are tolerated",
    input: "HTTP/1.1 200 OK\nContent-Type: text/plain\nContent-Length: 2\n\nhi",
    expected: { status: 200, reason: "OK", headers: { "Content-Type": ["text/plain"], "Content-Length": ["2"] }, body: "hi" }
  },
  {
    name: "CRLF and bare LF mixed in the head",
    input: "HTTP/1.1 200 OK\r\nX-A: a\nX-B: b\r\n\nhi",
    expected: { headers: { "X-A": ["a"], "X-B": ["b"] }, framing: "close", body: "hi" }
  },
  { name: "bare LF after an empty reason", input: "HTTP/1.1 204\n\n", expected: { status: 204, reason: "", framing: "none" } },
  { name: "obs-fold with bare LF", input: "HTTP/1.1 200 OK\nX-F: a\n b\nContent-Length: 0\n\n", expected: { headers: { "X-F": ["a b"], "Content-Length": ["0"] } } },
  // Bodyless responses
  { name: "a response to HEAD has no body even with Content-Length", method: "HEAD", input: OK + "Content-Length: 10\r\n\r\n", expected: { framing: "none", contentLength: 0, body: "", headers: { "Content-Length": ["10"] }, keepAlive: true } },
  { name: "a response to HEAD has no body even when chunked", method: "HEAD", input: CHUNKED, expected: { framing: "none", body: "", keepAlive: true } },
  { name: "a response to HEAD without a length is not read until close", method: "HEAD", input: OK + "\r\n", expected: { framing: "none", body: "" } },
  { name: "204 has no body even with Content-Length", input: "HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n", expected: { status: 204, framing: "none", contentLength: 0, body: "", keepAlive: true } },
  { name: "304 has no body even with Content-Length", input: "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\nEtag: \"x\"\r\n\r\n", expected: { status: 304, framing: "none", body: "" } },
  { name: "304 has no body even when chunked", input: "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n", expected: { framing: "none", body: "" } },
  { name: "100 Continue has no body", input: "HTTP/1.1 100 Continue\r\nContent-Length: 5\r\n\r\n", expected: { status: 100, framing: "none", body: "" } },
  { name: "103 Early Hints has no body", input: "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n", expected: { status: 103, headers: { Link: ["</style.css>; rel=preload"] }, framing: "none" } },
  { name: "a 2xx to a request other than CONNECT is an ordinary response", method: "POST", input: OK + "Content-Length: 1\r\n\r\nx", expected: { framing: "length", body: "x" } },
  { name: "a non-2xx answer to CONNECT has a body", method: "CONNECT", input: "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 4\r\n\r\ndeny", expected: { status: 407, framing: "length", body: "deny", keepAlive: true } },
  // Content-Length
  { name: "Content-Length: 0", input: OK + "Content-Length: 0\r\n\r\n", expected: { framing: "length", contentLength: 0, body: "" } },
  { name: "equal duplicate Content-Length fields frame once", input: OK + "Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc", expected: { contentLength: 3, body: "abc" } },
  { name: "Content-Length in lower case", input: OK + "content-length: 3\r\n\r\nabc", expected: { framing: "length", contentLength: 3, body: "abc" } },
  // Read until close
  { name: "no length: read until close", input: OK + "Content-Type: text/plain\r\n\r\nall of it\r\nuntil the end", expected: { framing: "close", contentLength: -1, keepAlive: false, body: "all of it\r\nuntil the end" } },
  { name: "HTTP/1.0 without a length", input: "HTTP/1.0 200 OK\r\n\r\nold style", expected: { framing: "close", keepAlive: false, body: "old style" } },
  { name: "no length and an empty body", input: OK + "\r\n", expected: { framing: "close", body: "" } },
  { name: "no length even with Connection: keep-alive", input: OK + "Connection: keep-alive\r\n\r\nx", expected: { framing: "close", keepAlive: false, body: "x" } },
  // Transfer-Encoding
  {
    name: "a chunked body",
    input: CHUNKED + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
    expected: { framing: "chunked", contentLength: -1, keepAlive: true, body: "hello world", trailers: undefined }
  },
  {
    name: "a chunked body with extensions and trailers",
    input: CHUNKED + "5;name=value\r\nhello\r\n6 ; a ; b=\"q \\\"x\\\"\"\r\n world\r\n0;last\r\nX-Checksum: abc\r\nserver-timing:  db;dur=53 \r\n\r\n",
    expected: { body: "hello world", trailers: { "X-Checksum": ["abc"], "Server-Timing": ["db;dur=53"] } }
  },
  { name: "uppercase and lowercase hex chunk sizes", input: CHUNKED + "A\r\n0123456789\r\nb\r\nabcdefghijk\r\n0\r\n\r\n", expected: { body: "0123456789abcdefghijk" } },
  { name: "gzip, chunked: chunked is last", input: OK + "Transfer-Encoding: gzip, chunked\r\n\r\n2\r\n\x1f\x8b\r\n0\r\n\r\n", expected: { framing: "chunked", keepAlive: true, body: "\x1f\x8b" } },
  { name: "gzip and chunked in two fields", input: OK + "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nz\r\n0\r\n\r\n", expected: { framing: "chunked", body: "z" } },
  { name: "Transfer-Encoding: Chunked in another case", input: OK + "Transfer-Encoding: Chunked\r\n\r\n1\r\nz\r\n0\r\n\r\n", expected: { framing: "chunked", body: "z" } },
  { name: "a coding other than chunked: read until close", input: OK + "Transfer-Encoding: gzip\r\n\r\n\x1f\x8bdata", expected: { framing: "close", contentLength: -1, keepAlive: false, body: "\x1f\x8bdata" } },
  { name: "chunked, gzip: chunked not last, read until close", input: OK + "Transfer-Encoding: chunked, gzip\r\n\r\n5\r\nhello\r\n0\r\n\r\n", expected: { framing: "close", keepAlive: false, body: "5\r\nhello\r\n0\r\n\r\n" } },
  { name: "Transfer-Encoding and Content-Length: TE wins, not persistent", input: OK + "Content-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", expected: { framing: "chunked", contentLength: -1, keepAlive: false, body: "abc" } },
  { name: "chunked on HTTP/1.0: framed, not persistent", input: "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n1\r\nx\r\n0\r\n\r\n", expected: { framing: "chunked", keepAlive: false, body: "x" } },
  // Upgrade flag
  { name: "Connection: upgrade with Upgrade on a 200", input: OK + "Connection: upgrade\r\nUpgrade: h2c\r\nContent-Length: 0\r\n\r\n", expected: { upgrade: true, framing: "length" } },
  { name: "an Upgrade field alone", input: OK + "Upgrade: h2c\r\nContent-Length: 0\r\n\r\n", expected: { upgrade: false } }
]

describe("Parser.response: accepted responses", () => {
  it.each(acceptCases)("$name", ({ expected, input, limits, method }) => {
    const { body, trailers, ...headExpected } = expected
    const events = parseAll(response(method, limits), [input], { finish: true })
    const { last, messages } = messagesOf(events)
    expect(messages).toHaveLength(1)
    const msg = messages[0]!
    expect(msg.complete).toBe(true)
    expect(last).toEqual({ type: "eof" })
    expect(pick(msg.head as unknown as Record<string, unknown>, Object.keys(headExpected))).toEqual(headExpected)
    if (body !== undefined) expect(msg.body).toBe(body)
    if ("trailers" in expected) expect(msg.trailers).toEqual(trailers)
  })

  it.each(acceptCases)("$name: parses the same fed one byte at a time", ({ input, limits, method }) => {
    const whole = messagesOf(parseAll(response(method, limits), [input], { finish: true }))
    const split = messagesOf(parseAll(response(method, limits), splitEvery(input, 1), { finish: true }))
    expect(split).toEqual(whole)
  })
})

// ---------------------------------------------------------------------------------------------
// Sequences on one connection

describe("Parser.response: several responses on one parser", () => {
  it("a 100 Continue, then the final response", () => {
    const input = "HTTP/1.1 100 Continue\r\n\r\n" + OK + "Content-Length: 2\r\n\r\nhi"
    for (const n of [1, input.length]) {
      const { last, messages } = messagesOf(parseAll(response("POST"), splitEvery(input, n)))
      expect(messages.map((m) => [m.head.status, m.head.framing, m.body, m.complete])).toEqual([
        [100, "none", "", true],
        [200, "length", "hi", true]
      ])
      expect(last?.type).toBe("end")
    }
  })

  it("several 1xx (100, 103) before a chunked final response", () => {
    const input = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" + CHUNKED + "1\r\nx\r\n0\r\n\r\n"
    const { messages } = messagesOf(parseAll(response("GET"), [input]))
    expect(messages.map((m) => [m.head.status, m.head.headers, m.body])).toEqual([
      [100, {}, ""],
      [103, { Link: ["</a>"] }, ""],
      [200, { "Transfer-Encoding": ["chunked"] }, "x"]
    ])
  })

  it("responses to pipelined HEAD requests end at their heads", () => {
    const parser = response("HEAD")
    const events = parseAll(parser, [OK + "Content-Length: 5\r\n\r\n" + OK + "Content-Length: 5\r\n\r\n"])
    // Neither response has a body: both answer HEAD requests.
    expect(events.map((e) => e.type)).toEqual(["head", "end", "head", "end"])
    expect(messagesOf(events).messages.map((m) => [m.head.framing, m.body])).toEqual([
      ["none", ""],
      ["none", ""]
    ])
  })

  it("expect() applies to the responses that follow it", () => {
    const parser = response("HEAD")
    const first = messagesOf(parseAll(parser, [OK + "Content-Length: 5\r\n\r\n"]))
    expect(first.messages.map((m) => [m.head.framing, m.body])).toEqual([["none", ""]])
    parser.expect("GET")
    const second = messagesOf(parseAll(parser, [OK + "Content-Length: 5\r\n\r\nhello"]))
    expect(second.messages.map((m) => [m.head.framing, m.body])).toEqual([["length", "hello"]])
  })

  it("keep-alive responses, length then chunked then bodyless, in order", () => {
    const input =
      OK + "Content-Length: 3\r\n\r\nabc" +
      CHUNKED + "2;x\r\nde\r\n0\r\nX-T: 1\r\n\r\n" +
      "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n" +
      "HTTP/1.1 204 No Content\r\n\r\n"
    for (const n of [1, input.length]) {
      const { messages } = messagesOf(parseAll(response(), splitEvery(input, n), { finish: true }))
      expect(messages.map((m) => [m.head.status, m.body, m.trailers, m.head.keepAlive])).toEqual([
        [200, "abc", undefined, true],
        [200, "de", { "X-T": ["1"] }, true],
        [304, "", undefined, true],
        [204, "", undefined, true]
      ])
    }
  })

  it("the same field names line by line on successive responses keep their own values", () => {
    const a = OK + "Content-Type: a\r\nContent-Length: 1\r\nX-Id: 1\r\n\r\n1"
    const b = OK + "Content-Type: b\r\nContent-Lengthy: 1\r\nX-Id: 2\r\n\r\n"
    const c = OK + "content-type: c\r\nContent-Length: 2\r\nX-Ie: 3\r\n\r\n33"
    const { messages } = messagesOf(parseAll(response(), [a + b + c], { finish: true }))
    expect(messages.map((m) => [m.head.headers, m.head.framing, m.body])).toEqual([
      [{ "Content-Type": ["a"], "Content-Length": ["1"], "X-Id": ["1"] }, "length", "1"],
      [{ "Content-Type": ["b"], "Content-Lengthy": ["1"], "X-Id": ["2"] }, "close", OK + "content-type: c\r\nContent-Length: 2\r\nX-Ie: 3\r\n\r\n33"]
    ])
  })

  it("an error in a later response is offset from that response's first byte", () => {
    const input = OK + "Content-Length: 0\r\n\r\n" + OK + "X-A\t: b\r\n\r\n"
    const events = parseAll(response(), [input])
    expect(events.map((e) => e.type)).toEqual(["head", "end", "error"])
    expect(errorOf(events)).toMatchObject({ reason: "whitespace-before-colon", offset: OK.length + 3 })
  })
})

// ---------------------------------------------------------------------------------------------
// Protocol switches

describe("Parser.response: protocol switches", () => {
  const switching = "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"

  it("101: Head, End, then Detached; takeBuffered returns the bytes after the head", () => {
    const parser = response("GET")
    const events = parseAll(parser, [switching + "\x81\x02hi"])
    expect(events.map((e) => e.type)).toEqual(["head", "end", "detached"])
    const head = messagesOf(events).messages[0]!.head
    expect(head).toMatchObject({ status: 101, framing: "none", keepAlive: false, upgrade: true })
    expect(parser.takeBuffered().toString("latin1")).toBe("\x81\x02hi")
    expect(parser.next()).toBe(Event.Detached)
  })

  it("101 ignores a Content-Length: the rest belongs to the new protocol", () => {
    const parser = response("GET")
    const events = parseAll(parser, ["HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\nContent-Length: 2\r\n\r\nPRI * HTTP/2.0"])
    expect(events.map((e) => e.type)).toEqual(["head", "end", "detached"])
    expect(parser.takeBuffered().toString("latin1")).toBe("PRI * HTTP/2.0")
  })

  it("101 fed in pieces: takeBuffered returns only what arrived after the head", () => {
    const parser = response()
    const events = parseAll(parser, splitEvery(switching, 1))
    expect(events.map((e) => e.type)).toEqual(["head", "end", "detached"])
    expect(parser.takeBuffered().length).toBe(0)
    expect(parser.next()).toBe(Event.Detached)
  })

  it("a detached parser parses nothing more", () => {
    const parser = response()
    parseAll(parser, [switching])
    parser.feed(bytes(OK + "Content-Length: 0\r\n\r\n"))
    expect(parser.next()).toBe(Event.Detached)
    expect(parser.takeBuffered().toString("latin1")).toBe(OK + "Content-Length: 0\r\n\r\n")
  })

  it.each([200, 204, 299])("a %i answer to CONNECT detaches", (status) => {
    const parser = response("CONNECT")
    const events = parseAll(parser, [`HTTP/1.1 ${status} Connection established\r\nContent-Length: 10\r\n\r\n\x16\x03\x01`])
    expect(events.map((e) => e.type)).toEqual(["head", "end", "detached"])
    expect(messagesOf(events).messages[0]!.head).toMatchObject({ status, framing: "none", keepAlive: false })
    expect(parser.takeBuffered().toString("latin1")).toBe("\x16\x03\x01")
  })

  it("a 200 to CONNECT without a length still detaches (not read until close)", () => {
    const parser = response("CONNECT")
    const events = parseAll(parser, [OK + "\r\ntunnel bytes"])
    expect(events.map((e) => e.type)).toEqual(["head", "end", "detached"])
    expect(parser.takeBuffered().toString("latin1")).toBe("tunnel bytes")
  })

  it("a 1xx other than 101 does not detach", () => {
    const events = parseAll(response("GET"), ["HTTP/1.1 102 Processing\r\n\r\n" + OK + "Content-Length: 1\r\n\r\nx"])
    expect(events.map((e) => e.type)).toEqual(["head", "end", "head", "body", "end"])
  })
})

// ---------------------------------------------------------------------------------------------
// Read until close

describe("Parser.response: read until close", () => {
  it("hands out body bytes as they come and ends at finish()", () => {
    const parser = response()
    const first = parseAll(parser, [OK + "\r\npart one, "])
    expect(first.map((e) => e.type)).toEqual(["head", "body"])
    const second = parseAll(parser, ["part two"])
    expect(second).toEqual([{ type: "body", data: "part two" }])
    expect(parser.next()).toBe(Event.NeedMore)
    parser.finish()
    expect(parser.next()).toBe(Event.End)
    expect(parser.next()).toBe(Event.Eof)
  })

  it("bytes that look like a response are body", () => {
    const { messages } = messagesOf(parseAll(response(), [OK + "\r\n" + OK + "Content-Length: 0\r\n\r\n"], { finish: true }))
    expect(messages).toHaveLength(1)
    expect(messages[0]!.body).toBe(OK + "Content-Length: 0\r\n\r\n")
  })

  it("a TE-not-chunked body is read until close too", () => {
    const events = parseAll(response(), [OK + "Transfer-Encoding: deflate\r\n\r\nxyz"], { finish: true })
    expect(events.map((e) => e.type)).toEqual(["head", "body", "end", "eof"])
  })
})

// ---------------------------------------------------------------------------------------------
// Rejected responses

interface RejectCase {
  readonly name: string
  readonly input: string
  readonly method?: string
  readonly limits?: ParserLimits
  readonly finish?: boolean
  readonly tag: ParseError["_tag"]
  readonly reason?: MalformedMessage["reason"]
  /** One of these reasons (where two names fit the rule). */
  readonly reasons?: ReadonlyArray<MalformedMessage["reason"]>
  readonly header?: string
  readonly at?: number
  readonly fields?: Record<string, unknown>
}

const mal = (
  name: string,
  input: string,
  reason: MalformedMessage["reason"],
  at?: number,
  extra: Partial<RejectCase> = {}
): RejectCase => ({ name, input, tag: "MalformedMessage", reason, ...(at === undefined ? {} : { at }), ...extra })

const rejectCases: ReadonlyArray<RejectCase> = [
  // Status line
  mal("no space after the version", "HTTP/1.1200 OK\r\n\r\n", "invalid-status-line", 8),
  mal("a tab after the version", "HTTP/1.1\t200 OK\r\n\r\n", "invalid-status-line", 8),
  mal("another protocol name", "ICY 200 OK\r\n\r\n", "invalid-status-line", 0),
  mal("a lower-case protocol name", "http/1.1 200 OK\r\n\r\n", "invalid-status-line", 0),
  mal("a version with a letter", "HTTP/1.x 200 OK\r\n\r\n", "invalid-status-line", 7),
  mal("a leading empty line before the status line", "\r\nHTTP/1.1 200 OK\r\n\r\n", "invalid-status-line", 0),
  mal("a two-digit status code", "HTTP/1.1 20 OK\r\n\r\n", "invalid-status-code", 9),
  mal("a status code with letters", "HTTP/1.1 abc OK\r\n\r\n", "invalid-status-code", 9),
  mal("a status code below 100", "HTTP/1.1 099 Low\r\n\r\n", "invalid-status-code", 9),
  mal("status code 000", "HTTP/1.1 000\r\n\r\n", "invalid-status-code", 9),
  mal("a status code above 599", "HTTP/1.1 600 High\r\n\r\n", "invalid-status-code", 9),
  mal("status code 999", "HTTP/1.1 999 X\r\n\r\n", "invalid-status-code", 9),
  mal("two spaces before the status code", "HTTP/1.1  200 OK\r\n\r\n", "invalid-status-code", 9),
  mal("a negative status code", "HTTP/1.1 -20 X\r\n\r\n", "invalid-status-code", 9),
  mal("a NUL in the reason phrase", "HTTP/1.1 200 O\x00K\r\n\r\n", "invalid-reason-phrase", 14),
  mal("a DEL in the reason phrase", "HTTP/1.1 200 OK\x7f\r\n\r\n", "invalid-reason-phrase", 15),
  mal("an ESC in the reason phrase", "HTTP/1.1 200 \x1b[1mOK\r\n\r\n", "invalid-reason-phrase", 13),
  mal("a bare CR in the status line", "HTTP/1.1 200 OK\rX-A: b\r\n\r\n", "bare-cr", 15),
  { name: "HTTP/2.0", input: "HTTP/2.0 200 OK\r\n\r\n", tag: "UnsupportedVersion", at: 5, fields: { major: 2, minor: 0, kind: "response" } },
  { name: "HTTP/0.9", input: "HTTP/0.9 200 OK\r\n\r\n", tag: "UnsupportedVersion", at: 5, fields: { major: 0, minor: 9 } },
  // Header fields
  mal("whitespace before the colon", OK + "Content-Length : 0\r\n\r\n", "whitespace-before-colon", 31),
  mal("whitespace inside a name", OK + "X A: b\r\n\r\n", "whitespace-before-colon", 18),
  mal("an empty name", OK + ": b\r\n\r\n", "invalid-header-name", 17),
  mal("a non-token byte in a name", OK + "X{A}: b\r\n\r\n", "invalid-header-name", 18),
  mal("obs-text in a name", OK + "\xe9: b\r\n\r\n", "invalid-header-name", 17),
  mal("a line without a colon", OK + "Garbage\r\n\r\n", "missing-colon", 24),
  mal("a NUL in a value", OK + "X-A: a\x00\r\n\r\n", "invalid-header-value", 23, { header: "X-A" }),
  mal("a DEL in a value", OK + "X-A: \x7f\r\n\r\n", "invalid-header-value", 22, { header: "X-A" }),
  mal("a bare CR in a value", OK + "X-A: a\rb\r\n\r\n", "bare-cr", 23, { header: "X-A" }),
  mal("whitespace before the first field line", OK + " X-A: a\r\n\r\n", "obs-fold", 17),
  // Framing
  mal("a non-numeric Content-Length", OK + "Content-Length: abc\r\n\r\n", "invalid-content-length", undefined, { header: "Content-Length" }),
  mal("a signed Content-Length", OK + "Content-Length: +1\r\n\r\nx", "invalid-content-length", undefined, { header: "Content-Length" }),
  mal("an empty Content-Length", OK + "Content-Length: \r\n\r\n", "invalid-content-length", undefined, { header: "Content-Length" }),
  mal("a Content-Length list", OK + "Content-Length: 1,1\r\n\r\nx", "invalid-content-length", undefined, { header: "Content-Length" }),
  mal("differing Content-Length fields", OK + "Content-Length: 1\r\nContent-Length: 2\r\n\r\nxy", "conflicting-content-length", undefined, { header: "Content-Length" }),
  mal("differing Content-Length fields even for HEAD", OK + "Content-Length: 1\r\nContent-Length: 2\r\n\r\n", "conflicting-content-length", undefined, { header: "Content-Length", method: "HEAD" }),
  // Chunked framing
  mal("a chunk size that is not hex", CHUNKED + "xyz\r\n", "invalid-chunk-size", CHUNKED.length),
  mal("an empty chunk-size line", CHUNKED + "\r\n", "invalid-chunk-size", CHUNKED.length),
  mal("a chunk size of 17 hex digits", CHUNKED + "1" + "0".repeat(16) + "\r\n", "chunk-size-too-large"),
  mal("a chunk size overflowing 2^53", CHUNKED + "fffffffffffffff\r\n", "chunk-size-too-large"),
  mal("a chunk extension without a name", CHUNKED + "1;=a\r\nx\r\n0\r\n\r\n", "invalid-chunk-extension", CHUNKED.length + 2),
  mal("a chunk extension with a bad value", CHUNKED + "1;a=,\r\nx\r\n0\r\n\r\n", "invalid-chunk-extension", CHUNKED.length + 4),
  mal("garbage after a quoted chunk extension", CHUNKED + "1;a=\"b\"c\r\nx\r\n0\r\n\r\n", "invalid-chunk-extension", CHUNKED.length + 7),
  mal("a chunk-size line over the limit", CHUNKED + "1;" + "e".repeat(64) + "\r\nx\r\n0\r\n\r\n", "chunk-line-too-long", undefined, { limits: { maxChunkLineBytes: 32 } }),
  mal("data longer than the chunk size", CHUNKED + "1\r\nxy\r\n0\r\n\r\n", "missing-chunk-crlf", CHUNKED.length + 4),
  mal("a bare LF ends the chunk-size line", CHUNKED + "1\nx\r\n0\r\n\r\n", "bare-lf", CHUNKED.length + 1),
  mal("a bare LF ends the last-chunk line", CHUNKED + "0\n\r\n", "bare-lf", CHUNKED.length + 1),
  mal("a bare LF in chunked framing after a bare-LF head", "HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n5\nhello\r\n0\r\n\r\n", "bare-lf", 45),
  {
    name: "a bare LF after chunk data",
    input: CHUNKED + "1\r\nx\n0\r\n\r\n",
    tag: "MalformedMessage",
    reasons: ["missing-chunk-crlf", "bare-lf"],
    at: CHUNKED.length + 4
  },
  // Limits
  {
    name: "a head over maxHeaderBytes",
    input: OK + "X-Big: " + "b".repeat(300) + "\r\n\r\n",
    limits: { maxHeaderBytes: 128 },
    tag: "HeaderTooLarge",
    at: 128,
    fields: { section: "head", limit: 128, kind: "response" }
  },
  {
    name: "trailers over maxTrailerBytes",
    input: CHUNKED + "0\r\nX-T: " + "t".repeat(100) + "\r\n\r\n",
    limits: { maxTrailerBytes: 50 },
    tag: "HeaderTooLarge",
    at: CHUNKED.length + 3 + 50,
    fields: { section: "trailers", limit: 50, kind: "response" }
  },
  // End of input
  mal("end of input before any status-line byte is complete", "HTTP/1.", "unexpected-eof", 7, { finish: true }),
  mal("end of input inside the head", OK + "Content-Le", "unexpected-eof", undefined, { finish: true }),
  mal("end of input inside a Content-Length body", OK + "Content-Length: 5\r\n\r\nabc", "unexpected-eof", OK.length + 24, { finish: true }),
  mal("end of input inside a chunk", CHUNKED + "5\r\nab", "unexpected-eof", CHUNKED.length + 5, { finish: true }),
  mal("end of input before the last chunk", CHUNKED + "1\r\nx\r\n", "unexpected-eof", CHUNKED.length + 6, { finish: true }),
  mal("end of input inside the trailers", CHUNKED + "0\r\nX-T: 1", "unexpected-eof", undefined, { finish: true })
]

const checkError = (c: RejectCase, error: ParseError, checkOffset: boolean) => {
  expect(error._tag).toBe(c.tag)
  expect(error.kind).toBe("response")
  if (c.reason !== undefined) expect((error as MalformedMessage).reason).toBe(c.reason)
  if (c.reasons !== undefined) expect(c.reasons).toContain((error as MalformedMessage).reason)
  if (c.tag === "MalformedMessage") expect((error as MalformedMessage).header).toBe(c.header)
  if (checkOffset && c.at !== undefined) expect(error.offset).toBe(c.at)
  expect(error.offset).toBeGreaterThanOrEqual(0)
  expect(error.offset).toBeLessThanOrEqual(c.input.length)
  if (c.fields !== undefined) expect(pick(error as unknown as Record<string, unknown>, Object.keys(c.fields))).toEqual(c.fields)
}

describe("Parser.response: rejected responses", () => {
  it.each(rejectCases)("$name", (c) => {
    const events = parseAll(response(c.method, c.limits), [c.input], { finish: c.finish === true })
    checkError(c, errorOf(events), true)
  })

  it.each(rejectCases)("$name: the same error fed one byte at a time", (c) => {
    const events = parseAll(response(c.method, c.limits), splitEvery(c.input, 1), { finish: c.finish === true })
    checkError(c, errorOf(events), c.reason !== "chunk-line-too-long")
  })

  it("a head just at maxHeaderBytes is accepted, one byte less is HeaderTooLarge", () => {
    const head = OK + "Server: test\r\nContent-Length: 0\r\n\r\n"
    expect(parseAll(response(undefined, { maxHeaderBytes: head.length }), [head]).map((e) => e.type)).toEqual(["head", "end"])
    const error = errorOf(parseAll(response(undefined, { maxHeaderBytes: head.length - 1 }), [head]))
    expect(error).toBeInstanceOf(HeaderTooLarge)
    expect(error).toMatchObject({ section: "head", limit: head.length - 1 })
  })

  it("a response head may be larger than the request default (10 MiB default for responses)", () => {
    const big = OK + "X-Big: " + "b".repeat(2 << 20) + "\r\nContent-Length: 0\r\n\r\n"
    expect(parseAll(response(), [big]).map((e) => e.type)).toEqual(["head", "end"])
    expect(errorOf(parseAll(Parser.request(), ["GET / HTTP/1.1\r\nX-Big: " + "b".repeat(2 << 20) + "\r\n\r\n"]))._tag).toBe("HeaderTooLarge")
  })

  it("keeps the error once reported", () => {
    const parser = response()
    parser.feed(bytes("HTTP/1.1 abc\r\n\r\n"))
    expect(parser.next()).toBe(Event.Error)
    parser.feed(bytes(OK + "\r\n"))
    expect(parser.next()).toBe(Event.Error)
    expect(parser.error).toMatchObject({ reason: "invalid-status-code" })
  })
})

// ---------------------------------------------------------------------------------------------
// Regressions: each case below once failed; the expectation follows Go / RFC 9112

describe("Parser.response: regressions", () => {
  // Regression, once wrong: after three digits the parser expects SP or the line end and calls anything else a bad
  // reason phrase. Go (ReadResponse) reads the status code up to the space and rejects
  // "malformed HTTP status code" when it is not 3 digits: these are status-code errors.
  it.each([
    ["a four-digit status code", "HTTP/1.1 2000 OK\r\n\r\n"],
    ["a status code glued to the reason", "HTTP/1.1 200OK\r\n\r\n"]
  ])("%s is invalid-status-code", (_, input) => {
    expect(errorOf(parseAll(response(), [input]))).toMatchObject({ reason: "invalid-status-code", offset: 9 })
  })

  // Regression, once wrong: the OWS after the colon is not part of the field value (RFC 9112 §5: field-line =
  // field-name ":" OWS field-value OWS); an obs-fold after an empty first line must not leave
  // a leading SP. Go's readContinuedLineSlice + TrimLeft gives "b". The parser gives " b".
  it("obs-fold after an empty first value gives no leading space", () => {
    const { messages } = messagesOf(parseAll(response(), [OK + "X-A:\r\n b\r\nContent-Length: 0\r\n\r\n"]))
    expect(messages[0]!.head.headers).toEqual({ "X-A": ["b"], "Content-Length": ["0"] })
  })

  // Same cause: a folded Content-Length keeps the leading SP (" 3") and is refused as
  // invalid-content-length; Go frames the body with length 3.
  it("a folded Content-Length still frames the body", () => {
    const events = parseAll(response(), [OK + "X-A: 1\r\nContent-Length:\r\n 3\r\n\r\nabc"], { finish: true })
    expect(events.map((e) => e.type)).toEqual(["head", "body", "end", "eof"])
    const { messages } = messagesOf(events)
    expect(messages[0]!.head).toMatchObject({ framing: "length", contentLength: 3 })
    expect(messages[0]!.body).toBe("abc")
  })

  // An error in a folded line names the field it continues when that field was decoded in an
  // earlier batch (input fed line by line)...
  it.each([
    ["a control byte", OK + "X-A: a\r\n b\x01\r\n\r\n", "invalid-header-value"],
    ["a bare CR", OK + "X-A: a\r\n b\rc\r\n\r\n", "bare-cr"]
  ] as const)("%s in a folded line fed line by line names the field", (_, input, reason) => {
    const lines = input.split(/(?<=\r\n)/)
    expect(errorOf(parseAll(response(), lines))).toMatchObject({ reason, offset: 27, header: "X-A" })
  })

  // ... regression: but not when it is in the same batch: fieldNameAt() looks at `names`, which the
  // batch's earlier lines have not reached yet (they are still spans), so `header` is undefined.
  it.each([
    ["a control byte", OK + "X-A: a\r\n b\x01\r\n\r\n", "invalid-header-value"],
    ["a bare CR", OK + "X-A: a\r\n b\rc\r\n\r\n", "bare-cr"]
  ] as const)("%s in a folded line fed at once names the field", (_, input, reason) => {
    expect(errorOf(parseAll(response(), [input]))).toMatchObject({ reason, offset: 27, header: "X-A" })
  })

  // Regression (see parser.request.test.ts): a field line cut between two feeds loses its first part.
  it("a field line cut between feeds is kept whole", () => {
    const { messages } = messagesOf(parseAll(response(), [OK + "Content-Le", "ngth: 2\r\n\r\nhi"], { finish: true }))
    expect(messages[0]!.head).toMatchObject({ headers: { "Content-Length": ["2"] }, framing: "length" })
    expect(messages[0]!.body).toBe("hi")
  })

  it("every accepted response parses the same however it is cut in two", () => {
    const mismatches: Array<string> = []
    for (const c of acceptCases) {
      const whole = JSON.stringify(messagesOf(parseAll(response(c.method, c.limits), [c.input], { finish: true })))
      for (let k = 1; k < c.input.length; k++) {
        const chunks = [c.input.slice(0, k), c.input.slice(k)]
        const split = JSON.stringify(messagesOf(parseAll(response(c.method, c.limits), chunks, { finish: true })))
        if (split !== whole) mismatches.push(`${c.name} @${k}`)
      }
    }
    expect(mismatches).toEqual([])
  })
})
