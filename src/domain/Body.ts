/**
 * The body of a request or response: nothing, bytes in memory, a one-shot stream, or a stream
 * that can be produced again (Go's `Request.GetBody`), each with its length when known.
 *
 * Everything here is a description: building a body runs nothing. Use with
 * `import * as Body from "./Body.js"`.
 *
 * @module
 * @since 0.1.0
 */
import { Chunk, Data, Effect, Option, Scope, Stream } from "effect"
import { ByteGatherer } from "./ByteGatherer.js"

/**
 * No body at all (Go's nil Body or `http.NoBody`). Its length is 0.
 *
 * @since 0.1.0
 * @category models
 */
export class EmptyBody extends Data.TaggedClass("Empty")<{}> {}

/**
 * A body held in memory; its length is known.
 *
 * @since 0.1.0
 * @category models
 */
export class BytesBody extends Data.TaggedClass("Bytes")<{
  readonly bytes: Uint8Array
}> {}

/**
 * A body read from a stream that can be consumed once only: a request with such a body is
 * not replayable (no retry, and no 307/308 redirect), as in Go with a Body but no GetBody.
 *
 * @since 0.1.0
 * @category models
 */
export class StreamBody<E = never> extends Data.TaggedClass("Stream")<{
  readonly stream: Stream.Stream<Uint8Array, E>
  /** The number of bytes the stream yields, or undefined when unknown. */
  readonly length: number | undefined
  /**
   * The same bytes as `stream`, one chunk per run, failing with `None` at the end (a pull, as
   * `Stream.repeatEffectOption` takes): a way to read them without the Stream machinery,
   * which costs about 20 µs a chunk. `collect` and `fold` use it when it is there. The body is
   * read once, through one of the two.
   */
  readonly pull?: Effect.Effect<Uint8Array, Option.Option<E>>
  /**
   * Gives up the rest of the body now (Go's `Body.Close` before the end): what produces it
   * stops, and a response's connection is closed rather than returned to the pool. Reads
   * after it fail. Absent, the rest is given up when the Scope the body lives in closes.
   */
  readonly release?: Effect.Effect<void>
}> {}

/**
 * A body that can be produced again, like a Go request with `GetBody`: every run of `make`
 * yields a fresh stream of the same bytes, so the request can be retried or follow a
 * 307/308 redirect.
 *
 * @since 0.1.0
 * @category models
 */
export class RewindableBody<E = never> extends Data.TaggedClass("Rewindable")<{
  readonly make: Effect.Effect<Stream.Stream<Uint8Array, E>, E>
  /** The number of bytes each stream yields, or undefined when unknown. */
  readonly length: number | undefined
}> {}

/**
 * A message body, failing with `E` while it is read.
 *
 * @since 0.1.0
 * @category models
 */
export type Body<E = never> = EmptyBody | BytesBody | StreamBody<E> | RewindableBody<E>

/**
 * What `rewindable` accepts: an effect producing the stream, or a function returning it.
 *
 * @since 0.1.0
 * @category models
 */
export type StreamProducer<E> =
  | Effect.Effect<Stream.Stream<Uint8Array, E>, E>
  | (() => Stream.Stream<Uint8Array, E>)

// A length is known when it is a non-negative safe integer; anything else (Go's -1 included)
// means unknown.
const knownLength = (length: number | undefined): number | undefined =>
  length !== undefined && Number.isSafeInteger(length) && length >= 0 ? length : undefined

const encoder = new TextEncoder()

/**
 * The empty body.
 *
 * @since 0.1.0
 * @category constructors
 */
export const empty: EmptyBody = new EmptyBody()

/**
 * A body of these bytes (not copied: the caller must not change them afterwards).
 *
 * @since 0.1.0
 * @category constructors
 */
export const bytes = (u8: Uint8Array): BytesBody => new BytesBody({ bytes: u8 })

/**
 * A body of this text, encoded as UTF-8. It sets no Content-Type; that is the caller's.
 *
 * @since 0.1.0
 * @category constructors
 */
export const text = (s: string): BytesBody => new BytesBody({ bytes: encoder.encode(s) })

