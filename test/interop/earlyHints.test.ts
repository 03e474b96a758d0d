/**
 * Interim responses (`request.writeInterim`) over real loopback sockets: two `103 Early Hints`
 * with Link fields before a 200, as node:http's client, undici and a raw socket see them; 101
 * and non-1xx statuses refused; nothing sent to an HTTP/1.0 client; `100` sent by the handler
 * before reading a body that expects it goes out once.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Stream } from "effect"
import * as http from "node:http"
import { Agent, request as undiciRequest } from "undici"
import { InterimResponseError } from "../../src/server/errors.js"
import type { ServerRequest } from "../../src/server/ServerRequest.js"
import * as ServerResponse from "../../src/server/ServerResponse.js"
import { rawConnect, startServer } from "../server/rawClient.js"

const STYLE = "</style.css>; rel=preload; as=style"
const SCRIPT = "</app.js>; rel=preload; as=script"

/** Two 103s (the first with one Link, the second with two), then a 200. */
const hints = (req: ServerRequest) =>
  Effect.gen(function*() {
    yield* req.writeInterim(103, { Link: STYLE })
    yield* req.writeInterim(103, [["Link", STYLE], ["Link", SCRIPT]])
    return ServerResponse.text("final")
  })

const EXPECTED_WIRE_PREFIX = "HTTP/1.1 103 Early Hints\r\nLink: " + STYLE + "\r\n\r\n" +
  "HTTP/1.1 103 Early Hints\r\nLink: " + STYLE + "\r\nLink: " + SCRIPT + "\r\n\r\n" +
  "HTTP/1.1 200 OK\r\n"

const timeout = <A, E>(self: Effect.Effect<A, E>, what: string) =>
  Effect.timeoutFail(self, { duration: "10 seconds", onTimeout: () => new Error(`${what} timed out`) })

describe("103 Early Hints twice, then 200", () => {
  it.live("node:http: two 'information' events with status 103 and the Link fields, then the 200", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler: hints })
      const agent = yield* Effect.acquireRelease(Effect.sync(() => new http.Agent({ keepAlive: false })), (a) => Effect.sync(() => a.destroy()))
      const r = yield* timeout(
        Effect.async<{ infos: Array<{ status: number; link: unknown }>; status: number; body: string }, Error>((resume) => {
          const infos: Array<{ status: number; link: unknown }> = []
          const req = http.get(`${server.url}/`, { agent }, (res) => {
            const chunks: Array<Buffer> = []
            res.on("data", (c: Buffer) => chunks.push(c))
            res.on("end", () => resume(Effect.succeed({ infos, status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() })))
            res.on("error", (e) => resume(Effect.fail(e)))
          })
          req.on("information", (info) => infos.push({ status: info.statusCode, link: info.headers.link }))
          req.on("error", (e) => resume(Effect.fail(e)))
          return Effect.sync(() => req.destroy())
        }),
        "node:http request"
      )
      expect(r.status).toBe(200)
      expect(r.body).toBe("final")
      expect(r.infos.map((i) => i.status)).toEqual([103, 103])
      expect(r.infos[0]!.link).toBe(STYLE)
      // node:http joins repeated Link fields with ", ".
      expect(r.infos[1]!.link).toBe(`${STYLE}, ${SCRIPT}`)
    }).pipe(Effect.scoped))

  it.live("undici: onInfo sees two 103s with the Link fields, then the 200", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler: hints })
      const dispatcher = yield* Effect.acquireRelease(Effect.sync(() => new Agent()), (a) => Effect.promise(() => a.destroy()))
      const r = yield* timeout(
        Effect.tryPromise({
          try: async () => {
            const infos: Array<{ statusCode: number; headers: Record<string, string | Array<string>> }> = []
            const res = await undiciRequest(`${server.url}/`, { dispatcher, onInfo: (info) => infos.push(info) })
            return { infos, status: res.statusCode, body: await res.body.text() }
          },
          catch: (e) => (e instanceof Error ? e : new Error(String(e)))
        }),
        "undici request"
      )
      expect(r.status).toBe(200)
      expect(r.body).toBe("final")
      expect(r.infos.map((i) => i.statusCode)).toEqual([103, 103])
      expect(r.infos[0]!.headers["link"]).toBe(STYLE)
      const second = r.infos[1]!.headers["link"]
      // undici keeps repeated fields as an array.
      expect(Array.isArray(second) ? second : [second]).toEqual([STYLE, SCRIPT])
    }).pipe(Effect.scoped))

  it.live("raw socket: exactly two 103 heads, then the 200, and the connection stays open", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler: hints })
      const c = yield* rawConnect(server.port)
      yield* c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
      expect(yield* c.until((s) => s.endsWith("\r\n\r\nfinal"))).toBe(true)
      const wire = c.received()
      expect(wire.startsWith(EXPECTED_WIRE_PREFIX)).toBe(true)
      expect(wire.split("HTTP/1.1 ").length - 1).toBe(3)
      expect(c.isEnded()).toBe(false)
      // The next request on the connection is served normally.
      yield* c.send("GET /again HTTP/1.1\r\nHost: x\r\n\r\n")
      expect(yield* c.until((s) => s.split("HTTP/1.1 103 ").length - 1 === 4 && s.endsWith("\r\n\r\nfinal") && s.length > wire.length)).toBe(true)
    }).pipe(Effect.scoped))
})

