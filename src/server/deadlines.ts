/**
 * A connection's timeouts as deadlines (epoch milliseconds on the server's Clock; Infinity when
 * none runs), judged by the server's reaper at each tick (see `Server.ts`): nothing is
 * scheduled per request.
 *
 * - the head's deadline: the first request's head within readHeaderTimeout, a later one's
 *   first byte within idleTimeout, then its head within readHeaderTimeout;
 * - totals: the body's (readTotalTimeout) and the response's (writeTotalTimeout), which the
 *   handler may replace (`setReadDeadline` / `setWriteDeadline`, which also lift the stalls);
 * - stalls: a read waiting for bytes that do not come, a write the client does not take. The
 *   reaper notes progress at each tick and calls a stall once no progress was seen for the
 *   stall timeout (readTimeout, writeTimeout; 0: none);
 * - the linger: after the last reply, how long we wait for the client's close (judged at the
 *   reaper's tick, so it lasts up to a tick longer; no timer and no race per connection).
 *
 * The head's deadline is the connection's (it runs while the connection is parked); the
 * exchange's totals and stalls live in an `ExchangeTimes` made on the first request after the
 * connection started or woke, and dropped when it parks (`release`), so an idle connection
 * holds only the head's.
 *
 * May touch: its own fields; reads the socket's write progress (`RawConn.bytesFlushed`, and
 * `rawSocket.ts`'s `nothingQueued`). It decides
 * what ran out; the serve loop decides what that does (close, interrupt, fail the body's read).
 *
 * @module
 * @internal
 */
import type { Clock } from "effect"
import type { RawConn } from "../net/Conn.js"
import type { ResolvedServerConfig } from "./config.js"
import { BodyRead } from "./connStates.js"
import type { TimeoutPhase } from "./errors.js"
import { nothingQueued } from "./rawSocket.js"

const NONE = Number.POSITIVE_INFINITY

/** The current exchange's deadlines and stall watch (see the module's description). */
class ExchangeTimes {
  /** The request body's total deadline (readTotalTimeout, or the handler's own). */
  readDeadline = NONE
  /** The response's total deadline (writeTotalTimeout, or the handler's own). */
  writeDeadline = NONE
  /** The read stall timeout in force (0: none). */
  readStallMs = 0
  readStallAt = NONE
  writeStallMs = 0
  writeStallAt = NONE
}

/**
 * One connection's deadlines (see the module's description).
 *
 * @internal
 */
export class Deadlines {
  /** Why the connection is being closed by us, if a timeout did it. */
  expired: TimeoutPhase | undefined = undefined
  private headDeadline = NONE
  private headPhase: TimeoutPhase = "read-header"
  /** While lingering after the last reply: when to stop waiting for the client's close. */
  private lingerDeadline = NONE
  /** The progress the stalls were last judged by (kept across exchanges). */
  private bytesInSeen = 0
  private flushedSeen = 0
  /** The exchange's part, made when first needed (see `times`); none while parked. */
  private exchange: ExchangeTimes | undefined = undefined

  constructor(private readonly config: ResolvedServerConfig) {}

  private get times(): ExchangeTimes {
    return this.exchange ??= new ExchangeTimes()
  }

  /** Drops the exchange's part (the connection parks: only the head's deadline runs). */
  release(): void {
    this.exchange = undefined
  }

  /** The read stall timeout in force (0: none). */
  get readStallMs(): number {
    return this.exchange === undefined ? 0 : this.exchange.readStallMs
  }

  /** A wait for a head begins: the first within readHeaderTimeout, later ones' first byte within idleTimeout. */
  waitHead(now: number, first: boolean): void {
    const config = this.config
    const idle = first ? 0 : config.idleTimeoutMs
    const timeout = idle > 0 ? idle : config.readHeaderTimeoutMs
    this.headPhase = idle > 0 ? "idle" : "read-header"
    this.headDeadline = timeout > 0 ? now + timeout : NONE
  }

  /** Whether the head's deadline is the idle timeout's (no byte of the next request came yet). */
  get idle(): boolean {
    return this.headPhase === "idle"
  }

  /** Bytes of the next head came while idle: from now on the head must arrive within readHeaderTimeout. */
  headBegan(now: number): void {
    const timeout = this.config.readHeaderTimeoutMs
    this.headPhase = "read-header"
    this.headDeadline = timeout > 0 ? now + timeout : NONE
  }

