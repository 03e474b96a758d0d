/**
 * Go's HTTP/2 client rules against real `node:http2` peers: the peer's
 * SETTINGS_MAX_CONCURRENT_STREAMS (a second session, or waiting with
 * `strictMaxConcurrentStreams`), GOAWAY with requests in flight (those above the last processed
 * id retried on a new session), REFUSED_STREAM retried (a replayable body) or not (a one-shot
 * stream), health PINGs closing a silent session, idle expiry and `closeIdleConnections`, the
 * response head's timeout resetting only its stream, h2c with prior knowledge, and h2 through a
 * CONNECT tunnel.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Stream, TestClock } from "effect"
import type * as http2 from "node:http2"
import * as net from "node:net"
import * as Body from "../../../src/domain/Body.js"
import { TEST_CERT } from "../../../src/testing/testCert.js"
import type { TransportConfig } from "../../../src/transport/config.js"
import { TransportError } from "../../../src/transport/errors.js"
import { Transport } from "../../../src/transport/Transport.js"
import { httpProxy } from "../../support/httpProxy.js"
import { socks5Server } from "../../support/socks5Server.js"
import { awaitSleepers, eventually, realSleep, request } from "../scripted.js"
import { h2peer, h2text, rstNow, until } from "./h2peer.js"

const transport = (config: TransportConfig = {}) => Transport.layer({ proxy: "none", tls: { ca: TEST_CERT }, ...config })

const get = (url: string, init: { method?: string; body?: Body.Body } = {}) =>
  Effect.gen(function*() {
    const t = yield* Transport
    return yield* t.roundTripWith(request({ url, ...init }), (r) =>
      Effect.map(Body.collect(r.body), (b) => ({ status: r.status, proto: r.proto, body: Buffer.from(b).toString() })))
  })

const hostOf = (url: string) => Effect.map(Effect.flatMap(Transport, (t) => t.stats), (s) => s.hosts[new URL(url).protocol + "//" + new URL(url).host])

/** Answers after `ms`, with the path as the body. */
const slow = (ms: number) => (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
  setTimeout(() => {
    if (stream.closed) return
    stream.respond({ ":status": 200 })
    stream.end(String(headers[":path"]))
  }, ms)
}

/** A TCP forwarder to `port` that can stop passing bytes (both ways), closed with the Scope. */
const forwarder = (port: number) =>
  Effect.acquireRelease(
    Effect.async<{ port: number; server: net.Server; stall: () => void; sockets: Set<net.Socket> }>((resume) => {
      let stalled = false
      const sockets = new Set<net.Socket>()
      const server = net.createServer((client) => {
        const upstream = net.connect(port, "127.0.0.1")
        sockets.add(client).add(upstream)
        client.on("data", (d) => {
          if (!stalled) upstream.write(d)
        })
        upstream.on("data", (d) => {
          if (!stalled) client.write(d)
        })
        const end = () => {
          client.destroy()
          upstream.destroy()
        }
        client.on("close", end).on("error", end)
        upstream.on("close", end).on("error", end)
      })
      server.listen(0, "127.0.0.1", () =>
        resume(Effect.succeed({
          port: (server.address() as net.AddressInfo).port,
          server,
          sockets,
          stall: () => {
            stalled = true
          }
        })))
    }),
    (f) =>
      Effect.async<void>((resume) => {
        for (const s of f.sockets) s.destroy()
        f.server.close(() => resume(Effect.void))
      })
  )

