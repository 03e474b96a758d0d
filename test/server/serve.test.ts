/**
 * The Server over real loopback sockets, seen from a raw TCP client: answers, framing,
 * keep-alive for HTTP/1.0 and 1.1, pipelining, Go's canned error replies, handler failures,
 * 100-continue, request body draining and hijacking.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, Stream } from "effect"
import * as Body from "../../src/domain/Body.js"
import { Headers } from "../../src/domain/Headers.js"
import * as ServerResponse from "../../src/server/ServerResponse.js"
import type { ServerRequest } from "../../src/server/ServerRequest.js"
import { get, rawConnect, startServer } from "./rawClient.js"

const echoTarget = (req: ServerRequest) => Effect.succeed(ServerResponse.text(`${req.method} ${req.target}`))

describe("answers and framing", () => {
  it.live("a GET gets 200 with Content-Length, Content-Type and Date", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler: echoTarget })
      const c = yield* rawConnect(server.port)
      yield* c.send(get("/hello?x=1"))
      const [r] = yield* c.responses(1)
      expect(r!.status).toBe(200)
      expect(r!.body).toBe("GET /hello?x=1")
      expect(r!.header("Content-Length")).toBe("14")
      expect(r!.header("Content-Type")).toBe("text/plain; charset=utf-8")
      expect(r!.header("Date")).toMatch(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/)
      expect(c.received().startsWith("HTTP/1.1 200 OK\r\n")).toBe(true)
    }).pipe(Effect.scoped))

  it.live("keep-alive: three requests on one connection, one accepted connection", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler: echoTarget })
      const c = yield* rawConnect(server.port)
      for (const path of ["/a", "/b", "/c"]) {
        yield* c.send(get(path))
        const [r] = yield* c.responses(1)
        expect(r!.body).toBe(`GET ${path}`)
      }
      expect((yield* server.stats).accepted).toBe(1)
      expect(c.isEnded()).toBe(false)
    }).pipe(Effect.scoped))

  it.live("pipelining: 10 requests in one write are answered in order", () =>
    Effect.gen(function*() {
      const server = yield* startServer({
        // Later requests answer faster: order must come from the connection, not from timing.
        handler: (req) => Effect.as(Effect.sleep(Number(req.target.slice(1)) % 3), ServerResponse.text(req.target))
      })
      const c = yield* rawConnect(server.port)
      const paths = Array.from({ length: 10 }, (_, i) => `/${10 - i}`)
      yield* c.send(paths.map((p) => get(p)).join(""))
      const rs = yield* c.responses(10)
      expect(rs.map((r) => r.body)).toEqual(paths)
    }).pipe(Effect.scoped))

  it.live("a stream of unknown length is chunked on HTTP/1.1, each chunk flushed", () =>
    Effect.gen(function*() {
      const server = yield* startServer({
        handler: () => Effect.succeed(ServerResponse.stream(Stream.make("one ", "two ", "three").pipe(Stream.map((s) => Buffer.from(s))), { headers: { "Content-Type": "text/plain" } }))
      })
      const c = yield* rawConnect(server.port)
      yield* c.send(get("/"))
      const [r] = yield* c.responses(1)
      expect(r!.body).toBe("one two three")
      expect(r!.header("Transfer-Encoding")).toBe("chunked")
      expect(r!.header("Content-Length")).toBeUndefined()
      expect(c.received()).toContain("\r\n4\r\none \r\n4\r\ntwo \r\n5\r\nthree\r\n0\r\n\r\n")
    }).pipe(Effect.scoped))

  it.live("a stream on HTTP/1.0 is delimited by closing the connection", () =>
    Effect.gen(function*() {
      const server = yield* startServer({
        handler: () => Effect.succeed(ServerResponse.stream(Stream.make(Buffer.from("abc"), Buffer.from("def"))))
      })
      const c = yield* rawConnect(server.port)
      yield* c.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
      expect(yield* c.closed()).toBe(true)
      const raw = c.received()
      expect(raw).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
      expect(raw).not.toMatch(/Transfer-Encoding|Content-Length/)
      expect(raw.endsWith("\r\n\r\nabcdef")).toBe(true)
    }).pipe(Effect.scoped))

  it.live("HEAD gets the headers with Content-Length but no body; 204 and 304 carry no body", () =>
    Effect.gen(function*() {
      const server = yield* startServer({
        handler: (req) =>
          Effect.succeed(
            req.target === "/204" ? ServerResponse.make(Body.text("ignored"), { status: 204 })
              : req.target === "/304" ? ServerResponse.make(Body.text("ignored"), { status: 304 })
              : ServerResponse.text("hello world")
          )
      })
      const c = yield* rawConnect(server.port)
      yield* c.send("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n" + get("/204") + get("/304") + get("/after"))
      expect(yield* c.until((s) => s.endsWith("hello world"))).toBe(true)
      const raw = c.received()
      const parts = raw.split("HTTP/1.1 ").slice(1)
      expect(parts).toHaveLength(4)
      expect(parts[0]).toContain("Content-Length: 11\r\n")
      expect(parts[0]!.endsWith("\r\n\r\n")).toBe(true)
      expect(parts[1]!.startsWith("204 No Content\r\n")).toBe(true)
      expect(parts[1]).not.toContain("ignored")
      expect(parts[1]).not.toContain("Content-Length")
      expect(parts[2]!.startsWith("304 Not Modified\r\n")).toBe(true)
      expect(parts[2]!.endsWith("\r\n\r\n")).toBe(true)
      expect(parts[3]!.endsWith("hello world")).toBe(true)
    }).pipe(Effect.scoped))

  it.live("HEAD with a streamed body answers the head without running the stream", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler: () => Effect.succeed(ServerResponse.stream(Stream.never, { length: 42 })) })
      const c = yield* rawConnect(server.port)
      yield* c.send("HEAD /events HTTP/1.1\r\nHost: x\r\n\r\n")
      expect(yield* c.until((s) => s.endsWith("\r\n\r\n"))).toBe(true)
      expect(c.received()).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
      expect(c.received()).toContain("Content-Length: 42\r\n")
    }).pipe(Effect.scoped))

  it.live("Content-Type is sniffed from the body when the handler set none", () =>
    Effect.gen(function*() {
      const server = yield* startServer({
        handler: (req) => Effect.succeed(ServerResponse.bytes(Buffer.from(req.target === "/html" ? "<!DOCTYPE html><p>hi" : "\x89PNG\r\n\x1a\nrest", "latin1")))
      })
      const c = yield* rawConnect(server.port)
      yield* c.send(get("/html") + get("/png"))
      const [html, png] = yield* c.responses(2)
      expect(html!.header("Content-Type")).toBe("text/html; charset=utf-8")
      expect(png!.header("Content-Type")).toBe("image/png")
    }).pipe(Effect.scoped))

  it.live("trailers: a chunked body ends with the trailer fields announced in Trailer", () =>
    Effect.gen(function*() {
      const server = yield* startServer({
        handler: () =>
          Effect.succeed(ServerResponse.stream(Stream.make(Buffer.from("data")), {
            trailers: { names: ["Server-Timing"], values: Effect.succeed(Headers.make({ "Server-Timing": "total;dur=3" })) }
          }))
      })
      const c = yield* rawConnect(server.port)
      yield* c.send(get("/"))
      const [r] = yield* c.responses(1)
      expect(r!.body).toBe("data")
      expect(r!.header("Trailer")).toBe("Server-Timing")
      expect(c.received()).toContain("0\r\nServer-Timing: total;dur=3\r\n\r\n")
    }).pipe(Effect.scoped))
})

describe("keep-alive rules", () => {
  it.live("HTTP/1.0 closes after the answer unless it asked for keep-alive", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler: echoTarget })
      const a = yield* rawConnect(server.port)
      yield* a.send("GET /plain HTTP/1.0\r\n\r\n")
      const [r] = yield* a.responses(1)
      expect(r!.body).toBe("GET /plain")
      expect(yield* a.closed()).toBe(true)

      const b = yield* rawConnect(server.port)
      yield* b.send("GET /1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
      const [r1] = yield* b.responses(1)
      expect(r1!.header("Connection")).toBe("keep-alive")
      yield* b.send("GET /2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
      const [r2] = yield* b.responses(1)
      expect(r2!.body).toBe("GET /2")
      expect(b.isEnded()).toBe(false)
    }).pipe(Effect.scoped))

  it.live("Connection: close from the client is answered with Connection: close and a close", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler: echoTarget })
      const c = yield* rawConnect(server.port)
      yield* c.send(get("/", "Connection: close\r\n"))
      const [r] = yield* c.responses(1)
      expect(r!.header("Connection")).toBe("close")
      expect(yield* c.closed()).toBe(true)
    }).pipe(Effect.scoped))

  it.live("Connection: close from the handler closes after the answer", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler: () => Effect.succeed(ServerResponse.text("bye", { headers: { Connection: "close" } })) })
      const c = yield* rawConnect(server.port)
      yield* c.send(get("/") + get("/never"))
      const rs = yield* c.responses(2, 1_000)
      expect(rs).toHaveLength(1)
      expect(yield* c.closed()).toBe(true)
    }).pipe(Effect.scoped))

  it.live("an unread body up to 256 KiB is drained and the connection reused; a larger one closes", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler: echoTarget })
      const small = yield* rawConnect(server.port)
      yield* small.send(`POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n${"a".repeat(100_000)}` + get("/next"))
      const rs = yield* small.responses(2)
      expect(rs.map((r) => r.body)).toEqual(["POST /small", "GET /next"])

      const big = yield* rawConnect(server.port)
      yield* big.send(`POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n`)
      const [r] = yield* big.responses(1)
      expect(r!.body).toBe("POST /big")
      expect(r!.header("Connection")).toBe("close")
      expect(yield* big.closed()).toBe(true)
    }).pipe(Effect.scoped))
})

describe("canned replies", () => {
  const cases: ReadonlyArray<readonly [string, string, number, string?]> = [
    ["a malformed request line", "GET/ HTTP/1.1\r\nHost: x\r\n\r\n", 400],
    ["a malformed header line", "GET / HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n", 400],
    ["a missing Host on HTTP/1.1", "GET / HTTP/1.1\r\n\r\n", 400, "missing required Host header"],
    ["two Host fields", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "too many Host headers"],
    ["an invalid Host", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400, "malformed Host header"],
    ["Content-Length with Transfer-Encoding", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400],
    ["two different Content-Lengths", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", 400],
    ["an unsupported Transfer-Encoding", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501],
    ["an unsupported version", "GET / HTTP/1.2\r\nHost: x\r\n\r\n", 505],
    ["an Expect other than 100-continue", "GET / HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\n\r\n", 417]
  ]
  for (const [what, wire, status, detail] of cases) {
    it.live(`${what}: ${status}, Connection: close, closed; the handler never runs`, () =>
      Effect.gen(function*() {
        let calls = 0
        const server = yield* startServer({ handler: () => Effect.sync(() => (calls++, ServerResponse.text("no"))) })
        const c = yield* rawConnect(server.port)
        yield* c.send(wire)
        const [r] = yield* c.responses(1)
        expect(r!.status).toBe(status)
        expect(r!.header("Connection")).toBe("close")
        if (detail !== undefined) expect(r!.body).toContain(detail)
        expect(yield* c.closed()).toBe(true)
        expect(calls).toBe(0)
      }).pipe(Effect.scoped))
  }

  it.live("a head larger than maxHeaderBytes: 431", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler: echoTarget, maxHeaderBytes: 4096 })
      const c = yield* rawConnect(server.port)
      yield* c.send(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"b".repeat(5000)}\r\n\r\n`)
      const [r] = yield* c.responses(1)
      expect(r!.status).toBe(431)
      expect(yield* c.closed()).toBe(true)
    }).pipe(Effect.scoped))

  it.live("a body over maxBodyBytes: 413 before the handler runs (Content-Length) or when it reads (chunked)", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler: (req) => Effect.map(req.text, (t) => ServerResponse.text(`got ${t.length}`)), maxBodyBytes: 10 })
      const a = yield* rawConnect(server.port)
      yield* a.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world")
      expect((yield* a.responses(1))[0]!.status).toBe(413)
      const b = yield* rawConnect(server.port)
      yield* b.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n")
      const [r] = yield* b.responses(1)
      expect(r!.status).toBe(413)
      expect(yield* b.closed()).toBe(true)
      const ok = yield* rawConnect(server.port)
      yield* ok.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
      expect((yield* ok.responses(1))[0]!.body).toBe("got 5")
    }).pipe(Effect.scoped))
})

describe("handler failures", () => {
  it.live("a failure and a defect each become 500; the server goes on serving new connections", () =>
    Effect.gen(function*() {
      const server = yield* startServer({
        handler: (req) =>
          req.target === "/fail" ? Effect.fail("boom")
            : req.target === "/die" ? Effect.die(new Error("defect"))
            : echoTarget(req)
      })
      for (const path of ["/fail", "/die"]) {
        const c = yield* rawConnect(server.port)
        yield* c.send(get(path) + get("/not-served"))
        const rs = yield* c.responses(2, 1_000)
        expect(rs).toHaveLength(1)
        expect(rs[0]!.status).toBe(500)
        expect(rs[0]!.header("Connection")).toBe("close")
        expect(yield* c.closed()).toBe(true)
      }
      const next = yield* rawConnect(server.port)
      yield* next.send(get("/ok"))
      expect((yield* next.responses(1))[0]!.body).toBe("GET /ok")
    }).pipe(Effect.scoped))

  it.live("a stream longer or shorter than its announced length cuts the connection after what fits", () =>
    Effect.gen(function*() {
      const server = yield* startServer({
        handler: (req) => Effect.succeed(ServerResponse.stream(Stream.make(Buffer.from("abcdef")), { length: req.target === "/long" ? 4 : 8 }))
      })
      const long = yield* rawConnect(server.port)
      yield* long.send(get("/long") + get("/next"))
      expect(yield* long.closed()).toBe(true)
      expect(long.received()).toMatch(/Content-Length: 4\r\n\r\nabcd$/)
      const short = yield* rawConnect(server.port)
      yield* short.send(get("/short"))
      expect(yield* short.closed()).toBe(true)
      expect(short.received()).toMatch(/Content-Length: 8\r\n\r\nabcdef$/)
    }).pipe(Effect.scoped))

  it.live("a stream failing after the head was sent cuts the connection (no last chunk)", () =>
    Effect.gen(function*() {
      const server = yield* startServer({
        handler: () => Effect.succeed(ServerResponse.stream(Stream.concat(Stream.make(Buffer.from("partial")), Stream.fail("broken"))))
      })
      const c = yield* rawConnect(server.port)
      yield* c.send(get("/"))
      expect(yield* c.closed()).toBe(true)
      expect(c.received()).toContain("7\r\npartial\r\n")
      expect(c.received()).not.toContain("0\r\n\r\n")
    }).pipe(Effect.scoped))
})

describe("request bodies", () => {
  it.live("a chunked upload is read as a stream, with its trailers", () =>
    Effect.gen(function*() {
      const server = yield* startServer({
        handler: (req) =>
          Effect.map(Stream.runCollect(req.body), (chunks) => {
            const text = Buffer.concat([...chunks]).toString()
            return ServerResponse.text(`${text}|${req.trailers?.get("X-Sum") ?? "none"}`)
          })
      })
      const c = yield* rawConnect(server.port)
      yield* c.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n")
      yield* c.send("2\r\nde\r\n0\r\nX-Sum: 5\r\n\r\n")
      const [r] = yield* c.responses(1)
      expect(r!.body).toBe("abcde|5")
    }).pipe(Effect.scoped))

  it.live("Expect: 100-continue: 100 Continue goes out on the first read of the body, not before", () =>
    Effect.gen(function*() {
      const server = yield* startServer({
        handler: (req) => req.target === "/read" ? Effect.map(req.text, (t) => ServerResponse.text(`read ${t}`)) : Effect.succeed(ServerResponse.text("not read"))
      })
      const c = yield* rawConnect(server.port)
      yield* c.send("POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
      const [interim] = yield* c.responses(1)
      expect(interim!.status).toBe(100)
      yield* c.send("hello")
      const [r] = yield* c.responses(1)
      expect(r!.body).toBe("read hello")

      const d = yield* rawConnect(server.port)
      yield* d.send("POST /skip HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
      const [r2] = yield* d.responses(1)
      expect(r2!.status).toBe(200)
      expect(d.received()).not.toContain("100 Continue")
      // The body never came: the connection cannot be reused (Go closes it).
      expect(r2!.header("Connection")).toBe("close")
    }).pipe(Effect.scoped))

  it.live("a malformed chunked body fails the handler's read and is answered 400", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler: (req) => Effect.map(req.text, (t) => ServerResponse.text(t)) })
      const c = yield* rawConnect(server.port)
      yield* c.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
      const [r] = yield* c.responses(1)
      expect(r!.status).toBe(400)
      expect(yield* c.closed()).toBe(true)
    }).pipe(Effect.scoped))
})

describe("hijack", () => {
  it.live("the handler takes the connection over, with the bytes already buffered", () =>
    Effect.gen(function*() {
      const server = yield* startServer({
        handler: (req) =>
          Effect.scoped(Effect.gen(function*() {
            const { buffered, conn } = yield* req.hijack
            yield* conn.write(Buffer.from(`HTTP/1.1 101 Switching Protocols\r\n\r\nbuffered=${Buffer.from(buffered).toString()};`))
            const next = yield* conn.read
            yield* conn.write(Buffer.from(`echo=${Option.match(next, { onNone: () => "", onSome: (b) => Buffer.from(b).toString() })}`))
            return ServerResponse.empty()
          })).pipe(Effect.orDie)
      })
      const c = yield* rawConnect(server.port)
      yield* c.send("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\nearly")
      expect(yield* c.until((s) => s.includes("buffered=early;"))).toBe(true)
      yield* c.send("ping")
      expect(yield* c.closed()).toBe(true)
      expect(c.received()).toBe("HTTP/1.1 101 Switching Protocols\r\n\r\nbuffered=early;echo=ping")
    }).pipe(Effect.scoped))
})
