/**
 * The SOCKS5 client handshake (RFC 1928, RFC 1929) and the handshake reader under it, over
 * real loopback sockets: against the test SOCKS5 server (success with and without
 * authentication, every failure reply, a server hanging up, the address encodings, replies
 * in one-byte chunks), against scripted servers for malformed replies, and the reader's
 * exact reads, head reads, failures, interruption and hand-over to `fromDuplex` and TLS.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Option } from "effect"
import * as fs from "node:fs"
import * as net from "node:net"
import { PassThrough } from "node:stream"
import * as tls from "node:tls"
import { type Conn, fromDuplex } from "../../src/net/Conn.js"
import { HandshakeError, HandshakeReader } from "../../src/net/handshakeReader.js"
import { Socks5Error, socks5Handshake, socks5ReplyText } from "../../src/net/socks5.js"
import { socks5Server } from "../support/socks5Server.js"
import { nodeServer } from "../support/nodeServer.js"

const cert = fs.readFileSync(new URL("../fixtures/server-cert.pem", import.meta.url), "utf8")
const key = fs.readFileSync(new URL("../fixtures/server-key.pem", import.meta.url), "utf8")

const bytes = (s: string) => Buffer.from(s, "latin1")
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** An echo server: what it reads, it writes back. */
const echoServer = nodeServer((socket) => socket.pipe(socket))

/** A server that, on the first bytes received, writes `script` (in one write) and then waits. */
const scriptedServer = (script: Buffer) =>
  nodeServer((socket) => {
    socket.once("data", () => socket.write(script))
  })

/** A raw client socket to 127.0.0.1:`port`, connected, destroyed when the Scope closes. */
const connectRaw = (port: number) =>
  Effect.acquireRelease(
    Effect.async<net.Socket>((resume) => {
      const socket = net.connect({ host: "127.0.0.1", port })
      socket.once("connect", () => resume(Effect.succeed(socket)))
      socket.once("error", (error) => resume(Effect.die(error)))
    }),
    (socket) => Effect.sync(() => socket.destroy())
  )

/** Reads from `conn` until `expected.length` bytes arrived (bounded) and returns them as text. */
const readText = (conn: Conn, length: number) =>
  Effect.gen(function*() {
    let out = ""
    for (let i = 0; i < 100 && out.length < length; i++) {
      const next = yield* conn.read
      if (Option.isNone(next)) break
      out += Buffer.from(next.value).toString("latin1")
    }
    return out
  })

/** Writes `text` through a tunnel now handed to `fromDuplex` and reads the echo. */
const echoThrough = (socket: net.Socket, text: string) =>
  Effect.gen(function*() {
    const conn = fromDuplex(socket)
    yield* Effect.addFinalizer(() => conn.close)
    yield* conn.write(bytes(text))
    return yield* readText(conn, text.length)
  })

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const failure = exit.cause._tag === "Fail" ? exit.cause.error : undefined
  if (failure === undefined) throw new Error(`expected a typed failure, got ${String(exit.cause)}`)
  return failure
}

/** A port nothing listens on (a listener opened and closed). */
const closedPort = Effect.async<number>((resume) => {
  const server = net.createServer().listen(0, "127.0.0.1", () => {
    const port = (server.address() as net.AddressInfo).port
    server.close(() => resume(Effect.succeed(port)))
  })
})

/** How many listeners `stream` has for the events a reader listens to. */
const listenerCounts = (stream: net.Socket) =>
  Object.fromEntries(["readable", "data", "end", "error", "close"].map((event) => [event, stream.listenerCount(event)]))

const portBytes = (port: number) => [port >> 8, port & 0xff]

