/**
 * Issue 17, the server's wrong answers: each case a table of rows, each row a request written
 * to a raw socket and the bytes that came back checked (plus the pure helpers' own tables).
 *
 * 1. Host with an invalid port (RFC 9112 §3.2, RFC 3986 §3.2.3) → 400.
 * 2. Whitespace before the CRLF of a chunk-size line (RFC 9112 §7.1.1) → 400.
 * 3. 304 without Content-Type; 1xx/204 without Content-Length/Transfer-Encoding (Go's suppressedHeaders).
 * 4. No Content-Type sniffing when Content-Encoding is set (Go, golang/go#31753).
 * 5. The handler's Content-Length frames the body (Go's WriteHeader / ErrContentLength).
 * 6. Statuses outside 100..999 (Go panics; we answer 500) and interim 1xx heads.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import * as zlib from "node:zlib"
import * as Body from "../../src/domain/Body.js"
import { Headers } from "../../src/domain/Headers.js"
import { validHost } from "../../src/server/cannedReplies.js"
import type { Handler } from "../../src/server/Handler.js"
import { bytesToWrite, interimHead, planResponse, validStatus } from "../../src/server/responseWriter.js"
import * as ServerResponse from "../../src/server/ServerResponse.js"
import { get, type RawConn, rawConnect, startServer } from "./rawClient.js"

/** What each row's server does, and what a row checks on the wire. */
interface Row {
  readonly name: string
  readonly handler: Handler<unknown>
  /** The raw request bytes (latin1). */
  readonly request: string
  readonly check: (c: RawConn) => Effect.Effect<void>
}

const runRows = (rows: ReadonlyArray<Row>): void => {
  for (const row of rows) {
    it.live(row.name, () =>
      Effect.gen(function*() {
        const server = yield* startServer({ handler: row.handler })
        const c = yield* rawConnect(server.port)
        yield* c.send(row.request)
        yield* row.check(c)
      }).pipe(Effect.scoped))
  }
}

const ok: Handler<unknown> = () => Effect.succeed(ServerResponse.text("ok"))

/** The head (up to the blank line) of the first response received, once it is complete. */
const firstHead = (c: RawConn): Effect.Effect<string> =>
  Effect.map(c.until((s) => s.includes("\r\n\r\n")), (arrived) => {
    expect(arrived).toBe(true)
    const raw = c.received()
    return raw.slice(0, raw.indexOf("\r\n\r\n") + 4)
  })

/** The value of `name` in a raw head, or undefined. */
const field = (head: string, name: string): string | undefined => {
  for (const line of head.split("\r\n").slice(1)) {
    const colon = line.indexOf(":")
    if (colon > 0 && line.slice(0, colon).toLowerCase() === name.toLowerCase()) return line.slice(colon + 1).trim()
  }
  return undefined
}

/** Expects one response with `status`, and for a 400 that the server closed. */
const expectStatus = (status: number) => (c: RawConn): Effect.Effect<void> =>
  Effect.gen(function*() {
    const [r] = yield* c.responses(1)
    expect(r?.status).toBe(status)
    if (status === 400) expect(yield* c.closed()).toBe(true)
  })

/** Expects the server to close after a head announcing `Content-Length: length` and a raw answer ending with `tail`. */
const closesAfter = (length: string, tail: string) => (c: RawConn): Effect.Effect<void> =>
  Effect.gen(function*() {
    expect(yield* c.closed()).toBe(true)
    const raw = c.received()
    expect(field(raw, "Content-Length")).toBe(length)
    expect(raw.endsWith(tail)).toBe(true)
  })

/** Expects the connection to stay usable: a second request on it is answered (with `status`). */
const stillAlive = (c: RawConn, status = 200): Effect.Effect<void> =>
  Effect.gen(function*() {
    yield* c.send(get("/next"))
    const [r] = yield* c.responses(1)
    expect(r?.status).toBe(status)
    expect(c.isEnded()).toBe(false)
  })

// ---------------------------------------------------------------------------------------------
// 1. Host

