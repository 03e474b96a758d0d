/**
 * Handlers without sockets, as Go's `httptest.NewRequest` and `httptest.ResponseRecorder`:
 * `recordResponse(handler, request)` runs a handler on a request (one from
 * `ServerRequest.make`, usually) and returns the response as the server would put it on the
 * wire: the status line, the fields the server adds (Date from the Clock, a sniffed
 * Content-Type, the framing, Connection when it would close), the body bytes, the trailers,
 * and the interim responses sent before it. A failing handler gets the server's answer (500,
 * or 400/408/413 for a request body the client got wrong).
 *
 * The decisions are the server's own (`planResponse`, `bytesToWrite`, the canned replies):
 * this module only runs them without a connection.
 *
 * @module
 * @since 0.1.0
 */
import { Cause, Clock, Effect, Exit } from "effect"
import * as Body from "../domain/Body.js"
import { Headers } from "../domain/Headers.js"
import type { RequestHead } from "../domain/http1/MessageHead.js"
import * as Status from "../domain/Status.js"
import { cannedReply, failureReply, headProblem } from "./cannedReplies.js"
import { InvalidStatusError } from "./errors.js"
import type { Handler } from "./Handler.js"
import { RecordedInterim, RecordingIO } from "./recordingIO.js"
import { MAX_POST_HANDLER_READ_BYTES } from "./ServerConn.js"
import { bytesToWrite, planResponse, type ResponsePlan, validStatus } from "./responseWriter.js"
import { ioOf, type ServerRequest, validTargetEscapes } from "./ServerRequest.js"
import type { ServerResponse } from "./ServerResponse.js"

export { RecordedInterim }


/**
 * A response as the server would have written it for one request (Go's `ResponseRecorder.Result()`,
 * with the fields the server adds that Go's recorder leaves out).
 *
 * @since 0.1.0
 * @category testing
 */
export class RecordedResponse {
  constructor(
    readonly status: number,
    /** The reason phrase written. */
    readonly statusText: string,
    /**
     * The fields in wire order: the handler's, then the server's (Date, a sniffed
     * Content-Type, Connection, Content-Length or Transfer-Encoding and Trailer).
     */
    readonly headers: Headers,
    /** The body bytes as they would arrive, the framing removed (none for HEAD, 1xx, 204, 304). */
    readonly body: Uint8Array,
    /** The trailer fields sent after a chunked body, if any. */
    readonly trailers: Headers | undefined,
    /** The interim responses sent before this one, in order. */
    readonly interim: ReadonlyArray<RecordedInterim>,
    /** Whether the server would close the connection after this response. */
    readonly close: boolean,
    /**
     * Whether the server would cut the connection in the middle of the body (a stream body
     * that failed, or that was longer or shorter than its Content-Length): `body` is what was
     * sent before.
     */
    readonly aborted: boolean,
    /**
     * Why the response is not the handler's: the handler's failure or defect (answered with the
     * server's own reply), or the failure that cut the body. Undefined when all went well.
     */
    readonly cause: Cause.Cause<unknown> | undefined
  ) {}

  /** The body decoded as UTF-8. */
  get text(): string {
    return Buffer.from(this.body.buffer, this.body.byteOffset, this.body.byteLength).toString("utf8")
  }
}

const EMPTY = new Uint8Array(0)
const NO_INTERIM: ReadonlyArray<RecordedInterim> = []

/** A head as `planResponse` or a canned reply writes it, read back: status, reason, fields. */
const readHead = (head: string): { status: number; statusText: string; headers: Headers } => {
  const lines = head.split("\r\n")
  const statusLine = lines[0]!
  const firstSpace = statusLine.indexOf(" ")
  const secondSpace = statusLine.indexOf(" ", firstSpace + 1)
  const status = Number(statusLine.slice(firstSpace + 1, secondSpace < 0 ? undefined : secondSpace))
  const statusText = secondSpace < 0 ? "" : statusLine.slice(secondSpace + 1)
  const headers = Headers.empty()
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!
    if (line === "") continue
    const colon = line.indexOf(":")
    headers.add(line.slice(0, colon), line.slice(colon + 1).trim())
  }
  return { status, statusText, headers }
}

