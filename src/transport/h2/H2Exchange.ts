/**
 * One request and its response on an HTTP/2 session (Go's `http2.clientStream`): the request
 * headers built as Go's `encodeHeaders`, the body written (whole in one `end`, or streamed by a
 * fiber with the stream's backpressure), and the response delivered to the round trip's one
 * `Effect.async` the way HTTP/1.1's read loop delivers it: whole when the body ended in the same
 * batch of frames as the head (gathered from `'data'` events into one buffer), else as a stream
 * pulled in the caller's fiber (the `node:http2` stream paused while unread bytes pile up, so
 * flow control holds the peer back).
 *
 * Listeners are module-level functions that find their exchange on the stream (no closure per
 * listener per request). The head's and the body's timeouts use `DeadlineList`s, as HTTP/1.1's.
 *
 * Closing the body's Scope before its end resets the stream (RST_STREAM CANCEL); the session
 * serves the next request.
 *
 * @module
 * @internal
 */
import { Cause, Effect, Option } from "effect"
import type * as http2 from "node:http2"
import * as Body from "../../domain/Body.js"
import { canonicalFieldName, lowerFieldName } from "../../domain/fieldNames.js"
import { addField, addLowerField, H2Fields } from "../../domain/h2Fields.js"
import { Headers } from "../../domain/Headers.js"
import { ResponseHead } from "../../domain/http1/MessageHead.js"
import { DEFAULT_USER_AGENT } from "../../domain/http1/writer.js"
import { statusText } from "../../domain/Status.js"
import { drainOrClose } from "../../net/drainOrClose.js"
import type { ClientTraceHooks } from "../ClientTrace.js"
import { ACCEPT_ENCODING, type Pull } from "../contentCoding.js"
import { Armed, DeadlineList, type Expirable } from "../deadlineList.js"
import { CompleteDelivery, type Delivery, type Failure, failure, StreamingDelivery } from "../exchange.js"
import type { Prepared } from "../prepare.js"
import { RequestBodyLengthMismatch } from "../sendRequest.js"
import type { RunFork } from "../transportParts.js"
import { CANCEL, type H2Session, REFUSED_STREAM } from "./H2Session.js"

const END_STREAM_FLAG = 0x1
/** Unread response bytes past which the stream is paused (flow control then holds the peer). */
const HIGH_WATER = 256 * 1024

/**
 * The response head's and body's timeouts for HTTP/2 exchanges (the Transport's
 * `responseHeaderTimeout` and `bodyTimeout`), each one `DeadlineList` on one fiber, made when
 * the first session opens.
 *
 * @internal
 */
export class H2Timers {
  readonly heads: DeadlineList<H2Exchange> | undefined
  readonly bodies: DeadlineList<H2Exchange> | undefined
  constructor(headsMs: number, bodiesMs: number, now: () => number, runFork: RunFork) {
    this.heads = headsMs > 0 ? new DeadlineList<H2Exchange>(headsMs, now) : undefined
    this.bodies = bodiesMs > 0 ? new DeadlineList<H2Exchange>(bodiesMs, now) : undefined
    if (this.heads !== undefined) runFork(this.heads.timer)
    if (this.bodies !== undefined) runFork(this.bodies.timer)
  }
}

/** A stream with its exchange attached. */
type ExStream = http2.ClientHttp2Stream & { [EX]: H2Exchange }
const EX = Symbol.for("effect-nethttp/h2/exchange")

/** The request header object given to `session.request` (a class: never a pretenured literal). */

// Go's encodeHeaders skips these (connection-specific, or carried by pseudo-headers and framing).
const SKIPPED = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "host", "content-length", "user-agent", "trailer"])

/** Go's `shouldSendReqContentLength`. */
const sendsLength = (method: string, length: number | undefined): boolean =>
  length !== undefined && (length > 0 || method === "POST" || method === "PUT" || method === "PATCH")

