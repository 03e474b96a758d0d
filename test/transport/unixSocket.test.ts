/**
 * The Transport over Unix domain sockets (`socketPath`): node:http and node:https listening on
 * a socket path, requests to `http://localhost/...` going there with the URL's Host header and
 * request-target, connections reused (counted on the server), pooled apart from TCP ones, no
 * proxy in the way, the typed dial error for a missing socket and a file that is no socket,
 * and the setting's validation. Socket paths live in a fresh directory removed after each test.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Layer, type Scope } from "effect"
import * as fs from "node:fs"
import * as http from "node:http"
import * as https from "node:https"
import * as os from "node:os"
import * as path from "node:path"
import { DialError } from "../../src/net/errors.js"
import { ClientTrace } from "../../src/transport/ClientTrace.js"
import { validateTransportConfig, type TransportConfig } from "../../src/transport/config.js"
import { TransportError } from "../../src/transport/errors.js"
import { routeOf } from "../../src/transport/route.js"
import { Transport } from "../../src/transport/Transport.js"
import { cert, key } from "./peers.js"
import { get } from "./scripted.js"

/** A fresh directory under the system's temporary one, removed when the Scope closes. */
const tempDir: Effect.Effect<string, never, Scope.Scope> = Effect.acquireRelease(
  Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "nethttp-unix-"))),
  (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
)

interface Peer {
  /** Connections accepted so far. */
  readonly connections: () => number
  /** What each request said: Host and request-target. */
  readonly seen: Array<{ readonly host: string | undefined; readonly url: string | undefined }>
}

/** node:http (or node:https) on `listenOn` (a socket path or a TCP port on 127.0.0.1), answering `name`; closed with the Scope. */
const nodePeer = (name: string, listenOn: { readonly path: string } | { readonly port: number }, secure = false): Effect.Effect<Peer & { readonly port: number }, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<{ readonly server: http.Server; readonly peer: Peer & { readonly port: number } }>((resume) => {
      let connections = 0
      const seen: Peer["seen"] = []
      const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
        seen.push({ host: req.headers.host, url: req.url })
        res.end(`${name} ${req.url}`)
      }
      const server: http.Server = secure ? https.createServer({ key, cert }, handler) : http.createServer(handler)
      server.on(secure ? "secureConnection" : "connection", () => connections++)
      const ready = () => {
        const address = server.address()
        resume(Effect.succeed({ server, peer: { connections: () => connections, seen, port: typeof address === "object" && address !== null ? address.port : 0 } }))
      }
      if ("path" in listenOn) server.listen({ path: listenOn.path }, ready)
      else server.listen({ host: "127.0.0.1", port: listenOn.port }, ready)
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ peer }) => peer))

const withTransport = (config: TransportConfig) => <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.provide(self, Transport.layer({ proxy: "none", ...config }))

const stats = Effect.flatMap(Transport, (t) => t.stats)

