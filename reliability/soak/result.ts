/**
 * What a soak run reports back from its child process (as JSON): the samples, the baseline
 * and final figures, the accounting, outcomes by kind, pool and server figures.
 *
 * @module
 */
import type { Accounting } from "./accounting.js"
import type { OutcomeRow } from "./breakdown.js"
import type { SoakConfig } from "./config.js"
import type { Sample } from "./sample.js"

/** The pool-limit watcher's figures. */
export interface PoolWatch {
  /** Snapshots checked (both Transports). */
  readonly checks: number
  /** Snapshots over a limit. */
  readonly violations: number
  /** The first few violations, described. */
  readonly examples: ReadonlyArray<string>
  /** The most connections (dialing + active + idle) seen for the host on the keep-alive Transport. */
  readonly maxHostConns: number
  /** The most idle connections seen on the keep-alive Transport. */
  readonly maxIdle: number
  /** The most waiting requests seen on the keep-alive Transport. */
  readonly maxWaiting: number
  /** The most connections seen for the host on the fresh-connection Transport. */
  readonly freshMaxHostConns: number
}

/** Whether the process went quiet (no connection open on either side) before a measurement, and how long it took. */
export interface Quiet {
  readonly reached: boolean
  readonly waitedMs: number
  /** What was still open when it gave up (empty when reached). */
  readonly left: string
}

/** The whole result of a soak run. */
export interface SoakResult {
  readonly config: SoakConfig
  /** Whether `global.gc` was there (the child runs with --expose-gc). */
  readonly gcExposed: boolean
  readonly elapsedMs: number
  /** When the load proper started and stopped, in ms since the start (the plot marks them). */
  readonly loadStartMs: number
  readonly loadEndMs: number
  readonly samples: ReadonlyArray<Sample>
  readonly baseline: Sample
  readonly final: Sample
  readonly quietBeforeBaseline: Quiet
  readonly quietAfterLoad: Quiet
  /** Requests finished during the load proper (warm-up excluded) and their rate. */
  readonly loadRequests: number
  readonly requestsPerSecond: number
  readonly accounting: Accounting
  readonly byConnAndRoute: ReadonlyArray<OutcomeRow>
  readonly byReadAndInterrupt: ReadonlyArray<OutcomeRow>
  /** Typed failures: route, label (`TransportError phase reason`), count, the first one's detail. */
  readonly failures: ReadonlyArray<readonly [string, string, number, string]>
  /** The first few defects. */
  readonly defects: ReadonlyArray<string>
  readonly pool: PoolWatch
  readonly server: {
    /** Connections hijacked and closed unanswered by the reset route. */
    readonly hijackResets: number
    /** `Server.closeConnections` calls (every connection reset) during the load. */
    readonly closeConnections: number
    /** Requests with no valid soak id. */
    readonly unknownIds: number
    readonly accepted: number
  }
}
