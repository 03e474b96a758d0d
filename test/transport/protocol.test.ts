/**
 * HTTP/1.1 details of the Transport over real loopback sockets: transparent gzip, Expect:
 * 100-continue, informational responses, a protocol switch (101), a response that arrives
 * before the request body was written, and responses that never have a body.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import * as zlib from "node:zlib"
import * as Body from "../../src/domain/Body.js"
import type { Headers } from "../../src/domain/Headers.js"
import { ClientTrace } from "../../src/transport/ClientTrace.js"
import type { TransportConfig } from "../../src/transport/config.js"
import { Transport } from "../../src/transport/Transport.js"
import { isUpgrade } from "../../src/transport/UpgradeResponse.js"
import {
  chunk,
  eventually,
  fetch,
  get,
  head,
  lastChunk,
  poll,
  realSleep,
  request,
  response,
  scriptedServer,
  slowStream
} from "./scripted.js"

const stats = Effect.flatMap(Transport, (t) => t.stats)
const withTransport = (config: TransportConfig = {}) => <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.provide(self, Transport.layer(config))
const text = (s: string) => new TextEncoder().encode(s)

const plain = Array.from({ length: 2000 }, (_, i) => `line ${i}: the quick brown fox ${i * 7919 % 1000}\n`).join("")

describe("gzip", () => {
  it.live("by default asks for gzip and decodes it: plain body, no Content-Encoding or Content-Length", () =>
    Effect.gen(function*() {
      const gz = zlib.gzipSync(Buffer.from(plain))
      const server = yield* scriptedServer({
        onRequest: (_req, conn) => conn.write(response(gz, { "Content-Encoding": "gzip", "Content-Type": "text/plain" }))
      })
      yield* Effect.gen(function*() {
        const r = yield* get(server.url("/gz"))
        // gzip, deflate and br since issue 21 (Go asks for gzip only).
        expect(server.requests[0]!.headers["accept-encoding"]).toBe("gzip, deflate, br")
        expect(r.text).toBe(plain)
        expect(r.response.headers.has("Content-Encoding")).toBe(false)
        expect(r.response.headers.has("Content-Length")).toBe(false)
        expect(r.response.headers.get("Content-Type")).toBe("text/plain")
        // Not the compressed length: unknown, or the decoded length when the body was decoded whole.
        expect([undefined, Buffer.byteLength(plain)]).toContain(r.response.contentLength)
        // Decoding to the end read the body to the end: the connection is reused.
        expect((yield* get(server.url("/gz2"))).text).toBe(plain)
        expect(server.accepted()).toBe(1)
        expect((yield* stats).reuses).toBe(1)
      }).pipe(withTransport())
      yield* server.expectAllClosed()
    }).pipe(Effect.scoped))

  it.live("a gzipped chunked body split across several writes is decoded", () =>
    Effect.gen(function*() {
      const gz = zlib.gzipSync(Buffer.from(plain))
      const server = yield* scriptedServer({
        onRequest: (_req, conn) => {
          conn.write(head({ "Content-Encoding": "gzip", "Transfer-Encoding": "chunked" }))
          const step = Math.ceil(gz.length / 5)
          const pieces = [0, 1, 2, 3, 4].map((i) => gz.subarray(i * step, (i + 1) * step))
          // Each chunk in its own write, and a chunk's size line split from its data once.
          let i = 0
          const next = () => {
            if (i === pieces.length) return conn.write(lastChunk)
            const c = chunk(pieces[i]!)
            if (i === 2) {
              conn.write(c.subarray(0, 2))
              conn.write(c.subarray(2))
            } else conn.write(c)
            i++
            setTimeout(next, 3)
          }
          next()
        }
      })
      yield* Effect.gen(function*() {
        const r = yield* get(server.url("/gz"))
        expect(r.text).toBe(plain)
        expect(r.response.headers.has("Content-Encoding")).toBe(false)
      }).pipe(withTransport())
      yield* server.expectAllClosed()
    }).pipe(Effect.scoped))

  it.live("a caller's own Accept-Encoding: gzip gets the compressed body as it came", () =>
    Effect.gen(function*() {
      const gz = zlib.gzipSync(Buffer.from(plain))
      const server = yield* scriptedServer({
        onRequest: (_req, conn) => conn.write(response(gz, { "Content-Encoding": "gzip" }))
      })
      yield* Effect.gen(function*() {
        const r = yield* get(server.url("/gz"), { "Accept-Encoding": "gzip" })
        expect(server.requests[0]!.headers["accept-encoding"]).toBe("gzip")
        expect(r.body.equals(gz)).toBe(true)
        expect(r.response.headers.get("Content-Encoding")).toBe("gzip")
        expect(r.response.headers.get("Content-Length")).toBe(String(gz.length))
      }).pipe(withTransport())
      yield* server.expectAllClosed()
    }).pipe(Effect.scoped))

  it.live("disableCompression: no Accept-Encoding is sent", () =>
    Effect.gen(function*() {
      const server = yield* scriptedServer({ onRequest: (_req, conn) => conn.write(response("plain")) })
      yield* Effect.gen(function*() {
        expect((yield* get(server.url("/"))).text).toBe("plain")
        expect(server.requests[0]!.headers["accept-encoding"]).toBeUndefined()
      }).pipe(withTransport({ disableCompression: true }))
      yield* server.expectAllClosed()
    }).pipe(Effect.scoped))

  it.live("a corrupt gzip body fails while reading the body with reason decompress", () =>
    Effect.gen(function*() {
      const gz = zlib.gzipSync(Buffer.from(plain))
      const corrupt = Buffer.from(gz)
      for (let i = 20; i < corrupt.length - 20; i += 7) corrupt[i] = corrupt[i]! ^ 0x5a
      const server = yield* scriptedServer({
        onRequest: (_req, conn) => conn.write(response(corrupt, { "Content-Encoding": "gzip" }))
      })
      yield* Effect.gen(function*() {
        const error = yield* Effect.flip(get(server.url("/bad")))
        expect(error).toMatchObject({ _tag: "TransportError", phase: "reading-body", reason: "decompress" })
      }).pipe(withTransport())
      yield* server.expectAllClosed()
    }).pipe(Effect.scoped))
})

describe("Expect: 100-continue", () => {
  const post = (url: string, body = "hello body") =>
    request({ method: "POST", url, headers: { Expect: "100-continue" }, body: Body.text(body) })

  it.live("the body waits for 100 Continue, then is sent and answered", () =>
    Effect.gen(function*() {
      let bodyBytesBefore100 = -1
      const server = yield* scriptedServer({
        onHead: (req, conn) => {
          expect(req.headers["expect"]).toBe("100-continue")
          setTimeout(() => {
            bodyBytesBefore100 = conn.bodyBytesSoFar(req)
            conn.write("HTTP/1.1 100 Continue\r\n\r\n")
          }, 100)
        },
        onRequest: (req, conn) => conn.write(response(`got ${req.body.toString()}`))
      })
      let continues = 0
      yield* Effect.gen(function*() {
        const r = yield* fetch(post(server.url("/up"))).pipe(
          Effect.provide(ClientTrace.layer({ got100Continue: () => continues++ }))
        )
        expect(r.status).toBe(200)
        expect(r.text).toBe("got hello body")
        expect(bodyBytesBefore100).toBe(0)
        expect(continues).toBe(1)
        // The connection is fine for the next request.
        expect((yield* fetch(post(server.url("/again"), "more"))).text).toBe("got more")
        expect(server.accepted()).toBe(1)
      }).pipe(withTransport({ expectContinueTimeout: "5 seconds" }))
      yield* server.expectAllClosed()
    }).pipe(Effect.scoped))

  it.live("a final answer (417, Connection: close) instead of 100: the body is never sent", () =>
    Effect.gen(function*() {
      const server = yield* scriptedServer({
        onHead: (_req, conn) => conn.write(response("", { Connection: "close" }, 417, "Expectation Failed"))
      })
      yield* Effect.gen(function*() {
        const r = yield* fetch(post(server.url("/up")))
        expect(r.status).toBe(417)
        expect(r.text).toBe("")
        yield* realSleep(150)
        const req = server.requests[0]!
        expect(server.conns[0]!.bodyBytesSoFar(req)).toBe(0)
        expect(req.complete).toBe(false)
        yield* eventually("the client closes the connection", () => server.conns[0]!.closed)
      }).pipe(withTransport({ expectContinueTimeout: "5 seconds" }))
      yield* server.expectAllClosed()
    }).pipe(Effect.scoped))

  it.live("no answer within expectContinueTimeout: the body is sent anyway", () =>
    Effect.gen(function*() {
      const server = yield* scriptedServer({
        onRequest: (req, conn) => conn.write(response(`got ${req.body.toString()}`))
      })
      yield* Effect.gen(function*() {
        const started = Date.now()
        const r = yield* fetch(post(server.url("/up")))
        expect(r.text).toBe("got hello body")
        const req = server.requests[0]!
        const waited = req.completeAt - req.headAt
        expect(waited).toBeGreaterThanOrEqual(150)
        expect(waited).toBeLessThan(2000)
        expect(Date.now() - started).toBeLessThan(2000)
      }).pipe(withTransport({ expectContinueTimeout: "200 millis" }))
      yield* server.expectAllClosed()
    }).pipe(Effect.scoped))
})

describe("informational responses", () => {
  it.live("103 Early Hints is skipped, reported to the trace, and the final 200 returned", () =>
    Effect.gen(function*() {
      const server = yield* scriptedServer({
        onRequest: (_req, conn) => {
          conn.write("HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n")
          setTimeout(() => conn.write(response("final")), 5)
        }
      })
      const seen: Array<[number, string | undefined]> = []
      yield* Effect.gen(function*() {
        const r = yield* fetch(request({ url: server.url("/") })).pipe(
          Effect.provide(ClientTrace.layer({ got1xxResponse: (status: number, h: Headers) => seen.push([status, h.get("Link")]) }))
        )
        expect(r.status).toBe(200)
        expect(r.text).toBe("final")
        expect(seen).toEqual([[103, "</style.css>; rel=preload"]])
        expect(r.response.headers.has("Link")).toBe(false)
        // Still in step: the next request on the same connection gets its own answer.
        expect((yield* get(server.url("/2"))).text).toBe("final")
        expect(server.accepted()).toBe(1)
      }).pipe(withTransport())
      yield* server.expectAllClosed()
    }).pipe(Effect.scoped))

  it.live("max1xxResponses: as many as the limit pass, one more fails with too-many-1xx", () =>
    Effect.gen(function*() {
      const server = yield* scriptedServer({
        onRequest: (req, conn) => {
          const n = Number(req.target.slice(1))
          for (let i = 0; i < n; i++) conn.write(`HTTP/1.1 103 Early Hints\r\nLink: <${i}>\r\n\r\n`)
          conn.write(response("final"))
        }
      })
      yield* Effect.gen(function*() {
        expect((yield* get(server.url("/2"))).text).toBe("final")
        const error = yield* Effect.flip(get(server.url("/3")))
        expect(error).toMatchObject({ _tag: "TransportError", phase: "awaiting-headers", reason: "too-many-1xx" })
      }).pipe(withTransport({ max1xxResponses: 2 }))
      yield* server.expectAllClosed()
    }).pipe(Effect.scoped))

  it.live("by default no count (Go 1.24): ten 199s then a 200 pass; the 1xx heads count against maxResponseHeaderBytes with the final head", () =>
    Effect.gen(function*() {
      const interim = "HTTP/1.1 199 Interim\r\nX-Pad: " + "p".repeat(60) + "\r\n\r\n" // 93 bytes
      expect(interim.length).toBe(93)
      const server = yield* scriptedServer({
        onRequest: (req, conn) => {
          const n = Number(req.target.slice(1))
          conn.write(interim.repeat(n))
          conn.write(response("final"))
        }
      })
      yield* Effect.gen(function*() {
        // Ten interim heads (930 bytes) and the final head fit in 2000 bytes: more than Go 1.23's 5 pass.
        expect((yield* get(server.url("/10"))).text).toBe("final")
        // Twenty-two (2046 bytes) do not: the sum is over the limit.
        const error = yield* Effect.flip(get(server.url("/22")))
        expect(error).toMatchObject({ _tag: "TransportError", phase: "awaiting-headers" })
        expect(String(error.message)).toMatch(/2000/)
        // Each head alone is far below the limit: it was the sum that failed.
        expect(interim.length).toBeLessThan(200)
      }).pipe(withTransport({ maxResponseHeaderBytes: 2000 }))
      yield* server.expectAllClosed()
    }).pipe(Effect.scoped))

  it.live("an endless run of 199s fails on the default header limit and the connection closes", () =>
    Effect.gen(function*() {
      const interim = "HTTP/1.1 199 Interim\r\n\r\n"
      let sockets = 0
      const server = yield* scriptedServer({
        onRequest: (_req, conn) => {
          sockets++
          // 64 KiB of interim heads a write, until the client goes (at most 20 MiB: the limit is 10 MiB).
          const batch = interim.repeat(Math.floor(65536 / interim.length))
          let written = 0
          const socket = conn.socket
          const pump = (): void => {
            while (!socket.destroyed && written < 20 << 20) {
              written += batch.length
              if (!socket.write(batch, "latin1")) {
                socket.once("drain", pump)
                return
              }
            }
          }
          pump()
        }
      })
      yield* Effect.gen(function*() {
        const error = yield* Effect.flip(get(server.url("/")))
        expect(error).toMatchObject({ _tag: "TransportError", phase: "awaiting-headers" })
        expect(String(error.message)).toMatch(/10485760|10 MiB/)
        expect(sockets).toBe(1)
      }).pipe(withTransport())
      yield* server.expectAllClosed()
    }).pipe(Effect.scoped))

  it.live("with a got1xxResponse hook each interim head has its own limit (Go 1.24): thirty pass where the sum would not", () =>
    Effect.gen(function*() {
      const interim = "HTTP/1.1 199 Interim\r\nX-Pad: " + "p".repeat(60) + "\r\n\r\n"
      const server = yield* scriptedServer({
        onRequest: (_req, conn) => {
          conn.write(interim.repeat(30))
          conn.write(response("final"))
        }
      })
      let seen = 0
      yield* Effect.gen(function*() {
        const r = yield* fetch(request({ url: server.url("/") })).pipe(
          Effect.provide(ClientTrace.layer({ got1xxResponse: () => seen++ }))
        )
        expect(r.text).toBe("final")
        expect(seen).toBe(30)
      }).pipe(withTransport({ maxResponseHeaderBytes: 2000 }))
      yield* server.expectAllClosed()
    }).pipe(Effect.scoped))
})

describe("101 Switching Protocols", () => {
  it.live("an upgrade hands over the connection: buffered bytes first, then an echo; it leaves the pool", () =>
    Effect.gen(function*() {
      const server = yield* scriptedServer({
        onRequest: (req, conn) => {
          if (req.headers["upgrade"] !== "echo") return conn.write(response("no upgrade"))
          // The head and the first bytes of the new protocol in one write.
          conn.write(Buffer.concat([head({ Upgrade: "echo", Connection: "Upgrade" }, 101, "Switching Protocols"), Buffer.from("HELLO")]))
          conn.takeOver((data) => conn.write(Buffer.concat([Buffer.from("echo:"), data])))
        }
      })
      yield* Effect.gen(function*() {
        const transport = yield* Transport
        yield* Effect.gen(function*() {
          const r = yield* transport.roundTrip(request({ url: server.url("/ws"), headers: { Upgrade: "echo", Connection: "Upgrade" } }))
          expect(r.status).toBe(101)
          expect(isUpgrade(r)).toBe(true)
          if (!isUpgrade(r)) return
          expect(r.headers.get("Upgrade")).toBe("echo")
          const readAtLeast = (n: number) =>
            Effect.gen(function*() {
              let got = Buffer.alloc(0)
              for (let i = 0; i < 1000 && got.length < n; i++) {
                const next = yield* r.conn.read
                if (Option.isNone(next)) break
                got = Buffer.concat([got, next.value])
              }
              return got.toString("latin1")
            })
          expect(yield* readAtLeast(5)).toBe("HELLO")
          yield* r.conn.write(text("ping"))
          expect(yield* readAtLeast(9)).toBe("echo:ping")
          const s = yield* stats
          expect(s.idle).toBe(0)
          expect(server.conns[0]!.closed).toBe(false)
        }).pipe(Effect.scoped)
        // Closing the round trip's Scope closed the upgraded connection, the Transport still alive.
        yield* eventually("the upgraded connection is closed with its Scope", () => server.conns[0]!.closed)
        expect((yield* stats).idle).toBe(0)
        // And the Transport goes on with a new connection.
        expect((yield* get(server.url("/plain"))).text).toBe("no upgrade")
        expect(server.accepted()).toBe(2)
      }).pipe(withTransport())
      yield* server.expectAllClosed()
    }).pipe(Effect.scoped))
})

/** A server that answers a POST as soon as its head arrives, and anything else once complete. */
const earlyResponder = scriptedServer({
  onHead: (req, conn) => {
    if (req.method === "POST") conn.write(response("early"))
  },
  onRequest: (req, conn) => {
    if (req.method !== "POST") conn.write(response(`ok ${req.target}`))
  }
})

