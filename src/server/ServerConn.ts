/**
 * One accepted connection and its serve loop (Go's `conn.serve`): read a request head, run
 * the handler inline in this fiber, write the response, drain what is left of the request
 * body, and go on with the next request, until either side closes. Pipelined requests come
 * out of the parser one after the other and are answered in order.
 *
 * The loop's state is `phase` (`Phase` in `connStates.ts`, with its transition table; every
 * move goes through `enter`). The jobs around it live in their own modules, each owned by
 * this one: `ConnInput` (push-mode input, pause/resume), `BodyReader` (the body's reads and
 * drains, its `BodyRead` state), `Deadlines` (timeouts the reaper judges), `writeResponse`
 * (heads, bodies, interim responses), `RequestBody` (the per-request handle) and `rawSocket`
 * (the raw socket operations, functions over the connection's `RawConn`).
 *
 * Idle keep-alive connections park: the reaper asks one idle since its last tick to give up
 * its fiber (`park`), and the next input, or the input's end, starts a new one (`host.start`),
 * so an idle connection costs no fiber's memory. A parked connection also drops its
 * `BodyReader`, the handler's continuations (`after`) and its exchange's deadlines: all are
 * made again on the first request after it wakes. It keeps its `ConnInput` (the parser's
 * buffers released) and the head's deadline (the idle timeout runs while parked).
 *
 * May touch: everything of one connection; the server only through `ConnHost`.
 *
 * @module
 * @internal
 */
import { Cause, type Clock, Context, Effect, Exit, type Fiber, LogLevel, Option, type Scope } from "effect"
import type { Headers } from "../domain/Headers.js"
import type { RequestHead } from "../domain/http1/MessageHead.js"
import { Event } from "../domain/http1/Parser.js"
import * as Status from "../domain/Status.js"
import type { RawConn, Receiver } from "../net/Conn.js"
import type { ConnError } from "../net/errors.js"
import type { WriteBatch } from "../net/WriteBatch.js"
import { BodyReader, MAX_POST_HANDLER_READ_BYTES } from "./bodyReader.js"
import { cannedReply, failureReply, headOnly, headProblem, parseErrorReply } from "./cannedReplies.js"
import type { ConnInfo, ConnState, ResolvedServerConfig } from "./config.js"
import { ConnInput } from "./connInput.js"
import { BodyRead, Phase } from "./connStates.js"
import { Deadlines } from "./deadlines.js"
import { HijackError, InterimResponseError, InvalidStatusError, RequestBodyError, ServerTimeoutError } from "./errors.js"
import { clientAbortFiberId, type Handler } from "./Handler.js"
import * as RawSocket from "./rawSocket.js"
import { BODY_ENDED, BODY_OPEN, BODY_OVER, type Exchanges, RequestBody } from "./RequestBody.js"
import { type DateCache, validStatus } from "./responseWriter.js"
import { type Hijacked, ServerRequest, validTargetEscapes } from "./ServerRequest.js"
import type { ServerResponse } from "./ServerResponse.js"
import { respond, type ResponseConn, writeInterim } from "./writeResponse.js"
import { startsPreface } from "./h2/preface.js"
import type { ServedConn } from "./shutdown.js"

export {
  /** @internal */
  MAX_POST_HANDLER_READ_BYTES
} from "./bodyReader.js"

/**
 * What the server shares with each of its connections.
 *
 * @internal
 */
