/**
 * Mutual TLS, with certificates made by openssl for this file (test/support/mtlsCerts.ts): a
 * CA we control ("Test CA"), a server certificate it issued (localhost, 127.0.0.1), a client
 * certificate it issued (CN=alice), one from another CA (CN=mallory) and a self-signed one
 * (CN=eve).
 *
 * - our Transport presenting a client certificate to a node:https server that requires one,
 *   and failing, typed, without it;
 * - our Server with `requestCert` (rejecting by default, or not) against node:https, our
 *   Transport and curl: the handler sees the chain and the verdict, refused clients do not
 *   reach it and the server goes on serving;
 * - `rejectUnauthorized` without `requestCert` is an InvalidConfig.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { execFile } from "node:child_process"
import * as crypto from "node:crypto"
import type * as http from "node:http"
import * as https from "node:https"
import * as path from "node:path"
import type * as tls from "node:tls"
import { InvalidConfig } from "../../src/domain/configErrors.js"
import type { TlsState } from "../../src/net/Conn.js"
import { TlsError } from "../../src/net/errors.js"
import { Server } from "../../src/server/Server.js"
import { ServerRequest } from "../../src/server/ServerRequest.js"
import * as ServerResponse from "../../src/server/ServerResponse.js"
import { Client } from "../../src/transport/Client.js"
import type { TransportConfig } from "../../src/transport/config.js"
import { TransportError } from "../../src/transport/errors.js"
import { HttpTest } from "../../src/testing/HttpTest.js"
import { Transport } from "../../src/transport/Transport.js"
import { makeMtlsCerts, type MtlsCerts, type Pem } from "../support/mtlsCerts.js"
import { peer } from "../transport/peers.js"
import { startServer } from "./rawClient.js"

let certs: MtlsCerts | undefined
let dir = ""
let ca = ""
let server: Pem
let alice: Pem
let mallory: Pem
let eve: Pem
let otherCa = ""

beforeAll(() => {
  certs = makeMtlsCerts()
  ;({ dir, ca, otherCa, server, alice, mallory, eve } = certs)
}, 60_000)

afterAll(() => certs?.remove())

/** The fingerprint of a PEM certificate, in Node's form. */
const fingerprint = (pem: string): string => new crypto.X509Certificate(pem).fingerprint256

// --- the client side: our Transport against node:https ---------------------------------

const client = (config: TransportConfig) => Client.layer({}).pipe(Layer.provideMerge(Transport.layer({ proxy: "none", ...config })))

/** GET through the Client in context: the status and body. */
const getText = (url: string) =>
  Effect.gen(function*() {
    const c = yield* Client
    const response = yield* c.get(url)
    const body = yield* response.text
    return { status: response.status, body }
  }).pipe(Effect.scoped)

/** GET through the Client in context, expecting a TransportError. */
const transportError = (url: string) =>
  Effect.flatMap(Client, (c) => Effect.flip(Effect.scoped(c.get(url)))).pipe(
    Effect.flatMap((e) => e instanceof TransportError ? Effect.succeed(e) : Effect.die(new Error(`expected a TransportError, got ${e._tag}`)))
  )

/** A node:https server requiring a client certificate from `ca`; answers with the client's CN. */
const requiringPeer = (options: https.ServerOptions = {}) =>
  peer((req: http.IncomingMessage, res: http.ServerResponse) => {
    const socket = req.socket as tls.TLSSocket
    res.end(`hello ${String(socket.getPeerCertificate().subject?.CN)} ${socket.authorized}`)
  }, { key: server.key, cert: server.cert, ca, requestCert: true, rejectUnauthorized: true, ...options })

