/**
 * The settings of one soak run (what the part hands to the child process), and the quick and
 * full presets: 60 s of load sampled every 5 s, or 10 minutes sampled every 10 s.
 *
 * @module
 */
import type { Mode } from "../part.js"

/** The pool limits the soak sets on its keep-alive Transport (and checks at every sample). */
export interface PoolLimits {
  /** Per host: dialing + active + idle connections. */
  readonly maxConnsPerHost: number
  /** Idle connections per host. */
  readonly maxIdleConnsPerHost: number
  /** Idle connections over all hosts. */
  readonly maxIdleConns: number
}

/** Everything a soak run needs; plain data, so that it crosses to the child process as JSON. */
export interface SoakConfig {
  readonly seed: number
  /** Requests in flight at once (one client fiber each). */
  readonly concurrency: number
  /** At most this many requests in all (the ledger is sized for it). */
  readonly maxRequests: number
  /** Load before the baseline is taken (code compiled, pools and caches filled). */
  readonly warmupMs: number
  /** The soak proper. */
  readonly loadMs: number
  /** After the load: idle connections closed, then this long with samples, before the final figures. */
  readonly settleMs: number
  /** Time between samples of RSS, heap after GC, fds, pool and server stats. */
  readonly sampleEveryMs: number
  /** Time between checks of the pool's figures against its limits (much more often than samples). */
  readonly poolCheckEveryMs: number
  /** A request still unfinished after this long is counted as lost (it is interrupted). */
  readonly requestGuardMs: number
  /** Server-side resets of every connection (`Server.closeConnections`) happen at random, on average this often. */
  readonly resetEveryMs: number
  readonly limits: PoolLimits
  /** The fresh-connection Transport's per-host limit (it keeps nothing idle). */
  readonly freshMaxConnsPerHost: number
  /** Allowed growth of heap-after-GC and fds over their baseline, as a fraction (0.05: 5 %). */
  readonly tolerance: number
  /** Absolute slack added to the tolerance for heap after GC, in bytes (tiny baselines). */
  readonly heapSlackBytes: number
  /** Absolute slack added to the tolerance for open fds (tiny baselines). */
  readonly fdSlack: number
}

/** The pool limits of every preset. */
export const LIMITS: PoolLimits = { maxConnsPerHost: 16, maxIdleConnsPerHost: 8, maxIdleConns: 8 }

const common = {
  concurrency: 32,
  poolCheckEveryMs: 20,
  requestGuardMs: 30_000,
  resetEveryMs: 4_000,
  limits: LIMITS,
  freshMaxConnsPerHost: 16,
  tolerance: 0.05,
  heapSlackBytes: 512 * 1024,
  fdSlack: 2
} as const

/** The preset of a mode: quick 60 s of load (samples every 5 s), full 10 minutes (every 10 s). */
export const soakConfig = (mode: Mode, seed: number, maxRequests: number): SoakConfig =>
  mode === "quick"
    ? { ...common, seed, maxRequests, warmupMs: 10_000, loadMs: 60_000, settleMs: 10_000, sampleEveryMs: 5_000 }
    : { ...common, seed, maxRequests, warmupMs: 20_000, loadMs: 600_000, settleMs: 20_000, sampleEveryMs: 10_000 }

/** How long a run of `config` takes at most, besides starting the process (the child is killed after this plus a margin). */
export const expectedMs = (c: SoakConfig): number =>
  c.warmupMs + c.loadMs + c.settleMs + c.requestGuardMs + 20_000