export interface ConnHost {
  readonly config: ResolvedServerConfig
  /** The handler, its requirements already in the fibers' context. */
  readonly handler: Handler<unknown, never>
  readonly clock: Clock.Clock
  readonly dates: DateCache
  /** Answers written whole go out together after the turn (`writeResponse.ts`). */
  readonly writes: WriteBatch
  readonly scheme: "http" | "https"
  /** Whether a graceful shutdown has begun: answer with `Connection: close`, close when idle. */
  readonly shuttingDown: () => boolean
  /** Whether a graceful shutdown has begun, its `shutdownDelay` included: answer with `Connection: close`. */
  readonly notReady: () => boolean
  /** The connection's fiber ended. */
  readonly forget: (conn: ServedConn) => void
  /** Runs `conn.resume` in a new fiber of the server's (a parked connection got input, or must close). */
  readonly start: (conn: ServerConn) => void
  /** Runs `effect` in a new fiber of the server's, with a connection's `services` (an HTTP/2 stream's handler). */
  readonly fork: (effect: Effect.Effect<void>, services: Context.Context<never> | undefined) => Fiber.RuntimeFiber<void, never>
  /**
   * `conn`'s first bytes (`taken`) chose HTTP/2 (ALPN `h2`, or the prior-knowledge preface):
   * serve it as an HTTP/2 connection from now on. Undefined when the server speaks only HTTP/1.x.
   */
  readonly handOver: ((conn: ServerConn, taken: Uint8Array) => void) | undefined
}

/** Go's `rstAvoidanceDelay`: after the last reply, how long to wait for the client's close (the reaper's tick may add to it). */
const LINGER_MS = 500

// pollHead's answers besides a head.
const NEED = 0
const EOF = 1
const FAILED = 2

const VOID = Effect.void
const END_OF_BODY: Effect.Effect<never, Option.Option<never>> = Effect.fail(Option.none())

/** The handler's continuations (`ServerConn.afterHandler`). */
interface AfterHandler {
  readonly onSuccess: (response: ServerResponse<unknown>) => Effect.Effect<void>
  readonly onFailure: (cause: Cause.Cause<unknown>) => Effect.Effect<void>
}

const consumed = new RequestBodyError({
  reason: "consumed",
  detail: "the body was read after its exchange ended (the server drained or dropped what was left of it)"
})

/**
 * A connection being served (see the module's description).
 *
 * @internal
 */
export class ServerConn implements Receiver, Exchanges, ResponseConn, ServedConn {
  /** What the serve loop is doing (moves only through `enter`). */
  private phase: Phase = Phase.WAITING
  /** Park at the next wait for a head with nothing buffered (the reaper asked). */
  private parkWanted = false
  /** `served` when the reaper last saw the connection idle; -1 when it was not. */
  private idleSeen = -1
  private served = 0
  private fiber: Fiber.RuntimeFiber<void, never> | undefined = undefined
  /** The services `connContext` gave this connection, provided again to a resumed fiber. */
  connServices: Context.Context<never> | undefined = undefined
  /** The current request's head. */
  head: RequestHead | undefined = undefined
  readonly input: ConnInput
  readonly deadlines: Deadlines
  /** The body reader, made on the first request after the fiber started (see `body`); none while parked. */
  private reader: BodyReader | undefined = undefined
  /** What runs after the handler, made with the reader and dropped with it (see `afterHandler`). */
  private after: AfterHandler | undefined = undefined
  /** The loop's next step (`loop`), made once until the connection parks. */
  private next: Effect.Effect<void> | undefined = undefined

  constructor(
    readonly info: ConnInfo,
    readonly conn: RawConn,
    readonly host: ConnHost
  ) {
    this.input = new ConnInput(conn, host.config.maxHeaderBytes)
    this.deadlines = new Deadlines(host.config)
  }

  /** The current request's body reader (made here when a parked connection's request is its first since). */
  get body(): BodyReader {
    return this.reader ??= new BodyReader(this)
  }

  /** Every move of `phase` (the legal ones: `PHASE_MOVES`; the state test spies on this). */
  private enter(to: Phase): void {
    this.phase = to
  }

  // -------------------------------------------------------------------------------------------
  // Input, pushed by the Conn (synchronously from the socket's events)

  /** A chunk arrived: parse it, then wake the loop, or a parked connection's new fiber. */
  onData(chunk: Uint8Array): void {
    if (this.phase >= Phase.HIJACKED) return
    // The first bytes decide the protocol, when the server speaks HTTP/2 too.
    if (this.input.bytesIn === 0 && this.host.handOver !== undefined && this.phase === Phase.WAITING) {
      if (h2Chosen(this.conn, chunk, this.host.config)) {
        this.enter(Phase.HIJACKED)
        this.deadlines.stopExchange()
        this.conn.receive(undefined)
        this.host.handOver(this, chunk)
        // The loop sees the hand-over and ends without closing (`finish`).
        this.input.wakeAll()
        return
      }
      if (!this.host.config.http1) return RawSocket.destroy(this.conn) // HTTP/1.x is off
    }
    this.input.feed(chunk)
    if (this.phase === Phase.PARKED) {
      this.enter(Phase.WAITING)
      this.host.start(this)
      return
    }
    this.input.wakeOrHold()
  }

