/**
 * The Transport over HTTP/2 against real peers: a `node:http2` secure server (ALPN h2), an
 * HTTP/1.1-only https server (ALPN falls back), whole and streamed bodies both ways, a body's
 * Scope closed early (the stream reset with CANCEL, the session serving the next request),
 * `gotConn.protocol`, the pool's stats, an upgrade request kept on HTTP/1.1, the settings that
 * turn h2 off, and their validation.
 */
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Either, Layer, Option, Stream } from "effect"
import * as zlib from "node:zlib"
import * as Body from "../../../src/domain/Body.js"
import { TEST_CERT } from "../../../src/testing/testCert.js"
import type { GotConnInfo } from "../../../src/transport/ClientTrace.js"
import { ClientTrace } from "../../../src/transport/ClientTrace.js"
import { type TransportConfig, validateTransportConfig } from "../../../src/transport/config.js"
import { TransportError } from "../../../src/transport/errors.js"
import { Transport } from "../../../src/transport/Transport.js"
import { Client } from "../../../src/transport/Client.js"
import { Response } from "../../../src/domain/Response.js"
import { cert, peer, text } from "../peers.js"
import { request } from "../scripted.js"
import { h2peer, h2text, rstNow, until } from "./h2peer.js"

const transport = (config: TransportConfig = {}) => Transport.layer({ proxy: "none", tls: { ca: [TEST_CERT, cert] }, ...config })

/** GET `url`: status, proto, body text. */
const get = (url: string, headers?: Record<string, string>) =>
  Effect.gen(function*() {
    const t = yield* Transport
    return yield* t.roundTripWith(request({ url, ...(headers ? { headers } : {}) }), (r) =>
      Effect.map(Body.collect(r.body), (b) => ({ status: r.status, proto: r.proto, body: Buffer.from(b).toString() })))
  })

const stats = Effect.flatMap(Transport, (t) => t.stats)

