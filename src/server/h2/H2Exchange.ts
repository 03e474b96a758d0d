/**
 * One HTTP/2 stream served: the request's body read from the `ServerHttp2Stream` in paused
 * mode (a handler that does not read stops the client through flow control), `100 Continue`
 * on its first read when the client asked, its trailers, interim responses, per-stream
 * deadlines, and the handler run by one of the connection's workers with its answer written by
 * `writeH2Response.ts`. The `RequestIO` of the stream's `ServerRequest`.
 *
 * As Go's h2 server (`http2serverConn.runHandler`, `http2responseWriter`): a handler's failure
 * is answered as on HTTP/1.1 (500, or the 4xx of a body the client got wrong) when the head
 * is not out yet, else the stream is reset; a handler that returns before the request body
 * ended gets the stream closed with RST_STREAM NO_ERROR once its answer is out (RFC 9113 §8.1);
 * the client resetting the stream interrupts the handler (Go cancels the request's context).
 * HTTP/2 has no hijacking (Go's h2 ResponseWriter is no Hijacker).
 *
 * @module
 * @internal
 */
import { Cause, Effect, Exit, Option, type Scope } from "effect"
import type * as http2 from "node:http2"
import { constants } from "node:http2"
import { canonicalFieldName } from "../../domain/fieldNames.js"
import { addField, H2Fields } from "../../domain/h2Fields.js"
import { Headers } from "../../domain/Headers.js"
import { sanitizeFieldValue } from "../../domain/http1/writer.js"
import type { RequestHead } from "../../domain/http1/MessageHead.js"
import * as Status from "../../domain/Status.js"
import { failureAnswer } from "../cannedReplies.js"
import { HijackError, InterimResponseError, InvalidStatusError, RequestBodyError } from "../errors.js"
import { clientAbortFiberId } from "../Handler.js"
import type { Hijacked, RequestIO } from "../requestIO.js"
import { validStatus } from "../responseWriter.js"
import { ServerRequest } from "../ServerRequest.js"
import type { ServerResponse } from "../ServerResponse.js"
import type { H2ServerConn } from "./H2ServerConn.js"
import type { WorkItem, Worker } from "./streamWorkers.js"
import { cannedH2, type H2ResponseTarget, respondH2 } from "./writeH2Response.js"

const VOID = Effect.void

/** What `start` gives when the server answered the stream itself (the handler did not run). */
const ANSWERED: unique symbol = Symbol("effect-nethttp/h2/answered")
const ANSWERED_NOW: Effect.Effect<typeof ANSWERED> = Effect.succeed(ANSWERED)
const END: Effect.Effect<never, Option.Option<never>> = Effect.fail(Option.none())
const NO_HIJACK: Effect.Effect<never, HijackError> = Effect.fail(new HijackError({ detail: "an HTTP/2 connection cannot be hijacked" }))

/** Where the exchange is. */
const enum Stage {
  /** Queued: more handlers run on the connection than it allows at once. */
  QUEUED,
  /** The handler runs (or its answer is being written). */
  RUNNING,
  /** The answer is out, or the stream was reset. */
  DONE
}

function ignoreError(): void {}

/** The stream's back reference to its exchange, for the shared listener below (no closure per stream). */
const EXCHANGE = Symbol("effect-nethttp/H2Exchange")
type OwnedStream = http2.ServerHttp2Stream & { [EXCHANGE]?: H2Exchange }

function onStreamClose(this: OwnedStream): void {
  this[EXCHANGE]?.streamClosed()
}

/**
 * A stream being served.
 *
 * @internal
 */
export class H2Exchange implements RequestIO, H2ResponseTarget, WorkItem {
  stage: Stage = Stage.QUEUED
  /** The worker running the handler, while one does. */
  worker: Worker | undefined = undefined
  /** The request body's trailer fields, once they came. */
  private trailerFields: Headers | undefined = undefined
  /** Why reading the body fails from now on. */
  private bodyError: RequestBodyError | undefined = undefined
  /** Send `100 Continue` at the first read of the body. */
  private continuePending: boolean
  private bytesRead = 0
  /** The final head went out. */
  private responded = false
  /** A read of the body waits since this time (-1: none waits). */
  readWaitSince = -1
  /** A write waits for the client's window since this time (-1: none waits). */
  writeWaitSince = -1
  /** When the stream began (for the total deadlines; 0 when none is set, the clock is then not read). */
  readonly began: number
  /** Deadlines a handler set (`setDeadline`): epoch ms, or undefined for the server's. */
  private readDeadline: number | undefined = undefined
  private writeDeadline: number | undefined = undefined