describe("Transport socketPath", () => {
  it.live("requests to http://localhost go over the socket with the URL's Host and target, on one reused connection", () =>
    Effect.gen(function*() {
      const socket = path.join(yield* tempDir, "peer.sock")
      const peer = yield* nodePeer("unix", { path: socket })
      yield* Effect.gen(function*() {
        for (let i = 0; i < 5; i++) {
          const r = yield* get(`http://localhost/item?i=${i}`)
          expect(r.status).toBe(200)
          expect(r.text).toBe(`unix /item?i=${i}`)
        }
        const s = yield* stats
        expect(s.dials).toBe(1)
        expect(s.reuses).toBe(4)
        expect(Object.keys(s.hosts)).toEqual([`unix:${socket}|http://localhost:80`])
      }).pipe(withTransport({ socketPath: socket }))
      expect(peer.connections()).toBe(1)
      expect(peer.seen).toEqual([0, 1, 2, 3, 4].map((i) => ({ host: "localhost", url: `/item?i=${i}` })))
    }).pipe(Effect.scoped))

  it.live("a record sends only its origins over sockets; other origins, the same host and port included, go over TCP", () =>
    Effect.gen(function*() {
      const socket = path.join(yield* tempDir, "api.sock")
      const tcp = yield* nodePeer("tcp", { port: 0 })
      const unix = yield* nodePeer("unix", { path: socket })
      yield* Effect.gen(function*() {
        // localhost:PORT is mapped to the socket; 127.0.0.1:PORT is the TCP server.
        for (let i = 0; i < 3; i++) {
          expect((yield* get(`http://localhost:${tcp.port}/u${i}`)).text).toBe(`unix /u${i}`)
          expect((yield* get(`http://127.0.0.1:${tcp.port}/t${i}`)).text).toBe(`tcp /t${i}`)
        }
        const s = yield* stats
        expect(Object.keys(s.hosts).sort()).toEqual([`http://127.0.0.1:${tcp.port}`, `unix:${socket}|http://localhost:${tcp.port}`])
        expect(s.dials).toBe(2)
      }).pipe(withTransport({ socketPath: { [`http://localhost:${tcp.port}`]: socket } }))
      expect(unix.seen.map((s) => s.host)).toEqual([0, 1, 2].map(() => `localhost:${tcp.port}`))
      expect(unix.connections()).toBe(1)
      expect(tcp.connections()).toBe(1)
    }).pipe(Effect.scoped))

  it.live("ClientTrace names the connection's network \"unix\" and the socket path", () =>
    Effect.gen(function*() {
      const socket = path.join(yield* tempDir, "peer.sock")
      yield* nodePeer("unix", { path: socket })
      const events: Array<string> = []
      yield* get("http://localhost/traced").pipe(
        withTransport({ socketPath: socket }),
        Effect.provide(ClientTrace.layer({
          connectStart: (network, addr) => void events.push(`start ${network} ${addr}`),
          connectDone: (network, addr, error) => void events.push(`done ${network} ${addr} ${error ?? "ok"}`)
        }))
      )
      expect(events).toEqual([`start unix ${socket}`, `done unix ${socket} ok`])
    }).pipe(Effect.scoped))

  it("the pool key of a socket route differs from the TCP route's to the same host and port", () => {
    const url = new URL("http://localhost:8080/x")
    const tcp = routeOf(url, undefined)
    const unix = routeOf(url, undefined, "/run/app.sock")
    expect(unix.key).not.toBe(tcp.key)
    expect(unix.address).toEqual({ host: "localhost", port: 8080, path: "/run/app.sock" })
    expect(unix.hostPort).toBe(tcp.hostPort)
    expect(routeOf(url, undefined, "/run/other.sock").key).not.toBe(unix.key)
  })

  it.live("a proxy setting does not apply to requests over a socket", () =>
    Effect.gen(function*() {
      const socket = path.join(yield* tempDir, "peer.sock")
      yield* nodePeer("unix", { path: socket })
      // Nothing listens on port 1: a request through this proxy would fail.
      const r = yield* get("http://localhost/direct").pipe(withTransport({ socketPath: socket, proxy: "http://127.0.0.1:1" }))
      expect(r.text).toBe("unix /direct")
    }).pipe(Effect.scoped))

  it.live("https over a socket: TLS with the URL's host name, verified with the CA, reused", () =>
    Effect.gen(function*() {
      const socket = path.join(yield* tempDir, "tls.sock")
      const peer = yield* nodePeer("secure", { path: socket }, true)
      yield* Effect.gen(function*() {
        expect((yield* get("https://localhost/a")).text).toBe("secure /a")
        expect((yield* get("https://localhost/b")).text).toBe("secure /b")
      }).pipe(withTransport({ socketPath: socket, tls: { ca: cert } }))
      expect(peer.connections()).toBe(1)
    }).pipe(Effect.scoped))

  it.live("a missing socket fails in the dial phase with a DialError naming the path (ENOENT)", () =>
    Effect.gen(function*() {
      const socket = path.join(yield* tempDir, "missing.sock")
      const error = yield* Effect.flip(get("http://localhost/").pipe(withTransport({ socketPath: socket })))
      expect(error).toBeInstanceOf(TransportError)
      const e = error as TransportError
      expect(e.phase).toBe("dial")
      expect(e.cause).toBeInstanceOf(DialError)
      const dial = e.cause as DialError
      expect(dial.path).toBe(socket)
      expect(dial.code).toBe("ENOENT")
      expect(dial.host).toBe("localhost")
      expect(dial.port).toBe(80)
      expect(dial.message).toContain(`dial unix ${socket}`)
    }).pipe(Effect.scoped))

  it.live("a file that is no listening socket is refused (ECONNREFUSED), typed as refused", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const socket = path.join(dir, "stale.sock")
      // A file nobody listens on (a closed server's socket file is unlinked; a plain file
      // answers connect() as a dead socket does).
      fs.writeFileSync(socket, "")
      const error = yield* Effect.flip(get("http://localhost/").pipe(withTransport({ socketPath: socket })))
      const e = error as TransportError
      expect(e.phase).toBe("dial")
      expect(e.reason).toBe("refused")
      expect((e.cause as DialError).path).toBe(socket)
      expect((e.cause as DialError).code).toBe("ECONNREFUSED")
    }).pipe(Effect.scoped))
})

describe("socketPath validation", () => {
  const field = (config: TransportConfig) => Either.match(validateTransportConfig(config), { onLeft: (e) => e.field, onRight: () => undefined })

  it("an empty path, a record key that is no http(s) origin, and an empty path in a record are InvalidConfig", () => {
    expect(field({ socketPath: "" })).toBe("socketPath")
    expect(field({ socketPath: { "not a url": "/tmp/a.sock" } })).toBe("socketPath")
    expect(field({ socketPath: { "ftp://localhost": "/tmp/a.sock" } })).toBe("socketPath")
    expect(field({ socketPath: { "http://localhost": "" } })).toBe("socketPath")
    expect(field({ socketPath: "/tmp/a.sock" })).toBe(undefined)
    expect(field({ socketPath: { "http://localhost:8080": "/tmp/a.sock" } })).toBe(undefined)
  })

  it.effect("Transport.layer fails with the InvalidConfig", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Layer.build(Transport.layer({ socketPath: "" })))
      expect(error._tag).toBe("InvalidConfig")
      expect(error.field).toBe("socketPath")
    }).pipe(Effect.scoped))

  it("a record key's origin is normalized (default port, trailing slash, path ignored)", () => {
    const config = Either.getOrThrow(validateTransportConfig({ socketPath: { "http://LocalHost:80/api/": "/tmp/a.sock" } }))
    expect(config.socketPath?.("http://localhost")).toBe("/tmp/a.sock")
    expect(config.socketPath?.("http://localhost:8080")).toBe(undefined)
  })
})
