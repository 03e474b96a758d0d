/**
 * Issue 17, "Missing facts on the request", over real sockets: Go's URL parts (`URL.Path`,
 * `URL.EscapedPath()`, `URL.RawQuery`), every wildcard a ServeMux matched, the connection's
 * local address and TLS facts, Go's `ConnContext`, and the test servers (`HttpTest.server` with
 * server options, `HttpTest.tlsServer` as Go's `NewTLSServer`).
 */
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Either, Option } from "effect"
import { RequestHead } from "../../src/domain/http1/MessageHead.js"
import { Headers } from "../../src/domain/Headers.js"
import { Mux } from "../../src/server/ServeMux.js"
import { type ServerRequest, validTargetEscapes } from "../../src/server/ServerRequest.js"
import * as ServerResponse from "../../src/server/ServerResponse.js"
import { Body, HttpTest } from "../../src/index.js"
import { TEST_CERT } from "../../src/testing/testCert.js"
import { get, rawConnect, startServer } from "./rawClient.js"

/** Answers the URL parts the handler saw, as JSON. */
const parts = (request: ServerRequest) =>
  Effect.succeed(ServerResponse.text(JSON.stringify({ path: request.path, rawPath: request.rawPath, rawQuery: request.rawQuery })))

describe("ServerRequest: path, rawPath, rawQuery (Go's URL.Path, EscapedPath(), RawQuery)", () => {
  const table: ReadonlyArray<readonly [line: string, path: string, rawPath: string, rawQuery: string]> = [
    ["GET /plain HTTP/1.1", "/plain", "/plain", ""],
    ["GET /a%2Fb?x=1&y=%2F HTTP/1.1", "/a/b", "/a%2Fb", "x=1&y=%2F"],
    ["GET /a%20b HTTP/1.1", "/a b", "/a%20b", ""],
    ["GET /caf%C3%A9/?q=%20 HTTP/1.1", "/café/", "/caf%C3%A9/", "q=%20"],
    ["GET /%41+b HTTP/1.1", "/A+b", "/%41+b", ""],
    ["GET /x? HTTP/1.1", "/x", "/x", ""],
    ["GET /q?a?b HTTP/1.1", "/q", "/q", "a?b"],
    // Not valid as it is in an escaped path: Go escapes the decoded path again.
    ["GET /a\"b HTTP/1.1", "/a\"b", "/a%22b", ""],
    ["GET http://example.com/p%2Fq?z=1 HTTP/1.1", "/p/q", "/p%2Fq", "z=1"],
    ["GET http://example.com HTTP/1.1", "", "", ""],
    ["GET http://example.com?k=v HTTP/1.1", "", "", "k=v"],
    ["OPTIONS * HTTP/1.1", "*", "*", ""]
  ]

  it.live("as Go splits and decodes them, over a real socket", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler: parts })
      const conn = yield* rawConnect(server.port)
      for (const [line] of table) yield* conn.send(`${line}\r\nHost: x\r\n\r\n`)
      const responses = yield* conn.responses(table.length)
      expect(responses.length).toBe(table.length)
      responses.forEach((r, i) => {
        const [line, path, rawPath, rawQuery] = table[i]!
        // The raw client keeps bodies as latin1.
        expect({ line, ...JSON.parse(Buffer.from(r.body, "latin1").toString("utf8")) }).toEqual({ line, path, rawPath, rawQuery })
      })
    }).pipe(Effect.scoped))

  it.live("a target from withTarget keeps its path as given, rooted or not (Go's StripPrefix)", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler: (r: ServerRequest) => parts(r.withTarget("index%2Ehtml?x=1")) })
      const conn = yield* rawConnect(server.port)
      yield* conn.send(get("/files/index.html"))
      const [r] = yield* conn.responses(1)
      expect(JSON.parse(r!.body)).toEqual({ path: "index.html", rawPath: "index%2Ehtml", rawQuery: "x=1" })
    }).pipe(Effect.scoped))

  it("validTargetEscapes: what Go's ParseRequestURI rejects (400 at parse time)", () => {
    const head = (target: string, form: "origin" | "absolute" | "asterisk" = "origin") =>
      new RequestHead("GET", target, form, 1, 1, Headers.make({}), "none", 0, true, false)
    expect(validTargetEscapes(head("/ok/%2F%20"))).toBe(true)
    expect(validTargetEscapes(head("/no%zz"))).toBe(false)
    expect(validTargetEscapes(head("/no%2"))).toBe(false)
    expect(validTargetEscapes(head("/no%"))).toBe(false)
    // Go does not parse the query when it reads the request.
    expect(validTargetEscapes(head("/ok?q=%zz"))).toBe(true)
    expect(validTargetEscapes(head("http://h/p%zz", "absolute"))).toBe(false)
    expect(validTargetEscapes(head("*", "asterisk"))).toBe(true)
  })
})