/**
 * A canned reply as recorded. Its body is left out for HEAD, as the server leaves it out
 * (RFC 9110 §9.3.2).
 */
const fromCanned = (
  reply: Buffer,
  method: string,
  interim: ReadonlyArray<RecordedInterim>,
  cause: Cause.Cause<unknown> | undefined
): RecordedResponse => {
  const text = reply.toString("latin1")
  const end = text.indexOf("\r\n\r\n")
  const { headers, status, statusText } = readHead(text.slice(0, end))
  const body = method === "HEAD" ? EMPTY : reply.subarray(end + 4)
  return new RecordedResponse(status, statusText, headers, body, undefined, interim, true, false, cause)
}

const fromPlan = (
  plan: ResponsePlan,
  body: Uint8Array | undefined,
  trailers: Headers | undefined,
  interim: ReadonlyArray<RecordedInterim>,
  close: boolean,
  aborted: boolean,
  cause: Cause.Cause<unknown> | undefined
): RecordedResponse => {
  const { headers, status, statusText } = readHead(plan.head)
  return new RecordedResponse(status, statusText, headers, body ?? EMPTY, trailers, interim, close || plan.close, aborted, cause)
}

/** Whether the connection could serve another request after this one, as ServerConn's `keepAlive`. */
const keepAlive = (head: RequestHead, io: RecordingIO | undefined): boolean => {
  if (!head.keepAlive) return false
  if (io === undefined) return true
  if (io.bodyError !== undefined) return false
  if (io.bodyDone) return true
  if (io.continuePending) return false
  return head.contentLength < 0 || head.contentLength - io.bodyRead <= MAX_POST_HANDLER_READ_BYTES
}

class Side {
  constructor(readonly method: string, readonly versionMinor: number, readonly keepAlive: boolean) {}
}

/**
 * Runs `handler` on `request` as the server would (Go's `httptest.NewRecorder` with
 * `handler.ServeHTTP(w, r)`, and what the server adds), and returns the response as it would
 * go on the wire. Never fails: a handler's failure or defect is the server's 500 (a
 * `RequestBodyError` it let through: 400, 408 or 413), a status outside 100..999 a 500 too
 * (Go's `WriteHeader` panics), a stream body that fails after its first chunk an `aborted`
 * response. A HEAD answer has no body (a stream body is not run), as a 1xx, 204 or 304 has
 * none. The Date is the Clock's (`TestClock` makes it 1970's). A request is for one run: its
 * body is read once.
 *
 * @since 0.1.0
 * @category testing
 */
export const recordResponse = <E, R>(handler: Handler<E, R>, request: ServerRequest): Effect.Effect<RecordedResponse, never, R> =>
  Effect.suspend(() => {
    const made = ioOf(request)
    const io = made instanceof RecordingIO ? made : undefined
    const interim = (): ReadonlyArray<RecordedInterim> => (io === undefined ? NO_INTERIM : io.interims.slice())
    const head = request.head
    // What the serve loop refuses before any handler runs.
    let hosts = 0
    for (let i = 0, n = head.headers.size; i < n; i++) if (head.headers.nameAt(i) === "Host") hosts++
    const problem = headProblem(head.versionMinor, head.method, hosts, head.headers.get("Host"), head.headers.get("Expect"))
      ?? (validTargetEscapes(head) ? undefined : cannedReply(Status.BadRequest, "invalid URI escape"))
    if (problem !== undefined) return Effect.succeed(fromCanned(problem, head.method, NO_INTERIM, undefined))

    const failed = (cause: Cause.Cause<unknown>) => Effect.succeed(fromCanned(failureReply(cause, io?.bodyError).reply, head.method, interim(), cause))
    const finish = <R>(recorded: Effect.Effect<RecordedResponse, never, R>) => Effect.ensuring(recorded, io === undefined ? Effect.void : io.close)

    return finish(Effect.flatMap(Effect.exit(handler(request)), (exit) => {
      if (io !== undefined) io.finalStarted = true
      if (Exit.isFailure(exit)) return failed(exit.cause)
      const response: ServerResponse<unknown> = exit.value
      if (!validStatus(response.status)) return failed(Cause.die(new InvalidStatusError({ status: response.status })))
      return Effect.flatMap(Clock.currentTimeMillis, (now) => respond(response, head, io, new Date(now).toUTCString(), interim, failed))
    }))
  })