const HOSTS: ReadonlyArray<readonly [host: string, valid: boolean, why: string]> = [
  ["example.com:8o", false, "a port is *DIGIT"],
  ["example.com:", true, "an empty port is allowed (RFC 3986 §3.2.3)"],
  ["example.com", true, "no port"],
  ["example.com:8080", true, "a port"],
  ["example.com:65536", true, "the port is not range-checked (RFC 3986 *DIGIT; Go does not either)"],
  ["1.2.3.4:80", true, "an IPv4 address"],
  ["[::1]:80", true, "an IP-literal and a port"],
  ["[::1]", true, "an IP-literal"],
  ["[::1]:x", false, "a port after an IP-literal is *DIGIT"],
  ["[::1]x", false, "only ':' may follow an IP-literal"],
  ["[::1", false, "an unclosed IP-literal"],
  ["[]", false, "an empty IP-literal"],
  ["::1", false, "an IPv6 address without brackets"],
  ["a:1:2", false, "a second colon outside brackets"],
  ["a]:80", false, "a bracket in a reg-name"],
  ["ex\"ample", false, "a byte Go's validHostByte refuses"],
  ["", true, "empty (Go accepts it)"]
]

describe("1. Host: RFC 3986 host [ \":\" port ], port = *DIGIT (RFC 9112 §3.2: 400 otherwise)", () => {
  for (const [host, valid, why] of HOSTS) {
    it(`validHost(${JSON.stringify(host)}) is ${valid}: ${why}`, () => {
      expect(validHost(host)).toBe(valid)
    })
  }
  runRows(HOSTS.map(([host, valid, why]): Row => ({
    name: `Host: ${JSON.stringify(host)} → ${valid ? 200 : 400} (${why})`,
    handler: ok,
    request: `GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`,
    check: valid ? (c) => Effect.zipRight(expectStatus(200)(c), stillAlive(c)) : expectStatus(400)
  })))
})

// ---------------------------------------------------------------------------------------------
// 2. Chunk-size lines

const echoBody: Handler<unknown> = (req) => Effect.map(req.text, (body) => ServerResponse.text(`[${body}]`))
const chunkedPost = (sizeLine: string): string =>
  `POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${sizeLine}\r\nhello\r\n0\r\n\r\n`

describe("2. chunk-size lines: BWS only before ';' (RFC 9112 §7.1.1)", () => {
  const rows: ReadonlyArray<readonly [line: string, valid: boolean]> = [
    ["5 ", false],
    ["5\t", false],
    ["5 \t ", false],
    ["5;ext ", false],
    ["5 ;ext", true],
    ["5;ext", true],
    ["5\t;ext=val", true],
    ["5", true]
  ]
  runRows(rows.map(([line, valid]): Row => ({
    name: `${JSON.stringify(line + "\r\n")} → ${valid ? "200, the body read" : "400"}`,
    handler: echoBody,
    request: chunkedPost(line),
    check: valid
      ? (c) =>
        Effect.gen(function*() {
          const [r] = yield* c.responses(1)
          expect(r?.status).toBe(200)
          expect(r?.body).toBe("[hello]")
          yield* stillAlive(c)
        })
      : expectStatus(400)
  })))

  it.live("the last chunk's size line too: \"0 \\r\\n\" → 400", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler: echoBody })
      const c = yield* rawConnect(server.port)
      yield* c.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0 \r\n\r\n")
      yield* expectStatus(400)(c)
    }).pipe(Effect.scoped))
})

// ---------------------------------------------------------------------------------------------
// 3. Fields a bodiless status does not carry

const withHeaders = (status: number, headers: Record<string, string>, body: Body.Body<never> = Body.text("ignored")): Handler<unknown> => () =>
  Effect.succeed(ServerResponse.make(body, { status, headers }))