describe("writeInterim refusals and special cases", () => {
  it.live("101 and non-1xx statuses fail with InterimResponseError and send nothing", () =>
    Effect.gen(function*() {
      const server = yield* startServer({
        handler: (req: ServerRequest) =>
          Effect.gen(function*() {
            const outcomes: Array<string> = []
            for (const status of [101, 200, 99, 204, 1000]) {
              const e = yield* Effect.either(req.writeInterim(status))
              outcomes.push(
                Either.isLeft(e) ? `${status}:${e.left instanceof InterimResponseError ? e.left._tag : "other"}:${e.left.status}` : `${status}:sent`
              )
            }
            return ServerResponse.text(outcomes.join(","))
          })
      })
      const c = yield* rawConnect(server.port)
      yield* c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
      const [r] = yield* c.responses(1)
      expect(r?.status).toBe(200)
      expect(r?.body).toBe(
        "101:InterimResponseError:101,200:InterimResponseError:200,99:InterimResponseError:99,204:InterimResponseError:204,1000:InterimResponseError:1000"
      )
      expect(c.received().startsWith("HTTP/1.1 200 OK\r\n")).toBe(true)
    }).pipe(Effect.scoped))

  it.live("to an HTTP/1.0 request, writeInterim sends nothing (no error) and the 200 arrives", () =>
    Effect.gen(function*() {
      const server = yield* startServer({
        handler: (req: ServerRequest) =>
          Effect.map(Effect.either(hints(req)), (e) => Either.isRight(e) ? e.right : ServerResponse.text("interim failed", { status: 500 }))
      })
      const c = yield* rawConnect(server.port)
      yield* c.send("GET / HTTP/1.0\r\n\r\n")
      const [r] = yield* c.responses(1)
      expect(r?.status).toBe(200)
      expect(r?.body).toBe("final")
      expect(c.received()).not.toContain(" 103 ")
      expect(c.received().startsWith("HTTP/1.1 200 OK\r\n")).toBe(true)
    }).pipe(Effect.scoped))

  it.live("writeInterim(100) before reading a body with Expect: 100-continue: exactly one 100 Continue", () =>
    Effect.gen(function*() {
      const server = yield* startServer({
        handler: (req: ServerRequest) =>
          Effect.gen(function*() {
            yield* req.writeInterim(100)
            // A second explicit 100 is not sent either.
            yield* req.writeInterim(100)
            const t = yield* req.text
            return ServerResponse.text(`got ${t}`)
          })
      })
      const c = yield* rawConnect(server.port)
      yield* c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
      expect(yield* c.until((s) => s.includes("100 Continue\r\n\r\n"))).toBe(true)
      yield* c.send("hello")
      expect(yield* c.until((s) => s.endsWith("got hello"))).toBe(true)
      const wire = c.received()
      expect(wire.startsWith("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n")).toBe(true)
      expect(wire.split("100 Continue").length - 1).toBe(1)
    }).pipe(Effect.scoped))

  it.live("writeInterim from a streamed body, once the handler answered, fails: the final response was started", () =>
    Effect.gen(function*() {
      const server = yield* startServer({
        handler: (req: ServerRequest) =>
          Effect.succeed(ServerResponse.stream(
            Stream.make(Buffer.from("first;")).pipe(
              Stream.concat(Stream.fromEffect(Effect.either(req.writeInterim(103, { Link: STYLE }))).pipe(
                Stream.map((e) => Buffer.from(Either.isLeft(e) && e.left instanceof InterimResponseError ? "refused" : "sent"))
              ))
            ),
            { headers: { "Content-Type": "text/plain" } }
          ))
      })
      const c = yield* rawConnect(server.port)
      yield* c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
      const [r] = yield* c.responses(1)
      expect(r?.status).toBe(200)
      expect(r?.body).toBe("first;refused")
      expect(c.received()).not.toContain(" 103 ")
    }).pipe(Effect.scoped))

  it.live("103 then a handler failure: the 500 follows the 103 and the connection closes", () =>
    Effect.gen(function*() {
      const server = yield* startServer({
        handler: (req: ServerRequest) => Effect.zipRight(req.writeInterim(103, { Link: STYLE }), Effect.fail("boom" as const))
      })
      const c = yield* rawConnect(server.port)
      yield* c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
      expect(yield* c.closed()).toBe(true)
      const wire = c.received()
      expect(wire.startsWith("HTTP/1.1 103 Early Hints\r\nLink: " + STYLE + "\r\n\r\nHTTP/1.1 500 Internal Server Error\r\n")).toBe(true)
    }).pipe(Effect.scoped))

  it.live("framing fields given to a 103 are not sent with it", () =>
    Effect.gen(function*() {
      const server = yield* startServer({
        handler: (req: ServerRequest) =>
          Effect.as(req.writeInterim(103, [["Link", STYLE], ["Content-Length", "5"], ["Transfer-Encoding", "chunked"]]), ServerResponse.text("final"))
      })
      const c = yield* rawConnect(server.port)
      yield* c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
      expect(yield* c.until((s) => s.endsWith("\r\n\r\nfinal"))).toBe(true)
      expect(c.received().startsWith("HTTP/1.1 103 Early Hints\r\nLink: " + STYLE + "\r\n\r\nHTTP/1.1 200 OK\r\n")).toBe(true)
    }).pipe(Effect.scoped))
})
