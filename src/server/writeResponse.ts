/**
 * Writing a response on a served connection: the head and a body known whole (one socket
 * write), a chunked body with trailers, a streamed body (the head with the first chunk, then
 * every chunk as it comes: Content-Length enforced, large chunks written without a copy), and
 * interim 1xx responses (Early Hints, 100 Continue) before the final one.
 *
 * What the head says is decided in `responseWriter.ts` (`planResponse`); this module only
 * puts bytes on the socket, then hands the connection back to the serve loop
 * (`afterResponse`), or closes it when a write fails or a body broke its framing.
 *
 * May touch: the socket's writes (`Conn.write`/`drained`, its synchronous `writeNow`, the
 * server's `WriteBatch` for answers written whole, and `rawSocket.ts`'s corked one), the body's
 * `100 Continue` flag and handle; nothing of the connection's state but through `ResponseConn`.
 *
 * @module
 * @internal
 */
import { type Cause, type Clock, Effect } from "effect"
import * as Body from "../domain/Body.js"
import { Headers } from "../domain/Headers.js"
import type { RequestHead } from "../domain/http1/MessageHead.js"
import { encodeChunk, encodeLastChunk, withBody } from "../domain/http1/writer.js"
import * as Status from "../domain/Status.js"
import type { RawConn } from "../net/Conn.js"
import type { WriteBatch } from "../net/WriteBatch.js"
import { ConnError } from "../net/errors.js"
import type { BodyReader } from "./bodyReader.js"
import { cannedReply } from "./cannedReplies.js"
import type { InterimResponseError } from "./errors.js"
import { corkForThisTick, writeChunkCorked } from "./rawSocket.js"
import { bytesToWrite, type DateCache, interimHead, planResponse, type RequestSide, type ResponsePlan } from "./responseWriter.js"
import type { ServerResponse } from "./ServerResponse.js"

/** Chunks of a chunked answer at least this long are written in place, smaller ones copied with their framing. */
const COPY_CHUNK_BELOW = 4096
const VOID = Effect.void
const EMPTY_FIELDS: Headers = Headers.empty()

/**
 * What writing a response needs of its connection.
 *
 * @internal
 */
export interface ResponseConn {
  readonly conn: RawConn
  readonly body: BodyReader
  readonly host: { readonly clock: Clock.Clock; readonly dates: DateCache; readonly writes: WriteBatch }
  /** The request being answered. */
  readonly head: RequestHead | undefined
  /** Whether the connection can serve another request after this one (`drain`: the body is no longer needed). */
  keepAlive(drain: boolean): boolean
  /**
   * The response's last bytes are out: the next request, or the close. `now`: the clock read
   * for this response's Date when the bytes went out at once (saves reading it again).
   */
  afterResponse(close: boolean, now?: number): Effect.Effect<void>
  /** Answers a failure before the head went out (a 4xx or 500) and closes. */
  failed(cause: Cause.Cause<unknown>): Effect.Effect<void>
  /** Writes a canned reply to the current request and closes. */
  replyAndClose(reply: Buffer): Effect.Effect<void>
  /** Closes at once. */
  readonly closeNow: Effect.Effect<void>
}

/** What the request side contributes to the head (a class: one per request). */
class Side implements RequestSide {
  constructor(readonly method: string, readonly versionMinor: number, readonly keepAlive: boolean) {}
}

/**
 * Writes `response` (a valid status) to the current request, then goes on with the next
 * request or closes.
 *
 * @internal
 */
export const respond = (c: ResponseConn, response: ServerResponse<unknown>): Effect.Effect<void> => {
  const head = c.head!
  const body = response.body
  const streamed = body._tag !== "Empty" && body._tag !== "Bytes"
  // The handler is done with the body unless its answer streams (and may read it: full duplex).
  if (!streamed) c.body.closeHandle()
  const side = new Side(head.method, head.versionMinor, c.keepAlive(!streamed))
  const now = c.host.clock.unsafeCurrentTimeMillis()
  const date = c.host.dates.format(now)
  if (streamed) return writeStream(c, response, side, date)
  const bytes = body._tag === "Bytes" ? body.bytes : undefined
  const plan = planResponse(response, side, date, bytes)
  if (plan.withTrailers) return writeChunkedBytes(c, plan, bytes, response.trailers!)
  const out = bytesToWrite(plan, bytes)
  const write = writeThen(c, withBody(plan.head, out.data), out.close, now)
  return out.error === undefined ? write : Effect.zipRight(Effect.logError("effect-nethttp server: " + out.error), write)
}

