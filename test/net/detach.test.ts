/**
 * `RawConn.detach`, the hand-over of a connection's input to another reader (HTTP/2's
 * `node:http2` session after ALPN chose h2), and the ALPN offer of `tlsClient`: detach gives
 * back exactly the bytes received and not yet read, however they were split; a `node:http2`
 * client session runs over a socket we dialed and detached, and a `node:http2` server session
 * over a socket our Listener accepted.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, FastCheck as fc, Option } from "effect"
import * as http2 from "node:http2"
import * as net from "node:net"
import { fromDuplex } from "../../src/net/Conn.js"
import { handOver } from "../../src/net/handOver.js"
import { listen } from "../../src/net/Listener.js"
import { streamPipe } from "../../src/net/Pipe.js"
import { tlsClient } from "../../src/net/tls.js"
import { TEST_CERT, TEST_KEY } from "../../src/testing/testCert.js"

/** Waits until `check` holds, polling every millisecond; fails after `ms`. */
const until = (check: () => boolean, ms = 2_000) =>
  Effect.async<void, Error>((resume) => {
    const start = Date.now()
    const timer = setInterval(() => {
      if (check()) {
        clearInterval(timer)
        resume(Effect.void)
      } else if (Date.now() - start > ms) {
        clearInterval(timer)
        resume(Effect.fail(new Error(`not within ${ms} ms`)))
      }
    }, 1)
    return Effect.sync(() => clearInterval(timer))
  })

describe("RawConn.detach", () => {
  it.effect("returns the bytes received and not read, in order, however split (property)", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(
          fc.array(fc.uint8Array({ minLength: 1, maxLength: 64 }), { minLength: 0, maxLength: 12 }),
          fc.nat({ max: 12 }),
          async (chunks, readCount) => {
            const [a, b] = streamPipe()
            const conn = fromDuplex(b)
            for (const chunk of chunks) a.write(chunk)
            await new Promise((r) => setImmediate(r))
            const read: Array<Uint8Array> = []
            const reads = Math.min(readCount, chunks.length)
            for (let i = 0; i < reads; i++) {
              const next = await Effect.runPromise(conn.read)
              read.push(Option.getOrThrow(next))
            }
            const rest = conn.detach()
            expect(Buffer.concat([...read, rest])).toEqual(Buffer.concat(chunks))
            // Our reader is gone: later bytes stay in the stream for the next reader.
            a.write(Buffer.from("after"))
            await new Promise((r) => setImmediate(r))
            expect(Option.isNone(await Effect.runPromise(conn.read))).toBe(true)
            expect(Buffer.from(b.read() as Buffer).toString()).toBe("after")
            a.destroy()
            b.destroy()
          }
        ),
        { numRuns: 100 }
      )
    ))

  it.live("close still destroys a detached stream, and closed completes", () =>
    Effect.gen(function*() {
      const [a, b] = streamPipe()
      const conn = fromDuplex(b)
      a.write("x")
      yield* Effect.sleep("5 millis")
      conn.detach()
      yield* conn.close
      yield* conn.closed.pipe(Effect.timeout("2 seconds"))
      expect(conn.isClosed()).toBe(true)
      a.destroy()
    }))
})