describe("mutual TLS: the Transport's client certificate", () => {
  it.live("a client certificate from the Transport's tls options is presented and accepted", () =>
    Effect.gen(function*() {
      const p = yield* requiringPeer()
      const r = yield* getText(`https://localhost:${p.port}/`).pipe(
        Effect.provide(client({ tls: { ca, cert: alice.cert, key: alice.key } }))
      )
      expect(r).toEqual({ status: 200, body: "hello alice true" })
      expect(p.seen.length).toBe(1)
    }).pipe(Effect.scoped))

  it.live("without a certificate, a TLS 1.2 server's refusal is a tls-handshake TransportError with the TlsError", () =>
    Effect.gen(function*() {
      const p = yield* requiringPeer({ maxVersion: "TLSv1.2" })
      const error = yield* transportError(`https://localhost:${p.port}/`).pipe(Effect.provide(client({ tls: { ca } })))
      expect(error.phase).toBe("tls-handshake")
      expect(error.reason).toBe("tls-failed")
      expect(error.cause).toBeInstanceOf(TlsError)
      expect(error.code).toMatch(/ALERT_HANDSHAKE_FAILURE|CERTIFICATE_REQUIRED/)
      expect(p.seen).toEqual([])
    }).pipe(Effect.scoped))

  it.live("without a certificate, a TLS 1.3 server's alert comes after the client's handshake: a typed error naming its phase and the alert", () =>
    Effect.gen(function*() {
      const p = yield* requiringPeer()
      const error = yield* transportError(`https://localhost:${p.port}/`).pipe(Effect.provide(client({ tls: { ca } })))
      // TLS 1.3: the client's handshake is over before the server reads its (missing)
      // certificate, so the alert arrives as the connection's first read.
      expect(error.phase).toBe("awaiting-headers")
      expect(error.reason).toBe("tls-failed")
      expect(error.code).toBe("ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED")
      expect(error.cause).toMatchObject({ _tag: "ConnError", op: "read", code: "ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED" })
      expect(p.seen).toEqual([])
    }).pipe(Effect.scoped))

  it.live("a client certificate from another CA is refused", () =>
    Effect.gen(function*() {
      const p = yield* requiringPeer()
      const error = yield* transportError(`https://localhost:${p.port}/`).pipe(
        Effect.provide(client({ tls: { ca, cert: mallory.cert, key: mallory.key } }))
      )
      // node's tls.Server verifies the chain after the handshake and closes the connection
      // without an alert: the client sees its connection closed before any answer.
      expect(error).toBeInstanceOf(TransportError)
      expect(error.phase).toBe("awaiting-headers")
      expect(["closed", "reset"]).toContain(error.reason)
      expect(p.seen).toEqual([])
    }).pipe(Effect.scoped))
})

// --- the server side: our Server against node:https, our Transport, curl -----------------

/** What the handler saw of the request's TLS state. */
interface Seen {
  readonly authorized: boolean
  readonly authorizationError: string | undefined
  readonly chain: ReadonlyArray<{ readonly subject: string; readonly issuer: string; readonly fingerprint256: string }>
}

/** A handler recording each request's TLS state, answering with the leaf's subject. */
const recording = () => {
  const states: Array<TlsState> = []
  const handler = (req: ServerRequest) =>
    Effect.sync(() => {
      const state = req.tls!
      states.push(state)
      const leaf = state.peerCertificates[0]
      return ServerResponse.text(`${leaf === undefined ? "anonymous" : leaf.subject.split("\n")[0]} ${state.authorized}`)
    })
  const seen = (i: number): Seen => {
    const s = states[i]!
    return {
      authorized: s.authorized,
      authorizationError: s.authorizationError,
      chain: s.peerCertificates.map((c) => ({ subject: c.subject, issuer: c.issuer, fingerprint256: c.fingerprint256 }))
    }
  }
  return { states, handler, seen }
}

interface NodeResult {
  readonly status: number
  readonly body: string
}

/** One request with node:https on its own connection, at most 10 s; a failure is the Error. */
const nodeGet = (url: string, options: https.RequestOptions): Effect.Effect<NodeResult, Error> =>
  Effect.async<NodeResult, Error>((resume) => {
    const req = https.request(url, { ...options, agent: false }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (chunk: Buffer) => chunks.push(chunk))
      res.on("error", (error) => resume(Effect.fail(error)))
      res.on("end", () => resume(Effect.succeed({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") })))
    })
    req.on("error", (error) => resume(Effect.fail(error)))
    req.end()
    return Effect.sync(() => req.destroy())
  }).pipe(Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => new Error(`request to ${url} timed out`) }))

/** curl with `args`, at most 15 s: its exit code and output. */
const curl = (...args: Array<string>): Effect.Effect<{ readonly code: number; readonly stdout: string; readonly stderr: string }> =>
  Effect.async((resume) => {
    const child = execFile("/usr/bin/curl", ["--silent", "--show-error", "--max-time", "10", ...args], { timeout: 15_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1
      resume(Effect.succeed({ code, stdout, stderr }))
    })
    return Effect.sync(() => child.kill())
  })

const mtlsServer = (handler: (req: ServerRequest) => Effect.Effect<ServerResponse.ServerResponse>, rejectUnauthorized?: boolean) =>
  startServer({
    handler,
    tls: { key: server.key, cert: server.cert, ca, requestCert: true, ...(rejectUnauthorized === undefined ? {} : { rejectUnauthorized }) }
  })

