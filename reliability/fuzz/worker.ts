/**
 * A fuzz worker (worker_threads): receives `FuzzTask`s one at a time, runs the loop, and
 * answers with the figures. Started by `reliability/fuzz/pool.ts`.
 *
 * @module
 */
import { parentPort } from "node:worker_threads"
import { loadCorpus } from "./corpus.js"
import { fuzz } from "./loop.js"
import type { ShrinkBudget } from "./shrink.js"
import { TARGETS } from "./targets.js"
import type { FuzzStats, TargetName } from "./types.js"

/** One shard of fuzzing, as sent to a worker. */
export interface FuzzTask {
  readonly id: number
  readonly target: TargetName
  readonly seed: number
  readonly count: number
  readonly timeMs: number
  /** The corpus root (seeds under `<root>/<target>/`). */
  readonly corpusDir: string
  /** Where regressions are saved (`<root>/<target>/regressions/`); undefined: not saved. */
  readonly regressionsRoot: string | undefined
  /** Failures shrunk and saved per check, at most. */
  readonly maxSavedPerCheck: number
  /** How long shrinking one failure may take. */
  readonly shrinkBudget: ShrinkBudget
}

/** A worker's answer to a task. */
export type FuzzReply =
  | { readonly id: number; readonly ok: true; readonly stats: FuzzStats }
  | { readonly id: number; readonly ok: false; readonly error: string }

const corpora = new Map<string, Array<Uint8Array>>()

const corpusOf = (target: TargetName, dir: string): Array<Uint8Array> => {
  const key = target + "\0" + dir
  let c = corpora.get(key)
  if (c === undefined) {
    c = loadCorpus(target, dir)
    corpora.set(key, c)
  }
  return c
}

/** Runs one task in this thread. */
export const runTask = (task: FuzzTask): FuzzReply => {
  try {
    const stats = fuzz({
      target: TARGETS[task.target],
      seed: task.seed,
      count: task.count,
      timeMs: task.timeMs,
      corpus: corpusOf(task.target, task.corpusDir),
      regressionsRoot: task.regressionsRoot,
      maxSavedPerCheck: task.maxSavedPerCheck,
      shrinkBudget: task.shrinkBudget
    })
    return { id: task.id, ok: true, stats }
  } catch (e) {
    return { id: task.id, ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) }
  }
}

const port = parentPort
if (port !== null) {
  port.on("message", (task: FuzzTask) => port.postMessage(runTask(task)))
}