/**
 * A body read once from `stream`. `length` is the number of bytes it will yield, if known
 * (a negative or non-integer length counts as unknown, as Go's -1). `pull`, if given, reads
 * the same bytes faster (see `StreamBody.pull`); `release`, if given, gives up the rest
 * early (see `StreamBody.release`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const stream = <E = never>(
  stream: Stream.Stream<Uint8Array, E>,
  length?: number,
  pull?: Effect.Effect<Uint8Array, Option.Option<E>>,
  release?: Effect.Effect<void>
): StreamBody<E> =>
  new StreamBody(
    pull === undefined
      ? { stream, length: knownLength(length) }
      : release === undefined
      ? { stream, length: knownLength(length), pull }
      : { stream, length: knownLength(length), pull, release }
  )

/**
 * A body that can be produced again for a retry or a redirect. `make` is run once per
 * attempt and must yield the same bytes every time; `length` as for `stream`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const rewindable = <E = never>(make: StreamProducer<E>, length?: number): RewindableBody<E> =>
  new RewindableBody({ make: Effect.isEffect(make) ? make : Effect.sync(make), length: knownLength(length) })

/**
 * The body's length in bytes, or undefined when unknown (Go's ContentLength -1), in which
 * case an HTTP/1.1 message carries it chunked (RFC 9112 §7.1) or until close.
 *
 * @since 0.1.0
 * @category utils
 */
export const contentLength = <E>(body: Body<E>): number | undefined => {
  switch (body._tag) {
    case "Empty":
      return 0
    case "Bytes":
      return body.bytes.byteLength
    case "Stream":
    case "Rewindable":
      return body.length
  }
}

/**
 * Whether the body can be sent again (Go's `Request.isReplayable` asks that Body be nil or
 * NoBody, or GetBody be set): Empty, Bytes and Rewindable can; Stream cannot.
 *
 * @since 0.1.0
 * @category guards
 */
export const isReplayable = <E>(body: Body<E>): boolean => body._tag !== "Stream"

/**
 * A body to send on the next attempt (a retry or a 307/308 redirect): Empty and Bytes are
 * themselves, a Rewindable gives a new Rewindable whose stream is produced afresh, and a
 * Stream, already consumed, gives none.
 *
 * @since 0.1.0
 * @category combinators
 */
export const rewind = <E>(body: Body<E>): Option.Option<Body<E>> => {
  switch (body._tag) {
    case "Empty":
    case "Bytes":
      return Option.some(body)
    case "Rewindable":
      return Option.some(new RewindableBody({ make: body.make, length: body.length }))
    case "Stream":
      return Option.none()
  }
}

/**
 * The body's bytes as a stream (a description: nothing runs until it is run). For a
 * Rewindable, every run of the stream runs `make` anew.
 *
 * @since 0.1.0
 * @category conversions
 */
export const toStream = <E>(body: Body<E>): Stream.Stream<Uint8Array, E> => {
  switch (body._tag) {
    case "Empty":
      return Stream.empty
    case "Bytes":
      return body.bytes.byteLength === 0 ? Stream.empty : Stream.succeed(body.bytes)
    case "Stream":
      return body.stream
    case "Rewindable":
      return Stream.unwrap(body.make)
  }
}

/**
 * Runs `f` on every chunk the stream yields, in order, in the calling fiber. The same as
 * `Stream.runForEachChunk`, without its cost: in Effect 3 every `Stream.run*` forks a fiber
 * with two Deferreds and a child Scope (about 100 µs of CPU a run here, most of a streamed
 * answer's cost); `Stream.toPull` in a Scope of our own drives the same channel executor
 * without them (about 30 µs). The Scope is closed with the run's exit, so the stream's
 * finalizers run on success, failure and interruption as with `runForEachChunk`.
 *
 * @since 0.2.0
 * @category destructors
 */
export const runForEachChunk = <A, E, R, E2, R2>(
  stream: Stream.Stream<A, E, R>,
  f: (chunk: Chunk.Chunk<A>) => Effect.Effect<void, E2, R2>
): Effect.Effect<void, E | E2, R | R2> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(Scope.make(), (scope) =>
      Effect.onExit(
        restore(Effect.flatMap(Scope.extend(Stream.toPull(stream), scope), (pull) => forEachPull(pull, f))),
        (exit) => Scope.close(scope, exit)
      ))
  )

/**
 * Runs `f` on every chunk of the body, in order (a view, not copied), when the effect runs
 * (`f` is not called before). Empty gives none, Bytes one; a Stream body with a `pull` is read
 * without the Stream machinery, any other stream through `runForEachChunk` above.
 *
 * @since 0.2.0
 * @category destructors
 */
