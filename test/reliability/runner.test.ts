/**
 * The runner: the command line, the summary line's format (checks counted), a part that
 * fails or dies reported as a failed check, and the report's tables.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import { DEFAULT_SEED, parseArgs } from "../../reliability/cli.js"
import type { Part, PartOutcome } from "../../reliability/part.js"
import { renderReport } from "../../reliability/report.js"
import { runParts } from "../../reliability/runner.js"
import { summaryLine, summaryTable } from "../../reliability/summary.js"

const outcome = (passed: number, failed: number): PartOutcome => ({
  checks: [
    ...Array.from({ length: passed }, (_, i) => ({ name: `ok ${i}`, passed: true })),
    ...Array.from({ length: failed }, (_, i) => ({ name: `bad ${i}`, passed: false, reason: "it broke" }))
  ],
  summary: "figures",
  tables: [{ title: "T", columns: ["a", "b"], rows: [["1", "x|y"]] }]
})

const part = (name: string, run: Part["run"]): Part => ({
  name,
  description: `the ${name} part`,
  unit: "things",
  quick: { count: 10, timeMs: 5_000 },
  full: { count: 100, timeMs: 5_000 },
  run
})

const options = { mode: "quick" as const, seed: 1, workers: 1, root: "/tmp", log: () => {} }

describe("the runner", () => {
  it.effect("counts checks over all parts; a part that fails or dies is a failed check", () =>
    Effect.gen(function*() {
      const results = yield* runParts([
        part("good", () => Effect.succeed(outcome(3, 0))),
        part("mixed", () => Effect.succeed(outcome(2, 1))),
        part("failing", () => Effect.fail("no socket")),
        part("dying", () => Effect.die(new Error("bug")))
      ], options)
      expect(summaryLine(results)).toBe("5 passed, 3 failed")
      expect(summaryLine(results)).toMatch(/^\d+ passed, \d+ failed$/)
      expect(results.map((r) => r.outcome.checks.every((c) => c.passed))).toEqual([true, false, false, false])
      expect(results[2]!.outcome.checks[0]!.reason).toContain("no socket")
      expect(results[3]!.outcome.checks[0]!.reason).toContain("bug")
      const table = summaryTable(results)
      expect(table.split("\n")[0]).toMatch(/^part\s+result\s+checks passed\s+failed\s+time\s+figures$/)
      expect(table).toContain("FAILED bad 0: it broke")
    }))

  it.effect("gives a part its quick or full budget, or the count asked for", () =>
    Effect.gen(function*() {
      const seen: Array<number> = []
      const p = part("b", (ctx) => Effect.sync(() => (seen.push(ctx.budget.count), outcome(1, 0))))
      yield* runParts([p], options)
      yield* runParts([p], { ...options, mode: "full" })
      yield* runParts([p], { ...options, count: 7 })
      expect(seen).toEqual([10, 100, 7])
    }))

  it("parses the command line", () => {
    expect(parseArgs([])).toEqual(Either.right({ mode: "full", only: [], seed: DEFAULT_SEED, workers: undefined, count: undefined, report: false }))
    expect(parseArgs(["--quick", "--only", "fuzz", "--seed", "5", "--count", "100", "--workers", "1"])).toEqual(
      Either.right({ mode: "quick", only: ["fuzz"], seed: 5, workers: 1, count: 100, report: false })
    )
    expect(Either.isLeft(parseArgs(["--only"]))).toBe(true)
    expect(Either.isLeft(parseArgs(["--count", "x"]))).toBe(true)
    expect(Either.isLeft(parseArgs(["--fast"]))).toBe(true)
  })

  it.effect("writes a report with a section and tables per part", () =>
    Effect.gen(function*() {
      const results = yield* runParts([part("good", () => Effect.succeed(outcome(1, 0)))], options)
      const md = renderReport({ mode: "full", seed: 1, workers: 2, startedAt: new Date(0), elapsedMs: 1000, node: "v20", cores: 2, commit: "abc" }, results)
      expect(md).toContain("## good")
      expect(md).toContain("| a | b |")
      expect(md).toContain("| 1 | x\\|y |")
      expect(md).toContain("1 passed, 0 failed")
    }))
})