  /** The client ended its side. */
  onEnd(): void {
    this.inputEnded()
  }

  /** The socket failed: the input ends with `error`. */
  onError(error: ConnError): void {
    this.input.readFailure = error
    this.inputEnded()
  }

  private inputEnded(): void {
    const input = this.input
    if (!input.end()) return
    if (this.phase === Phase.PARKED) {
      // Idle without a fiber: start one to see the end and close.
      this.enter(Phase.WAITING)
      this.host.start(this)
      return
    }
    input.wakeAll()
    // The client went away while its handler runs: interrupt it (Go cancels the request's
    // context; node:http aborts it). Requests pipelined before a half-close are still answered,
    // and a half-close before the body ended fails the body's read ("truncated", answered 400)
    // rather than the handler: the client may still read the answer (Go reads EOF in the body).
    if (this.phase === Phase.HANDLING && (input.readFailure !== undefined || this.body.done && input.parser.buffered === 0)) {
      this.fiber?.unsafeInterruptAsFork(clientAbortFiberId)
    }
  }

  // -------------------------------------------------------------------------------------------
  // The serve loop

  /** Serves the connection until it closes or parks; never fails. */
  get serve(): Effect.Effect<void> {
    return Effect.withFiberRuntime<void>((fiber) => {
      this.fiber = fiber as Fiber.RuntimeFiber<void, never>
      this.conn.receive(this)
      return Effect.onExit(Effect.zipRight(this.state("New"), this.beginWait(true)), (exit) => this.finish(exit, fiber))
    })
  }

  /** The serve loop again, in a new fiber, after the connection was parked. */
  get resume(): Effect.Effect<void> {
    const resumed = Effect.withFiberRuntime<void>((fiber) => {
      this.fiber = fiber as Fiber.RuntimeFiber<void, never>
      return Effect.onExit(this.nextRequest(), (exit) => this.finish(exit, fiber))
    })
    const services = this.connServices
    return services === undefined ? resumed : Effect.mapInputContext(resumed, (own: Context.Context<never>) => Context.merge(own, services))
  }

  private get loop(): Effect.Effect<void> {
    return this.next ??= Effect.suspend(() => this.nextRequest())
  }

  private state(state: ConnState): Effect.Effect<void> {
    const hook = this.host.config.connState
    return hook === undefined ? VOID : hook(this.info, state)
  }

  /**
   * Waits for the next request head: the first within readHeaderTimeout, later ones within
   * idleTimeout (from `now`, a clock reading just taken, if the caller has one).
   */
  private beginWait(first: boolean, now = this.host.clock.unsafeCurrentTimeMillis()): Effect.Effect<void> {
    // Input queued before the loop started (after a PROXY header, or an accept backlog) may
    // have chosen HTTP/2 already, in `serve`'s `receive`: the loop ends at once (`finish`).
    if (first && this.phase === Phase.HIJACKED) return VOID
    this.enter(Phase.WAITING)
    this.deadlines.waitHead(now, first)
    if (this.host.shuttingDown() && this.input.parser.buffered === 0) return this.closeNow
    if (this.host.config.connState === undefined) return first ? this.loop : this.nextRequest()
    return first ? this.loop : Effect.zipRight(this.state("Idle"), this.loop)
  }

  private pollHead(): RequestHead | typeof NEED | typeof EOF | typeof FAILED {
    const parser = this.input.parser
    for (;;) {
      const ev = parser.next()
      switch (ev) {
        case Event.Head:
          return parser.head
        case Event.NeedMore:
          return this.input.eof ? EOF : NEED
        case Event.Error:
          return FAILED
        case Event.Body:
        case Event.End:
          continue // the rest of a body nobody read (drained already, or closing)
        default:
          return EOF
      }
    }
  }

