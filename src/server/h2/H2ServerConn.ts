/**
 * A connection served over HTTP/2 (Go's `http2serverConn`): `node:http2` (nghttp2) runs the
 * session (frames, HPACK, flow control, SETTINGS, PING, the limits on invalid frames and
 * resets), and each stream it opens becomes a `ServerRequest` for the same handler as on
 * HTTP/1.1, run by the connection's reusable worker fibers on the server's runtime
 * (`H2Exchange`, `streamWorkers.ts`).
 *
 * As Go's server: at most `maxConcurrentStreams` streams open (SETTINGS) and handlers running
 * at once; more queued up to four times that, and past it the session ends with GOAWAY
 * ENHANCE_YOUR_CALM (Go's rapid-reset defence, `scheduleHandler`); a graceful shutdown or a
 * handler's `Connection: close` sends GOAWAY and lets open streams finish; an idle session
 * (no stream for `idleTimeout`) gets GOAWAY too. ConnState: Active at the first stream, Idle
 * when the last ends, Closed with the session, never Hijacked.
 *
 * May touch: the session and its streams; the server only through `ConnHost`.
 *
 * @module
 * @internal
 */
import { type Context, Effect, FiberId } from "effect"
import * as http2 from "node:http2"
import type { RawConn } from "../../net/Conn.js"
import { handOver } from "../../net/handOver.js"
import type { ConnInfo, ConnState } from "../config.js"
import type { ConnHost } from "../ServerConn.js"
import { H2Exchange } from "./H2Exchange.js"
import { requestHeadOf } from "./requestHead.js"
import { StreamWorkers } from "./streamWorkers.js"

/** Go's `maxHeaderListSize`: the header limit plus 32 bytes of HPACK overhead for 10 fields. */
const HEADER_LIST_SLACK = 10 * 32

/** Go's `goAwayTimeout`: how long after a GOAWAY for a connection error the connection is closed. */
const GOAWAY_CLOSE_MS = 1000

/** Workers kept waiting for streams while a connection is quiet (more are made as handlers suspend). */
const KEEP_PARKED = 8

/** Handlers queued beyond those running, as a multiple of `maxConcurrentStreams` (Go: 4). */
const QUEUE_FACTOR = 4

function ignore(): void {}

/** A token bucket on clock readings: `burst` at once, then `perSecond`. */
class TokenBucket {
  private tokens: number
  private last = -1
  constructor(private readonly burst: number, private readonly perSecond: number) {
    this.tokens = burst
  }

  /** Takes a token at `now`; false when none is left. */
  take(now: number): boolean {
    if (this.last >= 0) this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.perSecond) / 1000)
    this.last = now
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  }
}

/**
 * A connection served over HTTP/2.
 *
 * @internal
 */
export class H2ServerConn {
  readonly session: http2.ServerHttp2Session
  /** Streams open (queued, running, or writing). */
  readonly exchanges = new Set<H2Exchange>()
  /** The fibers that run the streams' handlers. */
  readonly workers: StreamWorkers<H2Exchange>
  /** Since when no stream is open (-1 while some are). */
  private idleSince: number
  private goingAway = false
  private ended = false
  /** A GOAWAY for a connection error went out: the connection closes soon. */
  private failing = false
  /** Streams the client reset (nghttp2's own bucket: 1000 at once, 33 a second after). */
  private readonly resets = new TokenBucket(1000, 33)

  constructor(
    readonly info: ConnInfo,
    private readonly conn: RawConn,
    readonly host: ConnHost,
    private readonly services: Context.Context<never> | undefined,
    taken: Uint8Array
  ) {
    const config = host.config
    this.workers = new StreamWorkers((effect) => host.fork(effect, services), config.maxConcurrentStreams, KEEP_PARKED)
    this.idleSince = host.clock.unsafeCurrentTimeMillis()
    const maxHeaderListSize = config.maxHeaderBytes + HEADER_LIST_SLACK
    this.session = http2.performServerHandshake(handOver(conn, taken), {
      settings: { maxConcurrentStreams: config.maxConcurrentStreams, maxHeaderListSize, enablePush: false },
      // Node's own cap on fields per block (default 128) is below what maxHeaderBytes allows
      // (Go has no count limit): let the size limit judge.
      maxHeaderListPairs: Math.max(128, Math.floor(maxHeaderListSize / 32)),
      maxSessionRejectedStreams: 100,
      maxSessionInvalidFrames: 1000
    })
    const session = this.session
    session.on("stream", (stream: http2.ServerHttp2Stream, _headers: http2.IncomingHttpHeaders, flags: number, raw: Array<string>) =>
      this.onStream(stream, flags, raw)
    )
    session.on("error", (error: unknown) => {
      this.host.fork(Effect.logDebug("effect-nethttp server: HTTP/2 session failed", error), undefined)
    })
    session.on("close", () => this.onClose())
    // A frame we could not send (a header block over the client's limit): Node closes the stream.
    session.on("frameError", ignore)
  }