describe("ServerRequest.pathValues", () => {
  it.live("every wildcard a ServeMux pattern matched, in pattern order, unescaped", () =>
    Effect.gen(function*() {
      const mux = Either.getOrThrow(Mux.make([
        ["GET /items/{id}/files/{rest...}", (r: ServerRequest) => Effect.succeed(ServerResponse.text(JSON.stringify([...r.pathValues])))],
        ["GET /none", (r: ServerRequest) => Effect.succeed(ServerResponse.text(JSON.stringify([...r.pathValues])))]
      ]))
      const server = yield* startServer({ handler: mux.handler })
      const conn = yield* rawConnect(server.port)
      yield* conn.send(get("/items/7%20x/files/a%2Fb/c") + get("/none"))
      const [withValues, none] = yield* conn.responses(2)
      expect(JSON.parse(withValues!.body)).toEqual([["id", "7 x"], ["rest", "a/b/c"]])
      expect(JSON.parse(none!.body)).toEqual([])
    }).pipe(Effect.scoped))
})

describe("ServerRequest: connection facts", () => {
  it.live("remote and local address and port; no TLS over plain HTTP", () =>
    Effect.gen(function*() {
      const server = yield* startServer({
        handler: (r: ServerRequest) =>
          Effect.succeed(ServerResponse.text(JSON.stringify({
            local: `${r.localAddress}:${r.localPort}`,
            remote: r.remoteAddress,
            remotePort: typeof r.remotePort,
            id: r.conn.id,
            tls: r.tls ?? null
          })))
      })
      const conn = yield* rawConnect(server.port)
      yield* conn.send(get("/"))
      const [r] = yield* conn.responses(1)
      expect(JSON.parse(r!.body)).toEqual({ local: `127.0.0.1:${server.port}`, remote: "127.0.0.1", remotePort: "number", id: 1, tls: null })
    }).pipe(Effect.scoped))
})

class Tenant extends Context.Tag("test/Tenant")<Tenant, { readonly conn: number }>() {}
class Greeting extends Context.Tag("test/Greeting")<Greeting, string>() {}

