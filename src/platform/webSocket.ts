/**
 * `HttpServerRequest.upgrade`: a WebSocket over the request's connection, as
 * @effect/platform-node's `NodeHttpServer` does it — `ws`'s `WebSocketServer` in `noServer` mode
 * completes the handshake (`handleUpgrade`) over the socket, and the platform's
 * `Socket.fromWebSocket` makes a `Socket.Socket` of it — except that the socket is taken from
 * our server by hijacking the connection (Go's `Hijacker`).
 *
 * The connection is hijacked when the `Socket` is first run (in its run's Scope), not when
 * `upgrade` is called, as the platform's socket acquires its WebSocket; when the run ends the
 * WebSocket is closed (a close frame, then up to a second for the peer's) and the connection
 * with it.
 *
 * @module
 */
import type { Headers as PlatformHeaders } from "@effect/platform"
import { Socket } from "@effect/platform"
import { Effect, type Scope } from "effect"
import type { IncomingMessage } from "node:http"
import { WebSocket, type WebSocketServer } from "ws"
import { type RawConn, rawOf, type Receiver } from "../net/Conn.js"
import type { ServerRequest } from "../server/ServerRequest.js"

/** How long closing a WebSocket waits for the peer's close frame before cutting the connection. */
const CLOSE_GRACE_MS = 1000

/** Takes the connection's own input handling out of the way: `ws` reads the socket itself. */
const IGNORE: Receiver = { onData: () => undefined, onEnd: () => undefined, onError: () => undefined }

const openError = (cause: unknown): Socket.SocketGenericError => new Socket.SocketGenericError({ reason: "Open", cause })

/** The WebSocket handshake over the hijacked connection: `ws` answers 101 (or rejects and closes). */
const handshake = (
  wss: WebSocketServer,
  source: ServerRequest,
  conn: RawConn,
  buffered: Uint8Array,
  headers: PlatformHeaders.Headers
): Effect.Effect<WebSocket, Socket.SocketError> =>
  Effect.async<WebSocket, Socket.SocketError>((resume) => {
    conn.receive(IGNORE)
    const socket = conn.stream
    let settled = false
    // ws rejects a bad handshake by answering 4xx and destroying the socket, without calling back.
    const onClose = () => {
      if (settled) return
      settled = true
      resume(Effect.fail(openError(new Error("the connection closed during the WebSocket handshake"))))
    }
    socket.once("close", onClose)
    // What ws reads of node:http's IncomingMessage.
    const request = { method: source.method, url: source.target, headers, socket } as unknown as IncomingMessage
    const head = Buffer.from(buffered.buffer, buffered.byteOffset, buffered.byteLength)
    try {
      wss.handleUpgrade(request, socket, head, (ws) => {
        socket.off("close", onClose)
        if (settled) return
        settled = true
        resume(Effect.succeed(ws))
      })
    } catch (cause) {
      socket.off("close", onClose)
      settled = true
      resume(Effect.fail(openError(cause)))
    }
    return Effect.sync(() => socket.off("close", onClose))
  })

/** Closes `ws` (a close frame), waiting up to CLOSE_GRACE_MS for the peer's before terminating it. */
const close = (ws: WebSocket): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    if (ws.readyState === WebSocket.CLOSED) return resume(Effect.void)
    const timer = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS)
    ws.once("close", () => {
      clearTimeout(timer)
      resume(Effect.void)
    })
    ws.close()
  })

/** The WebSocket, acquired in the caller's Scope: the connection hijacked, the handshake done. */
const acquire = (
  source: ServerRequest,
  webSockets: Effect.Effect<WebSocketServer>,
  headers: PlatformHeaders.Headers
): Effect.Effect<globalThis.WebSocket, Socket.SocketError, Scope.Scope> =>
  Effect.gen(function*() {
    const wss = yield* webSockets
    const { buffered, conn } = yield* Effect.mapError(source.hijack, openError)
    // `ws` reads and writes the socket itself: the hijacked Conn's raw stream (a Conn of the
    // server's always has it).
    const raw = rawOf(conn)
    if (raw === undefined) return yield* Effect.fail(openError(new Error("the hijacked connection has no socket to hand to ws")))
    const ws = yield* Effect.acquireRelease(handshake(wss, source, raw, buffered, headers), close)
    // ws's WebSocket has the WHATWG surface fromWebSocket uses (addEventListener, send, close, readyState).
    return ws as unknown as globalThis.WebSocket
  })

/**
 * The request's connection as a WebSocket `Socket.Socket` (see the module's description).
 * `webSockets` gives the server's `WebSocketServer`; `headers` are the request's, lower-case.
 */
export const upgradeToWebSocket = (
  source: ServerRequest,
  webSockets: Effect.Effect<WebSocketServer>,
  headers: PlatformHeaders.Headers
): Effect.Effect<Socket.Socket> => Socket.fromWebSocket(acquire(source, webSockets, headers))