/** An upload sent in three parts (100 ms apart with `slowStream`). */
const uploadParts = [text("first part;"), text("second part;"), text("third part")]

describe("a response before the request body was written", () => {
  it.live("the response arrives early; the body is still written whole; the next request is not interleaved", () =>
    Effect.gen(function*() {
      const server = yield* earlyResponder
      const parts = uploadParts
      yield* Effect.gen(function*() {
        const transport = yield* Transport
        yield* Effect.gen(function*() {
          const r = yield* transport.roundTrip(
            request({ method: "POST", url: server.url("/upload"), body: Body.stream(slowStream(parts, 100)) })
          )
          expect(r.status).toBe(200)
          // The head came back while the body was still being written.
          expect(server.requests[0]!.complete).toBe(false)
          yield* eventually("the whole request body reaches the server", () => server.requests[0]!.complete === true)
          expect(Buffer.from(yield* Body.collect(r.body)).toString()).toBe("early")
        }).pipe(Effect.scoped)
        const next = yield* get(server.url("/next"))
        expect(next.text).toBe("ok /next")
        const [upload, second] = server.requests
        expect(upload!.body.toString()).toBe("first part;second part;third part")
        expect(second!.target).toBe("/next")
        expect(second!.headAt).toBeGreaterThanOrEqual(upload!.completeAt)
        for (const c of server.conns) expect(c.errors).toEqual([])
        expect(server.requests).toHaveLength(2)
      }).pipe(withTransport())
      yield* server.expectAllClosed()
    }).pipe(Effect.scoped))
})