describe("connContext (Go's ConnContext)", () => {
  it.live("its services reach every handler on the connection, beside the handler's own", () =>
    Effect.gen(function*() {
      const seen: Array<string> = []
      const server = yield* startServer({
        connContext: (info) =>
          Effect.sync(() => {
            seen.push(`${info.id} ${info.localAddress}:${info.localPort}`)
            return Context.make(Tenant, { conn: info.id })
          }),
        handler: (r: ServerRequest) =>
          Effect.gen(function*() {
            const tenant = yield* Effect.serviceOption(Tenant)
            const greeting = yield* Greeting
            return ServerResponse.text(`${greeting} ${Option.match(tenant, { onNone: () => "none", onSome: (t) => String(t.conn) })} ${r.target}`)
          })
      }).pipe(Effect.provideService(Greeting, "hi"))
      const a = yield* rawConnect(server.port)
      yield* a.send(get("/1") + get("/2"))
      const b = yield* rawConnect(server.port)
      yield* b.send(get("/3"))
      expect((yield* a.responses(2)).map((r) => r.body)).toEqual(["hi 1 /1", "hi 1 /2"])
      expect((yield* b.responses(1)).map((r) => r.body)).toEqual(["hi 2 /3"])
      expect(seen).toEqual([`1 127.0.0.1:${server.port}`, `2 127.0.0.1:${server.port}`])
    }).pipe(Effect.scoped))

  it.live("a hook that fails or dies closes that connection only; the server goes on", () =>
    Effect.gen(function*() {
      const states: Array<string> = []
      const server = yield* startServer({
        connState: (info, state) => Effect.sync(() => void states.push(`${info.id} ${state}`)),
        connContext: (info) =>
          info.id === 1
            ? Effect.fail("no tenant")
            : info.id === 2
            ? Effect.die(new Error("boom"))
            : Effect.succeed(Context.make(Tenant, { conn: info.id })),
        handler: () => Effect.map(Effect.serviceOption(Tenant), (t) => ServerResponse.text(`ok ${Option.getOrThrow(t).conn}`))
      })
      for (const id of [1, 2]) {
        const c = yield* rawConnect(server.port)
        yield* c.send(get("/"))
        expect(yield* c.closed(5_000), `connection ${id} closed`).toBe(true)
        expect(c.received()).toBe("")
      }
      const ok = yield* rawConnect(server.port)
      yield* ok.send(get("/"))
      expect((yield* ok.responses(1)).map((r) => r.body)).toEqual(["ok 3"])
      const stats = yield* server.stats
      expect(stats).toEqual({ connections: 1, idle: 1, accepted: 3, h2Sessions: 0, h2Streams: 0 })
      expect(states.filter((s) => s.startsWith("1 ") || s.startsWith("2 "))).toEqual(["1 New", "1 Closed", "2 New", "2 Closed"])
    }).pipe(Effect.scoped))
})

describe("connContext that never completes", () => {
  it.live("does not hold up a shutdown: the idle connection is closed and the hook given up on", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ connContext: () => Effect.never, handler: () => Effect.succeed(ServerResponse.text("never")) })
      const c = yield* rawConnect(server.port)
      yield* c.send(get("/"))
      yield* Effect.sleep("50 millis")
      expect((yield* server.stats).connections).toBe(1)
      const started = Date.now()
      yield* server.shutdown("5 seconds")
      expect(Date.now() - started).toBeLessThan(2_000)
      expect(yield* c.closed(2_000)).toBe(true)
      expect((yield* server.stats).connections).toBe(0)
    }).pipe(Effect.scoped))
})

describe("HttpTest", () => {
  it.effect("server takes Server options (maxBodyBytes)", () =>
    Effect.gen(function*() {
      const { client, url, certificate } = yield* HttpTest
      expect(certificate).toBeUndefined()
      const small = yield* client.post(`${url}/`, "0123456789")
      expect(small.status).toBe(200)
      expect(Buffer.from(yield* Body.collect(small.body)).toString()).toBe("10")
      const big = yield* client.post(`${url}/`, "x".repeat(100))
      expect(big.status).toBe(413)
    }).pipe(
      Effect.scoped,
      Effect.provide(HttpTest.server((r: ServerRequest) => Effect.map(r.bytes, (b) => ServerResponse.text(String(b.length))), { server: { maxBodyBytes: 10 } }))
    ))

  it.effect("tlsServer serves HTTPS with the test certificate, which its client trusts", () =>
    Effect.gen(function*() {
      const { client, url, certificate } = yield* HttpTest
      expect(url.startsWith("https://127.0.0.1:")).toBe(true)
      expect(certificate).toBe(TEST_CERT)
      const response = yield* client.get(`${url}/secure?x=1`)
      expect(response.status).toBe(200)
      const seen = JSON.parse(Buffer.from(yield* Body.collect(response.body)).toString())
      expect(seen).toMatchObject({ scheme: "https", path: "/secure", rawQuery: "x=1", handshakeComplete: true, alpnProtocol: "h2" }) // our client and server both speak HTTP/2 by default, as Go's
      expect(seen.protocol).toMatch(/^TLSv1\.[23]$/)
      expect(typeof seen.cipher).toBe("string")
    }).pipe(
      Effect.scoped,
      Effect.provide(HttpTest.tlsServer((r: ServerRequest) =>
        Effect.succeed(ServerResponse.text(JSON.stringify({ scheme: r.scheme, path: r.path, rawQuery: r.rawQuery, ...r.tls }))), { server: { readHeaderTimeout: "5 seconds" } }))
    ))
})
