/**
 * One persistent client connection, as Go's `persistConn`: a read loop that parses what the
 * server sends, and the exchange (one request and its response) in progress.
 *
 * The read loop owns the socket's input while it waits for a response head. It completes the
 * exchange directly (no queue in between): a response whose body arrived with its head is
 * delivered whole, and the connection returns to the pool before the caller resumes. For a
 * longer body the read loop hands the socket's input to the caller's body stream and takes it
 * back when the body is done, as Go's readLoop waits on `waitForBodyRead`.
 *
 * While no exchange is in progress the read loop watches the idle connection: end of input
 * or an error removes it from the pool at once, and unsolicited bytes close it (they are never
 * parsed as the next response).
 *
 * The exchange's own states (reading, writing, keep-alive) and their transition table are in
 * `exchange.ts`; this module makes the transitions. The connection's one state of its own is
 * who reads its input (`Input`: the read loop, the caller's body, a 101's caller, or closed).
 * It touches the connection's socket (through `Conn`), its parser and its owner (the pool),
 * never the pool's state.
 *
 * `drive` (with `onHead`, `onEnd`) and `pullBody` are the per-response hot loops: they parse
 * synchronously over the Buffers that arrived and allocate nothing per event beyond the
 * delivery itself.
 *
 * @module
 * @internal
 */
import { Effect, Option } from "effect"
import type { Headers } from "../domain/Headers.js"
import type { ResponseHead } from "../domain/http1/MessageHead.js"
import { type ParsedBodySink, pullParsedBody } from "../domain/http1/bodyPull.js"
import { Event, Parser } from "../domain/http1/Parser.js"
import type { ParseError } from "../domain/errors.js"
import type { RawConn, Receiver } from "../net/Conn.js"
import type { ConnError } from "../net/errors.js"
import type { WriteBatch } from "../net/WriteBatch.js"
import type { Phase, TransportFailure } from "./errors.js"
import {
  CompleteDelivery,
  type Delivery,
  Exchange,
  type Failure,
  failure,
  KeepAlive,
  Reading,
  StreamingDelivery,
  UpgradeDelivery,
  Writing
} from "./exchange.js"
import type { Pull } from "./contentCoding.js"
import { type ConnTimers, type IdleHinted, keepAliveTimeoutMs } from "./connTimers.js"
import { Armed, type DeadlineList, type Expirable } from "./deadlineList.js"

/** The exchange's types, where the Transport has always found them (they live in `exchange.ts`). */
export { type Delivery, Exchange, type Failure }

/**
 * Who reads the connection's input: the read loop (push mode), the caller reading a body
 * (pull mode, in its fiber), the caller of a 101 (the socket is theirs), or nobody (closed).
 *
 * ```
 * Loop ──a final head with part of its body──▶ Caller ──the exchange released──▶ Loop
 * Loop | Caller ──101 Switching Protocols──▶ Detached
 * Loop | Caller | Detached ──close──▶ Closed (final)
 * ```
 */
const Input = { Loop: 0, Caller: 1, Detached: 2, Closed: 3 } as const
type Input = (typeof Input)[keyof typeof Input]

/** Go waits this long for a request write to finish after its response ended before giving up the connection. */
const MAX_WRITE_WAIT_BEFORE_REUSE_MS = 50

/**
 * The connection's fate as the owner hears it (the final KeepAlive states).
 *
 * @internal
 */
export type Outcome = "reusable" | "close" | "detached"

/**
 * What the pool does for a connection; the connection calls these, the pool decides.
 *
 * @internal
 */
export interface ConnOwner {
  /**
   * The exchange on `pc` is over (called once per exchange): `reusable` puts it back in the
   * pool, otherwise it is closed; `detached` takes it out of the pool without closing it (a
   * protocol switch: the caller owns the socket now). Returns why a reusable connection was
   * not kept idle (the pool's limits), or undefined when it was kept or handed to a waiter.
   */
  readonly release: (pc: PersistConn, outcome: Outcome) => string | undefined
  /** The server closed `pc`, or sent unsolicited bytes, while no exchange was in progress. */
  readonly idleClosed: (pc: PersistConn) => void
  /** `pc`'s socket was closed (by anyone): forget it. */
  readonly closed: (pc: PersistConn) => void
  /** Runs `f` after `millis` on the Transport's clock (a sleeping fiber). */
  readonly after: (millis: number, f: () => void) => void
}

