/**
 * Cookies through the Client (`Client.layerWithCookieJar` over `CookieJar.layer()` and
 * `Transport.layer()`) against node:http servers on 127.0.0.1:0, as Go's `Client.send` with a
 * `Jar`: Set-Cookie of every hop stored (redirects included, each field one cookie), the jar's
 * cookies sent by path and host, Domain cookies, expiry on the TestClock, the request's own
 * Cookie field joined with the jar's, and the Cookie field on a cross-host hop.
 *
 * "Another host" is the same server reached as `localhost` instead of `127.0.0.1`, or, for
 * Domain cookies, names under `example.test` that a Dialer sends to 127.0.0.1.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, type Scope, TestClock } from "effect"
import * as http from "node:http"
import * as net from "node:net"
import * as Body from "../../src/domain/Body.js"
import type { Request } from "../../src/domain/Request.js"
import { Dialer } from "../../src/net/Dialer.js"
import { Client } from "../../src/transport/Client.js"
import { CookieJar } from "../../src/transport/CookieJar.js"
import { Transport } from "../../src/transport/Transport.js"
import { request } from "./scripted.js"

// ---------------------------------------------------------------------------------------------
// A recording node:http server

interface Seen {
  readonly method: string
  readonly url: string
  /** The Host field. */
  readonly host: string
  /** The Cookie field, if any. */
  readonly cookie: string | undefined
  /** How many Cookie fields arrived (RFC 6265 §5.4: one). */
  readonly cookieFields: number
}

interface TestServer {
  readonly port: number
  /** `http://HOST:port` + path (HOST 127.0.0.1 unless given). */
  readonly url: (path?: string, host?: string) => string
  readonly seen: Array<Seen>
}

/** What the server answers: status, header fields (arrays for repeated fields), body. */
type Answer = readonly [number, Record<string, string | Array<string>>, string?]
type Handle = (seen: Seen) => Answer

const ok = (body = "ok"): Answer => [200, {}, body]

const testServer = (handle: Handle): Effect.Effect<TestServer, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<{ server: http.Server; api: TestServer }>((resume) => {
      const seen: Array<Seen> = []
      const server = http.createServer({ keepAlive: true }, (req, res) => {
        req.resume()
        req.on("end", () => {
          let cookieFields = 0
          for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i]!.toLowerCase() === "cookie") cookieFields++
          const s: Seen = { method: req.method ?? "", url: req.url ?? "", host: req.headers.host ?? "", cookie: req.headers.cookie, cookieFields }
          seen.push(s)
          const [status, headers, body = ""] = handle(s)
          res.writeHead(status, { ...headers, "Content-Length": String(Buffer.byteLength(body)) })
          res.end(body)
        })
      })
      server.on("clientError", (_error: Error, socket: net.Socket) => socket.destroy())
      server.listen(0, "127.0.0.1", () => {
        const port = (server.address() as net.AddressInfo).port
        resume(Effect.succeed({
          server,
          api: { port, url: (path = "/", host = "127.0.0.1") => `http://${host}:${port}${path}`, seen }
        }))
      })
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ api }) => api))

// ---------------------------------------------------------------------------------------------
// The Client with a jar

/** Client + CookieJar + Transport (no proxy), all three in context. */
const withJar = Client.layerWithCookieJar().pipe(
  Layer.provideMerge(CookieJar.layer()),
  Layer.provideMerge(Transport.layer({ proxy: "none" }))
)

/** As `withJar`, with a dialer that sends every host name (`*.example.test`) to 127.0.0.1. */
const withJarMapped = Client.layerWithCookieJar().pipe(
  Layer.provideMerge(CookieJar.layer()),
  Layer.provideMerge(Transport.layerWithDialer({ proxy: "none" })),
  Layer.provide(Dialer.layer({ connect: (a) => net.connect({ host: "127.0.0.1", port: a.port, allowHalfOpen: true }) }))
)

/** `client.do`, the body read, in its own Scope. */
const send = <E>(req: Request<E>) =>
  Effect.gen(function*() {
    const client = yield* Client
    const response = yield* client.do(req)
    const text = Buffer.from(yield* Body.collect(response.body)).toString()
    return { status: response.status, text, setCookies: response.headers.values("Set-Cookie"), url: response.request?.url.href }
  }).pipe(Effect.scoped)

const get = (url: string, headers?: Record<string, string>) => send(request({ url, ...(headers === undefined ? {} : { headers }) }))

/** The jar's Cookie header for `url`. */
const jarHeader = (url: string) => Effect.flatMap(CookieJar, (jar) => jar.cookieHeader(new URL(url)))

// ---------------------------------------------------------------------------------------------

