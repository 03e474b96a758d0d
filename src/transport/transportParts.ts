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
import type { Effect } from "effect"
import type { DialerService } from "../net/Dialer.js"
import type { WriteBatch } from "../net/WriteBatch.js"
import type { ResolvedConfig } from "./config.js"
import type { ConnPool } from "./ConnPool.js"
import type { ConnTimers } from "./connTimers.js"
import type { Destinations } from "./prepare.js"

/** Forks an effect into the Transport's Scope (interrupted when the Transport closes). */
export type RunFork = (effect: Effect.Effect<unknown, unknown, never>) => unknown

/** @internal */
export class TransportParts {
  /** Set once, right after construction (the pool's callbacks need the parts first). */
  pool!: ConnPool

  constructor(
    readonly config: ResolvedConfig,
    readonly dialer: DialerService,
    readonly destinations: Destinations,
    readonly writes: WriteBatch,
    readonly runFork: RunFork,
    /** The timers the connections share (head and body timeouts, keep-alive hints). */
    readonly timers: ConnTimers
  ) {}
}
