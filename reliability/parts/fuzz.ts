/**
 * Part 1 of the suite: fuzzing the request parser, the response parser, the chunked decoder
 * and the pattern parser in worker threads (see `reliability/fuzz/`). Counts are inputs per
 * target: 20,000 in the quick run, 1,000,000 in the full run.
 *
 * @module
 */
import { Effect } from "effect"
import * as os from "node:os"
import * as path from "node:path"
import type { Check, Part, PartContext, PartOutcome, Table } from "../part.js"
import { loadCorpus, loadRegressions } from "../fuzz/corpus.js"
import { mergeStats } from "../fuzz/merge.js"
import { runPool } from "../fuzz/pool.js"
import { deriveSeed } from "../fuzz/rng.js"
import { TARGETS } from "../fuzz/targets.js"
import { type FuzzStats, TARGET_NAMES, type TargetName } from "../fuzz/types.js"
import type { FuzzReply, FuzzTask } from "../fuzz/worker.js"

const fmt = (n: number): string => Math.round(n).toLocaleString("en-US")

const rate = (s: FuzzStats): number => (s.elapsedMs > 0 ? (s.inputs * 1000) / s.elapsedMs : 0)

/** The shards: `shards` per target, the request target's first (the slowest). */
const makeTasks = (ctx: PartContext, shards: number): Array<FuzzTask> => {
  const corpusDir = path.join(ctx.root, "reliability", "corpus")
  const tasks: Array<FuzzTask> = []
  TARGET_NAMES.forEach((target, t) => {
    const per = Math.ceil(ctx.budget.count / shards)
    for (let s = 0; s < shards; s++) {
      const count = Math.min(per, ctx.budget.count - s * per)
      if (count <= 0) continue
      tasks.push({
        id: tasks.length,
        target,
        seed: deriveSeed(ctx.seed, t * 1000 + s),
        count,
        timeMs: ctx.budget.timeMs,
        corpusDir,
        regressionsRoot: corpusDir,
        // Shrinking is bounded too: at worst (every check failing in every shard) about a
        // minute in the quick run, five in the full one.
        maxSavedPerCheck: ctx.mode === "quick" ? 1 : 2,
        shrinkBudget: ctx.mode === "quick" ? { maxCalls: 5_000, maxMs: 2_000 } : { maxCalls: 20_000, maxMs: 5_000 }
      })
    }
  })
  return tasks
}

const checksOf = (ctx: PartContext, s: FuzzStats, errors: ReadonlyArray<string>): Array<Check> => {
  const checks: Array<Check> = TARGETS[s.target].checks.map((check) => {
    const n = s.failedByCheck[check]
    if (n === 0) return { name: `${s.target}: ${check}`, passed: true }
    const f = s.failures.find((x) => x.check === check)
    const example = f === undefined ? "" : `; e.g. ${f.detail} on "${f.input.slice(0, 200)}"${f.file === undefined ? "" : ` (saved as ${path.relative(ctx.root, f.file)})`}`
    return { name: `${s.target}: ${check}`, passed: false, reason: `${n} failing inputs${example}` }
  })
  checks.push(
    s.inputs >= ctx.budget.count
      ? { name: `${s.target}: ${fmt(ctx.budget.count)} inputs`, passed: true }
      : {
        name: `${s.target}: ${fmt(ctx.budget.count)} inputs`,
        passed: false,
        reason: `only ${fmt(s.inputs)} inputs (${s.stoppedBy === "time" ? "time limit" : "worker failure"})`
      }
  )
  if (errors.length > 0) checks.push({ name: `${s.target}: workers`, passed: false, reason: errors.join(" | ").slice(0, 500) })
  return checks
}

const corpusTable = (corpusDir: string): Table => ({
  title: "Corpus (reliability/corpus/<target>/)",
  columns: ["target", "seed messages", "regression inputs"],
  rows: TARGET_NAMES.map((t) => [t, String(loadCorpus(t, corpusDir).length), String(loadRegressions(t, corpusDir).length)])
})

const tablesOf = (all: ReadonlyArray<FuzzStats>): Array<Table> => {
  const deliberate = new Map<string, number>()
  for (const s of all) for (const [id, n] of Object.entries(s.differential.deliberate)) deliberate.set(id, (deliberate.get(id) ?? 0) + n)
  const failures = all.flatMap((s) => s.failures.map((f) => [s.target, f.check, f.detail, f.input.slice(0, 300), f.file === undefined ? "" : path.basename(f.file)]))
  const tables: Array<Table> = [
    {
      title: "Inputs per target",
      columns: ["target", "inputs", "inputs/s (per worker)", "generated", "generated+mutated", "corpus+mutated", "accepted", "distinct error tags", "documented split exceptions", "failed inputs", "stopped by"],
      rows: all.map((s) => [
        s.target, fmt(s.inputs), fmt(rate(s)), fmt(s.bySource.generated), fmt(s.bySource["generated+mutated"]),
        fmt(s.bySource["corpus+mutated"]), fmt(s.accepted), String(Object.keys(s.errorTags).length),
        fmt(s.documentedSplitExceptions),
        fmt(Object.values(s.failedByCheck).reduce((a, b) => a + b, 0)), s.stoppedBy
      ])
    },
    {
      title: "Differential against llhttp",
      columns: ["target", "agreed", "deliberate differences (inputs)", "not compared (one side refused)", "disagreements"],
      rows: all.filter((s) => TARGETS[s.target].checks.includes("differential")).map((s) => [
        s.target, fmt(s.differential.agreed), fmt(s.differential.deliberateInputs),
        fmt(s.differential.notCompared), fmt(s.failedByCheck.differential)
      ])
    },
    {
      title: "Deliberate differences seen (structure-aware requests: DELIBERATE_DIFFERENCES; mutated bytes: BYTE_LEVEL_DIFFERENCES)",
      columns: ["id", "inputs"],
      rows: [...deliberate].sort((a, b) => b[1] - a[1]).map(([id, n]) => [id, fmt(n)])
    },
    {
      title: "Error tags seen",
      columns: ["target", "tag", "inputs"],
      rows: all.flatMap((s) => Object.entries(s.errorTags).sort((a, b) => b[1] - a[1]).map(([tag, n]) => [s.target, tag, fmt(n)]))
    }
  ]
  if (failures.length > 0) tables.push({ title: "Failures (shrunk)", columns: ["target", "check", "detail", "input", "file"], rows: failures })
  return tables
}

