/**
 * The soak part (issue 24): mixed client and server load through our Client and Server at
 * once, in a child process (`reliability/soak/`): 60 s of load in the quick run (samples every
 * 5 s), 10 minutes in the full run (every 10 s). Checks: every request accounted for once,
 * typed failures only, pool limits held, heap after GC and fds back to their baseline. Writes
 * the plot of RSS, heap and fds as `reliability-soak.svg` beside the report, and in the full
 * run `reliability-soak.png` when a converter is there. Count: requests at most.
 *
 * @module
 */
import { Effect } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import type { Budget, Part, PartContext, PartOutcome } from "../part.js"
import { expectedMs, soakConfig } from "../soak/config.js"
import { type Conversion, svgToPng } from "../soak/convert.js"
import { evaluate, plotInput } from "../soak/evaluate.js"
import type { SoakResult } from "../soak/result.js"
import { runSoakChild } from "../soak/spawn.js"
import { renderSvg } from "../soak/svg.js"

/** The plot's file names, beside `reliability-report.md`. */
export const SOAK_SVG = "reliability-soak.svg"
/** The PNG made from {@link SOAK_SVG} in the full run. */
export const SOAK_PNG = "reliability-soak.png"

const budget = (mode: "quick" | "full", count: number): Budget => ({ count, timeMs: expectedMs(soakConfig(mode, 0, count)) })

/** Writes the SVG (and in the full run the PNG) into `dir`; the report's lines about the image. */
export const writePlot = (r: SoakResult, dir: string, png: boolean): Array<string> => {
  const title = `Soak: ${(r.config.loadMs / 1000).toFixed(0)} s of load, ${r.loadRequests.toLocaleString("en-US")} requests (seed ${r.config.seed})`
  const svgFile = path.join(dir, SOAK_SVG)
  fs.writeFileSync(svgFile, renderSvg(plotInput(r, title)))
  if (!png) return [`Plot of RSS, heap after GC and open fds: [${SOAK_SVG}](${SOAK_SVG}) (the PNG is made by the full run).`]
  const conversion: Conversion = svgToPng(svgFile, path.join(dir, SOAK_PNG))
  return conversion._tag === "Converted"
    ? [`![RSS, heap after GC and open fds over the soak; dashed lines: the load starts and stops](${SOAK_PNG})`, `(${SOAK_PNG}, made from [${SOAK_SVG}](${SOAK_SVG}) by ${conversion.tool}.)`]
    : [`Plot: [${SOAK_SVG}](${SOAK_SVG}). No PNG: no converter worked (${conversion.reason}); install librsvg2-bin (rsvg-convert) for one.`]
}

const run = (ctx: PartContext): Effect.Effect<PartOutcome, unknown> =>
  Effect.gen(function*() {
    const config = soakConfig(ctx.mode, ctx.seed, ctx.budget.count)
    ctx.log(`child process: ${config.loadMs / 1000} s of load, samples every ${config.sampleEveryMs / 1000} s, at most ${ctx.budget.count.toLocaleString("en-US")} requests`)
    const result = yield* runSoakChild(config, ctx.log, ctx.budget.timeMs)
    const outcome = evaluate(result)
    // A quick run's plot goes to the temp directory: the committed one is the full run's.
    const plotDir = ctx.mode === "full" ? ctx.root : fs.mkdtempSync(path.join(os.tmpdir(), "reliability-soak-"))
    const plot = yield* Effect.try(() => writePlot(result, plotDir, ctx.mode === "full")).pipe(
      Effect.catchAll((e) => Effect.succeed([`No plot: ${String(e)}`]))
    )
    return { ...outcome, notes: [...(outcome.notes ?? []), ...plot] }
  })

/** The soak part. */
export const soakPart: Part = {
  name: "soak",
  description: "Soak: mixed client and server load (keep-alive and fresh connections, bodies read whole, partly, not at all and slowly, " +
    "random interruptions, server-side resets, slow routes) through our Client and Server at once, in a child process; " +
    "RSS, heap after GC, fds, pool and server stats sampled as it goes.",
  unit: "requests at most",
  quick: budget("quick", 500_000),
  full: budget("full", 3_000_000),
  run
}
