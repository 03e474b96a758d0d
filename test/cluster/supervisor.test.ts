/**
 * The primary's supervision (src/server/cluster/primary.ts) over fake worker processes, with
 * TestClock driving every wait: restarts after the backoff, the crash loop, the graceful
 * shutdown (and the kill past its wait), the SIGHUP order (a new worker ready before an old
 * one is asked to stop), and stats gathering.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, Logger, LogLevel, TestClock } from "effect"
import type { ToWorker } from "../../src/server/cluster/messages.js"
import { type ClusterPrimary, type PrimaryConfig, runPrimary, type WorkerProcess } from "../../src/server/cluster/primary.js"

class FakeWorker implements WorkerProcess {
  readonly sent: Array<ToWorker> = []
  exited = false
  private readonly messageListeners: Array<(m: unknown) => void> = []
  private readonly exitListeners: Array<(code: number | null, signal: string | null) => void> = []
  constructor(readonly id: number, readonly pid: number) {}
  send(message: ToWorker): void {
    if (!this.exited) this.sent.push(message)
  }
  kill(): void {
    this.exit(null, "SIGKILL")
  }
  onMessage(listener: (m: unknown) => void): void {
    this.messageListeners.push(listener)
  }
  onExit(listener: (code: number | null, signal: string | null) => void): void {
    this.exitListeners.push(listener)
  }
  emit(message: unknown): void {
    for (const l of this.messageListeners) l(message)
  }
  ready(): void {
    this.emit({ effectNethttp: "ready", url: "http://127.0.0.1:1" })
  }
  exit(code: number | null, signal: string | null = null): void {
    if (this.exited) return
    this.exited = true
    for (const l of this.exitListeners) l(code, signal)
  }
  /** Stops as a worker does when asked: reports, exits 0. */
  stopCleanly(): void {
    this.emit({ effectNethttp: "stopped", interrupted: 0 })
    this.exit(0)
  }
  asked(kind: ToWorker["effectNethttp"]): boolean {
    return this.sent.some((m) => m.effectNethttp === kind)
  }
}

interface Harness {
  readonly forks: Array<FakeWorker>
  readonly handle: Deferred.Deferred<ClusterPrimary>
  readonly config: PrimaryConfig
}

const harness = (workers: number, overrides: Partial<PrimaryConfig> = {}): Effect.Effect<Harness> =>
  Effect.gen(function*() {
    const forks: Array<FakeWorker> = []
    const handle = yield* Deferred.make<ClusterPrimary>()
    const config: PrimaryConfig = {
      workers,
      policy: { initialDelayMs: 100, maxDelayMs: 5_000, maxCrashes: 3, windowMs: 60_000 },
      shutdownTimeoutMs: 1_000,
      readyTimeoutMs: 5_000,
      onPrimary: (primary) => Deferred.succeed(handle, primary),
      fork: () => {
        const w = new FakeWorker(forks.length + 1, 1000 + forks.length + 1)
        forks.push(w)
        return w
      },
      ...overrides
    }
    return { forks, handle, config }
  })

/** Lets the other fibers run until `cond` holds (bounded). */
const until = (cond: () => boolean, what: string): Effect.Effect<void> =>
  Effect.gen(function*() {
    for (let i = 0; i < 1_000 && !cond(); i++) yield* Effect.yieldNow()
    if (!cond()) throw new Error(`never: ${what}`)
  })

/** Runs the primary over `h` until all its first workers are forked and ready; its fiber and handle. */
const started = (h: Harness) =>
  Effect.gen(function*() {
    const primary = yield* Effect.fork(runPrimary(h.config))
    yield* until(() => h.forks.length === h.config.workers, "the first forks")
    for (const w of h.forks) w.ready()
    const handle = yield* Deferred.await(h.handle)
    return { primary, handle }
  })

const quiet = <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.provide(self, Logger.minimumLogLevel(LogLevel.None))

