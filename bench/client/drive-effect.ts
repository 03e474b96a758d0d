/**
 * The request loops of the Effect-based runners of `npm run bench:client`.
 *
 * @module
 */
import { Effect } from "effect"
import { Meter, type RunnerArgs, type RunResult } from "./common.js"

/**
 * Runs `concurrency` fibers, each repeating `one` (a request read in full, yielding its body
 * length) through the window, and returns the figures. The clock is read with
 * `performance.now()`, not Effect's `Clock`.
 */
export const driveEffect = <E, R>(args: RunnerArgs, one: Effect.Effect<number, E, R>): Effect.Effect<RunResult, E, R> =>
  Effect.suspend(() => {
    const meter = new Meter(args)
    const loop = Effect.whileLoop({
      while: () => meter.running(),
      body: () => one,
      step: (bytes: number) => meter.record(bytes)
    })
    meter.open()
    return Effect.forEach(Array.from({ length: args.concurrency }), () => loop, {
      concurrency: "unbounded",
      discard: true
    }).pipe(Effect.map(() => meter.result()))
  })