  private nextRequest(): Effect.Effect<void> {
    if (this.phase === Phase.HIJACKED) return VOID // handed over to HTTP/2
    const r = this.pollHead()
    if (typeof r !== "number") return this.handle(r)
    const input = this.input
    if (r === NEED) {
      input.resumeIfDrained()
      // The next request began: from now on its head must arrive within readHeaderTimeout.
      if (this.deadlines.idle && input.parser.buffered > 0) this.deadlines.headBegan(this.host.clock.unsafeCurrentTimeMillis())
      if (this.parkNow()) return VOID
      return input.awaitInput(this.loop)
    }
    if (r === EOF || this.deadlines.expired !== undefined || input.eof) return this.closeNow
    return this.replyAndClose(parseErrorReply(input.parser.error!), false)
  }

  private handle(head: RequestHead): Effect.Effect<void> {
    const config = this.host.config
    const body = this.body
    body.closeHandle()
    this.head = head
    const exchange = new RequestBody(this)
    body.begin(head, exchange)
    this.deadlines.startExchange(this.host.clock, !body.done)
    this.served++

    const headers = head.headers
    let hostField: string | undefined = undefined
    let hosts = 0
    let expect: string | undefined = undefined
    for (let i = 0, n = headers.size; i < n; i++) {
      const name = headers.nameAt(i)
      if (name === "Host") {
        hosts++
        hostField ??= headers.valueAt(i)
      } else if (name === "Expect") expect ??= headers.valueAt(i)
    }
    const problem = headProblem(head.versionMinor, head.method, hosts, hostField, expect)
    if (problem !== undefined) return this.replyAndClose(problem)
    // Go's readRequest parses the target with url.ParseRequestURI: a bad %-escape is a 400.
    if (!validTargetEscapes(head)) return this.replyAndClose(cannedReply(Status.BadRequest, "invalid URI escape"))
    if (head.contentLength > config.maxBodyBytes) return this.replyAndClose(cannedReply(Status.RequestEntityTooLarge))
    body.continuePending = expect !== undefined && head.versionMinor >= 1 && !body.done

    const request = new ServerRequest(head, head.targetForm === "absolute" ? authorityOf(head.target) : hostField ?? "", this.host.scheme, this.info, exchange)
    this.enter(Phase.HANDLING)
    const run = Effect.matchCauseEffect(this.host.handler(request), this.after ??= this.afterHandler())
    return config.connState === undefined ? run : Effect.zipRight(this.state("Active"), run)
  }

  /** The handler's continuations: closures over this connection, made once until it parks (not per request). */
  private afterHandler(): AfterHandler {
    return {
      onSuccess: (response: ServerResponse<unknown>): Effect.Effect<void> => {
        if (this.phase === Phase.HIJACKED) return VOID
        this.enter(Phase.WRITING)
        // Go's WriteHeader panics on a status outside 100..999: a bug of the handler's, a 500.
        if (!validStatus(response.status)) {
          this.body.closeHandle()
          return this.failed(Cause.die(new InvalidStatusError({ status: response.status })))
        }
        return respond(this, response)
      },
      onFailure: (cause: Cause.Cause<unknown>): Effect.Effect<void> => {
        if (this.phase === Phase.HIJACKED) return VOID
        this.enter(Phase.WRITING)
        this.body.closeHandle()
        return this.failed(cause)
      }
    }
  }

  /** Answers a failure of the handler's (or of its streamed body before the head) and closes. */
  failed(cause: Cause.Cause<unknown>): Effect.Effect<void> {
    // A body the client got wrong is the client's problem: not an error of the server's.
    const answer = failureReply(cause, this.body.error)
    const log = (answer.clientFault ? Effect.logDebug : Effect.logError)("effect-nethttp server: handler failed", cause).pipe(
      Effect.annotateLogs({ method: this.head!.method, target: this.head!.target })
    )
    // A client's fault is logged at Debug: its annotations are not worth making when Debug is off
    // (a client resetting uploads makes one per connection).
    const logged = answer.clientFault ? Effect.whenLogLevel(log, LogLevel.Debug) : log
    return Effect.zipRight(logged, this.replyAndClose(answer.reply))
  }

