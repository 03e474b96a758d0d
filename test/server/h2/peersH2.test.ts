/**
 * The Server over HTTP/2 against other real peers and in its lifecycle: curl (`--http2` over
 * TLS, `--http2-prior-knowledge` for h2c), undici with `allowH2`, the @effect/platform layer
 * unchanged over h2, a graceful shutdown that sends GOAWAY and lets open streams finish, a
 * slow reader held back by flow control (the handler's stream waits; memory stays bounded),
 * and `protocols` that turn each protocol off.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Stream } from "effect"
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as http2 from "node:http2"
import * as net from "node:net"
import * as tls from "node:tls"
import { HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Client, request as undiciRequest } from "undici"
import * as NetHttpServer from "../../../src/platform/HttpServer.js"
import * as ServerResponse from "../../../src/server/ServerResponse.js"
import { TEST_CERT, TEST_KEY } from "../../../src/testing/testCert.js"
import { h2Request, h2Session, serveH2, serveH2c } from "./support.js"

const CURL = "/usr/bin/curl"
const hasCurl = fs.existsSync(CURL)

/** Runs curl (at most 15 s). */
const curl = (args: ReadonlyArray<string>) =>
  Effect.async<{ readonly code: number; readonly stdout: string; readonly stderr: string }, Error>((resume) => {
    const child = execFile(CURL, ["--max-time", "10", "-sS", ...args], { timeout: 15_000, encoding: "utf8" }, (error, stdout, stderr) => {
      if (error !== null && typeof error.code !== "number") return resume(Effect.fail(new Error(`curl failed: ${error.message}\n${stderr}`)))
      resume(Effect.succeed({ code: error === null ? 0 : Number(error.code), stdout, stderr }))
    })
    child.stdin?.end()
    return Effect.sync(() => void child.kill("SIGKILL"))
  })


describe("HTTP/2 peers", () => {
  it.scopedLive.skipIf(!hasCurl)("curl --http2 over TLS and --http2-prior-knowledge (h2c) get HTTP/2", () =>
    Effect.gen(function*() {
      const server = yield* serveH2({ handler: (req) => Effect.succeed(ServerResponse.text(`${req.proto} ${req.method} ${req.target}`)) })
      const overTls = yield* curl(["--http2", "-k", "-w", "|%{http_version}", `https://127.0.0.1:${server.port}/tls?q=1`])
      expect(overTls.stdout).toBe("HTTP/2.0 GET /tls?q=1|2")
      const post = yield* curl(["--http2", "-k", "-w", "|%{http_version}", "--data-binary", "abc", `https://127.0.0.1:${server.port}/p`])
      expect(post.stdout).toBe("HTTP/2.0 POST /p|2")
      const plain = yield* serveH2c({ handler: (req) => Effect.succeed(ServerResponse.text(`${req.proto} ${req.method} ${req.target} ${req.url.protocol}`)) })
      const h2c = yield* curl(["--http2-prior-knowledge", "-w", "|%{http_version}", `http://127.0.0.1:${plain.port}/c`])
      expect(h2c.stdout).toBe("HTTP/2.0 GET /c http:|2")
      // The same plain listener still serves HTTP/1.1.
      const h1 = yield* curl(["--http1.1", "-w", "|%{http_version}", `http://127.0.0.1:${plain.port}/one`])
      expect(h1.stdout).toBe("HTTP/1.1 GET /one http:|1.1")
    }))

  it.scopedLive("undici with allowH2 gets HTTP/2 answers, many on one connection", () =>
    Effect.gen(function*() {
      const server = yield* serveH2({ handler: (req) => Effect.map(req.text, (t) => ServerResponse.text(`${req.proto}:${t}`)) })
      // One undici Client is one connection (an Agent may open several while the first is new).
      const agent = new Client(`https://localhost:${server.port}`, { allowH2: true, connect: { ca: TEST_CERT, servername: "localhost" } })
      yield* Effect.addFinalizer(() => Effect.promise(() => agent.close()))
      // One first, so that the connection is up and known to speak h2 before the burst.
      const first = yield* Effect.promise(async () => {
        const r = await undiciRequest(`https://localhost:${server.port}/u`, { method: "POST", body: "first", dispatcher: agent })
        return await r.body.text()
      })
      expect(first).toBe("HTTP/2.0:first")
      const bodies = yield* Effect.all(
        Array.from({ length: 20 }, (_, i) =>
          Effect.promise(async () => {
            const r = await undiciRequest(`https://localhost:${server.port}/u`, { method: "POST", body: `n${i}`, dispatcher: agent })
            return `${r.statusCode} ${await r.body.text()}`
          })),
        { concurrency: "unbounded" }
      )
      expect(bodies).toEqual(Array.from({ length: 20 }, (_, i) => `200 HTTP/2.0:n${i}`))
      const stats = yield* server.stats
      expect(stats.h2Sessions).toBe(1)
      expect(stats.accepted).toBe(1)
    }))

  it.scopedLive("the @effect/platform HttpServer serves over h2 unchanged", () =>
    Effect.gen(function*() {
      const { http: httpServer, server } = yield* NetHttpServer.makeWithServer({
        host: "127.0.0.1",
        port: 0,
        tls: { key: TEST_KEY, cert: TEST_CERT },
        protocols: { http2: true }
      })
      yield* httpServer.serve(
        Effect.gen(function*() {
          const req = yield* HttpServerRequest.HttpServerRequest
          const body = yield* req.text
          return HttpServerResponse.text(`${req.method} ${req.url} ${body}`, { headers: { "x-app": "platform" } })
        })
      )
      const session = yield* h2Session(server.url)
      const a = yield* h2Request(session, { ":method": "POST", ":path": "/app?x=1" }, "payload")
      expect(a.status).toBe(200)
      expect(a.body).toBe("POST /app?x=1 payload")
      expect(a.headers["x-app"]).toBe("platform")
    }))
})