describe("socks5Handshake against the test SOCKS5 server", () => {
  it.live("no authentication: the tunnel carries bytes both ways", () =>
    Effect.gen(function*() {
      const echo = yield* echoServer
      const proxy = yield* socks5Server()
      const socket = yield* connectRaw(proxy.port)
      yield* socks5Handshake(socket, { host: "127.0.0.1", port: echo.port })
      expect(yield* echoThrough(socket, "hello through socks")).toBe("hello through socks")
      expect(proxy.accepted()).toBe(1)
      expect(proxy.connects).toHaveLength(1)
      expect(proxy.connects[0]).toMatchObject({ methods: [0], username: undefined, addressType: 1, host: "127.0.0.1", port: echo.port })
    }).pipe(Effect.scoped))

  it.live("username/password: both methods offered, RFC 1929 sub-negotiation, then the tunnel", () =>
    Effect.gen(function*() {
      const echo = yield* echoServer
      const proxy = yield* socks5Server({ auth: { username: "alice", password: "s3cret" } })
      const socket = yield* connectRaw(proxy.port)
      yield* socks5Handshake(socket, { host: "127.0.0.1", port: echo.port }, { username: "alice", password: "s3cret" })
      expect(yield* echoThrough(socket, "authenticated")).toBe("authenticated")
      expect(proxy.connects[0]).toMatchObject({ methods: [0, 2], username: "alice", password: "s3cret" })
    }).pipe(Effect.scoped))

  it.live("a wrong password fails with auth-failed; no CONNECT is sent", () =>
    Effect.gen(function*() {
      const proxy = yield* socks5Server({ auth: { username: "alice", password: "s3cret" } })
      const socket = yield* connectRaw(proxy.port)
      const exit = yield* Effect.exit(socks5Handshake(socket, { host: "127.0.0.1", port: 9 }, { username: "alice", password: "wrong" }))
      const error = failureOf(exit)
      expect(error).toBeInstanceOf(Socks5Error)
      expect(error.reason).toBe("auth-failed")
      expect(proxy.connects).toHaveLength(0)
    }).pipe(Effect.scoped))

  it.live("a server requiring authentication, asked without credentials, answers 0xFF: no-acceptable-method", () =>
    Effect.gen(function*() {
      const proxy = yield* socks5Server({ auth: { username: "alice", password: "s3cret" } })
      const socket = yield* connectRaw(proxy.port)
      const error = failureOf(yield* Effect.exit(socks5Handshake(socket, { host: "127.0.0.1", port: 9 })))
      expect(error.reason).toBe("no-acceptable-method")
    }).pipe(Effect.scoped))

  it.live("a server offering no acceptable method fails with no-acceptable-method, with or without credentials", () =>
    Effect.gen(function*() {
      const proxy = yield* socks5Server({ noAcceptableMethod: true })
      for (const auth of [undefined, { username: "u", password: "p" }]) {
        const socket = yield* connectRaw(proxy.port)
        const error = failureOf(yield* Effect.exit(socks5Handshake(socket, { host: "127.0.0.1", port: 9 }, auth)))
        expect(error.reason).toBe("no-acceptable-method")
        expect(error.message).toBe("socks5: no acceptable authentication methods")
      }
      expect(proxy.accepted()).toBe(2)
    }).pipe(Effect.scoped))

  it.live("every failure REP fails with connect-failed, the code and its RFC 1928 name", () =>
    Effect.gen(function*() {
      const names = [
        "general SOCKS server failure",
        "connection not allowed by ruleset",
        "network unreachable",
        "host unreachable",
        "connection refused",
        "TTL expired",
        "command not supported",
        "address type not supported"
      ]
      for (let rep = 1; rep <= 8; rep++) {
        const error = yield* Effect.scoped(Effect.gen(function*() {
          const proxy = yield* socks5Server({ reply: rep })
          const socket = yield* connectRaw(proxy.port)
          return failureOf(yield* Effect.exit(socks5Handshake(socket, { host: "127.0.0.1", port: 9 })))
        }))
        expect(error).toMatchObject({ _tag: "Socks5Error", reason: "connect-failed", reply: rep, detail: names[rep - 1] })
        expect(error.message).toBe(`socks5: ${names[rep - 1]} (reply 0x0${rep})`)
      }
      expect(socks5ReplyText(0x09)).toBe("unassigned reply code 0x09")
    }))

  it.live("real failures: a refused target gives REP 5, a non-loopback target REP 2", () =>
    Effect.gen(function*() {
      const port = yield* closedPort
      const proxy = yield* socks5Server()
      const refused = failureOf(yield* Effect.exit(socks5Handshake(yield* connectRaw(proxy.port), { host: "127.0.0.1", port })))
      expect(refused).toMatchObject({ reason: "connect-failed", reply: 5, detail: "connection refused" })
      const ruled = failureOf(yield* Effect.exit(socks5Handshake(yield* connectRaw(proxy.port), { host: "192.0.2.1", port: 80 })))
      expect(ruled).toMatchObject({ reason: "connect-failed", reply: 2, detail: "connection not allowed by ruleset" })
    }).pipe(Effect.scoped))

  it.live("a server closing mid-handshake fails with closed, at each step", () =>
    Effect.gen(function*() {
      const echo = yield* echoServer
      for (const closeAt of ["greeting", "request", "mid-reply"] as const) {
        const error = yield* Effect.scoped(Effect.gen(function*() {
          const proxy = yield* socks5Server({ closeAt })
          const socket = yield* connectRaw(proxy.port)
          return failureOf(yield* Effect.exit(socks5Handshake(socket, { host: "127.0.0.1", port: echo.port })))
        }))
        expect(error.reason, closeAt).toBe("closed")
      }
    }).pipe(Effect.scoped))

  it.live("address encodings: ATYP 1 for IPv4, 4 for IPv6 (bracketed or not), 3 for a domain name; port big-endian", () =>
    Effect.gen(function*() {
      // The forced failure keeps the server from dialing: only the request's bytes matter here.
      const proxy = yield* socks5Server({ reply: 1 })
      const targets = [
        { host: "127.0.0.1", port: 0x1234 },
        { host: "::1", port: 443 },
        { host: "[2001:db8::7f00:1]", port: 80 },
        { host: "::ffff:10.1.2.3", port: 1 },
        { host: "example.com", port: 65535 }
      ]
      for (const target of targets) {
        const error = failureOf(yield* Effect.exit(socks5Handshake(yield* connectRaw(proxy.port), target)))
        expect(error.reason).toBe("connect-failed")
      }
      const raw = proxy.connects.map((c) => [...c.raw])
      expect(raw[0]).toEqual([5, 1, 0, 1, 127, 0, 0, 1, 0x12, 0x34])
      expect(raw[1]).toEqual([5, 1, 0, 4, ...Array(15).fill(0), 1, ...portBytes(443)])
      expect(raw[2]).toEqual([5, 1, 0, 4, 0x20, 0x01, 0x0d, 0xb8, ...Array(8).fill(0), 0x7f, 0x00, 0x00, 0x01, 0, 80])
      expect(raw[3]).toEqual([5, 1, 0, 4, ...Array(10).fill(0), 0xff, 0xff, 10, 1, 2, 3, 0, 1])
      expect(raw[4]).toEqual([5, 1, 0, 3, 11, ...bytes("example.com"), 0xff, 0xff])
      expect(proxy.connects.map((c) => c.addressType)).toEqual([1, 4, 4, 4, 3])
    }).pipe(Effect.scoped))

  it.live("a domain name target (localhost) is resolved by the server and tunnels", () =>
    Effect.gen(function*() {
      const echo = yield* echoServer
      const proxy = yield* socks5Server()
      const socket = yield* connectRaw(proxy.port)
      yield* socks5Handshake(socket, { host: "localhost", port: echo.port })
      expect(yield* echoThrough(socket, "by name")).toBe("by name")
      expect(proxy.connects[0]).toMatchObject({ addressType: 3, host: "localhost" })
      expect([...proxy.connects[0]!.raw]).toEqual([5, 1, 0, 3, 9, ...bytes("localhost"), ...portBytes(echo.port)])
    }).pipe(Effect.scoped))

  it.live("every server reply split into one-byte chunks, with each bound address type", () =>
    Effect.gen(function*() {
      const echo = yield* echoServer
      for (const boundAddressType of ["ipv4", "ipv6", "domain"] as const) {
        yield* Effect.scoped(Effect.gen(function*() {
          const proxy = yield* socks5Server({ oneByteChunks: true, boundAddressType, auth: { username: "u", password: "p" } })
          const socket = yield* connectRaw(proxy.port)
          yield* socks5Handshake(socket, { host: "127.0.0.1", port: echo.port }, { username: "u", password: "p" })
          expect(yield* echoThrough(socket, `split ${boundAddressType}`)).toBe(`split ${boundAddressType}`)
        }))
      }
    }).pipe(Effect.scoped))

  it.live("bytes after the reply, sent before the client sent any, fail with protocol", () =>
    Effect.gen(function*() {
      const echo = yield* echoServer
      const proxy = yield* socks5Server({ afterReply: bytes("too early") })
      const socket = yield* connectRaw(proxy.port)
      const error = failureOf(yield* Effect.exit(socks5Handshake(socket, { host: "127.0.0.1", port: echo.port })))
      expect(error).toMatchObject({ reason: "protocol", detail: "9 unexpected bytes after the reply" })
    }).pipe(Effect.scoped))

  it.live("bad arguments fail with a typed error before a byte is sent", () =>
    Effect.gen(function*() {
      const proxy = yield* socks5Server()
      const socket = yield* connectRaw(proxy.port)
      const cases = [
        { target: { host: "a".repeat(256), port: 80 }, auth: undefined, reason: "protocol" },
        { target: { host: "127.0.0.1", port: 0 }, auth: undefined, reason: "protocol" },
        { target: { host: "127.0.0.1", port: 70000 }, auth: undefined, reason: "protocol" },
        { target: { host: "127.0.0.1", port: 80 }, auth: { username: "", password: "p" }, reason: "auth-failed" },
        { target: { host: "127.0.0.1", port: 80 }, auth: { username: "u", password: "p".repeat(256) }, reason: "auth-failed" }
      ]
      for (const { auth, reason, target } of cases) {
        expect(failureOf(yield* Effect.exit(socks5Handshake(socket, target, auth))).reason).toBe(reason)
      }
      expect(socket.bytesWritten).toBe(0)
      expect(socket.listenerCount("readable")).toBe(0)
    }).pipe(Effect.scoped))
})

