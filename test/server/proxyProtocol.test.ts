/**
 * The Server behind an L4 balancer: `proxyProtocol` over raw loopback sockets. v1 (TCP4,
 * TCP6, UNKNOWN) and v2 (TCP4, TCP6, LOCAL, with TLVs) headers put the client's address in
 * `request.remoteAddress`/`remotePort` (and the balancer's in `localAddress`/`localPort`);
 * a header split across writes, a header with pipelined requests in the same write, TLS and
 * h2 after the header, h2c after the header; malformed headers, untrusted peers and headers
 * that do not arrive in time (TestClock) close the connection without an HTTP answer.
 */
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Either, Exit, TestClock } from "effect"
import * as http2 from "node:http2"
import * as net from "node:net"
import * as tls from "node:tls"
import { crc32c, type ProxyProtocolOptions, V2_SIGNATURE } from "../../src/net/proxyProtocol.js"
import { type ConnInfo, validateServerOptions } from "../../src/server/config.js"
import { Server } from "../../src/server/Server.js"
import type { ServerRequest } from "../../src/server/ServerRequest.js"
import * as ServerResponse from "../../src/server/ServerResponse.js"
import { TEST_CERT, TEST_KEY } from "../../src/testing/testCert.js"
import { get, rawConnect, realSleep, startServer } from "./rawClient.js"

/** Answers with what the server knows of the connection: "remote port local port". */
const handler = (request: ServerRequest) =>
  Effect.succeed(ServerResponse.text(`${request.remoteAddress} ${request.remotePort} ${request.localAddress} ${request.localPort}`))

const trusted = { trusted: ["127.0.0.1"] }

const latin1 = (s: string) => Buffer.from(s, "latin1")

const v2 = (command: number, famByte: number, block: Uint8Array, tlvs: Uint8Array = new Uint8Array(0), withCrc = false): Buffer => {
  const body = Buffer.concat([block, tlvs, withCrc ? Buffer.of(0x03, 0, 4, 0, 0, 0, 0) : Buffer.alloc(0)])
  const header = Buffer.concat([Buffer.from(V2_SIGNATURE), Buffer.of(0x20 | command, famByte, body.length >> 8, body.length & 0xff), body])
  if (withCrc) header.writeUInt32BE(crc32c(header), header.length - 4)
  return header
}

const v2Tcp4 = (src: string, dst: string, sport: number, dport: number, tlvs?: Uint8Array, withCrc?: boolean) => {
  const block = Buffer.alloc(12)
  src.split(".").forEach((o, i) => block.writeUInt8(Number(o), i))
  dst.split(".").forEach((o, i) => block.writeUInt8(Number(o), 4 + i))
  block.writeUInt16BE(sport, 8)
  block.writeUInt16BE(dport, 10)
  return v2(1, 0x11, block, tlvs, withCrc)
}

/** 2001:db8::7 -> 2001:db8::1, ports given. */
const v2Tcp6 = (sport: number, dport: number) => {
  const block = Buffer.alloc(36)
  block.writeUInt16BE(0x2001, 0)
  block.writeUInt16BE(0x0db8, 2)
  block.writeUInt16BE(7, 14)
  block.writeUInt16BE(0x2001, 16)
  block.writeUInt16BE(0x0db8, 18)
  block.writeUInt16BE(1, 30)
  block.writeUInt16BE(sport, 32)
  block.writeUInt16BE(dport, 34)
  return v2(1, 0x21, block)
}

/** A TLV of `type` with `value`. */
const tlv = (type: number, value: string) => Buffer.concat([Buffer.of(type, 0, value.length), latin1(value)])

/** A plain socket to 127.0.0.1:`port` that has sent `header`, destroyed with the Scope. */
const proxiedSocket = (port: number, header: Uint8Array) =>
  Effect.acquireRelease(
    Effect.async<net.Socket>((resume) => {
      const socket = net.connect({ host: "127.0.0.1", port })
      socket.on("error", () => {})
      socket.once("connect", () => {
        socket.write(header)
        resume(Effect.succeed(socket))
      })
    }),
    (socket) => Effect.sync(() => socket.destroy())
  )

/** One HTTP/2 GET on `session`: the answer's body; fails after 5 s. */
const h2Get = (session: http2.ClientHttp2Session, path: string) =>
  Effect.async<string, Error>((resume) => {
    const stream = session.request({ ":path": path })
    let body = ""
    stream.setEncoding("utf8")
    stream.on("data", (d: string) => (body += d))
    stream.on("end", () => resume(Effect.succeed(body)))
    stream.on("error", (e) => resume(Effect.fail(e)))
    const timer = setTimeout(() => resume(Effect.fail(new Error("h2 request timed out"))), 5_000)
    stream.on("close", () => clearTimeout(timer))
    return Effect.sync(() => clearTimeout(timer))
  })

