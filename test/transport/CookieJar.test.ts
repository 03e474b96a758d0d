/**
 * The CookieJar service: Go's net/http/cookiejar behaviour (RFC 6265) over tough-cookie —
 * host-only and Domain cookies, public suffixes, paths, Secure, expiry on the TestClock,
 * replacement and deletion, ordering, IP hosts, garbage — and one round trip over loopback.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { CookieJar, type CookieJarOptions, type CookieJarService } from "../../src/transport/CookieJar.js"

const url = (s: string): URL => new URL(s)

/** Runs `f` with a new jar. */
const withJar = <A, E>(f: (jar: CookieJarService) => Effect.Effect<A, E>, options?: CookieJarOptions) =>
  Effect.flatMap(CookieJar.make(options), f)

/** The Cookie header `jar` sends to `u`. */
const header = (jar: CookieJarService, u: string) => jar.cookieHeader(url(u))

describe("domains", () => {
  it.effect("a Domain cookie is sent to sibling hosts; a host-only cookie only to its host", () =>
    withJar((jar) =>
      Effect.gen(function*() {
        yield* jar.setCookies(url("http://a.example.com/"), ["dom=1; Domain=example.com", "host=2"])
        expect(yield* header(jar, "http://a.example.com/")).toBe("dom=1; host=2")
        expect(yield* header(jar, "http://b.example.com/")).toBe("dom=1")
        expect(yield* header(jar, "http://example.com/")).toBe("dom=1")
        expect(yield* header(jar, "http://x.a.example.com/")).toBe("dom=1")
        expect(yield* header(jar, "http://notexample.com/")).toBeUndefined()
        expect(yield* header(jar, "http://A.EXAMPLE.COM:8080/")).toBe("dom=1; host=2")
        // A trailing dot on the host is dropped, as Go's canonicalHost does.
        expect(yield* header(jar, "http://a.example.com./")).toBe("dom=1; host=2")
        yield* jar.setCookies(url("http://c.example.com./"), ["dot=3"])
        expect(yield* header(jar, "http://c.example.com/")).toBe("dom=1; dot=3")
      })
    ))

  it.effect("a leading dot and upper case in Domain are ignored", () =>
    withJar((jar) =>
      Effect.gen(function*() {
        yield* jar.setCookies(url("http://a.example.com/"), ["d=1; Domain=.EXAMPLE.com"])
        expect(yield* header(jar, "http://b.example.com/")).toBe("d=1")
      })
    ))

  it.effect("a Domain that does not domain-match the host is rejected", () =>
    withJar((jar) =>
      Effect.gen(function*() {
        yield* jar.setCookies(url("http://a.example.com/"), [
          "other=1; Domain=other.com",
          "sibling=2; Domain=b.example.com",
          "child=3; Domain=x.a.example.com",
          "suffix=4; Domain=ample.com"
        ])
        for (const u of ["http://a.example.com/", "http://other.com/", "http://b.example.com/", "http://x.a.example.com/", "http://ample.com/"]) {
          expect(yield* header(jar, u)).toBeUndefined()
        }
      })
    ))

  it.effect("a public suffix as Domain is rejected (com, co.uk, github.io)", () =>
    withJar((jar) =>
      Effect.gen(function*() {
        yield* jar.setCookies(url("http://www.example.com/"), ["c=1; Domain=com"])
        yield* jar.setCookies(url("http://www.example.co.uk/"), ["u=1; Domain=co.uk"])
        yield* jar.setCookies(url("http://me.github.io/"), ["g=1; Domain=github.io"])
        expect(yield* header(jar, "http://www.example.com/")).toBeUndefined()
        expect(yield* header(jar, "http://other.com/")).toBeUndefined()
        expect(yield* header(jar, "http://www.example.co.uk/")).toBeUndefined()
        expect(yield* header(jar, "http://other.co.uk/")).toBeUndefined()
        expect(yield* header(jar, "http://me.github.io/")).toBeUndefined()
        // The registrable domain itself is fine.
        yield* jar.setCookies(url("http://www.example.co.uk/"), ["ok=1; Domain=example.co.uk"])
        expect(yield* header(jar, "http://shop.example.co.uk/")).toBe("ok=1")
      })
    ))

  it.effect("a Domain equal to a public-suffix host makes a host-only cookie (Go's exception)", () =>
    withJar((jar) =>
      Effect.gen(function*() {
        yield* jar.setCookies(url("https://github.io/"), ["g=1; Domain=github.io"])
        expect(yield* header(jar, "https://github.io/")).toBe("g=1")
        expect(yield* header(jar, "https://me.github.io/")).toBeUndefined()
      })
    ))

  it.effect("with rejectPublicSuffixes false a public suffix Domain is accepted", () =>
    withJar((jar) =>
      Effect.gen(function*() {
        yield* jar.setCookies(url("http://www.example.co.uk/"), ["u=1; Domain=co.uk", "s=2; Domain=co.uk; Path=/p; Secure"])
        yield* jar.setCookies(url("http://co.uk/"), ["h=3"])
        expect(yield* header(jar, "http://other.co.uk/")).toBe("u=1")
        expect(yield* header(jar, "https://a.b.co.uk/p/q")).toBe("s=2; u=1")
        expect(yield* header(jar, "http://www.example.co.uk/")).toBe("u=1")
        expect(yield* header(jar, "http://co.uk/")).toBe("u=1; h=3")
        expect(yield* header(jar, "http://other.uk/")).toBeUndefined()
        yield* jar.setCookies(url("http://x.localhost/"), ["l=4; Domain=localhost"])
        expect(yield* header(jar, "http://y.localhost/")).toBe("l=4")
        yield* jar.setCookies(url("http://www.example.co.uk/"), ["u=1; Domain=co.uk; Max-Age=0"])
        expect(yield* header(jar, "http://other.co.uk/")).toBeUndefined()
      }), { rejectPublicSuffixes: false }))

  it.effect("localhost receives cookies; a single-label Domain is never a domain cookie", () =>
    withJar((jar) =>
      Effect.gen(function*() {
        yield* jar.setCookies(url("http://localhost:3000/"), ["a=1", "b=2; Domain=localhost"])
        expect(yield* header(jar, "http://localhost:4000/")).toBe("a=1; b=2")
        expect(yield* header(jar, "http://x.localhost/")).toBeUndefined()
        yield* jar.setCookies(url("http://x.localhost/"), ["c=3; Domain=localhost"])
        expect(yield* header(jar, "http://localhost/")).toBe("a=1; b=2")
      })
    ))

  it.effect("IP-address hosts: host-only; a Domain must equal the host", () =>
    withJar((jar) =>
      Effect.gen(function*() {
        yield* jar.setCookies(url("http://127.0.0.1:8080/"), [
          "plain=1",
          "same=2; Domain=127.0.0.1",
          "dotted=3; Domain=.127.0.0.1",
          "partial=4; Domain=0.0.1",
          "name=5; Domain=localhost"
        ])
        expect(yield* header(jar, "http://127.0.0.1/")).toBe("plain=1; same=2")
        expect(yield* header(jar, "http://127.0.0.2/")).toBeUndefined()
        expect(yield* header(jar, "http://localhost/")).toBeUndefined()
        yield* jar.setCookies(url("http://[::1]:8080/"), ["six=6", "sixdom=7; Domain=::1"])
        expect(yield* header(jar, "http://[::1]/")).toBe("six=6; sixdom=7")
        expect(yield* header(jar, "http://127.0.0.1/")).toBe("plain=1; same=2")
      })
    ))

  it.effect("only http and https URLs store and receive cookies", () =>
    withJar((jar) =>
      Effect.gen(function*() {
        yield* jar.setCookies(url("ftp://example.com/"), ["f=1"])
        yield* jar.setCookies(url("ws://example.com/"), ["w=1"])
        expect(yield* header(jar, "http://example.com/")).toBeUndefined()
        yield* jar.setCookies(url("http://example.com/"), ["h=1"])
        expect(yield* header(jar, "ws://example.com/")).toBeUndefined()
        expect(yield* header(jar, "https://example.com/")).toBe("h=1")
      })
    ))
})

