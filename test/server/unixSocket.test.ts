/**
 * The Server on a Unix domain socket (`path`): answering curl `--unix-socket`, node:http's
 * `request({ socketPath })` and our own Transport (`socketPath`, plain and TLS); the service's
 * `url`, `path`, `host` and `port`; a Unix peer's missing address reaching the handler, the
 * ConnState and ConnContext hooks without harm; the socket file removed when the Scope closes
 * and a file already there failing the listen (EADDRINUSE, left in place); `host`/`port` and
 * `path` exclusive; the platform's `UnixAddress`. Socket paths live in a fresh directory under
 * the system's temporary one, removed after each test.
 */
import { describe, expect, it } from "@effect/vitest"
import { HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Context, Effect, Exit, Layer, Option, Scope } from "effect"
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as http from "node:http"
import * as os from "node:os"
import * as path from "node:path"
import * as Body from "../../src/domain/Body.js"
import { Request } from "../../src/domain/Request.js"
import * as NetHttpServer from "../../src/platform/HttpServer.js"
import type { ConnInfo, ConnState, ServerOptions } from "../../src/server/config.js"
import { Server, type ServerService } from "../../src/server/Server.js"
import type { ServerRequest } from "../../src/server/ServerRequest.js"
import * as ServerResponse from "../../src/server/ServerResponse.js"
import { TEST_CERT, TEST_KEY } from "../../src/testing/testCert.js"
import { Transport } from "../../src/transport/Transport.js"

/** A fresh directory under the system's temporary one, removed when the Scope closes. */
const tempDir: Effect.Effect<string, never, Scope.Scope> = Effect.acquireRelease(
  Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "nethttp-unix-"))),
  (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
)

/** Says what it knows of the request and its connection. */
const handler = (req: ServerRequest) =>
  Effect.succeed(
    ServerResponse.text(`${req.method} ${req.target} host=${req.host} remote=${req.remoteAddress ?? "-"}:${req.remotePort ?? "-"} local=${req.localAddress ?? "-"}`)
  )

/** Our server with `options` (and the handler above), in the Scope; its build error as it is. */
const serve = (options: Omit<ServerOptions<never, never>, "handler">): Effect.Effect<ServerService, unknown, Scope.Scope> =>
  Effect.map(Layer.build(Server.layer({ handler, ...options })), (ctx) => Context.get(ctx, Server))

const CURL = "/usr/bin/curl"
const hasCurl = fs.existsSync(CURL)

/** Runs curl (at most 15 s; killed on interruption). */
const curl = (args: ReadonlyArray<string>): Effect.Effect<{ readonly code: number; readonly stdout: string; readonly stderr: string }, Error> =>
  Effect.async((resume) => {
    const child = execFile(CURL, ["--max-time", "10", ...args], { timeout: 15_000, encoding: "utf8" }, (error, stdout, stderr) => {
      if (error !== null && typeof error.code !== "number") return resume(Effect.fail(new Error(`curl failed: ${error.message}\n${stderr}`)))
      resume(Effect.succeed({ code: error === null ? 0 : Number(error.code), stdout, stderr }))
    })
    child.stdin?.end()
    return Effect.sync(() => void child.kill("SIGKILL"))
  })