/** The request's header block: pseudo-headers, then the fields as Go's `encodeHeaders` sends them. */
const requestHeaders = <E>(p: Prepared<E>, length: number | undefined, trailerNames: string | undefined): H2Fields => {
  const request = p.request
  const h = new H2Fields()
  h[":method"] = request.method
  h[":authority"] = request.host
  h[":scheme"] = p.dest.scheme === "https:" ? "https" : "http"
  h[":path"] = p.target
  const fields = p.headers
  for (let i = 0; i < fields.size; i++) {
    const name = lowerFieldName(fields.nameAt(i)!)
    if (SKIPPED.has(name)) continue
    const value = fields.valueAt(i)!
    if (name === "te" && value.toLowerCase() !== "trailers") continue
    addLowerField(h, name, value)
  }
  const ua = fields.size === 0 ? undefined : fields.get("User-Agent")
  if (ua === undefined) h["user-agent"] = DEFAULT_USER_AGENT
  else if (ua !== "") h["user-agent"] = ua
  if (p.acceptCodings) h["accept-encoding"] = ACCEPT_ENCODING
  if (sendsLength(request.method, length)) h["content-length"] = String(length)
  if (trailerNames !== undefined) h["trailer"] = trailerNames
  return h
}

/** Response (or trailer) fields from `node:http2`'s header object, pseudo-headers left out. */
const toHeaders = (raw: http2.IncomingHttpHeaders): Headers => {
  const names: Array<string> = []
  const values: Array<string> = []
  for (const name in raw) {
    if (name.charCodeAt(0) === 0x3a) continue // ':'
    const value = raw[name]
    if (value === undefined) continue
    const key = canonicalFieldName(name)
    if (Array.isArray(value)) {
      for (const one of value) {
        names.push(key)
        values.push(one)
      }
    } else {
      names.push(key)
      values.push(String(value))
    }
  }
  return Headers.unsafeFromArrays(names, values)
}

/** The request body's writer stops: the stream closed under it (the exchange already knows why). */
class StreamClosed {
  readonly _tag = "StreamClosed"
}
const STREAM_CLOSED = new StreamClosed()

/** A header list's size as HPACK counts it (RFC 9113 §6.5.2): name, value and 32 bytes per field. */
const listSize = (raw: http2.IncomingHttpHeaders): number => {
  let size = 0
  for (const name in raw) {
    const value = raw[name]
    if (value === undefined) continue
    if (Array.isArray(value)) for (const one of value) size += name.length + one.length + 32
    else size += name.length + String(value).length + 32 // `:status` is a number
  }
  return size
}

// `session.request` options, shared (Node copies them): no object per request.
const END_STREAM: http2.ClientSessionRequestOptions = Object.freeze({ endStream: true, waitForTrailers: false })
const WITH_BODY: http2.ClientSessionRequestOptions = Object.freeze({ endStream: false, waitForTrailers: false })
const WITH_TRAILERS: http2.ClientSessionRequestOptions = Object.freeze({ endStream: false, waitForTrailers: true })

const EMPTY = new Uint8Array(0)
const END_OF_BODY: Effect.Effect<never, Option.Option<never>> = Effect.fail(Option.none())

/**
 * One request/response on a session.
 *
 * @internal
 */
export class H2Exchange implements Expirable<H2Exchange> {
  /** Resumes the round trip's wait (once). */
  resume: ((effect: Effect.Effect<Delivery, Failure>) => void) | undefined = undefined
  stream: ExStream | undefined = undefined
  head: ResponseHead | undefined = undefined
  /** Body bytes received and not yet handed out (`read` of them were). */
  chunks: Array<Uint8Array> | undefined = undefined
  read = 0
  unread = 0
  bytes = 0
  ended = false
  /** The stream closed (its slot on the session given back). */
  closed = false
  settled = false
  streaming = false
  abandoned = false
  paused = false
  num1xx = 0
  trailers: Headers | undefined = undefined
  /** Why the body failed (reset, timeout, abandoned), once it did. */
  bodyFailure: Failure | undefined = undefined
  timedOut: Failure | undefined = undefined
  error: Error | undefined = undefined
  timer: Armed<H2Exchange> | undefined = undefined
  /** A body pull waiting for bytes. */
  private waker: (() => void) | undefined = undefined
  /** Expect: 100-continue: the answer (true: send the body), once known, and the writer waiting for it. */
  continueAnswer: boolean | undefined = undefined
  continueWaiter: ((answer: boolean) => void) | undefined = undefined
  /** The body was not sent (a final status came before 100 Continue). */
  bodySkipped = false

  constructor(
    readonly session: H2Session,
    private readonly timers: H2Timers,
    readonly trace: ClientTraceHooks | undefined,
    private readonly max1xx: number,
    /** The Transport's `expectContinueTimeout` (0: send the body at once). */
    private readonly continueTimeoutMs: number
  ) {}