const END_OF_BODY: Effect.Effect<never, Option.Option<never>> = Effect.fail(Option.none())

/** A body's parse error as a reason: the input ending inside it is the peer's close (`closed`), anything else `malformed`. */
const malformedOrClosed = (error: ParseError | undefined): TransportFailure =>
  error?._tag === "MalformedMessage" && error.reason === "unexpected-eof" ? "closed" : "malformed"

/** Disarms `ex`'s deadline, if one is armed. */
const disarm = (ex: Exchange): void => {
  const timer = ex.timer
  if (timer !== undefined && timer.list !== undefined) timer.list.disarm(timer)
}

/**
 * A connection of the pool, with its read loop.
 *
 * @internal
 */
export class PersistConn implements ParsedBodySink<Failure>, Expirable<Exchange>, IdleHinted {
  readonly parser: Parser<ResponseHead>
  /** The exchange in progress, if any. */
  ex: Exchange | undefined = undefined
  /** Who reads the socket's input now (see the module header). */
  private input: Input = Input.Loop
  /** The server ended or broke the connection while it was idle or just handed out. */
  peerGone: Failure | undefined = undefined
  /** How long the connection may stay idle after the last response, by the server's keep-alive hint (`ConnTimers.idleLimit`). */
  private idleLimitMs: number | undefined = undefined
  /** The node of that idle deadline, made when first armed. */
  private idleNode: Armed<IdleHinted> | undefined = undefined

  /** The socket was closed (by us, by the owner, or after the peer went away). */
  get closed(): boolean {
    return this.input === Input.Closed
  }

  constructor(
    readonly id: number,
    readonly key: string,
    readonly conn: RawConn,
    private readonly owner: ConnOwner,
    private readonly max1xx: number,
    maxHeaderBytes: number,
    /** The Transport's timers: the head's and the body's timeouts, the keep-alive hint's idle limit. */
    private readonly timers: ConnTimers,
    /** Whole requests go out through it, together with the Transport's other writes of this turn. */
    private readonly writes: WriteBatch
  ) {
    this.parser = Parser.response({ maxHeaderBytes })
  }

  // -------------------------------------------------------------------------------------------
  // The exchange, from the caller's side

  /**
   * Starts `ex` on this connection. Fails it at once when the server already closed the
   * connection (it is then retryable: nothing was written).
   */
  begin(ex: Exchange): boolean {
    if (this.closed || this.peerGone !== undefined) {
      const gone = this.peerGone ?? failure("write", "closed", "the connection was closed before the request was sent")
      ex.settle(Effect.fail({ ...gone, nothingWritten: true, closedBeforeResponse: true }))
      this.finish(ex, "close")
      return false
    }
    this.ex = ex
    this.parser.expect(ex.method)
    return true
  }

  /**
   * Writes a whole request in one socket write: a head alone as a latin1 string (no Buffer to
   * make), or a head with a small body as one Buffer, sent with the Transport's other writes of
   * this turn of the event loop (`WriteBatch`). The request counts as written once the
   * stream took it (Go: once the write returned), so a response that arrives during the write
   * itself (an in-memory peer answers synchronously) finds it written. A failing write
   * surfaces as the connection's error, which the read loop turns into the exchange's failure.
   */
  writeWhole(ex: Exchange, data: Uint8Array | string): void {
    ex.writing = Writing.Written
    this.writes.write(this.conn, data)
    ex.trace?.wroteHeaders?.()
    this.wrote(ex)
  }

  /** The request was fully written (or its body deliberately skipped). */
  wrote(ex: Exchange): void {
    ex.writing = ex.writing === Writing.SkippingBody || ex.writing === Writing.BodySkipped ? Writing.BodySkipped : Writing.Written
    ex.trace?.wroteRequest?.(undefined)
    // Go's ResponseHeaderTimeout: counted from the end of the write to the response head.
    const heads = this.timers.heads
    if (heads !== undefined && ex.outcome === undefined && !ex.finished) heads.arm(this.timerOf(ex))
    const k = ex.keepAlive
    if (k === KeepAlive.EndedReusable || k === KeepAlive.EndedClose) {
      this.finish(ex, k === KeepAlive.EndedReusable && ex.writing === Writing.Written ? "reusable" : "close")
    }
  }