const writeChunkedBytes = (c: ResponseConn, plan: ResponsePlan, bytes: Uint8Array | undefined, trailers: Effect.Effect<Headers, unknown>): Effect.Effect<void> =>
  Effect.matchCauseEffect(trailers, {
    onFailure: (cause) => Effect.zipRight(Effect.logError("effect-nethttp server: response trailers failed", cause), c.replyAndClose(cannedReply(Status.InternalServerError))),
    onSuccess: (fields) => {
      const parts: Array<Uint8Array> = [Buffer.from(plan.head, "latin1")]
      if (bytes !== undefined && bytes.length > 0) parts.push(encodeChunk(bytes))
      parts.push(encodeLastChunk(fields))
      return writeThen(c, Buffer.concat(parts), plan.close)
    }
  })

/**
 * Writes the last bytes of a response, then goes on with the next request or closes; `now`:
 * the clock read for the response, if just now.
 */
const writeThen = (c: ResponseConn, data: Uint8Array, close: boolean, now?: number): Effect.Effect<void> => {
  // Out after this turn with the other connections' answers (`WriteBatch`): the client wakes
  // once per turn, not once per answer. A close, or an `end`, hands the bytes on before it.
  if (c.host.writes.write(c.conn, data)) return c.afterResponse(close, now)
  // The stream's buffer is full (a slow reader, or many pipelined answers): wait for room
  // before reading the next request, so a client cannot make us buffer without limit.
  return Effect.matchEffect(c.conn.drained, {
    onFailure: () => c.closeNow,
    onSuccess: () => c.afterResponse(close)
  })
}

/** Writes a streamed body: the head with the first chunk (sniffed), then every chunk as it comes. */
const writeStream = (c: ResponseConn, response: ServerResponse<unknown>, side: Side, date: string): Effect.Effect<void> => {
  const body = response.body as Body.StreamBody<unknown> | Body.RewindableBody<unknown>
  if (side.method === "HEAD" || !Status.bodyAllowed(response.status)) {
    // No body goes out: the stream is not run (it may never end, as an event stream).
    c.body.closeHandle()
    const p = planResponse(response, side, date, undefined)
    return writeThen(c, Buffer.from(p.head, "latin1"), p.close)
  }
  const out = new StreamOut(c, response, side, date)
  // The body's writes yield what comes next (the next request, or the close), which runs after
  // them, outside their handlers: a handler around it would stay on the fiber's stack for every
  // later request of the connection (one frame per streamed answer, kept until the close).
  const written = Effect.matchCauseEffect(Body.forEachChunk(body, out.write), {
    onFailure: (cause): Effect.Effect<Effect.Effect<void>> => {
      // Before the head: answered as a handler failure (a request body the client cut short,
      // streamed back, is a 400, not a 500).
      if (out.plan === undefined) return Effect.succeed(c.failed(cause))
      // The head is out: all we can do is cut the connection, so the client sees a broken body (Go).
      return Effect.succeed(Effect.zipRight(Effect.logError("effect-nethttp server: response body failed", cause), c.closeNow))
    },
    onSuccess: () => out.finish()
  })
  return Effect.flatten(Effect.catchAllCause(written, () => Effect.succeed(c.closeNow)))
}

/** A streamed body on its way out: the head once known (at the first chunk), and the bytes written. */
class StreamOut {
  plan: ResponsePlan | undefined = undefined
  written = 0

  constructor(
    private readonly c: ResponseConn,
    private readonly response: ServerResponse<unknown>,
    private readonly side: Side,
    private readonly date: string
  ) {}

