/**
 * The fuzz loop for one target: bounded in count and in time, plain synchronous code. Each
 * input is structure-aware (from the arbitraries), a mutation of one, or a mutation of a
 * corpus entry; every check runs on it; a failing input is confirmed, shrunk and saved.
 *
 * @module
 */
import { saveRegression } from "./corpus.js"
import { type GeneratedInput, generateBatch } from "./generate.js"
import { mutate } from "./mutate.js"
import { deriveSeed, Rng } from "./rng.js"
import { DEFAULT_SHRINK_BUDGET, shrink, type ShrinkBudget } from "./shrink.js"
import { checkInput, type FuzzTarget } from "./targets.js"
import { type CheckName, emptyStats, escapeBytes, type Failure, type FuzzStats, type InputSource, type Observation } from "./types.js"
import type { Wire } from "../../test/support/llhttp/wire.js"

/** What one run of the loop does. */
export interface FuzzOptions {
  readonly target: FuzzTarget
  readonly seed: number
  /** Inputs to check, at most. */
  readonly count: number
  /** Milliseconds to run, at most (shrinking a failure may add up to the shrink budget). */
  readonly timeMs: number
  /** The seeds of mutation. */
  readonly corpus: ReadonlyArray<Uint8Array>
  /** Where failures are saved (`<dir>/<target>/regressions/`); undefined: not saved. */
  readonly regressionsRoot: string | undefined
  /** Failures shrunk and saved per check, at most (every failure is counted). Default 3. */
  readonly maxSavedPerCheck?: number
  readonly shrinkBudget?: ShrinkBudget
}

/** Structure-aware inputs generated at a time. */
const BATCH = 256

/**
 * Confirms a failure on its own (thorough checks), shrinks it while the same check fails,
 * and saves it. A failure that the bytes alone do not reproduce (a structure-aware
 * differential) is saved as found.
 */
const keepFailure = (o: FuzzOptions, input: Uint8Array, failure: Failure, wire: Wire | undefined, stats: FuzzStats): void => {
  const fails = (b: Uint8Array): boolean =>
    checkInput(o.target, b, "thorough", { errorTag: undefined, differential: undefined })?.check === failure.check
  const reproducible = fails(input)
  const shrunk = reproducible ? shrink(input, fails, o.shrinkBudget ?? DEFAULT_SHRINK_BUDGET) : input
  const final = reproducible
    ? checkInput(o.target, shrunk, "thorough", { errorTag: undefined, differential: undefined }) ?? failure
    : failure
  const file = o.regressionsRoot === undefined ? undefined : saveRegression(o.target.name, failure.check, shrunk, o.regressionsRoot)
  stats.failures.push({
    check: failure.check,
    detail: final.detail + (reproducible ? "" : wire !== undefined ? " (structure-aware only: not reproduced from the bytes)" : " (not reproduced alone)"),
    input: escapeBytes(shrunk),
    originalBytes: input.length,
    file
  })
}

/** Runs the loop: at most `count` inputs and about `timeMs` milliseconds. */
export const fuzz = (o: FuzzOptions): FuzzStats => {
  const stats = emptyStats(o.target.name)
  const rng = new Rng(o.seed)
  const saved: Partial<Record<CheckName, number>> = {}
  const maxSaved = o.maxSavedPerCheck ?? 3
  let batch: Array<GeneratedInput> = []
  let next = 0
  let batchNo = 0
  const generated = (): GeneratedInput => {
    if (next >= batch.length) {
      batch = generateBatch(o.target.name, deriveSeed(o.seed, batchNo++), BATCH)
      next = 0
    }
    return batch[next++]!
  }
  const start = Date.now()
  for (let i = 0; i < o.count; i++) {
    if ((i & 63) === 0 && Date.now() - start > o.timeMs) {
      stats.stoppedBy = "time"
      break
    }
    const r = rng.int(10)
    let source: InputSource
    let input: Uint8Array
    let wire: Wire | undefined
    if (r < 3) {
      const g = generated()
      source = "generated"
      input = g.bytes
      wire = g.wire
    } else if (r < 5 || o.corpus.length === 0) {
      source = "generated+mutated"
      input = mutate(generated().bytes, rng, o.corpus)
    } else {
      source = "corpus+mutated"
      input = mutate(rng.pick(o.corpus), rng, o.corpus)
    }
    stats.bySource[source]++
    stats.inputs++
    const obs: Observation = { errorTag: undefined, differential: undefined }
    const failure = checkInput(o.target, input, "fast", obs, wire)
    if (obs.errorTag === undefined) stats.accepted++
    else stats.errorTags[obs.errorTag] = (stats.errorTags[obs.errorTag] ?? 0) + 1
    const d = obs.differential
    if (d !== undefined) {
      if (d.kind === "agree") stats.differential.agreed++
      else if (d.kind === "not-compared") stats.differential.notCompared++
      else {
        stats.differential.deliberateInputs++
        for (const id of d.ids) stats.differential.deliberate[id] = (stats.differential.deliberate[id] ?? 0) + 1
      }
    }
    if (obs.documentedSplitException === true) stats.documentedSplitExceptions++
    if (failure !== undefined) {
      stats.failedByCheck[failure.check]++
      const n = saved[failure.check] ?? 0
      if (n < maxSaved) {
        saved[failure.check] = n + 1
        keepFailure(o, input, failure, wire, stats)
      }
    }
  }
  stats.elapsedMs = Date.now() - start
  return stats
}