describe("HTTP/2 client: Go's rules", () => {
  it.live("past the peer's SETTINGS_MAX_CONCURRENT_STREAMS a second session opens (strictMaxConcurrentStreams false)", () =>
    Effect.gen(function*() {
      const server = yield* h2peer(slow(60), { settings: { maxConcurrentStreams: 2 } })
      yield* get(`${server.url}/warm`) // the session learns the limit
      const bodies = yield* Effect.forEach([1, 2, 3, 4, 5, 6], (i) => Effect.map(get(`${server.url}/${i}`), (r) => r.body), { concurrency: "unbounded" })
      expect(bodies).toEqual(["/1", "/2", "/3", "/4", "/5", "/6"])
      expect(server.sessions()).toBeGreaterThanOrEqual(2)
    }).pipe(Effect.scoped, Effect.provide(transport())))

  it.live("with strictMaxConcurrentStreams, requests wait for a stream of the one session", () =>
    Effect.gen(function*() {
      const server = yield* h2peer(slow(30), { settings: { maxConcurrentStreams: 2 } })
      yield* get(`${server.url}/warm`)
      const bodies = yield* Effect.forEach([1, 2, 3, 4, 5, 6], (i) => Effect.map(get(`${server.url}/${i}`), (r) => r.body), { concurrency: "unbounded" })
      expect(bodies).toEqual(["/1", "/2", "/3", "/4", "/5", "/6"])
      expect(server.sessions()).toBe(1)
      expect(server.maxOpen()).toBeLessThanOrEqual(2)
    }).pipe(Effect.scoped, Effect.provide(transport({ http2: { strictMaxConcurrentStreams: true } }))))

  it.live("maxConnsPerHost 1 with every stream of the session busy: queued requests take the streams as they free up", () =>
    Effect.gen(function*() {
      const server = yield* h2peer(slow(40), { settings: { maxConcurrentStreams: 2 } })
      yield* get(`${server.url}/warm`)
      const bodies = yield* Effect.forEach([1, 2, 3, 4, 5, 6], (i) => Effect.map(get(`${server.url}/${i}`), (r) => r.body), { concurrency: "unbounded" })
        .pipe(Effect.timeout("5 seconds"))
      expect(bodies).toEqual(["/1", "/2", "/3", "/4", "/5", "/6"])
      expect(server.sessions()).toBe(1)
      expect(server.maxOpen()).toBeLessThanOrEqual(2)
    }).pipe(Effect.scoped, Effect.provide(transport({ maxConnsPerHost: 1 }))))

  it.live("GOAWAY with requests in flight: the one at or below the last id finishes; those above are retried on a new session", () =>
    Effect.gen(function*() {
      const pending: Array<{ stream: http2.ServerHttp2Stream; path: string }> = []
      const server = yield* h2peer((stream, headers, _body, sessionId) => {
        const path = String(headers[":path"])
        if (sessionId > 0 || path === "/warm") {
          stream.respond({ ":status": 200 })
          stream.end(`${path} on ${sessionId}`)
          return
        }
        pending.push({ stream, path })
        if (pending.length === 3) {
          const first = pending.find((p) => p.path === "/a")!
          first.stream.session!.goaway(0, first.stream.id!)
          first.stream.respond({ ":status": 200 })
          first.stream.end(`/a on 0`)
        }
      })
      yield* get(`${server.url}/warm`)
      const a = yield* Effect.fork(get(`${server.url}/a`))
      yield* until(() => pending.length === 1)
      const rest = yield* Effect.forEach(["/b", "/c"], (p) => get(`${server.url}${p}`), { concurrency: "unbounded" })
      const first = yield* a.await
      expect(first._tag).toBe("Success")
      expect(rest.map((r) => r.body)).toEqual(["/b on 1", "/c on 1"])
      expect(server.sessions()).toBe(2)
    }).pipe(Effect.scoped, Effect.provide(transport())))

  it.live("GOAWAY with an error code: the processed stream fails (reading its head), the unprocessed one is retried", () =>
    Effect.gen(function*() {
      const pending: Array<{ stream: http2.ServerHttp2Stream; path: string }> = []
      const server = yield* h2peer((stream, headers, _body, sessionId) => {
        const path = String(headers[":path"])
        if (sessionId > 0 || path === "/warm") {
          stream.respond({ ":status": 200 })
          stream.end(`${path} on ${sessionId}`)
          return
        }
        pending.push({ stream, path })
        if (pending.length === 2) {
          const a = pending.find((p) => p.path === "/a")!
          a.stream.session!.goaway(2, a.stream.id!) // INTERNAL_ERROR, /a processed
        }
      })
      yield* get(`${server.url}/warm`)
      const a = yield* Effect.fork(Effect.either(get(`${server.url}/a`)))
      yield* until(() => pending.length === 1)
      const b = yield* get(`${server.url}/b`)
      expect(b.body).toBe("/b on 1")
      const first = yield* Fiber.join(a)
      expect(first._tag).toBe("Left")
      const error = (first as { left: TransportError }).left
      expect(error).toBeInstanceOf(TransportError)
      expect(error.phase).toBe("awaiting-headers")
    }).pipe(Effect.scoped, Effect.provide(transport())))

  it.live("a server that closes an idle session (GOAWAY, then the socket): the next request opens a new one", () =>
    Effect.gen(function*() {
      const server = yield* h2peer(h2text("fresh"))
      expect((yield* get(`${server.url}/1`)).body).toBe("fresh")
      yield* until(() => server.open() === 0)
      server.sessionList[0]!.close()
      for (let i = 0; i < 100 && ((yield* hostOf(server.url))?.h2Sessions ?? 0) > 0; i++) yield* Effect.sleep("10 millis")
      expect((yield* hostOf(server.url))?.h2Sessions ?? 0).toBe(0)
      expect((yield* get(`${server.url}/2`)).body).toBe("fresh")
      expect(server.sessions()).toBe(2)
    }).pipe(Effect.scoped, Effect.provide(transport())))

  it.live("a connection lost mid-request fails that request (phase awaiting-headers); the next one opens a new session", () =>
    Effect.gen(function*() {
      let drop = () => {}
      const server = yield* h2peer((stream, headers) => {
        if (headers[":path"] === "/kill") return drop()
        stream.respond({ ":status": 200 })
        stream.end("ok")
      })
      drop = server.dropConnections
      expect((yield* get(`${server.url}/warm`)).body).toBe("ok")
      const error = yield* Effect.flip(get(`${server.url}/kill`))
      expect(error).toBeInstanceOf(TransportError)
      expect((error as TransportError).phase).toBe("awaiting-headers")
      expect((yield* get(`${server.url}/after`)).body).toBe("ok")
      expect(server.sessions()).toBe(2)
    }).pipe(Effect.scoped, Effect.provide(transport())))

  it.live("REFUSED_STREAM: a request with a replayable body is retried and answered; a one-shot stream body fails", () =>
    Effect.gen(function*() {
      let refused = 0
      const server = yield* h2peer((stream, headers) => {
        if (headers[":path"] === "/refuse" && refused++ % 2 === 0) return rstNow(stream, 7)
        if (headers[":path"] === "/always") return rstNow(stream, 7)
        stream.respond({ ":status": 200 })
        stream.end("ok " + String(headers[":method"]))
      }, { raw: true })
      const r = yield* get(`${server.url}/refuse`, { method: "POST", body: Body.text("again") })
      expect(r.body).toBe("ok POST")
      expect(refused).toBe(2)
      const error = yield* Effect.flip(get(`${server.url}/always`, { method: "POST", body: Body.stream(Stream.make(new Uint8Array([1, 2, 3]))) }))
      expect(error).toBeInstanceOf(TransportError)
      expect((error as TransportError).phase).toBe("awaiting-headers")
      expect((error as TransportError).reason).toBe("reset")
    }).pipe(Effect.scoped, Effect.provide(transport())))

  it.live("the response head's timeout fails that request and resets its stream; the session serves the next", () =>
    Effect.gen(function*() {
      const server = yield* h2peer((stream, headers) => {
        if (headers[":path"] === "/never") return
        stream.respond({ ":status": 200 })
        stream.end("fine")
      })
      const error = yield* Effect.flip(get(`${server.url}/never`))
      expect((error as TransportError).phase).toBe("awaiting-headers")
      expect((error as TransportError).reason).toBe("timeout")
      yield* until(() => server.resets.length === 1)
      expect((yield* get(`${server.url}/next`)).body).toBe("fine")
      expect(server.sessions()).toBe(1)
    }).pipe(Effect.scoped, Effect.provide(transport({ responseHeaderTimeout: "100 millis" }))))

  it.live("health: a PING after sendPingTimeout of silence; no answer within pingTimeout closes the session", () =>
    Effect.gen(function*() {
      const server = yield* h2peer(h2text("alive"))
      const fwd = yield* forwarder(server.port)
      const url = `https://localhost:${fwd.port}/`
      expect((yield* get(url)).body).toBe("alive")
      // Answered PINGs keep an idle session open.
      yield* Effect.sleep("300 millis")
      expect((yield* hostOf(url))!.h2Sessions).toBe(1)
      fwd.stall()
      const start = Date.now()
      let sessions = 1
      for (let i = 0; i < 100 && sessions > 0; i++) {
        yield* Effect.sleep("20 millis")
        sessions = (yield* hostOf(url))?.h2Sessions ?? 0
      }
      expect(sessions).toBe(0)
      expect(Date.now() - start).toBeLessThan(1500)
    }).pipe(Effect.scoped, Effect.provide(transport({ http2: { sendPingTimeout: "100 millis", pingTimeout: "150 millis" } }))))

  it.live("a request waiting for the first dial's session can be interrupted; a failed first dial lets the waiters dial themselves", () =>
    Effect.gen(function*() {
      const server = yield* h2peer(h2text("never"))
      const fwd = yield* forwarder(server.port)
      fwd.stall() // the TLS handshakes never finish
      const url = `https://localhost:${fwd.port}/`
      const first = yield* Effect.fork(Effect.flip(get(url)))
      yield* Effect.sleep("30 millis")
      const second = yield* Effect.fork(Effect.flip(get(url)))
      yield* Effect.sleep("30 millis")
      expect((yield* hostOf(url))!.waiting).toBe(2) // the first in the pool, the second for the session
      yield* Fiber.interrupt(second)
      expect((yield* hostOf(url))!.waiting).toBe(1)
      const third = yield* Effect.fork(Effect.flip(get(url)))
      const errors = [yield* Fiber.join(first), yield* Fiber.join(third)] as Array<TransportError>
      expect(errors.map((e) => [e.phase, e.reason])).toEqual([["tls-handshake", "timeout"], ["tls-handshake", "timeout"]])
    }).pipe(Effect.scoped, Effect.provide(transport({ tlsHandshakeTimeout: "300 millis" }))))

  it.live("an idle session expires after idleConnTimeout; closeIdleConnections closes an idle session, not a busy one", () =>
    Effect.gen(function*() {
      const server = yield* h2peer((stream, headers) => {
        if (headers[":path"] === "/slow") return slow(150)(stream, headers)
        stream.respond({ ":status": 200 })
        stream.end("x")
      })
      yield* get(`${server.url}/`)
      expect((yield* hostOf(server.url))!.h2Sessions).toBe(1)
      let left = 1
      for (let i = 0; i < 100 && left > 0; i++) {
        yield* Effect.sleep("20 millis")
        left = (yield* hostOf(server.url))?.h2Sessions ?? 0
      }
      expect(left).toBe(0)
      // A busy session survives closeIdleConnections; once idle it goes.
      const t = yield* Transport
      const busy = yield* Effect.fork(get(`${server.url}/slow`))
      yield* until(() => server.open() === 1)
      yield* t.closeIdleConnections
      expect((yield* hostOf(server.url))!.h2Sessions).toBe(1)
      expect((yield* busy.await)._tag).toBe("Success")
      // The stream closes just after its body ended.
      for (let i = 0; i < 50 && ((yield* hostOf(server.url))?.h2Streams ?? 0) > 0; i++) yield* Effect.sleep("5 millis")
      yield* t.closeIdleConnections
      expect((yield* hostOf(server.url))?.h2Sessions ?? 0).toBe(0)
    }).pipe(Effect.scoped, Effect.provide(transport({ idleConnTimeout: "100 millis" }))))

  it.live("h2c with prior knowledge to an http:// origin when unencryptedHTTP2 is set; HTTP/1.1 otherwise", () =>
    Effect.gen(function*() {
      const server = yield* h2peer(h2text("cleartext h2"), { plain: true })
      const r = yield* get(`${server.url}/`).pipe(Effect.provide(transport({ protocols: { unencryptedHTTP2: true } })))
      expect(r).toEqual({ status: 200, proto: "HTTP/2.0", body: "cleartext h2" })
      expect(server.sessions()).toBe(1)
    }).pipe(Effect.scoped))

  it.live("h2 through a CONNECT tunnel: TLS inside the tunnel offers h2; the proxy itself is spoken to in HTTP/1.1", () =>
    Effect.gen(function*() {
      const server = yield* h2peer(h2text("tunneled h2"))
      const proxy = yield* httpProxy()
      const r = yield* get(`${server.url}/t`).pipe(Effect.provide(transport({ proxy: proxy.url })))
      expect(r).toEqual({ status: 200, proto: "HTTP/2.0", body: "tunneled h2" })
      expect(proxy.requests.map((q) => [q.method, q.url])).toEqual([["CONNECT", `localhost:${server.port}`]])
    }).pipe(Effect.scoped))
})

