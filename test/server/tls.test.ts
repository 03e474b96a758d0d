/**
 * The Server over HTTPS with the self-signed certificate in test/fixtures (CN=localhost,
 * subjectAltName DNS:localhost and IP:127.0.0.1, valid for 100 years): node:https clients
 * that trust it, one that does not, and a plain-HTTP client knocking on the TLS port.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Scope } from "effect"
import * as fs from "node:fs"
import * as http from "node:http"
import * as https from "node:https"
import type * as tls from "node:tls"
import type { ServerRequest } from "../../src/server/ServerRequest.js"
import * as ServerResponse from "../../src/server/ServerResponse.js"
import { get, rawConnect, startServer } from "./rawClient.js"

const key = fs.readFileSync(new URL("../fixtures/server-key.pem", import.meta.url), "utf8")
const cert = fs.readFileSync(new URL("../fixtures/server-cert.pem", import.meta.url), "utf8")

const handler = (req: ServerRequest) =>
  Effect.succeed(ServerResponse.text(`${req.scheme} ${req.url.protocol} ${req.method} ${req.target}`))

interface TlsResponse {
  readonly status: number
  readonly body: string
  readonly alpnProtocol: string | false | null | undefined
  readonly authorized: boolean
  readonly reusedSocket: boolean
}

/** node:https passes ALPNProtocols on to tls.connect; its RequestOptions type leaves it out. */
type ClientOptions = https.RequestOptions & Pick<tls.ConnectionOptions, "ALPNProtocols">

/** One request with node:https (or node:http for `plain`), at most 10 s; interruption destroys it. */
const request = (url: string, options: ClientOptions, plain = false): Effect.Effect<TlsResponse, Error> =>
  Effect.async<TlsResponse, Error>((resume) => {
    const req = (plain ? http : https).request(url, options, (res) => {
      const socket = res.socket as tls.TLSSocket
      const chunks: Array<Buffer> = []
      res.on("data", (chunk: Buffer) => chunks.push(chunk))
      res.on("error", (error) => resume(Effect.fail(error)))
      res.on("end", () =>
        resume(Effect.succeed({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString("utf8"),
          alpnProtocol: socket.alpnProtocol,
          authorized: socket.authorized,
          reusedSocket: req.reusedSocket
        })))
    })
    req.on("error", (error) => resume(Effect.fail(error)))
    req.end()
    return Effect.sync(() => req.destroy())
  }).pipe(Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => new Error(`request to ${url} timed out`) }))

/** A trusting client with its own connection (no agent pooling). */
const trusted: ClientOptions = { ca: cert, ALPNProtocols: ["http/1.1"], agent: false }

describe("HTTPS", () => {
  it.live("serves HTTPS: the url is https://, the certificate verifies, ALPN negotiates http/1.1", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler, tls: { key, cert } })
      expect(server.url).toBe(`https://127.0.0.1:${server.port}`)
      expect(server.url.startsWith("https://")).toBe(true)

      // Verified against the IP address SAN...
      const r = yield* request(`${server.url}/secure?x=1`, trusted)
      expect(r.status).toBe(200)
      expect(r.body).toBe("https https: GET /secure?x=1")
      expect(r.authorized).toBe(true)
      expect(r.alpnProtocol).toBe("http/1.1")

      // ...and against the DNS SAN, sent as SNI.
      const byName = yield* request(`${server.url}/by-name`, { ...trusted, servername: "localhost" })
      expect(byName.body).toBe("https https: GET /by-name")
      expect(byName.authorized).toBe(true)
      expect((yield* server.stats).accepted).toBe(2)
    }).pipe(Effect.scoped))

  it.live("with HTTP/2 off, a client offering h2 and http/1.1 gets http/1.1 (on by default: test/server/h2)", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler, tls: { key, cert }, protocols: { http2: false } })
      const r = yield* request(`${server.url}/alpn`, { ...trusted, ALPNProtocols: ["h2", "http/1.1"] })
      expect(r.status).toBe(200)
      expect(r.alpnProtocol).toBe("http/1.1")
    }).pipe(Effect.scoped))

  it.live("keep-alive over TLS: three requests on one connection", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler, tls: { key, cert } })
      const agent = yield* Effect.acquireRelease(
        Effect.sync(() => new https.Agent({ keepAlive: true, maxSockets: 1, ca: cert })),
        (a) => Effect.sync(() => a.destroy())
      )
      const reused: Array<boolean> = []
      for (const path of ["/1", "/2", "/3"]) {
        const r = yield* request(`${server.url}${path}`, { agent })
        expect(r.body).toBe(`https https: GET ${path}`)
        reused.push(r.reusedSocket)
      }
      expect(reused).toEqual([false, true, true])
      expect((yield* server.stats).accepted).toBe(1)
    }).pipe(Effect.scoped))

  it.live("a client without the CA rejects the certificate; the server goes on serving the next client", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler, tls: { key, cert } })
      const rejected = yield* Effect.flip(request(`${server.url}/untrusted`, { agent: false }))
      expect((rejected as NodeJS.ErrnoException).code).toBe("DEPTH_ZERO_SELF_SIGNED_CERT")
      expect(rejected.message).toMatch(/self[- ]signed certificate/i)

      const ok = yield* request(`${server.url}/trusted`, trusted)
      expect(ok.status).toBe(200)
      expect(ok.body).toBe("https https: GET /trusted")
      // Both TCP connections were accepted (the handshake runs on the accepted connection, as Go's).
      expect((yield* server.stats).accepted).toBe(2)
    }).pipe(Effect.scoped))

  it.live("plain HTTP to the TLS port is dropped without an answer and does not hurt the server", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler, tls: { key, cert } })

      // node:http speaking plain HTTP: the connection is cut, no HTTP answer.
      const plain = yield* Effect.flip(request(`http://127.0.0.1:${server.port}/plain`, { agent: false }, true))
      expect(plain.message).toMatch(/socket hang up|ECONNRESET|Parse Error/)

      // Raw bytes: the server closes, having sent nothing that looks like HTTP.
      const c = yield* rawConnect(server.port)
      yield* c.send(get("/raw"))
      expect(yield* c.closed()).toBe(true)
      expect(c.received()).not.toContain("HTTP/1.1")

      const ok = yield* request(`${server.url}/after`, trusted)
      expect(ok.status).toBe(200)
      expect(ok.body).toBe("https https: GET /after")
      expect(ok.alpnProtocol).toBe("http/1.1")
      const stats = yield* server.stats
      expect(stats.accepted).toBe(3)
      expect(stats.connections).toBe(1)
    }).pipe(Effect.scoped))

  // The TLS handshake runs on the accepted connection (src/net/Listener.ts), so a client that
  // leaves during it, or a server that closes, ends it like any other connection.
  it.live("a client that connects and ends (FIN) before any TLS byte is closed by the server", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler, tls: { key, cert } })
      const c = yield* rawConnect(server.port)
      yield* c.end
      expect(yield* c.closed(2_000)).toBe(true)
    }).pipe(Effect.scoped))

  it.live("closing the server closes connections still in their TLS handshake", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const server = yield* Scope.extend(startServer({ handler, tls: { key, cert } }), scope)
      // Connected, sends nothing: the handshake never starts.
      const c = yield* rawConnect(server.port)
      yield* Scope.close(scope, Exit.void)
      // Expected: the shutdown closes it (the Listener closes "what was never accepted").
      // Actual: the socket stays open until the client goes (or 120 s).
      expect(yield* c.closed(2_000)).toBe(true)
    }).pipe(Effect.scoped))
})
