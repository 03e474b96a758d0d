/**
 * Runs any server Layer (`Server.layer`, a `ServeMux` behind it, the @effect/platform layer
 * over `Server`) in N worker processes sharing one port through `node:cluster`. The same
 * program file is the primary and the workers:
 *
 * ```ts
 * Cluster.runMain(Server.layer({ host: "127.0.0.1", port: 8080, handler }), { workers: 4 })
 * ```
 *
 * In the primary, `runMain` forks the workers (default: `os.availableParallelism()`) and
 * supervises them: a worker that dies is restarted after a backoff (100 ms doubling to 5 s);
 * more than `maxCrashes` crashes within `crashWindow` is a crash loop (`CrashLoop`: logged, the
 * other workers stopped, exit 1). SIGTERM or SIGINT stops every worker gracefully (each closes
 * its Layer's Scope: the `Server` stops accepting and lets requests in flight finish within its
 * `shutdownTimeout`) and exits 0 when none cut a request, 1 otherwise (`ShutdownIncomplete`).
 * SIGHUP replaces the workers one at a time, a new one listening before an old one drains, so a
 * deploy loses no request. SIGUSR2 logs each worker's `stats`; `onPrimary` gets the same as an
 * Effect. In a worker, `runMain` builds the Layer, serves until the primary (or its own SIGTERM
 * or SIGINT) asks it to stop, shuts down gracefully and exits; a worker whose primary is gone
 * exits at once (`node:cluster` does that).
 *
 * Workers listen through the primary (`node:cluster`'s default scheduling: round-robin on
 * Linux), so port 0 gives every worker the same port, picked once (a new one only if every
 * worker stopped listening at the same time). Two limits come from `node:cluster` itself: a
 * connection the primary was handing to a worker at the moment that worker was killed stays
 * open with no answer until the client gives up (the primary waits for the dead worker's
 * acknowledgement); and, as with any server closing idle keep-alive connections, a request
 * sent on one just as it is closed fails unless the client retries it (Go's Transport and our
 * `Client` do, for idempotent requests).
 *
 * @since 0.1.0
 * @module
 */
import { Cause, type Duration, Effect, Either, type Layer } from "effect"
import cluster from "node:cluster"
import * as os from "node:os"
import { type Check, checkDuration, checkInteger, type InvalidConfig } from "../../domain/configErrors.js"
import { type CrashLoop, ShutdownIncomplete, type WorkerStartFailed } from "./errors.js"
import { type ClusterPrimary, forkWorker, type PrimaryConfig, runPrimary } from "./primary.js"
import { runWorker } from "./worker.js"

export { CrashLoop, ShutdownIncomplete, WorkerStartFailed } from "./errors.js"
export type { ClusterPrimary, WorkerInfo, WorkerStats } from "./primary.js"

/**
 * How to run the cluster. Every field is optional.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClusterOptions {
  /** Worker processes (a whole number ≥ 1). Default `os.availableParallelism()`. */
  readonly workers?: number
  /**
   * How long the primary lets a worker shut down gracefully before it kills it (it waits 2 s
   * more, for the worker's own finalizers and exit). Give at least the server's
   * `shutdownTimeout`. Default 10 s (the server's default).
   */
  readonly shutdownTimeout?: Duration.DurationInput
  /** The first restart's delay after a crash; it doubles with each crash in the window. Default 100 ms. */
  readonly restartDelay?: Duration.DurationInput
  /** The longest restart delay. Default 5 s. */
  readonly maxRestartDelay?: Duration.DurationInput
  /** More crashes than this within `crashWindow` is a crash loop: the primary gives up. Default 5. */
  readonly maxCrashes?: number
  /** The window crashes are counted in. Default 60 s. */
  readonly crashWindow?: Duration.DurationInput
  /** How long a new worker may take to be ready during a reload (SIGHUP) before the reload stops. Default 30 s. */
  readonly readyTimeout?: Duration.DurationInput
  /**
   * Run in the primary (a fiber of its own, interrupted at the end), with the cluster's
   * controls: gather stats, list the workers, reload, shut down.
   */
  readonly onPrimary?: (primary: ClusterPrimary) => Effect.Effect<void>
}

