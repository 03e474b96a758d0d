/**
 * Reading the current request's body off the connection: the handler's reads (through its
 * `RequestBody` handle), `100 Continue` on the first one, the size limit, a read timeout turned
 * into the read's failure, and the server's drains after the handler (what is buffered before
 * deciding on keep-alive; up to Go's `maxPostHandlerReadBytes` after the response).
 *
 * Its state is `read` (`BodyRead` in `connStates.ts`, transitions there); `error` is set
 * exactly when `read` is FAILED.
 *
 * May touch: the parser and input waits (`ConnInput`), the read deadline (`Deadlines`), one
 * synchronous write of `100 Continue` (`RawConn.writeNow`), and the current `RequestBody`
 * handle; all of the connection's through one back-reference (`BodyConn`).
 *
 * Made on a connection's first request after it started or woke (`ServerConn.body`), and
 * dropped when the connection parks: an idle connection holds none.
 *
 * @module
 * @internal
 */
import { Effect, Option } from "effect"
import type { Headers } from "../domain/Headers.js"
import type { RequestHead } from "../domain/http1/MessageHead.js"
import { type ParsedBodySink, pullParsedBody } from "../domain/http1/bodyPull.js"
import { Event } from "../domain/http1/Parser.js"
import type { RawConn } from "../net/Conn.js"
import { CONTINUE } from "./cannedReplies.js"
import type { ConnInput } from "./connInput.js"
import { BodyRead } from "./connStates.js"
import type { Deadlines } from "./deadlines.js"
import { RequestBodyError } from "./errors.js"
import { BODY_ENDED, BODY_OPEN, BODY_OVER, type RequestBody } from "./RequestBody.js"

/**
 * Go's `maxPostHandlerReadBytes`: an unread request body up to this size is drained, more closes.
 *
 * @internal
 */
export const MAX_POST_HANDLER_READ_BYTES = 256 << 10

const END_OF_BODY: Effect.Effect<never, Option.Option<never>> = Effect.fail(Option.none())

const truncated = (): RequestBodyError =>
  new RequestBodyError({ reason: "truncated", detail: "the client closed the connection before the body ended" })

/**
 * What the body reader reads of its connection (the `ServerConn`).
 *
 * @internal
 */
export interface BodyConn {
  readonly input: ConnInput
  readonly deadlines: Deadlines
  readonly conn: RawConn
  readonly host: { readonly config: { readonly maxBodyBytes: number } }
}

/**
 * The body side of one connection, reset per request (see the module's description).
 *
 * @internal
 */
export class BodyReader implements ParsedBodySink<RequestBodyError> {
  read: BodyRead = BodyRead.DONE
  /** Why the read failed (set exactly when `read` is FAILED). */
  error: RequestBodyError | undefined = undefined
  /** Body bytes read so far. */
  bytesRead = 0
  /** The client asked for `100 Continue` and has not had it (nor the final head). */
  continuePending = false
  trailerFields: Headers | undefined = undefined
  /** The current request's handle, until the exchange is over. */
  current: RequestBody | undefined = undefined

  constructor(private readonly conn: BodyConn) {}

  /** A head arrived: its body (none for no framing, or Content-Length: 0) is read through `handle`. */
  begin(head: RequestHead, handle: RequestBody): void {
    // Content-Length: 0 is no body (Go checks ContentLength != 0 before sending 100 Continue).
    this.reset(head.framing === "none" || head.contentLength === 0 ? BodyRead.DONE : BodyRead.BODY)
    this.bytesRead = 0
    this.error = undefined
    this.trailerFields = undefined
    this.current = handle
  }

  /** Whether the body was read to its end (or there was none). */
  get done(): boolean {
    return this.read === BodyRead.DONE
  }

  /** Whether the read failed (`error` says why). */
  get failed(): boolean {
    return this.read === BodyRead.FAILED
  }

  /** Ends the current handle's hold on the body: later reads give the end, or fail "consumed" when some of it was not read. */
  closeHandle(): void {
    const handle = this.current
    if (handle === undefined || handle.state !== BODY_OPEN) return
    handle.state = this.read === BodyRead.DONE ? BODY_ENDED : BODY_OVER
  }

  /** A read timeout ran out (`STALLED` or `PAST_DEADLINE`): the next read fails. */
  timedOut(which: BodyRead): void {
    this.move(which)
  }

