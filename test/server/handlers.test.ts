/**
 * Go's handler helpers over real sockets: Error's headers, Redirect's resolution of relative
 * targets, StripPrefix, TimeoutHandler on the TestClock (the handler's fiber interrupted),
 * MaxBytesHandler (413, the connection closed), middleware order; and `isCleanPath` against
 * `cleanPath` as a property.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, FastCheck as fc, Fiber, TestClock } from "effect"
import { cleanPath, isCleanPath } from "../../src/server/cleanPath.js"
import type { Handler } from "../../src/server/Handler.js"
import { compose, error, maxBytes, type Middleware, redirect, redirectHandler, stripPrefix, timeoutHandler } from "../../src/server/handlers.js"
import type { ServerRequest } from "../../src/server/ServerRequest.js"
import * as ServerResponse from "../../src/server/ServerResponse.js"
import { get, rawConnect, startServer } from "./rawClient.js"

const echoTarget: Handler = (r) => Effect.succeed(ServerResponse.text(`target ${r.target}`))

describe("error and redirect", () => {
  it.scoped("error: the message and a newline, text/plain, nosniff", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler: () => Effect.succeed(error("no <b>way</b>", 418)) })
      const c = yield* rawConnect(server.port)
      yield* c.send(get("/"))
      const [r] = yield* c.responses(1)
      expect(r!.status).toBe(418)
      expect(r!.body).toBe("no <b>way</b>\n")
      expect(r!.header("Content-Type")).toBe("text/plain; charset=utf-8")
      expect(r!.header("X-Content-Type-Options")).toBe("nosniff")
    }))

  // Go's TestRedirect table (server_test.go), the request path being /foo/bar.
  const cases: ReadonlyArray<readonly [string, string, string]> = [
    ["/foo/bar", "", "/foo/"],
    ["/foo/bar", "baz", "/foo/baz"],
    ["/foo/bar", "../quux/foobar.com/baz", "/quux/foobar.com/baz"],
    ["/foo/bar", "/baz", "/baz"],
    ["/foo/bar", "/a/./b/../c/", "/a/c/"],
    ["/foo/bar", "../../../x", "/x"],
    ["/foo/bar", "baz?q=1", "/foo/baz?q=1"],
    ["/foo/bar/", "../baz", "/foo/baz"],
    ["/foo/bar", "http://example.com/x/../y", "http://example.com/x/../y"],
    ["/foo/bar", "//example.com/x", "//example.com/x"]
  ]

  it.scoped("redirect resolves relative targets against the request path and cleans them, keeping slash and query", () =>
    Effect.gen(function*() {
      const targets = new Map<string, string>()
      const server = yield* startServer({
        handler: (r: ServerRequest) => Effect.succeed(redirect(r, targets.get(r.headers.get("X-Case") ?? "") ?? "", 302))
      })
      const c = yield* rawConnect(server.port)
      let wire = ""
      cases.forEach(([path, target], i) => {
        targets.set(String(i), target)
        wire += get(path, `X-Case: ${i}\r\n`)
      })
      yield* c.send(wire)
      const rs = yield* c.responses(cases.length)
      expect(rs.map((r) => r.header("Location"))).toEqual(cases.map(([, , want]) => want))
      expect(rs[0]!.status).toBe(302)
      expect(rs[1]!.body).toBe(`<a href="/foo/baz">Found</a>.\n\n`)
      expect(rs[1]!.header("Content-Type")).toBe("text/html; charset=utf-8")
    }))

  it.scoped("redirect: POST gets no body; the Location is HTML-escaped in a GET's body", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler: redirectHandler("/a?x=<1>&y=\"2\"", 301) })
      const c = yield* rawConnect(server.port)
      yield* c.send("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n" + get("/g"))
      const [post, getR] = yield* c.responses(2)
      expect(post!.status).toBe(301)
      expect(post!.body).toBe("")
      expect(getR!.body).toBe(`<a href="/a?x=&lt;1&gt;&amp;y=&#34;2&#34;">Moved Permanently</a>.\n\n`)
    }))
})

describe("stripPrefix", () => {
  it.scoped("hands on the rest of the path (query kept); 404 without the prefix", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler: stripPrefix("/static", echoTarget) })
      const c = yield* rawConnect(server.port)
      yield* c.send(get("/static/css/a.css?v=2") + get("/static") + get("/other/x"))
      const rs = yield* c.responses(3)
      expect(rs.map((r) => r.status)).toEqual([200, 200, 404])
      expect(rs[0]!.body).toBe("target /css/a.css?v=2")
      expect(rs[1]!.body).toBe("target ")
      expect(rs[2]!.body).toBe("404 page not found\n")
    }))

  it.scoped("the request handed on is origin-form; its url keeps the scheme and host, with the rest (rooted) and the query", () =>
    Effect.gen(function*() {
      const show: Handler = (r) => Effect.succeed(ServerResponse.text(`${r.head.targetForm} [${r.target}] ${r.url.href}`))
      const server = yield* startServer({
        handler: (r) => r.headers.get("X-Prefix") === "slash" ? stripPrefix("/echo/", show)(r) : stripPrefix("/echo", show)(r)
      })
      const c = yield* rawConnect(server.port)
      const cases: ReadonlyArray<readonly [string, string, string]> = [
        // Absolute-form (as sent to a proxy): the authority is the target's, not the Host field's.
        ["GET http://x/echo/z?q HTTP/1.1\r\nHost: x\r\n\r\n", "origin [/z?q] http://x/z?q", "plain"],
        ["GET http://other.example:8080/echo/a/b HTTP/1.1\r\nHost: x\r\n\r\n", "origin [/a/b] http://other.example:8080/a/b", "plain"],
        ["GET https://secure.example/echo/s HTTP/1.1\r\nHost: x\r\n\r\n", "origin [/s] https://secure.example/s", "plain"],
        // Go's StripPrefix can leave a path that is not rooted: the url treats it as rooted.
        ["GET /echo/index.html?v=1 HTTP/1.1\r\nHost: x\r\n\r\n", "origin [index.html?v=1] http://x/index.html?v=1", "slash"],
        ["GET http://x/echo/index.html HTTP/1.1\r\nHost: x\r\n\r\n", "origin [index.html] http://x/index.html", "slash"],
        ["GET /echo HTTP/1.1\r\nHost: x\r\n\r\n", "origin [] http://x/", "plain"],
        ["GET /echo?only=query HTTP/1.1\r\nHost: x\r\n\r\n", "origin [?only=query] http://x/?only=query", "plain"]
      ]
      yield* c.send(cases.map(([wire, , prefix]) => wire.replace("\r\n\r\n", `\r\nX-Prefix: ${prefix}\r\n\r\n`)).join(""))
      const rs = yield* c.responses(cases.length)
      expect(rs.map((r) => r.body)).toEqual(cases.map(([, want]) => want))
    }))

  it.scoped("stripPrefix twice, and a ServeMux-style copy after it, keep an absolute-form request's url", () =>
    Effect.gen(function*() {
      const show: Handler = (r) => Effect.succeed(ServerResponse.text(`[${r.target}] ${r.withRoute("/", new Map()).url.href}`))
      const server = yield* startServer({ handler: stripPrefix("/a", stripPrefix("/b", show)) })
      const c = yield* rawConnect(server.port)
      yield* c.send("GET https://y/a/b/c?d HTTP/1.1\r\nHost: x\r\n\r\n")
      const [r] = yield* c.responses(1)
      expect(r!.body).toBe("[/c?d] https://y/c?d")
    }))
})

describe("timeoutHandler (TestClock)", () => {
  it.scoped("answers 503 when the handler is slower than the timeout and interrupts its fiber", () =>
    Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      const interrupted = yield* Deferred.make<void>()
      const slow: Handler = () =>
        Deferred.succeed(started, undefined).pipe(
          Effect.zipRight(Effect.sleep("5 seconds")),
          Effect.as(ServerResponse.text("late")),
          Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined))
        )
      const server = yield* startServer({ handler: timeoutHandler(slow, "2 seconds", "too slow") })
      const c = yield* rawConnect(server.port)
      yield* c.send(get("/"))
      yield* Deferred.await(started)
      yield* TestClock.adjust("1 second")
      expect(yield* c.responses(1, 100)).toHaveLength(0)
      yield* TestClock.adjust("1 second")
      const [r] = yield* c.responses(1)
      expect(r!.status).toBe(503)
      expect(r!.body).toBe("too slow\n")
      expect(yield* Deferred.isDone(interrupted)).toBe(true)
      // The connection stays usable.
      yield* c.send(get("/again"))
      const again = yield* Effect.fork(c.responses(1))
      yield* TestClock.adjust("2 seconds")
      expect((yield* Fiber.join(again))[0]!.status).toBe(503)
    }))

  it.scoped("a handler within the timeout answers as usual; the default message is Go's HTML", () =>
    Effect.gen(function*() {
      const server = yield* startServer({
        handler: timeoutHandler((r) => r.target === "/slow" ? Effect.never : Effect.succeed(ServerResponse.text("fast")), "1 second")
      })
      const c = yield* rawConnect(server.port)
      yield* c.send(get("/"))
      expect((yield* c.responses(1))[0]!.body).toBe("fast")
      yield* c.send(get("/slow"))
      const slow = yield* Effect.fork(c.responses(1))
      yield* TestClock.adjust("1 second")
      const [r] = yield* Fiber.join(slow)
      expect(r!.status).toBe(503)
      expect(r!.body).toContain("<h1>Timeout</h1>")
    }))
})

describe("maxBytes", () => {
  const readAll: Handler<never> = (r) =>
    r.text.pipe(
      Effect.map((body) => ServerResponse.text(`read ${body.length}`)),
      Effect.catchAll((e) => Effect.succeed(ServerResponse.text(`caught ${e.reason}`, { status: 400 })))
    )

  it.scoped("a body within the limit is read; a larger one fails with too-large and the connection closes after the reply", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler: maxBytes(readAll, 10) })
      const c = yield* rawConnect(server.port)
      yield* c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789")
      expect((yield* c.responses(1))[0]!.body).toBe("read 10")
      // Chunked, so the length is not known before reading.
      yield* c.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n01234567\r\n8\r\n89abcdef\r\n0\r\n\r\n")
      const [r] = yield* c.responses(1)
      expect(r!.body).toBe("caught too-large")
      expect(r!.header("Connection")).toBe("close")
      expect(yield* c.closed()).toBe(true)
    }))

  it.scoped("a handler that fails with the error gets 413", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler: maxBytes((r) => Effect.as(r.bytes, ServerResponse.text("never")), 4) })
      const c = yield* rawConnect(server.port)
      yield* c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n\r\n01234567890123456789")
      const [r] = yield* c.responses(1)
      expect(r!.status).toBe(413)
      expect(yield* c.closed()).toBe(true)
    }))
})

describe("middleware", () => {
  it.scoped("compose: the first middleware listed sees the request first", () =>
    Effect.gen(function*() {
      const tag = (name: string): Middleware => (next) => (r) =>
        Effect.map(next(r), (response) => {
          response.headers.add("X-Order", name)
          return response
        })
      const server = yield* startServer({ handler: compose(tag("outer"), tag("inner"))(echoTarget) })
      const c = yield* rawConnect(server.port)
      yield* c.send(get("/"))
      const [r] = yield* c.responses(1)
      // Responses pass back out from the inside: inner adds first.
      expect(r!.head.headers.values("X-Order")).toEqual(["inner", "outer"])
    }))
})

describe("isCleanPath", () => {
  it("agrees with cleanPath(p) === p", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[/.a]{0,12}$/), (p) => isCleanPath(p) === (cleanPath(p) === p)),
      { numRuns: 2000 }
    )
    expect(isCleanPath("/a/b/")).toBe(true)
    expect(isCleanPath("/a/./b")).toBe(false)
    expect(isCleanPath("/a/...")).toBe(true)
  })
})
