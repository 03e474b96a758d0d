/**
 * The return-to-baseline check: a figure after the load (heap after GC, open fds) is back when
 * it is at most `tolerance` (5 %) above its baseline plus a small absolute slack, so that a
 * tiny baseline (30 fds: 5 % is 1.5) does not fail on one descriptor. Lower is always fine.
 *
 * @module
 */

/** The verdict on one figure. */
export interface BaselineVerdict {
  readonly name: string
  readonly baseline: number
  readonly after: number
  /** The most `after` may be. */
  readonly limit: number
  /** (after - baseline) / baseline. */
  readonly growth: number
  readonly passed: boolean
}

/** Whether `after` is within `tolerance` (a fraction) of `baseline`, plus `slack` (absolute). */
export const withinBaseline = (name: string, baseline: number, after: number, tolerance: number, slack: number): BaselineVerdict => {
  const limit = baseline * (1 + tolerance) + slack
  return { name, baseline, after, limit, growth: baseline > 0 ? (after - baseline) / baseline : 0, passed: after <= limit }
}
