/**
 * One request and its response on a client connection (Go's `requestAndChan` and the flags of
 * `persistConn` that belong to one request), with its state named: what the read side has
 * seen ({@link Reading}), how far the request got ({@link Writing}), and what becomes of the
 * connection afterwards ({@link KeepAlive}), in the spirit of hyper's `proto/h1/conn.rs`.
 *
 * This module only holds the exchange's data and its one-shot answers (the head wait and the
 * 100-continue wait); the transitions are made by `PersistConn` (PersistConn.ts, and the request writer
 * through `wroteSome`/`bodySkipped`). It touches no socket, no parser and no pool.
 *
 * Each state is a small integer on the `Exchange` (no object per transition, see
 * ARCHITECTURE.md on pretenuring), and only the transitions below happen:
 *
 * ```
 * Reading (the response, as the read loop and then the caller's body pulls see it)
 *   Head ──1xx head──────────▶ Informational ──its end──▶ Head
 *   Head ──final head (or 101)──▶ Body
 *   Body ──end in the read loop, request written──▶ Done      (delivered Complete)
 *   Body ──end in the read loop, request not yet written──▶ Parsed   (an early response, buffered whole)
 *   Body ──end in the caller's pull──▶ Done     (delivered Streaming; written or not, see KeepAlive)
 *   Body ──101 end of head──▶ Done              (the socket is handed off)
 *   Parsed ──the caller pulled the last part──▶ Done
 *   Body ──the caller's pull failed (reset, malformed, abandoned)──▶ Failed (bodyFailure set)
 *   A failure before the delivery (malformed head or body, timeout, close, too many 1xx)
 *   leaves Reading where it was: the head wait's `outcome` carries it and KeepAlive goes to Close.
 *
 * Writing (the request, as the writer reports it)
 *   NotStarted ──first byte handed to the socket──▶ Writing
 *   Writing ──a final status came instead of 100 Continue──▶ SkippingBody
 *   NotStarted | Writing ──wrote──▶ Written
 *   SkippingBody ──wrote──▶ BodySkipped
 *   NotStarted | Writing ──writeFailed──▶ Failed
 *   Written, BodySkipped and Failed are final ("the write is done"); only Written allows reuse.
 *
 * KeepAlive (the connection's fate once the exchange is over)
 *   Busy ──response done, request written──▶ Reusable | Close   (by keep-alive, leftovers)
 *   Busy ──response done, request still being written──▶ EndedReusable | EndedClose
 *   EndedReusable ──wrote (Written)──▶ Reusable
 *   EndedReusable ──wrote (BodySkipped/Failed), 50 ms passed, or abandoned──▶ Close
 *   EndedClose ──wrote, 50 ms passed, or abandoned──▶ Close
 *   Busy ──failure, abandon, connection closed──▶ Close
 *   Busy ──101 Switching Protocols──▶ Detached
 *   Reusable, Close and Detached are final: the owner was told (`release`) exactly once, and
 *   Reusable only with Reading = Done, Writing = Written, no close asked by either side and the
 *   connection still open (else it becomes Close). A final state never changes: a body that
 *   ends after its connection was closed or abandoned leaves it as it is.
 * ```
 *
 * @module
 * @internal
 */
import type { Effect } from "effect"
import type { Headers } from "../domain/Headers.js"
import type { ResponseHead } from "../domain/http1/MessageHead.js"
import type { ClientTraceHooks } from "./ClientTrace.js"
import type { Armed } from "./deadlineList.js"
import type { Phase, TransportFailure } from "./errors.js"

/**
 * Why an exchange failed, with what the retry rule needs to know.
 *
 * @internal
 */
