/**
 * Life behind a load balancer: readiness (`ServerService.ready`, the `ServerReadiness` service,
 * `Handlers.health`) flips when a graceful shutdown begins; `shutdownDelay` keeps accepting and
 * serving for that long (on the TestClock) before the listener closes; and every HTTP/1.1
 * answer written during the drain says `Connection: close`, whatever produced it (a handler's
 * answer, a canned reply of the codec, a failure's 500, FileServer, a stream, the
 * @effect/platform layer).
 */
import { HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Either, Exit, Fiber, Scope, Stream, TestClock } from "effect"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import * as net from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as NetHttpServer from "../../src/platform/HttpServer.js"
import { InvalidConfig } from "../../src/domain/configErrors.js"
import { fileServer } from "../../src/server/fileServer.js"
import type { Handler } from "../../src/server/Handler.js"
import { health, ServerReadiness } from "../../src/server/readiness.js"
import { Server, type ServerService } from "../../src/server/Server.js"
import { ServerRequest } from "../../src/server/ServerRequest.js"
import * as ServerResponse from "../../src/server/ServerResponse.js"
import { recordResponse as record } from "../../src/server/record.js"
import { h2Request, h2Session, serveH2c } from "./h2/support.js"
import { get, rawConnect, realSleep, startServer } from "./rawClient.js"

/** Polls `cond` in real time (bounded). */
const eventually = (cond: Effect.Effect<boolean>, timeoutMs = 5_000): Effect.Effect<boolean> =>
  Effect.gen(function*() {
    const deadline = Date.now() + timeoutMs
    while (!(yield* cond) && Date.now() < deadline) yield* realSleep(5)
    return yield* cond
  })

/** Whether a TCP connection to `port` is refused (real time, bounded). */
const refused = (port: number): Effect.Effect<boolean> =>
  Effect.async<boolean>((resume) => {
    const socket = net.connect({ host: "127.0.0.1", port })
    const timer = setTimeout(() => done(false), 2_000)
    const done = (r: boolean) => {
      clearTimeout(timer)
      socket.destroy()
      resume(Effect.succeed(r))
    }
    socket.once("connect", () => done(false))
    socket.once("error", () => done(true))
  })

const routes = (rest: Handler): Handler => (request) => request.url.pathname === "/healthz" ? health(request) : rest(request)

