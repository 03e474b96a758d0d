/**
 * Where `get` writes a body: stdout, or a file. Every write waits until the bytes are handed
 * over (the stream's callback, the file write's completion), so a slow reader on stdout slows
 * the download instead of filling memory.
 *
 * @module
 */
import { Effect, type Scope } from "effect"
import type * as fsp from "node:fs/promises"
import { open } from "node:fs/promises"
import { errnoCode, messageOf, OutputError } from "./errors.js"

/** A place the body's chunks go to, in order. */
export interface BodySink {
  /** What to call it in messages: `stdout` or the file name. */
  readonly name: string
  /** Writes one chunk, completing once it is handed over. */
  readonly write: (chunk: Uint8Array) => Effect.Effect<void, OutputError>
  /** Flushes and closes (a no-op for stdout); a failure here means the file may be incomplete. */
  readonly close: Effect.Effect<void, OutputError>
}

const outputError = (target: string, op: string) => (cause: unknown): OutputError =>
  new OutputError({ target, op, code: errnoCode(cause), detail: messageOf(cause) })

/** A sink writing to a Node stream (stdout); the stream is not closed. */
export const streamSink = (name: string, stream: NodeJS.WritableStream): BodySink => ({
  name,
  write: (chunk) =>
    Effect.async<void, OutputError>((resume) => {
      try {
        stream.write(chunk, (error) => resume(error == null ? Effect.void : Effect.fail(outputError(name, "write")(error))))
      } catch (error) {
        resume(Effect.fail(outputError(name, "write")(error)))
      }
    }),
  close: Effect.void
})

/** Writes all of `chunk` at the file's current position (a short write is continued). */
const writeAll = (handle: fsp.FileHandle, chunk: Uint8Array): Promise<void> =>
  handle.write(chunk).then(({ bytesWritten }) => (bytesWritten < chunk.length ? writeAll(handle, chunk.subarray(bytesWritten)) : undefined))

/**
 * A sink writing to the file at `path`, created or truncated now. The file is closed by
 * `close`, or else when the Scope closes.
 */
export const fileSink = (path: string): Effect.Effect<BodySink, OutputError, Scope.Scope> =>
  Effect.gen(function*() {
    let closed = false
    const handle = yield* Effect.acquireRelease(
      Effect.tryPromise({ try: () => open(path, "w"), catch: outputError(path, "open") }),
      (h) => (closed ? Effect.void : Effect.ignore(Effect.tryPromise(() => h.close())))
    )
    return {
      name: path,
      write: (chunk) => Effect.tryPromise({ try: () => writeAll(handle, chunk), catch: outputError(path, "write") }),
      close: Effect.suspend(() => {
        if (closed) return Effect.void
        closed = true
        return Effect.tryPromise({ try: () => handle.close(), catch: outputError(path, "close") })
      })
    } satisfies BodySink
  })