describe("paths", () => {
  it.effect("the default path is the request path up to its last slash (RFC 6265 §5.1.4)", () =>
    withJar((jar) =>
      Effect.gen(function*() {
        yield* jar.setCookies(url("http://example.com/docs/page?q=1"), ["d=1"])
        yield* jar.setCookies(url("http://example.com/top"), ["t=2"])
        yield* jar.setCookies(url("http://example.com/rel/x"), ["r=3; Path=relative"])
        expect(yield* header(jar, "http://example.com/docs")).toBe("d=1; t=2")
        expect(yield* header(jar, "http://example.com/docs/other")).toBe("d=1; t=2")
        expect(yield* header(jar, "http://example.com/doc")).toBe("t=2")
        expect(yield* header(jar, "http://example.com/rel/y")).toBe("r=3; t=2")
        expect(yield* header(jar, "http://example.com")).toBe("t=2")
      })
    ))

  it.effect("Path=/foo matches /foo and /foo/bar but not /foobar", () =>
    withJar((jar) =>
      Effect.gen(function*() {
        yield* jar.setCookies(url("http://example.com/"), ["p=1; Path=/foo"])
        expect(yield* header(jar, "http://example.com/foo")).toBe("p=1")
        expect(yield* header(jar, "http://example.com/foo/")).toBe("p=1")
        expect(yield* header(jar, "http://example.com/foo/bar")).toBe("p=1")
        expect(yield* header(jar, "http://example.com/foobar")).toBeUndefined()
        expect(yield* header(jar, "http://example.com/")).toBeUndefined()
        expect(yield* header(jar, "http://example.com/Foo")).toBeUndefined()
      })
    ))
})

