/**
 * The Server over HTTP/2 against `node:http2`'s client: ALPN picks h2, requests become the same
 * `ServerRequest`s (proto HTTP/2.0, fields, Host from :authority, cookies joined), answers carry
 * status, fields, sniffed Content-Type, Date and Content-Length; HEAD has no body; bodies both
 * ways, streamed answers, trailers both ways, 100-continue, 103, a handler's failure is a 500,
 * many streams at once on one connection, ConnState and stats.
 */
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Either, Option, Stream } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as zlib from "node:zlib"
import { fileServer } from "../../../src/server/fileServer.js"
import * as Handlers from "../../../src/server/handlers.js"
import { ServeMux } from "../../../src/server/ServeMux.js"
import * as http2 from "node:http2"
import * as tls from "node:tls"
import { Headers } from "../../../src/domain/Headers.js"
import type { ConnState } from "../../../src/server/config.js"
import type { ServerRequest } from "../../../src/server/ServerRequest.js"
import * as ServerResponse from "../../../src/server/ServerResponse.js"
import { TEST_CERT } from "../../../src/testing/testCert.js"
import { h2Request, h2Session, serveH2 } from "./support.js"

const echoFacts = (req: ServerRequest) =>
  Effect.succeed(
    ServerResponse.text(
      JSON.stringify({
        proto: req.proto,
        method: req.method,
        target: req.target,
        host: req.host,
        url: req.url.href,
        cookie: req.headers.get("Cookie") ?? null,
        accept: req.headers.values("Accept"),
        alpn: req.tls?.alpnProtocol ?? null
      })
    )
  )

