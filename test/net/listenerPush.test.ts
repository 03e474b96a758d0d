/**
 * `Listener.push` (the server's acceptor): connections accepted before the handler was given
 * are handed to it first, in order; later ones inside Node's `connection` event itself (the
 * handler has the Conn before any other callback runs); after `close`, new connections are
 * refused and nothing more is handed over.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as net from "node:net"
import type { RawConn } from "../../src/net/Conn.js"
import type { AcceptError } from "../../src/net/errors.js"
import { listen } from "../../src/net/Listener.js"

const connect = (port: number): Effect.Effect<net.Socket> =>
  Effect.async<net.Socket>((resume) => {
    const socket = net.connect({ host: "127.0.0.1", port }, () => resume(Effect.succeed(socket)))
    socket.on("error", () => {})
  })

const waitUntil = (done: () => boolean): Effect.Effect<boolean> =>
  Effect.gen(function*() {
    for (let i = 0; i < 100 && !done(); i++) yield* Effect.promise(() => new Promise((r) => setTimeout(r, 10)))
    return done()
  })

describe("Listener.push", () => {
  it.live("pending connections first, then each one in its connection event; none after close", () =>
    Effect.gen(function*() {
      const listener = yield* listen({ host: "127.0.0.1", port: 0 })
      const clients: Array<net.Socket> = []
      // Two connections accepted before anyone takes them: they wait in the listener.
      clients.push(yield* connect(listener.port), yield* connect(listener.port))
      const received: Array<RawConn> = []
      const errors: Array<AcceptError> = []
      // Accepted already? Wait until Node emitted both connection events.
      yield* Effect.promise(() => new Promise((r) => setTimeout(r, 50)))
      listener.push((item) => {
        if ("stream" in item) received.push(item)
        else errors.push(item)
      })
      expect(received.length).toBe(2)
      // A later one: handed over inside the event, so the Conn exists before its first byte is read.
      const third = yield* connect(listener.port)
      clients.push(third)
      expect(yield* waitUntil(() => received.length === 3)).toBe(true)
      // The Conns are usable: bytes from each client reach its Conn.
      const got = received.map(() => "")
      received.forEach((conn, i) => conn.stream.on("data", (b: Buffer) => void (got[i] += b.toString())))
      clients.forEach((c, i) => c.write(`hello ${i}`))
      expect(yield* waitUntil(() => got.every((g, i) => g.length > 0 && got.includes(`hello ${i}`)))).toBe(true)
      yield* listener.close
      const refused = yield* Effect.either(Effect.timeout(connect(listener.port), "1 second"))
      expect(refused._tag).toBe("Left")
      expect(received.length).toBe(3)
      expect(errors).toEqual([])
      for (const c of clients) c.destroy()
      for (const conn of received) conn.closeNow()
    }).pipe(Effect.scoped))
})