const NOTES: ReadonlyArray<string> = [
  "Inputs: 30 % structure-aware (the arbitraries of src/testing/arbitraries.ts; for requests the valid and " +
  "near-valid requests of test/support/llhttp/corruptions.ts, for responses and chunked bodies reliability/fuzz/corrupt.ts), 20 % byte mutations of those, 50 % byte mutations " +
  "of reliability/corpus/<target>/*.bin. Every input is checked for escaped exceptions, untyped errors, and the same " +
  "events fed whole and cut at 2-3 points; requests and chunked bodies also against llhttp.",
  "Differential: structure-aware requests are judged as in test/conformance/llhttp.differential.test.ts " +
  "(\"agreed\" counts the same verdict and messages; \"deliberate\" a listed deliberate difference that behaved as " +
  "listed); mutated bytes are compared only where both parsers accept the whole input (\"agreed\"), and \"not " +
  "compared\" otherwise. inputs/s is per worker thread (inputs over the thread time spent on the target).",
  "Documented split exceptions: inputs ending in an unended line of more than 1024 bytes broken by a printable " +
  "byte, for which the parser reports the limit or the end of input instead of the byte depending on the split, as " +
  "Parser.ts documents (REPARSE_LINES_UNDER); recognized exactly (isDocumentedSplitException) and not counted as failures."
]

/** Runs the shards in the pool and adds up the figures per target. */
const run = (ctx: PartContext): Effect.Effect<PartOutcome> =>
  Effect.gen(function*() {
    const shards = Math.max(1, ctx.workers)
    const tasks = makeTasks(ctx, shards)
    const deadline = Date.now() + ctx.budget.timeMs
    ctx.log(`${fmt(ctx.budget.count)} inputs per target, ${tasks.length} shards, worker threads: ${ctx.workers}, seed ${ctx.seed}`)
    const start = Date.now()
    const replies: Array<FuzzReply> = yield* runPool(tasks, ctx.workers, (t) => ({ ...t, timeMs: Math.max(0, deadline - Date.now()) }))
    const wallMs = Date.now() - start
    const byTarget = new Map<TargetName, { stats: Array<FuzzStats>; errors: Array<string> }>()
    for (const t of TARGET_NAMES) byTarget.set(t, { stats: [], errors: [] })
    for (const r of replies) {
      const task = tasks[r.id]!
      const entry = byTarget.get(task.target)!
      if (r.ok) entry.stats.push(r.stats)
      else entry.errors.push(r.error)
    }
    const merged = TARGET_NAMES.map((t) => mergeStats(t, byTarget.get(t)!.stats))
    const checks = merged.flatMap((s) => checksOf(ctx, s, byTarget.get(s.target)!.errors))
    for (const s of merged) ctx.log(`${s.target}: ${fmt(s.inputs)} inputs, ${fmt(rate(s))}/s per worker, ${s.failures.length} failures kept`)
    const total = merged.reduce((n, s) => n + s.inputs, 0)
    const failed = merged.reduce((n, s) => n + Object.values(s.failedByCheck).reduce((a, b) => a + b, 0), 0)
    return {
      checks,
      summary: `${fmt(total)} inputs in ${(wallMs / 1000).toFixed(1)} s (${fmt((total * 1000) / Math.max(1, wallMs))}/s, worker threads: ${ctx.workers}), ${fmt(failed)} failed`,
      tables: [...tablesOf(merged), corpusTable(path.join(ctx.root, "reliability", "corpus"))],
      notes: NOTES
    }
  })

/** The fuzz part. */
export const fuzzPart: Part = {
  name: "fuzz",
  description: "Fuzzing the request parser, the response parser, the chunked decoder and the ServeMux pattern parser " +
    "(structure-aware inputs and byte mutations of a corpus of real messages), in worker threads.",
  unit: "inputs per target",
  quick: { count: 20_000, timeMs: 120_000 },
  full: { count: 1_000_000, timeMs: 12 * 60_000 },
  run
}

/** Worker threads by default: min(2, cores). */
export const defaultWorkers = (): number => Math.max(1, Math.min(2, os.availableParallelism()))