/**
 * What running a cluster can fail with: in the primary a crash loop, an unclean shutdown or a
 * bad option; in a worker a Layer that did not build.
 *
 * @since 0.1.0
 * @category errors
 */
export type ClusterError = CrashLoop | ShutdownIncomplete | InvalidConfig | WorkerStartFailed

const ms = (check: Check<number | undefined>, fallback: number): Either.Either<number, InvalidConfig> =>
  Either.map(check, (v) => v ?? fallback)

/** The primary's settings from the options, or the first bad one. */
const resolve = (options: ClusterOptions): Either.Either<PrimaryConfig, InvalidConfig> =>
  Either.gen(function*() {
    const workers = yield* ms(checkInteger("Cluster", "workers", options.workers, 1), os.availableParallelism())
    const maxCrashes = yield* ms(checkInteger("Cluster", "maxCrashes", options.maxCrashes, 0), 5)
    const initialDelayMs = yield* ms(checkDuration("Cluster", "restartDelay", options.restartDelay), 100)
    const maxDelayMs = yield* ms(checkDuration("Cluster", "maxRestartDelay", options.maxRestartDelay), 5_000)
    const windowMs = yield* ms(checkDuration("Cluster", "crashWindow", options.crashWindow), 60_000)
    const shutdownTimeoutMs = yield* ms(checkDuration("Cluster", "shutdownTimeout", options.shutdownTimeout), 10_000)
    const readyTimeoutMs = yield* ms(checkDuration("Cluster", "readyTimeout", options.readyTimeout), 30_000)
    return {
      workers,
      policy: { initialDelayMs, maxDelayMs, maxCrashes, windowMs },
      shutdownTimeoutMs,
      readyTimeoutMs,
      onPrimary: options.onPrimary,
      fork: forkWorker
    }
  })

/**
 * Whether this process is the cluster's primary (not a worker forked by one).
 *
 * @since 0.1.0
 * @category utils
 */
export const isPrimary = (): boolean => cluster.isPrimary

/**
 * The Effect behind `runMain`. In the primary: supervises the workers until a shutdown has
 * stopped them all (succeeds when every one stopped cleanly), or fails with `CrashLoop`,
 * `ShutdownIncomplete` or `InvalidConfig`. In a worker: serves `layer` until asked to stop,
 * then shuts it down gracefully; fails with `WorkerStartFailed` when it does not build, or
 * `ShutdownIncomplete` when its shutdown cut requests.
 *
 * @since 0.1.0
 * @category running
 */
export const run = <ROut, E>(layer: Layer.Layer<ROut, E, never>, options: ClusterOptions = {}): Effect.Effect<void, ClusterError> => {
  if (cluster.isWorker) {
    return Effect.flatMap(runWorker(layer), (interrupted) =>
      interrupted === 0 ? Effect.void : Effect.fail(new ShutdownIncomplete({ workers: 1, interrupted, killed: 0 })))
  }
  return Effect.flatMap(resolve(options), runPrimary)
}

/**
 * Runs `layer` in worker processes sharing its port, and exits the process when done: 0 after
 * a clean shutdown, 1 after a failure (logged). Call it at the top of the program file, which
 * both the primary and every worker run.
 *
 * @since 0.1.0
 * @category running
 */
export const runMain = <ROut, E>(layer: Layer.Layer<ROut, E, never>, options?: ClusterOptions): void => {
  const program = run(layer, options).pipe(
    Effect.matchCauseEffect({
      onSuccess: () => Effect.succeed(0),
      onFailure: (cause) =>
        Effect.as(
          Effect.logError(
            Cause.isFailType(cause) ? `effect-nethttp cluster: ${cause.error.message}` : `effect-nethttp cluster: ${Cause.pretty(cause)}`
          ),
          1
        )
    })
  )
  Effect.runFork(program).addObserver((exit) => {
    process.exit(exit._tag === "Success" ? exit.value : 1)
  })
}
