/**
 * A `node:http2` peer for the HTTP/2 client tests: a secure server (the test certificate) or an
 * h2c server, on 127.0.0.1, closed with the Scope, recording its sessions and streams.
 */
import { Effect, type Scope } from "effect"
import * as http2 from "node:http2"
import type * as net from "node:net"
import { TEST_CERT, TEST_KEY } from "../../../src/testing/testCert.js"

/** What the server saw of one stream. */
export interface SeenStream {
  readonly headers: http2.IncomingHttpHeaders
  readonly body: Buffer
  readonly sessionId: number
}

export interface H2Peer {
  readonly port: number
  /** `https://localhost:port` (or `http://127.0.0.1:port` for h2c). */
  readonly url: string
  readonly server: http2.Http2SecureServer | http2.Http2Server
  /** Streams whose request ended, in order. */
  readonly seen: Array<SeenStream>
  /** Sessions opened so far. */
  readonly sessions: () => number
  /** Every session opened, in order. */
  readonly sessionList: Array<http2.ServerHttp2Session>
  /** Reset codes of streams the client reset (`stream.rstCode` at close when it had not ended). */
  readonly resets: Array<number>
  /** Streams open right now, and the most ever open at once. */
  readonly open: () => number
  readonly maxOpen: () => number
  /** Destroys every TCP connection at once (no GOAWAY): a connection lost. */
  readonly dropConnections: () => void
}

/** A stream handler: answer `stream` (the request body collected in `body` unless `raw`). */
export type H2Handle = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, body: Buffer, sessionId: number) => void

export interface H2PeerOptions {
  /** h2c (no TLS). */
  readonly plain?: boolean
  readonly settings?: http2.Settings
  readonly allowHTTP1?: boolean
  /** Call the handler at once, before the request body is read (the handler reads it). */
  readonly raw?: boolean
}

const sockets = new WeakMap<object, Set<net.Socket>>()

export const h2peer = (handle: H2Handle, options: H2PeerOptions = {}): Effect.Effect<H2Peer, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<H2Peer>((resume) => {
      const seen: Array<SeenStream> = []
      const sessionList: Array<http2.ServerHttp2Session> = []
      const resets: Array<number> = []
      let open = 0
      let maxOpen = 0
      const settings = options.settings ?? {}
      const server = options.plain === true
        ? http2.createServer({ settings })
        : http2.createSecureServer({ key: TEST_KEY, cert: TEST_CERT, allowHTTP1: options.allowHTTP1 ?? false, settings })
      // With allowHTTP1, HTTP/1.1 requests come as 'request' (h2 streams as 'stream' only).
      // (Only then: a 'request' listener makes Node's compat layer take part in every h2 stream.)
      if (options.allowHTTP1 === true) {
        server.on("request", (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => {
          if (req.httpVersionMajor === 2) return
          res.end("h1:" + req.url)
        })
      }
      const socketSet = new Set<net.Socket>()
      sockets.set(server, socketSet)
      server.on("connection", (socket: net.Socket) => {
        socketSet.add(socket)
        socket.on("close", () => socketSet.delete(socket))
      })
      server.on("session", (session) => {
        sessionList.push(session)
        session.on("error", () => {})
      })
      server.on("stream", (stream, headers) => {
        const sessionId = sessionList.indexOf(stream.session as http2.ServerHttp2Session)
        open++
        maxOpen = Math.max(maxOpen, open)
        stream.on("error", () => {})
        stream.on("close", () => {
          open--
          if (stream.rstCode !== 0) resets.push(stream.rstCode)
        })
        if (options.raw === true) return handle(stream, headers, Buffer.alloc(0), sessionId)
        const parts: Array<Buffer> = []
        stream.on("data", (c: Buffer) => parts.push(c))
        stream.on("end", () => {
          const body = Buffer.concat(parts)
          seen.push({ headers, body, sessionId })
          if (!stream.closed) handle(stream, headers, body, sessionId)
        })
      })
      server.listen(0, "127.0.0.1", () => {
        const port = (server.address() as net.AddressInfo).port
        resume(Effect.succeed({
          port,
          url: options.plain === true ? `http://127.0.0.1:${port}` : `https://localhost:${port}`,
          server,
          seen,
          sessions: () => sessionList.length,
          sessionList,
          resets,
          open: () => open,
          maxOpen: () => maxOpen,
          dropConnections: () => {
            for (const socket of socketSet) socket.destroy()
          }
        }))
      })
    }),
    (peer) =>
      Effect.async<void>((resume) => {
        peer.server.close(() => resume(Effect.void))
        // Sessions and sockets, including those whose handshake is still in progress.
        for (const s of peer.sessionList) s.destroy()
        for (const socket of sockets.get(peer.server) ?? []) socket.destroy()
      })
  )

/** Answers 200 with `body`. */
export const h2text = (body: string): H2Handle => (stream) => {
  stream.respond({ ":status": 200, "content-type": "text/plain" })
  stream.end(body)
}

/** Polls `check` every millisecond until true, at most `ms`. */
export const until = (check: () => boolean, ms = 2_000): Effect.Effect<void, Error> =>
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

/**
 * Resets `stream` with `code` at once (RST_STREAM only; `stream.close(code)` ends the writable
 * side first, so a client that sent its whole request sees a clean end).
 */
export const rstNow = (stream: http2.Http2Stream, code: number): void => {
  const k = Object.getOwnPropertySymbols(stream).find((s) => s.description === "kHandle")!
  ;(stream as unknown as Record<symbol, { rstStream: (code: number) => void }>)[k]!.rstStream(code)
}
