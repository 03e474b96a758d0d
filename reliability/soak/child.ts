/**
 * The soak's child process: `node --expose-gc --import tsx child.ts <config JSON> <result file>`.
 * Runs `runSoak`, prints progress lines on stdout, writes the `SoakResult` as JSON to the
 * result file, and exits (0 when it wrote the result, 1 otherwise).
 *
 * @module
 */
import { Cause, Effect, Exit } from "effect"
import * as fs from "node:fs"
import type { SoakConfig } from "./config.js"
import { runSoak } from "./soak.js"

// tsx turns source maps on; Node then parses a module's source map the first time a stack
// through it is formatted (an Error's stack read), and keeps it: about 2 MiB of arrays that
// appear whenever the first such stack happens, before or after the baseline. Off, the heap
// figures are the library's own.
process.setSourceMapsEnabled(false)

const [configJson, resultFile] = process.argv.slice(2)
if (configJson === undefined || resultFile === undefined) {
  console.error("usage: child.ts <config JSON> <result file>")
  process.exit(2)
}
const config = JSON.parse(configJson) as SoakConfig

Effect.runPromiseExit(runSoak(config, (line) => console.log(line))).then((exit) => {
  if (Exit.isSuccess(exit)) {
    fs.writeFileSync(resultFile, JSON.stringify(exit.value))
    process.exit(0)
  }
  console.error(Cause.pretty(exit.cause))
  process.exit(1)
})