describe("readiness and shutdownDelay", () => {
  it.effect("Handlers.health outside a server answers 200", () =>
    Effect.gen(function*() {
      const recorded = yield* record(health, Either.getOrThrow(ServerRequest.make({ url: "/healthz" })))
      expect(recorded.status).toBe(200)
      expect(recorded.text).toBe("ok\n")
    }))

  it.effect("a negative shutdownDelay is InvalidConfig", () =>
    Effect.gen(function*() {
      const result = yield* Effect.either(Effect.scoped(Server.make({ host: "127.0.0.1", port: 0, handler: health, shutdownDelay: -1 })))
      expect(Either.isLeft(result) && result.left instanceof InvalidConfig && result.left.field === "shutdownDelay").toBe(true)
    }))

  it.scoped("shutdownDelay (TestClock): not ready at once, still accepting and serving with Connection: close, then the drain", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler: routes(() => Effect.succeed(ServerResponse.text("served"))), shutdownDelay: "5 seconds" })
      const a = yield* rawConnect(server.port)
      yield* a.send(get("/healthz"))
      const [ok] = yield* a.responses(1)
      expect(ok!.status).toBe(200)
      expect(ok!.header("Connection")).toBeUndefined()
      expect(yield* server.ready).toBe(true)

      const stopping = yield* Effect.fork(server.shutdown())
      expect(yield* eventually(Effect.map(server.ready, (r) => !r))).toBe(true)
      // The readiness probe on the kept-alive connection: 503 and Connection: close.
      yield* a.send(get("/healthz"))
      const [down] = yield* a.responses(1)
      expect(down!.status).toBe(503)
      expect(down!.header("Connection")).toBe("close")
      expect(yield* a.closed()).toBe(true)
      // Still accepting and serving during the delay, each answer closing its connection.
      yield* TestClock.adjust("4 seconds")
      const b = yield* rawConnect(server.port)
      yield* b.send(get("/work"))
      const [served] = yield* b.responses(1)
      expect(served!.body).toBe("served")
      expect(served!.header("Connection")).toBe("close")
      expect(stopping.unsafePoll()).toBeNull()
      // The delay ends: the listener closes and the shutdown completes.
      yield* TestClock.adjust("2 seconds")
      expect(Exit.isSuccess(yield* Fiber.await(stopping))).toBe(true)
      expect(yield* refused(server.port)).toBe(true)
    }))

  it.scoped("a close during the delay ends it at once", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler: health, shutdownDelay: "1 hour" })
      const stopping = yield* Effect.fork(server.shutdown())
      expect(yield* eventually(Effect.map(server.ready, (r) => !r))).toBe(true)
      yield* server.close
      expect(Exit.isSuccess(yield* Fiber.await(stopping))).toBe(true)
      expect(yield* refused(server.port)).toBe(true)
    }))

  it.scopedLive("real sockets: 200 while serving, 503 with Connection: close once a shutdown began; the notReady hook fires", () =>
    Effect.gen(function*() {
      const hooked = yield* Deferred.make<boolean>()
      const handler: Handler = (request) =>
        request.url.pathname === "/watch"
          // The server provides ServerReadiness to its handlers (read as an option: R stays never).
          ? Effect.flatMap(Effect.orDie(Effect.flatten(Effect.serviceOption(ServerReadiness))), (r) =>
            Effect.zipRight(r.notReady, Effect.as(Deferred.succeed(hooked, true), ServerResponse.text("saw it"))))
          : routes(() => Effect.succeed(ServerResponse.text("x")))(request)
      const server = yield* startServer({ handler, shutdownDelay: "300 millis" })
      const watcher = yield* rawConnect(server.port)
      yield* watcher.send(get("/watch"))
      const a = yield* rawConnect(server.port)
      yield* a.send(get("/healthz"))
      expect((yield* a.responses(1))[0]!.status).toBe(200)
      const stopping = yield* Effect.fork(server.shutdown())
      yield* a.send(get("/healthz"))
      const [down] = yield* a.responses(1)
      expect(down!.status).toBe(503)
      expect(down!.body).toBe("shutting down\n")
      expect(down!.header("Connection")).toBe("close")
      expect(yield* Deferred.await(hooked).pipe(Effect.timeout("5 seconds"))).toBe(true)
      expect((yield* watcher.responses(1))[0]!.header("Connection")).toBe("close")
      yield* Fiber.join(stopping)
    }))
})

// ---------------------------------------------------------------------------------------------
// Connection: close during the drain, on every HTTP/1.1 path

/**
 * Starts `handler`'s request on a connection, begins a graceful shutdown while it is in flight
 * (the handler waits on `release`), releases it, and returns the answer.
 */
const inFlightDuringShutdown = (
  server: ServerService,
  started: Deferred.Deferred<void>,
  release: Deferred.Deferred<void>,
  request: string
) =>
  Effect.gen(function*() {
    const c = yield* rawConnect(server.port)
    yield* c.send(request)
    yield* Deferred.await(started).pipe(Effect.timeout("5 seconds"))
    const stopping = yield* Effect.fork(server.shutdown("5 seconds"))
    expect(yield* eventually(Effect.map(server.ready, (r) => !r))).toBe(true)
    yield* Deferred.succeed(release, undefined)
    const [answer] = yield* c.responses(1)
    expect(yield* c.closed()).toBe(true)
    yield* Fiber.join(stopping)
    return answer!
  })