describe("Server over HTTP/2", () => {
  it.scopedLive("ALPN chooses h2; the request is the same ServerRequest, proto HTTP/2.0", () =>
    Effect.gen(function*() {
      const server = yield* serveH2({ handler: echoFacts })
      const session = yield* h2Session(server.url)
      const a = yield* h2Request(session, { ":path": "/a/b?x=1", cookie: ["a=1", "b=2"], accept: ["text/html", "text/plain"] }, undefined, { endStream: true })
      expect(a.status).toBe(200)
      expect(JSON.parse(a.body)).toEqual({
        proto: "HTTP/2.0",
        method: "GET",
        target: "/a/b?x=1",
        host: `localhost:${server.port}`,
        url: `https://localhost:${server.port}/a/b?x=1`,
        cookie: "a=1; b=2",
        accept: ["text/html", "text/plain"],
        alpn: "h2"
      })
      expect(a.headers["content-type"]).toBe("text/plain; charset=utf-8")
      expect(a.headers["content-length"]).toBe(String(Buffer.byteLength(a.body)))
      expect(typeof a.headers["date"]).toBe("string")
    }))

  it.scopedLive("an HTTP/1.1 client on the same listener still gets HTTP/1.1", () =>
    Effect.gen(function*() {
      const server = yield* serveH2({ handler: echoFacts })
      const text = yield* Effect.async<string, Error>((resume) => {
        const socket = tls.connect({ host: "127.0.0.1", port: server.port, ca: TEST_CERT, servername: "localhost", ALPNProtocols: ["http/1.1"] })
        let got = ""
        socket.on("secureConnect", () => socket.write("GET /one HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
        socket.on("data", (c) => (got += c.toString()))
        socket.on("end", () => resume(Effect.succeed(got)))
        socket.on("error", (e) => resume(Effect.fail(e)))
        return Effect.sync(() => socket.destroy())
      }).pipe(Effect.timeout("5 seconds"))
      expect(text.startsWith("HTTP/1.1 200 OK\r\n")).toBe(true)
      expect(text).toContain(`"proto":"HTTP/1.1"`)
      expect(text).toContain(`"alpn":"http/1.1"`)
    }))

  it.scopedLive("HEAD: the GET's fields, no body; 204 and 304 carry no body", () =>
    Effect.gen(function*() {
      const server = yield* serveH2({
        handler: (req) =>
          Effect.succeed(
            req.url.pathname === "/204" ? ServerResponse.empty({ status: 204 }) : req.url.pathname === "/304" ? ServerResponse.empty({ status: 304 }) : ServerResponse.text("twelve bytes")
          )
      })
      const session = yield* h2Session(server.url)
      const head = yield* h2Request(session, { ":method": "HEAD", ":path": "/" }, undefined, { endStream: true })
      expect(head.status).toBe(200)
      expect(head.headers["content-length"]).toBe("12")
      expect(head.body).toBe("")
      const noContent = yield* h2Request(session, { ":path": "/204" }, undefined, { endStream: true })
      expect(noContent.status).toBe(204)
      expect(noContent.headers["content-length"]).toBeUndefined()
      const notModified = yield* h2Request(session, { ":path": "/304" }, undefined, { endStream: true })
      expect(notModified.status).toBe(304)
    }))

  it.scopedLive("a request body read whole, and one streamed back (echo); trailers both ways", () =>
    Effect.gen(function*() {
      const server = yield* serveH2({
        handler: (req) =>
          req.url.pathname === "/echo"
            ? Effect.succeed(ServerResponse.stream(req.body, { headers: { "content-type": "application/octet-stream" } }))
            : Effect.map(req.text, (text) =>
              ServerResponse.text(`${text.length}:${text.slice(0, 5)}:${req.trailers?.get("X-Sum") ?? "-"}`, {
                trailers: { names: ["X-Done"], values: Effect.succeed(Headers.make({ "X-Done": "yes" })) }
              }))
      })
      const session = yield* h2Session(server.url)
      const big = "y".repeat(200_000)
      const echoed = yield* h2Request(session, { ":method": "POST", ":path": "/echo" }, big)
      expect(echoed.status).toBe(200)
      expect(echoed.body.length).toBe(200_000)
      expect(echoed.headers["content-length"]).toBeUndefined()
      const withTrailers = yield* Effect.async<{ body: string; trailers: http2.IncomingHttpHeaders | undefined }, Error>((resume) => {
        const req = session.request({ ":method": "POST", ":path": "/sum" }, { waitForTrailers: true })
        req.on("wantTrailers", () => req.sendTrailers({ "x-sum": "42" }))
        let trailers: http2.IncomingHttpHeaders | undefined = undefined
        const parts: Array<Buffer> = []
        req.on("trailers", (t) => (trailers = t))
        req.on("data", (c: Buffer) => parts.push(c))
        req.on("end", () => resume(Effect.succeed({ body: Buffer.concat(parts).toString(), trailers })))
        req.on("error", (e) => resume(Effect.fail(e)))
        req.end("hello world")
      }).pipe(Effect.timeout("5 seconds"))
      expect(withTrailers.body).toBe("11:hello:42")
      expect(withTrailers.trailers?.["x-done"]).toBe("yes")
    }))

  it.scopedLive("Expect: 100-continue gets 100 at the first read; 103 Early Hints goes before the answer", () =>
    Effect.gen(function*() {
      const server = yield* serveH2({
        handler: (req) =>
          req.url.pathname === "/hints"
            ? Effect.zipRight(Effect.orDie(req.writeInterim(103, Headers.make({ Link: "</style.css>; rel=preload" }))), Effect.succeed(ServerResponse.text("after hints")))
            : Effect.map(req.text, (t) => ServerResponse.text(`got ${t}`))
      })
      const session = yield* h2Session(server.url)
      const hints = yield* h2Request(session, { ":path": "/hints" }, undefined, { endStream: true })
      expect(hints.interim).toEqual([103])
      expect(hints.body).toBe("after hints")
      const answer = yield* Effect.async<{ sawContinue: boolean; body: string }, Error>((resume) => {
        const req = session.request({ ":method": "POST", ":path": "/upload", expect: "100-continue" })
        let sawContinue = false
        const parts: Array<Buffer> = []
        req.on("continue", () => {
          sawContinue = true
          req.end("the body")
        })
        req.on("data", (c: Buffer) => parts.push(c))
        req.on("end", () => resume(Effect.succeed({ sawContinue, body: Buffer.concat(parts).toString() })))
        req.on("error", (e) => resume(Effect.fail(e)))
      }).pipe(Effect.timeout("5 seconds"))
      expect(answer).toEqual({ sawContinue: true, body: "got the body" })
    }))

  it.scopedLive("a handler's failure (or throw) is a 500; a streamed body failing after the head resets the stream", () =>
    Effect.gen(function*() {
      const server = yield* serveH2({
        handler: (req) => {
          if (req.url.pathname === "/throw") throw new Error("thrown, not failed")
          return req.url.pathname === "/fail"
            ? Effect.fail("boom")
            : Effect.succeed(ServerResponse.stream(Stream.concat(Stream.make(new TextEncoder().encode("part")), Stream.fail("later"))))
        }
      })
      const session = yield* h2Session(server.url)
      const failed = yield* h2Request(session, { ":path": "/fail" }, undefined, { endStream: true })
      expect(failed.status).toBe(500)
      expect(failed.body).toBe("500 Internal Server Error")
      const cut = yield* Effect.either(h2Request(session, { ":path": "/cut" }, undefined, { endStream: true }))
      expect(cut._tag).toBe("Left")
      const thrown = yield* h2Request(session, { ":path": "/throw" }, undefined, { endStream: true })
      expect(thrown.status).toBe(500)
      // The session lives on.
      const again = yield* h2Request(session, { ":path": "/fail" }, undefined, { endStream: true })
      expect(again.status).toBe(500)
    }))

  it.scopedLive("100 streams at once on one connection; stats and ConnState count the session", () =>
    Effect.gen(function*() {
      const states: Array<ConnState> = []
      let inFlight = 0
      let peak = 0
      const server = yield* serveH2({
        connState: (_info, state) => Effect.sync(() => void states.push(state)),
        handler: (req) =>
          Effect.gen(function*() {
            inFlight++
            peak = Math.max(peak, inFlight)
            yield* Effect.sleep("20 millis")
            inFlight--
            return ServerResponse.text(req.target)
          })
      })
      const session = yield* h2Session(server.url)
      const answers = yield* Effect.all(
        Array.from({ length: 100 }, (_, i) => h2Request(session, { ":path": `/n/${i}` }, undefined, { endStream: true })),
        { concurrency: "unbounded" }
      )
      expect(answers.map((a) => a.body)).toEqual(Array.from({ length: 100 }, (_, i) => `/n/${i}`))
      expect(peak).toBeGreaterThan(10)
      const stats = yield* server.stats
      expect(stats).toMatchObject({ connections: 1, h2Sessions: 1, h2Streams: 0, idle: 1 })
      session.close()
      yield* Effect.sleep("100 millis")
      expect(states[0]).toBe("New")
      expect(states[1]).toBe("Active")
      expect(states.at(-1)).toBe("Closed")
      expect(states).not.toContain("Hijacked")
      expect((yield* server.stats).connections).toBe(0)
    }))

  it.scopedLive("a request body over maxBodyBytes is a 413", () =>
    Effect.gen(function*() {
      const server = yield* serveH2({ maxBodyBytes: 10, handler: (req) => Effect.map(req.text, (t) => ServerResponse.text(t)) })
      const session = yield* h2Session(server.url)
      const declared = yield* h2Request(session, { ":method": "POST", ":path": "/", "content-length": "20" }, "x".repeat(20))
      expect(declared.status).toBe(413)
      const streamed = yield* h2Request(session, { ":method": "POST", ":path": "/" }, "x".repeat(20))
      expect(streamed.status).toBe(413)
    }))

  it.scopedLive("the body: Body.bytes, Body.stream with a length", () =>
    Effect.gen(function*() {
      const server = yield* serveH2({
        handler: () => Effect.succeed(ServerResponse.stream(Stream.make(new Uint8Array([60, 104, 116, 109, 108, 62])), { length: 6 }))
      })
      const session = yield* h2Session(server.url)
      const a = yield* h2Request(session, { ":path": "/" }, undefined, { endStream: true })
      expect(a.headers["content-length"]).toBe("6")
      expect(a.headers["content-type"]).toBe("text/html; charset=utf-8")
      expect(a.body).toBe("<html>")
    }))
})

describe("Server over HTTP/2: the helpers unchanged", () => {
  it.scopedLive("ServeMux routes, FileServer (ranges, 304), compress and redirects over h2", () =>
    Effect.gen(function*() {
      const dir = yield* Effect.acquireRelease(
        Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "nethttp-h2-"))),
        (d) => Effect.sync(() => fs.rmSync(d, { recursive: true, force: true }))
      )
      fs.writeFileSync(path.join(dir, "page.html"), "<!doctype html><p>" + "hello ".repeat(500) + "</p>")
      const mux = ServeMux.builder()
        .handle("GET /static/", Handlers.stripPrefix("/static", fileServer(dir)))
        .handle("GET /z", Handlers.compress(() => Effect.succeed(ServerResponse.text("zip ".repeat(1000)))))
        .handle("GET /old", Handlers.redirectHandler("/new", 301))
        .build()
      const server = yield* serveH2({ handler: Either.getOrThrow(mux).handler })
      const session = yield* h2Session(server.url)
      const page = yield* h2Request(session, { ":path": "/static/page.html" }, undefined, { endStream: true })
      expect(page.status).toBe(200)
      expect(page.headers["content-type"]).toBe("text/html; charset=utf-8")
      expect(page.body.length).toBe(fs.statSync(path.join(dir, "page.html")).size)
      const range = yield* h2Request(session, { ":path": "/static/page.html", range: "bytes=0-8" }, undefined, { endStream: true })
      expect(range.status).toBe(206)
      expect(range.body).toBe("<!doctype")
      const cached = yield* h2Request(session, { ":path": "/static/page.html", "if-modified-since": String(page.headers["last-modified"]) }, undefined, { endStream: true })
      expect(cached.status).toBe(304)
      const zipped = yield* Effect.async<{ encoding: string; text: string }, Error>((resume) => {
        const req = session.request({ ":path": "/z", "accept-encoding": "gzip" })
        let encoding = ""
        const parts: Array<Buffer> = []
        req.on("response", (h) => (encoding = String(h["content-encoding"])))
        req.on("data", (c: Buffer) => parts.push(c))
        req.on("end", () => resume(Effect.succeed({ encoding, text: zlib.gunzipSync(Buffer.concat(parts)).toString() })))
        req.on("error", (e) => resume(Effect.fail(e)))
        req.end()
      }).pipe(Effect.timeout("5 seconds"))
      expect(zipped).toEqual({ encoding: "gzip", text: "zip ".repeat(1000) })
      const moved = yield* h2Request(session, { ":path": "/old" }, undefined, { endStream: true })
      expect(moved.status).toBe(301)
      expect(moved.headers["location"]).toBe("/new")
      const missing = yield* h2Request(session, { ":path": "/nothing" }, undefined, { endStream: true })
      expect(missing.status).toBe(404)
    }))
})

