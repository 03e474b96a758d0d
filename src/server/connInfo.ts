/**
 * What the server knows of an accepted connection (`ConnInfo`, Go's `Request.RemoteAddr`,
 * `LocalAddrContextKey` and `Request.TLS`) and its states (`ConnState`, Go's
 * `http.ConnState`), apart from the settings (`config.ts`) so that a request can name its
 * connection without importing the server's settings.
 *
 * @module
 */
import type { Conn, TlsState } from "../net/Conn.js"

/**
 * A connection's state, as Go's `http.ConnState`.
 *
 * @since 0.1.0
 * @category models
 */
export type ConnState = "New" | "Active" | "Idle" | "Hijacked" | "Closed"

/**
 * What the server knows about an accepted connection: what the `connState` and `connContext`
 * hooks learn, and `ServerRequest.conn` (Go spreads these over `Request.RemoteAddr`,
 * `LocalAddrContextKey` and `Request.TLS`).
 *
 * @since 0.1.0
 * @category models
 */
export interface ConnInfo {
  /** A number unique within the server, in accept order. */
  readonly id: number
  /** The client's address and port (Go's `Request.RemoteAddr`). */
  readonly remoteAddress: string | undefined
  readonly remotePort: number | undefined
  /** The address and port the connection came in on (Go's `LocalAddrContextKey`). */
  readonly localAddress: string | undefined
  readonly localPort: number | undefined
  /**
   * For an HTTPS connection, what TLS negotiated (Go's `Request.TLS`); undefined for plain
   * HTTP. Read when asked: the handshake runs on the connection after it is accepted, so in
   * the `connContext` hook and at ConnState "New" it is not complete yet (as in Go, whose
   * ConnContext runs before the handshake too); from a request it always is. Once complete,
   * the facts are read once and kept: every request of the connection sees the same object,
   * with the client's certificate chain when the server asked for one (`TlsOptions.requestCert`).
   */
  readonly tls: TlsState | undefined
}

/**
 * A `ConnInfo` that reads the addresses the first time one is asked and keeps them (each is a
 * `getpeername`/`getsockname` call and an object of Node's: about 17 µs a connection, the
 * largest part of a short connection's cost, for facts most connections never use), and the
 * TLS facts from the connection on each use.
 */
class AcceptedConn implements ConnInfo {
  private read = false
  private _remoteAddress: string | undefined = undefined
  private _remotePort: number | undefined = undefined
  private _localAddress: string | undefined = undefined
  private _localPort: number | undefined = undefined

  constructor(readonly id: number, private readonly conn: Conn) {}

  /** Reads the addresses now, if not yet. */
  readAddresses(): this {
    if (this.read) return this
    this.read = true
    const conn = this.conn
    this._remoteAddress = conn.remoteAddress
    this._remotePort = conn.remotePort
    this._localAddress = conn.localAddress
    this._localPort = conn.localPort
    return this
  }

  get remoteAddress(): string | undefined {
    return this.readAddresses()._remoteAddress
  }
  get remotePort(): number | undefined {
    return this.readAddresses()._remotePort
  }
  get localAddress(): string | undefined {
    return this.readAddresses()._localAddress
  }
  get localPort(): number | undefined {
    return this.readAddresses()._localPort
  }

  get tls(): TlsState | undefined {
    return this.conn.tlsState?.()
  }
}

/**
 * The facts of `conn`, the `id`-th connection accepted: the addresses are read at the first
 * use (while the connection is open: a request's handler, a log line), or now when `eager`
 * (a `connState` or `connContext` hook may ask after the close); the TLS facts whenever `tls`
 * is read.
 */
export const connInfo = (id: number, conn: Conn, eager = false): ConnInfo => {
  const info = new AcceptedConn(id, conn)
  return eager ? info.readAddresses() : info
}