describe("HTTP/2 over our connections", () => {
  it.scopedLive("a node:http2 client session over a socket we dialed (ALPN h2) and detached", () =>
    Effect.gen(function*() {
      const server = http2.createSecureServer({ key: TEST_KEY, cert: TEST_CERT, allowHTTP1: false })
      server.on("stream", (stream, headers) => {
        stream.respond({ ":status": 200, "x-path": String(headers[":path"]) })
        stream.end("hello over h2")
      })
      yield* Effect.async<void>((resume) => {
        server.listen(0, "127.0.0.1", () => resume(Effect.void))
      })
      yield* Effect.addFinalizer(() => Effect.sync(() => server.close()))
      const port = (server.address() as net.AddressInfo).port
      const tcp = net.connect(port, "127.0.0.1")
      yield* Effect.addFinalizer(() => Effect.sync(() => tcp.destroy()))
      const socket = yield* tlsClient(tcp, "localhost", { ca: TEST_CERT }, ["h2", "http/1.1"])
      expect(socket.alpnProtocol).toBe("h2")
      const conn = fromDuplex(socket)
      expect(conn.tlsState?.()?.alpnProtocol).toBe("h2")
      // The server's SETTINGS may already be queued with us: the hand-over passes them on.
      yield* Effect.sleep("20 millis")
      const stream = handOver(conn)
      const session = http2.connect("https://localhost", { createConnection: () => stream })
      yield* Effect.addFinalizer(() => Effect.sync(() => session.destroy()))
      const answer = yield* Effect.async<{ status: number; path: string; body: string }, Error>((resume) => {
        const req = session.request({ ":path": "/over/ours" })
        let status = 0
        let path = ""
        const parts: Array<Buffer> = []
        req.on("response", (h) => {
          status = Number(h[":status"])
          path = String(h["x-path"])
        })
        req.on("data", (c: Buffer) => parts.push(c))
        req.on("end", () => resume(Effect.succeed({ status, path, body: Buffer.concat(parts).toString() })))
        req.on("error", (e) => resume(Effect.fail(e)))
        req.end()
      }).pipe(Effect.timeout("5 seconds"))
      expect(answer).toEqual({ status: 200, path: "/over/ours", body: "hello over h2" })
    }))

  it.scopedLive("tlsClient offers only http/1.1 by default", () =>
    Effect.gen(function*() {
      const listener = yield* listen({ host: "127.0.0.1", port: 0, tls: { key: TEST_KEY, cert: TEST_CERT, alpnProtocols: ["h2", "http/1.1"] } })
      const tcp = net.connect(listener.port, "127.0.0.1")
      yield* Effect.addFinalizer(() => Effect.sync(() => tcp.destroy()))
      const accepted = yield* Effect.fork(listener.accept)
      const socket = yield* tlsClient(tcp, "localhost", { ca: TEST_CERT })
      expect(socket.alpnProtocol).toBe("http/1.1")
      const conn = yield* accepted.await.pipe(Effect.flatten)
      yield* conn.close
    }))

  it.scopedLive("a node:http2 server session over a socket our Listener accepted and detached", () =>
    Effect.gen(function*() {
      const listener = yield* listen({ host: "127.0.0.1", port: 0, tls: { key: TEST_KEY, cert: TEST_CERT, alpnProtocols: ["h2", "http/1.1"] } })
      const client = http2.connect(`https://localhost:${listener.port}`, { ca: TEST_CERT })
      client.on("error", () => {})
      yield* Effect.addFinalizer(() => Effect.sync(() => client.destroy()))
      const answer = Effect.async<{ status: number; body: string; cookie: string }, Error>((resume) => {
        // RFC 9113 §8.2.3: a client may split cookie into several fields; the server joins them.
        const req = client.request({ ":path": "/x", cookie: ["a=1", "b=2"] })
        let status = 0
        const parts: Array<Buffer> = []
        req.on("response", (h) => {
          status = Number(h[":status"])
        })
        req.on("data", (c: Buffer) => parts.push(c))
        req.on("end", () => {
          const [body, cookie] = Buffer.concat(parts).toString().split("|")
          resume(Effect.succeed({ status, body: body!, cookie: cookie! }))
        })
        req.on("error", (e) => resume(Effect.fail(e)))
        req.end()
      })
      const pending = yield* Effect.fork(answer)
      const conn = yield* listener.accept
      const raw = conn as ReturnType<typeof fromDuplex>
      yield* until(() => raw.tlsState?.()?.handshakeComplete === true)
      expect(raw.tlsState?.()?.alpnProtocol).toBe("h2")
      const session = http2.performServerHandshake(handOver(raw))
      yield* Effect.addFinalizer(() => Effect.sync(() => session.destroy()))
      session.on("stream", (stream, headers) => {
        stream.respond({ ":status": 201 })
        stream.end(`served|${String(headers["cookie"])}`)
      })
      const got = yield* pending.await.pipe(Effect.flatten, Effect.timeout("5 seconds"))
      expect(got).toEqual({ status: 201, body: "served", cookie: "a=1; b=2" })
      yield* conn.close
      yield* conn.closed.pipe(Effect.timeout("2 seconds"))
    }))
})
