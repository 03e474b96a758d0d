/**
 * The socket layer over real loopback sockets and the in-memory pipe: reads and writes,
 * end of input, backpressure, close exactly once, dial errors and the dial timeout on the
 * TestClock, and a listener owned by its Scope.
 */
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Duration, Effect, Exit, Fiber, Option, Scope, Stream, TestClock } from "effect"
import * as net from "node:net"
import { type Conn, rawOf } from "../../src/net/Conn.js"
import { Dialer } from "../../src/net/Dialer.js"
import { DialError } from "../../src/net/errors.js"
import { listen } from "../../src/net/Listener.js"
import { rawPipe as pipe } from "../../src/net/Pipe.js"
import { nodeServer } from "../support/nodeServer.js"

const text = (s: string) => new TextEncoder().encode(s)

/** Reads until end of input (at most `limit` chunks) and returns everything as a string. */
const readAll = (conn: Conn, limit = 100_000) =>
  Effect.gen(function*() {
    let out = ""
    for (let i = 0; i < limit; i++) {
      const next = yield* conn.read
      if (Option.isNone(next)) return out
      out += Buffer.from(next.value).toString("latin1")
    }
    return yield* Effect.die(new Error("no end of input"))
  })

describe("Dialer and Conn over TCP", () => {
  it.live("round trip with an echo server, then end of input when the peer ends", () =>
    Effect.gen(function*() {
      const { port } = yield* nodeServer((socket) => socket.pipe(socket))
      const dialer = yield* Dialer
      const conn = yield* dialer.dial({ host: "127.0.0.1", port })
      expect(conn.remoteAddress).toBe("127.0.0.1")
      expect(conn.remotePort).toBe(port)
      yield* conn.write(text("hello, "))
      yield* conn.write(text("world"))
      yield* conn.closeWrite
      expect(yield* readAll(conn)).toBe("hello, world")
      // After end of input, read keeps answering None.
      expect(Option.isNone(yield* conn.read)).toBe(true)
    }).pipe(Effect.scoped, Effect.provide(Dialer.layerDefault)))

  it.live("a write waits for room when the peer does not read, and completes once it does", () =>
    Effect.gen(function*() {
      let serverSocket: net.Socket | undefined
      const { port } = yield* nodeServer((socket) => {
        serverSocket = socket
        socket.pause()
      })
      const dialer = yield* Dialer
      const conn = yield* dialer.dial({ host: "127.0.0.1", port })
      const block = new Uint8Array(1 << 20)
      let written = 0
      const writer = yield* Effect.fork(
        Effect.gen(function*() {
          for (let i = 0; i < 64; i++) {
            yield* conn.write(block)
            written++
          }
        })
      )
      yield* Effect.sleep("300 millis")
      // 64 MiB cannot all sit in socket buffers: the writer is waiting for room.
      expect(Option.isNone(yield* Fiber.poll(writer))).toBe(true)
      expect(written).toBeLessThan(64)
      let received = 0
      serverSocket!.on("data", (chunk: Buffer) => {
        received += chunk.length
      })
      serverSocket!.resume()
      yield* Fiber.join(writer).pipe(Effect.timeout("20 seconds"))
      expect(written).toBe(64)
      yield* Effect.sleep("10 millis").pipe(Effect.repeat({ until: () => received === 64 << 20, times: 2000 }))
      expect(received).toBe(64 << 20)
    }).pipe(Effect.scoped, Effect.provide(Dialer.layerDefault)))

  it.live("closing the Scope closes the socket exactly once, and the peer sees end of input", () =>
    Effect.gen(function*() {
      let peerEnded = false
      const { port } = yield* nodeServer((socket) => {
        socket.on("end", () => {
          peerEnded = true
        })
        socket.resume()
      })
      const scope = yield* Scope.make()
      const dialer = yield* Dialer
      const conn = yield* dialer.dial({ host: "127.0.0.1", port }).pipe(Scope.extend(scope))
      let destroys = 0
      let closes = 0
      const stream = rawOf(conn)!.stream
      const original = stream.destroy.bind(stream)
      stream.destroy = (error?: Error) => {
        destroys++
        return original(error)
      }
      stream.on("close", () => {
        closes++
      })
      yield* conn.close
      yield* Scope.close(scope, Exit.void)
      yield* conn.close
      yield* conn.closed
      expect(conn.isClosed()).toBe(true)
      expect(destroys).toBe(1)
      expect(closes).toBe(1)
      yield* Effect.sleep("10 millis").pipe(Effect.repeat({ until: () => peerEnded, times: 500 }))
      expect(peerEnded).toBe(true)
      const write = yield* Effect.either(conn.write(text("late")))
      expect(write._tag === "Left" && write.left.code).toBe("closed")
    }).pipe(Effect.scoped, Effect.provide(Dialer.layerDefault)))

  it.live("a peer reset fails a pending read with the system's code", () =>
    Effect.gen(function*() {
      const { port } = yield* nodeServer((socket) => {
        socket.once("data", () => socket.resetAndDestroy())
      })
      const dialer = yield* Dialer
      const conn = yield* dialer.dial({ host: "127.0.0.1", port })
      yield* conn.write(text("reset me"))
      const result = yield* Effect.either(readAll(conn))
      // A reset after the handshake is ECONNRESET; some kernels report a plain end of input first.
      if (result._tag === "Left") expect(result.left).toMatchObject({ _tag: "ConnError", op: "read", code: "ECONNRESET" })
      else expect(result.right).toBe("")
    }).pipe(Effect.scoped, Effect.provide(Dialer.layerDefault)))

  it.live("dialing a closed port fails with DialError refused", () =>
    Effect.gen(function*() {
      const port = yield* Effect.scoped(listen({ host: "127.0.0.1", port: 0 }).pipe(Effect.map((l) => l.port)))
      const dialer = yield* Dialer
      const error = yield* Effect.flip(dialer.dial({ host: "127.0.0.1", port }))
      expect(error).toBeInstanceOf(DialError)
      expect(error).toMatchObject({ reason: "refused", code: "ECONNREFUSED", host: "127.0.0.1", port })
    }).pipe(Effect.scoped, Effect.provide(Dialer.layerDefault)))

  it.effect("the dial timeout runs on the TestClock and destroys the half-open socket", () => {
    const sockets: Array<net.Socket> = []
    // A socket that never connects: created, but never asked to.
    const connect = () => {
      const socket = new net.Socket()
      sockets.push(socket)
      return socket
    }
    return Effect.gen(function*() {
      const dialer = yield* Dialer
      const fiber = yield* Effect.fork(Effect.scoped(dialer.dial({ host: "192.0.2.1", port: 80 })))
      // Let the dial register its timer before the clock moves.
      for (let i = 0; i < 100 && Chunk.isEmpty(yield* TestClock.sleeps()); i++) yield* Effect.yieldNow()
      expect(Chunk.size(yield* TestClock.sleeps())).toBe(1)
      yield* TestClock.adjust(Duration.seconds(4))
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      yield* TestClock.adjust(Duration.seconds(1))
      const failure = yield* Effect.flip(Fiber.join(fiber))
      expect(failure).toMatchObject({ _tag: "DialError", reason: "timeout", host: "192.0.2.1", port: 80 })
      expect(sockets).toHaveLength(1)
      expect(sockets[0]!.destroyed).toBe(true)
    }).pipe(Effect.provide(Dialer.layer({ timeout: "5 seconds", connect })))
  })
})