describe("socks5Handshake against scripted replies", () => {
  const run = (script: Array<number>, auth?: { username: string; password: string }) =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* scriptedServer(Buffer.from(script))
      const socket = yield* connectRaw(server.port)
      return yield* Effect.exit(socks5Handshake(socket, { host: "127.0.0.1", port: 80 }, auth))
    }))
  const ok = [5, 0, 0, 1, 127, 0, 0, 1, 0, 80]

  it.live("malformed replies fail with protocol; the method reply and the reply are read whole from one chunk", () =>
    Effect.gen(function*() {
      expect(Exit.isSuccess(yield* run([5, 0, ...ok]))).toBe(true)
      const cases: Array<[Array<number>, string]> = [
        [[4, 0], "version 4 in the method selection, not 5"],
        [[5, 2], "the server chose method 0x02, which was not offered"],
        [[5, 1], "the server chose method 0x01, which was not offered"],
        [[5, 0, 4, 0, 0, 1, 127, 0, 0, 1, 0, 80], "version 4 in the reply, not 5"],
        [[5, 0, 5, 0, 1, 1, 127, 0, 0, 1, 0, 80], "non-zero reserved field in the reply"],
        [[5, 0, 5, 0, 0, 9, 127, 0, 0, 1, 0, 80], "unknown address type 9 in the reply"]
      ]
      for (const [script, detail] of cases) {
        expect(failureOf(yield* run(script)), detail).toMatchObject({ reason: "protocol", detail })
      }
      expect(failureOf(yield* run([5, 2, 5, 0], { username: "u", password: "p" }))).toMatchObject({
        reason: "protocol",
        detail: "version 5 in the username/password reply, not 1"
      })
      expect(failureOf(yield* run([5, 0, 5, 9, 0, 1]))).toMatchObject({ reason: "connect-failed", reply: 9, detail: "unassigned reply code 0x09" })
    }))

  it.live("a reply cut short by the end of input fails with closed", () =>
    Effect.gen(function*() {
      const server = yield* nodeServer((socket) => socket.once("data", () => socket.end(Buffer.from([5, 0, 5, 0, 0, 3, 20, 0x61]))))
      const socket = yield* connectRaw(server.port)
      const before = listenerCounts(socket)
      const error = failureOf(yield* Effect.exit(socks5Handshake(socket, { host: "127.0.0.1", port: 80 })))
      expect(error.reason).toBe("closed")
      expect(listenerCounts(socket)).toEqual(before)
    }).pipe(Effect.scoped))
})