describe("Secure and HttpOnly", () => {
  it.effect("Secure cookies go over https only, not to http://localhost or loopback", () =>
    withJar((jar) =>
      Effect.gen(function*() {
        yield* jar.setCookies(url("https://example.com/"), ["s=1; Secure", "n=2"])
        expect(yield* header(jar, "https://example.com/")).toBe("s=1; n=2")
        expect(yield* header(jar, "http://example.com/")).toBe("n=2")
        yield* jar.setCookies(url("https://localhost/"), ["ls=1; Secure"])
        expect(yield* header(jar, "http://localhost/")).toBeUndefined()
        expect(yield* header(jar, "https://localhost/")).toBe("ls=1")
        yield* jar.setCookies(url("https://127.0.0.1/"), ["ip=1; Secure"])
        expect(yield* header(jar, "http://127.0.0.1/")).toBeUndefined()
      })
    ))

  it.effect("a Secure cookie set over http is stored and sent over https only (as Go)", () =>
    withJar((jar) =>
      Effect.gen(function*() {
        yield* jar.setCookies(url("http://example.com/"), ["s=1; Secure"])
        expect(yield* header(jar, "http://example.com/")).toBeUndefined()
        expect(yield* header(jar, "https://example.com/")).toBe("s=1")
      })
    ))

  it.effect("HttpOnly cookies are sent (an HTTP API); SameSite is not enforced", () =>
    withJar((jar) =>
      Effect.gen(function*() {
        yield* jar.setCookies(url("http://example.com/"), ["h=1; HttpOnly", "s=2; SameSite=Strict"])
        expect(yield* header(jar, "http://example.com/")).toBe("h=1; s=2")
      })
    ))
})

describe("expiry on the TestClock", () => {
  it.effect("Max-Age: kept until that many seconds have passed", () =>
    withJar((jar) =>
      Effect.gen(function*() {
        yield* TestClock.adjust("1000 seconds")
        yield* jar.setCookies(url("http://example.com/"), ["m=1; Max-Age=60", "session=2"])
        // Reading does not extend the lifetime.
        for (let i = 0; i < 59; i++) {
          yield* TestClock.adjust("1 second")
          expect(yield* header(jar, "http://example.com/")).toBe("m=1; session=2")
        }
        yield* TestClock.adjust("1 second")
        expect(yield* header(jar, "http://example.com/")).toBe("session=2")
        yield* TestClock.adjust("3650 days")
        expect(yield* jar.cookies(url("http://example.com/"))).toEqual([{ name: "session", value: "2" }])
      })
    ))

  it.effect("Expires: kept until that instant", () =>
    withJar((jar) =>
      Effect.gen(function*() {
        const at = new Date(120_000).toUTCString() // Thu, 01 Jan 1970 00:02:00 GMT
        yield* jar.setCookies(url("http://example.com/"), [`e=1; Expires=${at}`])
        yield* TestClock.adjust("119 seconds")
        expect(yield* header(jar, "http://example.com/")).toBe("e=1")
        yield* TestClock.adjust("1 second")
        expect(yield* header(jar, "http://example.com/")).toBeUndefined()
      })
    ))

  it.effect("Max-Age wins over Expires", () =>
    withJar((jar) =>
      Effect.gen(function*() {
        yield* TestClock.adjust("1000 seconds")
        yield* jar.setCookies(url("http://example.com/"), [
          "short=1; Expires=Fri, 01 Jan 2100 00:00:00 GMT; Max-Age=10",
          "long=2; Max-Age=100; Expires=Thu, 01 Jan 1970 00:00:01 GMT"
        ])
        expect(yield* header(jar, "http://example.com/")).toBe("short=1; long=2")
        yield* TestClock.adjust("10 seconds")
        expect(yield* header(jar, "http://example.com/")).toBe("long=2")
      })
    ))

  it.effect("Max-Age=0, a negative Max-Age and a past Expires delete the stored cookie", () =>
    withJar((jar) =>
      Effect.gen(function*() {
        yield* TestClock.adjust("1000 seconds")
        const u = url("http://example.com/")
        yield* jar.setCookies(u, ["a=1", "b=2", "c=3", "d=4"])
        yield* jar.setCookies(u, ["a=x; Max-Age=0", "b=x; Max-Age=-1", "c=x; Expires=Thu, 01 Jan 1970 00:00:01 GMT"])
        expect(yield* header(jar, "http://example.com/")).toBe("d=4")
        // A deletion with another path leaves the cookie alone; deleting what is not there stores nothing.
        yield* jar.setCookies(u, ["d=x; Max-Age=0; Path=/other", "z=1; Max-Age=0"])
        expect(yield* jar.cookies(u)).toEqual([{ name: "d", value: "4" }])
        // As in Go, the id is domain, path and name: Domain=example.com names the host-only cookie too.
        yield* jar.setCookies(u, ["d=x; Max-Age=0; Domain=example.com"])
        expect(yield* header(jar, "http://example.com/")).toBeUndefined()
      })
    ))
})