describe("HTTP/2 client", () => {
  it.live("GET over h2: proto HTTP/2.0, one session for sequential requests, gotConn says h2 and reused", () =>
    Effect.gen(function*() {
      const server = yield* h2peer(h2text("hello h2"))
      const conns: Array<GotConnInfo> = []
      const traced = <A, E, R>(e: Effect.Effect<A, E, R>) => Effect.provide(e, ClientTrace.layer({ gotConn: (info) => conns.push(info) }))
      const first = yield* traced(get(`${server.url}/a`))
      const second = yield* traced(get(`${server.url}/b`))
      expect(first).toEqual({ status: 200, proto: "HTTP/2.0", body: "hello h2" })
      expect(second).toEqual({ status: 200, proto: "HTTP/2.0", body: "hello h2" })
      expect(server.sessions()).toBe(1)
      expect(server.seen.map((s) => s.headers[":path"])).toEqual(["/a", "/b"])
      expect(server.seen[0]!.headers[":authority"]).toBe(`localhost:${server.port}`)
      expect(server.seen[0]!.headers[":scheme"]).toBe("https")
      expect(server.seen[0]!.headers["user-agent"]).toBe("effect-nethttp/0.1")
      expect(conns.map((c) => [c.protocol, c.reused])).toEqual([["h2", false], ["h2", true]])
      expect(conns[0]!.connId).toBe(conns[1]!.connId)
      const s = yield* stats
      const host = s.hosts[`https://localhost:${server.port}`]!
      expect(host.h2Sessions).toBe(1)
      expect(host.active).toBe(1) // a session counts as one connection
      expect(s.dials).toBe(1)
      yield* until(() => host !== undefined && server.open() === 0)
      const after = yield* stats
      expect(after.hosts[`https://localhost:${server.port}`]!.h2Streams).toBe(0)
    }).pipe(Effect.scoped, Effect.provide(transport())))

  it.live("a small body that ends with its head is delivered whole (one buffer, no stream), one at a time and 50 at once", () =>
    Effect.gen(function*() {
      const server = yield* h2peer(h2text("y".repeat(200)))
      const t = yield* Transport
      const tag = t.roundTripWith(request({ url: `${server.url}/` }), (r) => Effect.succeed(r.body._tag))
      const one = yield* Effect.forEach([1, 2, 3, 4, 5], () => tag)
      const many = yield* Effect.forEach(Array.from({ length: 50 }, (_, i) => i), () => tag, { concurrency: "unbounded" })
      expect(new Set([...one, ...many])).toEqual(new Set(["Bytes"]))
      expect(server.sessions()).toBe(1)
    }).pipe(Effect.scoped, Effect.provide(transport())))

  it.live("500 requests, 50 at a time, mixed small and streamed bodies and early Scope closes: one session, nothing left open", () =>
    Effect.gen(function*() {
      const server = yield* h2peer((stream, headers) => {
        const path = String(headers[":path"])
        stream.respond({ ":status": 200 })
        if (path.startsWith("/big")) {
          stream.write(Buffer.alloc(100_000, 1))
          setTimeout(() => {
            if (!stream.closed) stream.end(Buffer.alloc(100_000, 2))
          }, 2)
        } else stream.end(path)
      })
      const t = yield* Transport
      const one = (i: number) =>
        i % 10 === 3
          ? Effect.scoped(Effect.flatMap(t.roundTrip(request({ url: `${server.url}/big/${i}` })), (r) => Effect.asVoid(Stream.runHead(Body.toStream(r.body)))))
            .pipe(Effect.as(-1))
          : i % 10 === 7
          ? t.roundTripWith(request({ url: `${server.url}/big/${i}` }), (r) => Effect.map(Body.collect(r.body), (b) => b.length))
          : t.roundTripWith(request({ url: `${server.url}/s/${i}` }), (r) => Effect.map(Body.collect(r.body), (b) => b.length))
      const sizes = yield* Effect.forEach(Array.from({ length: 500 }, (_, i) => i), one, { concurrency: 50 })
      expect(sizes.filter((n) => n === 200_000).length).toBe(50)
      expect(server.sessions()).toBe(1)
      yield* until(() => server.open() === 0, 3000)
      for (let i = 0; i < 100 && ((yield* stats).hosts[`https://localhost:${server.port}`]?.h2Streams ?? 0) > 0; i++) yield* Effect.sleep("10 millis")
      expect((yield* stats).hosts[`https://localhost:${server.port}`]!.h2Streams).toBe(0)
    }).pipe(Effect.scoped, Effect.provide(transport())))

  it.live("concurrent GETs share one session", () =>
    Effect.gen(function*() {
      const server = yield* h2peer((stream, headers) => {
        setTimeout(() => {
          if (stream.closed) return
          stream.respond({ ":status": 200 })
          stream.end(String(headers[":path"]))
        }, 20)
      })
      // The first request makes the session; the next 20 run on it at once.
      expect((yield* get(`${server.url}/warm`)).body).toBe("/warm")
      const bodies = yield* Effect.forEach(Array.from({ length: 20 }, (_, i) => i), (i) => Effect.map(get(`${server.url}/${i}`), (r) => r.body), {
        concurrency: "unbounded"
      })
      expect(bodies).toEqual(Array.from({ length: 20 }, (_, i) => `/${i}`))
      expect(server.sessions()).toBe(1)
      expect(server.maxOpen()).toBeGreaterThan(1)
    }).pipe(Effect.scoped, Effect.provide(transport())))

  it.live("the first requests to a new https origin, all at once, wait for the first dial: one handshake, one session", () =>
    Effect.gen(function*() {
      const server = yield* h2peer(h2text("x"))
      const results = yield* Effect.forEach(Array.from({ length: 10 }, (_, i) => i), () => get(`${server.url}/`), { concurrency: "unbounded" })
      expect(results.every((r) => r.proto === "HTTP/2.0")).toBe(true)
      const s = yield* stats
      expect(s.hosts[`https://localhost:${server.port}`]!.h2Sessions).toBe(1)
      expect(s.dials).toBe(1)
      expect(server.sessions()).toBe(1)
    }).pipe(Effect.scoped, Effect.provide(transport())))

  it.live("a first burst to an HTTP/1.1-only https origin: the others dial once the first dial answered http/1.1", () =>
    Effect.gen(function*() {
      const server = yield* peer((_req, res) => setTimeout(() => res.end("h1"), 20), {})
      const results = yield* Effect.forEach(Array.from({ length: 5 }, (_, i) => i), () => get(`https://localhost:${server.port}/`), { concurrency: "unbounded" })
      expect(results.map((r) => r.proto)).toEqual(["HTTP/1.1", "HTTP/1.1", "HTTP/1.1", "HTTP/1.1", "HTTP/1.1"])
      expect(server.connections()).toBeGreaterThan(1)
      // Known to answer HTTP/1.1 now: the next burst dials at once, in parallel.
      const before = (yield* stats).dials
      yield* Effect.forEach(Array.from({ length: 8 }, (_, i) => i), () => get(`https://localhost:${server.port}/`), { concurrency: "unbounded" })
      expect((yield* stats).dials - before).toBeGreaterThanOrEqual(3)
    }).pipe(Effect.scoped, Effect.provide(transport())))

  it.live("an origin known to speak h2: a burst while its next session is dialed waits for that one dial", () =>
    Effect.gen(function*() {
      const server = yield* h2peer(h2text("z"))
      yield* get(`${server.url}/first`)
      const t = yield* Transport
      // The stream closes just after its body ended; then the session is idle.
      for (let i = 0; i < 50 && ((yield* stats).hosts[`https://localhost:${server.port}`]?.h2Streams ?? 0) > 0; i++) yield* Effect.sleep("5 millis")
      yield* t.closeIdleConnections
      yield* until(() => server.sessionList.every((s) => s.closed || s.destroyed))
      const before = (yield* stats).dials
      const results = yield* Effect.forEach(Array.from({ length: 10 }, (_, i) => i), () => get(`${server.url}/`), { concurrency: "unbounded" })
      expect(results.every((r) => r.proto === "HTTP/2.0")).toBe(true)
      expect((yield* stats).dials - before).toBe(1)
      expect(server.sessions()).toBe(2)
    }).pipe(Effect.scoped, Effect.provide(transport())))

  it.live("POST: a whole body and a streamed body of unknown length reach the server; the response echoes them", () =>
    Effect.gen(function*() {
      const server = yield* h2peer((stream, headers, body) => {
        stream.respond({ ":status": 200, "x-length": String(headers["content-length"] ?? "none") })
        stream.end(body)
      })
      const t = yield* Transport
      const whole = yield* t.roundTripWith(request({ method: "POST", url: `${server.url}/w`, body: Body.text("whole body") }), (r) =>
        Effect.map(Body.collect(r.body), (b) => [r.headers.get("X-Length"), Buffer.from(b).toString()]))
      expect(whole).toEqual(["10", "whole body"])
      const chunks = Array.from({ length: 50 }, (_, i) => Buffer.alloc(1000, 97 + (i % 26)))
      const streamed = yield* t.roundTripWith(
        request({ method: "POST", url: `${server.url}/s`, body: Body.stream(Stream.fromIterable(chunks)) }),
        (r) => Effect.map(Body.collect(r.body), (b) => [r.headers.get("X-Length"), Buffer.from(b)] as const)
      )
      expect(streamed[0]).toBe("none")
      expect(streamed[1].equals(Buffer.concat(chunks))).toBe(true)
      expect(server.sessions()).toBe(1)
    }).pipe(Effect.scoped, Effect.provide(transport())))

  it.live("request trailers follow the body (a streamed body and a whole one)", () =>
    Effect.gen(function*() {
      const got: Array<[string, string | undefined]> = []
      const server = yield* h2peer((stream) => {
        const parts: Array<Buffer> = []
        stream.on("data", (c: Buffer) => parts.push(c))
        stream.on("trailers", (t) => got.push([Buffer.concat(parts).toString(), t["x-sum"] as string | undefined]))
        stream.on("end", () => {
          stream.respond({ ":status": 200 })
          stream.end()
        })
      }, { raw: true })
      const t = yield* Transport
      const send = (body: Body.Body) =>
        t.roundTripWith(request({ method: "POST", url: `${server.url}/`, body, trailers: { "X-Sum": "42" } }), (r) => Effect.succeed(r.status))
      expect(yield* send(Body.stream(Stream.make(new TextEncoder().encode("ab"), new TextEncoder().encode("cd"))))).toBe(200)
      expect(yield* send(Body.text("whole"))).toBe(200)
      expect(got).toEqual([["abcd", "42"], ["whole", "42"]])
    }).pipe(Effect.scoped, Effect.provide(transport())))

  it.live("a large response body arrives as a stream, read in pieces, with trailers", () =>
    Effect.gen(function*() {
      const size = 1024 * 1024
      const server = yield* h2peer((stream) => {
        stream.respond({ ":status": 200, "content-length": String(size) }, { waitForTrailers: true })
        stream.once("wantTrailers", () => stream.sendTrailers({ "x-checksum": "done" }))
        let sent = 0
        const step = () => {
          while (sent < size) {
            const n = Math.min(64 * 1024, size - sent)
            sent += n
            if (!stream.write(Buffer.alloc(n, 120))) return stream.once("drain", step)
          }
          stream.end()
        }
        step()
      })
      const t = yield* Transport
      const result = yield* Effect.scoped(Effect.gen(function*() {
        const r = yield* t.roundTrip(request({ url: `${server.url}/big` }))
        expect(r.body._tag).toBe("Stream")
        const chunks = yield* Stream.runCollect(Body.toStream(r.body))
        const total = Chunk.reduce(chunks, 0, (n, c) => n + c.length)
        return { total, pieces: Chunk.size(chunks), trailer: r.trailers?.get("X-Checksum") }
      }))
      expect(result.total).toBe(size)
      expect(result.pieces).toBeGreaterThan(1)
      expect(result.trailer).toBe("done")
    }).pipe(Effect.scoped, Effect.provide(transport())))

  it.live("closing the body's Scope before its end resets the stream (CANCEL); the session serves the next request", () =>
    Effect.gen(function*() {
      const server = yield* h2peer((stream, headers) => {
        if (headers[":path"] === "/endless") {
          stream.respond({ ":status": 200 })
          const timer = setInterval(() => {
            if (stream.closed || stream.destroyed) return clearInterval(timer)
            stream.write(Buffer.alloc(1024, 1))
          }, 2)
          stream.on("close", () => clearInterval(timer))
          return
        }
        stream.respond({ ":status": 200 })
        stream.end("after")
      })
      const t = yield* Transport
      yield* Effect.scoped(Effect.gen(function*() {
        const r = yield* t.roundTrip(request({ url: `${server.url}/endless` }))
        const first = yield* Stream.runHead(Body.toStream(r.body))
        expect(Option.isSome(first)).toBe(true)
      }))
      yield* until(() => server.resets.length === 1)
      expect(server.resets).toEqual([8]) // NGHTTP2_CANCEL
      expect((yield* get(`${server.url}/next`)).body).toBe("after")
      expect(server.sessions()).toBe(1)
    }).pipe(Effect.scoped, Effect.provide(transport())))

  it.live("a server that resets the stream mid-body: TransportError in phase reading-body", () =>
    Effect.gen(function*() {
      const server = yield* h2peer((stream) => {
        stream.respond({ ":status": 200 })
        stream.write(Buffer.alloc(100, 1))
        setTimeout(() => rstNow(stream, 2), 20) // INTERNAL_ERROR
      })
      const error = yield* Effect.flip(get(`${server.url}/`))
      expect(error).toBeInstanceOf(TransportError)
      expect((error as TransportError).phase).toBe("reading-body")
      expect((error as TransportError).reason).toBe("reset")
    }).pipe(Effect.scoped, Effect.provide(transport())))

  it.live("an HTTP/1.1-only https server: ALPN falls back, proto HTTP/1.1, gotConn says http/1.1", () =>
    Effect.gen(function*() {
      const server = yield* peer(text("h1 only"), {})
      const conns: Array<GotConnInfo> = []
      const r = yield* get(`https://localhost:${server.port}/`).pipe(Effect.provide(ClientTrace.layer({ gotConn: (info) => conns.push(info) })))
      expect(r).toEqual({ status: 200, proto: "HTTP/1.1", body: "h1 only" })
      expect(server.seen[0]!.alpn).toBe("http/1.1")
      expect(conns.map((c) => c.protocol)).toEqual(["http/1.1"])
      const s = yield* stats
      expect(s.hosts[`https://localhost:${server.port}`]!.h2Sessions).toBe(0)
    }).pipe(Effect.scoped, Effect.provide(transport())))

  it.live("protocols.http2 false: TLS offers only http/1.1, even to a server that speaks h2", () =>
    Effect.gen(function*() {
      const server = yield* h2peer(h2text("either"), { allowHTTP1: true })
      const r = yield* get(`${server.url}/`)
      expect(r.proto).toBe("HTTP/1.1")
    }).pipe(Effect.scoped, Effect.provide(transport({ protocols: { http2: false } }))))

  it.live("an upgrade request goes on a connection that offers only http/1.1", () =>
    Effect.gen(function*() {
      const server = yield* h2peer(h2text("plain"), { allowHTTP1: true })
      const h2 = yield* get(`${server.url}/`)
      expect(h2.proto).toBe("HTTP/2.0")
      const upgrade = yield* get(`${server.url}/ws`, { Connection: "Upgrade", Upgrade: "websocket" })
      expect(upgrade.proto).toBe("HTTP/1.1")
      const s = yield* stats
      expect(Object.keys(s.hosts).sort()).toEqual([`https://localhost:${server.port}`, `https://localhost:${server.port}|h1`])
    }).pipe(Effect.scoped, Effect.provide(transport())))

  it.live("maxConnsPerHost 1: the session counts as one connection and carries every concurrent request", () =>
    Effect.gen(function*() {
      const server = yield* h2peer((stream, headers) => {
        setTimeout(() => {
          if (stream.closed) return
          stream.respond({ ":status": 200 })
          stream.end(String(headers[":path"]))
        }, 10)
      })
      const bodies = yield* Effect.forEach([1, 2, 3, 4, 5, 6, 7, 8], (i) => Effect.map(get(`${server.url}/${i}`), (r) => r.body), { concurrency: "unbounded" })
      expect(bodies).toEqual(["/1", "/2", "/3", "/4", "/5", "/6", "/7", "/8"])
      expect(server.sessions()).toBe(1)
      const s = yield* stats
      expect(s.dials).toBe(1)
      expect(s.hosts[`https://localhost:${server.port}`]!.active).toBe(1)
    }).pipe(Effect.scoped, Effect.provide(transport({ maxConnsPerHost: 1 }))))

  it.live("a gzip body is decoded as over HTTP/1.1 (Accept-Encoding sent); HEAD and 204 have empty bodies", () =>
    Effect.gen(function*() {
      const zipped = zlib.gzipSync(Buffer.from("compressed over h2"))
      const server = yield* h2peer((stream, headers) => {
        if (headers[":path"] === "/gzip") {
          stream.respond({ ":status": 200, "content-encoding": "gzip", "content-length": String(zipped.length) })
          return stream.end(zipped)
        }
        if (headers[":method"] === "HEAD") {
          stream.respond({ ":status": 200, "content-length": "1234" }, { endStream: true })
          return
        }
        stream.respond({ ":status": 204 }, { endStream: true })
      })
      const t = yield* Transport
      const gz = yield* t.roundTripWith(request({ url: `${server.url}/gzip` }), (r) =>
        Effect.map(Body.collect(r.body), (b) => [r.uncompressed, r.headers.get("Content-Encoding"), Buffer.from(b).toString()]))
      expect(gz).toEqual([true, undefined, "compressed over h2"])
      expect(server.seen[0]!.headers["accept-encoding"]).toBe("gzip, deflate, br")
      const head = yield* t.roundTripWith(request({ method: "HEAD", url: `${server.url}/h` }), (r) =>
        Effect.map(Body.collect(r.body), (b) => [r.status, r.headers.get("Content-Length"), b.length]))
      expect(head).toEqual([200, "1234", 0])
      expect((yield* get(`${server.url}/none`))).toEqual({ status: 204, proto: "HTTP/2.0", body: "" })
    }).pipe(Effect.scoped, Effect.provide(transport())))

  it.live("a large gzip body arriving over time is decoded as it is pulled", () =>
    Effect.gen(function*() {
      const plain = Buffer.alloc(2 * 1024 * 1024, "abcdefgh")
      const zipped = zlib.gzipSync(plain)
      const server = yield* h2peer((stream) => {
        stream.respond({ ":status": 200, "content-encoding": "gzip" })
        let at = 0
        const step = () => {
          if (stream.closed) return
          const n = Math.min(1024, zipped.length - at)
          stream.write(zipped.subarray(at, at + n))
          at += n
          if (at < zipped.length) setTimeout(step, 1)
          else stream.end()
        }
        step()
      })
      const t = yield* Transport
      const out = yield* t.roundTripWith(request({ url: `${server.url}/gz` }), (r) => Effect.map(Body.collect(r.body), (b) => [r.body._tag, b.length] as const))
      expect(out).toEqual(["Stream", plain.length])
    }).pipe(Effect.scoped, Effect.provide(transport())))

  it.live("a streamed body that stops arriving fails after bodyTimeout (reading-body, timeout); the stream is reset", () =>
    Effect.gen(function*() {
      const server = yield* h2peer((stream) => {
        stream.respond({ ":status": 200 })
        stream.write(Buffer.alloc(10, 1))
      })
      const t = yield* Transport
      const error = yield* Effect.flip(Effect.scoped(Effect.flatMap(t.roundTrip(request({ url: `${server.url}/stall` })), (r) => Body.collect(r.body))))
      expect((error as TransportError).phase).toBe("reading-body")
      expect((error as TransportError).reason).toBe("timeout")
      yield* until(() => server.resets.length === 1)
      expect(server.resets).toEqual([8])
    }).pipe(Effect.scoped, Effect.provide(transport({ bodyTimeout: "100 millis" }))))

  it.live("Expect: 100-continue: the body waits for 100 Continue; a final status first means no body is sent", () =>
    Effect.gen(function*() {
      const server = yield* h2peer((stream, headers) => {
        if (headers[":path"] === "/refuse") {
          stream.respond({ ":status": 417 }, { endStream: true })
          return
        }
        setTimeout(() => {
          stream.additionalHeaders({ ":status": 100 })
          const parts: Array<Buffer> = []
          stream.on("data", (c: Buffer) => parts.push(c))
          stream.on("end", () => {
            stream.respond({ ":status": 200 })
            stream.end("got " + Buffer.concat(parts).toString())
          })
        }, 30)
      }, { raw: true })
      const t = yield* Transport
      const events: Array<string> = []
      const trace = ClientTrace.layer({ got100Continue: () => events.push("100"), wroteRequest: () => events.push("wrote") })
      const post = (path: string) =>
        t.roundTripWith(
          request({ method: "POST", url: `${server.url}${path}`, headers: { Expect: "100-continue" }, body: Body.text("the body") }),
          (r) => Effect.map(Body.collect(r.body), (b) => [r.status, Buffer.from(b).toString()])
        ).pipe(Effect.provide(trace))
      expect(yield* post("/ok")).toEqual([200, "got the body"])
      expect(events).toEqual(["100", "wrote"])
      expect(yield* post("/refuse")).toEqual([417, ""])
    }).pipe(Effect.scoped, Effect.provide(transport({ expectContinueTimeout: "5 seconds" }))))

  it.live("1xx responses: 103 reaches got1xxResponse; more than max1xxResponses fails the round trip", () =>
    Effect.gen(function*() {
      const server = yield* h2peer((stream, headers) => {
        const n = headers[":path"] === "/many" ? 3 : 1
        for (let i = 0; i < n; i++) stream.additionalHeaders({ ":status": 103, link: "</a.css>; rel=preload" })
        stream.respond({ ":status": 200 })
        stream.end("after hints")
      })
      const hints: Array<string> = []
      const trace = ClientTrace.layer({ got1xxResponse: (status, h) => hints.push(`${status} ${h.get("Link")}`) })
      const ok = yield* get(`${server.url}/one`).pipe(Effect.provide(trace))
      expect(ok.body).toBe("after hints")
      expect(hints).toEqual(["103 </a.css>; rel=preload"])
      const error = yield* Effect.flip(get(`${server.url}/many`))
      expect((error as TransportError).reason).toBe("too-many-1xx")
    }).pipe(Effect.scoped, Effect.provide(transport({ max1xxResponses: 2 }))))

  it.live("Expect: 100-continue with expectContinueTimeout 0: the body goes at once", () =>
    Effect.gen(function*() {
      const server = yield* h2peer((stream, _headers, body) => {
        stream.respond({ ":status": 200 })
        stream.end("got " + body.toString())
      })
      const t = yield* Transport
      const r = yield* t.roundTripWith(
        request({ method: "POST", url: `${server.url}/`, headers: { Expect: "100-continue" }, body: Body.text("now") }),
        (r) => Effect.map(Body.collect(r.body), (b) => Buffer.from(b).toString())
      )
      expect(r).toBe("got now")
    }).pipe(Effect.scoped, Effect.provide(transport({ expectContinueTimeout: 0 }))))

  it.live("an early response to an endless request body: the caller gets it, and the body is no longer read", () =>
    Effect.gen(function*() {
      const server = yield* h2peer((stream) => {
        stream.respond({ ":status": 413 })
        stream.end("too large")
      }, { raw: true })
      let pulled = 0
      const endless = Body.stream(Stream.repeatEffect(Effect.sync(() => {
        pulled++
        return new Uint8Array(1024)
      })))
      const t = yield* Transport
      const r = yield* t.roundTripWith(request({ method: "POST", url: `${server.url}/`, body: endless }), (r) =>
        Effect.map(Body.collect(r.body), (b) => [r.status, Buffer.from(b).toString()]))
      expect(r).toEqual([413, "too large"])
      yield* Effect.sleep("50 millis")
      const after = pulled
      yield* Effect.sleep("50 millis")
      expect(pulled).toBe(after)
    }).pipe(Effect.scoped, Effect.provide(transport())))

  it.live("SETTINGS as Go's: no push, a 1 MiB stream window; a response with 300 fields is accepted (no 128-pair cap)", () =>
    Effect.gen(function*() {
      const fields: Record<string, string> = {}
      for (let i = 0; i < 300; i++) fields[`x-f${i}`] = String(i)
      const server = yield* h2peer((stream) => {
        stream.respond({ ":status": 200, ...fields })
        stream.end("many")
      })
      const t = yield* Transport
      const n = yield* t.roundTripWith(request({ url: `${server.url}/` }), (r) => Effect.succeed(r.headers.values("X-F299")))
      expect(n).toEqual(["299"])
      const remote = server.sessionList[0]!.remoteSettings
      expect(remote.enablePush).toBe(false)
      expect(remote.initialWindowSize).toBe(1 << 20)
    }).pipe(Effect.scoped, Effect.provide(transport())))

  it.live("disableKeepAlives (or Connection: close): each request gets a session of its own, closed after it", () =>
    Effect.gen(function*() {
      const server = yield* h2peer(h2text("once"))
      expect((yield* get(`${server.url}/1`)).proto).toBe("HTTP/2.0")
      expect((yield* get(`${server.url}/2`)).proto).toBe("HTTP/2.0")
      expect(server.sessions()).toBe(2)
      yield* until(() => server.sessionList.every((s) => s.destroyed))
    }).pipe(Effect.scoped, Effect.provide(transport({ disableKeepAlives: true }))))

  it.live("protocols.http1 false: h2 only; an https server that does not choose h2 fails the dial", () =>
    Effect.gen(function*() {
      const h2 = yield* h2peer(h2text("only h2"))
      expect((yield* get(`${h2.url}/`)).proto).toBe("HTTP/2.0")
      const h1 = yield* peer(text("h1"), {})
      const error = yield* Effect.flip(get(`https://localhost:${h1.port}/`))
      expect((error as TransportError).phase).toBe("tls-handshake")
      // Offered only h2, the server refuses in the handshake (no_application_protocol).
      expect((error as TransportError).reason).toBe("tls-failed")
    }).pipe(Effect.scoped, Effect.provide(transport({ protocols: { http1: false } }))))

  it.live("the Client over h2: a redirect followed on the same session, the body read by Response.text", () =>
    Effect.gen(function*() {
      const server = yield* h2peer((stream, headers) => {
        if (headers[":path"] === "/start") {
          stream.respond({ ":status": 302, location: "/final" })
          return stream.end("moved")
        }
        stream.respond({ ":status": 200 })
        stream.end("final over h2")
      })
      const client = yield* Client
      const text = yield* Response.text(client.get(`${server.url}/start`))
      expect(text).toBe("final over h2")
      expect(server.seen.map((s) => s.headers[":path"])).toEqual(["/start", "/final"])
      expect(server.sessions()).toBe(1)
    }).pipe(Effect.scoped, Effect.provide(Client.layer({}).pipe(Layer.provideMerge(transport())))))

  it.live("a response head over maxResponseHeaderBytes fails (awaiting-headers); the session serves the next request", () =>
    Effect.gen(function*() {
      const server = yield* h2peer((stream, headers) => {
        stream.on("error", () => {})
        if (headers[":path"] === "/big") {
          stream.respond({ ":status": 200, "x-big": "b".repeat(4000) })
          return stream.end("never seen")
        }
        stream.respond({ ":status": 200 })
        stream.end("small")
      })
      const error = yield* Effect.flip(get(`${server.url}/big`))
      expect(error).toBeInstanceOf(TransportError)
      expect((error as TransportError).phase).toBe("awaiting-headers")
      expect((yield* get(`${server.url}/small`)).body).toBe("small")
    }).pipe(Effect.scoped, Effect.provide(transport({ maxResponseHeaderBytes: 1024 }))))

  it("the settings are validated: InvalidConfig names the field", () => {
    const field = (config: TransportConfig) => Either.match(validateTransportConfig(config), { onLeft: (e) => e.field, onRight: () => "ok" })
    expect(field({ protocols: { http2: "yes" as unknown as boolean } })).toBe("protocols.http2")
    expect(field({ protocols: { http1: false, http2: false } })).toBe("protocols")
    expect(field({ http2: { strictMaxConcurrentStreams: 1 as unknown as boolean } })).toBe("http2.strictMaxConcurrentStreams")
    expect(field({ http2: { pingTimeout: -1 } })).toBe("http2.pingTimeout")
    expect(field({ http2: { sendPingTimeout: "5 seconds", pingTimeout: "1 second" } })).toBe("ok")
    const resolved = Either.getOrThrow(validateTransportConfig({}))
    expect([resolved.http1, resolved.http2, resolved.unencryptedHTTP2, resolved.h2StrictMaxConcurrentStreams, resolved.h2SendPingTimeoutMs, resolved.h2PingTimeoutMs])
      .toEqual([true, true, false, false, 0, 15_000])
    // Go: a PingTimeout of 0 means the default.
    expect(Either.getOrThrow(validateTransportConfig({ http2: { pingTimeout: 0 } })).h2PingTimeoutMs).toBe(15_000)
  })
})

