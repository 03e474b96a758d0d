/**
 * The primary's decisions about crashed workers, as pure functions of the crash history and
 * the time: how long to wait before a restart (backoff), and when crashes come so fast that
 * restarting is pointless (a crash loop). The supervisor (`primary.ts`) keeps the history and
 * reads the time from Effect's Clock; nothing here touches a process or a timer.
 *
 * @module
 * @internal
 */

/**
 * The restart policy, in milliseconds.
 *
 * @internal
 */
export interface RestartPolicy {
  /** The first restart's delay. */
  readonly initialDelayMs: number
  /** The longest delay (the doubling stops there). */
  readonly maxDelayMs: number
  /** More crashes than this within `windowMs` is a crash loop. */
  readonly maxCrashes: number
  /** The window crashes are counted in. */
  readonly windowMs: number
}

/**
 * What to do after a crash.
 *
 * @internal
 */
export type CrashDecision =
  | { readonly _tag: "Restart"; readonly delayMs: number; readonly history: ReadonlyArray<number> }
  | { readonly _tag: "GiveUp"; readonly crashes: number; readonly history: ReadonlyArray<number> }

/**
 * The delay before the restart that follows the `n`-th crash of a run of crashes (n ≥ 1):
 * `initialDelayMs`, doubling, capped at `maxDelayMs`.
 *
 * @internal
 */
export const backoffDelay = (policy: RestartPolicy, n: number): number => {
  const k = Math.max(1, Math.floor(n))
  // 2^(k-1) without overflow: past 2^40 every sane cap is reached anyway.
  const factor = k > 41 ? Number.MAX_SAFE_INTEGER : 2 ** (k - 1)
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * factor)
}

/**
 * Records a crash at `now` (epoch ms) in `history` (the earlier crash times, any order) and
 * decides: crashes older than the window are forgotten; more than `maxCrashes` left is a
 * crash loop, otherwise a restart after the backoff for that many recent crashes (so a worker
 * that ran well for a window starts again from `initialDelayMs`).
 *
 * @internal
 */
export const onCrash = (policy: RestartPolicy, history: ReadonlyArray<number>, now: number): CrashDecision => {
  const recent = history.filter((t) => now - t < policy.windowMs)
  recent.push(now)
  if (recent.length > policy.maxCrashes) return { _tag: "GiveUp", crashes: recent.length, history: recent }
  return { _tag: "Restart", delayMs: backoffDelay(policy, recent.length), history: recent }
}
