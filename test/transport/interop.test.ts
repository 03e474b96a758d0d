/**
 * The Transport against node:http's server (keep-alive): bodies of several sizes and framings
 * over one connection, byte for byte.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import * as http from "node:http"
import type * as net from "node:net"
import * as Body from "../../src/domain/Body.js"
import { Transport } from "../../src/transport/Transport.js"
import { fetch, get, poll, pseudoRandom, request } from "./scripted.js"

const bodies: Record<string, Buffer> = {
  "/0": Buffer.alloc(0),
  "/13": Buffer.from("hello, world!"),
  "/64k": pseudoRandom(64 << 10, 3),
  "/1m-chunked": pseudoRandom(1 << 20, 5)
}

/** A node:http server on 127.0.0.1:0 for the test's Scope, counting connections. */
const nodeHttpServer = Effect.acquireRelease(
  Effect.async<{ server: http.Server; port: number; connections: () => number; open: () => number; requestBodies: Array<Buffer> }>((resume) => {
    let connections = 0
    let open = 0
    const sockets = new Set<net.Socket>()
    const requestBodies: Array<Buffer> = []
    const server = http.createServer({ keepAlive: true }, (req, res) => {
      const parts: Array<Buffer> = []
      req.on("data", (c: Buffer) => parts.push(c))
      req.on("end", () => {
        if (req.method === "POST") {
          const body = Buffer.concat(parts)
          requestBodies.push(body)
          res.writeHead(200, { "Content-Length": body.length })
          res.end(body)
          return
        }
        const body = bodies[req.url ?? ""]
        if (body === undefined) {
          res.writeHead(404, { "Content-Length": 0 })
          res.end()
        } else if (req.url === "/1m-chunked") {
          res.writeHead(200, { "Content-Type": "application/octet-stream" }) // no length: chunked
          for (let off = 0; off < body.length; off += 100_000) res.write(body.subarray(off, off + 100_000))
          res.end()
        } else {
          res.writeHead(200, { "Content-Length": body.length })
          res.end(body)
        }
      })
    })
    server.on("connection", (socket: net.Socket) => {
      connections++
      open++
      sockets.add(socket)
      socket.on("close", () => {
        open--
        sockets.delete(socket)
      })
    })
    server.listen(0, "127.0.0.1", () =>
      resume(Effect.succeed({
        server,
        port: (server.address() as net.AddressInfo).port,
        connections: () => connections,
        open: () => open,
        requestBodies
      })))
  }),
  ({ server }) =>
    Effect.async<void>((resume) => {
      server.closeAllConnections()
      server.close(() => resume(Effect.void))
    })
)

describe("interop with node:http", () => {
  it.live("20 sequential requests of 0 B, 13 B, 64 KiB and 1 MiB chunked over one connection", () =>
    Effect.gen(function*() {
      const { connections, open, port } = yield* nodeHttpServer
      const paths = Object.keys(bodies)
      yield* Effect.gen(function*() {
        for (let i = 0; i < 20; i++) {
          const path = paths[i % paths.length]!
          const r = yield* get(`http://127.0.0.1:${port}${path}`)
          expect(r.status).toBe(200)
          expect(r.body.length).toBe(bodies[path]!.length)
          expect(r.body.equals(bodies[path]!)).toBe(true)
        }
        expect(connections()).toBe(1)
        const s = yield* Effect.flatMap(Transport, (t) => t.stats)
        expect(s.dials).toBe(1)
        expect(s.reuses).toBe(19)
      }).pipe(Effect.provide(Transport.layer()))
      expect(yield* poll(() => open() === 0)).toBe(true)
    }).pipe(Effect.scoped))

  it.live("POST bodies (bytes, and a stream of unknown length sent chunked) echo back intact on one connection", () =>
    Effect.gen(function*() {
      const { connections, port, requestBodies } = yield* nodeHttpServer
      const big = pseudoRandom(300_000, 11)
      yield* Effect.gen(function*() {
        const a = yield* fetch(request({ method: "POST", url: `http://127.0.0.1:${port}/echo`, body: Body.bytes(big) }))
        expect(a.body.equals(big)).toBe(true)
        const parts = [big.subarray(0, 1000), big.subarray(1000, 200_000), big.subarray(200_000)]
        const b = yield* fetch(request({ method: "POST", url: `http://127.0.0.1:${port}/echo`, body: Body.stream(Stream.fromIterable(parts)) }))
        expect(b.body.equals(big)).toBe(true)
        expect(requestBodies.map((x) => x.length)).toEqual([big.length, big.length])
        expect(connections()).toBe(1)
      }).pipe(Effect.provide(Transport.layer()))
    }).pipe(Effect.scoped))
})
