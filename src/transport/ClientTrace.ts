/**
 * Go's `httptrace.ClientTrace` as an optional service: provide a `ClientTrace` and the
 * Transport calls its hooks as a round trip goes through its events. Hooks are plain
 * functions called synchronously on the Transport's path: keep them short, never block, and
 * do not throw (an exception thrown by a hook is a defect).
 *
 * @module
 */
import { Context, Layer } from "effect"
import type { Headers } from "../domain/Headers.js"

/**
 * Go's `httptrace.GotConnInfo`.
 *
 * @since 0.1.0
 * @category models
 */
export interface GotConnInfo {
  /** The connection served an earlier request. */
  readonly reused: boolean
  /** The connection came from the idle pool. */
  readonly wasIdle: boolean
  /** How long it was idle, in milliseconds (0 unless `wasIdle`). */
  readonly idleTimeMs: number
  /** The pool's number for the connection (or HTTP/2 session). */
  readonly connId: number
  /** The protocol the connection speaks: `"h2"` for a stream of an HTTP/2 session. */
  readonly protocol: "http/1.1" | "h2"
}

/**
 * The hooks; each is optional. Names and meaning follow Go's `httptrace.ClientTrace`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClientTraceHooks {
  /** Before a connection is looked for; `hostPort` is the pool key's host:port. */
  readonly getConn?: (hostPort: string) => void
  /** A connection was obtained. */
  readonly gotConn?: (info: GotConnInfo) => void
  /** A connection went back to the idle pool (`error` says why it did not, if it did not). */
  readonly putIdleConn?: (error: string | undefined) => void
  /** A TCP connect begins. */
  readonly connectStart?: (network: string, addr: string) => void
  /** A TCP connect ended, with the error's message if it failed. */
  readonly connectDone?: (network: string, addr: string, error: string | undefined) => void
  /** A TLS handshake begins (with the server, or with an https proxy). */
  readonly tlsHandshakeStart?: () => void
  /** A TLS handshake ended, with the error's message if it failed. */
  readonly tlsHandshakeDone?: (error: string | undefined) => void
  /** The request head was written. */
  readonly wroteHeaders?: () => void
  /** The whole request was written (or writing failed, with the error's message). */
  readonly wroteRequest?: (error: string | undefined) => void
  /** The first byte of the response arrived. */
  readonly gotFirstResponseByte?: () => void
  /** A `100 Continue` arrived. */
  readonly got100Continue?: () => void
  /** An informational response other than 100 arrived (Go's `Got1xxResponse`). */
  readonly got1xxResponse?: (status: number, headers: Headers) => void
}

/**
 * The trace service: when present in the context of `roundTrip`, its hooks are called.
 *
 * @since 0.1.0
 * @category services
 */
export class ClientTrace extends Context.Tag("effect-nethttp/ClientTrace")<ClientTrace, ClientTraceHooks>() {
  /** A layer providing these hooks. */
  static readonly layer = (hooks: ClientTraceHooks): Layer.Layer<ClientTrace> => Layer.succeed(ClientTrace, hooks)
}