  /**
   * Writing failed; `first`: the failing write was the first, so nothing reached the server.
   * `bodyError` boxes the request body's own error; `reason` says what kind of failure it was.
   */
  writeFailed(ex: Exchange, error: unknown, first: boolean, bodyError?: { readonly error: unknown }, reason: TransportFailure = "reset"): void {
    ex.writing = Writing.Failed
    const code = (error as Partial<ConnError> | null)?.code
    const detail = error instanceof Error ? error.message : bodyError !== undefined ? "the request body failed" : String(error)
    ex.trace?.wroteRequest?.(detail)
    const f = bodyError !== undefined
      ? failure("write", "invalid-request", detail, { bodyError })
      : failure("write", reason, detail, { nothingWritten: first, closedBeforeResponse: first, cause: error, ...(typeof code === "string" ? { code } : {}) })
    ex.settle(Effect.fail(f))
    this.abandon(ex)
  }

  /** Waits for 100 Continue, a final status (false) or the timeout (true, send anyway). */
  awaitContinue(ex: Exchange): Effect.Effect<boolean> {
    return Effect.async<boolean>((resume) => {
      if (ex.continueAnswer !== undefined) return resume(Effect.succeed(ex.continueAnswer))
      ex.continueWaiter = (go) => resume(Effect.succeed(go))
      return Effect.sync(() => {
        ex.continueWaiter = undefined
      })
    })
  }

  /**
   * The caller gave up on `ex` (interrupted, timed out, or closed the body's Scope before its
   * end): unless the exchange is over already, the connection is closed.
   */
  abandon(ex: Exchange): void {
    if (ex.finished) return
    this.finish(ex, "close")
  }

  /**
   * Pulls the next chunk of a streamed body (in the caller's fiber): the parts the read loop
   * parsed, then more input from the socket. At the end the connection is released.
   */
  readonly pullBody = (ex: Exchange): Pull<Failure> =>
    Effect.suspend((): Pull<Failure> => {
      const parts = ex.parts
      if (parts !== undefined && ex.partsRead < parts.length) {
        const part = parts[ex.partsRead]!
        parts[ex.partsRead++] = undefined as unknown as Uint8Array
        return Effect.succeed(part)
      }
      const r = ex.reading
      if (r === Reading.Done) return END_OF_BODY
      if (r === Reading.Failed) return Effect.fail(Option.some(ex.bodyFailure!))
      if (r === Reading.Parsed) {
        this.addTrailers(ex, ex.endTrailers)
        ex.reading = Reading.Done
        this.responseEnded(ex)
        return END_OF_BODY
      }
      if (ex.finished) return this.bodyFails(ex, failure("reading-body", "closed", "the response body was abandoned"))
      // The shared body pull (domain/http1/bodyPull.ts), with this connection as its sink for
      // `ex`: the dispatch is synchronous, so `pulling` is `ex` while a sink method runs.
      this.pulling = ex
      const step = pullParsedBody(this.parser, this)
      this.pulling = undefined
      return step
    })

  /** The exchange whose body `pullParsedBody` is pulling (set just before it runs). */
  private pulling: Exchange | undefined = undefined

  /** A chunk of the body, as it is. */
  bodyChunk(chunk: Uint8Array): Pull<Failure> {
    return Effect.succeed(chunk)
  }

  /** The end of the body: its trailers kept, the response ended (the connection released when the write is done). */
  bodyEnd(trailers: Headers | undefined): Effect.Effect<never, Option.Option<Failure>> {
    const ex = this.pulling!
    this.addTrailers(ex, trailers)
    ex.reading = Reading.Done
    this.responseEnded(ex)
    return END_OF_BODY
  }

  /** More of the body from the socket (within the body's inactivity timeout), then the next pull. */
  bodyNeedsMore(): Pull<Failure> {
    const ex = this.pulling!
    const p = this.parser
    const bodies = this.timers.bodies
    if (bodies !== undefined) bodies.arm(this.timerOf(ex))
    return Effect.matchEffect(this.conn.read, {
      onFailure: (e) => {
        disarm(ex)
        return this.bodyFails(ex, ex.timedOut ?? failure("reading-body", "reset", e.detail, { code: e.code, cause: e }))
      },
      onSuccess: (o) => {
        disarm(ex)
        if (Option.isNone(o)) {
          if (this.closed && ex.finished) return this.bodyFails(ex, ex.timedOut ?? failure("reading-body", "closed", "the response body was abandoned"))
          p.finish()
        } else p.feed(o.value)
        return this.pullBody(ex)
      }
    })
  }

