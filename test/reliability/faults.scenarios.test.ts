/**
 * Every faults scenario, tiny, against a healthy server of ours (readHeaderTimeout 200 ms),
 * and one small shutdown under load: the checks pass. Each scenario's server runs in a child
 * process, as in `npm run reliability`.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { runAgainst, SCENARIOS } from "../../reliability/parts/faults.js"
import type { PeerSpec } from "../../reliability/faults/peers.js"
import type { Sizes } from "../../reliability/faults/scenario.js"
import { runShutdownOnce } from "../../reliability/shutdown/runOnce.js"
import { findWrk } from "../../reliability/shutdown/wrk.js"

const TINY: Sizes = {
  slowloris: 20, idle: 50, idleHoldMs: 200, churn: 100, resets: 10, cuts: 3, halfCloses: 10, endless: 2, bombs: 1,
  fdConnections: 300, fdHoldMs: 500, minWindowMs: 1_000
}

const ours: PeerSpec = { peer: "ours", script: "reliability/faults/server-ours.ts", env: { FAULTS_READ_HEADER_TIMEOUT_MS: "200" }, settings: "" }

const options = { mode: "quick" as const, sizes: TINY, readHeaderTimeoutMs: 200, deadline: Date.now() + 60_000, scenarioLimitMs: 10_000, log: () => undefined }

describe("faults scenarios on a healthy server", () => {
  it.live("every check passes (one child for all but fd exhaustion)", () =>
    Effect.gen(function*() {
      const shared = yield* runAgainst(ours, SCENARIOS.filter((s) => s.fdLimit === undefined), options)
      const failed = shared.flatMap((r) => r.checks.filter((c) => !c.passed))
      expect(failed).toEqual([])
      expect(shared.map((r) => r.scenario)).toHaveLength(SCENARIOS.length - 1)
      const slow = shared.find((r) => r.scenario === "slowloris")!
      expect(Object.fromEntries(slow.figures)["cut by the server"]).toBe("20")
    }), 30_000)

  it.live("fd exhaustion under ulimit -n 256: the server lives and answers again", () =>
    Effect.gen(function*() {
      const [r] = yield* runAgainst(ours, SCENARIOS.filter((s) => s.fdLimit !== undefined), options)
      expect(r!.checks.filter((c) => !c.passed)).toEqual([])
    }), 20_000)
})

describe("shutdown under load", () => {
  const wrk = findWrk()
  it.live.skipIf(wrk === undefined)("our server answers every started request and exits 0", () =>
    Effect.gen(function*() {
      const r = yield* runShutdownOnce({
        label: "ours", script: "reliability/shutdown/server-ours.ts", wrk: wrk!, sigtermAfterMs: 800,
        shutdownTimeoutMs: 10_000, marginMs: 2_000, wrkConnections: 8, clientConnections: 4, idPrefix: "t"
      })
      expect(r.checks.filter((c) => !c.passed)).toEqual([])
      expect(r.checks.length).toBeGreaterThanOrEqual(5)
    }), 20_000)
})