describe("HandshakeReader", () => {
  it.live("readHead with the head split across chunks; detach returns the bytes past it; then fromDuplex reads on", () =>
    Effect.gen(function*() {
      const server = yield* nodeServer((socket) => {
        void (async () => {
          socket.setNoDelay(true)
          for (const part of ["HTTP/1.1 200 Connection established\r", "\nVia: test\r\n", "\r", "\nleft"]) {
            socket.write(part)
            await sleep(5)
          }
        })()
      })
      const socket = yield* connectRaw(server.port)
      const before = listenerCounts(socket)
      const reader = HandshakeReader.attach(socket)
      const head = yield* reader.readHead(1024)
      expect(head.toString("latin1")).toBe("HTTP/1.1 200 Connection established\r\nVia: test\r\n\r\n")
      // "left" came in the head's last chunk.
      expect(reader.detach().toString("latin1")).toBe("left")
      expect(reader.detach().length).toBe(0)
      expect(listenerCounts(socket)).toEqual(before)
      expect(socket.readableFlowing).not.toBe(true)
      const failure = failureOf(yield* Effect.exit(reader.readExactly(1)))
      expect(failure).toMatchObject({ _tag: "HandshakeError", reason: "closed" })

      const conn = fromDuplex(socket)
      yield* Effect.addFinalizer(() => conn.close)
      server.sockets[0]!.write("after detach")
      expect(yield* readText(conn, "after detach".length)).toBe("after detach")
    }).pipe(Effect.scoped))

  it.live("bytes that arrive between detach and the next owner wait in the stream", () =>
    Effect.gen(function*() {
      const server = yield* nodeServer((socket) => socket.write("12345"))
      const socket = yield* connectRaw(server.port)
      const reader = HandshakeReader.attach(socket)
      expect((yield* reader.readExactly(5)).toString()).toBe("12345")
      expect(reader.detach().length).toBe(0)
      server.sockets[0]!.end("late bytes")
      yield* Effect.promise(() => sleep(30))
      const conn = fromDuplex(socket)
      yield* Effect.addFinalizer(() => conn.close)
      expect(yield* readText(conn, 100)).toBe("late bytes")
      expect(Option.isNone(yield* conn.read)).toBe(true)
    }).pipe(Effect.scoped))

  it.live("readExactly across one-byte chunks, and exact counts leave the rest for the next read", () =>
    Effect.gen(function*() {
      const server = yield* nodeServer((socket) => {
        void (async () => {
          socket.setNoDelay(true)
          for (const byte of "abcdefgh") {
            if (socket.destroyed) return
            socket.write(byte)
            await sleep(2)
          }
        })()
      })
      const socket = yield* connectRaw(server.port)
      const reader = HandshakeReader.attach(socket)
      expect((yield* reader.readExactly(3)).toString()).toBe("abc")
      expect((yield* reader.readExactly(0)).length).toBe(0)
      expect((yield* reader.readExactly(5)).toString()).toBe("defgh")
      expect(reader.detach().length).toBe(0)
    }).pipe(Effect.scoped))

  it.live("end of input fails a pending read with closed; a stream error with error and its code", () =>
    Effect.gen(function*() {
      const server = yield* nodeServer((socket) => socket.end("abc"))
      const socket = yield* connectRaw(server.port)
      const reader = HandshakeReader.attach(socket)
      const closed = failureOf(yield* Effect.exit(reader.readExactly(5)))
      expect(closed).toBeInstanceOf(HandshakeError)
      expect(closed).toMatchObject({ reason: "closed", detail: "end of input with 3 bytes unread" })
      expect(reader.detach().toString()).toBe("abc")

      const quiet = yield* nodeServer(() => {})
      const other = yield* connectRaw(quiet.port)
      const second = HandshakeReader.attach(other)
      const pending = yield* Effect.fork(second.readHead(100))
      yield* Effect.promise(() => sleep(10))
      other.destroy(Object.assign(new Error("boom"), { code: "ECONNRESET" }))
      const error = failureOf(yield* Fiber.await(pending))
      expect(error).toMatchObject({ reason: "error", code: "ECONNRESET", detail: "boom" })
      expect(error.message).toBe("handshake read failed: boom (ECONNRESET)")
      second.detach()
    }).pipe(Effect.scoped))

  it.live("readHead fails with too-large when maxBytes arrive without CRLFCRLF", () =>
    Effect.gen(function*() {
      const server = yield* nodeServer((socket) => socket.write("HTTP/1.1 200 OK\r\n" + "X: y\r\n".repeat(20)))
      const socket = yield* connectRaw(server.port)
      const reader = HandshakeReader.attach(socket)
      const error = failureOf(yield* Effect.exit(reader.readHead(64)))
      expect(error).toMatchObject({ reason: "too-large" })
      reader.detach()
    }).pipe(Effect.scoped))

  it.live("interrupting a pending read forgets it; the bytes go to the next read", () =>
    Effect.gen(function*() {
      const server = yield* nodeServer(() => {})
      const socket = yield* connectRaw(server.port)
      const reader = HandshakeReader.attach(socket)
      const pending = yield* Effect.fork(reader.readExactly(4))
      yield* Effect.promise(() => sleep(10))
      yield* Fiber.interrupt(pending)
      server.sockets[0]!.write("wxyz")
      expect((yield* reader.readExactly(4)).toString()).toBe("wxyz")
      expect(socket.listenerCount("readable")).toBe(1)
      reader.detach()
      expect(socket.listenerCount("readable")).toBe(0)
    }).pipe(Effect.scoped))

  it.live("after detach, tls.connect({ socket }) runs TLS over the tunnel", () =>
    Effect.gen(function*() {
      // The server answers a CONNECT-like head in plain text, then speaks TLS on the same socket.
      const server = yield* nodeServer((socket) => {
        socket.once("data", () => {
          socket.write("HTTP/1.1 200 Connection established\r\n\r\n")
          const secure = new tls.TLSSocket(socket, { isServer: true, key, cert })
          secure.on("error", () => socket.destroy())
          secure.on("data", (chunk: Buffer) => secure.write(`tls:${chunk.toString()}`))
        })
      })
      const socket = yield* connectRaw(server.port)
      const reader = HandshakeReader.attach(socket)
      socket.write("CONNECT localhost:443 HTTP/1.1\r\nHost: localhost:443\r\n\r\n")
      yield* reader.readHead(1024)
      expect(reader.detach().length).toBe(0)
      const secure = yield* Effect.acquireRelease(
        Effect.async<tls.TLSSocket>((resume) => {
          const s = tls.connect({ socket, ca: cert, servername: "localhost" })
          s.once("secureConnect", () => resume(Effect.succeed(s)))
          s.once("error", (error) => resume(Effect.die(error)))
        }),
        (s) => Effect.sync(() => s.destroy())
      )
      expect(secure.authorized).toBe(true)
      const conn = fromDuplex(secure)
      yield* Effect.addFinalizer(() => conn.close)
      yield* conn.write(bytes("ping"))
      expect(yield* readText(conn, "tls:ping".length)).toBe("tls:ping")
    }).pipe(Effect.scoped))
})

describe("HandshakeReader over a Duplex that is not a socket", () => {
  it.live("a PassThrough: readHead, detach with leftovers, then fromDuplex reads what follows", () =>
    Effect.gen(function*() {
      const stream = new PassThrough()
      const reader = HandshakeReader.attach(stream)
      stream.write("HTTP/1.1 200 OK\r\n\r\nextra")
      expect((yield* reader.readHead(100)).toString()).toBe("HTTP/1.1 200 OK\r\n\r\n")
      expect(reader.detach().toString()).toBe("extra")
      const conn = fromDuplex(stream)
      yield* Effect.addFinalizer(() => conn.close)
      stream.end("more")
      expect(yield* readText(conn, 4)).toBe("more")
      expect(Option.isNone(yield* conn.read)).toBe(true)
    }).pipe(Effect.scoped))
})
