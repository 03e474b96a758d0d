/**
 * The Server's timeouts per HTTP/2 stream, on the TestClock: a request body that stalls for
 * `readTimeout` fails its read (408 on that stream), an answer the client stops taking for
 * `writeTimeout` resets that stream, and in both cases the session and its other streams live
 * on; a session with no stream for `idleTimeout` gets GOAWAY and closes.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Stream, TestClock } from "effect"
import type * as http2 from "node:http2"
import type { ServerService } from "../../../src/server/Server.js"
import * as ServerResponse from "../../../src/server/ServerResponse.js"
import { h2Request, h2Session, serveH2 } from "./support.js"

/** Real time passing (the TestClock does not move), for socket I/O. */
const realSleep = (ms: number) => Effect.promise(() => new Promise<void>((r) => setTimeout(r, ms)))

/** Polls `check` in real time, at most `ms`. */
const eventually = (check: () => boolean, ms = 3_000) =>
  Effect.gen(function*() {
    for (let waited = 0; waited < ms && !check(); waited += 10) yield* realSleep(10)
    return check()
  })

const streams = (server: ServerService) => Effect.map(server.stats, (s) => s.h2Streams)

describe("HTTP/2 per-stream timeouts (TestClock)", () => {
  it.scoped("a stalled request body fails with 408 after readTimeout; the session lives on", () =>
    Effect.gen(function*() {
      const server = yield* serveH2({ readTimeout: "60 seconds", handler: (req) => Effect.map(req.text, (t) => ServerResponse.text(t)) })
      const session = yield* h2Session(server.url)
      let status = 0
      const req = session.request({ ":method": "POST", ":path": "/upload" })
      req.on("response", (h) => (status = Number(h[":status"])))
      req.on("error", () => {})
      req.write("part of it")
      yield* realSleep(100) // the body's first part arrives
      yield* Effect.flatMap(streams(server), (n) => Effect.sync(() => expect(n).toBe(1)))
      yield* TestClock.adjust("30 seconds")
      yield* realSleep(20)
      expect(status).toBe(0)
      yield* TestClock.adjust("31 seconds")
      expect(yield* eventually(() => status !== 0)).toBe(true)
      expect(status).toBe(408)
      const next = yield* h2Request(session, { ":method": "POST", ":path": "/again" }, "whole")
      expect(next.body).toBe("whole")
    }), 20_000)

  it.scoped("an answer the client stops taking for writeTimeout resets that stream only", () =>
    Effect.gen(function*() {
      const chunk = new Uint8Array(256 * 1024)
      const server = yield* serveH2({
        writeTimeout: "60 seconds",
        handler: (req) =>
          req.url.pathname === "/small" ? Effect.succeed(ServerResponse.text("small")) : Effect.succeed(ServerResponse.stream(Stream.repeatValue(chunk).pipe(Stream.take(4096))))
      })
      const session = yield* h2Session(server.url)
      const req: http2.ClientHttp2Stream = session.request({ ":path": "/big" })
      req.end()
      req.pause()
      req.on("error", () => {})
      let closed = false
      req.on("close", () => (closed = true))
      yield* realSleep(100)
      for (let i = 0; i < 12 && !closed; i++) {
        yield* TestClock.adjust("10 seconds")
        yield* realSleep(20)
      }
      expect(yield* eventually(() => closed)).toBe(true)
      expect(req.rstCode).toBe(2) // INTERNAL_ERROR, as Go
      const small = yield* h2Request(session, { ":path": "/small" }, undefined, { endStream: true })
      expect(small.body).toBe("small")
    }), 20_000)

  it.scoped("a session without streams for idleTimeout gets GOAWAY and closes", () =>
    Effect.gen(function*() {
      const server = yield* serveH2({ idleTimeout: "120 seconds", handler: () => Effect.succeed(ServerResponse.text("x")) })
      const session = yield* h2Session(server.url)
      let goaway: number | undefined = undefined
      session.on("goaway", (code) => (goaway = code))
      yield* h2Request(session, { ":path": "/" }, undefined, { endStream: true })
      yield* TestClock.adjust("100 seconds")
      yield* realSleep(30)
      expect((yield* server.stats).connections).toBe(1)
      yield* TestClock.adjust("25 seconds")
      const count = () => Effect.runSync(Effect.map(server.stats, (s) => s.connections))
      expect(yield* eventually(() => count() === 0)).toBe(true)
      expect(goaway).toBe(0)
    }), 20_000)
})