describe("3. 304 without Content-Type, Content-Length, Transfer-Encoding; 1xx/204 without the last two (Go's suppressedHeaders)", () => {
  const rows: ReadonlyArray<{
    readonly status: number
    readonly headers: Record<string, string>
    readonly absent: ReadonlyArray<string>
    readonly present: ReadonlyArray<readonly [string, string]>
  }> = [
    {
      status: 304,
      headers: { "Content-Type": "text/html", ETag: "\"v1\"", "Cache-Control": "max-age=60" },
      absent: ["Content-Type", "Content-Length", "Transfer-Encoding"],
      present: [["ETag", "\"v1\""], ["Cache-Control", "max-age=60"]]
    },
    // Go drops a handler's Content-Length on a 304 too (suppressedHeaders304).
    { status: 304, headers: { "Content-Length": "11", ETag: "\"v1\"" }, absent: ["Content-Length", "Content-Type"], present: [["ETag", "\"v1\""]] },
    { status: 304, headers: { "Transfer-Encoding": "chunked" }, absent: ["Transfer-Encoding", "Content-Length", "Content-Type"], present: [] },
    // 204 keeps its Content-Type (only Content-Length and Transfer-Encoding go).
    { status: 204, headers: { "Content-Type": "text/plain", "Content-Length": "5" }, absent: ["Content-Length"], present: [["Content-Type", "text/plain"]] },
    { status: 204, headers: { "Transfer-Encoding": "chunked" }, absent: ["Transfer-Encoding", "Content-Length"], present: [] }
  ]
  runRows(rows.map((row): Row => ({
    name: `${row.status} with ${JSON.stringify(row.headers)}: no ${row.absent.join(", ")}`,
    handler: withHeaders(row.status, row.headers),
    request: get("/"),
    check: (c) =>
      Effect.gen(function*() {
        const head = yield* firstHead(c)
        expect(head.startsWith(`HTTP/1.1 ${row.status} `)).toBe(true)
        for (const name of row.absent) expect(field(head, name), name).toBeUndefined()
        for (const [name, value] of row.present) expect(field(head, name)).toBe(value)
        expect(c.received()).not.toContain("ignored")
        yield* stillAlive(c, row.status)
      })
  })))

  it("planResponse for a 100 drops Content-Length and Transfer-Encoding", () => {
    const plan = planResponse(
      new ServerResponse.ServerResponse(100, Headers.make({ "Content-Length": "3", "Transfer-Encoding": "chunked", "X-A": "a" }), Body.empty, undefined, undefined),
      { method: "GET", versionMinor: 1, keepAlive: true },
      "Sun, 06 Dec 2026 00:00:00 GMT",
      undefined
    )
    expect(plan.head).not.toMatch(/Content-Length|Transfer-Encoding/)
    expect(plan.head).toContain("X-A: a\r\n")
    expect(plan.framing._tag).toBe("None")
  })
})

// ---------------------------------------------------------------------------------------------
// 4. No sniffing of an encoded body

const GZIPPED = zlib.gzipSync(Buffer.from("<html><body>hello</body></html>"))

describe("4. no Content-Type sniffed when Content-Encoding is set (Go's chunkWriter.writeHeader)", () => {
  const rows: ReadonlyArray<{ readonly name: string; readonly handler: Handler<unknown>; readonly type: string | undefined }> = [
    { name: "gzip bytes with Content-Encoding: gzip", handler: () => Effect.succeed(ServerResponse.bytes(GZIPPED, { headers: { "Content-Encoding": "gzip" } })), type: undefined },
    { name: "bytes with Content-Encoding: br", handler: () => Effect.succeed(ServerResponse.bytes(Buffer.from("<html>"), { headers: { "Content-Encoding": "br" } })), type: undefined },
    {
      name: "a gzip stream with Content-Encoding: gzip",
      handler: () => Effect.succeed(ServerResponse.stream(Stream.make(GZIPPED), { headers: { "Content-Encoding": "gzip" } })),
      type: undefined
    },
    { name: "gzip bytes without Content-Encoding are still sniffed", handler: () => Effect.succeed(ServerResponse.bytes(GZIPPED)), type: "application/x-gzip" },
    {
      name: "an empty Content-Encoding does not stop sniffing (Go: len(ce) > 0)",
      handler: () => Effect.succeed(ServerResponse.bytes(Buffer.from("<html>"), { headers: { "Content-Encoding": "" } })),
      type: "text/html; charset=utf-8"
    },
    {
      name: "a Content-Type the handler set is kept",
      handler: () => Effect.succeed(ServerResponse.bytes(GZIPPED, { headers: { "Content-Encoding": "gzip", "Content-Type": "text/html" } })),
      type: "text/html"
    }
  ]
  runRows(rows.map((row): Row => ({
    name: `${row.name} → Content-Type ${row.type ?? "absent"}`,
    handler: row.handler,
    request: get("/"),
    check: (c) =>
      Effect.gen(function*() {
        const [r] = yield* c.responses(1)
        expect(r?.status).toBe(200)
        expect(r?.header("Content-Type")).toBe(row.type)
      })
  })))
})

