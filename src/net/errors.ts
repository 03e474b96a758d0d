/**
 * Typed errors of the socket layer: which operation failed, on which address, and the
 * system's error code when there is one.
 *
 * @module
 */
import { Data } from "effect"

/** A read or write on an established connection failed, or the connection is closed. */
export class ConnError extends Data.TaggedError("ConnError")<{
  readonly op: "read" | "write"
  /** The system error code (ECONNRESET, EPIPE, ...), or "closed" for use after close. */
  readonly code: string
  readonly detail: string
}> {
  override get message(): string {
    return `${this.op} failed: ${this.detail} (${this.code})`
  }
}

/** Why a dial failed. */
export type DialFailure = "timeout" | "refused" | "unreachable" | "failed"

/** Connecting to `host:port` failed. */
export class DialError extends Data.TaggedError("DialError")<{
  readonly host: string
  readonly port: number
  readonly reason: DialFailure
  /** The system error code, when the system gave one. */
  readonly code?: string
  readonly detail: string
}> {
  override get message(): string {
    return `dial ${this.host}:${this.port}: ${this.detail}`
  }
}

/** Listening on `host:port` failed (address in use, permission denied, ...). */
export class ListenError extends Data.TaggedError("ListenError")<{
  readonly host: string
  readonly port: number
  readonly code?: string
  readonly detail: string
}> {
  override get message(): string {
    return `listen ${this.host}:${this.port}: ${this.detail}`
  }
}

/** Accepting a connection failed (too many open files, say); the listener goes on. */
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