describe("HTTP/2 client: SOCKS5 and flow control", () => {
  it.live("h2 through SOCKS5 to an https origin", () =>
    Effect.gen(function*() {
      const server = yield* h2peer(h2text("socks h2"))
      const socks = yield* socks5Server()
      const r = yield* get(`${server.url}/`).pipe(Effect.provide(transport({ proxy: `socks5h://127.0.0.1:${socks.port}` })))
      expect(r).toEqual({ status: 200, proto: "HTTP/2.0", body: "socks h2" })
      expect(socks.connects.map((c) => [c.host, c.port])).toEqual([["localhost", server.port]])
    }).pipe(Effect.scoped))

  it.live("a slow reader holds the server back: unread bytes stay bounded by the windows, then the whole body arrives", () =>
    Effect.gen(function*() {
      const size = 16 * 1024 * 1024
      let flushed = 0
      const server = yield* h2peer((stream) => {
        stream.respond({ ":status": 200 })
        let queued = 0
        const step = () => {
          while (queued < size && !stream.closed) {
            const n = 64 * 1024
            queued += n
            const more = stream.write(Buffer.alloc(n, 7), () => {
              flushed += n
            })
            if (!more) return stream.once("drain", step)
          }
          if (!stream.closed) stream.end()
        }
        step()
      })
      const t = yield* Transport
      const total = yield* Effect.scoped(Effect.gen(function*() {
        const r = yield* t.roundTrip(request({ url: `${server.url}/big` }))
        const pull = (r.body as Body.StreamBody<TransportError>).pull!
        let got = (yield* Effect.mapError(pull, () => new Error("pull"))).length
        yield* Effect.sleep("300 millis")
        // 1 MiB stream window, plus what is in flight and buffered on either side.
        expect(flushed).toBeLessThan(4 * 1024 * 1024)
        for (let i = 0; i < 100_000; i++) {
          const next = yield* Effect.option(pull)
          if (next._tag === "None") break
          got += next.value.length
        }
        return got
      }))
      expect(total).toBe(size)
    }).pipe(Effect.scoped, Effect.provide(transport())))
})

