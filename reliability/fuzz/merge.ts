/**
 * Adding up the figures of a target's shards.
 *
 * @module
 */
import { emptyStats, type FuzzStats, type TargetName } from "./types.js"

const addCounts = (into: Record<string, number>, from: Readonly<Record<string, number>>): void => {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v
}

/** The shards' figures added up (elapsed time is summed: worker-milliseconds). */
export const mergeStats = (target: TargetName, shards: ReadonlyArray<FuzzStats>): FuzzStats => {
  const out = emptyStats(target)
  for (const s of shards) {
    out.inputs += s.inputs
    out.elapsedMs += s.elapsedMs
    out.accepted += s.accepted
    out.documentedSplitExceptions += s.documentedSplitExceptions
    if (s.stoppedBy === "time") out.stoppedBy = "time"
    addCounts(out.bySource, s.bySource)
    addCounts(out.errorTags, s.errorTags)
    addCounts(out.failedByCheck, s.failedByCheck)
    addCounts(out.differential.deliberate, s.differential.deliberate)
    out.differential.agreed += s.differential.agreed
    out.differential.deliberateInputs += s.differential.deliberateInputs
    out.differential.notCompared += s.differential.notCompared
    out.failures.push(...s.failures)
  }
  return out
}
