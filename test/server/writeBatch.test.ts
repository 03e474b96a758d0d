/**
 * The server's answers of one event-loop turn leave together (`WriteBatch` per Server): the
 * answers to pipelined requests that arrived in one read reach the socket in one vectored
 * write, not one write each, and an answer to a lone request still goes out at once (within
 * the turn). Counted at the server's sockets (`_write`/`_writev`, picked by their local port).
 */
import { afterEach, describe, expect, it, vi } from "@effect/vitest"
import { Effect } from "effect"
import * as net from "node:net"
import * as ServerResponse from "../../src/server/ServerResponse.js"
import { get, rawConnect, startServer } from "./rawClient.js"

/** Counts the socket writes made on sockets whose local port is `port` (the server's side). */
const countServerWrites = (port: number) => {
  const counts = { write: 0, writev: 0, chunks: 0 }
  const proto = net.Socket.prototype as unknown as {
    _write: (this: net.Socket, chunk: unknown, encoding: unknown, cb: unknown) => void
    _writev: (this: net.Socket, chunks: ReadonlyArray<unknown>, cb: unknown) => void
  }
  const write = proto._write
  const writev = proto._writev
  vi.spyOn(proto, "_write").mockImplementation(function(this: net.Socket, chunk, encoding, cb) {
    if (this.localPort === port) {
      counts.write++
      counts.chunks++
    }
    return write.call(this, chunk, encoding, cb)
  })
  vi.spyOn(proto, "_writev").mockImplementation(function(this: net.Socket, chunks, cb) {
    if (this.localPort === port) {
      counts.writev++
      counts.chunks += chunks.length
    }
    return writev.call(this, chunks, cb)
  })
  return counts
}

describe("the server's write batch", () => {
  afterEach(() => {
    vi.restoreAllMocks()
  })

  it.live("pipelined requests read in one turn: their answers leave in one vectored write, in order", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler: (req) => Effect.succeed(ServerResponse.text(req.target)) })
      const c = yield* rawConnect(server.port)
      const counts = countServerWrites(server.port)
      const paths = ["/a", "/b", "/c", "/d", "/e"]
      yield* c.send(paths.map((p) => get(p)).join(""))
      const rs = yield* c.responses(paths.length)
      expect(rs.map((r) => r.body)).toEqual(paths)
      expect(counts).toEqual({ write: 0, writev: 1, chunks: paths.length })
    }).pipe(Effect.scoped))

  it.live("a lone request's answer goes out in its turn, one write per answer", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler: () => Effect.succeed(ServerResponse.text("hi")) })
      const c = yield* rawConnect(server.port)
      const counts = countServerWrites(server.port)
      for (let i = 0; i < 3; i++) {
        yield* c.send(get("/"))
        const [r] = yield* c.responses(1, 2000)
        expect(r?.body).toBe("hi")
      }
      // One socket write per answer: nothing held back for a later turn.
      expect(counts.chunks).toBe(3)
      expect(counts.write + counts.writev).toBe(3)
    }).pipe(Effect.scoped))
})
