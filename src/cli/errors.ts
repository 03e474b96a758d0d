/**
 * The CLI's own errors, its exit codes, and the one line it prints for any failure.
 *
 * Exit codes: 0 success, 1 a failed request or command (a transport or redirect error, a
 * non-2xx status, a file that cannot be written, a port already taken), 2 a usage error (bad
 * arguments). Failures are printed as one line, `effect-nethttp: ...`, never a stack trace.
 *
 * @module
 */
import { Data } from "effect"
import type { InvalidConfig } from "../domain/configErrors.js"
import type { ListenError } from "../net/errors.js"
import type { TransportError } from "../transport/errors.js"
import type { RequestError } from "../transport/Client.js"
import type { RedirectError } from "../transport/redirect.js"

/** The process exit codes. */
export const ExitCode = {
  /** Everything went well. */
  ok: 0,
  /** The request or the command failed (transport, redirect, status, output, listen). */
  failure: 1,
  /** The arguments were wrong. */
  usage: 2
} as const

/** The arguments could not be understood. */
export class UsageError extends Data.TaggedError("UsageError")<{
  readonly detail: string
}> {
  override get message(): string {
    return this.detail
  }
}

/** The body could not be written where it was asked to go. */
export class OutputError extends Data.TaggedError("OutputError")<{
  /** The file, or `stdout`. */
  readonly target: string
  /** What was being done: `open`, `write` or `close`. */
  readonly op: string
  /** The system error code, when there is one (EPIPE, ENOENT...). */
  readonly code: string | undefined
  readonly detail: string
}> {
  override get message(): string {
    return `${this.op} ${this.target}: ${this.detail}`
  }
}

/** The server answered with a status outside 2xx (the body was still written). */
export class StatusError extends Data.TaggedError("StatusError")<{
  readonly method: string
  /** The last hop's URL. */
  readonly url: string
  /** The status line, as `HTTP/1.1 404 Not Found`. */
  readonly statusLine: string
  readonly status: number
}> {
  override get message(): string {
    return `${this.method} ${this.url}: ${this.statusLine}`
  }
}

/** The directory given to `serve` cannot be served. */
export class ServeDirError extends Data.TaggedError("ServeDirError")<{
  readonly dir: string
  readonly detail: string
}> {
  override get message(): string {
    return `serve ${this.dir}: ${this.detail}`
  }
}

/** A signal (SIGINT, SIGTERM) stopped a download. */
export class Interrupted extends Data.TaggedError("Interrupted")<{
  readonly signal: "SIGINT" | "SIGTERM"
}> {
  override get message(): string {
    return `interrupted (${this.signal})`
  }
}

/** Everything a CLI command can fail with. */
export type CliError = UsageError | OutputError | StatusError | ServeDirError | Interrupted | TransportError | RedirectError | RequestError | ListenError | InvalidConfig

/**
 * The exit code for a failure: 2 for usage errors, 128 + the signal's number for a signal
 * (130, 143), 1 for everything else.
 */
export const exitCodeOf = (error: CliError): number => {
  switch (error._tag) {
    case "UsageError":
      return ExitCode.usage
    case "Interrupted":
      return error.signal === "SIGINT" ? 130 : 143
    default:
      return ExitCode.failure
  }
}

/**
 * The one line printed for a failure (without the trailing newline). A TransportError keeps
 * its own message and adds its reason: `effect-nethttp: GET http://127.0.0.1:1/: dial: dial
 * 127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1 (refused)`.
 */
export const describe = (error: CliError): string => {
  switch (error._tag) {
    case "TransportError":
      return `effect-nethttp: ${oneLine(error.message)} (${error.reason})`
    case "UsageError":
      return `effect-nethttp: ${oneLine(error.message)} (see effect-nethttp --help)`
    default:
      return `effect-nethttp: ${oneLine(error.message)}`
  }
}

/** `s` with line breaks folded, so that a failure is always one line. */
const oneLine = (s: string): string => s.replace(/\s*[\r\n]+\s*/g, " ").trim()

/** The `code` property of a Node system error, if any. */
export const errnoCode = (cause: unknown): string | undefined =>
  typeof cause === "object" && cause !== null && "code" in cause && typeof cause.code === "string" ? cause.code : undefined

/** The message of an unknown thrown value. */
export const messageOf = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))
