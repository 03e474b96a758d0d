/**
 * The server's keep-alive hint (`Keep-Alive: timeout=N`, which node:http sends): an idle
 * connection is closed by us a margin (`keepAliveTimeoutThreshold`, default 2 s) before the
 * server would close it, on the TestClock; a hint no longer than the margin keeps it from
 * being reused at all; the Transport's own shorter idle timeout still rules; no hint, no change.
 */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, TestClock } from "effect"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import type { TransportConfig } from "../../src/transport/config.js"
import { Transport } from "../../src/transport/Transport.js"
import { eventually, get, realSleep } from "./scripted.js"

/** A node:http server announcing `keepAliveMs` (or no hint when undefined), counting connections and closes. */
const hintingServer = (keepAliveMs: number | undefined) =>
  Effect.acquireRelease(
    Effect.async<{ url: string; connections: () => number; closed: () => number; server: http.Server }>((resume) => {
      let connections = 0
      let closed = 0
      const server = http.createServer((_req, res) => {
        if (keepAliveMs === undefined) res.shouldKeepAlive = true
        res.end("ok")
      })
      if (keepAliveMs !== undefined) server.keepAliveTimeout = keepAliveMs
      else server.keepAliveTimeout = 0 // no timer, no hint
      server.on("connection", (socket) => {
        connections++
        socket.on("close", () => closed++)
      })
      server.listen(0, "127.0.0.1", () => {
        const port = (server.address() as AddressInfo).port
        resume(Effect.succeed({ url: `http://127.0.0.1:${port}/`, connections: () => connections, closed: () => closed, server }))
      })
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  )

const withTransport = (config: TransportConfig = {}) => <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.provide(self, Transport.layer(config))

const idle = Effect.flatMap(Transport, (t) => Effect.map(t.stats, (s) => s.idle))

const pass = (ms: number) =>
  Effect.gen(function*() {
    yield* realSleep(20)
    yield* TestClock.adjust(Duration.millis(ms))
    yield* realSleep(20)
  })

describe("the server's keep-alive hint", () => {
  it.effect("a 5 s hint: idle for 3 s (the hint less 2 s), then closed by us before the server would", () =>
    Effect.gen(function*() {
      const server = yield* hintingServer(5000)
      yield* Effect.gen(function*() {
        const r = yield* get(server.url)
        expect(r.response.headers.get("Keep-Alive")).toBe("timeout=5")
        expect(yield* idle).toBe(1)
        yield* pass(2999)
        expect(yield* idle).toBe(1)
        yield* pass(1)
        expect(yield* idle).toBe(0)
        yield* eventually("the server sees our close", () => server.closed() === 1)
        // The next request dials afresh, without an error.
        expect((yield* get(server.url)).text).toBe("ok")
        expect(server.connections()).toBe(2)
      }).pipe(withTransport())
    }).pipe(Effect.scoped))

  it.effect("a 1 s hint with a 500 ms margin: closed after 500 ms idle; reused before that", () =>
    Effect.gen(function*() {
      const server = yield* hintingServer(1000)
      yield* Effect.gen(function*() {
        yield* get(server.url)
        yield* pass(400)
        yield* get(server.url)
        expect(server.connections()).toBe(1)
        yield* pass(499)
        expect(yield* idle).toBe(1)
        yield* pass(1)
        expect(yield* idle).toBe(0)
        yield* eventually("the server sees our close", () => server.closed() === 1)
      }).pipe(withTransport({ keepAliveTimeoutThreshold: "500 millis" }))
    }).pipe(Effect.scoped))

  it.effect("a 1 s hint with the default 2 s margin: the connection is not reused at all", () =>
    Effect.gen(function*() {
      const server = yield* hintingServer(1000)
      yield* Effect.gen(function*() {
        expect((yield* get(server.url)).text).toBe("ok")
        expect(yield* idle).toBe(0)
        expect((yield* get(server.url)).text).toBe("ok")
        expect(server.connections()).toBe(2)
      }).pipe(withTransport())
    }).pipe(Effect.scoped))

  it.effect("the Transport's own idle timeout, when shorter, still rules; with no hint nothing changes", () =>
    Effect.gen(function*() {
      const hinting = yield* hintingServer(60_000)
      const silent = yield* hintingServer(undefined)
      yield* Effect.gen(function*() {
        yield* get(hinting.url)
        const r = yield* get(silent.url)
        expect(r.response.headers.has("Keep-Alive")).toBe(false)
        expect(yield* idle).toBe(2)
        yield* pass(9999)
        expect(yield* idle).toBe(2)
        yield* pass(1)
        expect(yield* idle).toBe(0)
      }).pipe(withTransport({ idleConnTimeout: "10 seconds" }))
    }).pipe(Effect.scoped))
})
