/**
 * One accepted connection and its serve loop (Go's `conn.serve`): read a request head,
 * run the handler inline in this fiber, write the response, drain what is left of the
 * request body, and go on with the next request, until either side closes.
 *
 * The input arrives in push mode (`Conn.receive`): every chunk is fed to the parser at once,
 * and the loop, when it needs more, waits on a single reusable `Effect.async`. Pipelined
 * requests therefore come out of the parser one after the other, answered in order.
 *
 * Timeouts are deadlines (epoch milliseconds on the server's Clock) that the server's reaper
 * fiber checks (see `Server.ts`): nothing is scheduled per request.
 *
 * @module
 */
import { Cause, Chunk, type Clock, Context, Effect, Exit, type Fiber, Option, type Scope, Stream } from "effect"
import * as Body from "../domain/Body.js"
import { Headers } from "../domain/Headers.js"
import type { RequestHead } from "../domain/http1/MessageHead.js"
import { Event, Parser } from "../domain/http1/Parser.js"
import { encodeChunk, encodeLastChunk, withBody } from "../domain/http1/writer.js"
import * as Status from "../domain/Status.js"
import type { Conn, Receiver } from "../net/Conn.js"
import { ConnError } from "../net/errors.js"
import { cannedReply, CONTINUE, failureReply, headOnly, headProblem, parseErrorReply } from "./cannedReplies.js"
import type { ConnInfo, ConnState, ResolvedServerConfig } from "./config.js"
import { HijackError, InterimResponseError, InvalidStatusError, RequestBodyError, ServerTimeoutError, type TimeoutPhase } from "./errors.js"
import { clientAbortFiberId, type Handler } from "./Handler.js"
import { bytesToWrite, type DateCache, interimHead, planResponse, type ResponsePlan, validStatus } from "./responseWriter.js"
import { type Hijacked, type RequestIO, ServerRequest, validTargetEscapes } from "./ServerRequest.js"
import type { ServerResponse } from "./ServerResponse.js"

/** What the server shares with each of its connections. */
export interface ConnHost {
  readonly config: ResolvedServerConfig
  /** The handler, its requirements already in the fibers' context. */
  readonly handler: Handler<unknown, never>
  readonly clock: Clock.Clock
  readonly dates: DateCache
  readonly scheme: "http" | "https"
  /** Whether a graceful shutdown has begun: answer with `Connection: close`, close when idle. */
  readonly shuttingDown: () => boolean
  /** The connection's fiber ended. */
  readonly forget: (conn: ServerConn) => void
  /** Runs `conn.resume` in a new fiber of the server's (a parked connection got input, or must close). */
  readonly start: (conn: ServerConn) => void
}

/** Go's `maxPostHandlerReadBytes`: an unread request body up to this size is drained, more closes. */
export const MAX_POST_HANDLER_READ_BYTES = 256 << 10
/** Input buffered unparsed before the socket is paused (a handler not reading its body). */
const PAUSE_ABOVE = 256 << 10
/** Chunks of a chunked answer at least this long are written in place, smaller ones copied with their framing. */
const COPY_CHUNK_BELOW = 4096
const CRLF = Buffer.from("\r\n", "latin1")
/** Go's `rstAvoidanceDelay`: after the last reply, how long to wait for the client's close. */
const LINGER_MS = 500

// What the serve loop is doing.
const WAIT_HEAD = 0
const HANDLER = 1
const WRITE = 2
const LINGER = 3
const DONE = 4

// pollHead's answers besides a head.
const NEED = 0
const EOF = 1
const FAILED = 2

const STALLED = 1
const PAST_DEADLINE = 2

const VOID = Effect.void
const EMPTY_FIELDS: Headers = Headers.empty()
const END_OF_BODY: Effect.Effect<never, Option.Option<never>> = Effect.fail(Option.none())

/** A connection being served. */
export class ServerConn implements Receiver {
  private readonly parser: Parser<RequestHead>
  private phase = WAIT_HEAD
  private waiter: ((effect: Effect.Effect<void>) => void) | undefined = undefined
  private eofWaiter: ((effect: Effect.Effect<void>) => void) | undefined = undefined
  private eof = false
  private readFailure: ConnError | undefined = undefined
  private paused = false
  private fiber: Fiber.RuntimeFiber<void, never> | undefined = undefined
  /**
   * Idle with no fiber at all: an idle keep-alive connection costs a fiber's memory (several
   * KB) otherwise. The next input, or its end, starts one (`host.start`). The reaper asks idle
   * connections to park (`park`), so a busy connection is not re-forked per request.
   */
  private parked = false
  /** Park at the next wait for a head with nothing buffered (the reaper asked). */
  private parkWanted = false
  /** `served` when the reaper last saw the connection idle; -1 when it was not. */
  private idleSeen = -1
  /** The services `connContext` gave this connection, provided again to a resumed fiber. */
  connServices: Context.Context<never> | undefined = undefined
  private served = 0
  private hijacked = false
  /** Why the connection is being closed by us, if a timeout did it. */
  private timedOut: TimeoutPhase | undefined = undefined

