/**
 * The `Dialer` service: opens TCP connections (or Unix domain socket connections, for an
 * address with a `path`), as Go's `net.Dialer` does for the Transport.
 * Replace its Layer in tests to dial something else (an in-memory pipe, a failing network).
 *
 * @module
 */
import { Context, Duration, Effect, Layer, type Scope } from "effect"
import * as net from "node:net"
import type { Duplex } from "node:stream"
import { type Conn, fromDuplex } from "./Conn.js"
import { DialError, type DialFailure, errorCode, errorDetail } from "./errors.js"

/**
 * What a `Dialer` does.
 *
 * @since 0.1.0
 * @category services
 */
export interface DialerService {
  /** Connects to `address`; the connection is closed when the Scope closes. */
  readonly dial: (address: DialAddress) => Effect.Effect<Conn, DialError, Scope.Scope>
  /**
   * Connects to `address` and gives the connected stream itself, not yet read from, for a
   * handshake before HTTP (TLS, a proxy's CONNECT or SOCKS5); it is destroyed when the Scope
   * closes. `dial` is this wrapped in a `Conn`.
   */
  readonly dialStream: (address: DialAddress) => Effect.Effect<Duplex, DialError, Scope.Scope>
}

/**
 * Where to dial.
 *
 * @since 0.1.0
 * @category models
 */
export interface DialAddress {
  /** The server's host name (the URL's): what TCP connects to, unless `path` is set. */
  readonly host: string
  readonly port: number
  /**
   * A Unix domain socket to connect to in place of `host:port` (Go's `Dial("unix", path)`);
   * `host` and `port` then only name the server (for TLS and errors).
   */
  readonly path?: string
}

/**
 * How a `Dialer` connects.
 *
 * @since 0.1.0
 * @category models
 */
export interface DialerConfig {
  /** How long a connection may take to establish (Go's Dialer.Timeout; DefaultTransport: 30 s); 0 means no limit. */
  readonly timeout?: Duration.DurationInput
  /** TCP keep-alive probes after this much idle time (Go's default: 15 s); 0 disables them. */
  readonly keepAlive?: Duration.DurationInput
  /** Creates the socket and starts connecting; `net.connect` unless replaced (in tests). */
  readonly connect?: (address: DialAddress) => net.Socket
}

const failureOf = (code: string | undefined): DialFailure =>
  code === "ECONNREFUSED"
    ? "refused"
    : code === "EHOSTUNREACH" || code === "ENETUNREACH" || code === "ENOTFOUND" || code === "EAI_AGAIN"
    ? "unreachable"
    : "failed"

const ignore = (): void => {}

// Once: a Conn over the socket may have destroyed it already.
const destroy = (socket: net.Socket): Effect.Effect<void> =>
  Effect.sync(() => {
    if (!socket.destroyed) socket.destroy()
  })

/** A dialer with `config`. */
export const make = (config: DialerConfig): DialerService => {
  const timeout = Duration.decode(config.timeout ?? "30 seconds")
  const keepAliveMs = Duration.toMillis(config.keepAlive ?? "15 seconds")
  // allowHalfOpen: the peer's FIN ends our reading only; closing our side is the owner's call.
  const connect = config.connect ??
    ((a: DialAddress) =>
      a.path !== undefined
        ? net.connect({ path: a.path, allowHalfOpen: true })
        : net.connect({ host: a.host, port: a.port, allowHalfOpen: true }))

  // Waits for the socket to connect; the socket itself is closed by the caller's Scope.
  const connected = (socket: net.Socket, address: DialAddress): Effect.Effect<void, DialError> =>
    Effect.async<void, DialError>((resume) => {
      const onError = (error: unknown) => {
        socket.off("connect", onConnect)
        const code = errorCode(error)
        resume(Effect.fail(new DialError({ ...address, reason: failureOf(code), ...(code === undefined ? {} : { code }), detail: errorDetail(error) })))
      }
      const onConnect = () => {
        socket.off("error", onError)
        if (address.path === undefined) { // TCP only: a Unix socket has neither
          socket.setNoDelay(true) // as Go: requests and responses are written whole, never delayed
          if (keepAliveMs > 0) socket.setKeepAlive(true, keepAliveMs)
        }
        resume(Effect.void)
      }
      socket.once("error", onError)
      socket.once("connect", onConnect)
      return Effect.sync(() => {
        socket.off("error", onError)
        socket.off("connect", onConnect)
      })
    })

  // The socket is tied to the Scope before the wait starts, so neither a timeout nor an
  // interruption can leave it open; a failed dial closes it at once.
  const dialStream = (address: DialAddress): Effect.Effect<Duplex, DialError, Scope.Scope> =>
    Effect.gen(function*() {
      const socket = connect(address)
      // Errors after the connect reach whoever reads the stream next (a Conn, TLS, a proxy
      // handshake); one arriving before that must not be an unhandled 'error' event.
      socket.on("error", ignore)
      yield* Effect.addFinalizer(() => destroy(socket))
      const wait = connected(socket, address)
      yield* (Duration.toMillis(timeout) > 0
        ? Effect.timeoutFail(wait, {
          duration: timeout,
          onTimeout: () => new DialError({ ...address, reason: "timeout", detail: `no connection within ${Duration.format(timeout)}` })
        })
        : wait).pipe(Effect.onError(() => destroy(socket)))
      return socket
    })

  return {
    dialStream,
    dial: (address) =>
      Effect.flatMap(dialStream(address), (socket) => {
        const conn = fromDuplex(socket)
        return Effect.as(Effect.addFinalizer(() => conn.close), conn)
      })
  }
}

/**
 * Opens connections. A `Conn` belongs to the Scope it was dialed in: closing the Scope closes it.
 *
 * @since 0.1.0
 * @category services
 */
export class Dialer extends Context.Tag("effect-nethttp/Dialer")<Dialer, DialerService>() {
  /** A TCP dialer. Every timer runs on Effect's Clock, so `TestClock` drives the timeout. */
  static readonly layer = (config: DialerConfig = {}): Layer.Layer<Dialer> => Layer.succeed(Dialer, make(config))

  /** A TCP dialer with Go's defaults: 30 s to connect, keep-alive probes after 15 s. */
  static readonly layerDefault: Layer.Layer<Dialer> = Dialer.layer()
}