// ---------------------------------------------------------------------------------------------
// 5. The handler's Content-Length

const chunks = (...parts: Array<string>) => Stream.fromIterable(parts.map((p) => Buffer.from(p)))

describe("5. a handler's Content-Length frames the body (Go honours it when it parses)", () => {
  const rows: ReadonlyArray<Row> = [
    {
      name: "a stream with Content-Length: 6 yielding 6 bytes → Content-Length framing, not chunked, kept alive",
      handler: () => Effect.succeed(ServerResponse.stream(chunks("abc", "def"), { headers: { "Content-Length": "6" } })),
      request: get("/"),
      check: (c) =>
        Effect.gen(function*() {
          const [r] = yield* c.responses(1)
          expect(r?.header("Content-Length")).toBe("6")
          expect(r?.header("Transfer-Encoding")).toBeUndefined()
          expect(r?.body).toBe("abcdef")
          yield* stillAlive(c)
        })
    },
    {
      name: "a stream yielding more than its Content-Length: 4 → 4 bytes, then the connection is cut",
      handler: () => Effect.succeed(ServerResponse.stream(chunks("abc", "def"), { headers: { "Content-Length": "4" } })),
      request: get("/"),
      check: closesAfter("4", "\r\n\r\nabcd")
    },
    {
      name: "a stream yielding fewer than its Content-Length: 10 → the bytes, then close",
      handler: () => Effect.succeed(ServerResponse.stream(chunks("abc", "def"), { headers: { "Content-Length": "10" } })),
      request: get("/"),
      check: closesAfter("10", "\r\n\r\nabcdef")
    },
    {
      name: "bytes matching their Content-Length: 5 → as given, kept alive",
      handler: () => Effect.succeed(ServerResponse.text("hello", { headers: { "Content-Length": "5" } })),
      request: get("/"),
      check: (c) =>
        Effect.gen(function*() {
          const [r] = yield* c.responses(1)
          expect(r?.header("Content-Length")).toBe("5")
          expect(r?.body).toBe("hello")
          yield* stillAlive(c)
        })
    },
    {
      name: "bytes longer than their Content-Length: 3 → 3 bytes, then close",
      handler: () => Effect.succeed(ServerResponse.text("hello", { headers: { "Content-Length": "3" } })),
      request: get("/"),
      check: closesAfter("3", "\r\n\r\nhel")
    },
    {
      name: "bytes shorter than their Content-Length: 10 → the bytes, then close",
      handler: () => Effect.succeed(ServerResponse.text("hello", { headers: { "Content-Length": "10" } })),
      request: get("/"),
      check: (c) =>
        Effect.gen(function*() {
          expect(yield* c.closed()).toBe(true)
          const raw = c.received()
          expect(field(raw, "Content-Length")).toBe("10")
          expect(field(raw, "Connection")).toBe("close")
          expect(raw.endsWith("\r\n\r\nhello")).toBe(true)
        })
    },
    {
      name: "an empty body with Content-Length: 0 → Content-Length: 0, kept alive",
      handler: () => Effect.succeed(ServerResponse.empty({ headers: { "Content-Length": "0" } })),
      request: get("/"),
      check: (c) =>
        Effect.gen(function*() {
          const [r] = yield* c.responses(1)
          expect(r?.header("Content-Length")).toBe("0")
          yield* stillAlive(c)
        })
    },
    ...(["abc", "-1", "+5", "5 5", "0x5", "1e3", ""] as const).map((bad): Row => ({
      name: `an invalid Content-Length ${JSON.stringify(bad)} is dropped: the body's own length is sent`,
      handler: () => Effect.succeed(ServerResponse.text("hello", { headers: { "Content-Length": bad } })),
      request: get("/"),
      check: (c) =>
        Effect.gen(function*() {
          const [r] = yield* c.responses(1)
          expect(r?.head.headers.values("Content-Length")).toEqual(["5"])
          expect(r?.body).toBe("hello")
          yield* stillAlive(c)
        })
    })),
    {
      name: "two Content-Length fields are dropped: the body's own length is sent",
      handler: () => Effect.succeed(ServerResponse.text("hello", { headers: [["Content-Length", "3"], ["Content-Length", "3"]] })),
      request: get("/"),
      check: (c) =>
        Effect.gen(function*() {
          const [r] = yield* c.responses(1)
          expect(r?.head.headers.values("Content-Length")).toEqual(["5"])
          expect(r?.body).toBe("hello")
        })
    },
    {
      name: "Content-Length beside a Transfer-Encoding is dropped (Go): a stream is chunked",
      handler: () => Effect.succeed(ServerResponse.stream(chunks("abc"), { headers: { "Content-Length": "3", "Transfer-Encoding": "chunked" } })),
      request: get("/"),
      check: (c) =>
        Effect.gen(function*() {
          const [r] = yield* c.responses(1)
          expect(r?.header("Content-Length")).toBeUndefined()
          expect(r?.header("Transfer-Encoding")).toBe("chunked")
          expect(r?.body).toBe("abc")
        })
    },
    {
      name: "HEAD with Content-Length: 42 and no body → Content-Length: 42 as given, kept alive",
      handler: () => Effect.succeed(ServerResponse.empty({ headers: { "Content-Length": "42" } })),
      request: "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n",
      check: (c) =>
        Effect.gen(function*() {
          const head = yield* firstHead(c)
          expect(field(head, "Content-Length")).toBe("42")
          expect(field(head, "Connection")).toBeUndefined()
          expect(c.received()).toBe(head)
          // The same HEAD again on the same connection: a second head comes back.
          yield* c.send("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
          expect(yield* c.until((s) => s.length > head.length && s.endsWith("\r\n\r\n"))).toBe(true)
          expect(c.received().slice(head.length).startsWith("HTTP/1.1 200 OK\r\n")).toBe(true)
          expect(c.isEnded()).toBe(false)
        })
    },
    {
      name: "HEAD with Content-Length: 42 and a stream → Content-Length: 42, the stream not run",
      handler: () => Effect.succeed(ServerResponse.stream(Stream.never, { headers: { "Content-Length": "42" } })),
      request: "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n",
      check: (c) =>
        Effect.gen(function*() {
          const head = yield* firstHead(c)
          expect(field(head, "Content-Length")).toBe("42")
          expect(field(head, "Transfer-Encoding")).toBeUndefined()
        })
    }
  ]
  runRows(rows)
})

describe("5. bytesToWrite: exactly the announced count goes out", () => {
  const plan = (status: number, headers: Record<string, string>, body: Body.Body<never>, method = "GET") =>
    planResponse(new ServerResponse.ServerResponse(status, Headers.make(headers), body, undefined, undefined), { method, versionMinor: 1, keepAlive: true }, "d", undefined)
  const hello = Buffer.from("hello")
  const rows: ReadonlyArray<{
    readonly name: string
    readonly plan: ReturnType<typeof plan>
    readonly bytes: Uint8Array | undefined
    readonly data: string | undefined
    readonly close: boolean
    readonly error: boolean
  }> = [
    { name: "no handler Content-Length", plan: plan(200, {}, Body.bytes(hello)), bytes: hello, data: "hello", close: false, error: false },
    { name: "a matching one", plan: plan(200, { "Content-Length": "5" }, Body.bytes(hello)), bytes: hello, data: "hello", close: false, error: false },
    { name: "more than announced", plan: plan(200, { "Content-Length": "3" }, Body.bytes(hello)), bytes: hello, data: "hel", close: true, error: true },
    { name: "fewer than announced", plan: plan(200, { "Content-Length": "9" }, Body.bytes(hello)), bytes: hello, data: "hello", close: true, error: true },
    { name: "an empty body under Content-Length: 2", plan: plan(200, { "Content-Length": "2" }, Body.empty), bytes: undefined, data: undefined, close: true, error: true },
    { name: "HEAD: nothing written, kept alive", plan: plan(200, { "Content-Length": "3" }, Body.bytes(hello), "HEAD"), bytes: hello, data: undefined, close: false, error: false },
    { name: "304: nothing written", plan: plan(304, { "Content-Length": "3" }, Body.bytes(hello)), bytes: hello, data: undefined, close: false, error: false }
  ]
  for (const row of rows) {
    it(row.name, () => {
      const out = bytesToWrite(row.plan, row.bytes)
      expect(out.data === undefined ? undefined : Buffer.from(out.data).toString("latin1")).toBe(row.data)
      expect(out.close).toBe(row.close)
      expect(out.error !== undefined).toBe(row.error)
      // The plan itself already says close whenever the body in hand misses the announced length.
      expect(row.plan.close).toBe(row.close)
    })
  }
})

// ---------------------------------------------------------------------------------------------
// 6. Statuses

describe("6. validStatus: an integer 100..999 (Go's checkWriteHeaderCode)", () => {
  const rows: ReadonlyArray<readonly [number, boolean]> = [
    [100, true], [103, true], [200, true], [599, true], [999, true],
    [99, false], [1000, false], [0, false], [-200, false], [200.5, false], [Number.NaN, false], [Number.POSITIVE_INFINITY, false]
  ]
  for (const [status, valid] of rows) {
    it(`${status} → ${valid}`, () => {
      expect(validStatus(status)).toBe(valid)
    })
  }

  for (const status of [1000, 99]) {
    it.live(`a handler answering ${status} gets a 500 on the wire, never "HTTP/1.1 ${status}"`, () =>
      Effect.gen(function*() {
        const server = yield* startServer({ handler: () => Effect.succeed(ServerResponse.text("x", { status })) })
        const c = yield* rawConnect(server.port)
        yield* c.send(get("/"))
        expect(yield* c.until((s) => s.includes("\r\n\r\n"))).toBe(true)
        expect(c.received().startsWith("HTTP/1.1 500 ")).toBe(true)
        expect(c.received()).not.toContain(`HTTP/1.1 ${status}`)
      }).pipe(Effect.scoped))
  }
})

describe("6. interimHead: a 1xx status line and fields, no Date, no framing", () => {
  const rows: ReadonlyArray<{ readonly status: number; readonly headers: Headers; readonly expected: string }> = [
    {
      status: 103,
      headers: Headers.make([["Link", "</style.css>; rel=preload; as=style"], ["Link", "</app.js>; rel=preload; as=script"]]),
      expected: "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\nLink: </app.js>; rel=preload; as=script\r\n\r\n"
    },
    { status: 100, headers: Headers.empty(), expected: "HTTP/1.1 100 Continue\r\n\r\n" },
    {
      status: 103,
      headers: Headers.make({ "Content-Length": "5", "Transfer-Encoding": "chunked", Trailer: "X", "X-A": "a" }),
      expected: "HTTP/1.1 103 Early Hints\r\nX-A: a\r\n\r\n"
    },
    {
      status: 103,
      headers: Headers.unsafeFromArrays(["Link"], ["<a>\r\nX-Injected: 1"]),
      expected: "HTTP/1.1 103 Early Hints\r\nLink: <a>  X-Injected: 1\r\n\r\n"
    },
    { status: 199, headers: Headers.empty(), expected: "HTTP/1.1 199 status code 199\r\n\r\n" }
  ]
  for (const row of rows) {
    it(JSON.stringify(row.expected), () => {
      const head = interimHead(row.status, row.headers)
      expect(head).toBe(row.expected)
      expect(head).not.toMatch(/\r\nDate:/)
    })
  }
})

describe("7. a canned reply to HEAD carries no body (RFC 9110 §9.3.2)", () => {
  for (const [name, handler] of [
    ["a failing handler (500)", () => Effect.fail("boom")],
    ["an invalid status (500)", () => Effect.succeed(ServerResponse.text("x", { status: 1000 }))]
  ] as const) {
    it.live(name, () =>
      Effect.gen(function*() {
        const server = yield* startServer({ handler })
        const c = yield* rawConnect(server.port)
        yield* c.send("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
        expect(yield* c.closed()).toBe(true)
        const raw = c.received()
        expect(raw.startsWith("HTTP/1.1 500 ")).toBe(true)
        expect(field(raw, "Content-Length")).not.toBe("0")
        expect(raw.endsWith("\r\n\r\n")).toBe(true)
      }).pipe(Effect.scoped))
  }
})