  // Deadlines, epoch milliseconds on the Clock; Infinity when none runs.
  private headDeadline = Number.POSITIVE_INFINITY
  private headPhase: TimeoutPhase = "read-header"
  /** The request body's total deadline (readTotalTimeout, or the handler's own). */
  private readDeadline = Number.POSITIVE_INFINITY
  /** The response's total deadline (writeTotalTimeout, or the handler's own). */
  private writeDeadline = Number.POSITIVE_INFINITY
  // Stalls: a read waiting for bytes that do not come, a write the client does not take.
  // The reaper notes progress at each tick and fails a stall once no progress was seen for
  // the stall timeout (0: none, as when the handler set its own deadline).
  private readStallMs = 0
  private readStallAt = Number.POSITIVE_INFINITY
  private writeStallMs = 0
  private writeStallAt = Number.POSITIVE_INFINITY
  /** Bytes received so far (progress of a body read). */
  private bytesIn = 0
  private bytesInSeen = 0
  private flushedSeen = 0

  // The current request.
  private head: RequestHead | undefined = undefined
  private bodyDone = true
  private bodyRead = 0
  private bodyError: RequestBodyError | undefined = undefined
  /** Whether the body's read ran out of time: a stall, or a total deadline. */
  private readTimedOut: false | typeof STALLED | typeof PAST_DEADLINE = false
  private continuePending = false
  private trailerFields: Headers | undefined = undefined
  /** The current request's body handle, closed when the exchange is over. */
  private exchange: RequestBody | undefined = undefined

  constructor(
    readonly info: ConnInfo,
    private readonly conn: Conn,
    private readonly host: ConnHost
  ) {
    this.parser = Parser.request({ maxHeaderBytes: host.config.maxHeaderBytes })
  }

  // -------------------------------------------------------------------------------------------
  // Input, pushed by the Conn (synchronously from the socket's events)

  onData(chunk: Uint8Array): void {
    if (this.phase >= LINGER || this.hijacked) return
    this.bytesIn += chunk.length
    this.parser.feed(chunk)
    if (this.parked) {
      this.parked = false
      this.host.start(this)
      return
    }
    const waiter = this.waiter
    if (waiter !== undefined) {
      this.waiter = undefined
      waiter(VOID)
    } else if (!this.paused && this.parser.buffered > PAUSE_ABOVE) {
      this.paused = true
      this.conn.stream.pause()
    }
  }

  onEnd(): void {
    this.inputEnded()
  }

  onError(error: ConnError): void {
    this.readFailure = error
    this.inputEnded()
  }

  private inputEnded(): void {
    if (this.eof) return
    this.eof = true
    this.parser.finish()
    if (this.parked) {
      // Idle without a fiber: start one to see the end and close.
      this.parked = false
      this.host.start(this)
      return
    }
    const eofWaiter = this.eofWaiter
    if (eofWaiter !== undefined) {
      this.eofWaiter = undefined
      eofWaiter(VOID)
    }
    const waiter = this.waiter
    if (waiter !== undefined) {
      this.waiter = undefined
      waiter(VOID)
    }
    // The client went away while its handler runs: interrupt it (Go cancels the request's
    // context; node:http aborts it). Requests pipelined before a half-close are still answered,
    // and a half-close before the body ended fails the body's read ("truncated", answered 400)
    // rather than the handler: the client may still read the answer (Go reads EOF in the body).
    if (this.phase === HANDLER && !this.hijacked && (this.readFailure !== undefined || this.bodyDone && this.parser.buffered === 0)) {
      this.fiber?.unsafeInterruptAsFork(clientAbortFiberId)
    }
  }

  /** Completes when input arrives or ends (or the reaper asks an idle connection to park). */
  private awaitInput(): Effect.Effect<void> {
    // One parameter: Effect.async makes an AbortController per call for a callback of two.
    return Effect.async<void>((resume) => {
      this.waiter = resume
    })
  }