export interface Failure {
  readonly phase: Phase
  readonly reason: TransportFailure
  readonly code?: string
  readonly detail: string
  readonly cause?: unknown
  /** Not one byte of the request reached the socket. */
  readonly nothingWritten: boolean
  /** The server closed the connection before the first byte of a response. */
  readonly closedBeforeResponse: boolean
  /** The request body's own error (typed `E` of the request), boxed. */
  readonly bodyError?: { readonly error: unknown }
  /**
   * HTTP/2: the stream never reached the server's handler (REFUSED_STREAM, above a GOAWAY's
   * last stream id, or not opened at all: Go's unprocessed streams and `ErrNoCachedConn`); the
   * request is retried whatever its method.
   */
  readonly unprocessed?: boolean
}

/**
 * What the read loop delivers once a final response head arrived.
 *
 * @internal
 */
export type Delivery =
  /** The whole response arrived with its head; the connection is already released. */
  | { readonly _tag: "Complete"; readonly head: ResponseHead; readonly body: Uint8Array; readonly trailers: Headers | undefined }
  /** The body is still coming: pull it with `pullBody`. */
  | { readonly _tag: "Streaming"; readonly head: ResponseHead }
  /** 101 Switching Protocols: the socket is the caller's; `buffered` arrived after the head. */
  | { readonly _tag: "Upgrade"; readonly head: ResponseHead; readonly buffered: Uint8Array }

// The deliveries are classes, not literals, so that V8 never pretenures them (see PoolState).

/**
 * A `Complete` delivery.
 *
 * @internal
 */
export class CompleteDelivery {
  readonly _tag = "Complete"
  constructor(readonly head: ResponseHead, readonly body: Uint8Array, readonly trailers: Headers | undefined) {}
}

/**
 * A `Streaming` delivery.
 *
 * @internal
 */
export class StreamingDelivery {
  readonly _tag = "Streaming"
  constructor(readonly head: ResponseHead) {}
}

/**
 * An `Upgrade` delivery.
 *
 * @internal
 */
export class UpgradeDelivery {
  readonly _tag = "Upgrade"
  constructor(readonly head: ResponseHead, readonly buffered: Uint8Array) {}
}

/**
 * A failure with the retry facts defaulted to false.
 *
 * @internal
 */
export const failure = (
  phase: Phase,
  reason: TransportFailure,
  detail: string,
  extra: Partial<Omit<Failure, "phase" | "reason" | "detail">> = {}
): Failure => ({ phase, reason, detail, nothingWritten: false, closedBeforeResponse: false, ...extra })

/**
 * The response side of an exchange (see the module's transition table).
 *
 * @internal
 */
export const Reading = {
  /** Waiting for a response head (the first, or the next after a 1xx). */
  Head: 0,
  /** Inside an informational (1xx) response, whose end is skipped. */
  Informational: 1,
  /** A final head arrived; its body is in progress (gathered by the read loop or pulled by the caller). */
  Body: 2,
  /** The read loop parsed the whole response before the request was written (an early response). */
  Parsed: 3,
  /** The body was read to its end (or the socket handed off after 101). */
  Done: 4,
  /** Reading the body failed: `bodyFailure` says why. */
  Failed: 5
} as const

/** @internal */
export type Reading = (typeof Reading)[keyof typeof Reading]

/**
 * The request side of an exchange (see the module's transition table).
 *
 * @internal
 */
export const Writing = {
  /** Nothing handed to the socket yet. */
  NotStarted: 0,
  /** Some of the request was handed to the socket. */
  Writing: 1,
  /** A final status came instead of 100 Continue: the body will not be sent; the writer is finishing. */
  SkippingBody: 2,
  /** The whole request was written. */
  Written: 3,
  /** The head was written but the body deliberately not: the connection cannot be reused. */
  BodySkipped: 4,
  /** Writing failed: the connection cannot be reused. */
  Failed: 5
} as const

/** @internal */
export type Writing = (typeof Writing)[keyof typeof Writing]

/**
 * What becomes of the connection when the exchange is over (see the module's transition table).
 *
 * @internal
 */
export const KeepAlive = {
  /** The exchange holds the connection. */
  Busy: 0,
  /** The response ended and allows reuse; waiting (briefly) for the request write to end. */
  EndedReusable: 1,
  /** The response ended and does not allow reuse; waiting (briefly) for the request write to end. */
  EndedClose: 2,
  /** Released to the owner as reusable. */
  Reusable: 3,
  /** Released to the owner and closed. */
  Close: 4,
  /** Released to the owner as taken over by the caller (101 Switching Protocols). */
  Detached: 5
} as const