/** An HTTP/2 session over `socket` (already connected), destroyed with the Scope. */
const h2Over = (authority: string, socket: net.Socket | tls.TLSSocket) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const session = http2.connect(authority, { createConnection: () => socket })
      session.on("error", () => {})
      return session
    }),
    (session) => Effect.sync(() => session.destroy())
  )

describe("PROXY protocol: the client's address reaches the handler", () => {
  const cases: ReadonlyArray<readonly [string, Uint8Array, string]> = [
    ["v1 TCP4", latin1("PROXY TCP4 203.0.113.7 198.51.100.1 51234 443\r\n"), "203.0.113.7 51234 198.51.100.1 443"],
    ["v1 TCP6 (canonicalized)", latin1("PROXY TCP6 2001:DB8:0:0:0:0:0:7 2001:db8::1 40000 8443\r\n"), "2001:db8::7 40000 2001:db8::1 8443"],
    ["v2 TCP4", v2Tcp4("192.0.2.10", "192.0.2.1", 61000, 80), "192.0.2.10 61000 192.0.2.1 80"],
    ["v2 TCP6", v2Tcp6(1, 65535), "2001:db8::7 1 2001:db8::1 65535"],
    ["v2 TCP4 with TLVs (ALPN, authority, NOOP) and a CRC32C", v2Tcp4("192.0.2.11", "192.0.2.1", 5, 6, Buffer.concat([tlv(0x01, "http/1.1"), tlv(0x02, "example.com"), tlv(0x04, "")]), true), "192.0.2.11 5 192.0.2.1 6"]
  ]
  for (const [name, header, expected] of cases) {
    it.live(name, () =>
      Effect.gen(function*() {
        const server = yield* startServer({ handler, proxyProtocol: trusted })
        const client = yield* rawConnect(server.port)
        yield* client.send(Buffer.concat([header, latin1(get("/"))]))
        const [r] = yield* client.responses(1)
        expect(r?.status).toBe(200)
        expect(r?.body).toBe(expected)
      }).pipe(Effect.scoped))
  }

  it.live("v1 UNKNOWN and v2 LOCAL keep the socket's own addresses", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler, proxyProtocol: trusted })
      for (const header of [latin1("PROXY UNKNOWN\r\n"), latin1("PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n"), v2(0, 0x00, new Uint8Array(0)), v2(0, 0x11, Buffer.alloc(12, 9))]) {
        const socket = yield* proxiedSocket(server.port, header)
        const body = yield* Effect.async<string>((resume) => {
          let data = ""
          socket.on("data", (d: Buffer) => {
            data += d.toString("latin1")
            if (data.includes("\r\n\r\n") && data.endsWith(`${socket.localPort} 127.0.0.1 ${server.port}`)) resume(Effect.succeed(data))
          })
          socket.on("close", () => resume(Effect.succeed(data)))
          socket.write(get("/", "Connection: close\r\n"))
        })
        expect(body.split("\r\n\r\n")[1]).toBe(`127.0.0.1 ${socket.localPort} 127.0.0.1 ${server.port}`)
      }
    }).pipe(Effect.scoped))

  it.live("a header split across writes (one byte at a time, then the rest)", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler, proxyProtocol: trusted })
      for (const header of [latin1("PROXY TCP4 203.0.113.9 198.51.100.1 1000 443\r\n"), v2Tcp4("192.0.2.12", "192.0.2.1", 1001, 443)]) {
        const client = yield* rawConnect(server.port)
        for (let i = 0; i < 17; i++) {
          yield* client.send(header.subarray(i, i + 1))
          yield* realSleep(3)
        }
        yield* client.send(header.subarray(17))
        yield* realSleep(10)
        yield* client.send(get("/"))
        const [r] = yield* client.responses(1)
        expect(r?.body).toMatch(/^(203\.0\.113\.9 1000|192\.0\.2\.12 1001) /)
      }
    }).pipe(Effect.scoped))

  it.live("the header and pipelined requests in one write: every request sees the address", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler, proxyProtocol: trusted })
      const client = yield* rawConnect(server.port)
      yield* client.send(Buffer.concat([latin1("PROXY TCP4 203.0.113.7 198.51.100.1 51234 443\r\n"), latin1(get("/a") + get("/b") + get("/c"))]))
      const rs = yield* client.responses(3)
      expect(rs.map((r) => r.body)).toEqual(Array(3).fill("203.0.113.7 51234 198.51.100.1 443"))
    }).pipe(Effect.scoped))

  it.live("connState and connContext see the header's address (ConnInfo)", () =>
    Effect.gen(function*() {
      const seen: Array<string> = []
      const record = (info: ConnInfo) => seen.push(`${info.remoteAddress}:${info.remotePort}`)
      const server = yield* startServer({
        handler,
        proxyProtocol: trusted,
        connState: (info) => Effect.sync(() => record(info)),
        connContext: (info) => Effect.sync(() => (record(info), Context.empty()))
      })
      const client = yield* rawConnect(server.port)
      yield* client.send(latin1("PROXY TCP4 203.0.113.7 198.51.100.1 51234 443\r\n" + get("/")))
      yield* client.responses(1)
      expect(seen.length).toBeGreaterThanOrEqual(2)
      expect(new Set(seen)).toEqual(new Set(["203.0.113.7:51234"]))
    }).pipe(Effect.scoped))
})

