/**
 * Node streams as Effect Streams, for the bodies the platform hands the server that are not
 * Effect Streams already: a `node:stream` Readable (`HttpServerResponse.raw` with one, as
 * @effect/platform-node's file responses are) and a byte range of a file.
 *
 * Both are pull-based (the next chunk is read when the writer asks for it), so a slow client
 * slows the reading down instead of buffering the whole body, and both release what they opened
 * when the Stream ends, fails or is interrupted.
 *
 * @module
 */
import { Stream } from "effect"
import * as fs from "node:fs"
import type { Readable } from "node:stream"

/** Whether `u` looks like a Node Readable (what node:http's `pipeline` accepts as a body). */
export const isReadable = (u: unknown): u is Readable =>
  typeof u === "object" && u !== null && typeof (u as { pipe?: unknown }).pipe === "function" &&
  typeof (u as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === "function"

const toBytes = (chunk: unknown): Uint8Array =>
  chunk instanceof Uint8Array ? chunk : typeof chunk === "string" ? Buffer.from(chunk, "utf8") : Buffer.from(String(chunk), "utf8")

/**
 * The chunks of `readable`, read as the Stream is pulled (its async iterator), as bytes (a
 * string chunk is UTF-8 encoded). Ending the Stream early destroys the Readable.
 */
export const fromReadable = <E>(readable: Readable, onError: (cause: unknown) => E): Stream.Stream<Uint8Array, E> =>
  Stream.map(Stream.fromAsyncIterable<unknown, E>(readable, onError), toBytes)

/** How much of a file a file body reads at a time. */
const FILE_CHUNK = 64 * 1024

/**
 * The bytes `start` (inclusive) to `end` (exclusive; the end of the file when undefined) of the
 * file at `path`, opened when the Stream is run (so a body that is never sent opens nothing)
 * and closed when it ends.
 */
export const fileStream = <E>(path: string, start: number, end: number | undefined, onError: (cause: unknown) => E): Stream.Stream<Uint8Array, E> => {
  if (end !== undefined && end <= start) return Stream.empty
  return Stream.suspend(() =>
    // createReadStream's `end` is inclusive.
    fromReadable(fs.createReadStream(path, { start, end: end === undefined ? undefined : end - 1, highWaterMark: FILE_CHUNK }), onError)
  )
}
