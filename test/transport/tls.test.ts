/**
 * HTTPS through the Transport and the Client against node:https with the test certificate:
 * verification with a custom CA, SNI, ALPN, keep-alive over TLS, a rejected self-signed
 * certificate without the CA, the opt-out, a plain HTTP server on an https URL, and the
 * handshake timeout under the TestClock.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Layer, TestClock } from "effect"
import * as net from "node:net"
import { Client } from "../../src/transport/Client.js"
import type { TransportConfig } from "../../src/transport/config.js"
import { TlsError } from "../../src/net/errors.js"
import { Transport } from "../../src/transport/Transport.js"
import { cert, getText, peer, text, transportError } from "./peers.js"
import { awaitSleepers, eventually, realSleep } from "./scripted.js"

const client = (config: TransportConfig) => Client.layer({}).pipe(Layer.provideMerge(Transport.layer({ proxy: "none", ...config })))

describe("HTTPS", () => {
  it.live("verifies the server with a custom CA, sends SNI for a name, negotiates http/1.1, and reuses the connection", () =>
    Effect.gen(function*() {
      const server = yield* peer(text("secure"), {})
      const first = yield* getText(`https://localhost:${server.port}/a`)
      const second = yield* getText(`https://localhost:${server.port}/b`)
      expect(first).toEqual({ status: 200, body: "secure" })
      expect(second).toEqual({ status: 200, body: "secure" })
      expect(server.seen.map((s) => [s.url, s.servername, s.alpn])).toEqual([
        ["/a", "localhost", "http/1.1"],
        ["/b", "localhost", "http/1.1"]
      ])
      expect(server.connections()).toBe(1)
      const stats = yield* Effect.flatMap(Transport, (t) => t.stats)
      expect(Object.keys(stats.hosts)).toEqual([`https://localhost:${server.port}`])
    }).pipe(Effect.scoped, Effect.provide(client({ tls: { ca: cert } }))))

  it.live("an IP literal host is verified against the certificate's IP address, without SNI (RFC 6066 §3)", () =>
    Effect.gen(function*() {
      const server = yield* peer(text("by ip"), {})
      expect(yield* getText(`${server.url}/`)).toEqual({ status: 200, body: "by ip" })
      expect(server.seen[0]!.servername).toBe(false)
    }).pipe(Effect.scoped, Effect.provide(client({ tls: { ca: cert } }))))

  it.live("a self-signed certificate is rejected without its CA: phase tls-handshake, reason certificate", () =>
    Effect.gen(function*() {
      const server = yield* peer(text("never"), {})
      const error = yield* transportError(`https://localhost:${server.port}/`)
      expect(error.phase).toBe("tls-handshake")
      expect(error.reason).toBe("certificate")
      expect(error.cause).toBeInstanceOf(TlsError)
      expect(error.message).toContain("self-signed certificate")
      expect(server.seen).toEqual([])
    }).pipe(Effect.scoped, Effect.provide(client({}))))

  it.live("a certificate for another name is rejected", () =>
    Effect.gen(function*() {
      const server = yield* peer(text("never"), {})
      // The certificate names localhost and 127.0.0.1; ask for another name for the same address.
      const error = yield* transportError(`https://127.0.0.1:${server.port}/`).pipe(
        Effect.provide(client({ tls: { ca: cert, serverName: "example.com" } }))
      )
      expect(error.reason).toBe("certificate")
      expect(error.code).toBe("ERR_TLS_CERT_ALTNAME_INVALID")
    }).pipe(Effect.scoped))

  it.live("insecureSkipVerify accepts any certificate", () =>
    Effect.gen(function*() {
      const server = yield* peer(text("trusting"), {})
      expect(yield* getText(`https://localhost:${server.port}/`)).toEqual({ status: 200, body: "trusting" })
    }).pipe(Effect.scoped, Effect.provide(client({ tls: { insecureSkipVerify: true } }))))

  it.live("an https URL to a plain HTTP server fails clearly: reason not-tls", () =>
    Effect.gen(function*() {
      const server = yield* peer(text("plain"))
      const error = yield* transportError(`https://127.0.0.1:${server.port}/`)
      expect(error.phase).toBe("tls-handshake")
      expect(error.reason).toBe("not-tls")
      expect(error.message).toContain("plain HTTP server on an https URL")
    }).pipe(Effect.scoped, Effect.provide(client({ tls: { ca: cert } }))))

  it.effect("the TLS handshake times out (TestClock): a server that accepts and never answers", () =>
    Effect.gen(function*() {
      const sockets = new Set<net.Socket>()
      const server = net.createServer((socket) => {
        sockets.add(socket)
      })
      yield* Effect.acquireRelease(
        Effect.async<void>((resume) => {
          server.listen(0, "127.0.0.1", () => resume(Effect.void))
        }),
        () =>
          Effect.async<void>((resume) => {
            for (const s of sockets) s.destroy()
            server.close(() => resume(Effect.void))
          })
      )
      const port = (server.address() as net.AddressInfo).port
      const fiber = yield* Effect.fork(transportError(`https://localhost:${port}/`))
      yield* eventually("the server accepted the connection", () => sockets.size === 1)
      // The handshake's timer starts once the socket connected: give it a moment to register.
      yield* realSleep(50)
      yield* awaitSleepers(1)
      yield* TestClock.adjust("9 seconds")
      expect(fiber.unsafePoll()).toBe(null)
      yield* TestClock.adjust("1 second")
      const error = yield* Fiber.join(fiber)
      expect(error.phase).toBe("tls-handshake")
      expect(error.reason).toBe("timeout")
    }).pipe(Effect.scoped, Effect.provide(client({ tls: { ca: cert }, dialTimeout: 0 }))))
})