  constructor(
    readonly conn: H2ServerConn,
    readonly stream: http2.ServerHttp2Stream,
    readonly head: RequestHead,
    readonly authority: string,
    now: number
  ) {
    this.began = now
    const bodyComing = head.framing !== "none"
    this.continuePending = bodyComing && head.headers.get("Expect")?.toLowerCase() === "100-continue"
    stream.on("error", ignoreError)
    if (bodyComing) {
      stream.pause()
      stream.once("trailers", (_fields: http2.IncomingHttpHeaders, _flags: number, raw?: Array<string>) => {
        this.trailerFields = trailersOf(raw)
      })
    }
    ;(stream as OwnedStream)[EXCHANGE] = this
    stream.on("close", onStreamClose)
  }

  get method(): string {
    return this.head.method
  }

  // -------------------------------------------------------------------------------------------
  // H2ResponseTarget

  date(): string {
    return this.conn.host.dates.format(this.now())
  }

  now(): number {
    return this.conn.host.clock.unsafeCurrentTimeMillis()
  }

  /** The server reset the stream itself (not the client: see `streamClosed`). */
  private resetByUs = false

  reset(code: number): void {
    this.resetByUs = true
    if (!this.stream.destroyed && !this.stream.closed) this.stream.close(code)
  }

  headSent(): void {
    this.responded = true
    this.continuePending = false
  }

  closeAfter(): void {
    this.conn.goAway()
  }

  // -------------------------------------------------------------------------------------------
  // RequestIO

  get pull(): Effect.Effect<Uint8Array, Option.Option<RequestBodyError>> {
    return Effect.suspend(() => this.pullNow())
  }

  private pullNow(): Effect.Effect<Uint8Array, Option.Option<RequestBodyError>> {
    if (this.bodyError !== undefined) return Effect.fail(Option.some(this.bodyError))
    const stream = this.stream
    const chunk = stream.read() as Buffer | null
    if (chunk !== null) {
      this.bytesRead += chunk.length
      if (this.bytesRead > this.conn.host.config.maxBodyBytes) {
        this.bodyError = new RequestBodyError({ reason: "too-large", detail: `the request body is larger than ${this.conn.host.config.maxBodyBytes} bytes` })
        return Effect.fail(Option.some(this.bodyError))
      }
      return Effect.succeed(chunk)
    }
    if (stream.readableEnded || this.head.framing === "none") return END
    if (stream.destroyed || stream.closed) {
      this.bodyError = new RequestBodyError({ reason: "truncated", detail: "the client reset the stream before the body ended" })
      return Effect.fail(Option.some(this.bodyError))
    }
    if (this.continuePending) {
      this.continuePending = false
      try {
        stream.additionalHeaders({ ":status": 100 })
      } catch {
        // the stream is closing: the read below sees it
      }
    }
    return Effect.async<Uint8Array, Option.Option<RequestBodyError>>((resume) => {
      this.readWaitSince = this.conn.host.clock.unsafeCurrentTimeMillis()
      const done = () => {
        this.readWaitSince = -1
        stream.off("readable", wake)
        stream.off("end", wake)
        stream.off("close", wake)
        this.wakeRead = undefined
      }
      const wake = () => {
        done()
        resume(this.pullNow())
      }
      this.wakeRead = wake
      stream.on("readable", wake)
      stream.on("end", wake)
      stream.on("close", wake)
      // A paused stream with nothing buffered reads on (Readable's 'readable' contract).
      stream.read(0)
      return Effect.sync(done)
    })
  }

  /** Wakes a waiting read (a deadline ran out). */
  private wakeRead: (() => void) | undefined = undefined

  trailers(): Headers | undefined {
    return this.trailerFields
  }

  get hijack(): Effect.Effect<Hijacked, HijackError, Scope.Scope> {
    return NO_HIJACK
  }