  private state(state: ConnState): void {
    const hook = this.host.config.connState
    if (hook !== undefined) this.host.fork(hook(this.info, state), this.services)
  }

  private onStream(stream: http2.ServerHttp2Stream, flags: number, raw: Array<string>): void {
    if (this.ended) return
    const head = requestHeadOf(raw, (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0)
    if (head === undefined) {
      stream.close(http2.constants.NGHTTP2_PROTOCOL_ERROR)
      return
    }
    const host = head.headers.get("Host") ?? ""
    const config = this.host.config
    const now = config.readTotalTimeoutMs > 0 || config.writeTotalTimeoutMs > 0 ? this.host.clock.unsafeCurrentTimeMillis() : 0
    const exchange = new H2Exchange(this, stream, head, host, now)
    if (this.exchanges.size === 0) {
      this.idleSince = -1
      this.state("Active")
    }
    this.exchanges.add(exchange)
    const workers = this.workers
    if (workers.running < config.maxConcurrentStreams) {
      // A handler that answers with a value in hand needs no fiber (see `H2Exchange.runNow`).
      if (!exchange.runNow()) workers.submit(exchange)
      return
    }
    if (workers.queued >= QUEUE_FACTOR * config.maxConcurrentStreams) {
      // Go 1.21.3's rapid-reset defence: a client opening and resetting streams faster than
      // handlers finish is cut off.
      this.fail(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM)
      return
    }
    workers.submit(exchange)
  }

  /** A stream closed (`queued`: before its handler ran; `byClient`: the client reset it). */
  streamClosed(exchange: H2Exchange, queued: boolean, byClient: boolean): void {
    this.exchanges.delete(exchange)
    if (byClient && !this.resets.take(this.host.clock.unsafeCurrentTimeMillis())) {
      // Rapid reset (CVE-2023-44487): nghttp2 answers it with GOAWAY but leaves the socket to
      // the client; we end the session (Go closes it `goAwayTimeout`, 1 s, after such a GOAWAY).
      this.fail(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM)
    }
    if (queued) this.workers.drop(exchange)
    if (this.exchanges.size === 0 && !this.ended) {
      this.idleSince = this.host.clock.unsafeCurrentTimeMillis()
      this.state("Idle")
      if (this.goingAway || this.host.shuttingDown()) this.session.close()
    }
  }

  private onClose(): void {
    if (this.ended) return
    this.ended = true
    this.workers.interruptAll(FiberId.none)
    this.conn.closeNow()
    this.state("Closed")
    this.host.forget(this)
  }

  /**
   * A connection error (RFC 9113 §5.4.1): GOAWAY with `code`, no new streams, and the
   * connection closed `GOAWAY_CLOSE_MS` later (on the Clock), whatever the client does.
   */
  private fail(code: number): void {
    if (this.ended || this.failing) return
    this.failing = true
    this.goingAway = true
    this.host.fork(Effect.delay(Effect.sync(() => this.interrupt()), GOAWAY_CLOSE_MS), undefined)
    try {
      this.session.goaway(code)
    } catch {
      // the session is closing already
    }
  }

  /** GOAWAY: no new streams; the open ones finish, then the connection closes (Go's `startGracefulShutdown`). */
  goAway(): void {
    if (this.goingAway || this.ended) return
    this.goingAway = true
    // Node's close() sends GOAWAY NO_ERROR with the last stream id nghttp2 processed, and
    // closes the session once its streams ended.
    this.session.close()
  }

  // -------------------------------------------------------------------------------------------
  // Called by the server

  /** Whether no stream is open. */
  isIdle(): boolean {
    return this.exchanges.size === 0
  }

  /**
   * A graceful shutdown begins: GOAWAY; true when no stream was open (the session closes now).
   * Asked again while the shutdown polls for idle connections, a session that already sent
   * GOAWAY is left to Node, which closes it once its streams ended and their frames went out.
   */
  closeIfIdle(): boolean {
    if (this.goingAway) return false
    const idle = this.isIdle()
    this.goAway()
    if (idle) this.session.destroy()
    return idle
  }

  /** Ends the session now: every stream's handler is interrupted. */
  interrupt(): void {
    if (this.ended) return
    this.session.destroy()
    if (!this.conn.isClosed()) this.conn.closeNow()
  }

  /** The reaper's tick: the streams' deadlines, and GOAWAY to a session idle for `idleTimeout`. */
  check(now: number): void {
    for (const x of this.exchanges) x.check(now)
    const idleMs = this.host.config.idleTimeoutMs > 0 ? this.host.config.idleTimeoutMs : this.host.config.readHeaderTimeoutMs
    if (this.idleSince >= 0 && idleMs > 0 && Number.isFinite(idleMs) && now - this.idleSince >= idleMs && !this.goingAway) {
      this.goAway()
      this.session.destroy()
    }
  }

  /** HTTP/2 connections do not park (nghttp2 holds the session's state anyway). */
  park(): void {}

  /** Streams open now. */
  get streams(): number {
    return this.exchanges.size
  }
}

