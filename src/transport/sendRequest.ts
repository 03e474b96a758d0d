/**
 * Sending a request on a connection (Go's `persistConn.writeLoop` and `Request.write`): a head
 * and a whole body in one write, or, for a streamed body or `Expect: 100-continue`, a fiber
 * that writes the head, waits for 100 Continue when asked to, then writes the body (chunked
 * when its length is unknown) and the trailers, checking the declared length. Every outcome
 * is reported to the connection (`wrote`, `writeFailed`); nothing here reads the response.
 *
 * @module
 * @internal
 */
import { Cause, Data, Effect, Option } from "effect"
import * as Body from "../domain/Body.js"
import type { Headers } from "../domain/Headers.js"
import * as Writer from "../domain/http1/writer.js"
import { ConnError } from "../net/errors.js"
import { ACCEPT_ENCODING } from "./contentCoding.js"
import type { Exchange, PersistConn } from "./PersistConn.js"
import type { Prepared } from "./prepare.js"
import type { TransportParts } from "./transportParts.js"

/**
 * A request body that produced more or fewer bytes than its declared length (Go's
 * "http: ContentLength=N with Body length M"); the request fails with reason
 * `invalid-request`, and the connection is not reused.
 *
 * @internal
 */
export class RequestBodyLengthMismatch extends Data.TaggedError("RequestBodyLengthMismatch")<{
  readonly declared: number
  /** The bytes produced, or `declared + 1` when it went past the declared length. */
  readonly actual: number
}> {
  override get message(): string {
    return `the request body declared ${this.declared} bytes but produced ${this.actual === this.declared + 1 ? "more" : this.actual}`
  }
}

/** Writes head and body: one write for a small body, a fiber for a stream or 100-continue. */
export const send = <E>(parts: TransportParts, pc: PersistConn, ex: Exchange, p: Prepared<E>, body: Body.Body<E>): void => {
  const request = p.request
  const length = Body.contentLength(body)
  const framing = Writer.requestFraming(request.method, length)
  const trailers = framing._tag === "Chunked" ? request.trailers : undefined
  const init = new HeadInit(
    request.method,
    p.target,
    request.host,
    p.headers,
    framing,
    p.closeAfter,
    p.acceptCodings ? ACCEPT_ENCODING : undefined,
    trailers !== undefined && trailers.size > 0 ? trailers.names() : undefined
  )
  const expect = p.expectContinue && length !== 0
  if (!expect && body._tag === "Empty") return pc.writeWhole(ex, Writer.formatRequestHead(init))
  if (!expect && body._tag === "Bytes") return pc.writeWhole(ex, Writer.encodeRequest(init, body.bytes))
  parts.runFork(writeStreaming(parts, pc, ex, init, body, length, expect, trailers))
}

/** The head, then (after 100 Continue, if asked) the body in chunks, then the trailers. */
const writeStreaming = <E>(
  parts: TransportParts,
  pc: PersistConn,
  ex: Exchange,
  init: Writer.RequestHeadInit,
  body: Body.Body<E>,
  length: number | undefined,
  expect: boolean,
  trailers: Headers | undefined
): Effect.Effect<void> => {
  const conn = pc.conn
  const chunked = init.framing._tag === "Chunked"
  const continueTimeoutMs = parts.config.expectContinueTimeoutMs
  let written = 0
  let first = true
  const write = (data: Uint8Array) =>
    Effect.suspend(() => {
      ex.wroteSome = true
      return conn.write(data).pipe(Effect.tap(() => {
        first = false
      }))
    })
  const program: Effect.Effect<void, E | ConnError | RequestBodyLengthMismatch> = Effect.gen(function*() {
    yield* write(Buffer.from(Writer.formatRequestHead(init), "latin1"))
    ex.trace?.wroteHeaders?.()
    if (expect) {
      const go = yield* (continueTimeoutMs > 0
        ? pc.awaitContinue(ex).pipe(Effect.timeoutTo({ duration: continueTimeoutMs, onTimeout: () => true, onSuccess: (go) => go }))
        : Effect.succeed(true))
      if (!go) {
        // A final status came instead of 100 Continue: the body is not sent, and the
        // connection cannot carry another request (the server may still expect it).
        ex.bodySkipped = true
        return
      }
    }
    yield* Body.forEachChunk(body, (chunk): Effect.Effect<void, ConnError | RequestBodyLengthMismatch> => {
      if (chunk.length === 0) return Effect.void
      written += chunk.length
      if (length !== undefined && written > length) return Effect.fail(new RequestBodyLengthMismatch({ declared: length, actual: written }))
      return write(chunked ? Writer.encodeChunk(chunk) : chunk)
    })
    if (length !== undefined && written !== length) return yield* Effect.fail(new RequestBodyLengthMismatch({ declared: length, actual: written }))
    if (chunked) yield* write(Writer.encodeLastChunk(trailers))
  })
  return program.pipe(
    Effect.matchCause({
      onSuccess: () => pc.wrote(ex),
      onFailure: (cause) => {
        const error = Option.getOrUndefined(Cause.failureOption(cause))
        if (error instanceof ConnError) pc.writeFailed(ex, error, first)
        else if (error instanceof RequestBodyLengthMismatch) pc.writeFailed(ex, error, first, undefined, "invalid-request")
        else if (error !== undefined) pc.writeFailed(ex, error, first, { error })
        else pc.writeFailed(ex, new Error("writing the request was interrupted"), first)
      }
    })
  )
}

/** A request head to write; a class, not an object literal, so that V8 never pretenures it (see PoolState). */
class HeadInit implements Writer.RequestHeadInit {
  constructor(
    readonly method: string,
    readonly target: string,
    readonly host: string,
    readonly headers: Headers,
    readonly framing: Writer.OutgoingFraming,
    readonly close: boolean,
    readonly acceptEncoding: string | undefined,
    readonly trailerNames: ReadonlyArray<string> | undefined
  ) {}
}