  private answerContinue(answer: boolean): void {
    if (this.continueAnswer !== undefined) return
    this.continueAnswer = answer
    const w = this.continueWaiter
    if (w !== undefined) {
      this.continueWaiter = undefined
      w(answer)
    }
  }

  /** 100 Continue arrived: the body goes. */
  gotContinue(): void {
    if (this.num1xx === 0) this.trace?.gotFirstResponseByte?.()
    if (++this.num1xx > this.max1xx) {
      this.settle(Effect.fail(failure("awaiting-headers", "too-many-1xx", `more than ${this.max1xx} informational responses`)))
      this.answerContinue(false)
      this.cancel()
      return
    }
    this.trace?.got100Continue?.()
    this.answerContinue(true)
  }

  /** A bug in the exchange's own code: the round trip dies with it (a defect), the stream is reset. */
  die(error: unknown): void {
    this.settle(Effect.die(error))
    this.fail(failure("reading-body", "closed", "the exchange failed: " + String(error)))
    this.cancel()
  }

  private settle(effect: Effect.Effect<Delivery, Failure>): void {
    if (this.settled) return
    this.settled = true
    const r = this.resume
    this.resume = undefined
    r?.(effect)
  }

  private timerNode(): Armed<H2Exchange> {
    return this.timer ??= new Armed<H2Exchange>(this, this)
  }

  private disarm(): void {
    const t = this.timer
    if (t !== undefined && t.list !== undefined) t.list.disarm(t)
  }

  /**
   * Opens the stream and sends the request. A session that cannot open a stream any more
   * (GOAWAY, closed, ids exhausted: Go's `ErrNoCachedConn`) fails the exchange as unprocessed.
   */
  start<E>(p: Prepared<E>, body: Body.Body<E>, runFork: RunFork): void {
    const s = this.session
    const length = Body.contentLength(body)
    const request = p.request
    const trailers = request.trailers !== undefined && request.trailers.size > 0 && body._tag !== "Empty" ? request.trailers : undefined
    const endStream = body._tag === "Empty" || (body._tag === "Bytes" && body.bytes.length === 0)
    let stream: ExStream
    try {
      stream = s.session.request(
        requestHeaders(p, length, trailers?.names().join(", ")),
        endStream ? END_STREAM : trailers !== undefined ? WITH_TRAILERS : WITH_BODY
      ) as ExStream
    } catch (e) {
      s.markGoingAway()
      this.settle(Effect.fail(failure("write", "closed", e instanceof Error ? e.message : String(e), { nothingWritten: true, unprocessed: true, cause: e })))
      return
    }
    s.opened()
    this.stream = stream
    stream[EX] = this
    stream.on("response", onResponse)
    stream.on("headers", onInformational)
    stream.on("continue", onContinue)
    stream.on("data", onData)
    stream.on("end", onEnd)
    stream.on("trailers", onTrailers)
    stream.on("error", onError)
    stream.on("close", onClose)
    if (trailers !== undefined) {
      stream.once("wantTrailers", () => {
        const t = new H2Fields()
        trailers.forEach((value, name) => addField(t, name, value))
        stream.sendTrailers(t)
      })
    }
    this.trace?.wroteHeaders?.()
    if (endStream) return this.wrote()
    // expectContinueTimeout 0 sends the body at once, as over HTTP/1.1.
    const expect = p.expectContinue && this.continueTimeoutMs > 0
    if (body._tag === "Bytes" && !expect) {
      stream.end(body.bytes)
      return this.wrote()
    }
    runFork(this.writeBody(body, length, expect ? this.continueTimeoutMs : -1))
  }

  /** The request was written: the head's timeout runs from here (Go's ResponseHeaderTimeout). */
  private wrote(): void {
    this.trace?.wroteRequest?.(undefined)
    const heads = this.timers.heads
    if (heads !== undefined && !this.settled && !this.closed) heads.arm(this.timerNode())
  }