describe("Listener", () => {
  it.live("accepts connections on the port it reports, and stops listening when its Scope closes", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const listener = yield* listen({ host: "127.0.0.1", port: 0 }).pipe(Scope.extend(scope))
      expect(listener.port).toBeGreaterThan(0)
      const dialer = yield* Dialer
      const client = yield* dialer.dial({ host: "127.0.0.1", port: listener.port })
      const server = yield* listener.accept
      yield* client.write(text("ping"))
      yield* client.closeWrite
      expect(yield* readAll(server)).toBe("ping")
      yield* server.write(text("pong"))
      yield* server.close
      expect(yield* readAll(client)).toBe("pong")
      yield* Scope.close(scope, Exit.void)
      const refused = yield* Effect.flip(dialer.dial({ host: "127.0.0.1", port: listener.port }))
      expect(refused.reason).toBe("refused")
    }).pipe(Effect.scoped, Effect.provide(Dialer.layerDefault)))

  it.live("an address in use is a ListenError with its code", () =>
    Effect.gen(function*() {
      const first = yield* listen({ host: "127.0.0.1", port: 0 })
      const error = yield* Effect.flip(listen({ host: "127.0.0.1", port: first.port }))
      expect(error).toMatchObject({ _tag: "ListenError", code: "EADDRINUSE", port: first.port })
    }).pipe(Effect.scoped))
})

