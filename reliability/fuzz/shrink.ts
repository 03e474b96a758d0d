/**
 * Shrinking a failing input at the byte level: remove ranges (halves, quarters, ... single
 * bytes) while it still fails, then replace bytes by simpler ones ("a", "0", SP) while it
 * still fails. Bounded by a count of predicate calls and a time limit.
 *
 * @module
 */

/** How long shrinking may go on. */
export interface ShrinkBudget {
  /** Calls of the predicate, at most. */
  readonly maxCalls: number
  /** Milliseconds, at most. */
  readonly maxMs: number
}

/** The default budget: enough for inputs of a few KiB. */
export const DEFAULT_SHRINK_BUDGET: ShrinkBudget = { maxCalls: 20_000, maxMs: 5_000 }

const SIMPLER: ReadonlyArray<number> = [0x61, 0x30, 0x20]

const without = (b: Uint8Array, from: number, to: number): Uint8Array => {
  const out = new Uint8Array(b.length - (to - from))
  out.set(b.subarray(0, from), 0)
  out.set(b.subarray(to), from)
  return out
}

/**
 * A smaller input on which `fails` still holds (the input itself when nothing smaller does).
 * `fails(input)` must hold at the start; an exception from `fails` counts as "still fails".
 */
export const shrink = (
  input: Uint8Array,
  fails: (candidate: Uint8Array) => boolean,
  budget: ShrinkBudget = DEFAULT_SHRINK_BUDGET
): Uint8Array => {
  const deadline = Date.now() + budget.maxMs
  let calls = 0
  const still = (c: Uint8Array): boolean => {
    calls++
    try {
      return fails(c)
    } catch {
      return true
    }
  }
  const spent = () => calls >= budget.maxCalls || Date.now() > deadline
  let best = input
  // Removal passes: chunk sizes from half the input down to one byte, repeated while they help.
  let size = Math.max(1, best.length >> 1)
  while (size >= 1 && !spent()) {
    let removed = false
    for (let from = 0; from + size <= best.length && !spent();) {
      const candidate = without(best, from, from + size)
      if (still(candidate)) {
        best = candidate
        removed = true
      } else from += size
    }
    if (!removed) size >>= 1
    else size = Math.min(size, Math.max(1, best.length >> 1))
  }
  // Simplification: each byte replaced by a simpler one ("a" < "0" < SP < anything else), when that still fails.
  for (let i = 0; i < best.length && !spent(); i++) {
    const rank = SIMPLER.indexOf(best[i]!)
    const tries = rank < 0 ? SIMPLER : SIMPLER.slice(0, rank)
    for (const b of tries) {
      if (spent()) break
      const candidate = new Uint8Array(best) // a copy, whatever `best` is (Buffer.prototype.slice is a view)
      candidate[i] = b
      if (still(candidate)) {
        best = candidate
        break
      }
    }
  }
  return best
}