/** A GET with node:http over `socketPath` (a fresh connection each time). */
const nodeGet = (socketPath: string, target: string): Effect.Effect<{ readonly status: number; readonly body: string }, Error> =>
  Effect.async((resume) => {
    const req = http.request({ socketPath, path: target, headers: { Host: "localhost" }, agent: false }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (c: Buffer) => chunks.push(c))
      res.on("end", () => resume(Effect.succeed({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") })))
      res.on("error", (e) => resume(Effect.fail(e)))
    })
    req.on("error", (e) => resume(Effect.fail(e)))
    req.end()
    return Effect.sync(() => void req.destroy())
  })

/** A GET through the Transport in context, read to the end. */
const get = (url: string) =>
  Effect.gen(function*() {
    const transport = yield* Transport
    const request = yield* Request.make({ url })
    const response = yield* transport.roundTrip(request)
    const body = Buffer.from(yield* Body.collect(response.body)).toString("utf8")
    return { status: response.status, body }
  }).pipe(Effect.scoped)

describe("Server on a Unix socket", () => {
  it.live("the service names the socket: url http://localhost, path, host localhost, port 0; the file exists while it serves", () =>
    Effect.gen(function*() {
      const socket = path.join(yield* tempDir, "srv.sock")
      const server = yield* serve({ path: socket })
      expect(server.url).toBe("http://localhost")
      expect(server.path).toBe(socket)
      expect(server.host).toBe("localhost")
      expect(server.port).toBe(0)
      expect(fs.statSync(socket).isSocket()).toBe(true)
    }).pipe(Effect.scoped))

  it.live.skipIf(!hasCurl)("curl --unix-socket: two requests on one connection, a Unix peer's address absent, not a crash", () =>
    Effect.gen(function*() {
      const socket = path.join(yield* tempDir, "srv.sock")
      const server = yield* serve({ path: socket })
      const r = yield* curl(["-s", "-v", "--unix-socket", socket, `${server.url}/one?x=1`, `${server.url}/two`])
      expect(r.code).toBe(0)
      expect(r.stdout).toBe("GET /one?x=1 host=localhost remote=-:- local=-GET /two host=localhost remote=-:- local=-")
      expect(r.stderr).toMatch(/Re-using existing connection|Reusing existing connection/)
      expect((yield* server.stats).accepted).toBe(1)
    }).pipe(Effect.scoped))

  it.live("node:http request({ socketPath }) is answered, several times", () =>
    Effect.gen(function*() {
      const socket = path.join(yield* tempDir, "srv.sock")
      const server = yield* serve({ path: socket })
      for (let i = 0; i < 3; i++) {
        const r = yield* nodeGet(socket, `/n/${i}`)
        expect(r).toEqual({ status: 200, body: `GET /n/${i} host=localhost remote=-:- local=-` })
      }
      expect((yield* server.stats).accepted).toBe(3)
    }).pipe(Effect.scoped))

  it.live("our Transport against our Server over the socket: answered, one connection reused", () =>
    Effect.gen(function*() {
      const socket = path.join(yield* tempDir, "srv.sock")
      const server = yield* serve({ path: socket })
      yield* Effect.gen(function*() {
        for (let i = 0; i < 5; i++) {
          const r = yield* get(`${server.url}/r/${i}`)
          expect(r).toEqual({ status: 200, body: `GET /r/${i} host=localhost remote=-:- local=-` })
        }
        const stats = yield* Effect.flatMap(Transport, (t) => t.stats)
        expect(stats.reuses).toBe(4)
      }).pipe(Effect.provide(Transport.layer({ proxy: "none", socketPath: socket })))
      expect((yield* server.stats).accepted).toBe(1)
    }).pipe(Effect.scoped))

  it.live("HTTPS on a socket: our Transport verifies the test certificate for localhost", () =>
    Effect.gen(function*() {
      const socket = path.join(yield* tempDir, "tls.sock")
      const server = yield* serve({ path: socket, tls: { key: TEST_KEY, cert: TEST_CERT } })
      expect(server.url).toBe("https://localhost")
      const r = yield* get(`${server.url}/secure`).pipe(Effect.provide(Transport.layer({ proxy: "none", socketPath: socket, tls: { ca: TEST_CERT } })))
      expect(r).toEqual({ status: 200, body: "GET /secure host=localhost remote=-:- local=-" })
    }).pipe(Effect.scoped))

  it.live("the ConnState and ConnContext hooks get a ConnInfo without addresses and the connection is served", () =>
    Effect.gen(function*() {
      const socket = path.join(yield* tempDir, "srv.sock")
      const states: Array<[ConnState, string | undefined]> = []
      const infos: Array<ConnInfo> = []
      const server = yield* serve({
        path: socket,
        connState: (info, state) => Effect.sync(() => void states.push([state, info.remoteAddress])),
        connContext: (info) => Effect.sync(() => (infos.push(info), Context.empty()))
      })
      expect((yield* nodeGet(socket, "/hooks")).status).toBe(200)
      yield* server.closeConnections
      expect(infos.map((i) => [i.remoteAddress, i.remotePort, i.localAddress, i.localPort])).toEqual([[undefined, undefined, undefined, undefined]])
      expect(states.map(([s]) => s)).toContain("Active")
      expect(states.every(([, remote]) => remote === undefined)).toBe(true)
    }).pipe(Effect.scoped))

  it.live("closing the Scope removes the socket file; a new server can then listen on the path", () =>
    Effect.gen(function*() {
      const socket = path.join(yield* tempDir, "srv.sock")
      const scope = yield* Scope.make()
      const first = yield* serve({ path: socket }).pipe(Scope.extend(scope))
      expect((yield* nodeGet(socket, "/before")).status).toBe(200)
      expect(first.path).toBe(socket)
      yield* Scope.close(scope, Exit.void)
      expect(fs.existsSync(socket)).toBe(false)
      const again = yield* serve({ path: socket })
      expect((yield* nodeGet(socket, "/again")).body).toContain("GET /again")
      expect(again.path).toBe(socket)
    }).pipe(Effect.scoped))

  it.live("a file already at the path fails the listen with ListenError EADDRINUSE naming the path, and is left there", () =>
    Effect.gen(function*() {
      const socket = path.join(yield* tempDir, "stale.sock")
      fs.writeFileSync(socket, "stale")
      const error = yield* Effect.flip(serve({ path: socket }))
      expect(error).toMatchObject({ _tag: "ListenError", path: socket, code: "EADDRINUSE" })
      expect((error as Error).message).toContain(`listen unix ${socket}`)
      expect(fs.readFileSync(socket, "utf8")).toBe("stale")
    }).pipe(Effect.scoped))

  it.live("a second server on a path in use fails with EADDRINUSE; the first goes on serving", () =>
    Effect.gen(function*() {
      const socket = path.join(yield* tempDir, "srv.sock")
      yield* serve({ path: socket })
      const error = yield* Effect.flip(serve({ path: socket }))
      expect(error).toMatchObject({ _tag: "ListenError", path: socket, code: "EADDRINUSE" })
      expect((yield* nodeGet(socket, "/still")).status).toBe(200)
    }).pipe(Effect.scoped))
})

describe("where to listen: host and port, or path", () => {
  const invalid = (options: Omit<ServerOptions<never, never>, "handler">) =>
    Effect.flip(serve(options)).pipe(
      Effect.map((e) => (e as { readonly _tag: string; readonly field?: string }))
    )

  it.live("both, neither, half of host/port, or an empty path: InvalidConfig naming the field, nothing listens", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const socket = path.join(dir, "srv.sock")
      expect(yield* invalid({ path: socket, host: "127.0.0.1", port: 0 })).toMatchObject({ _tag: "InvalidConfig", field: "host" })
      expect(yield* invalid({ path: socket, port: 0 })).toMatchObject({ _tag: "InvalidConfig", field: "port" })
      expect(yield* invalid({})).toMatchObject({ _tag: "InvalidConfig", field: "host" })
      expect(yield* invalid({ host: "127.0.0.1" })).toMatchObject({ _tag: "InvalidConfig", field: "port" })
      expect(yield* invalid({ path: "" })).toMatchObject({ _tag: "InvalidConfig", field: "path" })
      expect(fs.readdirSync(dir)).toEqual([])
    }).pipe(Effect.scoped))
})

describe("the platform's HttpServer on a Unix socket", () => {
  it.live("its address is a UnixAddress with the path; an app's request has no remote address and is answered", () =>
    Effect.gen(function*() {
      const socket = path.join(yield* tempDir, "platform.sock")
      const { http: httpServer, server } = yield* NetHttpServer.makeWithServer({ path: socket })
      expect(httpServer.address).toEqual({ _tag: "UnixAddress", path: socket })
      expect(server.url).toBe("http://localhost")
      yield* httpServer.serve(
        Effect.map(HttpServerRequest.HttpServerRequest, (req) => HttpServerResponse.text(`${req.url} remote=${Option.getOrElse(req.remoteAddress, () => "none")}`))
      )
      expect(yield* nodeGet(socket, "/app")).toEqual({ status: 200, body: "/app remote=none" })
    }).pipe(Effect.scoped))
})
