/**
 * `reliability-report.md`: what ran, with which budgets and seed, and a section per part with
 * its checks and its tables.
 *
 * @module
 */
import type { Mode, PartResult, Table } from "./part.js"
import { summaryLine } from "./summary.js"

/** The facts of a run the report starts with. */
export interface RunInfo {
  readonly mode: Mode
  readonly seed: number
  readonly workers: number
  readonly startedAt: Date
  readonly elapsedMs: number
  readonly node: string
  readonly cores: number
  readonly commit: string
}

const cell = (s: string): string => s.replace(/\|/g, "\\|").replace(/\n/g, " ")

/** A table in Markdown. */
export const markdownTable = (t: Table): string =>
  [
    `**${t.title}**`,
    "",
    `| ${t.columns.map(cell).join(" | ")} |`,
    `|${t.columns.map(() => "---").join("|")}|`,
    ...t.rows.map((r) => `| ${r.map(cell).join(" | ")} |`)
  ].join("\n")

/** The whole report. */
export const renderReport = (info: RunInfo, results: ReadonlyArray<PartResult>): string => {
  const out: Array<string> = [
    "# Reliability report",
    "",
    `Written by \`npm run reliability\` (${info.mode} run) at ${info.startedAt.toISOString()}, commit ${info.commit}; ` +
      `Node ${info.node}, ${info.cores} cores, worker threads: ${info.workers}, seed ${info.seed}; ` +
      `${(info.elapsedMs / 1000).toFixed(1)} s in all. Rerun the same inputs with \`npm run reliability -- --seed ${info.seed}\`.`,
    "",
    `Result: ${summaryLine(results)} (checks).`,
    ""
  ]
  for (const r of results) {
    out.push(`## ${r.name}`, "", r.description, "")
    out.push(`Budget: ${r.budget.count.toLocaleString("en-US")} ${r.unit}, ${(r.budget.timeMs / 1000).toFixed(0)} s; took ${(r.elapsedMs / 1000).toFixed(1)} s. ${r.outcome.summary}`, "")
    out.push(markdownTable({
      title: "Checks",
      columns: ["check", "result", "reason"],
      rows: r.outcome.checks.map((c) => [c.name, c.passed ? "pass" : "FAIL", c.reason ?? ""])
    }), "")
    for (const t of r.outcome.tables) out.push(markdownTable(t), "")
    for (const n of r.outcome.notes ?? []) out.push(n, "")
  }
  return out.join("\n")
}