describe("HTTP/2 lifecycle", () => {
  it.scopedLive("a graceful shutdown sends GOAWAY, lets the open stream finish, and closes the session", () =>
    Effect.gen(function*() {
      const release = yield* Deferred.make<void>()
      const started = yield* Deferred.make<void>()
      const server = yield* serveH2({
        handler: () => Effect.zipRight(Effect.zipRight(Deferred.succeed(started, undefined), Deferred.await(release)), Effect.succeed(ServerResponse.text("finished")))
      })
      const session = yield* h2Session(server.url)
      let goaway: number | undefined = undefined
      session.on("goaway", (code) => (goaway = code))
      const inFlight = yield* Effect.fork(h2Request(session, { ":path": "/slow" }, undefined, { endStream: true }))
      yield* Deferred.await(started)
      const shutdown = yield* Effect.fork(server.shutdown("5 seconds"))
      yield* Effect.sleep("50 millis")
      expect(goaway).toBe(http2.constants.NGHTTP2_NO_ERROR)
      yield* Deferred.succeed(release, undefined)
      const answer = yield* Fiber.join(inFlight)
      expect(answer.body).toBe("finished")
      yield* Fiber.join(shutdown)
      expect((yield* server.stats).connections).toBe(0)
    }))

  it.scopedLive("a slow reader: the streamed answer waits on flow control, the server buffers a bounded amount", () =>
    Effect.gen(function*() {
      let produced = 0
      const chunk = new Uint8Array(64 * 1024)
      const server = yield* serveH2({
        handler: () =>
          Effect.succeed(ServerResponse.stream(Stream.repeatEffect(Effect.sync(() => {
            produced += chunk.length
            return chunk
          })).pipe(Stream.take(1024)))) // 64 MiB if nobody stopped it
      })
      const session = yield* h2Session(server.url)
      const req = session.request({ ":path": "/big" })
      req.end()
      req.pause()
      yield* Effect.sleep("500 millis")
      // HTTP/2's windows are 64 KiB per stream by default, plus what Node and the socket buffer.
      expect(produced).toBeLessThan(8 * 1024 * 1024)
      const before = produced
      let received = 0
      req.on("data", (c: Buffer) => (received += c.length))
      req.resume()
      yield* Effect.sleep("300 millis")
      expect(produced).toBeGreaterThan(before)
      expect(received).toBeGreaterThan(0)
      req.close()
    }))

  it.scopedLive("protocols: http2 off offers only http/1.1; http1 off refuses an HTTP/1.1 client", () =>
    Effect.gen(function*() {
      const h1Only = yield* serveH2({ handler: () => Effect.succeed(ServerResponse.text("x")), protocols: { http2: false } })
      const alpnOf = (port: number, offer: Array<string>) =>
        Effect.async<string, Error>((resume) => {
          const socket = tls.connect({ host: "127.0.0.1", port, ca: TEST_CERT, servername: "localhost", ALPNProtocols: offer })
          socket.on("secureConnect", () => {
            resume(Effect.succeed(String(socket.alpnProtocol)))
            socket.destroy()
          })
          socket.on("error", (e) => resume(Effect.fail(e)))
        }).pipe(Effect.timeout("5 seconds"))
      expect(yield* alpnOf(h1Only.port, ["h2", "http/1.1"])).toBe("http/1.1")
      const h2Only = yield* serveH2({ handler: () => Effect.succeed(ServerResponse.text("x")), protocols: { http1: false } })
      expect(yield* alpnOf(h2Only.port, ["h2", "http/1.1"])).toBe("h2")
      const ended = yield* Effect.async<string, Error>((resume) => {
        const socket = tls.connect({ host: "127.0.0.1", port: h2Only.port, ca: TEST_CERT, servername: "localhost" })
        let got = ""
        socket.on("secureConnect", () => socket.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
        socket.on("data", (c) => (got += c.toString()))
        socket.on("close", () => resume(Effect.succeed(got)))
        socket.on("error", () => {})
      }).pipe(Effect.timeout("5 seconds"))
      expect(ended).toBe("")
      // A plain server without unencryptedHTTP2 answers the preface as a bad HTTP/1.1 request.
      const plain = yield* serveH2c({ handler: () => Effect.succeed(ServerResponse.text("x")), protocols: { unencryptedHTTP2: false } })
      const reply = yield* Effect.async<string, Error>((resume) => {
        const socket = net.connect(plain.port, "127.0.0.1")
        let got = ""
        socket.on("connect", () => socket.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"))
        socket.on("data", (c) => (got += c.toString()))
        socket.on("close", () => resume(Effect.succeed(got)))
        socket.on("error", () => {})
      }).pipe(Effect.timeout("5 seconds"))
      expect(reply.startsWith("HTTP/1.1 505")).toBe(true)
    }))
})
