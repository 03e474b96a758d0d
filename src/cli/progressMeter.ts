/**
 * The download progress bar at work: counts the bytes as they are written and redraws the
 * status line from a ticker fiber, at most once per interval (10 times a second by default),
 * on Effect's Clock; ends with the summary line.
 *
 * @module
 */
import { Duration, Effect, Fiber, Schedule, type Scope } from "effect"
import { renderProgress, renderSummary } from "./progress.js"
import type { StatusLine } from "./statusLine.js"

/** What `makeProgressMeter` takes. */
export interface ProgressMeterOptions {
  /** The expected size (Content-Length), or undefined when unknown. */
  readonly total: number | undefined
  /** Where the body goes, for the summary (a file name or `stdout`). */
  readonly destination: string
  readonly status: StatusLine
  /** Whether the status line is on a terminal: then the spinner turns even while no bytes come. */
  readonly tty: boolean
  /** The least time between two redraws. Default 100 ms. */
  readonly interval?: Duration.DurationInput
}

/** A running progress bar. */
export interface ProgressMeter {
  /** Counts `n` more bytes received (drawn at the next tick). */
  readonly add: (n: number) => void
  /** Stops redrawing and replaces the bar with the summary line (`complete` false: the download stopped early). */
  readonly finish: (complete: boolean) => Effect.Effect<void>
}

/** Starts a progress bar whose ticker fiber lives in the Scope (and is stopped by `finish`). */
export const makeProgressMeter = (options: ProgressMeterOptions): Effect.Effect<ProgressMeter, never, Scope.Scope> =>
  Effect.gen(function*() {
    const clock = yield* Effect.clock
    const start = clock.unsafeCurrentTimeMillis()
    let received = 0
    let drawn = -1
    let frame = 0
    let finished = false

    const draw = Effect.sync(() => {
      if (finished || (received === drawn && !options.tty)) return
      drawn = received
      options.status.show(renderProgress({ received, total: options.total, elapsedMs: clock.unsafeCurrentTimeMillis() - start, frame: frame++ }))
    })
    const ticker = yield* Effect.forkScoped(
      Effect.repeat(draw, Schedule.spaced(options.interval ?? Duration.millis(100))).pipe(Effect.delay(options.interval ?? Duration.millis(100)))
    )

    return {
      add: (n) => {
        received += n
      },
      finish: (complete) =>
        Effect.zipRight(
          Fiber.interrupt(ticker),
          Effect.sync(() => {
            if (finished) return
            finished = true
            options.status.print(renderSummary(received, clock.unsafeCurrentTimeMillis() - start, options.destination, complete))
          })
        )
    }
  })