describe("in-memory pipe", () => {
  it.live("carries bytes both ways, then end of input after closeWrite", () =>
    Effect.gen(function*() {
      const [a, b] = pipe()
      yield* a.write(text("abc"))
      yield* a.closeWrite
      expect(yield* readAll(b)).toBe("abc")
      yield* b.write(text("xyz"))
      yield* b.close
      expect(yield* readAll(a)).toBe("xyz")
      yield* a.close
      expect(a.isClosed() && b.isClosed()).toBe(true)
    }))

  it.live("a writer waits while the reader does not read", () =>
    Effect.gen(function*() {
      const [a, b] = pipe()
      const block = new Uint8Array(64 << 10)
      let written = 0
      const writer = yield* Effect.fork(
        Effect.gen(function*() {
          for (let i = 0; i < 32; i++) {
            yield* a.write(block)
            written++
          }
          yield* a.closeWrite
        })
      )
      yield* Effect.sleep("50 millis")
      expect(Option.isNone(yield* Fiber.poll(writer))).toBe(true)
      expect(written).toBeLessThan(32)
      const all = yield* Stream.runCollect(
        Stream.repeatEffectOption(b.read.pipe(Effect.mapError(Option.some), Effect.flatMap(Option.match({ onNone: () => Effect.fail(Option.none()), onSome: Effect.succeed }))))
      )
      yield* Fiber.join(writer)
      expect(Chunk.reduce(all, 0, (n, c) => n + c.length)).toBe(32 * (64 << 10))
      yield* a.close
      yield* b.close
    }))

  it.live("writing after the peer closed fails with a ConnError", () =>
    Effect.gen(function*() {
      const [a, b] = pipe()
      yield* b.close
      const result = yield* Effect.either(Effect.gen(function*() {
        for (let i = 0; i < 3; i++) yield* a.write(text("x"))
      }))
      expect(result._tag).toBe("Left")
      if (result._tag === "Left") expect(result.left._tag).toBe("ConnError")
      yield* a.close
    }))
})

describe("Conn push mode (receive)", () => {
  /** A receiver recording what it is handed. */
  const recorder = () => {
    const seen: Array<string> = []
    return {
      seen,
      receiver: {
        onData: (chunk: Uint8Array) => seen.push("data:" + Buffer.from(chunk).toString("latin1")),
        onEnd: () => seen.push("end"),
        onError: (e: { code: string }) => seen.push("error:" + e.code)
      }
    }
  }

  /** Polls `cond` every 5 ms, at most 200 times. */
  const until = (cond: () => boolean) =>
    Effect.gen(function*() {
      for (let i = 0; i < 200 && !cond(); i++) yield* Effect.sleep("5 millis")
      expect(cond()).toBe(true)
    })

  it.live("hands queued input over first, then each chunk and the end as they arrive", () =>
    Effect.gen(function*() {
      const [a, b] = pipe()
      yield* a.write(text("queued"))
      yield* Effect.sleep("10 millis") // the chunk is queued for `read` by now
      const r = recorder()
      b.receive(r.receiver)
      expect(r.seen).toEqual(["data:queued"])
      yield* a.write(text("live"))
      yield* until(() => r.seen.length === 2)
      yield* a.closeWrite
      yield* until(() => r.seen.length === 3)
      expect(r.seen).toEqual(["data:queued", "data:live", "end"])
      yield* a.close
      yield* b.close
    }))

  it.live("switching back to pull mode queues input for read again", () =>
    Effect.gen(function*() {
      const [a, b] = pipe()
      const r = recorder()
      b.receive(r.receiver)
      yield* a.write(text("one"))
      yield* until(() => r.seen.length === 1)
      b.receive(undefined)
      yield* a.write(text("two"))
      const next = yield* b.read
      expect(Option.map(next, (c) => Buffer.from(c).toString("latin1"))).toEqual(Option.some("two"))
      expect(r.seen).toEqual(["data:one"])
      yield* a.close
      yield* b.close
    }))

  it.live("a receiver set after the end of input is told at once", () =>
    Effect.gen(function*() {
      const [a, b] = pipe()
      yield* a.closeWrite
      expect(Option.isNone(yield* b.read)).toBe(true)
      const r = recorder()
      b.receive(r.receiver)
      expect(r.seen).toEqual(["end"])
      yield* a.close
      yield* b.close
    }))
})