  /** A streamed body, chunk by chunk, waiting for `'drain'` when the stream's buffer is full. */
  private writeBody<E>(body: Body.Body<E>, length: number | undefined, continueTimeoutMs: number): Effect.Effect<void> {
    const stream = this.stream!
    let written = 0
    // Expect: 100-continue: the body waits for 100 Continue, a final status (no body then), or
    // the timeout (sent anyway), as over HTTP/1.1.
    const go: Effect.Effect<boolean> = continueTimeoutMs < 0
      ? Effect.succeed(true)
      : Effect.async<boolean>((resume) => {
        if (this.continueAnswer !== undefined) return resume(Effect.succeed(this.continueAnswer))
        this.continueWaiter = (answer) => resume(Effect.succeed(answer))
        return Effect.sync(() => {
          this.continueWaiter = undefined
        })
      })
    const answered = continueTimeoutMs > 0 && Number.isFinite(continueTimeoutMs)
      ? Effect.timeoutTo(go, { duration: continueTimeoutMs, onTimeout: () => true, onSuccess: (b) => b })
      : go
    // A close instead of the drain is seen at the next chunk (`this.closed`).
    const waitDrain = Effect.asVoid(drainOrClose(stream))
    const program = Body.forEachChunk(body, (chunk): Effect.Effect<void, RequestBodyLengthMismatch | StreamClosed> => {
      // The stream is gone (reset, answered and closed, abandoned): stop reading the body.
      if (this.closed) return Effect.fail(STREAM_CLOSED)
      if (chunk.length === 0) return Effect.void
      written += chunk.length
      if (length !== undefined && written > length) return Effect.fail(new RequestBodyLengthMismatch({ declared: length, actual: written }))
      return stream.write(chunk) ? Effect.void : waitDrain
    }).pipe(
      Effect.flatMap(() =>
        length !== undefined && written !== length ? Effect.fail(new RequestBodyLengthMismatch({ declared: length, actual: written })) : Effect.void
      )
    )
    const whole = Effect.flatMap(answered, (send) => {
      if (!send) {
        this.bodySkipped = true
        return Effect.void
      }
      return body._tag === "Bytes"
        ? Effect.sync(() => {
          if (!this.closed) stream.end(body.bytes)
        })
        : program
    })
    return Effect.matchCause(whole, {
      onSuccess: () => {
        if (this.closed) return
        // A skipped body (a final status before 100 Continue) ends the stream with no data.
        if (!this.bodySkipped && body._tag === "Bytes") return this.wrote()
        stream.end()
        this.wrote()
      },
      onFailure: (cause) => {
        const error = Option.getOrUndefined(Cause.failureOption(cause))
        if (error === STREAM_CLOSED) return
        const detail = error instanceof Error ? error.message : error !== undefined ? "the request body failed" : "writing the request was interrupted"
        this.trace?.wroteRequest?.(detail)
        const f = error instanceof RequestBodyLengthMismatch
          ? failure("write", "invalid-request", detail, { cause: error })
          : error !== undefined
          ? failure("write", "invalid-request", detail, { bodyError: { error } })
          : failure("write", "closed", detail)
        this.settle(Effect.fail(f))
        this.fail(f)
        this.cancel()
      }
    })
  }

  /** The stream is reset (RST_STREAM CANCEL) unless it closed already; the session lives on. */
  cancel(): void {
    const stream = this.stream
    if (stream !== undefined && !this.closed && !stream.closed) stream.close(CANCEL)
  }

  /** The caller gave up (interrupted, or closed the body's Scope before its end). */
  abandon(): void {
    if (this.ended && this.closed) return
    this.abandoned = true
    this.disarm()
    if (!this.ended) this.cancel()
  }

  /** A deadline passed: the head's (the round trip fails) or the body's (its read fails); the stream is reset. */
  expired(_node: Armed<H2Exchange>, list: DeadlineList<H2Exchange>): void {
    if (this.closed) return
    if (list === this.timers.heads) {
      this.settle(Effect.fail(failure("awaiting-headers", "timeout", `no response head within ${list.timeoutMs} ms of writing the request`)))
    } else {
      this.timedOut = failure("reading-body", "timeout", `no byte of the response body came for ${list.timeoutMs} ms`)
    }
    this.cancel()
  }

  // -------------------------------------------------------------------------------------------
  // The response, from the stream's events