const held = (answer: (request: ServerRequest) => Effect.Effect<ServerResponse.ServerResponse<unknown>, unknown>) =>
  Effect.gen(function*() {
    const started = yield* Deferred.make<void>()
    const release = yield* Deferred.make<void>()
    const handler: Handler<unknown> = (request) => Effect.zipRight(Effect.zipRight(Deferred.succeed(started, undefined), Deferred.await(release)), answer(request))
    return { started, release, handler }
  })

describe("Connection: close on every answer during the drain", () => {
  it.scopedLive("a normal answer", () =>
    Effect.gen(function*() {
      const { handler, release, started } = yield* held(() => Effect.succeed(ServerResponse.text("done")))
      const server = yield* startServer({ handler })
      const answer = yield* inFlightDuringShutdown(server, started, release, get("/"))
      expect(answer.body).toBe("done")
      expect(answer.header("Connection")).toBe("close")
    }))

  it.scopedLive("a handler failure's 500", () =>
    Effect.gen(function*() {
      const { handler, release, started } = yield* held(() => Effect.fail("boom"))
      const server = yield* startServer({ handler })
      const answer = yield* inFlightDuringShutdown(server, started, release, get("/"))
      expect(answer.status).toBe(500)
      expect(answer.header("Connection")).toBe("close")
    }))

  it.scopedLive("FileServer", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "wt-lb-files-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
      writeFileSync(join(dir, "a.txt"), "file body")
      const files = fileServer(dir)
      const { handler, release, started } = yield* held((r) => files(r))
      const server = yield* startServer({ handler })
      const answer = yield* inFlightDuringShutdown(server, started, release, get("/a.txt"))
      expect(answer.body).toBe("file body")
      expect(answer.header("Connection")).toBe("close")
    }))

  it.scopedLive("a streamed answer (its head after the shutdown began)", () =>
    Effect.gen(function*() {
      const { handler, release, started } = yield* held(() =>
        Effect.succeed(ServerResponse.stream(Stream.make("a", "b", "c").pipe(Stream.encodeText)))
      )
      const server = yield* startServer({ handler })
      const answer = yield* inFlightDuringShutdown(server, started, release, get("/"))
      expect(answer.body).toBe("abc")
      expect(answer.header("Transfer-Encoding")).toBe("chunked")
      expect(answer.header("Connection")).toBe("close")
    }))

  it.scopedLive("a stream whose head went out before the shutdown: finished, then the connection closed", () =>
    Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      const release = yield* Deferred.make<void>()
      const body = Stream.concat(
        Stream.make("first ").pipe(Stream.encodeText, Stream.tap(() => Deferred.succeed(started, undefined))),
        Stream.fromEffect(Deferred.await(release)).pipe(Stream.as("last"), Stream.encodeText)
      )
      const server = yield* startServer({ handler: () => Effect.succeed(ServerResponse.stream(body)) })
      const c = yield* rawConnect(server.port)
      yield* c.send(get("/"))
      yield* Deferred.await(started)
      expect(yield* c.until((r) => r.includes("first "))).toBe(true)
      const stopping = yield* Effect.fork(server.shutdown("5 seconds"))
      yield* Deferred.succeed(release, undefined)
      const [answer] = yield* c.responses(1)
      expect(answer!.body).toBe("first last")
      expect(yield* c.closed()).toBe(true)
      yield* Fiber.join(stopping)
    }))

  /**
   * A handler in flight reading a chunked body when the shutdown begins; the rest of the body,
   * sent then, is bad: the codec's canned reply for it.
   */
  const bodyFaultDuringDrain = (options: { readonly maxBodyBytes?: number }, rest: string) =>
    Effect.gen(function*() {
      const { handler, release, started } = yield* held((request) => Effect.map(request.text, (t) => ServerResponse.text(t)))
      const server = yield* startServer({ handler, ...options })
      const c = yield* rawConnect(server.port)
      yield* c.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n")
      yield* Deferred.await(started)
      const stopping = yield* Effect.fork(server.shutdown("5 seconds"))
      expect(yield* eventually(Effect.map(server.ready, (r) => !r))).toBe(true)
      yield* Deferred.succeed(release, undefined)
      yield* c.send(rest)
      const [answer] = yield* c.responses(1)
      yield* Fiber.join(stopping)
      return answer!
    })

  it.scopedLive("canned replies of the codec: 400 (bad chunked framing), 413 (maxBodyBytes), 431 (during shutdownDelay)", () =>
    Effect.gen(function*() {
      const bad = yield* bodyFaultDuringDrain({}, "zz\r\n")
      expect(bad.status).toBe(400)
      expect(bad.header("Connection")).toBe("close")
      const large = yield* bodyFaultDuringDrain({ maxBodyBytes: 10 }, `20\r\n${"a".repeat(32)}\r\n0\r\n\r\n`)
      expect(large.status).toBe(413)
      expect(large.header("Connection")).toBe("close")
      const server = yield* startServer({ handler: health, maxHeaderBytes: 256, shutdownDelay: "10 seconds" })
      const stopping = yield* Effect.fork(server.shutdown())
      expect(yield* eventually(Effect.map(server.ready, (r) => !r))).toBe(true)
      const c = yield* rawConnect(server.port)
      yield* c.send(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(400)}\r\n\r\n`)
      const [big] = yield* c.responses(1)
      expect(big!.status).toBe(431)
      expect(big!.header("Connection")).toBe("close")
      expect(yield* c.closed()).toBe(true)
      yield* server.close
      yield* Fiber.await(stopping)
    }))

  it.scopedLive("a 404 (ServeMux's own answers go the normal path)", () =>
    Effect.gen(function*() {
      const { handler, release, started } = yield* held(() => Effect.succeed(ServerResponse.text("404 page not found\n", { status: 404 })))
      const server = yield* startServer({ handler })
      const answer = yield* inFlightDuringShutdown(server, started, release, get("/missing"))
      expect(answer.status).toBe(404)
      expect(answer.header("Connection")).toBe("close")
    }))

  it.scopedLive("the @effect/platform HttpServer layer", () =>
    Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      const release = yield* Deferred.make<void>()
      const scope = yield* Effect.scope
      const { http, server } = yield* Effect.orDie(NetHttpServer.makeWithServer({ host: "127.0.0.1", port: 0 }))
      const app = Effect.zipRight(Effect.zipRight(Deferred.succeed(started, undefined), Deferred.await(release)), HttpServerResponse.text("platform"))
      yield* http.serve(app).pipe(Scope.extend(scope))
      const answer = yield* inFlightDuringShutdown(server, started, release, get("/"))
      expect(answer.body).toBe("platform")
      expect(answer.header("Connection")).toBe("close")
    }))

  it.scopedLive("during shutdownDelay too, answers say Connection: close", () =>
    Effect.gen(function*() {
      const { handler, release, started } = yield* held(() => Effect.succeed(ServerResponse.text("done")))
      const server = yield* startServer({ handler, shutdownDelay: "200 millis" })
      const answer = yield* inFlightDuringShutdown(server, started, release, get("/"))
      expect(answer.header("Connection")).toBe("close")
    }))

  it.scopedLive("HTTP/2: GOAWAY instead, and the stream in flight finishes", () =>
    Effect.gen(function*() {
      const { handler, release, started } = yield* held(() => Effect.succeed(ServerResponse.text("h2 done")))
      const server = yield* serveH2c({ handler })
      const session = yield* h2Session(server.url)
      let goaway = false
      session.on("goaway", () => {
        goaway = true
      })
      const answer = yield* Effect.fork(h2Request(session, { ":path": "/" }))
      yield* Deferred.await(started).pipe(Effect.timeout("5 seconds"))
      const stopping = yield* Effect.fork(server.shutdown("5 seconds"))
      expect(yield* eventually(Effect.sync(() => goaway))).toBe(true)
      yield* Deferred.succeed(release, undefined)
      const done = yield* Fiber.join(answer)
      expect(done.status).toBe(200)
      expect(done.body).toBe("h2 done")
      yield* Fiber.join(stopping)
    }))
})