  /** The next chunk of the body for the current handle, which is open and not hijacked. */
  pull(again: Effect.Effect<Uint8Array, Option.Option<RequestBodyError>>): Effect.Effect<Uint8Array, Option.Option<RequestBodyError>> {
    const read = this.read
    if (read === BodyRead.FAILED) return Effect.fail(Option.some(this.error!))
    if (read === BodyRead.DONE) return END_OF_BODY
    if (this.continuePending) {
      this.continuePending = false
      this.conn.conn.writeNow(CONTINUE)
    }
    if (read !== BodyRead.BODY) {
      return this.fail(
        new RequestBodyError({
          reason: "timeout",
          detail: read === BodyRead.STALLED
            ? `no byte of the body arrived for readTimeout (${this.conn.deadlines.readStallMs} ms)`
            : "the body did not end within its deadline (readTotalTimeout, or the handler's)"
        })
      )
    }
    // The shared body pull (domain/http1/bodyPull.ts), with this reader as its sink: the
    // dispatch is synchronous, so `again` is this pull's while a sink method runs.
    this.again = again
    const step = pullParsedBody(this.conn.input.parser, this)
    this.again = undefined
    return step
  }

  /** The pull that `bodyNeedsMore` runs again once input came (set by `pull`). */
  private again: Effect.Effect<Uint8Array, Option.Option<RequestBodyError>> | undefined = undefined

  /** A chunk of the body, counted against the body limit. */
  bodyChunk(chunk: Uint8Array): Effect.Effect<Uint8Array, Option.Option<RequestBodyError>> {
    this.bytesRead += chunk.length
    const max = this.conn.host.config.maxBodyBytes
    if (this.bytesRead > max) {
      return this.fail(new RequestBodyError({ reason: "too-large", detail: `the body is larger than ${max} bytes` }))
    }
    return Effect.succeed(chunk)
  }

  /** The end of the body: its trailers kept, the read deadline over. */
  bodyEnd(): Effect.Effect<never, Option.Option<RequestBodyError>> {
    this.endBody()
    return END_OF_BODY
  }

  /** More input pushed by the socket, then the same pull again (a half-close first: truncated). */
  bodyNeedsMore(): Effect.Effect<Uint8Array, Option.Option<RequestBodyError>> {
    const input = this.conn.input
    if (input.eof) return this.fail(truncated())
    const again = this.again!
    input.resumeIfDrained()
    return input.awaitInput(again)
  }

  bodyMalformed(): Effect.Effect<never, Option.Option<RequestBodyError>> {
    return this.fail(this.malformed())
  }

  /** No body to read (the connection detached): the end. */
  bodyMissing(): Effect.Effect<never, Option.Option<RequestBodyError>> {
    return END_OF_BODY
  }

  /** Consumes body bytes already buffered, up to Go's limit, without waiting (before deciding on keep-alive). */
  drainBuffered(): void {
    const parser = this.conn.input.parser
    let drained = 0
    while (this.read !== BodyRead.DONE && this.read !== BodyRead.FAILED && drained <= MAX_POST_HANDLER_READ_BYTES) {
      const ev = parser.next()
      if (ev === Event.Body) drained += parser.chunk.length
      else if (ev === Event.End) this.endBody()
      else if (ev === Event.Error) this.setFailed(this.malformed())
      else return
    }
  }

  /** Reads and drops the rest of the body, up to `budget` bytes; true when the body ended within it. */
  drainRest(budget: number): Effect.Effect<boolean> {
    return Effect.suspend(() => {
      const input = this.conn.input
      const parser = input.parser
      let left = budget
      const step: Effect.Effect<boolean> = Effect.suspend(() => {
        for (;;) {
          if (this.read === BodyRead.DONE) return Effect.succeed(true)
          if (this.read !== BodyRead.BODY || input.eof && parser.buffered === 0) return Effect.succeed(false)
          const ev = parser.next()
          if (ev === Event.Body) {
            left -= parser.chunk.length
            if (left < 0) return Effect.succeed(false)
          } else if (ev === Event.End) this.endBody()
          else if (ev === Event.NeedMore) {
            if (input.eof) return Effect.succeed(false)
            input.resumeIfDrained()
            return input.awaitInput(step)
          } else return Effect.succeed(false)
        }
      })
      return step
    })
  }

  private endBody(): void {
    this.move(BodyRead.DONE)
    this.trailerFields = this.conn.input.parser.trailers
    if (this.current !== undefined) this.current.trailerFields = this.trailerFields
    this.conn.deadlines.readDone()
  }

  /** A new request's body: BODY or DONE, whatever the last one's was. */
  private reset(to: BodyRead): void {
    this.read = to
  }

  /** Every other change of `read` (the moves of `BODY_READ_MOVES`). */
  private move(to: BodyRead): void {
    this.read = to
  }

  private setFailed(error: RequestBodyError): void {
    this.move(BodyRead.FAILED)
    this.error = error
  }

  private fail(error: RequestBodyError): Effect.Effect<never, Option.Option<RequestBodyError>> {
    this.setFailed(error)
    return Effect.fail(Option.some(error))
  }

  private malformed(): RequestBodyError {
    const error = this.conn.input.parser.error
    if (error !== undefined && error._tag === "MalformedMessage" && error.reason === "unexpected-eof") return truncated()
    return new RequestBodyError({ reason: "malformed", detail: error?.message ?? "malformed body" })
  }
}
