/**
 * Real peers for the Client's tests: node:http and node:https servers on 127.0.0.1:0 for a
 * Scope, recording what they received, and the test certificate in test/fixtures (CN=localhost,
 * subjectAltName DNS:localhost and IP:127.0.0.1).
 */
import { Effect, type Scope } from "effect"
import * as Body from "../../src/domain/Body.js"
import { Client } from "../../src/transport/Client.js"
import { TransportError } from "../../src/transport/errors.js"
import * as fs from "node:fs"
import * as http from "node:http"
import * as https from "node:https"
import type * as net from "node:net"
import type * as tls from "node:tls"

/** The self-signed test certificate (also its own CA) and its key. */
export const cert = fs.readFileSync(new URL("../fixtures/server-cert.pem", import.meta.url), "utf8")
export const key = fs.readFileSync(new URL("../fixtures/server-key.pem", import.meta.url), "utf8")

/** What a test server saw of one request. */
export interface Seen {
  readonly method: string
  readonly url: string
  readonly headers: http.IncomingHttpHeaders
  readonly body: Buffer
  /** The TLS server name the client sent (SNI), when over TLS. */
  readonly servername: string | false | null | undefined
  /** The ALPN protocol negotiated, when over TLS. */
  readonly alpn: string | false | null | undefined
}

/** A running test server. */
export interface Peer {
  readonly port: number
  /** `http://127.0.0.1:port` or `https://...`. */
  readonly url: string
  readonly seen: Array<Seen>
  /** Connections accepted so far. */
  readonly connections: () => number
}

type Handle = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => void

/** A node:http (or, with `tlsOptions`, node:https) server for the Scope, answering with `handle`. */
export const peer = (handle: Handle, tlsOptions?: https.ServerOptions): Effect.Effect<Peer, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<{ server: http.Server; peer: Peer }>((resume) => {
      const seen: Array<Seen> = []
      let connections = 0
      const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
        const parts: Array<Buffer> = []
        req.on("data", (c: Buffer) => parts.push(c))
        req.on("end", () => {
          const body = Buffer.concat(parts)
          const socket = req.socket as Partial<tls.TLSSocket>
          seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body, servername: socket.servername, alpn: socket.alpnProtocol })
          handle(req, res, body)
        })
      }
      const server: http.Server = tlsOptions === undefined
        ? http.createServer({ keepAlive: true }, onRequest)
        : https.createServer({ key, cert, ...tlsOptions }, onRequest)
      server.on(tlsOptions === undefined ? "connection" : "secureConnection", () => connections++)
      server.listen(0, "127.0.0.1", () => {
        const port = (server.address() as net.AddressInfo).port
        const scheme = tlsOptions === undefined ? "http" : "https"
        resume(Effect.succeed({ server, peer: { port, url: `${scheme}://127.0.0.1:${port}`, seen, connections: () => connections } }))
      })
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ peer }) => peer))

/** Answers `text` with status 200. */
export const text = (body: string): Handle => (_req, res) => {
  res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": Buffer.byteLength(body) })
  res.end(body)
}

/** GET `url` through the Client in context: the status and the body as text. */
export const getText = (url: string) =>
  Effect.gen(function*() {
    const c = yield* Client
    const response = yield* c.get(url)
    return { status: response.status, body: Buffer.from(yield* Body.collect(response.body)).toString() }
  }).pipe(Effect.scoped)

/** GET `url` through the Client in context, expecting it to fail with a `TransportError`. */
export const transportError = (url: string) =>
  Effect.flatMap(Client, (c) => Effect.flip(Effect.scoped(c.get(url)))).pipe(
    Effect.flatMap((e) => e instanceof TransportError ? Effect.succeed(e) : Effect.die(new Error(`expected a TransportError, got ${e._tag}`)))
  )