  /**
   * Whether the connection can serve another request after this one, decided before the head
   * is written. `drain`: the body is no longer needed (the handler answered with bytes), so what
   * of it is buffered is consumed now; a streamed answer may still read it (full duplex).
   */
  keepAlive(drain: boolean): boolean {
    const head = this.head!
    const body = this.body
    if (!head.keepAlive || this.host.config.disableKeepAlives || this.host.notReady()) return false
    if (body.failed || this.deadlines.expired !== undefined || this.input.eof) return false
    if (body.done) return true
    // The client waits for our 100 Continue before sending the body: it never will now (Go closes).
    if (body.continuePending) return false
    if (drain) body.drainBuffered()
    if (body.done) return true
    if (body.failed) return false
    return head.contentLength < 0 || head.contentLength - body.bytesRead <= MAX_POST_HANDLER_READ_BYTES
  }

  /**
   * The response is out: the next request (after draining what is left of the body), or the
   * close. `now`: a clock reading taken as the response went out, if there is one.
   */
  afterResponse(close: boolean, now?: number): Effect.Effect<void> {
    this.deadlines.writeDone()
    this.body.closeHandle()
    if (close) return this.closeGracefully
    if (!this.body.done) {
      return Effect.flatMap(this.body.drainRest(MAX_POST_HANDLER_READ_BYTES), (done) => (done ? this.beginWait(false) : this.closeNow))
    }
    return this.beginWait(false, now)
  }

  // -------------------------------------------------------------------------------------------
  // The current exchange, asked through its RequestBody handle (Exchanges)

  /** The next chunk of `body`, which is the current exchange's while it is open. */
  pullFor(body: RequestBody): Effect.Effect<Uint8Array, Option.Option<RequestBodyError>> {
    if (body.state !== BODY_OPEN) return body.state === BODY_ENDED ? END_OF_BODY : Effect.fail(Option.some(consumed))
    if (this.phase === Phase.HIJACKED) return Effect.fail(Option.some(new RequestBodyError({ reason: "consumed", detail: "the connection was hijacked" })))
    return this.body.pull(body.pull)
  }

  /** The trailers of `body`, once it was read to its end. */
  trailersFor(body: RequestBody): Headers | undefined {
    return body === this.reader?.current ? this.reader.trailerFields : body.state === BODY_ENDED ? body.trailerFields : undefined
  }

  /** Takes the connection over for `body`'s request, while its handler runs. */
  hijackFor(body: RequestBody): Effect.Effect<Hijacked, HijackError, Scope.Scope> {
    if (this.phase === Phase.HIJACKED) return Effect.fail(new HijackError({ detail: "the connection was hijacked already" }))
    if (this.phase !== Phase.HANDLING || body !== this.reader?.current) return Effect.fail(new HijackError({ detail: "the response was started" }))
    this.enter(Phase.HIJACKED)
    this.deadlines.stopExchange()
    this.conn.receive(undefined)
    const buffered = this.input.parser.takeBuffered()
    if (this.input.paused) RawSocket.resume(this.conn)
    const conn = this.conn
    return Effect.zipRight(
      this.state("Hijacked"),
      Effect.acquireRelease(Effect.succeed<Hijacked>({ conn, buffered }), () => conn.close)
    )
  }

  /** Sends an interim (1xx) response before `body`'s final one (see `writeInterim`). */
  interimFor(body: RequestBody, status: number, fields: Headers | undefined): Effect.Effect<void, InterimResponseError> {
    if (this.phase !== Phase.HANDLING || body !== this.reader?.current) {
      return Effect.fail(new InterimResponseError({ status, detail: "the final response was started, or the exchange is over" }))
    }
    return writeInterim(this, status, fields)
  }

  /**
   * Replaces the server's read (`"read"`) or write timeouts for `body`'s exchange by a deadline
   * `ms` from now, or none (`undefined`): Go's `ResponseController.SetReadDeadline` and
   * `SetWriteDeadline`. No effect once the exchange is over.
   */
  deadlineFor(body: RequestBody, which: "read" | "write", ms: number | undefined): void {
    if (body !== this.reader?.current || body.state === BODY_OVER) return
    this.deadlines.set(which, ms === undefined ? Number.POSITIVE_INFINITY : this.host.clock.unsafeCurrentTimeMillis() + Math.max(0, ms))
  }