describe("a response before the request body was written, read at once", () => {
  it.live("the connection is not reused before the write finished: the next request is never inside the body", () =>
    Effect.gen(function*() {
      const server = yield* earlyResponder
      const parts = uploadParts
      yield* Effect.gen(function*() {
        const early = yield* fetch(request({ method: "POST", url: server.url("/upload"), body: Body.stream(slowStream(parts, 100)) }))
        expect(early.text).toBe("early")
        const next = yield* get(server.url("/next"))
        expect(next.text).toBe("ok /next")
        const nextReq = server.requests.find((r) => r.target === "/next")!
        const upload = server.requests.find((r) => r.target === "/upload")!
        for (const c of server.conns) expect(c.errors).toEqual([])
        if (nextReq.conn === upload.conn) {
          // Reused: only after the upload was whole.
          expect(upload.complete).toBe(true)
          expect(upload.body.toString()).toBe("first part;second part;third part")
          expect(nextReq.headAt).toBeGreaterThanOrEqual(upload.completeAt)
        } else {
          expect(server.accepted()).toBe(2)
        }
      }).pipe(withTransport())
      yield* server.expectAllClosed()
    }).pipe(Effect.scoped))
})

describe("responses without a body", () => {
  it.live("HEAD, 204 and 304 with a Content-Length carry no body, and the connection is reused", () =>
    Effect.gen(function*() {
      const server = yield* scriptedServer({
        onRequest: (req, conn) => {
          switch (req.target) {
            case "/head":
              return conn.write(head({ "Content-Length": "1000", "Content-Type": "text/plain" }))
            case "/204":
              return conn.write(head({ "Content-Length": "5" }, 204, "No Content"))
            case "/304":
              return conn.write(head({ "Content-Length": "1000", ETag: "\"x\"" }, 304, "Not Modified"))
            default:
              return conn.write(response("done"))
          }
        }
      })
      yield* Effect.gen(function*() {
        const h = yield* fetch(request({ method: "HEAD", url: server.url("/head") }))
        expect(h.status).toBe(200)
        expect(h.body.length).toBe(0)
        expect(h.response.headers.get("Content-Length")).toBe("1000")
        const noContent = yield* get(server.url("/204"))
        expect(noContent.status).toBe(204)
        expect(noContent.body.length).toBe(0)
        const notModified = yield* get(server.url("/304"))
        expect(notModified.status).toBe(304)
        expect(notModified.body.length).toBe(0)
        const last = yield* get(server.url("/last"))
        expect(last.text).toBe("done")
        expect(server.accepted()).toBe(1)
        expect((yield* stats).reuses).toBe(3)
      }).pipe(withTransport())
      yield* server.expectAllClosed()
    }).pipe(Effect.scoped))

  it.live("a body read to close (no Content-Length, no chunking) ends at EOF and the connection is not reused", () =>
    Effect.gen(function*() {
      const server = yield* scriptedServer({
        onRequest: (req, conn) => {
          conn.write(head({ "Content-Type": "text/plain" }))
          conn.write(`until close ${req.target}`)
          setTimeout(() => conn.socket.end(), 10)
        }
      })
      yield* Effect.gen(function*() {
        expect((yield* get(server.url("/1"))).text).toBe("until close /1")
        expect((yield* get(server.url("/2"))).text).toBe("until close /2")
        expect(server.accepted()).toBe(2)
        const ok = yield* poll(() => Effect.map(stats, (s) => s.idle === 0))
        expect(ok).toBe(true)
      }).pipe(withTransport())
      yield* server.expectAllClosed()
    }).pipe(Effect.scoped))
})