describe("Client with a cookie jar: redirects", () => {
  it.live("a Set-Cookie on a 302 hop is stored and sent on the next hop (and later requests)", () =>
    Effect.gen(function*() {
      const server = yield* testServer((s) =>
        s.url === "/login" ? [302, { "Location": "/home", "Set-Cookie": "sid=abc123; Path=/; HttpOnly" }] : ok(`home ${s.cookie ?? "-"}`)
      )
      const got = yield* get(server.url("/login"))
      expect(got.text).toBe("home sid=abc123")
      expect(server.seen.map((s) => [s.url, s.cookie])).toEqual([["/login", undefined], ["/home", "sid=abc123"]])
      yield* get(server.url("/later"))
      expect(server.seen[2]!.cookie).toBe("sid=abc123")
      expect(yield* jarHeader(server.url("/"))).toBe("sid=abc123")
    }).pipe(Effect.scoped, Effect.provide(withJar)))

  it.live("every hop of a chain can add cookies; each hop sends what the jar holds by then", () =>
    Effect.gen(function*() {
      const server = yield* testServer((s) => {
        if (s.url === "/1") return [301, { "Location": "/2", "Set-Cookie": "one=1" }]
        if (s.url === "/2") return [307, { "Location": "/3", "Set-Cookie": "two=2" }]
        if (s.url === "/3") return [308, { "Location": "/4", "Set-Cookie": "one=updated" }]
        return ok()
      })
      yield* get(server.url("/1"))
      expect(server.seen.map((s) => s.cookie)).toEqual([undefined, "one=1", "one=1; two=2", "one=updated; two=2"])
    }).pipe(Effect.scoped, Effect.provide(withJar)))

  it.live("two Set-Cookie fields in one response (an Expires date with a comma) are two cookies, never folded", () =>
    Effect.gen(function*() {
      const server = yield* testServer((s) =>
        s.url === "/set"
          ? [302, { Location: "/check", "Set-Cookie": ["a=1; Path=/; Expires=Wed, 09 Jun 2100 10:18:14 GMT", "b=2; Path=/"] }]
          : ok()
      )
      const got = yield* get(server.url("/set"))
      expect(got.status).toBe(200)
      expect(server.seen[1]!.cookie).toBe("a=1; b=2")
      expect(server.seen[1]!.cookieFields).toBe(1)
      const cookies = yield* Effect.flatMap(CookieJar, (jar) => jar.cookies(new URL(server.url("/"))))
      expect(cookies).toEqual([{ name: "a", value: "1" }, { name: "b", value: "2" }])
    }).pipe(Effect.scoped, Effect.provide(withJar)))

  it.live("the final response's two Set-Cookie fields come back to the caller as two values, and are stored", () =>
    Effect.gen(function*() {
      const server = yield* testServer((s) =>
        s.url === "/set" ? [200, { "Set-Cookie": ["x=1; Expires=Thu, 01 Jan 2099 00:00:00 GMT", "y=2"] }, "set"] : ok()
      )
      const got = yield* get(server.url("/set"))
      expect(got.setCookies).toEqual(["x=1; Expires=Thu, 01 Jan 2099 00:00:00 GMT", "y=2"])
      yield* get(server.url("/next"))
      expect(server.seen[1]!.cookie).toBe("x=1; y=2")
    }).pipe(Effect.scoped, Effect.provide(withJar)))

  it.live("a redirect response that sets a cookie named in the request's own Cookie field replaces it on the next hop (Go issue 17494)", () =>
    Effect.gen(function*() {
      const server = yield* testServer((s) => s.url === "/start" ? [302, { "Location": "/next", "Set-Cookie": "a=new" }] : ok())
      yield* get(server.url("/start"), { Cookie: "a=old; b=keep" })
      expect(server.seen.map((s) => s.cookie)).toEqual(["a=old; b=keep", "b=keep; a=new"])
    }).pipe(Effect.scoped, Effect.provide(withJar)))
})

// ---------------------------------------------------------------------------------------------

