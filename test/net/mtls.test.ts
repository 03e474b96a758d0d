/**
 * `listen` with client certificates (mutual TLS), below the Server: what the accepted Conn's
 * `tlsState()` says before and after the handshake, that it is read once, that `ca` takes
 * several authorities (PEM text or bytes), and that a refused client's connection ends
 * before any of its bytes reach the reader.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import * as crypto from "node:crypto"
import * as net from "node:net"
import * as tls from "node:tls"
import type { Conn } from "../../src/net/Conn.js"
import { listen, type ListenTls } from "../../src/net/Listener.js"
import { makeMtlsCerts, type MtlsCerts } from "../support/mtlsCerts.js"

let certs: MtlsCerts

beforeAll(() => {
  certs = makeMtlsCerts()
}, 60_000)

afterAll(() => certs?.remove())

/**
 * A TLS client to `port` presenting `who` (or nothing), writing `hello`; closed with the
 * Scope. Over `over` (a connected TCP socket) when given.
 */
const connect = (port: number, who: { readonly key: string; readonly cert: string } | undefined, over?: net.Socket) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const target = over === undefined ? { port, host: "127.0.0.1" } : { socket: over }
      const socket = tls.connect({ ...target, servername: "localhost", ca: certs.ca, ...(who ?? {}) })
      const events: Array<string> = []
      socket.on("secureConnect", () => {
        events.push("secureConnect")
        socket.write("hello")
      })
      socket.on("error", (e: Error & { code?: string }) => events.push(`error ${e.code ?? e.message}`))
      socket.on("close", () => events.push("close"))
      return { socket, events }
    }),
    ({ socket }) => Effect.sync(() => socket.destroy())
  )

/** The first bytes the Conn reads as text, or "end" at end of input, "error" on a read error; at most 5 s. */
const firstRead = (conn: Conn) =>
  conn.read.pipe(
    Effect.map(Option.match({ onNone: () => "end", onSome: (chunk) => Buffer.from(chunk).toString() })),
    Effect.catchAll(() => Effect.succeed("error")),
    Effect.timeoutFail({ duration: "5 seconds", onTimeout: () => new Error("no read within 5 s") })
  )

const serve = (options: Omit<ListenTls, "key" | "cert">) =>
  listen({ host: "127.0.0.1", port: 0, tls: { key: certs.server.key, cert: certs.server.cert, ...options } })

describe("listen with requestCert", () => {
  it.scoped("the accepted Conn's tlsState: nothing before the handshake, the verified chain after it, read once", () =>
    Effect.gen(function*() {
      const listener = yield* serve({ requestCert: true, ca: certs.ca })
      // TCP first, so that the handshake cannot have begun when the Conn is looked at.
      const raw = yield* Effect.acquireRelease(Effect.sync(() => net.connect(listener.port, "127.0.0.1")), (s) => Effect.sync(() => s.destroy()))
      const conn = yield* listener.accept
      const before = conn.tlsState!()!
      yield* connect(listener.port, certs.alice, raw)
      expect(before.handshakeComplete).toBe(false)
      expect(before.peerCertificates).toEqual([])
      expect(yield* firstRead(conn)).toBe("hello")
      const after = conn.tlsState!()!
      expect(after.handshakeComplete).toBe(true)
      expect(after.authorized).toBe(true)
      expect(after.authorizationError).toBeUndefined()
      expect(after.peerCertificates.map((c) => c.subject)).toEqual(["CN=alice\nO=Clients", "CN=Test CA"])
      expect(after.peerCertificates[0]!.fingerprint256).toBe(new crypto.X509Certificate(certs.alice.cert).fingerprint256)
      expect(after.peerCertificates[0]!.raw).toBeInstanceOf(Uint8Array)
      // Read once: the same object on every later call.
      expect(conn.tlsState!()).toBe(after)
      yield* conn.close
    }))

  it.scoped("ca takes several authorities, as text or bytes: a client of either is authorized", () =>
    Effect.gen(function*() {
      const listener = yield* serve({ requestCert: true, ca: [Buffer.from(certs.otherCa), certs.ca] })
      for (const who of [certs.mallory, certs.alice]) {
        yield* connect(listener.port, who)
        const conn = yield* listener.accept
        expect(yield* firstRead(conn)).toBe("hello")
        const state = conn.tlsState!()!
        expect(state.authorized).toBe(true)
        expect(state.peerCertificates[0]!.fingerprint256).toBe(new crypto.X509Certificate(who.cert).fingerprint256)
        yield* conn.close
      }
    }))

  it.scoped("rejectUnauthorized (the default): a self-signed client's connection ends before its bytes are read", () =>
    Effect.gen(function*() {
      const listener = yield* serve({ requestCert: true, ca: certs.ca })
      const client = yield* connect(listener.port, certs.eve)
      const conn = yield* listener.accept
      expect(["end", "error"]).toContain(yield* firstRead(conn))
      yield* Effect.timeoutFail(conn.closed, { duration: "5 seconds", onTimeout: () => new Error("not closed") })
      expect(conn.isClosed()).toBe(true)
      const state = conn.tlsState!()!
      expect(state.authorized).toBe(false)
      expect(state.authorizationError).toBe("DEPTH_ZERO_SELF_SIGNED_CERT")
      // The client finished its handshake (TLS 1.3) and then lost the connection.
      yield* Effect.timeoutFail(
        Effect.async<void>((resume) => {
          if (client.events.includes("close")) return resume(Effect.void)
          client.socket.once("close", () => resume(Effect.void))
        }),
        { duration: "5 seconds", onTimeout: () => new Error("the client was not closed") }
      )
      expect(client.events).toContain("close")
    }))

  it.scoped("without requestCert no certificate is asked for: an empty chain, nothing to verify", () =>
    Effect.gen(function*() {
      const listener = yield* serve({})
      yield* connect(listener.port, certs.alice)
      const conn = yield* listener.accept
      expect(yield* firstRead(conn)).toBe("hello")
      const state = conn.tlsState!()!
      expect(state).toMatchObject({ handshakeComplete: true, authorized: false, authorizationError: undefined, peerCertificates: [] })
      yield* conn.close
    }))
})
