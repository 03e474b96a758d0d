/**
 * What the parts of one Transport share (the pool, the settings, the fibers it forks, the
 * write batch), built once by `RoundTripper.make` and handed to the modules that dial
 * (`dial.ts`), expire idle connections (`idleExpiry.ts`), send (`sendRequest.ts`), build
 * responses (`receiveResponse.ts`) and run attempts (`attempt.ts`). A class, so that every
 * part reads the same fields without a closure of its own.
 *
 * @module
 * @internal
 */
import { Effect } from "effect"
import type { DialerService } from "../net/Dialer.js"
import type { WriteBatch } from "../net/WriteBatch.js"
import type { ResolvedConfig } from "./config.js"
import type { ConnPool } from "./ConnPool.js"
import type { ConnTimers } from "./connTimers.js"
import type { Destinations } from "./prepare.js"
import { H2Timers } from "./h2/H2Exchange.js"

/** Forks an effect into the Transport's Scope (interrupted when the Transport closes). */
export type RunFork = (effect: Effect.Effect<unknown, unknown, never>) => unknown

/** @internal */
export class TransportParts {
  /** Set once, right after construction (the pool's callbacks need the parts first). */
  pool!: ConnPool
  /** The Transport clock's time in milliseconds (set with `pool`). */
  now!: () => number
  /** The HTTP/2 exchanges' timers, made when the first session opens. */
  h2Timers: H2Timers | undefined = undefined

  constructor(
    readonly config: ResolvedConfig,
    readonly dialer: DialerService,
    readonly destinations: Destinations,
    readonly writes: WriteBatch,
    readonly runFork: RunFork,
    /** The timers the connections share (head and body timeouts, keep-alive hints). */
    readonly timers: ConnTimers
  ) {}

  /**
   * An HTTP/2 session opened: the first one starts the HTTP/2 timers (the head's and body's
   * timeouts, and the health PINGs when `sendPingTimeout` is set: one fiber for all sessions).
   */
  sessionStarted(): void {
    if (this.h2Timers !== undefined) return
    const config = this.config
    this.h2Timers = new H2Timers(config.responseHeaderTimeoutMs, config.bodyTimeoutMs, this.now, this.runFork)
    const sendPingMs = config.h2SendPingTimeoutMs
    if (sendPingMs > 0) {
      const pingMs = config.h2PingTimeoutMs
      // Checked four times per the shorter period: a PING goes out at most a quarter late.
      const every = Math.max(1, Math.floor(Math.min(sendPingMs, pingMs) / 4))
      const check = Effect.sync(() => this.pool.healthCheck(sendPingMs, pingMs))
      this.runFork(Effect.forever(Effect.zipRight(Effect.sleep(every), check)))
    }
  }
}