describe("the primary's supervision", () => {
  it.effect("restarts a crashed worker after 100, 200, 400 ms, and gives up with CrashLoop past maxCrashes", () =>
    quiet(Effect.gen(function*() {
      const h = yield* harness(1)
      const primary = yield* Effect.fork(runPrimary(h.config))
      yield* until(() => h.forks.length === 1, "the first fork")
      h.forks[0]!.ready()
      for (const [n, delay] of [[1, 100], [2, 200], [3, 400]] as const) {
        h.forks[n - 1]!.exit(1)
        yield* until(() => h.forks.length === n, "the crash seen")
        yield* TestClock.adjust(delay - 1)
        yield* Effect.yieldNow()
        expect(h.forks).toHaveLength(n)
        yield* TestClock.adjust(1)
        yield* until(() => h.forks.length === n + 1, `restart ${n}`)
      }
      h.forks[3]!.exit(1)
      const exit = yield* Fiber.await(primary)
      expect(Exit.isFailure(exit)).toBe(true)
      if (Exit.isFailure(exit)) {
        expect(exit.cause._tag).toBe("Fail")
        if (exit.cause._tag === "Fail") {
          expect(exit.cause.error).toMatchObject({ _tag: "CrashLoop", crashes: 4, windowMs: 60_000, lastPid: 1004, lastExit: "code 1" })
        }
      }
      expect(h.forks).toHaveLength(4)
    })))

  it.effect("a crash after the window has passed starts the backoff again from 100 ms", () =>
    quiet(Effect.gen(function*() {
      const h = yield* harness(1)
      const primary = yield* Effect.fork(runPrimary(h.config))
      yield* until(() => h.forks.length === 1, "the first fork")
      h.forks[0]!.exit(1)
      yield* TestClock.adjust(100)
      yield* until(() => h.forks.length === 2, "restart 1")
      h.forks[1]!.exit(1)
      yield* TestClock.adjust(200)
      yield* until(() => h.forks.length === 3, "restart 2")
      yield* TestClock.adjust(61_000)
      h.forks[2]!.exit(1)
      yield* TestClock.adjust(100)
      yield* until(() => h.forks.length === 4, "restart 3 after 100 ms")
      const handle = yield* Deferred.await(h.handle)
      yield* handle.shutdown
      yield* until(() => h.forks[3]!.asked("shutdown"), "shutdown asked")
      h.forks[3]!.stopCleanly()
      expect(Exit.isSuccess(yield* Fiber.await(primary))).toBe(true)
    })))

  it.effect("shutdown: every worker asked; one that does not exit within the wait is killed: ShutdownIncomplete", () =>
    quiet(Effect.gen(function*() {
      const h = yield* harness(2)
      const { primary, handle } = yield* started(h)
      yield* handle.shutdown
      yield* until(() => h.forks.every((w) => w.asked("shutdown")), "both asked")
      h.forks[0]!.stopCleanly()
      // shutdownTimeout 1 s + the 2 s margin.
      yield* TestClock.adjust(2_999)
      yield* Effect.yieldNow()
      expect(h.forks[1]!.exited).toBe(false)
      yield* TestClock.adjust(1)
      const exit = yield* Fiber.await(primary)
      expect(h.forks[1]!.exited).toBe(true)
      expect(exit).toEqual(Exit.fail(expect.objectContaining({ _tag: "ShutdownIncomplete", workers: 1, killed: 1, interrupted: 0 })))
      expect(h.forks).toHaveLength(2)
    })))

  it.effect("shutdown: a worker that reports requests cut makes it ShutdownIncomplete; clean stops succeed", () =>
    quiet(Effect.gen(function*() {
      const h = yield* harness(2)
      const { primary, handle } = yield* started(h)
      yield* handle.shutdown
      yield* until(() => h.forks.every((w) => w.asked("shutdown")), "both asked")
      h.forks[0]!.stopCleanly()
      h.forks[1]!.emit({ effectNethttp: "stopped", interrupted: 3 })
      h.forks[1]!.exit(1)
      const exit = yield* Fiber.await(primary)
      expect(exit).toEqual(Exit.fail(expect.objectContaining({ _tag: "ShutdownIncomplete", workers: 1, killed: 0, interrupted: 3 })))
    })))

  it.effect("reload: one at a time, each new worker ready before an old one is asked to stop", () =>
    quiet(Effect.gen(function*() {
      const h = yield* harness(2)
      const primary = yield* Effect.fork(runPrimary(h.config))
      yield* until(() => h.forks.length === 2, "two forks")
      const [w1, w2] = [h.forks[0]!, h.forks[1]!]
      w1.ready()
      w2.ready()
      const handle = yield* Deferred.await(h.handle)
      yield* handle.reload
      yield* until(() => h.forks.length === 3, "the first replacement")
      yield* TestClock.adjust(1_000)
      yield* Effect.yieldNow()
      expect(w1.asked("shutdown") || w2.asked("shutdown")).toBe(false)
      h.forks[2]!.ready()
      yield* until(() => w1.asked("shutdown"), "the first old worker asked to stop")
      expect(w2.asked("shutdown")).toBe(false)
      expect(h.forks).toHaveLength(3)
      w1.stopCleanly()
      yield* until(() => h.forks.length === 4, "the second replacement")
      expect(w2.asked("shutdown")).toBe(false)
      h.forks[3]!.ready()
      yield* until(() => w2.asked("shutdown"), "the second old worker asked to stop")
      w2.stopCleanly()
      let alive = yield* handle.workers
      for (let i = 0; i < 1_000 && alive.length !== 2; i++) {
        yield* Effect.yieldNow()
        alive = yield* handle.workers
      }
      expect(alive.map((w) => w.pid).sort()).toEqual([1003, 1004])
      yield* handle.shutdown
      yield* until(() => h.forks.slice(2).every((w) => w.asked("shutdown")), "new ones asked")
      for (const w of h.forks.slice(2)) w.stopCleanly()
      expect(Exit.isSuccess(yield* Fiber.await(primary))).toBe(true)
    })))

  it.effect("reload: a new worker that exits before it is ready stops the reload; the old ones stay, and it is no crash", () =>
    quiet(Effect.gen(function*() {
      // maxCrashes 0: a counted crash would stop the cluster.
      const h = yield* harness(2, { policy: { initialDelayMs: 100, maxDelayMs: 5_000, maxCrashes: 0, windowMs: 60_000 } })
      const { primary, handle } = yield* started(h)
      yield* handle.reload
      yield* until(() => h.forks.length === 3, "the replacement")
      h.forks[2]!.exit(1)
      yield* TestClock.adjust(10_000)
      yield* Effect.yieldNow()
      expect(h.forks).toHaveLength(3)
      expect(yield* Fiber.poll(primary)).toEqual(expect.objectContaining({ _tag: "None" }))
      expect(h.forks.slice(0, 2).some((w) => w.asked("shutdown"))).toBe(false)
      expect((yield* handle.workers).map((w) => w.pid).sort()).toEqual([1001, 1002])
      yield* handle.shutdown
      yield* until(() => h.forks.slice(0, 2).every((w) => w.asked("shutdown")), "asked")
      for (const w of h.forks.slice(0, 2)) w.stopCleanly()
      expect(Exit.isSuccess(yield* Fiber.await(primary))).toBe(true)
    })))

  it.effect("stats: asks every ready worker and gathers the answers; a silent one gives undefined after a second", () =>
    quiet(Effect.gen(function*() {
      const h = yield* harness(2)
      const { primary, handle } = yield* started(h)
      const gathering = yield* Effect.fork(handle.stats)
      yield* until(() => h.forks.every((w) => w.asked("stats")), "both asked")
      const request = h.forks[0]!.sent.find((m) => m.effectNethttp === "stats")!
      const stats = { connections: 2, idle: 1, accepted: 9, h2Sessions: 0, h2Streams: 0 }
      h.forks[0]!.emit({ effectNethttp: "stats-reply", id: (request as { id: number }).id, stats })
      yield* TestClock.adjust(1_000)
      const all = yield* Fiber.join(gathering)
      expect(all).toEqual([{ id: 1, pid: 1001, stats }, { id: 2, pid: 1002, stats: undefined }])
      yield* handle.shutdown
      yield* until(() => h.forks.every((w) => w.asked("shutdown")), "asked")
      for (const w of h.forks) w.stopCleanly()
      expect(Exit.isSuccess(yield* Fiber.await(primary))).toBe(true)
    })))

  it.effect("a worker that stopped on its own signal is replaced without counting as a crash", () =>
    quiet(Effect.gen(function*() {
      const h = yield* harness(1, { policy: { initialDelayMs: 100, maxDelayMs: 5_000, maxCrashes: 0, windowMs: 60_000 } })
      const primary = yield* Effect.fork(runPrimary(h.config))
      yield* until(() => h.forks.length === 1, "the fork")
      h.forks[0]!.ready()
      h.forks[0]!.stopCleanly()
      yield* TestClock.adjust(100)
      yield* until(() => h.forks.length === 2, "its replacement")
      expect(yield* Fiber.poll(primary)).toEqual(expect.objectContaining({ _tag: "None" }))
      yield* (yield* Deferred.await(h.handle)).shutdown
      yield* until(() => h.forks[1]!.asked("shutdown"), "asked")
      h.forks[1]!.stopCleanly()
      expect(Exit.isSuccess(yield* Fiber.await(primary))).toBe(true)
    })))
})