/** @internal */
export type KeepAlive = (typeof KeepAlive)[keyof typeof KeepAlive]

type Resume<A, E> = (effect: Effect.Effect<A, E>) => void

/**
 * One request and its response on a connection.
 *
 * @internal
 */
export class Exchange {
  /** Set while the caller waits for the head. */
  resume: Resume<Delivery, Failure> | undefined = undefined
  /** The delivery or failure, once known. */
  outcome: Effect.Effect<Delivery, Failure> | undefined = undefined
  /** The final response head, once parsed (Reading ≥ Body). */
  head: ResponseHead | undefined = undefined
  /** Body bytes parsed before the caller took over reading; made on the first chunk. */
  parts: Array<Uint8Array> | undefined = undefined
  partsRead = 0
  partsBytes = 0
  /** Informational responses seen. */
  num1xx = 0
  reading: Reading = Reading.Head
  writing: Writing = Writing.NotStarted
  keepAlive: KeepAlive = KeepAlive.Busy
  /** Waiting for 100 Continue: resumed with true (send the body) or false (do not). */
  continueWaiter: ((go: boolean) => void) | undefined = undefined
  /** The answer to the 100-continue wait if it came before anyone waited. */
  continueAnswer: boolean | undefined = undefined
  /** Why reading the body failed (Reading = Failed). */
  bodyFailure: Failure | undefined = undefined
  /** The deadline node of the head's and the body's timeouts (`PersistConn.timerOf`). */
  timer: Armed<Exchange> | undefined = undefined
  /** Why the body's read failed when its inactivity timeout ran out (it closed the connection). */
  timedOut: Failure | undefined = undefined
  /** Trailers of a streamed chunked body, filled at its end. */
  trailers: Headers | undefined = undefined
  /** The trailers of an early response (Reading = Parsed), added at the caller's end of body. */
  endTrailers: Headers | undefined = undefined

  constructor(
    readonly method: string,
    /** The request asked to close the connection afterwards (or keep-alives are off). */
    readonly closeAfter: boolean,
    readonly trace: ClientTraceHooks | undefined
  ) {}

  /** Any byte of the request handed to the socket (set by the writer before its first write). */
  get wroteSome(): boolean {
    return this.writing !== Writing.NotStarted
  }

  set wroteSome(value: boolean) {
    if (value && this.writing === Writing.NotStarted) this.writing = Writing.Writing
  }

  /** The body is not sent (a final status instead of 100 Continue): no reuse. */
  get bodySkipped(): boolean {
    return this.writing === Writing.SkippingBody || this.writing === Writing.BodySkipped
  }

  set bodySkipped(value: boolean) {
    if (value && this.writing <= Writing.Writing) this.writing = Writing.SkippingBody
  }

  /** The write is over: written whole, its body skipped, or failed. */
  get writeDone(): boolean {
    return this.writing >= Writing.Written
  }

  /** A byte of a response head arrived (Go's first-response-byte). */
  get firstByte(): boolean {
    return this.head !== undefined || this.num1xx > 0
  }

  /** The exchange is over for the connection (released to the owner). */
  get finished(): boolean {
    return this.keepAlive >= KeepAlive.Reusable
  }

  /** Settles the head wait, once. */
  settle(outcome: Effect.Effect<Delivery, Failure>): void {
    if (this.outcome !== undefined) return
    this.outcome = outcome
    const resume = this.resume
    if (resume !== undefined) {
      this.resume = undefined
      resume(outcome)
    }
  }

  /** Answers the 100-continue wait, once. */
  answerContinue(go: boolean): void {
    if (this.continueAnswer !== undefined) return
    this.continueAnswer = go
    const w = this.continueWaiter
    if (w !== undefined) {
      this.continueWaiter = undefined
      w(go)
    }
  }
}