  /** `ex`'s deadline node (made on first need; the head's and the body's timeouts take turns on it). */
  private timerOf(ex: Exchange): Armed<Exchange> {
    return ex.timer ??= new Armed<Exchange>(this, ex)
  }

  /** A deadline of `node`'s exchange passed: the head's (the exchange fails) or the body's (its read fails); the connection closes. */
  expired(node: Armed<Exchange>, list: DeadlineList<Exchange>): void {
    const ex = node.subject
    if (ex.finished) return
    if (list === this.timers.heads) {
      if (ex.outcome !== undefined) return
      ex.settle(Effect.fail(failure("awaiting-headers", "timeout", `no response head within ${list.timeoutMs} ms of writing the request`)))
    } else {
      ex.timedOut = failure("reading-body", "timeout", `no byte of the response body came for ${list.timeoutMs} ms`)
    }
    this.finish(ex, "close")
  }

  /** The body is malformed: the exchange fails, the connection is closed. */
  bodyMalformed(error: ParseError | undefined): Effect.Effect<never, Option.Option<Failure>> {
    return this.bodyFails(this.pulling!, failure("reading-body", malformedOrClosed(error), error?.message ?? "malformed body", { cause: error })) as Effect.Effect<never, Option.Option<Failure>>
  }

  /** The connection ended with no body to read. */
  bodyMissing(): Effect.Effect<never, Option.Option<Failure>> {
    return this.bodyFails(this.pulling!, failure("reading-body", "closed", "the connection ended before the response body")) as Effect.Effect<never, Option.Option<Failure>>
  }

  private addTrailers(ex: Exchange, trailers: Headers | undefined): void {
    const into = ex.trailers
    if (trailers !== undefined && into !== undefined) trailers.forEach((value, name) => into.add(name, value))
  }

  private bodyFails(ex: Exchange, f: Failure): Pull<Failure> {
    ex.reading = Reading.Failed
    ex.bodyFailure = f
    this.abandon(ex)
    return Effect.fail(Option.some(f))
  }

  // -------------------------------------------------------------------------------------------
  // The read loop

  /**
   * The read loop's fiber, one per connection, running until the connection closes or is
   * handed off (101); interrupting it (the Transport shutting down) closes the connection.
   * Its body runs in push mode (`Conn.receive`): each chunk is parsed synchronously as it
   * arrives, so a response costs no fiber wake-up, and the exchange's caller is resumed
   * directly. While the caller reads a body the input is in pull mode, in the caller's fiber.
   */
  readonly readLoop: Effect.Effect<void> = Effect.async<void>((resume) => {
    if (this.input >= Input.Detached) return resume(Effect.void)
    this.loopDone = () => resume(Effect.void)
    this.conn.receive(this.receiver)
    return Effect.sync(() => this.close())
  })

  private loopDone: (() => void) | undefined = undefined

  private readonly receiver: Receiver = {
    onData: (chunk) => this.onData(chunk),
    onEnd: () => this.onInputEnd(failure("awaiting-headers", "closed", "the server closed the connection before answering")),
    // An OpenSSL error (ERR_SSL_...) is TLS failing after the handshake: under TLS 1.3 a
    // server's refusal of our client certificate arrives so, as an alert on the first read.
    onError: (e) => this.onInputEnd(failure("awaiting-headers", e.code.startsWith("ERR_SSL_") ? "tls-failed" : "reset", e.detail, { code: e.code, cause: e }))
  }

  private endLoop(): void {
    const done = this.loopDone
    if (done !== undefined) {
      this.loopDone = undefined
      done()
    }
  }

  private onData(chunk: Uint8Array): void {
    if (this.closed) return
    const ex = this.ex
    if (ex === undefined || ex.outcome !== undefined) {
      // Nobody asked for these bytes (Go: "Unsolicited response received on idle HTTP channel").
      this.peerGone = failure("awaiting-headers", "closed", "the server sent bytes on an idle connection")
      this.owner.idleClosed(this)
      this.close()
      return
    }
    this.parser.feed(chunk)
    if (this.drive(ex) === "body") {
      // The caller reads the body, pulling input in its own fiber.
      this.input = Input.Caller
      this.conn.receive(undefined)
    }
  }

