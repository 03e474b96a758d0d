/**
 * A very short real soak through the part's code (the child process, the accounting, the
 * checks, the plot): 3 s of load after 2 s of warm-up, on a healthy build every check passes.
 * The heap slack is larger than the part's (4 MiB): after 2 s of warm-up V8 is still compiling
 * the load's code, which the part's 10 s warm-up leaves behind.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { writePlot, SOAK_SVG } from "../../reliability/parts/soak.js"
import { soakConfig } from "../../reliability/soak/config.js"
import { evaluate } from "../../reliability/soak/evaluate.js"
import { runSoakChild } from "../../reliability/soak/spawn.js"

describe("soak (short real run)", () => {
  it.live("3 s of mixed load: every check passes, the tables and the plot are made", () =>
    Effect.gen(function*() {
      const config = {
        ...soakConfig("quick", 7, 100_000),
        concurrency: 16,
        warmupMs: 2_000,
        loadMs: 3_000,
        settleMs: 1_000,
        sampleEveryMs: 500,
        resetEveryMs: 1_000,
        requestGuardMs: 5_000,
        heapSlackBytes: 4 * 2 ** 20
      }
      const lines: Array<string> = []
      const result = yield* runSoakChild(config, (l) => lines.push(l), 20_000)
      const outcome = evaluate(result)
      const failed = outcome.checks.filter((c) => !c.passed)
      expect(failed, failed.map((c) => `${c.name}: ${c.reason}`).join("\n")).toEqual([])
      expect(outcome.checks.length).toBe(8)
      expect(result.gcExposed).toBe(true)
      expect(result.loadRequests).toBeGreaterThan(100)
      expect(result.accounting.issued).toBe(result.byConnAndRoute.reduce((s, g) => s + g.requests, 0))
      expect(result.samples.some((s) => s.phase === "load")).toBe(true)
      expect(result.samples.some((s) => s.phase === "settle")).toBe(true)
      expect(lines.some((l) => l.startsWith("load stopped"))).toBe(true)
      expect(outcome.tables.map((t) => t.title.split(" (")[0])).toContain("Samples")
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "soak-plot-"))
      try {
        const notes = writePlot(result, dir, false)
        expect(notes.join(" ")).toContain(SOAK_SVG)
        const svg = fs.readFileSync(path.join(dir, SOAK_SVG), "utf8")
        expect(svg).toContain(`id="load-stop"`)
      } finally {
        fs.rmSync(dir, { recursive: true, force: true })
      }
    }), 25_000)
})