describe("mutual TLS: the Server", () => {
  it.live("requestCert (rejecting by default): a client with a certificate from the CA is served, the handler sees the chain, authorized", () =>
    Effect.gen(function*() {
      const r = recording()
      const s = yield* mtlsServer(r.handler)
      const url = `https://localhost:${s.port}/`
      const res = yield* nodeGet(url, { ca, cert: alice.cert, key: alice.key })
      expect(res).toEqual({ status: 200, body: "CN=alice true" })
      expect(r.seen(0)).toEqual({
        authorized: true,
        authorizationError: undefined,
        chain: [
          { subject: "CN=alice\nO=Clients", issuer: "CN=Test CA", fingerprint256: fingerprint(alice.cert) },
          { subject: "CN=Test CA", issuer: "CN=Test CA", fingerprint256: fingerprint(ca) }
        ]
      })
      const leaf = r.states[0]!.peerCertificates[0]!
      // The DER bytes are the certificate's: parsed again, they give the same certificate.
      expect(new crypto.X509Certificate(leaf.raw).fingerprint256).toBe(fingerprint(alice.cert))
      const x509 = new crypto.X509Certificate(alice.cert)
      expect(leaf.validFrom.getTime()).toBe(new Date(x509.validFrom).getTime())
      expect(leaf.validTo.getTime()).toBe(new Date(x509.validTo).getTime())
      expect(leaf.validTo.getTime() - leaf.validFrom.getTime()).toBe(2 * 24 * 3600 * 1000)
      // Made by this run's beforeAll: valid from about now.
      expect(Math.abs(leaf.validFrom.getTime() - Date.now())).toBeLessThan(3600 * 1000)
      expect(leaf.serialNumber).toBe(x509.serialNumber)
    }).pipe(Effect.scoped))

  it.live("requestCert with rejectUnauthorized: a certificate from another CA, a self-signed one and none are refused; the server goes on serving", () =>
    Effect.gen(function*() {
      const r = recording()
      const s = yield* mtlsServer(r.handler, true)
      const url = `https://localhost:${s.port}/`
      for (const who of [mallory, eve, undefined]) {
        const error = yield* Effect.flip(nodeGet(url, { ca, ...(who === undefined ? {} : { cert: who.cert, key: who.key }) }))
        // A refused client learns it from the connection: an alert (no certificate) or the
        // connection closed right after the handshake (a certificate that did not verify).
        expect(error.message).toMatch(/certificate required|socket hang up|ECONNRESET|read ECONNRESET/)
      }
      expect(r.states).toEqual([])
      const ok = yield* nodeGet(url, { ca, cert: alice.cert, key: alice.key })
      expect(ok).toEqual({ status: 200, body: "CN=alice true" })
      expect(r.states.length).toBe(1)
      expect((yield* s.stats).accepted).toBe(4)
    }).pipe(Effect.scoped))

  it.live("requestCert without rejectUnauthorized rejects a client without a certificate (Node's default)", () =>
    Effect.gen(function*() {
      const r = recording()
      const s = yield* mtlsServer(r.handler)
      const error = yield* Effect.flip(nodeGet(`https://localhost:${s.port}/`, { ca }))
      expect(error.message).toMatch(/certificate required/)
      expect(r.states).toEqual([])
    }).pipe(Effect.scoped))

  it.live("requestCert, rejectUnauthorized false: a client without a certificate is served with an empty chain", () =>
    Effect.gen(function*() {
      const r = recording()
      const s = yield* mtlsServer(r.handler, false)
      const res = yield* nodeGet(`https://localhost:${s.port}/`, { ca })
      expect(res).toEqual({ status: 200, body: "anonymous false" })
      expect(r.seen(0)).toEqual({ authorized: false, authorizationError: "NO_PEER_CERTIFICATE", chain: [] })
    }).pipe(Effect.scoped))

  it.live("requestCert, rejectUnauthorized false: a self-signed or foreign client certificate is served, not authorized, with the reason", () =>
    Effect.gen(function*() {
      const r = recording()
      const s = yield* mtlsServer(r.handler, false)
      const url = `https://localhost:${s.port}/`
      expect(yield* nodeGet(url, { ca, cert: eve.cert, key: eve.key })).toEqual({ status: 200, body: "CN=eve false" })
      expect(r.seen(0)).toEqual({
        authorized: false,
        authorizationError: "DEPTH_ZERO_SELF_SIGNED_CERT",
        chain: [{ subject: "CN=eve", issuer: "CN=eve", fingerprint256: fingerprint(eve.cert) }]
      })
      expect(yield* nodeGet(url, { ca, cert: mallory.cert, key: mallory.key })).toEqual({ status: 200, body: "CN=mallory false" })
      expect(r.seen(1).authorized).toBe(false)
      expect(r.seen(1).authorizationError).toBe("UNABLE_TO_VERIFY_LEAF_SIGNATURE")
      expect(r.seen(1).chain[0]).toEqual({ subject: "CN=mallory", issuer: "CN=Other CA", fingerprint256: fingerprint(mallory.cert) })
      // A valid one is still authorized on the same server.
      expect(yield* nodeGet(url, { ca, cert: alice.cert, key: alice.key })).toEqual({ status: 200, body: "CN=alice true" })
    }).pipe(Effect.scoped))

  it.live("a server without requestCert asks for nothing: the chain is empty, authorizationError undefined", () =>
    Effect.gen(function*() {
      const r = recording()
      const s = yield* startServer({ handler: r.handler, tls: { key: server.key, cert: server.cert } })
      const res = yield* nodeGet(`https://localhost:${s.port}/`, { ca, cert: alice.cert, key: alice.key })
      expect(res).toEqual({ status: 200, body: "anonymous false" })
      expect(r.seen(0)).toEqual({ authorized: false, authorizationError: undefined, chain: [] })
    }).pipe(Effect.scoped))

  it.live("our Transport with a client certificate against our Server: the state is read once per connection", () =>
    Effect.gen(function*() {
      const r = recording()
      const s = yield* mtlsServer(r.handler)
      const url = `https://localhost:${s.port}`
      const first = yield* getText(`${url}/a`)
      const second = yield* getText(`${url}/b`)
      expect(first).toEqual({ status: 200, body: "CN=alice true" })
      expect(second).toEqual({ status: 200, body: "CN=alice true" })
      expect((yield* s.stats).accepted).toBe(1)
      // The same connection: the same state, not read again.
      expect(r.states[1]).toBe(r.states[0])
      expect(r.states[1]!.peerCertificates).toBe(r.states[0]!.peerCertificates)
    }).pipe(Effect.scoped, Effect.provide(client({ tls: { ca, cert: alice.cert, key: alice.key } }))))

  it.live("curl with --cert/--key/--cacert is served; without --cert it is refused", () =>
    Effect.gen(function*() {
      const r = recording()
      const s = yield* mtlsServer(r.handler)
      const url = `https://localhost:${s.port}/curl`
      const files = { ca: path.join(dir, "ca.pem"), cert: path.join(dir, "alice.pem"), key: path.join(dir, "alice.key") }
      const ok = yield* curl("--cacert", files.ca, "--cert", files.cert, "--key", files.key, url)
      expect(ok).toMatchObject({ code: 0, stdout: "CN=alice true" })
      expect(r.seen(0).chain[0]!.fingerprint256).toBe(fingerprint(alice.cert))
      const refused = yield* curl("--cacert", files.ca, url)
      expect(refused.code).not.toBe(0)
      expect(r.states.length).toBe(1)
    }).pipe(Effect.scoped))

  it.live("HttpTest.tlsServer keeps the server's client-certificate settings; its client presents the Transport's certificate", () =>
    Effect.gen(function*() {
      const r = recording()
      const test = HttpTest.tlsServer(r.handler, { server: { tls: { key: "ignored", cert: "ignored", requestCert: true, ca } }, transport: { tls: { cert: alice.cert, key: alice.key } } })
      const body = yield* Effect.gen(function*() {
        const { client, url } = yield* HttpTest
        const response = yield* client.get(`${url}/t`)
        return yield* response.text
      }).pipe(Effect.scoped, Effect.provide(test))
      expect(body).toBe("CN=alice true")
      expect(r.seen(0).chain[0]!.fingerprint256).toBe(fingerprint(alice.cert))
      // Its client without a certificate is refused.
      const anonymous = HttpTest.tlsServer(r.handler, { server: { tls: { key: "ignored", cert: "ignored", requestCert: true, ca } } })
      const error = yield* Effect.gen(function*() {
        const { client, url } = yield* HttpTest
        return yield* Effect.flip(client.get(`${url}/t`))
      }).pipe(Effect.scoped, Effect.provide(anonymous))
      expect(error).toMatchObject({ _tag: "TransportError", reason: "tls-failed", code: "ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED" })
      expect(r.states.length).toBe(1)
    }))

  it.effect("rejectUnauthorized without requestCert is an InvalidConfig naming the field", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Effect.scoped(Server.make({
        host: "127.0.0.1",
        port: 0,
        handler: () => Effect.succeed(ServerResponse.text("never")),
        tls: { key: server.key, cert: server.cert, ca, rejectUnauthorized: true }
      })))
      expect(error).toBeInstanceOf(InvalidConfig)
      expect(error).toMatchObject({ _tag: "InvalidConfig", component: "Server", field: "tls.rejectUnauthorized", value: true })
      expect(error.message).toContain("requestCert")
    }))

  it("ServerRequest.make: an https request has no client certificate unless given one", () => {
    const made = ServerRequest.make({ method: "GET", url: "https://example.com/" })
    expect(made._tag).toBe("Right")
    if (made._tag !== "Right") return
    expect(made.right.tls?.peerCertificates).toEqual([])
    expect(made.right.tls?.authorizationError).toBeUndefined()
  })

  it("otherCa is a different CA (a sanity check of the fixtures)", () => {
    expect(fingerprint(otherCa)).not.toBe(fingerprint(ca))
  })
})