  /** The final head. */
  gotResponse(raw: http2.IncomingHttpHeaders, flags: number): void {
    this.session.lastRead = this.session.stampNow()
    this.disarm()
    const status = Number(raw[":status"])
    if (this.num1xx === 0) this.trace?.gotFirstResponseByte?.()
    this.answerContinue(false)
    const size = listSize(raw)
    if (size > this.session.maxHeaderListSize) {
      // Go: "http2: response header list larger than advertised limit".
      this.settle(Effect.fail(failure("awaiting-headers", "malformed", `the response head (${size} bytes) is larger than maxResponseHeaderBytes (${this.session.maxHeaderListSize} bytes)`)))
      this.cancel()
      return
    }
    const headers = toHeaders(raw)
    const cl = raw["content-length"]
    const length = cl === undefined ? -1 : Number(cl)
    const head = new ResponseHead(status, statusText(status), 2, 0, headers, length >= 0 ? "length" : "close", length, true, false)
    this.head = head
    if ((flags & END_STREAM_FLAG) !== 0) {
      this.settle(Effect.succeed(new CompleteDelivery(head, EMPTY, undefined)))
      return
    }
    // The body may end in this same read of the socket: Node emits its 'data' and 'end' after
    // the head but before the event loop's check phase. If it has not ended by then, the
    // caller gets the body as a stream (one setImmediate for all the heads of a turn).
    awaitingEnd.push(this)
    if (awaitingEnd.length === 1) setImmediate(deliverAwaiting)
  }

  /** @internal */
  deliverStreaming(): void {
    if (this.settled) return
    this.streaming = true
    this.settle(Effect.succeed(new StreamingDelivery(this.head!)))
  }

  gotInformational(raw: http2.IncomingHttpHeaders): void {
    const status = Number(raw[":status"])
    // 100 comes as 'continue' as well (gotContinue answers it).
    if (!(status > 100 && status < 200)) return
    if (this.num1xx === 0) this.trace?.gotFirstResponseByte?.()
    if (++this.num1xx > this.max1xx) {
      this.settle(Effect.fail(failure("awaiting-headers", "too-many-1xx", `more than ${this.max1xx} informational responses`)))
      this.cancel()
      return
    }
    this.trace?.got1xxResponse?.(status, toHeaders(raw))
  }

  gotData(chunk: Uint8Array): void {
    ;(this.chunks ??= []).push(chunk)
    this.bytes += chunk.length
    this.unread += chunk.length
    if (this.streaming) {
      this.wake()
      if (this.unread > HIGH_WATER && !this.paused) {
        this.paused = true
        this.stream!.pause()
      }
    }
  }

  gotEnd(): void {
    // Node ends the readable side of a reset stream too: a reset is not the body's end.
    if (this.stream!.rstCode !== 0 && this.stream!.rstCode !== undefined) return
    this.ended = true
    this.session.lastRead = this.session.stampNow()
    if (!this.settled && this.head !== undefined) {
      const chunks = this.chunks
      const body = chunks === undefined ? EMPTY : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.bytes)
      this.chunks = undefined
      this.unread = 0
      this.settle(Effect.succeed(new CompleteDelivery(this.head, body, this.trailers)))
      return
    }
    this.wake()
  }

  gotTrailers(raw: http2.IncomingHttpHeaders): void {
    const t = toHeaders(raw)
    const into = this.trailers
    if (into === undefined) this.trailers = t
    else t.forEach((value, name) => into.add(name, value))
  }

  /** The stream closed: its slot goes back to the session; a response cut short fails. */
  gotClose(): void {
    if (this.closed) return
    this.closed = true
    this.disarm()
    const stream = this.stream!
    this.session.streamClosed()
    this.answerContinue(false)
    if (this.ended) return
    const code = stream.rstCode
    if (this.head === undefined) {
      const s = this.session
      // Go's unprocessed streams: refused, or above the last id a GOAWAY said was processed, or
      // never sent: they never reached a handler, and are retried whatever the method.
      const id = stream.id
      const unprocessed = code === REFUSED_STREAM || id === undefined || (s.goawayLastId !== undefined && id > s.goawayLastId)
      const detail = this.error?.message ?? (code === 0 ? "the HTTP/2 stream closed before the response" : `the HTTP/2 stream was reset (code ${code})`)
      // A TLS 1.3 server refusing our certificate alerts after the handshake looked done (as on HTTP/1.1).
      const tlsCode = sslCodeOf(this.error)
      this.settle(Effect.fail(failure("awaiting-headers", tlsCode !== undefined ? "tls-failed" : code === 0 ? "closed" : "reset", detail, {
        nothingWritten: unprocessed,
        closedBeforeResponse: true,
        unprocessed,
        ...(tlsCode !== undefined ? { code: tlsCode } : {}),
        ...(this.error !== undefined ? { cause: this.error } : {})
      })))
      return
    }
    const f = this.timedOut ??
      (this.abandoned
        ? failure("reading-body", "closed", "the response body was abandoned")
        : failure("reading-body", code === 0 ? "closed" : "reset", this.error?.message ?? `the HTTP/2 stream was reset (code ${code}) before the end of the body`, {
          ...(this.error !== undefined ? { cause: this.error } : {})
        }))
    this.fail(f)
    this.settle(Effect.fail(f))
  }

  private fail(f: Failure): void {
    if (this.bodyFailure === undefined) this.bodyFailure = f
    this.wake()
  }

  private wake(): void {
    const w = this.waker
    if (w !== undefined) {
      this.waker = undefined
      w()
    }
  }

  private pullEffect: Pull<Failure> | undefined = undefined
  private waitEffect: Effect.Effect<void> | undefined = undefined

  /** The next chunk of a streamed body (in the caller's fiber); None at its end. Made on first use: a whole body never needs it. */
  get pull(): Pull<Failure> {
    return this.pullEffect ??= Effect.suspend(() => this.pullNow())
  }

  private pullNow(): Pull<Failure> {
    const chunks = this.chunks
    if (chunks !== undefined && this.read < chunks.length) {
      const chunk = chunks[this.read]!
      chunks[this.read++] = EMPTY
      if (this.read === chunks.length) {
        chunks.length = 0
        this.read = 0
      }
      this.unread -= chunk.length
      if (this.paused && this.unread <= HIGH_WATER / 4) {
        this.paused = false
        this.stream!.resume()
      }
      return Effect.succeed(chunk)
    }
    if (this.ended) return END_OF_BODY
    if (this.bodyFailure !== undefined) return Effect.fail(Option.some(this.bodyFailure))
    if (this.abandoned || this.closed) return Effect.fail(Option.some(failure("reading-body", "closed", "the response body was abandoned")))
    return Effect.flatMap(this.waitEffect ??= this.waitForBytes(), () => this.pull)
  }

  private waitForBytes(): Effect.Effect<void> {
    return Effect.async<void>((resume) => {
      const bodies = this.timers.bodies
      if (bodies !== undefined) bodies.arm(this.timerNode())
      this.waker = () => {
        this.disarm()
        resume(Effect.void)
      }
      return Effect.sync(() => {
        this.waker = undefined
        this.disarm()
      })
    })
  }
}