describe("PROXY protocol: connections closed without an answer", () => {
  const malformed: ReadonlyArray<readonly [string, Uint8Array]> = [
    ["no header: a plain request", latin1(get("/"))],
    ["v1 with an IPv4 octet out of range", latin1("PROXY TCP4 203.0.113.256 198.51.100.1 1 2\r\n" + get("/"))],
    ["v1 with a bad port", latin1("PROXY TCP4 203.0.113.1 198.51.100.1 65536 2\r\n" + get("/"))],
    ["v1 too long", latin1(`PROXY UNKNOWN ${"x".repeat(120)}\r\n` + get("/"))],
    ["v2 with an unknown family and PROXY", Buffer.concat([v2(1, 0x41, Buffer.alloc(12)), latin1(get("/"))])],
    ["v2 with a TLV past the end", Buffer.concat([v2(1, 0x11, Buffer.alloc(12), Buffer.of(0x01, 0, 9, 0x61)), latin1(get("/"))])],
    ["v2 with a wrong CRC32C", (() => {
      const h = v2Tcp4("1.2.3.4", "5.6.7.8", 1, 2, undefined, true)
      h[h.length - 1] = h[h.length - 1]! ^ 0xff
      return Buffer.concat([h, latin1(get("/"))])
    })()],
    ["a TLS ClientHello where the header should be", Buffer.of(0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5)]
  ]
  for (const [name, bytes] of malformed) {
    it.live(name, () =>
      Effect.gen(function*() {
        let handled = 0
        const server = yield* startServer({ handler: () => Effect.sync(() => (handled++, ServerResponse.text("no"))), proxyProtocol: trusted })
        const client = yield* rawConnect(server.port)
        yield* client.send(bytes)
        expect(yield* client.closed(3_000)).toBe(true)
        expect(client.received()).toBe("")
        expect(handled).toBe(0)
      }).pipe(Effect.scoped))
  }

  it.live("an untrusted peer is closed at once, unread", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler, proxyProtocol: { trusted: ["10.0.0.0/8", "::1"] } })
      const client = yield* rawConnect(server.port)
      expect(yield* client.closed(3_000)).toBe(true)
      expect(client.received()).toBe("")
      // ... even with a well-formed header.
      const again = yield* rawConnect(server.port)
      yield* again.send(latin1("PROXY TCP4 10.1.1.1 10.0.0.1 1 2\r\n" + get("/")))
      expect(yield* again.closed(3_000)).toBe(true)
      expect(again.received()).toBe("")
    }).pipe(Effect.scoped))

  it.scoped("no complete header within readHeaderTimeout (TestClock): closed; in time: served", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler, proxyProtocol: trusted, readHeaderTimeout: "5 seconds" })
      const slow = yield* rawConnect(server.port)
      yield* slow.send("PROXY TCP4 203.0.113.7 ")
      const silent = yield* rawConnect(server.port)
      yield* realSleep(50)
      yield* TestClock.adjust("4 seconds")
      expect(yield* slow.closed(100)).toBe(false)
      yield* TestClock.adjust("2 seconds")
      expect(yield* slow.closed(3_000)).toBe(true)
      expect(yield* silent.closed(3_000)).toBe(true)
      expect(slow.received() + silent.received()).toBe("")
      // A header that arrived in time is not judged again.
      const quick = yield* rawConnect(server.port)
      yield* quick.send("PROXY TCP4 203.0.113.7 198.51.100.1 51234 443\r\n")
      yield* realSleep(50)
      yield* TestClock.adjust("4 seconds")
      yield* quick.send(get("/"))
      const [r] = yield* quick.responses(1)
      expect(r?.body).toBe("203.0.113.7 51234 198.51.100.1 443")
    }))

  it.scoped("proxyProtocol.timeout overrides readHeaderTimeout for the header", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler, proxyProtocol: { ...trusted, timeout: "1 second" }, readHeaderTimeout: "1 minute" })
      const slow = yield* rawConnect(server.port)
      yield* slow.send("PROXY ")
      yield* realSleep(50)
      yield* TestClock.adjust("1500 millis")
      expect(yield* slow.closed(3_000)).toBe(true)
    }))

  it("validateServerOptions names the proxyProtocol field that is wrong", () => {
    const cases: ReadonlyArray<readonly [unknown, string, unknown]> = [
      [{ trusted: ["10.0.0.0/33"] }, "proxyProtocol.trusted", "10.0.0.0/33"],
      [{ trusted: ["127.0.0.1", "example.com"] }, "proxyProtocol.trusted", "example.com"],
      [{ trusted: "127.0.0.1" }, "proxyProtocol.trusted", "127.0.0.1"],
      [{ trusted: ["127.0.0.1"], timeout: "soon" }, "proxyProtocol.timeout", "soon"],
      [null, "proxyProtocol", null]
    ]
    for (const [proxyProtocol, field, value] of cases) {
      const result = validateServerOptions({ host: "127.0.0.1", port: 0, handler, proxyProtocol: proxyProtocol as ProxyProtocolOptions })
      expect(Either.isLeft(result) && { field: result.left.field, value: result.left.value }).toEqual({ field, value })
    }
    for (const trusted of [[], ["0.0.0.0/0", "::/0"], ["::ffff:10.0.0.0/104"]]) {
      expect(Either.isRight(validateServerOptions({ host: "127.0.0.1", port: 0, handler, proxyProtocol: { trusted, timeout: -1 } }))).toBe(true)
    }
  })

  it.effect("a bad trusted entry or timeout is an InvalidConfig, before listening", () =>
    Effect.gen(function*() {
      for (const proxyProtocol of [{ trusted: ["10.0.0.0/33"] }, { trusted: ["localhost"] }, { trusted: ["127.0.0.1"], timeout: Number.NaN }]) {
        const exit = yield* Effect.exit(Effect.scoped(Server.make({ host: "127.0.0.1", port: 0, handler, proxyProtocol })))
        expect(Exit.isFailure(exit)).toBe(true)
        if (Exit.isFailure(exit)) expect(String(exit.cause)).toMatch(/InvalidConfig|proxyProtocol/)
      }
    }))
})