describe("Client with a cookie jar: which requests get a cookie", () => {
  it.live("a cookie for Path=/a is sent to /a and /a/x, not to /b or /ab", () =>
    Effect.gen(function*() {
      const server = yield* testServer((s) => (s.url === "/set" ? [200, { "Set-Cookie": "p=1; Path=/a" }] : ok()))
      yield* get(server.url("/set"))
      for (const path of ["/a", "/a/x", "/b", "/ab", "/"]) yield* get(server.url(path))
      expect(server.seen.slice(1).map((s) => [s.url, s.cookie])).toEqual([
        ["/a", "p=1"],
        ["/a/x", "p=1"],
        ["/b", undefined],
        ["/ab", undefined],
        ["/", undefined]
      ])
    }).pipe(Effect.scoped, Effect.provide(withJar)))

  it.live("without Path the default path is the request's directory (RFC 6265 §5.1.4); the longer path is listed first", () =>
    Effect.gen(function*() {
      const server = yield* testServer((s) => {
        if (s.url === "/dir/set") return [200, { "Set-Cookie": "d=1" }]
        if (s.url === "/root") return [200, { "Set-Cookie": "r=1; Path=/" }]
        return ok()
      })
      yield* get(server.url("/root"))
      yield* get(server.url("/dir/set"))
      yield* get(server.url("/dir/page"))
      yield* get(server.url("/other"))
      expect(server.seen.slice(2).map((s) => [s.url, s.cookie])).toEqual([
        ["/dir/page", "d=1; r=1"],
        ["/other", "r=1"]
      ])
    }).pipe(Effect.scoped, Effect.provide(withJar)))

  it.live("a host-only cookie of 127.0.0.1 is not sent to localhost (same server and port), and vice versa; the port does not matter", () =>
    Effect.gen(function*() {
      const other = yield* testServer(() => ok())
      const server = yield* testServer((s) => {
        if (s.url === "/set-ip") return [200, { "Set-Cookie": "ip=1" }]
        if (s.url === "/set-name") return [200, { "Set-Cookie": "name=1" }]
        return ok()
      })
      yield* get(server.url("/set-ip"))
      yield* get(server.url("/set-name", "localhost"))
      yield* get(server.url("/x", "127.0.0.1"))
      yield* get(server.url("/x", "localhost"))
      yield* get(other.url("/x", "127.0.0.1"))
      expect(server.seen.slice(2).map((s) => [s.host, s.cookie])).toEqual([
        [`127.0.0.1:${server.port}`, "ip=1"],
        [`localhost:${server.port}`, "name=1"]
      ])
      expect(other.seen.map((s) => s.cookie)).toEqual(["ip=1"])
    }).pipe(Effect.scoped, Effect.provide(withJar)))

  it.live("a Domain cookie that does not match the host is rejected; on an IP host only Domain=<that IP> is taken (host-only)", () =>
    Effect.gen(function*() {
      const server = yield* testServer((s) => {
        if (s.url === "/set") {
          return [200, { "Set-Cookie": ["bad=1; Domain=example.com", "alsobad=1; Domain=0.0.1", "good=1; Domain=127.0.0.1", "plain=1"] }]
        }
        if (s.url === "/set-localhost") return [200, { "Set-Cookie": ["far=1; Domain=other.test", "lh=1; Domain=localhost"] }]
        return ok()
      })
      yield* get(server.url("/set"))
      yield* get(server.url("/set-localhost", "localhost"))
      yield* get(server.url("/check"))
      yield* get(server.url("/check", "localhost"))
      expect(server.seen.slice(2).map((s) => s.cookie)).toEqual(["good=1; plain=1", "lh=1"])
    }).pipe(Effect.scoped, Effect.provide(withJar)))

  it.live("a Domain cookie (a.example.test sets Domain=example.test) goes to the domain and its subdomains, not elsewhere", () =>
    Effect.gen(function*() {
      const server = yield* testServer((s) => {
        if (s.url === "/set") return [200, { "Set-Cookie": ["dom=1; Domain=example.test", "host=1", "wrong=1; Domain=other.test", "sub=1; Domain=b.example.test"] }]
        return ok()
      })
      yield* get(server.url("/set", "a.example.test"))
      for (const host of ["a.example.test", "b.example.test", "example.test", "deep.a.example.test", "other.test"]) {
        yield* get(server.url("/check", host))
      }
      expect(server.seen.slice(1).map((s) => [s.host.split(":")[0], s.cookie])).toEqual([
        ["a.example.test", "dom=1; host=1"],
        ["b.example.test", "dom=1"],
        ["example.test", "dom=1"],
        ["deep.a.example.test", "dom=1"],
        ["other.test", undefined]
      ])
    }).pipe(Effect.scoped, Effect.provide(withJarMapped)))
})

// ---------------------------------------------------------------------------------------------

