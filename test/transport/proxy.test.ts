/**
 * Requests through proxies, over real loopback sockets: plain HTTP in absolute form through an
 * HTTP proxy, HTTPS through a CONNECT tunnel (with TLS to the server inside it), SOCKS5 with
 * and without authentication, the typed errors of a refusing proxy, the pool keyed per proxy,
 * and the proxy picked from the environment.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer } from "effect"
import { Socks5Error } from "../../src/net/socks5.js"
import { Client } from "../../src/transport/Client.js"
import type { TransportConfig } from "../../src/transport/config.js"
import { ProxyConnectError } from "../../src/transport/errors.js"
import { Transport } from "../../src/transport/Transport.js"
import { httpProxy } from "../support/httpProxy.js"
import { socks5Server } from "../support/socks5Server.js"
import { cert, getText, key, peer, text, transportError } from "./peers.js"

const client = (config: TransportConfig) => Client.layer({}).pipe(Layer.provideMerge(Transport.layer({ tls: { ca: cert }, ...config })))

const header = (headers: ReadonlyArray<readonly [string, string]>, name: string): Array<string> =>
  headers.filter(([n]) => n.toLowerCase() === name.toLowerCase()).map(([, v]) => v)

const basic = (user: string, password: string) => "Basic " + Buffer.from(`${user}:${password}`).toString("base64")

const hostsOf = Effect.map(Effect.flatMap(Transport, (t) => t.stats), (s) => Object.keys(s.hosts).sort())

describe("HTTP proxy", () => {
  it.live("plain http goes in absolute form with Proxy-Authorization from the proxy URL; one proxy connection serves two servers", () =>
    Effect.gen(function*() {
      const proxy = yield* httpProxy({ proxyAuthorization: basic("u", "p w") })
      const a = yield* peer(text("from a"))
      const b = yield* peer(text("from b"))
      const proxyUrl = `http://u:p%20w@127.0.0.1:${proxy.port}`
      yield* Effect.gen(function*() {
        expect(yield* getText(`${a.url}/x?q=1`)).toEqual({ status: 200, body: "from a" })
        expect(yield* getText(`${b.url}/y`)).toEqual({ status: 200, body: "from b" })
        expect(yield* hostsOf).toEqual([`http://u:xxxxx@127.0.0.1:${proxy.port}/|http://`])
      }).pipe(Effect.provide(client({ proxy: proxyUrl })))
      expect(proxy.requests.map((r) => [r.method, r.url])).toEqual([["GET", `${a.url}/x?q=1`], ["GET", `${b.url}/y`]])
      expect(proxy.requests.map((r) => header(r.headers, "Proxy-Authorization"))).toEqual([[basic("u", "p w")], [basic("u", "p w")]])
      expect(proxy.requests.map((r) => header(r.headers, "Host"))).toEqual([[`127.0.0.1:${a.port}`], [`127.0.0.1:${b.port}`]])
      expect(proxy.accepted()).toBe(1)
      // The servers saw origin-form requests from the proxy, without the proxy's credentials.
      expect(a.seen[0]!.url).toBe("/x?q=1")
      expect(a.seen[0]!.headers["proxy-authorization"]).toBeUndefined()
    }).pipe(Effect.scoped))

  it.live("https goes through a CONNECT tunnel; TLS to the server is verified inside it and the tunnel is reused", () =>
    Effect.gen(function*() {
      const proxy = yield* httpProxy({ proxyAuthorization: basic("user", "secret") })
      const server = yield* peer(text("tunnelled"), {})
      yield* Effect.gen(function*() {
        expect(yield* getText(`https://localhost:${server.port}/1`)).toEqual({ status: 200, body: "tunnelled" })
        expect(yield* getText(`https://localhost:${server.port}/2`)).toEqual({ status: 200, body: "tunnelled" })
      }).pipe(Effect.provide(client({
        proxy: `http://user:secret@127.0.0.1:${proxy.port}`,
        proxyConnectHeader: { "X-Tunnel-Tag": "t1" }
      })))
      expect(proxy.requests.map((r) => [r.method, r.url])).toEqual([["CONNECT", `localhost:${server.port}`]])
      const connect = proxy.requests[0]!
      expect(header(connect.headers, "Host")).toEqual([`localhost:${server.port}`])
      expect(header(connect.headers, "Proxy-Authorization")).toEqual([basic("user", "secret")])
      expect(header(connect.headers, "X-Tunnel-Tag")).toEqual(["t1"])
      expect(server.seen.map((s) => [s.url, s.servername, s.alpn])).toEqual([["/1", "localhost", "http/1.1"], ["/2", "localhost", "http/1.1"]])
      expect(server.connections()).toBe(1)
    }).pipe(Effect.scoped))

  it.live("a proxy refusing CONNECT fails in phase proxy with its status; the server is never reached", () =>
    Effect.gen(function*() {
      const proxy = yield* httpProxy({ connectReply: { status: 403, body: "forbidden here" } })
      const server = yield* peer(text("never"), {})
      const error = yield* transportError(`https://localhost:${server.port}/`).pipe(Effect.provide(client({ proxy: `http://127.0.0.1:${proxy.port}` })))
      expect(error.phase).toBe("proxy")
      expect(error.reason).toBe("proxy-refused")
      expect(error.cause).toBeInstanceOf(ProxyConnectError)
      expect((error.cause as ProxyConnectError).status).toBe(403)
      expect((error.cause as ProxyConnectError).target).toBe(`localhost:${server.port}`)
      expect(server.seen).toEqual([])
    }).pipe(Effect.scoped))

  it.live("a proxy asking for credentials (407) is a typed error too; the proxy URL's password is redacted", () =>
    Effect.gen(function*() {
      const proxy = yield* httpProxy({ proxyAuthorization: basic("user", "right") })
      const server = yield* peer(text("never"), {})
      const error = yield* transportError(`https://localhost:${server.port}/`).pipe(
        Effect.provide(client({ proxy: `http://user:wrong@127.0.0.1:${proxy.port}` }))
      )
      expect((error.cause as ProxyConnectError).status).toBe(407)
      expect(error.message).toContain("user:xxxxx@")
      expect(error.message).not.toContain("wrong")
    }).pipe(Effect.scoped))

  it.live("a proxy that cannot be reached fails in phase dial, naming the proxy", () =>
    Effect.gen(function*() {
      const server = yield* peer(text("never"))
      // A port just released by a server: nothing listens there.
      const closed = yield* Effect.scoped(Effect.map(peer(text("")), (p) => p.port))
      const error = yield* transportError(`${server.url}/`).pipe(Effect.provide(client({ proxy: `http://127.0.0.1:${closed}` })))
      expect(error.phase).toBe("dial")
      expect(error.reason).toBe("refused")
      expect(error.detail).toContain(`proxy http://127.0.0.1:${closed}/`)
    }).pipe(Effect.scoped))
})

describe("HTTPS proxy (TLS to the proxy)", () => {
  it.live("plain http in absolute form and https through a tunnel, both over TLS to the proxy, verified", () =>
    Effect.gen(function*() {
      const proxy = yield* httpProxy({ tls: { key, cert } })
      const plain = yield* peer(text("plain via tls proxy"))
      const secure = yield* peer(text("tls in tls"), {})
      yield* Effect.gen(function*() {
        expect(yield* getText(`${plain.url}/p`)).toEqual({ status: 200, body: "plain via tls proxy" })
        expect(yield* getText(`https://localhost:${secure.port}/s`)).toEqual({ status: 200, body: "tls in tls" })
      }).pipe(Effect.provide(client({ proxy: `https://localhost:${proxy.port}` })))
      expect(proxy.requests.map((r) => [r.method, r.url])).toEqual([["GET", `${plain.url}/p`], ["CONNECT", `localhost:${secure.port}`]])
      expect(secure.seen[0]!.servername).toBe("localhost")
    }).pipe(Effect.scoped))

  it.live("an https proxy whose certificate does not verify fails in phase tls-handshake", () =>
    Effect.gen(function*() {
      const proxy = yield* httpProxy({ tls: { key, cert } })
      const server = yield* peer(text("never"))
      const error = yield* transportError(`${server.url}/`).pipe(
        Effect.provide(Client.layer({}).pipe(Layer.provideMerge(Transport.layer({ proxy: `https://localhost:${proxy.port}` }))))
      )
      expect(error.phase).toBe("tls-handshake")
      expect(error.reason).toBe("certificate")
      expect(proxy.requests).toEqual([])
    }).pipe(Effect.scoped))
})

describe("SOCKS5 proxy", () => {
  it.live("http and https through SOCKS5 without authentication; the server's name goes to the proxy", () =>
    Effect.gen(function*() {
      const socks = yield* socks5Server()
      const plain = yield* peer(text("plain via socks"))
      const secure = yield* peer(text("tls via socks"), {})
      yield* Effect.gen(function*() {
        expect(yield* getText(`http://localhost:${plain.port}/`)).toEqual({ status: 200, body: "plain via socks" })
        expect(yield* getText(`https://localhost:${secure.port}/`)).toEqual({ status: 200, body: "tls via socks" })
        expect(yield* getText(`http://localhost:${plain.port}/again`)).toEqual({ status: 200, body: "plain via socks" })
      }).pipe(Effect.provide(client({ proxy: `socks5://127.0.0.1:${socks.port}` })))
      // ATYP 3: a domain name, resolved by the proxy (Go's SOCKS5 dialer sends names).
      expect(socks.connects.map((c) => [c.addressType, c.host, c.port])).toEqual([
        [3, "localhost", plain.port],
        [3, "localhost", secure.port]
      ])
      expect(socks.accepted()).toBe(2)
      expect(secure.seen[0]!.servername).toBe("localhost")
    }).pipe(Effect.scoped))

  it.live("SOCKS5 with username and password (RFC 1929) from the proxy URL", () =>
    Effect.gen(function*() {
      const socks = yield* socks5Server({ auth: { username: "alice", password: "s3cret" } })
      const server = yield* peer(text("authenticated"))
      const ok = yield* getText(`${server.url}/`).pipe(Effect.provide(client({ proxy: `socks5://alice:s3cret@127.0.0.1:${socks.port}` })))
      expect(ok).toEqual({ status: 200, body: "authenticated" })
      // ATYP 1: an IPv4 literal.
      expect(socks.connects.map((c) => [c.username, c.addressType, c.host])).toEqual([["alice", 1, "127.0.0.1"]])
      const error = yield* transportError(`${server.url}/`).pipe(Effect.provide(client({ proxy: `socks5h://alice:wrong@127.0.0.1:${socks.port}` })))
      expect(error.phase).toBe("proxy")
      expect(error.reason).toBe("proxy-refused")
      expect((error.cause as Socks5Error).reason).toBe("auth-failed")
    }).pipe(Effect.scoped))

  it.live("a SOCKS5 server refusing the connection: phase proxy, its reply code in the cause", () =>
    Effect.gen(function*() {
      const socks = yield* socks5Server({ reply: 5 })
      const error = yield* transportError("http://127.0.0.1:9/").pipe(Effect.provide(client({ proxy: `socks5://127.0.0.1:${socks.port}` })))
      expect(error.phase).toBe("proxy")
      expect(error.reason).toBe("proxy-refused")
      expect(error.cause).toBeInstanceOf(Socks5Error)
      expect((error.cause as Socks5Error).reply).toBe(5)
    }).pipe(Effect.scoped))
})

describe("the pool is keyed per proxy", () => {
  it.live("one server through two proxies and directly: three connections, three pool keys", () =>
    Effect.gen(function*() {
      const p1 = yield* socks5Server()
      const p2 = yield* socks5Server()
      const server = yield* peer(text("same server"))
      const url = `${server.url}/`
      const choice = (n: number) => n === 1 ? new URL(`socks5://127.0.0.1:${p1.port}`) : n === 2 ? new URL(`socks5://127.0.0.1:${p2.port}`) : undefined
      let next = 0
      const order = [1, 2, 0, 1, 2, 0]
      yield* Effect.gen(function*() {
        for (let i = 0; i < order.length; i++) expect((yield* getText(url)).body).toBe("same server")
        expect(yield* hostsOf).toEqual([
          `http://127.0.0.1:${server.port}`,
          `socks5://127.0.0.1:${p1.port}|http://127.0.0.1:${server.port}`,
          `socks5://127.0.0.1:${p2.port}|http://127.0.0.1:${server.port}`
        ].sort())
      }).pipe(Effect.provide(client({ proxy: () => choice(order[next++ % order.length]!) })))
      expect(server.connections()).toBe(3)
      expect([p1.accepted(), p2.accepted()]).toEqual([1, 1])
    }).pipe(Effect.scoped))
})

describe("proxies from the environment", () => {
  it.live("HTTP_PROXY carries a request to a non-loopback host; loopback and NO_PROXY hosts go directly", () =>
    Effect.gen(function*() {
      const proxy = yield* httpProxy()
      const server = yield* peer(text("direct"))
      const env = { HTTP_PROXY: `127.0.0.1:${proxy.port}`, NO_PROXY: "skip.test" }
      yield* Effect.gen(function*() {
        // The test proxy forwards only to loopback: it answers 403 for this one, after recording it.
        expect((yield* getText("http://example.test/path")).status).toBe(403)
        expect(yield* getText(`${server.url}/`)).toEqual({ status: 200, body: "direct" })
        const skipped = yield* transportError("http://skip.test:1/")
        expect(skipped.phase).toBe("dial")
      }).pipe(Effect.provide(client({ env })))
      expect(proxy.requests.map((r) => r.url)).toEqual(["http://example.test/path"])
      expect(server.seen.length).toBe(1)
    }).pipe(Effect.scoped))

  it.live("an invalid proxy in the settings fails the Layer build; one answered by a proxy function fails the request in phase request", () =>
    Effect.gen(function*() {
      for (const proxy of ["ftp://proxy.test", "http://", "proxy .test:80", new URL("file:///tmp/x")]) {
        const built = yield* Effect.exit(Layer.build(Transport.layer({ proxy })))
        expect(Exit.isFailure(built)).toBe(true)
        const error = Exit.isFailure(built) && built.cause._tag === "Fail" ? built.cause.error : undefined
        expect(error).toMatchObject({ _tag: "InvalidConfig", component: "Transport", field: "proxy" })
      }
      const answered = yield* transportError("http://example.test/").pipe(Effect.provide(client({ proxy: () => new URL("file:///tmp/x") })))
      expect([answered.phase, answered.reason]).toEqual(["request", "invalid-request"])
      expect(answered.detail).toContain("unsupported scheme")
    }).pipe(Effect.scoped))

  it.live("an invalid proxy setting fails the request in phase request", () =>
    Effect.gen(function*() {
      const error = yield* transportError("http://example.test/").pipe(Effect.provide(client({ env: { HTTP_PROXY: "ftp://proxy.test" } })))
      expect(error.phase).toBe("request")
      expect(error.reason).toBe("invalid-request")
      expect(error.detail).toContain("HTTP_PROXY")
    }).pipe(Effect.scoped))
})
