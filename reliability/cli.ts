/**
 * The command line of `npm run reliability`:
 *
 * ```
 * npm run reliability                      # the full run; writes reliability-report.md
 * npm run reliability -- --quick           # the quick run (CI), no report
 * npm run reliability -- --only fuzz       # one part (repeatable)
 * npm run reliability -- --seed 42         # other inputs (default: a fixed seed)
 * npm run reliability -- --count 2000 --workers 1   # smaller, for trying it out
 * ```
 *
 * @module
 */
import { Either } from "effect"
import type { Mode } from "./part.js"

/** The parsed command line. */
export interface CliOptions {
  readonly mode: Mode
  /** Parts to run (all when empty). */
  readonly only: ReadonlyArray<string>
  readonly seed: number
  /** Worker threads; undefined: min(2, cores). */
  readonly workers: number | undefined
  /** Overrides every part's count. */
  readonly count: number | undefined
  /** Write the report even on a quick run (`--report`); the full run always writes it. */
  readonly report: boolean
}

/** The seed used when none is given: runs are reproducible by default. */
export const DEFAULT_SEED = 20261207

/** The usage text. */
export const USAGE = "usage: npm run reliability -- [--quick] [--only <part>]... [--seed <n>] [--count <n>] [--workers <n>] [--report]"

const positiveInt = (flag: string, v: string | undefined): Either.Either<number, string> => {
  const n = Number(v)
  return v !== undefined && Number.isInteger(n) && n >= 0 ? Either.right(n) : Either.left(`${flag} needs a whole number, got ${v ?? "nothing"}`)
}

/** Parses the arguments after `--`; Left: what is wrong. */
export const parseArgs = (argv: ReadonlyArray<string>): Either.Either<CliOptions, string> => {
  let mode: Mode = "full"
  const only: Array<string> = []
  let seed = DEFAULT_SEED
  let workers: number | undefined
  let count: number | undefined
  let report = false
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    switch (a) {
      case "--quick":
        mode = "quick"
        break
      case "--full":
        mode = "full"
        break
      case "--report":
        report = true
        break
      case "--only": {
        const v = argv[++i]
        if (v === undefined || v.startsWith("--")) return Either.left("--only needs a part's name")
        only.push(v)
        break
      }
      case "--seed":
      case "--count":
      case "--workers": {
        const n = positiveInt(a, argv[++i])
        if (Either.isLeft(n)) return Either.left(n.left)
        if (a === "--seed") seed = n.right
        else if (a === "--count") count = n.right
        else workers = Math.max(1, n.right)
        break
      }
      default:
        return Either.left(`unknown argument ${JSON.stringify(a)}`)
    }
  }
  return Either.right({ mode, only, seed, workers, count, report })
}