const respond = (
  response: ServerResponse<unknown>,
  head: RequestHead,
  io: RecordingIO | undefined,
  date: string,
  interim: () => ReadonlyArray<RecordedInterim>,
  failed: (cause: Cause.Cause<unknown>) => Effect.Effect<RecordedResponse>
): Effect.Effect<RecordedResponse> => {
  const body = response.body
  const side = new Side(head.method, head.versionMinor, keepAlive(head, io))
  if (body._tag === "Empty" || body._tag === "Bytes") {
    const bytes = body._tag === "Bytes" ? body.bytes : undefined
    const plan = planResponse(response, side, date, bytes)
    if (plan.withTrailers) {
      return Effect.matchCauseEffect(response.trailers!, {
        // As the server: trailers that fail before anything was written are a 500.
        onFailure: failed,
        onSuccess: (fields) => Effect.succeed(fromPlan(plan, bytes, fields, interim(), false, false, undefined))
      })
    }
    const out = bytesToWrite(plan, bytes)
    return Effect.succeed(fromPlan(plan, out.data, undefined, interim(), out.close, false, undefined))
  }
  if (head.method === "HEAD" || !Status.bodyAllowed(response.status)) {
    // No body goes out: the stream is not run (it may never end, as an event stream).
    return Effect.succeed(fromPlan(planResponse(response, side, date, undefined), undefined, undefined, interim(), false, false, undefined))
  }
  // A stream: the head goes out with the first chunk (sniffed), as the server's writeStream.
  let plan: ResponsePlan | undefined = undefined
  const parts: Array<Uint8Array> = []
  let written = 0
  let overflow = false
  const run = Body.forEachChunk(body, (chunk) =>
    Effect.sync(() => {
      plan ??= planResponse(response, side, date, chunk)
      if (!plan.sendBody || chunk.length === 0 || overflow) return
      const framing = plan.framing
      if (framing._tag === "Length" && written + chunk.length > framing.length) {
        parts.push(chunk.subarray(0, framing.length - written))
        written = framing.length
        overflow = true
        return
      }
      parts.push(chunk)
      written += chunk.length
    }))
  return Effect.matchCauseEffect(run, {
    onFailure: (cause) => {
      if (plan === undefined) return failed(cause)
      return Effect.succeed(fromPlan(plan, Buffer.concat(parts), undefined, interim(), true, true, cause))
    },
    onSuccess: () => {
      const p = plan ?? planResponse(response, side, date, undefined)
      const bytes = Buffer.concat(parts)
      if (p.sendBody && p.framing._tag === "Length" && (overflow || written !== p.framing.length)) {
        return Effect.succeed(fromPlan(p, bytes, undefined, interim(), true, true, undefined))
      }
      const chunked = p.sendBody && p.framing._tag === "Chunked"
      if (chunked && p.withTrailers && response.trailers !== undefined) {
        return Effect.matchCause(response.trailers, {
          // The head and body are out: the server cuts the connection.
          onFailure: (cause) => fromPlan(p, bytes, undefined, interim(), true, true, cause),
          onSuccess: (fields) => fromPlan(p, bytes, fields, interim(), false, false, undefined)
        })
      }
      return Effect.succeed(fromPlan(p, bytes, undefined, interim(), false, false, undefined))
    }
  })
}