describe("HTTP/2 client: retry backoff (TestClock)", () => {
  it.effect("an always-refused request is retried 6 times: at once, then after 1, 2, 4, 8 and 16 s (+ up to 10%); then it fails", () =>
    Effect.gen(function*() {
      const server = yield* h2peer((stream) => rstNow(stream, 7), { raw: true })
      const attempts = () => server.resets.length
      const fiber = yield* Effect.fork(Effect.flip(get(`${server.url}/`)))
      yield* eventually("the first two attempts", () => attempts() === 2, 5000)
      for (const [seconds, n] of [[1, 3], [2, 4], [4, 5], [8, 6], [16, 7]] as const) {
        yield* awaitSleepers(1, 5000)
        // Half the wait: nothing yet (each wait runs from the previous attempt's failure).
        yield* TestClock.adjust(`${seconds / 2} seconds`)
        yield* realSleep(20)
        expect(attempts()).toBe(n - 1)
        // The rest, with Go's jitter of up to 10%.
        yield* TestClock.adjust(`${seconds * 0.6 + 0.02} seconds`)
        yield* eventually(`attempt ${n}`, () => attempts() === n, 5000)
      }
      const error = yield* Fiber.join(fiber)
      expect((error as TransportError).reason).toBe("reset")
      yield* realSleep(30)
      expect(attempts()).toBe(7)
    }).pipe(Effect.scoped, Effect.provide(transport())))
})
