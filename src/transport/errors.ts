/**
 * Typed errors of the Transport: every failure of a round trip names the phase it happened in
 * and whether the connection was a reused one, so a caller can tell a stale keep-alive
 * connection from a server that is down, and a slow server from a broken one.
 *
 * @module
 */
import { Data } from "effect"

/**
 * Where in a round trip a failure happened.
 *
 * - `request`: the request cannot be sent (invalid method, header or URL); nothing was dialed.
 * - `pool-wait`: waiting for a connection from the pool (the Transport shut down).
 * - `dial`: opening the TCP connection, to the server or the proxy (refused, unreachable, the
 *   dial timeout).
 * - `proxy`: the proxy's handshake: a CONNECT request (its status in `cause`, a
 *   {@link ProxyConnectError}) or SOCKS5 (a `Socks5Error` in `cause`).
 * - `tls-handshake`: TLS with an https server or proxy (a `TlsError` in `cause`).
 * - `write`: writing the request head or body.
 * - `awaiting-headers`: waiting for or parsing the response head (includes
 *   `responseHeaderTimeout` and a close before the first response byte).
 * - `reading-body`: reading or decoding the response body.
 *
 * @since 0.1.0
 * @category errors
 */
export type Phase = "request" | "pool-wait" | "dial" | "proxy" | "tls-handshake" | "write" | "awaiting-headers" | "reading-body"

/**
 * What went wrong.
 *
 * - `invalid-request`: see `detail` (the method, a header, the URL, a body length mismatch).
 * - `timeout`: a Transport timer ran out (`detail` says which).
 * - `closed`: the peer closed the connection (EOF) before the phase completed.
 * - `reset`: the connection failed with a system error (ECONNRESET, EPIPE, ...; see `code`).
 * - `refused`, `unreachable`, `dial-failed`: the dial failed.
 * - `malformed`: the response broke HTTP/1.1 (see `cause`, a parse error).
 * - `too-many-1xx`: more informational responses than `max1xxResponses` (when set; their
 *   bytes count against `maxResponseHeaderBytes` in any case).
 * - `decompress`: the coded body (gzip, deflate or br, decoded transparently) is corrupt or
 *   truncated.
 * - `shutdown`: the Transport's Scope closed.
 * - `proxy-refused`: the proxy answered a CONNECT with a status other than 200, or SOCKS5
 *   refused (authentication, or the connection to the server).
 * - `certificate`: the server's certificate did not verify.
 * - `not-tls`: an https URL reached a server that does not speak TLS (a plain HTTP server).
 * - `tls-failed`: any other TLS handshake failure; also (phase `awaiting-headers`, an
 *   `ERR_SSL_...` code) TLS failing after the handshake, as when a TLS 1.3 server refuses our
 *   client certificate with an alert (`ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED`, or
 *   `..._UNKNOWN_CA` for one it does not trust).
 * - `body-too-large`: the response body passed the limit of `Middleware.limitResponseBody`
 *   (phase `reading-body`; a `ResponseBodyTooLarge` in `cause`).
 * - `decoded-body-too-large`: a body the Transport decoded gave more bytes than its
 *   `maxDecodedBodyBytes` (phase `reading-body`; a {@link DecodedBodyTooLarge} in `cause`).
 *
 * @since 0.1.0
 * @category errors
 */
export type TransportFailure =
  | "invalid-request"
  | "timeout"
  | "closed"
  | "reset"
  | "refused"
  | "unreachable"
  | "dial-failed"
  | "malformed"
  | "too-many-1xx"
  | "decompress"
  | "shutdown"
  | "proxy-refused"
  | "certificate"
  | "not-tls"
  | "tls-failed"
  | "body-too-large"
  | "decoded-body-too-large"

/**
 * A round trip failed: in which phase, why, on which connection.
 *
 * @since 0.1.0
 * @category errors
 */
export class TransportError extends Data.TaggedError("TransportError")<{
  readonly phase: Phase
  readonly reason: TransportFailure
  /** Whether the connection had served an earlier request (Go's `GotConnInfo.Reused`). */
  readonly reused: boolean
  readonly method: string
  /** The request URL. */
  readonly url: string
  /** The system error code, when there is one. */
  readonly code?: string
  /** A short human-readable explanation. */
  readonly detail: string
  /** The underlying typed error (a DialError, ConnError or parse error), when there is one. */
  readonly cause?: unknown
}> {
  override get message(): string {
    return `${this.method} ${this.url}: ${this.phase}: ${this.detail}${this.reused ? " (reused connection)" : ""}`
  }
}

/**
 * A proxy answered a CONNECT request with a status other than 200 (Go: "proxyconnect").
 *
 * @since 0.1.0
 * @category errors
 */
export class ProxyConnectError extends Data.TaggedError("ProxyConnectError")<{
  /** The proxy URL, its password redacted. */
  readonly proxy: string
  /** The `host:port` the tunnel was asked for. */
  readonly target: string
  readonly status: number
  readonly statusText: string
}> {
  override get message(): string {
    return `proxy ${this.proxy} refused CONNECT ${this.target}: ${this.status} ${this.statusText}`.trimEnd()
  }
}

/**
 * A body the Transport decoded (gzip, deflate, br) gave more bytes than the Transport's
 * `maxDecodedBodyBytes`: the `cause` of a `TransportError` with reason
 * `decoded-body-too-large`. The read stops there and the decoder is freed.
 *
 * @since 0.1.0
 * @category errors
 */
export class DecodedBodyTooLarge extends Data.TaggedError("DecodedBodyTooLarge")<{
  /** The limit in decoded bytes (`maxDecodedBodyBytes`). */
  readonly limit: number
}> {
  override get message(): string {
    return `the decoded body is larger than ${this.limit} bytes`
  }
}
