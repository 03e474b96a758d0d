/**
 * What a part of the reliability suite is: a name, quick and full budgets (a count and a time
 * limit), and a run that returns its checks and figures. The runner (`runner.ts`) runs parts
 * in order; later parts (soak, faults, shutdown under load, ...) are added to `parts/index.ts`.
 *
 * @module
 */
import type { Effect } from "effect"

/** How much a part may do: at most `count` units of work (its own unit) and `timeMs` milliseconds. */
export interface Budget {
  readonly count: number
  readonly timeMs: number
}

/** `quick` for CI (the whole suite under 3 minutes), `full` for the complete run (under 30 minutes). */
export type Mode = "quick" | "full"

/** One pass/fail verdict of a part, with the reason when it failed. */
export interface Check {
  readonly name: string
  readonly passed: boolean
  readonly reason?: string
}

/** A table of figures, for the report. */
export interface Table {
  readonly title: string
  readonly columns: ReadonlyArray<string>
  readonly rows: ReadonlyArray<ReadonlyArray<string>>
}

/** What a part returns. */
export interface PartOutcome {
  /** The checks; the part passed when every one did. */
  readonly checks: ReadonlyArray<Check>
  /** A one-line summary of its figures, for the printed summary table. */
  readonly summary: string
  /** Its figures in detail, for `reliability-report.md`. */
  readonly tables: ReadonlyArray<Table>
  /** Free text for the report (how to read the tables, what was not done). */
  readonly notes?: ReadonlyArray<string>
}

/** What a part is given to run. */
export interface PartContext {
  readonly mode: Mode
  /** The budget for this mode (after command-line overrides). */
  readonly budget: Budget
  /** The seed of every random choice: the same seed reruns the same inputs. */
  readonly seed: number
  /** Worker threads the part may use. */
  readonly workers: number
  /** The repository's root directory. */
  readonly root: string
  /** Progress lines, printed as they come. */
  readonly log: (line: string) => void
}

/** One part of the suite. */
export interface Part {
  /** Short and unique: what `--only` takes. */
  readonly name: string
  readonly description: string
  /** What `Budget.count` counts (e.g. "inputs per target"). */
  readonly unit: string
  readonly quick: Budget
  readonly full: Budget
  /** Runs within the budget; a failure of the Effect counts as a failed part. */
  readonly run: (ctx: PartContext) => Effect.Effect<PartOutcome, unknown>
}

/** What the runner recorded for a part. */
export interface PartResult {
  readonly name: string
  readonly description: string
  readonly unit: string
  readonly budget: Budget
  readonly elapsedMs: number
  readonly outcome: PartOutcome
}

/** Whether every check of a part passed. */
export const partPassed = (r: PartResult): boolean => r.outcome.checks.every((c) => c.passed)
