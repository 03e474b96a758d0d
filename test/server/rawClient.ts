/**
 * Test helpers for the server: start a `Server` in the test's Scope, and a raw TCP client that
 * writes exact bytes and parses what comes back with our response parser, so every test sees
 * the wire as it is (status lines, fields, framing, and whether the server closed).
 */
import { Context, Effect, Layer, type Scope } from "effect"
import * as net from "node:net"
import { Event, Parser } from "../../src/domain/http1/Parser.js"
import type { ResponseHead } from "../../src/domain/http1/MessageHead.js"
import type { ServerOptions } from "../../src/server/config.js"
import { Server, type ServerService } from "../../src/server/Server.js"

/** Starts a server on 127.0.0.1:0 for as long as the Scope is open. */
export const startServer = <E, R>(options: Omit<ServerOptions<E, R>, "host" | "port">): Effect.Effect<ServerService, never, Scope.Scope | R> =>
  Effect.orDie(Effect.map(Layer.build(Server.layer({ host: "127.0.0.1", port: 0, ...options })), (ctx) => Context.get(ctx, Server)))

/** One response as the raw client parsed it. */
export interface RawResponse {
  readonly head: ResponseHead
  readonly status: number
  readonly body: string
  /** A header field's first value. */
  readonly header: (name: string) => string | undefined
}

/** A raw TCP connection to the server. */
export interface RawConn {
  /** Writes bytes (a string as latin1). */
  readonly send: (data: string | Uint8Array) => Effect.Effect<void>
  /**
   * Waits for `n` more complete responses (at most `timeoutMs`, real time); fewer come back
   * when the server closed or the time ran out. (Answers to HEAD cannot be parsed here: read
   * `received` for those.)
   */
  readonly responses: (n: number, timeoutMs?: number) => Effect.Effect<Array<RawResponse>>
  /** Waits (at most `timeoutMs`) for the server to close; true if it did. */
  readonly closed: (timeoutMs?: number) => Effect.Effect<boolean>
  /** Waits (at most `timeoutMs`) until the bytes received satisfy `done`; true if they did. */
  readonly until: (done: (received: string) => boolean, timeoutMs?: number) => Effect.Effect<boolean>
  /** Every byte received so far, as latin1. */
  readonly received: () => string
  /** Whether the server closed its side. */
  readonly isEnded: () => boolean
  /** Ends our side (FIN) without closing. */
  readonly end: Effect.Effect<void>
  /** Destroys the socket. */
  readonly destroy: Effect.Effect<void>
}

/** Connects to `port` on 127.0.0.1; the socket is destroyed when the Scope closes. */
export const rawConnect = (port: number): Effect.Effect<RawConn, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<RawConn>((resume) => {
      const socket = net.connect({ host: "127.0.0.1", port, allowHalfOpen: true })
      const parser = Parser.response()
      const parsed: Array<RawResponse> = []
      let bytes = ""
      let ended = false
      let current: { head: ResponseHead; body: Array<Buffer> } | undefined
      let wake: (() => void) | undefined
      const notify = () => {
        const w = wake
        wake = undefined
        w?.()
      }
      const pump = () => {
        for (;;) {
          const ev = parser.next()
          if (ev === Event.Head) {
            const head = parser.head
            current = { head, body: [] }
          } else if (ev === Event.Body) current?.body.push(Buffer.from(parser.chunk))
          else if (ev === Event.End) {
            if (current !== undefined) {
              const head = current.head
              parsed.push({ head, status: head.status, body: Buffer.concat(current.body).toString("latin1"), header: (name) => head.headers.get(name) })
            }
            current = undefined
          } else break
        }
        notify()
      }
      socket.on("data", (chunk: Buffer) => {
        bytes += chunk.toString("latin1")
        parser.feed(chunk)
        pump()
      })
      socket.on("end", () => {
        ended = true
        parser.finish()
        pump()
        notify()
      })
      socket.on("close", () => {
        ended = true
        notify()
      })
      socket.on("error", () => {
        ended = true
        notify()
      })
      const waitFor = (done: () => boolean, timeoutMs: number): Effect.Effect<boolean> =>
        Effect.async<boolean>((resumeWait) => {
          const timer = setTimeout(() => {
            wake = undefined
            resumeWait(Effect.succeed(done()))
          }, timeoutMs)
          const check = () => {
            if (done()) {
              clearTimeout(timer)
              resumeWait(Effect.succeed(true))
            } else if (ended && !done()) {
              clearTimeout(timer)
              resumeWait(Effect.succeed(false))
            } else wake = check
          }
          check()
          return Effect.sync(() => clearTimeout(timer))
        })
      let taken = 0
      const conn: RawConn = {
        send: (data) =>
          Effect.sync(() => {
            socket.write(typeof data === "string" ? Buffer.from(data, "latin1") : data)
          }),
        responses: (n, timeoutMs = 5_000) =>
          Effect.suspend(() => {
            const want = taken + n
            return Effect.map(waitFor(() => parsed.length >= want, timeoutMs), () => {
              const out = parsed.slice(taken, want)
              taken += out.length
              return out
            })
          }),
        closed: (timeoutMs = 5_000) => waitFor(() => ended, timeoutMs),
        until: (done, timeoutMs = 5_000) => waitFor(() => done(bytes), timeoutMs),
        received: () => bytes,
        isEnded: () => ended,
        end: Effect.sync(() => {
          socket.end()
        }),
        destroy: Effect.sync(() => {
          socket.destroy()
        })
      }
      socket.once("connect", () => resume(Effect.succeed(conn)))
    }),
    (conn) => conn.destroy
  )

/** A request in wire form: `GET /path HTTP/1.1` with `Host: x` and any extra lines. */
export const get = (path: string, extra = ""): string => `GET ${path} HTTP/1.1\r\nHost: x\r\n${extra}\r\n`

/** Real-time sleep (not the TestClock). */
export const realSleep = (ms: number): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    const t = setTimeout(() => resume(Effect.void), ms)
    return Effect.sync(() => clearTimeout(t))
  })
