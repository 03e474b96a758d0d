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

/** A `ConnInfo` that reads the TLS facts from the connection on each use. */
class AcceptedConn implements ConnInfo {
  readonly remoteAddress: string | undefined
  readonly remotePort: number | undefined
  readonly localAddress: string | undefined
  readonly localPort: number | undefined
  constructor(readonly id: number, private readonly conn: Conn) {
    this.remoteAddress = conn.remoteAddress
    this.remotePort = conn.remotePort
    this.localAddress = conn.localAddress
    this.localPort = conn.localPort
  }

  get tls(): TlsState | undefined {
    return this.conn.tlsState?.()
  }
}

/**
 * The facts of `conn`, the `id`-th connection accepted: the addresses are read once, now; the
 * TLS facts whenever `tls` is read.
 */
export const connInfo = (id: number, conn: Conn): ConnInfo => new AcceptedConn(id, conn)
