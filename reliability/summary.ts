/**
 * The printed summary: one table (a row per part) and the last line, `N passed, N failed`,
 * where N counts checks (every part reports several checks, e.g. one per fuzz target and
 * property), not parts.
 *
 * @module
 */
import { type PartResult, partPassed } from "./part.js"

const pad = (s: string, n: number): string => s + " ".repeat(Math.max(0, n - s.length))

/** Rows of cells as a fixed-width text table with a header rule. */
export const textTable = (columns: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => (r[i] ?? "").length)))
  const line = (cells: ReadonlyArray<string>) => cells.map((c, i) => pad(c, widths[i]!)).join("  ").trimEnd()
  return [line(columns), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n")
}

/** The checks passed and failed over all parts. */
export const countChecks = (results: ReadonlyArray<PartResult>): { readonly passed: number; readonly failed: number } => {
  let passed = 0
  let failed = 0
  for (const r of results) for (const c of r.outcome.checks) c.passed ? passed++ : failed++
  return { passed, failed }
}

/** The last line of a run: `N passed, N failed`, counting checks. */
export const summaryLine = (results: ReadonlyArray<PartResult>): string => {
  const { failed, passed } = countChecks(results)
  return `${passed} passed, ${failed} failed`
}

/** The summary table: a row per part, then each failed check with its reason. */
export const summaryTable = (results: ReadonlyArray<PartResult>): string => {
  const rows = results.map((r) => {
    const { failed, passed } = countChecks([r])
    return [r.name, partPassed(r) ? "PASS" : "FAIL", String(passed), String(failed), `${(r.elapsedMs / 1000).toFixed(1)} s`, r.outcome.summary]
  })
  const table = textTable(["part", "result", "checks passed", "failed", "time", "figures"], rows)
  const failures = results.flatMap((r) => r.outcome.checks.filter((c) => !c.passed).map((c) => `FAILED ${c.name}: ${c.reason ?? ""}`))
  return failures.length === 0 ? table : table + "\n\n" + failures.join("\n")
}