  /** End of input or a read error while the read loop owns the input. */
  private onInputEnd(f: Failure): void {
    if (this.closed) return
    const ex = this.ex
    if (ex === undefined || ex.outcome !== undefined) {
      this.peerGone = f
      this.owner.idleClosed(this)
      this.close()
      return
    }
    if (ex.firstByte) {
      this.parser.finish()
      const r = this.drive(ex)
      if (ex.outcome !== undefined || r !== "more") return
      ex.settle(Effect.fail(failure("awaiting-headers", f.reason, "the connection ended inside the response head", f)))
    } else {
      ex.settle(Effect.fail({ ...f, closedBeforeResponse: true }))
    }
    this.finish(ex, "close")
  }

  /**
   * Parses what the read loop was fed for `ex`. "more": keep reading; "body": the caller reads
   * the body now; "stop": the read loop ends (the exchange failed, or the socket was handed off).
   */
  private drive(ex: Exchange): Drive {
    const p = this.parser
    for (;;) {
      switch (p.next()) {
        case Event.NeedMore: {
          const head = ex.head
          if (head === undefined) return "more"
          // A final head and part of its body: the caller reads the rest.
          ex.settle(Effect.succeed(new StreamingDelivery(head)))
          return "body"
        }
        case Event.Head: {
          if (!this.onHead(ex)) return "stop"
          continue
        }
        case Event.Body:
          ;(ex.parts ??= new Array<Uint8Array>()).push(p.chunk)
          ex.partsBytes += p.chunk.length
          continue
        case Event.End: {
          const r = this.onEnd(ex)
          if (r === undefined) continue
          return r
        }
        case Event.Detached: {
          const head = ex.head!
          const buffered = p.takeBuffered()
          ex.reading = Reading.Done
          ex.settle(Effect.succeed(new UpgradeDelivery(head, buffered)))
          this.finish(ex, "detached")
          return "stop"
        }
        case Event.Error: {
          const error = p.error!
          const phase: Phase = ex.head === undefined ? "awaiting-headers" : "reading-body"
          ex.settle(Effect.fail(failure(phase, phase === "reading-body" ? malformedOrClosed(error) : "malformed", error.message, { cause: error })))
          this.finish(ex, "close")
          return "stop"
        }
        default: {
          // Eof: the input ended cleanly between messages, before any response.
          ex.settle(Effect.fail(failure("awaiting-headers", "closed", "the server closed the connection before answering", { closedBeforeResponse: !ex.firstByte })))
          this.finish(ex, "close")
          return "stop"
        }
      }
    }
  }

  /** A response head was parsed: Head → Informational (1xx) or Body. False: the exchange failed (too many 1xx). */
  private onHead(ex: Exchange): boolean {
    const head = this.parser.head
    if (!ex.firstByte) ex.trace?.gotFirstResponseByte?.()
    if (head.status < 200 && head.status !== 101) {
      ex.reading = Reading.Informational
      if (++ex.num1xx > this.max1xx) {
        ex.settle(Effect.fail(failure("awaiting-headers", "too-many-1xx", `more than ${this.max1xx} informational responses`)))
        this.finish(ex, "close")
        return false
      }
      // Go 1.24: unless a trace hook sees them, the interim heads count against the final head's limit.
      this.parser.carryHeadBytes(ex.trace?.got1xxResponse === undefined ? this.parser.headBytes : 0)
      if (head.status === 100) {
        ex.trace?.got100Continue?.()
        ex.answerContinue(true)
      } else ex.trace?.got1xxResponse?.(head.status, head.headers)
      return true
    }
    ex.head = head
    ex.reading = Reading.Body
    if (ex.num1xx > 0) this.parser.carryHeadBytes(0)
    disarm(ex)
    this.idleLimitMs = this.timers.idleLimit(keepAliveTimeoutMs(head.headers))
    // A final status before 100 Continue: the body is not sent (Go's `continueCh <- false`).
    ex.answerContinue(false)
    return true
  }