describe("PROXY protocol: TLS and HTTP/2 after the header", () => {
  it.live("TLS: the header on the plain socket, then the handshake (http/1.1 and h2)", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler, proxyProtocol: trusted, tls: { key: TEST_KEY, cert: TEST_CERT } })
      // HTTP/1.1 over TLS.
      const raw = yield* proxiedSocket(server.port, latin1("PROXY TCP4 203.0.113.7 198.51.100.1 51234 443\r\n"))
      const body = yield* Effect.async<string, Error>((resume) => {
        const secure = tls.connect({ socket: raw, ca: TEST_CERT, servername: "localhost", ALPNProtocols: ["http/1.1"] })
        let data = ""
        secure.on("error", (e) => resume(Effect.fail(e)))
        secure.on("secureConnect", () => secure.write(get("/", "Connection: close\r\n")))
        secure.on("data", (d: Buffer) => (data += d.toString("latin1")))
        secure.on("end", () => resume(Effect.succeed(data)))
      })
      expect(body.split("\r\n\r\n")[1]).toBe("203.0.113.7 51234 198.51.100.1 443")
      // h2 over TLS: the stream's request sees the header's address.
      const raw2 = yield* proxiedSocket(server.port, v2Tcp6(4242, 443))
      const secure2 = tls.connect({ socket: raw2, ca: TEST_CERT, servername: "localhost", ALPNProtocols: ["h2"] })
      const session = yield* h2Over(`https://localhost:${server.port}`, secure2)
      expect(yield* h2Get(session, "/h2")).toBe("2001:db8::7 4242 2001:db8::1 443")
      expect(secure2.alpnProtocol).toBe("h2")
    }).pipe(Effect.scoped))

  it.live("h2c (prior knowledge) after the header", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler, proxyProtocol: trusted, protocols: { unencryptedHTTP2: true } })
      const raw = yield* proxiedSocket(server.port, latin1("PROXY TCP4 203.0.113.8 198.51.100.1 2222 80\r\n"))
      const session = yield* h2Over(`http://127.0.0.1:${server.port}`, raw)
      expect(yield* h2Get(session, "/a")).toBe("203.0.113.8 2222 198.51.100.1 80")
      expect(yield* h2Get(session, "/b")).toBe("203.0.113.8 2222 198.51.100.1 80")
      // The HTTP/1 side let go of the connection when the queued preface chose HTTP/2.
      const stats = yield* server.stats
      expect(stats).toMatchObject({ connections: 1, h2Sessions: 1 })
    }).pipe(Effect.scoped))
})