describe("Client with a cookie jar: the request's own Cookie field", () => {
  it.live("the request's Cookie field and the jar's cookies are both sent, joined with \"; \" in one field", () =>
    Effect.gen(function*() {
      const server = yield* testServer((s) => (s.url === "/set" ? [200, { "Set-Cookie": ["j1=1", "j2=2"] }] : ok()))
      yield* get(server.url("/set"))
      yield* get(server.url("/page"), { Cookie: "mine=1; also=2" })
      expect(server.seen[1]!.cookie).toBe("mine=1; also=2; j1=1; j2=2")
      expect(server.seen[1]!.cookieFields).toBe(1)
    }).pipe(Effect.scoped, Effect.provide(withJar)))

  it.live("on a same-host redirect the request's Cookie field goes on with the jar's cookies", () =>
    Effect.gen(function*() {
      const server = yield* testServer((s) => (s.url === "/start" ? [302, { Location: "/next", "Set-Cookie": "j=1" }] : ok()))
      yield* get(server.url("/start"), { Cookie: "mine=1" })
      expect(server.seen.map((s) => s.cookie)).toEqual(["mine=1", "mine=1; j=1"])
    }).pipe(Effect.scoped, Effect.provide(withJar)))

  it.live("a cross-host hop drops the request's Cookie field, but the jar still sends that host's own cookies", () =>
    Effect.gen(function*() {
      const server: TestServer = yield* testServer((s): Answer => {
        if (s.url === "/start") return [302, { Location: server.url("/next", "localhost") }]
        if (s.url === "/next") return [302, { Location: server.url("/back", "127.0.0.1") }]
        return ok()
      })
      yield* Effect.flatMap(CookieJar, (jar) =>
        Effect.all([
          jar.setCookies(new URL(server.url("/", "localhost")), ["lh=1"]),
          jar.setCookies(new URL(server.url("/", "127.0.0.1")), ["ip=1"])
        ]))
      yield* get(server.url("/start"), { Cookie: "mine=1" })
      expect(server.seen.map((s) => [s.url, s.host.split(":")[0], s.cookie])).toEqual([
        ["/start", "127.0.0.1", "mine=1; ip=1"],
        ["/next", "localhost", "lh=1"],
        // Back on the first host: the request's own Cookie field stays dropped; the jar's is sent.
        ["/back", "127.0.0.1", "ip=1"]
      ])
    }).pipe(Effect.scoped, Effect.provide(withJar)))

  it.live("a cross-host hop to a host the jar knows nothing of sends no Cookie field at all", () =>
    Effect.gen(function*() {
      const server: TestServer = yield* testServer((s): Answer => (s.url === "/start" ? [302, { Location: server.url("/next", "localhost") }] : ok()))
      yield* Effect.flatMap(CookieJar, (jar) => jar.setCookies(new URL(server.url("/")), ["ip=1"]))
      yield* get(server.url("/start"), { Cookie: "mine=1" })
      expect(server.seen.map((s) => s.cookie)).toEqual(["mine=1; ip=1", undefined])
    }).pipe(Effect.scoped, Effect.provide(withJar)))
})

// ---------------------------------------------------------------------------------------------

describe("Client with a cookie jar: expiry on the TestClock (real sockets, it.effect)", () => {
  // it.effect provides the TestClock: the jar reads it on every call, the sockets are real.
  it.effect("Max-Age=60 is sent until 60 s have passed; a session cookie stays; Max-Age=0 deletes", () =>
    Effect.gen(function*() {
      const server = yield* testServer((s) => {
        if (s.url === "/set") return [200, { "Set-Cookie": ["m=1; Max-Age=60", "session=1"] }]
        if (s.url === "/delete") return [200, { "Set-Cookie": "session=; Max-Age=0" }]
        return ok()
      })
      yield* get(server.url("/set"))
      yield* get(server.url("/t0"))
      yield* TestClock.adjust("59 seconds")
      yield* get(server.url("/t59"))
      yield* TestClock.adjust("1 second")
      yield* get(server.url("/t60"))
      yield* get(server.url("/delete"))
      yield* get(server.url("/after-delete"))
      expect(server.seen.slice(1).map((s) => [s.url, s.cookie])).toEqual([
        ["/t0", "m=1; session=1"],
        ["/t59", "m=1; session=1"],
        ["/t60", "session=1"],
        ["/delete", "session=1"],
        ["/after-delete", undefined]
      ])
    }).pipe(Effect.scoped, Effect.provide(withJar)))

  it.effect("a cookie set on a redirect hop with Max-Age expires on the TestClock like any other", () =>
    Effect.gen(function*() {
      const server = yield* testServer((s) => (s.url === "/start" ? [302, { "Location": "/next", "Set-Cookie": "hop=1; Max-Age=10" }] : ok()))
      yield* get(server.url("/start"))
      yield* TestClock.adjust("11 seconds")
      yield* get(server.url("/later"))
      expect(server.seen.map((s) => [s.url, s.cookie])).toEqual([["/start", undefined], ["/next", "hop=1"], ["/later", undefined]])
    }).pipe(Effect.scoped, Effect.provide(withJar)))
})