export const forEachChunk = <E, E2, R2>(
  body: Body<E>,
  f: (chunk: Uint8Array) => Effect.Effect<void, E2, R2>
): Effect.Effect<void, E | E2, R2> => {
  switch (body._tag) {
    case "Empty":
      return Effect.void
    case "Bytes":
      return body.bytes.byteLength === 0 ? Effect.void : Effect.suspend(() => f(body.bytes))
    case "Stream":
      if (body.pull !== undefined) return forEachPull(body.pull, f)
      return runForEachChunk(body.stream, (chunk) => eachOf(chunk, f))
    case "Rewindable":
      return Effect.flatMap(body.make, (stream) => runForEachChunk(stream, (chunk) => eachOf(chunk, f)))
  }
}

const eachOf = <E2, R2>(chunk: Chunk.Chunk<Uint8Array>, f: (chunk: Uint8Array) => Effect.Effect<void, E2, R2>): Effect.Effect<void, E2, R2> =>
  chunk.length === 1 ? f(Chunk.unsafeHead(chunk)) : Effect.forEach(chunk, f, { discard: true })

/** Runs `f` on every element `pull` gives, in order, until its end (`None`) or a failure. */
const forEachPull = <A, E, R, E2, R2>(
  pull: Effect.Effect<A, Option.Option<E>, R>,
  f: (a: A) => Effect.Effect<void, E2, R2>
): Effect.Effect<void, E | E2, R | R2> => {
  const loop: Effect.Effect<void, E | E2, R | R2> = Effect.matchEffect(pull, {
    onFailure: (e) => (Option.isNone(e) ? Effect.void : Effect.fail(e.value)),
    onSuccess: (chunk) => Effect.flatMap(f(chunk), () => loop)
  })
  return loop
}

/**
 * Folds over the body's chunks in order (Go's loop over `Read`): `f` gets each chunk as it
 * arrives, a view that is not copied. A Stream body with a `pull` is read without the Stream
 * machinery.
 *
 * @since 0.1.0
 * @category destructors
 */
export const fold = <E, S>(body: Body<E>, initial: S, f: (state: S, chunk: Uint8Array) => S): Effect.Effect<S, E> => {
  switch (body._tag) {
    case "Empty":
      return Effect.succeed(initial)
    case "Bytes":
      return Effect.succeed(body.bytes.length === 0 ? initial : f(initial, body.bytes))
    case "Stream":
      if (body.pull !== undefined) return foldPull(body.pull, initial, f)
      return foldStream(body.stream, initial, f)
    case "Rewindable":
      return Effect.flatMap(body.make, (stream) => foldStream(stream, initial, f))
  }
}

const foldStream = <E, S>(stream: Stream.Stream<Uint8Array, E>, initial: S, f: (state: S, chunk: Uint8Array) => S): Effect.Effect<S, E> =>
  Effect.suspend(() => {
    let state = initial
    return Effect.map(
      runForEachChunk(stream, (chunk) =>
        Effect.sync(() => {
          for (const bytes of chunk) state = f(state, bytes)
        })),
      () => state
    )
  })

const foldPull = <E, S>(pull: Effect.Effect<Uint8Array, Option.Option<E>>, initial: S, f: (state: S, chunk: Uint8Array) => S): Effect.Effect<S, E> => {
  let state = initial
  const loop: Effect.Effect<S, E> = Effect.matchEffect(pull, {
    onFailure: (e) => (Option.isNone(e) ? Effect.succeed(state) : Effect.fail(e.value)),
    onSuccess: (chunk) => {
      state = f(state, chunk)
      return loop
    }
  })
  return Effect.suspend(() => loop)
}

/**
 * Reads the whole body into one `Uint8Array` (Go's `io.ReadAll(resp.Body)`). Bytes and Empty
 * bodies are returned without running anything; a stream is run to its end, its chunks
 * gathered into one growing buffer (a `ByteGatherer`, sized by the known length up to a cap),
 * so memory stays about twice the body however small the chunks; a body of one chunk is that
 * chunk, not copied.
 *
 * @since 0.1.0
 * @category destructors
 */
export const collect = <E>(body: Body<E>): Effect.Effect<Uint8Array, E> => {
  switch (body._tag) {
    case "Empty":
      return Effect.succeed(new Uint8Array(0))
    case "Bytes":
      return Effect.succeed(body.bytes)
    default:
      return Effect.suspend(() =>
        Effect.map(
          fold(body, new ByteGatherer(body.length ?? -1), (gathered, chunk) => {
            gathered.push(chunk)
            return gathered
          }),
          (gathered) => gathered.result()
        )
      )
  }
}
