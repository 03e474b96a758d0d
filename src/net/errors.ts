/**
 * Typed errors of the socket layer: which operation failed, on which address, and the
 * system's error code when there is one.
 *
 * @module
 */
import { Data } from "effect"
import { StacklessTaggedError } from "../domain/stacklessError.js"

/**
 * A read or write on an established connection failed, or the connection is closed.
 *
 * @since 0.1.0
 * @category errors
 */
export class ConnError extends StacklessTaggedError("ConnError")<{
  readonly op: "read" | "write"
  /** The system error code (ECONNRESET, EPIPE, ...), or "closed" for use after close. */
  readonly code: string
  readonly detail: string
}> {
  override get message(): string {
    return `${this.op} failed: ${this.detail} (${this.code})`
  }
}

/**
 * Why a dial failed.
 *
 * @since 0.1.0
 * @category errors
 */
export type DialFailure = "timeout" | "refused" | "unreachable" | "failed"

/**
 * Connecting to `host:port` (or to the Unix domain socket at `path`) failed.
 *
 * @since 0.1.0
 * @category errors
 */
export class DialError extends Data.TaggedError("DialError")<{
  readonly host: string
  readonly port: number
  /** The Unix domain socket dialed in place of `host:port`, if any. */
  readonly path?: string
  readonly reason: DialFailure
  /** The system error code, when the system gave one (ENOENT: no socket file at `path`). */
  readonly code?: string
  readonly detail: string
}> {
  override get message(): string {
    return this.path !== undefined ? `dial unix ${this.path}: ${this.detail}` : `dial ${this.host}:${this.port}: ${this.detail}`
  }
}

/**
 * Listening on `host:port` (or on the Unix domain socket at `path`) failed (address in use,
 * permission denied, ...). For a Unix socket, `host` is "localhost" and `port` 0.
 *
 * @since 0.1.0
 * @category errors
 */
export class ListenError extends Data.TaggedError("ListenError")<{
  readonly host: string
  readonly port: number
  /** The Unix domain socket path listened on, if any (EADDRINUSE: a file is already there). */
  readonly path?: string
  readonly code?: string
  readonly detail: string
}> {
  override get message(): string {
    return this.path !== undefined ? `listen unix ${this.path}: ${this.detail}` : `listen ${this.host}:${this.port}: ${this.detail}`
  }
}

/**
 * Accepting a connection failed (too many open files, say); the listener goes on.
 *
 * @since 0.1.0
 * @category errors
 */
export class AcceptError extends Data.TaggedError("AcceptError")<{
  readonly code?: string
  readonly detail: string
}> {
  override get message(): string {
    return `accept: ${this.detail}`
  }
}

/** The system error code of an unknown thrown or emitted value, if it has one. */
export const errorCode = (error: unknown): string | undefined =>
  typeof error === "object" && error !== null && "code" in error && typeof error.code === "string"
    ? error.code
    : undefined

/** A short description of an unknown thrown or emitted value. */
export const errorDetail = (error: unknown): string => (error instanceof Error ? error.message : String(error))

/**
 * Why a TLS handshake failed.
 *
 * @since 0.1.0
 * @category errors
 */
export type TlsFailure =
  /** The peer's certificate did not verify (unknown issuer, wrong name, expired; see `code`). */
  | "certificate"
  /** The peer did not answer with TLS at all: most often a plain HTTP server on an https URL. */
  | "not-tls"
  /** The handshake did not complete within the handshake timeout. */
  | "timeout"
  /** The peer closed the connection during the handshake. */
  | "closed"
  /** Any other handshake failure (no shared cipher or version, an alert; see `code`). */
  | "failed"

/**
 * A TLS handshake with `host` failed.
 *
 * @since 0.1.0
 * @category errors
 */
export class TlsError extends Data.TaggedError("TlsError")<{
  readonly host: string
  readonly reason: TlsFailure
  /** The error code OpenSSL or Node gave (CERT_HAS_EXPIRED, ERR_SSL_WRONG_VERSION_NUMBER, ...). */
  readonly code?: string
  readonly detail: string
}> {
  override get message(): string {
    return `tls handshake with ${this.host}: ${this.detail}`
  }
}
