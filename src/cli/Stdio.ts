/**
 * The CLI's standard streams as a service, so that commands say where they write and a test
 * or another host can give them other streams.
 *
 * @module
 */
import { Context, Layer } from "effect"

/** The streams a command writes to, and whether each is a terminal. */
export interface StdioService {
  /** Bodies (`get`) and the access log (`serve`). */
  readonly out: NodeJS.WritableStream
  /** Progress, trace lines, failures. */
  readonly err: NodeJS.WritableStream
  readonly outIsTTY: boolean
  readonly errIsTTY: boolean
}

/** The CLI's standard streams. */
export class Stdio extends Context.Tag("effect-nethttp/cli/Stdio")<Stdio, StdioService>() {
  /** The process's stdout and stderr. */
  static readonly layer: Layer.Layer<Stdio> = Layer.sync(Stdio, () => ({
    out: process.stdout,
    err: process.stderr,
    outIsTTY: process.stdout.isTTY === true,
    errIsTTY: process.stderr.isTTY === true
  }))
}