  writeInterim(status: number, headers?: Headers): Effect.Effect<void, InterimResponseError> {
    return Effect.suspend(() => {
      if (this.responded || this.stage !== Stage.RUNNING) {
        return Effect.fail(new InterimResponseError({ status, detail: "the final response was started, or the exchange is over" }))
      }
      if (status === 100) {
        if (!this.continuePending) return VOID
        this.continuePending = false
      }
      const fields = new H2Fields()
      fields[":status"] = status
      if (headers !== undefined) {
        for (let i = 0, n = headers.size; i < n; i++) {
          const name = headers.nameAt(i)!
          if (name === "Content-Length" || name === "Transfer-Encoding" || name === "Trailer" || name === "Connection") continue
          addField(fields, name, sanitizeFieldValue(headers.valueAt(i)!))
        }
      }
      try {
        this.stream.additionalHeaders(fields)
      } catch {
        // a stream already closing: nothing to tell
      }
      return VOID
    })
  }

  setDeadline(which: "read" | "write", ms: number | undefined): Effect.Effect<void> {
    return Effect.sync(() => {
      if (this.stage === Stage.DONE) return
      const at = ms === undefined ? Number.POSITIVE_INFINITY : this.conn.host.clock.unsafeCurrentTimeMillis() + Math.max(0, ms)
      if (which === "read") this.readDeadline = at
      else this.writeDeadline = at
    })
  }

  // -------------------------------------------------------------------------------------------
  // The run

  /**
   * The handler's Effect for this stream (its answer and failure go to `answer` and `failed`,
   * which the worker calls: `streamWorkers.ts`). A handler that throws instead of returning an
   * Effect is a defect, answered 500. A body declared larger than `maxBodyBytes` is answered 413
   * without running the handler (`ANSWERED`).
   */
  start(): Effect.Effect<ServerResponse<unknown> | typeof ANSWERED, unknown> {
    const begun = this.begun
    if (begun === undefined) return this.handle()
    this.begun = undefined
    return begun
  }

  /** What a worker runs first for a stream `runNow` began: what is left of its answer. */
  private begun: Effect.Effect<ServerResponse<unknown> | typeof ANSWERED, unknown> | undefined = undefined

  /**
   * Runs the stream without a worker when its handler answers with a value in hand (an `Exit`,
   * as README's `Effect.succeed(ServerResponse.text(...))` is) and the answer goes out at once:
   * no fiber is resumed for it. True when done; else a worker is to run what is left (`start`).
   */
  runNow(): boolean {
    const handled = this.handle()
    const exit = Exit.isExit(handled) ? handled as Exit.Exit<ServerResponse<unknown> | typeof ANSWERED, unknown> : undefined
    if (exit === undefined || exit._tag === "Failure") {
      this.begun = handled
      return false
    }
    const rest = this.answer(exit.value)
    if (rest === undefined) return true
    this.begun = Effect.as(rest, ANSWERED)
    return false
  }

  private handle(): Effect.Effect<ServerResponse<unknown> | typeof ANSWERED, unknown> {
    this.stage = Stage.RUNNING
    const config = this.conn.host.config
    if (this.head.contentLength > config.maxBodyBytes) {
      cannedH2(this, Status.RequestEntityTooLarge)
      this.finished()
      return ANSWERED_NOW
    }
    const request = new ServerRequest(this.head, this.authority, this.conn.host.scheme, this.conn.info, this)
    try {
      return this.conn.host.handler(request)
    } catch (defect) {
      return Effect.die(defect)
    }
  }

  /** Writes the handler's answer: undefined when it went out at once, else what is left to run. */
  answer(response: ServerResponse<unknown> | typeof ANSWERED): Effect.Effect<void> | undefined {
    if (response === ANSWERED || this.stage === Stage.DONE) return undefined
    if (!validStatus(response.status)) return this.failed(Cause.die(new InvalidStatusError({ status: response.status })))
    const written = respondH2(this, response)
    // A body in hand is written at once: no step more for the common answer.
    if (written === VOID) {
      this.finished()
      return undefined
    }
    return Effect.matchCauseEffect(written, {
      onFailure: (cause) => (this.responded ? this.finished() : this.failed(cause)),
      onSuccess: () => this.finished()
    })
  }

