/**
 * Runs parts one after the other, each bounded by its time limit (plus a grace period for
 * shutting its workers down): a part that fails, dies or overruns becomes a failed check,
 * never an exception out of the runner.
 *
 * @module
 */
import { Cause, Duration, Effect, Option } from "effect"
import type { Budget, Mode, Part, PartContext, PartOutcome, PartResult } from "./part.js"

/** Time a part may take beyond its budget before it is interrupted. */
export const GRACE_MS = 30_000

/** How to run the parts. */
export interface RunOptions {
  readonly mode: Mode
  readonly seed: number
  readonly workers: number
  readonly root: string
  /** Overrides each part's count (for trying the suite out with small numbers). */
  readonly count?: number
  readonly log: (line: string) => void
}

const failed = (name: string, reason: string): PartOutcome => ({
  checks: [{ name, passed: false, reason }],
  summary: reason,
  tables: []
})

/** Runs one part within its budget; whatever happens, a `PartResult`. */
export const runPart = (part: Part, options: RunOptions): Effect.Effect<PartResult> => {
  const base = options.mode === "quick" ? part.quick : part.full
  const budget: Budget = options.count === undefined ? base : { ...base, count: options.count }
  const ctx: PartContext = {
    mode: options.mode,
    budget,
    seed: options.seed,
    workers: options.workers,
    root: options.root,
    log: (line) => options.log(`[${part.name}] ${line}`)
  }
  return Effect.gen(function*() {
    const start = Date.now()
    const outcome = yield* part.run(ctx).pipe(
      Effect.timeoutOption(Duration.millis(budget.timeMs + GRACE_MS)),
      Effect.map(Option.getOrElse(() =>
        failed(`${part.name}: within its time limit`, `still running after ${budget.timeMs + GRACE_MS} ms: interrupted`)
      )),
      Effect.catchAllCause((cause) =>
        Effect.succeed(failed(`${part.name}: ran`, Cause.pretty(cause).split("\n").slice(0, 6).join(" | ")))
      )
    )
    return { name: part.name, description: part.description, unit: part.unit, budget, elapsedMs: Date.now() - start, outcome }
  })
}

/** Runs `parts` in order. */
export const runParts = (parts: ReadonlyArray<Part>, options: RunOptions): Effect.Effect<Array<PartResult>> =>
  Effect.forEach(parts, (part) => runPart(part, options))