  /** A message ended: a 1xx (back to Head), a 101 (Detached follows), or the response (undefined: go on parsing). */
  private onEnd(ex: Exchange): Drive | undefined {
    if (ex.reading === Reading.Informational) {
      ex.reading = Reading.Head
      return undefined
    }
    const head = ex.head!
    if (head.status === 101) return undefined // Detached follows
    const p = this.parser
    if (!ex.writeDone) {
      // An early response, complete while the request is still being written: the caller
      // gets it as a stream (already buffered) and the connection waits for the write
      // from the caller's end of body on, as Go's readLoop does after waitForBodyRead.
      ex.reading = Reading.Parsed
      ex.endTrailers = p.trailers
      ex.settle(Effect.succeed(new StreamingDelivery(head)))
      return "more"
    }
    const parts = ex.parts
    const body = parts === undefined ? EMPTY : parts.length === 1 ? parts[0]! : Buffer.concat(parts, ex.partsBytes)
    ex.parts = undefined
    ex.reading = Reading.Done
    // Settling schedules the caller's fiber; the release below happens before it runs, so
    // its next request can reuse the connection.
    ex.settle(Effect.succeed(new CompleteDelivery(head, body, p.trailers)))
    this.responseEnded(ex)
    return this.closed ? "stop" : "more"
  }

  /**
   * The response was read to its end (Reading = Done): release the connection (reusable when
   * neither side asked to close, nothing is left over, and the request was written whole).
   */
  private responseEnded(ex: Exchange): void {
    if (ex.finished) return // released already (closed or abandoned while the caller read)
    const head = ex.head!
    const reusable = head.keepAlive && !ex.closeAfter && !ex.bodySkipped && this.parser.buffered === 0
    if (!ex.writeDone) {
      // An early response: the connection waits for the write, but not for long.
      ex.keepAlive = reusable ? KeepAlive.EndedReusable : KeepAlive.EndedClose
      this.owner.after(MAX_WRITE_WAIT_BEFORE_REUSE_MS, () => this.abandon(ex))
      return
    }
    this.finish(ex, reusable && ex.writing !== Writing.Failed ? "reusable" : "close")
  }

  /** Ends `ex` for the connection, once: releases it to the owner and takes the input back. */
  private finish(ex: Exchange, outcome: Outcome): void {
    if (ex.finished) return
    disarm(ex)
    // The server's keep-alive hint leaves no time to reuse the connection safely.
    if (outcome === "reusable" && this.idleLimitMs === 0) outcome = "close"
    if (this.closed && outcome === "reusable") outcome = "close"
    ex.keepAlive = outcome === "reusable" ? KeepAlive.Reusable : outcome === "close" ? KeepAlive.Close : KeepAlive.Detached
    if (this.ex === ex) this.ex = undefined
    this.parser.forgetMessage()
    if (ex.outcome === undefined) {
      ex.settle(Effect.fail(failure("awaiting-headers", "closed", "the connection was closed", { closedBeforeResponse: !ex.firstByte })))
    }
    ex.answerContinue(false)
    if (outcome === "detached") {
      this.input = Input.Detached
      this.conn.receive(undefined)
      this.endLoop()
    } else if (this.input === Input.Caller) {
      // Back to the read loop before the connection can be handed out again: input that came
      // after the body is unsolicited and closes the connection here, never reaching the next
      // exchange.
      this.input = Input.Loop
      this.conn.receive(this.receiver)
    }
    // Taking the input back may have closed the connection (unsolicited bytes were waiting).
    if (this.closed && outcome === "reusable") outcome = "close"
    if (outcome === "close") {
      ex.keepAlive = KeepAlive.Close
      this.close()
    }
    const notKept = this.owner.release(this, outcome)
    if (outcome === "reusable") {
      const limit = this.idleLimitMs
      if (notKept === undefined && limit !== undefined && !this.closed) {
        if (!this.timers.armIdle(this.idleNode ??= this.timers.idleNode(this), limit)) this.owner.idleClosed(this)
      }
      ex.trace?.putIdleConn?.(notKept)
    }
  }

  /** The server's keep-alive hint ran out (less the margin): closed if still idle in the pool. */
  hintExpired(): void {
    if (!this.closed && this.ex === undefined) this.owner.idleClosed(this)
  }

  /** Closes the socket (once), fails the exchange in progress, and tells the owner. */
  close(): void {
    if (this.input === Input.Closed) return
    this.input = Input.Closed
    const node = this.idleNode
    if (node !== undefined && node.list !== undefined) node.list.disarm(node)
    // The socket is gone before the owner hears of it.
    this.conn.closeNow()
    const ex = this.ex
    if (ex !== undefined) this.finish(ex, "close")
    this.owner.closed(this)
    this.endLoop()
  }
}

/** What the read loop does after parsing: keep reading, hand the input to the caller's body, or end. */
type Drive = "more" | "body" | "stop"

const EMPTY = new Uint8Array(0)