  /** Answers the handler's failure (500, or the 4xx of a body the client got wrong), or resets the stream once the head is out. */
  failed(cause: Cause.Cause<unknown>): Effect.Effect<void> {
    if (this.stage === Stage.DONE || this.stream.destroyed) return this.finished()
    const answer = failureAnswer(cause, this.bodyError)
    const log = (answer.clientFault ? Effect.logDebug : Effect.logError)("effect-nethttp server: handler failed", cause).pipe(
      Effect.annotateLogs({ method: this.head.method, target: this.head.target, protocol: "HTTP/2.0" })
    )
    return Effect.zipRight(
      log,
      Effect.suspend(() => {
        if (this.responded) this.reset(constants.NGHTTP2_INTERNAL_ERROR)
        else cannedH2(this, answer.status, answer.detail)
        return this.finished()
      })
    )
  }

  /** The answer is out: a request body still coming is refused (RST_STREAM NO_ERROR once our side ended, RFC 9113 §8.1). */
  private finished(): Effect.Effect<void> {
    const stream = this.stream
    if (!stream.readableEnded && this.head.framing !== "none") {
      if (!stream.destroyed && !stream.closed) {
        this.resetByUs = true
        stream.close(constants.NGHTTP2_NO_ERROR)
      }
      // What came of the body and was not read is dropped: Node ends (and closes) the stream
      // only once its input was consumed.
      stream.resume()
    }
    this.stage = Stage.DONE
    return VOID
  }

  /** The stream closed (ended both ways, or reset): a handler still running is interrupted. @internal */
  streamClosed(): void {
    const wasDone = this.stage === Stage.DONE
    const queued = this.stage === Stage.QUEUED
    this.stage = Stage.DONE
    if (!wasDone && !queued) this.conn.workers.interrupt(this, clientAbortFiberId)
    // RST_STREAM from the client (any code but NO_ERROR, which a client sends after a full answer).
    const rst = this.stream.rstCode
    this.conn.streamClosed(this, queued, !this.resetByUs && rst !== undefined && rst !== constants.NGHTTP2_NO_ERROR)
  }

  /**
   * Checks the stream's deadlines at `now` (the reaper's tick): a body read waiting longer
   * than the read timeout (or past a total or handler deadline) fails "timeout" (408 if the
   * head is not out); an answer the client does not take for the write timeout (or past a
   * deadline) resets the stream.
   */
  check(now: number): void {
    if (this.stage !== Stage.RUNNING) return
    const config = this.conn.host.config
    if (this.readWaitSince >= 0) {
      const stalled = config.readTimeoutMs > 0 && now - this.readWaitSince >= config.readTimeoutMs
      const total = config.readTotalTimeoutMs > 0 && now - this.began >= config.readTotalTimeoutMs
      const deadline = this.readDeadline !== undefined && now >= this.readDeadline
      if ((this.readDeadline === undefined && (stalled || total)) || deadline) {
        this.bodyError = new RequestBodyError({ reason: "timeout", detail: "the request body did not arrive in time" })
        this.wakeRead?.()
      }
    }
    const writeStalled = this.writeWaitSince >= 0 && config.writeTimeoutMs > 0 && now - this.writeWaitSince >= config.writeTimeoutMs
    const writeTotal = config.writeTotalTimeoutMs > 0 && now - this.began >= config.writeTotalTimeoutMs
    const writeDeadline = this.writeDeadline !== undefined && now >= this.writeDeadline
    if ((this.writeDeadline === undefined && (writeStalled || writeTotal)) || writeDeadline) {
      this.reset(constants.NGHTTP2_INTERNAL_ERROR)
    }
  }
}

/** Trailer fields from Node's raw list (name, value, ...), names canonical; undefined when none. */
const trailersOf = (raw: ReadonlyArray<string> | undefined): Headers | undefined => {
  if (raw === undefined) return undefined
  const names: Array<string> = []
  const values: Array<string> = []
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]!.charCodeAt(0) === 0x3a) continue
    names.push(canonicalFieldName(raw[i]!))
    values.push(raw[i + 1]!)
  }
  return Headers.unsafeFromArrays(names, values)
}