describe("Server over HTTP/2: handlers at once", () => {
  it.scopedLive("at most maxConcurrentStreams handlers run at once; many more streams over time all get answers", () =>
    Effect.gen(function*() {
      let inFlight = 0
      let peak = 0
      const server = yield* serveH2({
        http2: { maxConcurrentStreams: 4 },
        handler: (req) =>
          Effect.gen(function*() {
            inFlight++
            peak = Math.max(peak, inFlight)
            if (req.target.endsWith("/slow")) yield* Effect.sleep("5 millis")
            inFlight--
            return ServerResponse.text(req.target)
          })
      })
      const session = yield* h2Session(server.url)
      // 300 streams, more than the limit in all (a handler that ended inline must give its place back).
      const answers = yield* Effect.all(
        Array.from({ length: 300 }, (_, i) => h2Request(session, { ":path": i % 3 === 0 ? `/${i}/slow` : `/${i}` }, undefined, { endStream: true })),
        { concurrency: 4 }
      )
      expect(answers.every((a, i) => a.body === (i % 3 === 0 ? `/${i}/slow` : `/${i}`))).toBe(true)
      expect(peak).toBeLessThanOrEqual(4)
      expect(peak).toBeGreaterThan(1)
    }))
})

describe("Server over HTTP/2: a stream reset by the client", () => {
  it.scopedLive("interrupts that stream's handler only; the session's other streams go on", () =>
    Effect.gen(function*() {
      let interrupted = 0
      let started = 0
      const server = yield* serveH2({
        handler: (req) =>
          req.url.pathname === "/hang"
            ? Effect.zipRight(Effect.sync(() => void started++), Effect.never).pipe(Effect.onInterrupt(() => Effect.sync(() => void interrupted++)))
            : Effect.succeed(ServerResponse.text(req.target))
      })
      const session = yield* h2Session(server.url)
      const hanging = Array.from({ length: 3 }, () => session.request({ ":path": "/hang" }, { endStream: true }))
      for (const h of hanging) h.on("error", () => {})
      for (let i = 0; i < 200 && started < 3; i++) yield* Effect.sleep("5 millis")
      expect(started).toBe(3)
      const during = yield* h2Request(session, { ":path": "/during" }, undefined, { endStream: true })
      expect(during.body).toBe("/during")
      hanging[1]!.close(http2.constants.NGHTTP2_CANCEL)
      for (let i = 0; i < 200 && interrupted < 1; i++) yield* Effect.sleep("5 millis")
      expect(interrupted).toBe(1)
      const after = yield* Effect.all(
        Array.from({ length: 20 }, (_, i) => h2Request(session, { ":path": `/after/${i}` }, undefined, { endStream: true })),
        { concurrency: "unbounded" }
      )
      expect(after.map((a) => a.body)).toEqual(Array.from({ length: 20 }, (_, i) => `/after/${i}`))
      expect(interrupted).toBe(1)
      expect((yield* server.stats).h2Streams).toBe(2)
      for (const h of hanging) h.close(http2.constants.NGHTTP2_CANCEL)
      for (let i = 0; i < 200 && interrupted < 3; i++) yield* Effect.sleep("5 millis")
      expect(interrupted).toBe(3)
    }))
})

