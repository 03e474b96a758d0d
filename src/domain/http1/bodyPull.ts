/**
 * The one body pull both connection loops share (the client's `PersistConn.pullBody`, the
 * server's `BodyReader.pull`): the parser's next event of a message body, handed to the side's
 * sink, which decides what it means there (the server counts against its body limit and waits
 * for pushed input; the client reads the socket and feeds the parser). Plain synchronous
 * dispatch: no allocation, no Effect of its own.
 *
 * @module
 * @internal
 */
import type { Effect, Option } from "effect"
import type { ParseError } from "../errors.js"
import type { Headers } from "../Headers.js"
import { Event, type Parser } from "./Parser.js"

/**
 * What a connection loop does with each step of a body (see `pullParsedBody`).
 *
 * @internal
 */
export interface ParsedBodySink<E> {
  /** A chunk of the body (a view into the input, not a copy). */
  readonly bodyChunk: (chunk: Uint8Array) => Effect.Effect<Uint8Array, Option.Option<E>>
  /** The end of the body, with its trailers (chunked), if any: the pull's end (`None`). */
  readonly bodyEnd: (trailers: Headers | undefined) => Effect.Effect<never, Option.Option<E>>
  /** The parser needs more input: get it, then pull again. */
  readonly bodyNeedsMore: () => Effect.Effect<Uint8Array, Option.Option<E>>
  /** The body is malformed (the parser's error, sticky). */
  readonly bodyMalformed: (error: ParseError | undefined) => Effect.Effect<never, Option.Option<E>>
  /** The parser has no body to give (end of input, a detached connection). */
  readonly bodyMissing: () => Effect.Effect<never, Option.Option<E>>
}

/**
 * The next step of the body `parser` is reading, as `sink` takes it.
 *
 * @internal
 */
export const pullParsedBody = <E>(parser: Parser, sink: ParsedBodySink<E>): Effect.Effect<Uint8Array, Option.Option<E>> => {
  switch (parser.next()) {
    case Event.Body:
      return sink.bodyChunk(parser.chunk)
    case Event.End:
      return sink.bodyEnd(parser.trailers)
    case Event.NeedMore:
      return sink.bodyNeedsMore()
    case Event.Error:
      return sink.bodyMalformed(parser.error)
    default:
      return sink.bodyMissing()
  }
}
