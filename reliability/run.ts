/**
 * `npm run reliability`: runs the parts of the reliability suite (see `cli.ts` for the
 * options), prints one summary table and, last, `N passed, N failed` (checks), writes
 * `reliability-report.md` after a full run, and exits non-zero when a check failed.
 *
 * @module
 */
import { Effect, Either } from "effect"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs, USAGE } from "./cli.js"
import { defaultWorkers } from "./parts/fuzz.js"
import { PARTS } from "./parts/index.js"
import { renderReport } from "./report.js"
import { runParts } from "./runner.js"
import { countChecks, summaryLine, summaryTable } from "./summary.js"

const ROOT = path.resolve(fileURLToPath(new URL(".", import.meta.url)), "..")

const commit = (): string => {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim()
  } catch {
    return "unknown"
  }
}

const main = Effect.gen(function*() {
  const parsed = parseArgs(process.argv.slice(2))
  if (Either.isLeft(parsed)) {
    console.error(parsed.left + "\n" + USAGE)
    return 2
  }
  const o = parsed.right
  const unknown = o.only.filter((n) => !PARTS.some((p) => p.name === n))
  if (unknown.length > 0) {
    console.error(`no part named ${unknown.join(", ")}; parts: ${PARTS.map((p) => p.name).join(", ")}`)
    return 2
  }
  const parts = o.only.length === 0 ? PARTS : PARTS.filter((p) => o.only.includes(p.name))
  const workers = o.workers ?? defaultWorkers()
  const startedAt = new Date()
  console.log(`reliability: ${o.mode} run of ${parts.map((p) => p.name).join(", ")} (seed ${o.seed}, worker threads: ${workers})`)
  const results = yield* runParts(parts, {
    mode: o.mode,
    seed: o.seed,
    workers,
    root: ROOT,
    ...(o.count === undefined ? {} : { count: o.count }),
    log: (line) => console.log(line)
  })
  const elapsedMs = Date.now() - startedAt.getTime()
  if (o.mode === "full" || o.report) {
    const file = path.join(ROOT, "reliability-report.md")
    fs.writeFileSync(file, renderReport({
      mode: o.mode,
      seed: o.seed,
      workers,
      startedAt,
      elapsedMs,
      node: process.version,
      cores: os.availableParallelism(),
      commit: commit()
    }, results))
    console.log(`report: ${path.relative(process.cwd(), file) || file}`)
  }
  console.log("\n" + summaryTable(results) + `\n\ntotal ${(elapsedMs / 1000).toFixed(1)} s\n`)
  console.log(summaryLine(results))
  return countChecks(results).failed === 0 ? 0 : 1
})

Effect.runPromise(main).then(
  (code) => {
    process.exitCode = code
  },
  (e: unknown) => {
    console.error(e)
    process.exitCode = 1
  }
)