describe("Server over HTTP/2: connContext", () => {
  class Tenant extends Context.Tag("test/h2/Tenant")<Tenant, { readonly conn: number }>() {}

  it.scopedLive("the connection's services reach every stream's handler (run once per connection)", () =>
    Effect.gen(function*() {
      let hooks = 0
      const server = yield* serveH2({
        connContext: (info) =>
          Effect.sync(() => {
            hooks++
            return Context.make(Tenant, { conn: info.id })
          }),
        handler: (req) =>
          Effect.map(Effect.serviceOption(Tenant), (t) => ServerResponse.text(`${Option.match(t, { onNone: () => "none", onSome: (x) => String(x.conn) })} ${req.target}`))
      })
      const one = yield* h2Session(server.url)
      const two = yield* h2Session(server.url)
      const a = yield* Effect.all([1, 2, 3].map((i) => h2Request(one, { ":path": `/a${i}` }, undefined, { endStream: true })), { concurrency: "unbounded" })
      const b = yield* h2Request(two, { ":path": "/b" }, undefined, { endStream: true })
      const ids = new Set(a.map((x) => x.body.split(" ")[0]))
      expect(ids.size).toBe(1)
      expect(a.map((x) => x.body.split(" ")[1])).toEqual(["/a1", "/a2", "/a3"])
      expect(b.body.split(" ")[0]).not.toBe([...ids][0])
      expect(b.body.endsWith(" /b")).toBe(true)
      expect(hooks).toBe(2)
    }))
})
