/**
 * The primary's crash decisions (src/server/cluster/policy.ts): the backoff and the crash-loop
 * window, as tables and fast-check properties.
 */
import { FastCheck as fc } from "effect"
import { describe, expect, it } from "vitest"
import { backoffDelay, onCrash, type RestartPolicy } from "../../src/server/cluster/policy.js"

const policy: RestartPolicy = { initialDelayMs: 100, maxDelayMs: 5_000, maxCrashes: 5, windowMs: 60_000 }

describe("backoffDelay", () => {
  it("doubles from the initial delay up to the cap", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 100].map((n) => backoffDelay(policy, n))).toEqual([100, 200, 400, 800, 1600, 3200, 5000, 5000])
  })

  it("never falls as crashes add up, and stays within [initial, max]", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 1_000 }), fc.integer({ min: 1, max: 100_000 }), (n, initial, cap) => {
        const p = { ...policy, initialDelayMs: initial, maxDelayMs: Math.max(initial, cap) }
        const d = backoffDelay(p, n)
        expect(d).toBeGreaterThanOrEqual(initial)
        expect(d).toBeLessThanOrEqual(p.maxDelayMs)
        expect(backoffDelay(p, n + 1)).toBeGreaterThanOrEqual(d)
      })
    )
  })
})

describe("onCrash", () => {
  it("restarts with growing delays, then gives up past maxCrashes within the window", () => {
    let history: ReadonlyArray<number> = []
    const delays: Array<number> = []
    for (let i = 0; i < 5; i++) {
      const d = onCrash(policy, history, 1_000 + i * 10)
      expect(d._tag).toBe("Restart")
      if (d._tag === "Restart") delays.push(d.delayMs)
      history = d.history
    }
    expect(delays).toEqual([100, 200, 400, 800, 1600])
    const last = onCrash(policy, history, 1_100)
    expect(last).toEqual({ _tag: "GiveUp", crashes: 6, history: [...history, 1_100] })
  })

  it("forgets crashes older than the window: a worker that ran well starts again from the first delay", () => {
    const d = onCrash(policy, [0, 10, 20, 30, 40], 60_040)
    expect(d).toEqual({ _tag: "Restart", delayMs: 100, history: [60_040] })
  })

  it("maxCrashes 0 gives up at the first crash", () => {
    expect(onCrash({ ...policy, maxCrashes: 0 }, [], 5)._tag).toBe("GiveUp")
  })

  it("gives up exactly when more than maxCrashes crashes fall within the window (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 200_000 }), { maxLength: 20 }),
        fc.integer({ min: 0, max: 8 }),
        fc.integer({ min: 1, max: 100_000 }),
        (times, maxCrashes, windowMs) => {
          const sorted = [...times].sort((a, b) => a - b)
          const now = (sorted.at(-1) ?? 0) + 1
          const p = { ...policy, maxCrashes, windowMs }
          const d = onCrash(p, sorted, now)
          const recent = sorted.filter((t) => now - t < windowMs).length + 1
          expect(d.history).toHaveLength(recent)
          expect(d._tag).toBe(recent > maxCrashes ? "GiveUp" : "Restart")
          if (d._tag === "Restart") expect(d.delayMs).toBe(backoffDelay(p, recent))
        }
      )
    )
  })
})
