/**
 * The typed errors of running a server Layer in worker processes (`Cluster`).
 *
 * @module
 */
import { Data } from "effect"

/**
 * Workers crashed so often that restarting them is pointless: more than `maxCrashes` exits
 * nobody asked for within `windowMs`. The primary stops the workers left and exits non-zero.
 *
 * @since 0.1.0
 * @category errors
 */
export class CrashLoop extends Data.TaggedError("CrashLoop")<{
  /** Crashes counted within the window (the last one included). */
  readonly crashes: number
  /** The window they were counted in, in milliseconds. */
  readonly windowMs: number
  /** The last crash: the worker's pid and how it ended (`code 1`, `signal SIGKILL`). */
  readonly lastPid: number
  readonly lastExit: string
}> {
  override get message(): string {
    return `workers crashed ${this.crashes} times within ${this.windowMs} ms (the last, pid ${this.lastPid}, exited with ${this.lastExit}): a crash loop, giving up`
  }
}

/**
 * A graceful shutdown that did not end cleanly: some workers cut requests in flight at their
 * server's shutdown deadline (`ShutdownTimeout` in the worker), or did not exit within the
 * primary's wait and were killed, or exited with a failure.
 *
 * @since 0.1.0
 * @category errors
 */
export class ShutdownIncomplete extends Data.TaggedError("ShutdownIncomplete")<{
  /** Workers that did not stop cleanly. */
  readonly workers: number
  /** Requests the workers reported cut at their deadline. */
  readonly interrupted: number
  /** Workers killed (SIGKILL) because they had not exited within the wait. */
  readonly killed: number
}> {
  override get message(): string {
    return `shutdown incomplete: ${this.workers} worker(s) did not stop cleanly (${this.interrupted} request(s) cut, ${this.killed} worker(s) killed)`
  }
}

/**
 * A worker's Layer failed to build (it could not listen, a setting was invalid, ...); the
 * worker exits non-zero, which its primary counts as a crash.
 *
 * @since 0.1.0
 * @category errors
 */
export class WorkerStartFailed extends Data.TaggedError("WorkerStartFailed")<{
  readonly pid: number
  /** The Layer's failure, rendered (`Cause.pretty`). */
  readonly cause: string
}> {
  override get message(): string {
    return `worker pid ${this.pid} failed to start: ${this.cause}`
  }
}