  readonly write = (chunk: Uint8Array): Effect.Effect<void, ConnError> => {
    const c = this.c
    corkForThisTick(c.conn)
    const first = this.plan === undefined
    if (this.plan === undefined) {
      this.plan = planResponse(this.response, this.side, this.date, chunk)
      // The final head goes out: no 100 Continue after it (the client sends once it sees the
      // answer began, or its own wait ran out).
      c.body.continuePending = false
    }
    const plan = this.plan
    const head = first ? plan.head : undefined
    if (!plan.sendBody || chunk.length === 0) return head === undefined ? VOID : c.conn.write(Buffer.from(head, "latin1"))
    const framing = plan.framing
    if (framing._tag === "Length" && this.written + chunk.length > framing.length) {
      // More than announced would be read as the start of the next response (Go refuses the
      // write with ErrContentLength): send what fits, then cut the connection.
      const fits = chunk.subarray(0, framing.length - this.written)
      this.written = framing.length
      return Effect.zipRight(
        c.conn.write(head === undefined ? fits : withBody(head, fits)),
        Effect.fail(new ConnError({ op: "write", code: "ERR_CONTENT_LENGTH", detail: `the response body is longer than its announced ${framing.length} bytes` }))
      )
    }
    this.written += chunk.length
    if (framing._tag === "Chunked" && chunk.length >= COPY_CHUNK_BELOW) {
      // Its size line, the bytes as they are, and the CRLF in one vectored write: a copy per
      // chunk of an echoed upload made as much garbage as the body was long.
      return writeChunkCorked(c.conn, head, chunk) ? VOID : c.conn.drained
    }
    const data = framing._tag === "Chunked" ? encodeChunk(chunk) : chunk
    return c.conn.write(head === undefined ? data : withBody(head, data))
  }

  /**
   * The stream ended: writes the head if no chunk came, the last chunk (and trailers), and
   * yields what comes next: the next request, or the close.
   */
  finish(): Effect.Effect<Effect.Effect<void>> {
    const c = this.c
    corkForThisTick(c.conn)
    const p = this.plan ?? planResponse(this.response, this.side, this.date, undefined)
    const tail: Array<Effect.Effect<void, ConnError>> = []
    if (this.plan === undefined) tail.push(c.conn.write(Buffer.from(p.head, "latin1")))
    if (p.sendBody && p.framing._tag === "Length" && this.written !== p.framing.length) {
      return Effect.succeed(Effect.zipRight(
        Effect.logError(`effect-nethttp server: the response body had ${this.written} bytes, not the ${p.framing.length} announced`),
        c.closeNow
      ))
    }
    if (p.sendBody && p.framing._tag === "Chunked") {
      const trailers = this.response.trailers
      if (p.withTrailers && trailers !== undefined) {
        tail.push(Effect.flatMap(Effect.orDie(trailers), (fields) => c.conn.write(encodeLastChunk(fields))))
      } else tail.push(c.conn.write(encodeLastChunk()))
    }
    const close = p.close || p.framing._tag === "Close"
    return Effect.matchCause(Effect.all(tail, { discard: true }), {
      onFailure: () => c.closeNow,
      onSuccess: () => c.afterResponse(close)
    })
  }
}

/**
 * Writes an interim (1xx) response before the final one (Go 1.19+ writes 1xx from
 * `WriteHeader`; node:http's `writeEarlyHints`). Not to an HTTP/1.0 client (RFC 9110 §15.2: a
 * server must not send it one): then nothing is sent. 100 is sent by the server on the body's
 * first read; sending it here stops that. The caller checked the status and that the final
 * response was not started.
 *
 * @internal
 */
export const writeInterim = (c: ResponseConn, status: number, fields: Headers | undefined): Effect.Effect<void, InterimResponseError> => {
  if (c.head!.versionMinor < 1) return VOID
  if (status === 100) {
    if (!c.body.continuePending) return VOID
    c.body.continuePending = false
  }
  return Effect.catchAll(c.conn.write(Buffer.from(interimHead(status, fields ?? EMPTY_FIELDS), "latin1")), () => VOID)
}