/** Exchanges whose head came without the body's end, in this turn of the event loop. */
let awaitingEnd: Array<H2Exchange> = []

function deliverAwaiting(): void {
  const list = awaitingEnd
  awaitingEnd = []
  for (let i = 0; i < list.length; i++) list[i]!.deliverStreaming()
}

// The listeners: `this` is the stream, which carries its exchange.

// A bug in a listener must not become an uncaught exception that leaves the caller waiting:
// the round trip dies with it (a defect) and the stream is reset.
/** The OpenSSL code of a TLS failure under the session (an alert from the server), if that is what `error` is. */
const sslCodeOf = (error: Error | undefined): string | undefined => {
  const code = (error as { readonly code?: unknown } | undefined)?.code
  return typeof code === "string" && code.startsWith("ERR_SSL_") ? code : undefined
}

const died = (ex: H2Exchange, error: unknown): void => {
  ex.die(error)
}

function onResponse(this: ExStream, headers: http2.IncomingHttpHeaders, flags: number): void {
  try {
    this[EX].gotResponse(headers, flags)
  } catch (e) {
    died(this[EX], e)
  }
}

function onContinue(this: ExStream): void {
  this[EX].gotContinue()
}

function onInformational(this: ExStream, headers: http2.IncomingHttpHeaders): void {
  try {
    this[EX].gotInformational(headers)
  } catch (e) {
    died(this[EX], e)
  }
}

function onData(this: ExStream, chunk: Buffer): void {
  this[EX].gotData(chunk)
}

function onEnd(this: ExStream): void {
  try {
    this[EX].gotEnd()
  } catch (e) {
    died(this[EX], e)
  }
}

function onTrailers(this: ExStream, headers: http2.IncomingHttpHeaders): void {
  try {
    this[EX].gotTrailers(headers)
  } catch (e) {
    died(this[EX], e)
  }
}

function onError(this: ExStream, error: Error): void {
  const ex = this[EX]
  if (ex.error === undefined) ex.error = error
}

function onClose(this: ExStream): void {
  try {
    this[EX].gotClose()
  } catch (e) {
    died(this[EX], e)
  }
}