describe("replacement and order", () => {
  it.effect("a cookie with the same name, domain and path replaces the old one and keeps its place", () =>
    withJar((jar) =>
      Effect.gen(function*() {
        const u = url("http://www.example.com/")
        yield* jar.setCookies(u, ["a=1", "b=2"])
        yield* TestClock.adjust("1 second")
        yield* jar.setCookies(u, ["a=3"])
        expect(yield* header(jar, "http://www.example.com/")).toBe("a=3; b=2")
        // Another path or another domain is another cookie.
        yield* jar.setCookies(u, ["a=4; Path=/x", "a=5; Domain=example.com"])
        expect(yield* header(jar, "http://www.example.com/x")).toBe("a=4; a=3; b=2; a=5")
        // The replacement may change attributes: now Secure.
        yield* jar.setCookies(u, ["b=6; Secure"])
        expect(yield* header(jar, "http://www.example.com/")).toBe("a=3; a=5")
        expect(yield* header(jar, "https://www.example.com/")).toBe("a=3; b=6; a=5")
      })
    ))

  it.effect("order: longest path first, then earliest created (RFC 6265 §5.4)", () =>
    withJar((jar) =>
      Effect.gen(function*() {
        const u = url("http://example.com/")
        yield* jar.setCookies(u, ["root1=1"])
        yield* TestClock.adjust("1 second")
        yield* jar.setCookies(u, ["deep=2; Path=/foo/bar", "mid=3; Path=/foo"])
        yield* TestClock.adjust("1 second")
        yield* jar.setCookies(u, ["root2=4", "mid2=5; Path=/foo/"])
        // Same creation instant: the order they were set in.
        yield* jar.setCookies(u, ["root3=6", "root4=7"])
        expect(yield* header(jar, "http://example.com/foo/bar/baz")).toBe(
          "deep=2; mid2=5; mid=3; root1=1; root2=4; root3=6; root4=7"
        )
        expect(yield* jar.cookies(url("http://example.com/foo"))).toEqual([
          { name: "mid", value: "3" },
          { name: "root1", value: "1" },
          { name: "root2", value: "4" },
          { name: "root3", value: "6" },
          { name: "root4", value: "7" }
        ])
      })
    ))

  it.effect("several Set-Cookie values at once, each one cookie (never split at commas)", () =>
    withJar((jar) =>
      Effect.gen(function*() {
        yield* jar.setCookies(url("http://example.com/"), [
          "a=1; Expires=Wed, 21 Oct 2099 07:28:00 GMT; Path=/",
          "b=2; Path=/; HttpOnly",
          "c=3"
        ])
        expect(yield* header(jar, "http://example.com/")).toBe("a=1; b=2; c=3")
        yield* jar.setCookies(url("http://example.com/"), [])
        expect(yield* header(jar, "http://example.com/")).toBe("a=1; b=2; c=3")
      })
    ))
})