  private resumeInput(): void {
    if (this.paused && this.parser.buffered <= PAUSE_ABOVE / 2) {
      this.paused = false
      this.conn.stream.resume()
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
    return Effect.suspend(() => this.nextRequest())
  }

  private state(state: ConnState): Effect.Effect<void> {
    const hook = this.host.config.connState
    return hook === undefined ? VOID : hook(this.info, state)
  }

  /** Waits for the next request head: the first within readHeaderTimeout, later ones within idleTimeout. */
  private beginWait(first: boolean): Effect.Effect<void> {
    this.phase = WAIT_HEAD
    const config = this.host.config
    const idle = first ? 0 : config.idleTimeoutMs
    const timeout = idle > 0 ? idle : config.readHeaderTimeoutMs
    this.headPhase = idle > 0 ? "idle" : "read-header"
    this.headDeadline = timeout > 0 ? this.host.clock.unsafeCurrentTimeMillis() + timeout : Number.POSITIVE_INFINITY
    if (this.host.shuttingDown() && this.parser.buffered === 0) return this.closeNow
    return first || this.host.config.connState === undefined ? this.loop : Effect.zipRight(this.state("Idle"), this.loop)
  }

  private pollHead(): RequestHead | typeof NEED | typeof EOF | typeof FAILED {
    for (;;) {
      const ev = this.parser.next()
      switch (ev) {
        case Event.Head:
          return this.parser.head
        case Event.NeedMore:
          return this.eof ? EOF : NEED
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
    const r = this.pollHead()
    if (typeof r !== "number") return this.handle(r)
    if (r === NEED) {
      this.resumeInput()
      if (this.headPhase === "idle" && this.parser.buffered > 0) {
        // The next request began: from now on its head must arrive within readHeaderTimeout.
        const timeout = this.host.config.readHeaderTimeoutMs
        this.headPhase = "read-header"
        this.headDeadline = timeout > 0 ? this.host.clock.unsafeCurrentTimeMillis() + timeout : Number.POSITIVE_INFINITY
      }
      if (this.parkNow()) return VOID
      return Effect.flatMap(this.awaitInput(), () => this.nextRequest())
    }
    if (r === EOF || this.timedOut !== undefined || this.eof) return this.closeNow
    return this.replyAndClose(parseErrorReply(this.parser.error!), false)
  }

  private handle(head: RequestHead): Effect.Effect<void> {
    const config = this.host.config
    const now = this.host.clock.unsafeCurrentTimeMillis()
    this.closeExchange()
    this.headDeadline = Number.POSITIVE_INFINITY
    this.writeDeadline = config.writeTotalTimeoutMs > 0 ? now + config.writeTotalTimeoutMs : Number.POSITIVE_INFINITY
    this.writeStallMs = config.writeTimeoutMs
    this.writeStallAt = Number.POSITIVE_INFINITY
    this.head = head
    // Content-Length: 0 is no body (Go checks ContentLength != 0 before sending 100 Continue).
    this.bodyDone = head.framing === "none" || head.contentLength === 0
    this.readDeadline = !this.bodyDone && config.readTotalTimeoutMs > 0 ? now + config.readTotalTimeoutMs : Number.POSITIVE_INFINITY
    this.readStallMs = config.readTimeoutMs
    this.readStallAt = Number.POSITIVE_INFINITY
    this.bodyRead = 0
    this.bodyError = undefined
    this.readTimedOut = false
    this.trailerFields = undefined
    this.served++
    const exchange = new RequestBody(this)
    this.exchange = exchange

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
    this.continuePending = expect !== undefined && head.versionMinor >= 1 && !this.bodyDone

    const request = new ServerRequest(head, head.targetForm === "absolute" ? authorityOf(head.target) : hostField ?? "", this.host.scheme, this.info, exchange)
    this.phase = HANDLER
    const run = Effect.matchCauseEffect(this.host.handler(request), this.afterHandler)
    return config.connState === undefined ? run : Effect.zipRight(this.state("Active"), run)
  }

  private readonly afterHandler = {
    onSuccess: (response: ServerResponse<unknown>): Effect.Effect<void> => {
      if (this.hijacked) return VOID
      this.phase = WRITE
      const status = response.status
      // Go's WriteHeader panics on a status outside 100..999: a bug of the handler's, a 500.
      if (!validStatus(status)) {
        this.closeExchange()
        return this.failed(Cause.die(new InvalidStatusError({ status })))
      }
      return this.respond(response)
    },
    onFailure: (cause: Cause.Cause<unknown>): Effect.Effect<void> => {
      if (this.hijacked) return VOID
      this.phase = WRITE
      this.closeExchange()
      return this.failed(cause)
    }
  }

  private failed(cause: Cause.Cause<unknown>): Effect.Effect<void> {
    // A body the client got wrong is the client's problem: not an error of the server's.
    const answer = failureReply(cause, this.bodyError)
    const log = (answer.clientFault ? Effect.logDebug : Effect.logError)("effect-nethttp server: handler failed", cause).pipe(
      Effect.annotateLogs({ method: this.head!.method, target: this.head!.target })
    )
    return Effect.zipRight(log, this.replyAndClose(answer.reply))
  }

  /**
   * Whether the connection can serve another request after this one, decided before the head
   * is written. `drain`: the body is no longer needed (the handler answered with bytes), so what
   * of it is buffered is consumed now; a streamed answer may still read it (full duplex).
   */
  private keepAlive(drain: boolean): boolean {
    const head = this.head!
    if (!head.keepAlive || this.host.config.disableKeepAlives || this.host.shuttingDown()) return false
    if (this.bodyError !== undefined || this.timedOut !== undefined || this.eof) return false
    if (this.bodyDone) return true
    // The client waits for our 100 Continue before sending the body: it never will now (Go closes).
    if (this.continuePending) return false
    if (drain) this.drainBuffered()
    if (this.bodyDone) return true
    if (this.bodyError !== undefined) return false
    return head.contentLength < 0 || head.contentLength - this.bodyRead <= MAX_POST_HANDLER_READ_BYTES
  }

  private respond(response: ServerResponse<unknown>): Effect.Effect<void> {
    const head = this.head!
    const body = response.body
    const streamed = body._tag !== "Empty" && body._tag !== "Bytes"
    // The handler is done with the body unless its answer streams (and may read it: full duplex).
    if (!streamed) this.closeExchange()
    const side = { method: head.method, versionMinor: head.versionMinor, keepAlive: this.keepAlive(!streamed) }
    const date = this.host.dates.format(this.host.clock.unsafeCurrentTimeMillis())
    if (!streamed) {
      const bytes = body._tag === "Bytes" ? body.bytes : undefined
      const plan = planResponse(response, side, date, bytes)
      if (plan.withTrailers) return this.writeChunkedBytes(plan, bytes, response.trailers!)
      const out = bytesToWrite(plan, bytes)
      const write = this.writeThen(withBody(plan.head, out.data), out.close)
      return out.error === undefined ? write : Effect.zipRight(Effect.logError("effect-nethttp server: " + out.error), write)
    }
    return this.writeStream(response, side, date)
  }

  private writeChunkedBytes(plan: ResponsePlan, bytes: Uint8Array | undefined, trailers: Effect.Effect<Headers, unknown>): Effect.Effect<void> {
    return Effect.matchCauseEffect(trailers, {
      onFailure: (cause) => Effect.zipRight(Effect.logError("effect-nethttp server: response trailers failed", cause), this.replyAndClose(cannedReply(Status.InternalServerError))),
      onSuccess: (fields) => {
        const parts: Array<Uint8Array> = [Buffer.from(plan.head, "latin1")]
        if (bytes !== undefined && bytes.length > 0) parts.push(encodeChunk(bytes))
        parts.push(encodeLastChunk(fields))
        return this.writeThen(Buffer.concat(parts), plan.close)
      }
    })
  }

  /** Writes the last bytes of a response, then goes on with the next request or closes. */
  private writeThen(data: Uint8Array, close: boolean): Effect.Effect<void> {
    if (this.conn.writeNow(data)) return this.afterResponse(close)
    // The stream's buffer is full (a slow reader, or many pipelined answers): wait for room
    // before reading the next request, so a client cannot make us buffer without limit.
    return Effect.matchEffect(this.conn.drained, {
      onFailure: () => this.closeNow,
      onSuccess: () => this.afterResponse(close)
    })
  }

  /** Writes a streamed body: the head with the first chunk (sniffed), then every chunk as it comes. */
  private writeStream(response: ServerResponse<unknown>, side: { method: string; versionMinor: number; keepAlive: boolean }, date: string): Effect.Effect<void> {
    const body = response.body as Body.StreamBody<unknown> | Body.RewindableBody<unknown>
    if (side.method === "HEAD" || !Status.bodyAllowed(response.status)) {
      // No body goes out: the stream is not run (it may never end, as an event stream).
      this.closeExchange()
      const p = planResponse(response, side, date, undefined)
      return this.writeThen(Buffer.from(p.head, "latin1"), p.close)
    }
    let plan: ResponsePlan | undefined = undefined
    let written = 0
    const writeChunk = (chunk: Uint8Array): Effect.Effect<void, ConnError> => {
      const first = plan === undefined
      if (plan === undefined) {
        plan = planResponse(response, side, date, chunk)
        // The final head goes out: no 100 Continue after it (the client sends once it sees the
        // answer began, or its own wait ran out).
        this.continuePending = false
      }
      const head = first ? plan.head : undefined
      if (!plan.sendBody || chunk.length === 0) return head === undefined ? VOID : this.conn.write(Buffer.from(head, "latin1"))
      const framing = plan.framing
      if (framing._tag === "Length" && written + chunk.length > framing.length) {
        // More than announced would be read as the start of the next response (Go refuses the
        // write with ErrContentLength): send what fits, then cut the connection.
        const fits = chunk.subarray(0, framing.length - written)
        written = framing.length
        return Effect.zipRight(
          this.conn.write(head === undefined ? fits : withBody(head, fits)),
          Effect.fail(new ConnError({ op: "write", code: "ERR_CONTENT_LENGTH", detail: `the response body is longer than its announced ${framing.length} bytes` }))
        )
      }
      written += chunk.length
      if (framing._tag === "Chunked" && chunk.length >= COPY_CHUNK_BELOW) return this.writeLargeChunk(head, chunk)
      const data = framing._tag === "Chunked" ? encodeChunk(chunk) : chunk
      return this.conn.write(head === undefined ? data : withBody(head, data))
    }
    const run = Stream.runForEachChunk(Body.toStream(body), (chunk) => {
      if (chunk.length === 1) return writeChunk(Chunk.unsafeHead(chunk))
      return Effect.forEach(chunk, writeChunk, { discard: true })
    })
    return Effect.matchCauseEffect(run, {
      onFailure: (cause) => {
        // Before the head: answered as a handler failure (a request body the client cut short,
        // streamed back, is a 400, not a 500).
        if (plan === undefined) return this.failed(cause)
        // The head is out: all we can do is cut the connection, so the client sees a broken body (Go).
        return Effect.zipRight(Effect.logError("effect-nethttp server: response body failed", cause), this.closeNow)
      },
      onSuccess: () => {
        const p = plan ?? planResponse(response, side, date, undefined)
        const tail: Array<Effect.Effect<void, ConnError>> = []
        if (plan === undefined) tail.push(this.conn.write(Buffer.from(p.head, "latin1")))
        if (p.sendBody && p.framing._tag === "Length" && written !== p.framing.length) {
          return Effect.zipRight(
            Effect.logError(`effect-nethttp server: the response body had ${written} bytes, not the ${p.framing.length} announced`),
            this.closeNow
          )
        }
        if (p.sendBody && p.framing._tag === "Chunked") {
          if (p.withTrailers && response.trailers !== undefined) {
            tail.push(Effect.flatMap(Effect.orDie(response.trailers), (fields) => this.conn.write(encodeLastChunk(fields))))
          } else tail.push(this.conn.write(encodeLastChunk()))
        }
        const close = p.close || p.framing._tag === "Close"
        return Effect.matchCauseEffect(Effect.all(tail, { discard: true }), {
          onFailure: () => this.closeNow,
          onSuccess: () => this.afterResponse(close)
        })
      }
    }).pipe(Effect.catchAllCause(() => this.closeNow))
  }

  /**
   * Writes a large chunk of a chunked body without copying it: its size line, the bytes as they
   * are, and the CRLF, corked into one vectored write. (A copy per chunk of an echoed upload
   * made as much garbage as the body was long.)
   */
  private writeLargeChunk(head: string | undefined, chunk: Uint8Array): Effect.Effect<void, ConnError> {
    const conn = this.conn
    const stream = conn.stream
    stream.cork()
    if (head !== undefined) conn.writeNow(head)
    conn.writeNow(chunk.length.toString(16) + "\r\n")
    conn.writeNow(chunk)
    const room = conn.writeNow(CRLF)
    stream.uncork()
    return room ? VOID : conn.drained
  }

  private afterResponse(close: boolean): Effect.Effect<void> {
    this.writeDeadline = Number.POSITIVE_INFINITY
    this.writeStallMs = 0
    this.closeExchange()
    if (close) return this.closeGracefully
    if (!this.bodyDone) return Effect.flatMap(this.drainRest(MAX_POST_HANDLER_READ_BYTES), (done) => (done ? this.beginWait(false) : this.closeNow))
    return this.beginWait(false)
  }

  // -------------------------------------------------------------------------------------------
  // The request body (RequestIO)

  /** Consumes body bytes already buffered, without waiting (before deciding on keep-alive). */
  private drainBuffered(): void {
    const limit = MAX_POST_HANDLER_READ_BYTES
    let drained = 0
    while (!this.bodyDone && this.bodyError === undefined && drained <= limit) {
      const ev = this.parser.next()
      if (ev === Event.Body) drained += this.parser.chunk.length
      else if (ev === Event.End) this.endBody()
      else if (ev === Event.Error) this.bodyError = this.malformed()
      else return
    }
  }

  /** Reads and drops the rest of the body, up to `budget` bytes; true when the body ended within it. */
  private drainRest(budget: number): Effect.Effect<boolean> {
    return Effect.suspend(() => {
      let left = budget
      const step: Effect.Effect<boolean> = Effect.suspend(() => {
        for (;;) {
          if (this.bodyDone) return Effect.succeed(true)
          if (this.bodyError !== undefined || this.readTimedOut || this.eof && this.parser.buffered === 0) return Effect.succeed(false)
          const ev = this.parser.next()
          if (ev === Event.Body) {
            left -= this.parser.chunk.length
            if (left < 0) return Effect.succeed(false)
          } else if (ev === Event.End) this.endBody()
          else if (ev === Event.NeedMore) {
            if (this.eof) return Effect.succeed(false)
            this.resumeInput()
            return Effect.flatMap(this.awaitInput(), () => step)
          } else return Effect.succeed(false)
        }
      })
      return step
    })
  }

  private endBody(): void {
    this.bodyDone = true
    this.trailerFields = this.parser.trailers
    if (this.exchange !== undefined) this.exchange.trailerFields = this.trailerFields
    this.readDeadline = Number.POSITIVE_INFINITY
  }

  private malformed(): RequestBodyError {
    const error = this.parser.error
    if (error !== undefined && error._tag === "MalformedMessage" && error.reason === "unexpected-eof") {
      return new RequestBodyError({ reason: "truncated", detail: "the client closed the connection before the body ended" })
    }
    return new RequestBodyError({ reason: "malformed", detail: error?.message ?? "malformed body" })
  }

  /** Ends the current exchange's hold on its body: later reads give the end, or fail "consumed" when some of it was not read (the server drops it). */
  private closeExchange(): void {
    const exchange = this.exchange
    if (exchange === undefined || exchange.state !== BODY_OPEN) return
    exchange.state = this.bodyDone ? BODY_ENDED : BODY_OVER
  }

  /** The next chunk of `body`, which is the current exchange's while it is open. */
  pullFor(body: RequestBody): Effect.Effect<Uint8Array, Option.Option<RequestBodyError>> {
    if (body.state !== BODY_OPEN) return body.state === BODY_ENDED ? END_OF_BODY : Effect.fail(Option.some(consumed))
    if (this.hijacked) return Effect.fail(Option.some(new RequestBodyError({ reason: "consumed", detail: "the connection was hijacked" })))
    if (this.bodyError !== undefined) return Effect.fail(Option.some(this.bodyError))
    if (this.bodyDone) return END_OF_BODY
    if (this.continuePending) {
      this.continuePending = false
      this.conn.writeNow(CONTINUE)
    }
    for (;;) {
      if (this.readTimedOut) {
        this.bodyError = new RequestBodyError({
          reason: "timeout",
          detail: this.readTimedOut === STALLED
            ? `no byte of the body arrived for readTimeout (${this.readStallMs} ms)`
            : "the body did not end within its deadline (readTotalTimeout, or the handler's)"
        })
        return Effect.fail(Option.some(this.bodyError))
      }
      const ev = this.parser.next()
      if (ev === Event.Body) {
        const chunk = this.parser.chunk
        this.bodyRead += chunk.length
        if (this.bodyRead > this.host.config.maxBodyBytes) {
          this.bodyError = new RequestBodyError({ reason: "too-large", detail: `the body is larger than ${this.host.config.maxBodyBytes} bytes` })
          return Effect.fail(Option.some(this.bodyError))
        }
        return Effect.succeed(chunk)
      }
      if (ev === Event.End) {
        this.endBody()
        return END_OF_BODY
      }
      if (ev === Event.NeedMore) {
        if (this.eof) {
          this.bodyError = new RequestBodyError({ reason: "truncated", detail: "the client closed the connection before the body ended" })
          return Effect.fail(Option.some(this.bodyError))
        }
        this.resumeInput()
        return Effect.flatMap(this.awaitInput(), () => body.pull)
      }
      if (ev === Event.Error) {
        this.bodyError = this.malformed()
        return Effect.fail(Option.some(this.bodyError))
      }
      return END_OF_BODY
    }
  }

  /** The trailers of `body`, once it was read to its end. */
  trailersFor(body: RequestBody): Headers | undefined {
    return body === this.exchange ? this.trailerFields : body.state === BODY_ENDED ? body.trailerFields : undefined
  }

  /** Takes the connection over for `body`'s request, while its handler runs. */
  hijackFor(body: RequestBody): Effect.Effect<Hijacked, HijackError, Scope.Scope> {
    if (this.hijacked) return Effect.fail(new HijackError({ detail: "the connection was hijacked already" }))
    if (this.phase !== HANDLER || body !== this.exchange) return Effect.fail(new HijackError({ detail: "the response was started" }))
    this.hijacked = true
    this.writeDeadline = Number.POSITIVE_INFINITY
    this.readDeadline = Number.POSITIVE_INFINITY
    this.writeStallMs = 0
    this.readStallMs = 0
    this.conn.receive(undefined)
    const buffered = this.parser.takeBuffered()
    if (this.paused) this.conn.stream.resume()
    const conn = this.conn
    return Effect.zipRight(
      this.state("Hijacked"),
      Effect.acquireRelease(Effect.succeed<Hijacked>({ conn, buffered }), () => conn.close)
    )
  }

  /**
   * Sends an interim (1xx) response before `body`'s final one (Go 1.19+ writes 1xx from
   * `WriteHeader`; node:http's `writeEarlyHints`). Not to an HTTP/1.0 client (RFC 9110 §15.2:
   * a server must not send it one): then nothing is sent. 100 is sent by the server on the
   * body's first read; sending it here stops that.
   */
  interimFor(body: RequestBody, status: number, fields: Headers | undefined): Effect.Effect<void, InterimResponseError> {
    if (!(Number.isInteger(status) && status >= 100 && status <= 199) || status === 101) {
      return Effect.fail(new InterimResponseError({ status, detail: "an interim status is 1xx other than 101 (use hijack for a protocol switch)" }))
    }
    if (this.phase !== HANDLER || body !== this.exchange || this.hijacked) {
      return Effect.fail(new InterimResponseError({ status, detail: "the final response was started, or the exchange is over" }))
    }
    if (this.head!.versionMinor < 1) return VOID
    if (status === 100) {
      if (!this.continuePending) return VOID
      this.continuePending = false
    }
    return Effect.catchAll(this.conn.write(Buffer.from(interimHead(status, fields ?? EMPTY_FIELDS), "latin1")), () => VOID)
  }

  /**
   * Replaces the server's read (`"read"`) or write timeouts for `body`'s exchange by a deadline
   * `ms` from now, or none (`undefined`): Go's `ResponseController.SetReadDeadline` and
   * `SetWriteDeadline`. No effect once the exchange is over.
   */
  deadlineFor(body: RequestBody, which: "read" | "write", ms: number | undefined): void {
    if (body !== this.exchange || body.state === BODY_OVER) return
    const at = ms === undefined ? Number.POSITIVE_INFINITY : this.host.clock.unsafeCurrentTimeMillis() + Math.max(0, ms)
    if (which === "read") {
      this.readStallMs = 0
      this.readDeadline = at
    } else {
      this.writeStallMs = 0
      this.writeDeadline = at
    }
  }

  // -------------------------------------------------------------------------------------------
  // Closing

  private get closeNow(): Effect.Effect<void> {
    return Effect.suspend(() => {
      this.phase = DONE
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
    this.phase = LINGER
    this.writeDeadline = Number.POSITIVE_INFINITY
    this.readDeadline = Number.POSITIVE_INFINITY
    this.writeStallMs = 0
    this.readStallMs = 0
    if (this.eof || this.conn.isClosed()) return this.closeNow
    const eofSeen = Effect.async<void>((resume) => {
      this.eofWaiter = resume
    })
    return this.conn.closeWrite.pipe(
      Effect.zipRight(Effect.raceFirst(eofSeen, Effect.sleep(LINGER_MS))),
      Effect.zipRight(this.closeNow)
    )
  }

  /** Writes a canned reply and closes; `ofRequest`: it answers the current request (whose HEAD gets no body, RFC 9110 §9.3.2). */
  private replyAndClose(reply: Buffer, ofRequest = true): Effect.Effect<void> {
    if (ofRequest && this.head?.method === "HEAD") reply = headOnly(reply)
    this.phase = WRITE
    this.closeExchange()
    return Effect.zipRight(Effect.ignore(this.conn.write(reply)), this.closeGracefully)
  }

  /** Whether to end the fiber now, waiting for a head with nothing received (see `park`). */
  private parkNow(): boolean {
    if (!this.parkWanted || this.phase !== WAIT_HEAD || this.served === 0 || this.eof || this.parser.buffered > 0) return false
    this.parked = true
    this.parkWanted = false
    this.fiber = undefined
    // Nothing of the last exchange is needed any more.
    this.parser.releaseIdle()
    this.head = undefined
    this.trailerFields = undefined
    this.exchange = undefined
    return true
  }

  private finish(exit: Exit.Exit<void>, fiber: Fiber.RuntimeFiber<unknown, unknown>): Effect.Effect<void> {
    // A fiber that parked ends quietly (the next one may have started already, if input came).
    if (fiber !== this.fiber && Exit.isSuccess(exit)) return VOID
    this.parked = false
    this.phase = DONE
    this.closeExchange()
    this.conn.receive(undefined)
    const hijacked = this.hijacked
    const close = hijacked ? VOID : this.conn.close
    const timedOut = this.timedOut
    const log = timedOut === undefined
      ? VOID
      : Effect.logDebug(new ServerTimeoutError({ phase: timedOut, timeoutMs: this.timeoutOf(timedOut) }).message)
    this.host.forget(this)
    void exit
    return Effect.zipRight(Effect.zipRight(close, log), hijacked ? VOID : this.state("Closed"))
  }

  private timeoutOf(phase: TimeoutPhase): number {
    const c = this.host.config
    return phase === "read-header" ? c.readHeaderTimeoutMs : phase === "read" ? c.readTimeoutMs : phase === "write" ? c.writeTimeoutMs : c.idleTimeoutMs
  }

  // -------------------------------------------------------------------------------------------
  // Called by the server

  /** Whether the connection waits for a request with nothing of one received (Go's StateIdle). */
  isIdle(): boolean {
    return this.phase === WAIT_HEAD && this.parser.buffered === 0
  }

  /** Closes the connection if it is idle (a graceful shutdown's first step); true if it was. */
  closeIfIdle(): boolean {
    if (!this.isIdle()) return false
    this.conn.stream.destroy()
    this.wakeParked()
    return true
  }

  /** Asks an idle connection to give up its fiber until input comes (the reaper does, at each tick). */
  park(): void {
    if (this.parked || !this.isIdle() || this.served === 0) {
      this.idleSeen = -1
      return
    }
    // Only a connection idle since the previous tick: a busy one is not re-forked every tick.
    if (this.idleSeen !== this.served) {
      this.idleSeen = this.served
      return
    }
    this.parkWanted = true
    const waiter = this.waiter
    if (waiter !== undefined) {
      this.waiter = undefined
      waiter(VOID)
    }
  }

  /** A parked connection whose stream was destroyed: start the fiber that closes it. */
  private wakeParked(): void {
    if (!this.parked) return
    this.parked = false
    this.eof = true
    this.host.start(this)
  }

  /**
   * Checks the deadlines at `now`: a head or idle timeout closes; a write deadline or stall
   * interrupts (the connection closes); a read deadline or stall fails the body's read.
   * Stalls are judged by progress since the last check: bytes received while a read of the
   * body waits (not while we hold the input back), bytes the client took while some wait.
   */
  check(now: number): void {
    const phase = this.phase
    if (phase === WAIT_HEAD) {
      if (now >= this.headDeadline) {
        this.timedOut = this.headPhase
        this.headDeadline = Number.POSITIVE_INFINITY
        this.conn.stream.destroy()
      }
      return
    }
    if ((phase !== HANDLER && phase !== WRITE) || this.hijacked) return
    if (this.writeStallMs > 0) {
      const flushed = this.conn.bytesFlushed()
      if (flushed !== this.flushedSeen || this.conn.stream.writableLength === 0) {
        this.flushedSeen = flushed
        this.writeStallAt = now + this.writeStallMs
      }
    }
    if (now >= this.writeDeadline || now >= this.writeStallAt) {
      this.timedOut = "write"
      this.writeDeadline = Number.POSITIVE_INFINITY
      this.writeStallAt = Number.POSITIVE_INFINITY
      this.fiber?.unsafeInterruptAsFork(this.fiber.id())
      return
    }
    if (this.bodyDone || this.readTimedOut) return
    if (this.readStallMs > 0) {
      if (this.bytesIn !== this.bytesInSeen || this.waiter === undefined || this.paused) {
        this.bytesInSeen = this.bytesIn
        this.readStallAt = now + this.readStallMs
      }
    }
    if (now >= this.readDeadline || now >= this.readStallAt) {
      this.readTimedOut = now >= this.readDeadline ? PAST_DEADLINE : STALLED
      this.readDeadline = Number.POSITIVE_INFINITY
      this.readStallAt = Number.POSITIVE_INFINITY
      const waiter = this.waiter
      if (waiter !== undefined) {
        this.waiter = undefined
        waiter(VOID)
      }
    }
  }

  /** Interrupts the serve loop (the end of a shutdown's grace period, or `close`). */
  interrupt(): void {
    if (this.parked) {
      this.conn.stream.destroy()
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

// A request body's handle: open while its exchange lasts, then read to its end or over.
const BODY_OPEN = 0
const BODY_ENDED = 1
const BODY_OVER = 2

const consumed = new RequestBodyError({
  reason: "consumed",
  detail: "the body was read after its exchange ended (the server drained or dropped what was left of it)"
})

/**
 * One request's side of the connection (`RequestIO`), made per request. Its reads are the
 * connection's while the exchange lasts (the handler, and a streamed answer that reads it:
 * full duplex); after that, a read gives the end when the body was read whole, else fails
 * "consumed", never with an empty success, and never reads the next request's bytes.
 */
class RequestBody implements RequestIO {
  state = BODY_OPEN
  trailerFields: Headers | undefined = undefined
  private pullEffect: Effect.Effect<Uint8Array, Option.Option<RequestBodyError>> | undefined = undefined

  constructor(private readonly conn: ServerConn) {}

  get pull(): Effect.Effect<Uint8Array, Option.Option<RequestBodyError>> {
    return this.pullEffect ??= Effect.suspend(() => this.conn.pullFor(this))
  }

  trailers(): Headers | undefined {
    return this.conn.trailersFor(this)
  }

  get hijack(): Effect.Effect<Hijacked, HijackError, Scope.Scope> {
    return Effect.suspend(() => this.conn.hijackFor(this))
  }

  writeInterim(status: number, headers?: Headers): Effect.Effect<void, InterimResponseError> {
    return Effect.suspend(() => this.conn.interimFor(this, status, headers))
  }

  setDeadline(which: "read" | "write", ms: number | undefined): Effect.Effect<void> {
    return Effect.sync(() => this.conn.deadlineFor(this, which, ms))
  }
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