  // -------------------------------------------------------------------------------------------
  // Closing

  /** Closes at once. */
  get closeNow(): Effect.Effect<void> {
    return Effect.suspend(() => {
      this.enter(Phase.CLOSED)
      return this.conn.close
    })
  }

  /**
   * Ends our side, then waits a little for the client's close before closing (Go's
   * `closeWriteAndWait`): closing with unread input would reset the connection, and the
   * client could lose the reply it has not read yet.
   */
  private get closeGracefully(): Effect.Effect<void> {
    return Effect.suspend(() => this.closeGracefullyNow())
  }

  private closeGracefullyNow(): Effect.Effect<void> {
    this.enter(Phase.LINGERING)
    this.deadlines.stopExchange()
    if (this.input.eof || this.conn.isClosed()) return this.closeNow
    // The reaper closes the connection if the client's close does not come within LINGER_MS
    // (`check`): a race with a sleep here cost two fibers, a timer and an interruption's Cause
    // per closed connection.
    this.deadlines.linger(this.host.clock.unsafeCurrentTimeMillis() + LINGER_MS)
    return this.conn.closeWrite.pipe(
      Effect.zipRight(this.input.awaitEnd()),
      Effect.zipRight(this.closeNow)
    )
  }

  /** Writes a canned reply and closes; `ofRequest`: it answers the current request (whose HEAD gets no body, RFC 9110 §9.3.2). */
  replyAndClose(reply: Buffer, ofRequest = true): Effect.Effect<void> {
    if (ofRequest && this.head?.method === "HEAD") reply = headOnly(reply)
    this.enter(Phase.WRITING)
    this.reader?.closeHandle()
    // The client reset the connection (its read failed): nobody reads a reply, and writing one
    // would only make a write error (whose stack Node formats).
    if (this.input.readFailure !== undefined || this.conn.isClosed()) return this.closeNow
    return Effect.zipRight(Effect.ignore(this.conn.write(reply)), this.closeGracefully)
  }

  /** Whether to end the fiber now, waiting for a head with nothing received (see `park`). */
  private parkNow(): boolean {
    if (!this.parkWanted || this.phase !== Phase.WAITING || this.served === 0 || this.input.eof || this.input.parser.buffered > 0) return false
    this.enter(Phase.PARKED)
    this.parkWanted = false
    this.fiber = undefined
    // Nothing of the last exchange is needed any more.
    this.input.parser.releaseIdle()
    this.head = undefined
    this.reader = undefined
    this.after = undefined
    this.next = undefined
    this.deadlines.release()
    return true
  }

  private finish(exit: Exit.Exit<void>, fiber: Fiber.RuntimeFiber<unknown, unknown>): Effect.Effect<void> {
    // A fiber that parked ends quietly (the next one may have started already, if input came).
    if (fiber !== this.fiber && Exit.isSuccess(exit)) return VOID
    const hijacked = this.phase === Phase.HIJACKED
    if (!hijacked) this.enter(Phase.CLOSED)
    this.reader?.closeHandle()
    this.conn.receive(undefined)
    const close = hijacked ? VOID : this.conn.close
    const timedOut = this.deadlines.expired
    const log = timedOut === undefined
      ? VOID
      : Effect.logDebug(new ServerTimeoutError({ phase: timedOut, timeoutMs: this.deadlines.timeoutOf(timedOut) }).message)
    this.host.forget(this)
    return Effect.zipRight(Effect.zipRight(close, log), hijacked ? VOID : this.state("Closed"))
  }

  // -------------------------------------------------------------------------------------------
  // Called by the server

  /**
   * Whether the connection waits for a request with nothing of one received, its last answer
   * handed to the kernel (Go's StateIdle, entered after the flush): an answer still held for
   * the turn's batch (`WriteBatch`) keeps it active, so a shutdown does not close it with the
   * answer still on its way and its client about to reuse it.
   */
  isIdle(): boolean {
    return (this.phase === Phase.WAITING || this.phase === Phase.PARKED) && this.input.parser.buffered === 0 && this.conn.stream.writableLength === 0
  }