  /**
   * A head arrived: the body's and the response's timeouts start (the body's only if there is
   * one). The clock is read only when a total runs (none by default; the stalls start at the
   * reaper's next tick).
   */
  startExchange(clock: Clock.Clock, hasBody: boolean): void {
    const config = this.config
    const t = this.times
    this.headDeadline = NONE
    const readTotal = hasBody ? config.readTotalTimeoutMs : 0
    const now = config.writeTotalTimeoutMs > 0 || readTotal > 0 ? clock.unsafeCurrentTimeMillis() : 0
    t.writeDeadline = config.writeTotalTimeoutMs > 0 ? now + config.writeTotalTimeoutMs : NONE
    t.writeStallMs = config.writeTimeoutMs
    t.writeStallAt = NONE
    t.readDeadline = readTotal > 0 ? now + readTotal : NONE
    t.readStallMs = config.readTimeoutMs
    t.readStallAt = NONE
  }

  /** No read or write timeout any more (hijacked, or lingering before the close). */
  stopExchange(): void {
    const t = this.exchange
    if (t === undefined) return
    t.writeDeadline = NONE
    t.readDeadline = NONE
    t.writeStallMs = 0
    t.readStallMs = 0
  }

  /** The response was written. */
  writeDone(): void {
    const t = this.times
    t.writeDeadline = NONE
    t.writeStallMs = 0
  }

  /** The body was read to its end. */
  readDone(): void {
    this.times.readDeadline = NONE
  }

  /** The handler's own deadline at `at` (Infinity: none) replaces the server's timeouts of `which`. */
  set(which: "read" | "write", at: number): void {
    const t = this.times
    if (which === "read") {
      t.readStallMs = 0
      t.readDeadline = at
    } else {
      t.writeStallMs = 0
      t.writeDeadline = at
    }
  }

  /** The last reply is out and our side ended: wait for the client's close until `until`. */
  linger(until: number): void {
    this.lingerDeadline = until
  }

  /** Whether the wait for the client's close ran out at `now` (not a timeout of the client's: `expired` is left). */
  lingerExpired(now: number): boolean {
    if (now < this.lingerDeadline) return false
    this.lingerDeadline = NONE
    return true
  }

  /** Whether the head's deadline passed at `now` (then `expired` says which). */
  headExpired(now: number): boolean {
    if (now < this.headDeadline) return false
    this.expired = this.headPhase
    this.headDeadline = NONE
    return true
  }

  /** Whether the response's deadline passed, or its write stalled, at `now` (then `expired` is "write"). */
  writeExpired(now: number, conn: RawConn): boolean {
    const t = this.times
    if (t.writeStallMs > 0) {
      const flushed = conn.bytesFlushed()
      if (flushed !== this.flushedSeen || nothingQueued(conn)) {
        this.flushedSeen = flushed
        t.writeStallAt = now + t.writeStallMs
      }
    }
    if (now < t.writeDeadline && now < t.writeStallAt) return false
    this.expired = "write"
    t.writeDeadline = NONE
    t.writeStallAt = NONE
    return true
  }

  /**
   * Whether the body's read ran out of time at `now`: BodyRead.BODY when not, else STALLED or
   * PAST_DEADLINE. `bytesIn` is the input received so far; `held`: no read waits for bytes
   * (the handler is busy, or we hold the input back), which is progress, not a stall.
   */
  readExpired(now: number, bytesIn: number, held: boolean): BodyRead {
    const t = this.times
    if (t.readStallMs > 0 && (bytesIn !== this.bytesInSeen || held)) {
      this.bytesInSeen = bytesIn
      t.readStallAt = now + t.readStallMs
    }
    if (now < t.readDeadline && now < t.readStallAt) return BodyRead.BODY
    const which = now >= t.readDeadline ? BodyRead.PAST_DEADLINE : BodyRead.STALLED
    t.readDeadline = NONE
    t.readStallAt = NONE
    return which
  }

  /** The configured timeout of `phase`, for the log line when it closed the connection. */
  timeoutOf(phase: TimeoutPhase): number {
    const c = this.config
    return phase === "read-header" ? c.readHeaderTimeoutMs : phase === "read" ? c.readTimeoutMs : phase === "write" ? c.writeTimeoutMs : c.idleTimeoutMs
  }
}
