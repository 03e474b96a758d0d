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
 *   stall timeout (readTimeout, writeTimeout; 0: none).
 *
 * May touch: its own fields; reads the socket's write progress (`RawConn.bytesFlushed`, and
 * `rawSocket.ts`'s `nothingQueued`). It decides
 * what ran out; the serve loop decides what that does (close, interrupt, fail the body's read).
 *
 * @module
 * @internal
 */
import type { RawConn } from "../net/Conn.js"
import type { ResolvedServerConfig } from "./config.js"
import { BodyRead } from "./connStates.js"
import type { TimeoutPhase } from "./errors.js"
import { nothingQueued } from "./rawSocket.js"

const NONE = Number.POSITIVE_INFINITY

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
  /** The request body's total deadline (readTotalTimeout, or the handler's own). */
  private readDeadline = NONE
  /** The response's total deadline (writeTotalTimeout, or the handler's own). */
  private writeDeadline = NONE
  /** The read stall timeout in force (0: none). */
  readStallMs = 0
  private readStallAt = NONE
  private writeStallMs = 0
  private writeStallAt = NONE
  private bytesInSeen = 0
  private flushedSeen = 0

  constructor(private readonly config: ResolvedServerConfig) {}

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

  /** A head arrived: the body's and the response's timeouts start (the body's only if there is one). */
  startExchange(now: number, hasBody: boolean): void {
    const config = this.config
    this.headDeadline = NONE
    this.writeDeadline = config.writeTotalTimeoutMs > 0 ? now + config.writeTotalTimeoutMs : NONE
    this.writeStallMs = config.writeTimeoutMs
    this.writeStallAt = NONE
    this.readDeadline = hasBody && config.readTotalTimeoutMs > 0 ? now + config.readTotalTimeoutMs : NONE
    this.readStallMs = config.readTimeoutMs
    this.readStallAt = NONE
  }

  /** No read or write timeout any more (hijacked, or lingering before the close). */
  stopExchange(): void {
    this.writeDeadline = NONE
    this.readDeadline = NONE
    this.writeStallMs = 0
    this.readStallMs = 0
  }

  /** The response was written. */
  writeDone(): void {
    this.writeDeadline = NONE
    this.writeStallMs = 0
  }

  /** The body was read to its end. */
  readDone(): void {
    this.readDeadline = NONE
  }

  /** The handler's own deadline at `at` (Infinity: none) replaces the server's timeouts of `which`. */
  set(which: "read" | "write", at: number): void {
    if (which === "read") {
      this.readStallMs = 0
      this.readDeadline = at
    } else {
      this.writeStallMs = 0
      this.writeDeadline = at
    }
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
    if (this.writeStallMs > 0) {
      const flushed = conn.bytesFlushed()
      if (flushed !== this.flushedSeen || nothingQueued(conn)) {
        this.flushedSeen = flushed
        this.writeStallAt = now + this.writeStallMs
      }
    }
    if (now < this.writeDeadline && now < this.writeStallAt) return false
    this.expired = "write"
    this.writeDeadline = NONE
    this.writeStallAt = NONE
    return true
  }

  /**
   * Whether the body's read ran out of time at `now`: BodyRead.BODY when not, else STALLED or
   * PAST_DEADLINE. `bytesIn` is the input received so far; `held`: no read waits for bytes
   * (the handler is busy, or we hold the input back), which is progress, not a stall.
   */
  readExpired(now: number, bytesIn: number, held: boolean): BodyRead {
    if (this.readStallMs > 0 && (bytesIn !== this.bytesInSeen || held)) {
      this.bytesInSeen = bytesIn
      this.readStallAt = now + this.readStallMs
    }
    if (now < this.readDeadline && now < this.readStallAt) return BodyRead.BODY
    const which = now >= this.readDeadline ? BodyRead.PAST_DEADLINE : BodyRead.STALLED
    this.readDeadline = NONE
    this.readStallAt = NONE
    return which
  }

  /** The configured timeout of `phase`, for the log line when it closed the connection. */
  timeoutOf(phase: TimeoutPhase): number {
    const c = this.config
    return phase === "read-header" ? c.readHeaderTimeoutMs : phase === "read" ? c.readTimeoutMs : phase === "write" ? c.writeTimeoutMs : c.idleTimeoutMs
  }
}