  /** Closes the connection if it is idle (a graceful shutdown's first step); true if it was. */
  closeIfIdle(): boolean {
    if (!this.isIdle()) return false
    RawSocket.destroy(this.conn)
    this.wakeParked()
    return true
  }

  /** Asks an idle connection to give up its fiber until input comes (the reaper does, at each tick). */
  park(): void {
    if (this.phase === Phase.PARKED || !this.isIdle() || this.served === 0) {
      this.idleSeen = -1
      return
    }
    // Only a connection idle since the previous tick: a busy one is not re-forked every tick.
    if (this.idleSeen !== this.served) {
      this.idleSeen = this.served
      return
    }
    this.parkWanted = true
    this.input.wake()
  }

  /** A parked connection whose stream was destroyed: start the fiber that closes it. */
  private wakeParked(): void {
    if (this.phase !== Phase.PARKED) return
    this.enter(Phase.WAITING)
    this.input.eof = true
    this.host.start(this)
  }

  /**
   * Checks the deadlines at `now`: a head or idle timeout closes, as does a linger after the
   * last reply that the client's close did not end; a write deadline or stall
   * interrupts (the connection closes); a read deadline or stall fails the body's read.
   * Stalls are judged by progress since the last check: bytes received while a read of the
   * body waits (not while we hold the input back), bytes the client took while some wait.
   */
  check(now: number): void {
    const phase = this.phase
    const deadlines = this.deadlines
    if (phase === Phase.WAITING || phase === Phase.PARKED) {
      if (deadlines.headExpired(now)) RawSocket.destroy(this.conn)
      return
    }
    if (phase === Phase.LINGERING) {
      // The input's end, which the destroy pushes, ends the wait (`closeGracefullyNow`).
      if (deadlines.lingerExpired(now)) RawSocket.destroy(this.conn)
      return
    }
    if (phase !== Phase.HANDLING && phase !== Phase.WRITING) return
    if (deadlines.writeExpired(now, this.conn)) {
      this.fiber?.unsafeInterruptAsFork(this.fiber.id())
      return
    }
    const body = this.reader
    if (body === undefined || body.read !== BodyRead.BODY) return
    const input = this.input
    const expired = deadlines.readExpired(now, input.bytesIn, !input.waiting || input.paused)
    if (expired !== BodyRead.BODY) {
      body.timedOut(expired)
      input.wake()
    }
  }

  /** Interrupts the serve loop (the end of a shutdown's grace period, or `close`). */
  interrupt(): void {
    if (this.phase === Phase.PARKED) {
      RawSocket.destroy(this.conn)
      this.wakeParked()
      return
    }
    this.fiber?.unsafeInterruptAsFork(this.fiber.id())
  }

  /** Requests served so far on this connection. */
  get requests(): number {
    return this.served
  }
}

/**
 * Whether a connection's first bytes, `chunk`, begin HTTP/2: a TLS connection whose client
 * chose `h2` in ALPN (offered only when HTTP/2 is on), or, with `unencryptedHTTP2`, a plain one
 * opening with the client preface (RFC 9113 §3.3, Go's `Protocols.UnencryptedHTTP2`).
 */
const h2Chosen = (conn: RawConn, chunk: Uint8Array, config: ResolvedServerConfig): boolean => {
  const alpn = RawSocket.alpnProtocol(conn)
  if (alpn !== undefined) return alpn === "h2"
  return config.unencryptedHTTP2 && startsPreface(chunk)
}

/** The authority of an absolute-form target ("http://host:port/path" gives "host:port"). */
const authorityOf = (target: string): string => {
  const start = target.indexOf("//")
  if (start < 0) return ""
  const end = target.indexOf("/", start + 2)
  const q = target.indexOf("?", start + 2)
  const stop = end < 0 ? (q < 0 ? target.length : q) : q < 0 ? end : Math.min(end, q)
  return target.slice(start + 2, stop)
}
