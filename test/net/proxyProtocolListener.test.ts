/**
 * `listen` with `proxyProtocol` (net layer, no HTTP): accepted Conns carry the header's
 * addresses, the bytes after the header (and the end of input) reach the Conn's reader, LOCAL
 * keeps the socket's addresses, a bad `trusted` entry is a ListenError, an untrusted peer and
 * a header still pending when the listener closes are closed, and a Unix socket listener does
 * not consult `trusted`.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Fiber, Option } from "effect"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import type { Conn } from "../../src/net/Conn.js"
import { listen } from "../../src/net/Listener.js"
import { V2_SIGNATURE } from "../../src/net/proxyProtocol.js"

/** A client socket that connects to `where`, writes `data` (and ends when `end`), destroyed with the Scope. */
const client = (where: { port: number } | { path: string }, data: Uint8Array | string, end = false) =>
  Effect.acquireRelease(
    Effect.async<{ readonly socket: net.Socket; readonly closed: Promise<void> }>((resume) => {
      const socket = "path" in where ? net.connect({ path: where.path }) : net.connect({ host: "127.0.0.1", port: where.port })
      socket.on("error", () => {})
      socket.resume()
      const closed = new Promise<void>((r) => socket.once("close", () => r()))
      socket.once("connect", () => {
        if (end) socket.end(data)
        else socket.write(data)
        resume(Effect.succeed({ socket, closed }))
      })
    }),
    ({ socket }) => Effect.sync(() => socket.destroy())
  )

/** Everything `conn` reads until its end, as latin1 (bounded: 100 reads). */
const readAll = (conn: Conn) =>
  Effect.gen(function*() {
    let text = ""
    for (let i = 0; i < 100; i++) {
      const chunk = yield* conn.read
      if (Option.isNone(chunk)) return text
      text += Buffer.from(chunk.value).toString("latin1")
    }
    return text
  })

/** Waits (real time, at most `ms`) for `promise`; true when it settled. */
const within = (promise: Promise<void>, ms: number) =>
  Effect.promise(() => Promise.race([promise.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]))

describe("listen with proxyProtocol", () => {
  it.live("an accepted Conn carries the header's addresses; the bytes after it, and the end, reach its reader", () =>
    Effect.gen(function*() {
      const listener = yield* listen({ host: "127.0.0.1", port: 0, proxyProtocol: { trusted: ["127.0.0.1"] } })
      yield* client(listener, "PROXY TCP6 2001:db8::7 2001:db8::1 40000 443\r\nhello, world", true)
      const conn = yield* listener.accept
      expect([conn.remoteAddress, conn.remotePort, conn.localAddress, conn.localPort]).toEqual(["2001:db8::7", 40000, "2001:db8::1", 443])
      expect(yield* readAll(conn)).toBe("hello, world")
      yield* conn.close
    }).pipe(Effect.scoped))

  it.live("a v2 LOCAL header keeps the socket's own addresses", () =>
    Effect.gen(function*() {
      const listener = yield* listen({ host: "127.0.0.1", port: 0, proxyProtocol: { trusted: ["127.0.0.0/8"] } })
      const local = Buffer.concat([Buffer.from(V2_SIGNATURE), Buffer.of(0x20, 0x00, 0, 0)])
      const { socket } = yield* client(listener, Buffer.concat([local, Buffer.from("x")]), true)
      const conn = yield* listener.accept
      expect([conn.remoteAddress, conn.remotePort, conn.localPort]).toEqual(["127.0.0.1", socket.localPort, listener.port])
      expect(yield* readAll(conn)).toBe("x")
      yield* conn.close
    }).pipe(Effect.scoped))

  it.live("an untrusted peer is closed and never accepted; a header pending when the listener closes is closed", () =>
    Effect.gen(function*() {
      const untrusting = yield* listen({ host: "127.0.0.1", port: 0, proxyProtocol: { trusted: ["10.0.0.0/8"] } })
      const stranger = yield* client(untrusting, "PROXY UNKNOWN\r\n")
      expect(yield* within(stranger.closed, 3_000)).toBe(true)
      const pendingAccept = yield* Effect.fork(untrusting.accept)
      const slow = yield* listen({ host: "127.0.0.1", port: 0, proxyProtocol: { trusted: ["127.0.0.1"] } })
      const waiting = yield* client(slow, "PROXY TCP4 1.2.")
      expect(yield* within(waiting.closed, 100)).toBe(false)
      yield* slow.close
      expect(yield* within(waiting.closed, 3_000)).toBe(true)
      expect(pendingAccept.unsafePoll()).toBe(null)
      yield* Fiber.interrupt(pendingAccept)
    }).pipe(Effect.scoped))

  it.live("a malformed header or an early end is closed and never accepted", () =>
    Effect.gen(function*() {
      const listener = yield* listen({ host: "127.0.0.1", port: 0, proxyProtocol: { trusted: ["127.0.0.1"] } })
      const bad = yield* client(listener, "PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\n")
      const early = yield* client(listener, "PROXY TCP4 1.2.3.4", true)
      expect(yield* within(bad.closed, 3_000)).toBe(true)
      expect(yield* within(early.closed, 3_000)).toBe(true)
      yield* client(listener, "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n", true)
      const conn = yield* listener.accept
      expect(conn.remoteAddress).toBe("1.2.3.4")
      yield* conn.close
    }).pipe(Effect.scoped))

  it.live("a trusted entry that does not parse fails listening with ERR_PROXY_CONFIG", () =>
    Effect.gen(function*() {
      const result = yield* Effect.either(listen({ host: "127.0.0.1", port: 0, proxyProtocol: { trusted: ["10.0.0.0/40"] } }))
      expect(Either.isLeft(result) && result.left.code).toBe("ERR_PROXY_CONFIG")
    }).pipe(Effect.scoped))

  it.live("a Unix socket listener does not consult trusted (its peers have no address)", () =>
    Effect.gen(function*() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "effect-nethttp-proxy-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
      const socketPath = path.join(dir, "s.sock")
      const listener = yield* listen({ host: "localhost", port: 0, path: socketPath, proxyProtocol: { trusted: [] } })
      yield* client({ path: socketPath }, "PROXY TCP4 192.0.2.1 192.0.2.2 1 2\r\nok", true)
      const conn = yield* listener.accept
      expect([conn.remoteAddress, conn.remotePort]).toEqual(["192.0.2.1", 1])
      expect(yield* readAll(conn)).toBe("ok")
      yield* conn.close
    }).pipe(Effect.scoped))
})