describe("values and garbage", () => {
  it.effect("garbage values are ignored without failing; the good ones are kept", () =>
    withJar((jar) =>
      Effect.gen(function*() {
        const u = url("http://example.com/")
        yield* jar.setCookies(u, [
          "",
          "garbage",
          "=novalue",
          ";;;",
          "\u0000a=1",
          "bad name=1",
          "semi\"colon=1",
          "ctl=a\u0001b",
          "utf=caf\u00e9",
          "back=a\\b",
          "ok=1; Domain=",
          "x".repeat(10_000),
          "good=1"
        ])
        expect(yield* header(jar, "http://example.com/")).toBe("ok=1; good=1")
      })
    ))

  it.effect("values with spaces or commas are quoted in the header, as Go; quotes are kept", () =>
    withJar((jar) =>
      Effect.gen(function*() {
        const u = url("http://example.com/")
        yield* jar.setCookies(u, ["sp=a b", "cm=a,b", "q=\"quoted\"", "e="])
        expect(yield* header(jar, "http://example.com/")).toBe("sp=\"a b\"; cm=\"a,b\"; q=\"quoted\"; e=")
        expect(yield* jar.cookies(u)).toEqual([
          { name: "sp", value: "a b" },
          { name: "cm", value: "a,b" },
          { name: "q", value: "quoted" },
          { name: "e", value: "" }
        ])
      })
    ))

  it.effect("an empty jar: cookieHeader is undefined and cookies is empty", () =>
    withJar((jar) =>
      Effect.gen(function*() {
        expect(yield* header(jar, "http://example.com/")).toBeUndefined()
        expect(yield* jar.cookies(url("http://example.com/"))).toEqual([])
      })
    ))

  it.effect("the Layer provides one jar to every user", () =>
    Effect.gen(function*() {
      const first = yield* CookieJar
      yield* first.setCookies(url("http://example.com/"), ["a=1"])
      const second = yield* CookieJar
      expect(yield* second.cookieHeader(url("http://example.com/"))).toBe("a=1")
    }).pipe(Effect.provide(CookieJar.layer())))
})

describe("over loopback", () => {
  /** A GET with node:http (no agent: the socket closes after the response). */
  const get = (port: number, path: string, cookie: string | undefined) =>
    Effect.async<{ readonly setCookie: ReadonlyArray<string>; readonly body: string }, Error>((resume) => {
      const req = http.get(
        { host: "127.0.0.1", port, path, agent: false, headers: cookie === undefined ? {} : { cookie } },
        (res) => {
          const chunks: Array<Buffer> = []
          res.on("data", (c: Buffer) => chunks.push(c))
          res.on("end", () =>
            resume(Effect.succeed({ setCookie: res.headers["set-cookie"] ?? [], body: Buffer.concat(chunks).toString("latin1") }))
          )
          res.on("error", (e) => resume(Effect.fail(e)))
        }
      )
      req.on("error", (e) => resume(Effect.fail(e)))
      return Effect.sync(() => req.destroy())
    })

  /** A server that sets two cookies on /login and echoes the Cookie it receives. */
  const server = Effect.acquireRelease(
    Effect.async<http.Server>((resume) => {
      const s = http.createServer((req, res) => {
        if (req.url === "/login") {
          res.setHeader("Set-Cookie", [
            "sid=abc123; Path=/; HttpOnly",
            "pref=dark; Expires=Wed, 21 Oct 2099 07:28:00 GMT; Path=/"
          ])
          res.end("ok")
        } else {
          res.end(`cookie: ${req.headers.cookie ?? "(none)"}`)
        }
      })
      s.listen(0, "127.0.0.1", () => resume(Effect.succeed(s)))
    }),
    (s) =>
      Effect.async<void>((resume) => {
        s.close(() => resume(Effect.void))
        s.closeAllConnections()
      })
  )

  it.live("cookies from two Set-Cookie fields (one with a comma in its Expires) are sent back", () =>
    Effect.gen(function*() {
      const s = yield* server
      const port = (s.address() as AddressInfo).port
      const jar = yield* CookieJar.make()
      const base = `http://127.0.0.1:${port}`

      const login = yield* get(port, "/login", yield* jar.cookieHeader(new URL(`${base}/login`)))
      expect(login.setCookie).toHaveLength(2)
      yield* jar.setCookies(new URL(`${base}/login`), login.setCookie)

      const cookie = yield* jar.cookieHeader(new URL(`${base}/echo`))
      expect(cookie).toBe("sid=abc123; pref=dark")
      const echo = yield* get(port, "/echo", cookie)
      expect(echo.body).toBe("cookie: sid=abc123; pref=dark")
    }).pipe(Effect.scoped))
})
