/**
 * The primary process of a cluster: forks the workers, restarts a crashed one with backoff
 * (and gives up on a crash loop), replaces them one at a time on SIGHUP, stops them gracefully
 * on SIGTERM or SIGINT, and gathers their `stats` (logged on SIGUSR2).
 *
 * Node events (a worker's messages and exit, the process's signals) complete Deferreds or
 * feed one command Queue; everything else is fibers in the primary's Scope, and every wait is
 * on Effect's Clock. The decisions about crashes are the pure functions of `policy.ts`.
 *
 * @module
 */
import { Clock, Deferred, Effect, Exit, Fiber, FiberId, Option, Queue, Ref, type Scope } from "effect"
import cluster from "node:cluster"
import type { ServerStats } from "../Server.js"
import { CrashLoop, ShutdownIncomplete } from "./errors.js"
import { toPrimary, type ToWorker } from "./messages.js"
import { onCrash, type RestartPolicy } from "./policy.js"

/**
 * One worker's `stats`, as gathered by the primary.
 *
 * @since 0.1.0
 * @category models
 */
export interface WorkerStats {
  /** The worker's `cluster` id (1, 2, ... in fork order). */
  readonly id: number
  readonly pid: number
  /**
   * Its `Server`'s stats (added up when its Layer builds several, the @effect/platform layer's
   * included); undefined when its Layer builds no `Server` or it did not answer within a second.
   */
  readonly stats: ServerStats | undefined
}

/**
 * A worker as the primary sees it.
 *
 * @since 0.1.0
 * @category models
 */
export interface WorkerInfo {
  readonly id: number
  readonly pid: number
  /** Its Layer is built: it serves. */
  readonly ready: boolean
  /** The url its `Server` listens on, once ready (undefined when its Layer builds no `Server`). */
  readonly url: string | undefined
  /** It was asked to stop (a shutdown or a replacement). */
  readonly stopping: boolean
}

/**
 * What the primary offers to `ClusterOptions.onPrimary`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClusterPrimary {
  /** Asks every ready worker for its stats (at most a second each, concurrently). */
  readonly stats: Effect.Effect<ReadonlyArray<WorkerStats>>
  /** The workers alive now. */
  readonly workers: Effect.Effect<ReadonlyArray<WorkerInfo>>
  /** Starts a rolling replacement, as SIGHUP does (one queued when one is running). */
  readonly reload: Effect.Effect<void>
  /** Starts the graceful shutdown, as SIGTERM does. */
  readonly shutdown: Effect.Effect<void>
}

/**
 * A worker process as the supervisor drives it: `node:cluster`'s `Worker` (`forkWorker`), or a
 * fake in the tests, where TestClock drives the supervisor's timers.
 *
 * @internal
 */
export interface WorkerProcess {
  readonly id: number
  readonly pid: number
  /** Sends a message; dropped when the channel is closed (the worker's exit is what counts). */
  send(message: ToWorker): void
  /** SIGKILL. */
  kill(): void
  onMessage(listener: (message: unknown) => void): void
  onExit(listener: (code: number | null, signal: string | null) => void): void
}

/**
 * Forks a worker running this program with `node:cluster`.
 *
 * @internal
 */
export const forkWorker = (): WorkerProcess => {
  const worker = cluster.fork()
  worker.on("error", () => undefined)
  return {
    id: worker.id,
    pid: worker.process.pid ?? -1,
    send: (message) => {
      try {
        if (worker.isConnected()) worker.send(message, undefined, () => undefined)
      } catch {
        // The channel closed under us: the worker is on its way out.
      }
    },
    kill: () => {
      worker.process.kill("SIGKILL")
    },
    onMessage: (listener) => {
      worker.on("message", listener)
    },
    onExit: (listener) => {
      worker.on("exit", listener)
    }
  }
}

/**
 * The primary's settings, resolved.
 *
 * @internal
 */
export interface PrimaryConfig {
  readonly workers: number
  readonly policy: RestartPolicy
  /** How long a worker may take to stop gracefully before it is killed (plus `STOP_MARGIN_MS`). */
  readonly shutdownTimeoutMs: number
  /** How long a replacement may take to become ready during a reload. */
  readonly readyTimeoutMs: number
  readonly onPrimary: ((primary: ClusterPrimary) => Effect.Effect<void>) | undefined
  /** How a worker is started (`forkWorker`). */
  readonly fork: () => WorkerProcess
}

/** Added to `shutdownTimeoutMs`: the worker's own shutdown, its Scope's finalizers and its exit. */
const STOP_MARGIN_MS = 2_000

/** How a worker process ended. */
interface WorkerExit {
  readonly code: number | null
  readonly signal: string | null
}

const describeExit = (e: WorkerExit): string => (e.signal !== null ? `signal ${e.signal}` : `code ${e.code ?? "?"}`)

/** One worker process and what the primary knows of it. */
interface Slot {
  readonly id: number
  readonly pid: number
  readonly worker: WorkerProcess
  readonly ready: Deferred.Deferred<string | null>
  readonly exited: Deferred.Deferred<WorkerExit>
  /** Asked to stop: its exit is not a crash. */
  stopping: boolean
  /** Restarted when it crashes (false for a reload's replacement until it is ready). */
  restart: boolean
  /** Requests its graceful shutdown reported cut. */
  interrupted: number
  /** It stopped gracefully on its own (its own SIGTERM or SIGINT), not asked by the primary. */
  stoppedItself: boolean
  /** Its `ready` message came. */
  isReady: boolean
  /** The url in its `ready` message. */
  url: string | undefined
}

type Command = "shutdown" | "reload" | "stats"

/** How one worker's stop went. */
interface StopOutcome {
  readonly clean: boolean
  readonly interrupted: number
  readonly killed: boolean
}

const LOG = "effect-nethttp cluster:"

const send = (slot: Slot, message: ToWorker): void => {
  slot.worker.send(message)
}

/** The cluster's state and its operations; one per primary run. */
class Supervisor {
  readonly slots = new Map<number, Slot>()
  shuttingDown = false
  private crashHistory: ReadonlyArray<number> = []
  private nextRequest = 0
  private readonly pending = new Map<number, Deferred.Deferred<ServerStats | null>>()

  constructor(
    readonly config: PrimaryConfig,
    private readonly scope: Scope.Scope,
    private readonly fatal: Deferred.Deferred<never, CrashLoop>
  ) {}

  /** Forks a worker process and the fiber that watches it. */
  spawn(restart: boolean): Effect.Effect<Slot> {
    return Effect.gen(this, function*() {
      const worker = this.config.fork()
      const slot: Slot = {
        id: worker.id,
        pid: worker.pid,
        worker,
        ready: Deferred.unsafeMake(FiberId.none),
        exited: Deferred.unsafeMake(FiberId.none),
        stopping: false,
        restart,
        interrupted: 0,
        stoppedItself: false,
        isReady: false,
        url: undefined
      }
      this.slots.set(slot.id, slot)
      worker.onMessage((raw: unknown) => {
        const m = toPrimary(raw)
        if (m === undefined) return
        switch (m.effectNethttp) {
          case "ready":
            slot.isReady = true
            slot.url = m.url ?? undefined
            Deferred.unsafeDone(slot.ready, Exit.succeed(m.url))
            return
          case "stats-reply": {
            const waiting = this.pending.get(m.id)
            if (waiting !== undefined) Deferred.unsafeDone(waiting, Exit.succeed(m.stats))
            return
          }
          case "stopped":
            slot.interrupted = m.interrupted
            if (!slot.stopping) slot.stoppedItself = true
            return
        }
      })
      worker.onExit((code, signal) => {
        Deferred.unsafeDone(slot.exited, Exit.succeed({ code, signal }))
      })
      yield* Effect.forkIn(this.watch(slot), this.scope)
      return slot
    })
  }

  /** Logs the worker's readiness, and handles its exit: forgotten, and restarted if it crashed. */
  private watch(slot: Slot): Effect.Effect<void> {
    return Effect.gen(this, function*() {
      const ready = yield* Effect.raceFirst(Effect.map(Deferred.await(slot.ready), Option.some), Effect.as(Deferred.await(slot.exited), Option.none<string | null>()))
      if (Option.isSome(ready)) {
        yield* Effect.logInfo(`${LOG} worker ${slot.id} (pid ${slot.pid}) ready${ready.value === null ? "" : ` at ${ready.value}`}`)
        // Asked to stop before it listened for the primary's messages: ask again.
        if (slot.stopping) send(slot, { effectNethttp: "shutdown" })
      }
      const exit = yield* Deferred.await(slot.exited)
      this.slots.delete(slot.id)
      if (slot.stopping || this.shuttingDown) return
      if (slot.stoppedItself && exit.code === 0) {
        // Its own SIGTERM or SIGINT (Ctrl-C reaches the whole process group): not a crash. The
        // primary's own signal usually follows at once; otherwise a new worker takes its place.
        const delay = this.config.policy.initialDelayMs
        yield* Effect.logInfo(`${LOG} worker ${slot.id} (pid ${slot.pid}) stopped on its own signal; starting another in ${delay} ms unless the cluster stops`)
        yield* Effect.sleep(delay)
        if (!this.shuttingDown) yield* this.spawn(true)
        return
      }
      if (!slot.restart) {
        // A reload's replacement that failed before it was ready: the reload stops and says so;
        // the old workers go on, and a bad deploy is not a crash loop of the serving cluster.
        yield* Effect.logWarning(`${LOG} worker ${slot.id} (pid ${slot.pid}) exited with ${describeExit(exit)} before it was ready`)
        return
      }
      const now = yield* Clock.currentTimeMillis
      const decision = onCrash(this.config.policy, this.crashHistory, now)
      this.crashHistory = decision.history
      if (decision._tag === "GiveUp") {
        yield* Deferred.fail(
          this.fatal,
          new CrashLoop({ crashes: decision.crashes, windowMs: this.config.policy.windowMs, lastPid: slot.pid, lastExit: describeExit(exit) })
        )
        return
      }
      yield* Effect.logWarning(`${LOG} worker ${slot.id} (pid ${slot.pid}) exited with ${describeExit(exit)}; restarting in ${decision.delayMs} ms`)
      yield* Effect.sleep(decision.delayMs)
      if (!this.shuttingDown) yield* this.spawn(true)
    })
  }

  /** Asks a worker to stop gracefully, waits for its exit (killing it past the wait), and says how it went. */
  stop(slot: Slot): Effect.Effect<StopOutcome> {
    return Effect.gen(this, function*() {
      slot.stopping = true
      send(slot, { effectNethttp: "shutdown" })
      const waited = yield* Effect.timeout(Deferred.await(slot.exited), this.config.shutdownTimeoutMs + STOP_MARGIN_MS).pipe(Effect.option)
      if (Option.isNone(waited)) {
        yield* Effect.logWarning(`${LOG} worker ${slot.id} (pid ${slot.pid}) did not stop within ${this.config.shutdownTimeoutMs + STOP_MARGIN_MS} ms; killing it`)
        slot.worker.kill()
        yield* Deferred.await(slot.exited)
        return { clean: false, interrupted: slot.interrupted, killed: true }
      }
      const exit = waited.value
      return { clean: exit.code === 0 && slot.interrupted === 0, interrupted: slot.interrupted, killed: false }
    })
  }

  /** Replaces every worker alive now, one at a time: a new one ready before an old one stops. */
  readonly reload: Effect.Effect<void> = Effect.gen(this, function*() {
    const olds = [...this.slots.values()].filter((s) => !s.stopping)
    yield* Effect.logInfo(`${LOG} reload: replacing ${olds.length} worker(s) one at a time`)
    for (const old of olds) {
      if (!this.slots.has(old.id) || old.stopping) continue
      const fresh = yield* this.spawn(false)
      const ready = yield* Effect.raceFirst(Effect.as(Deferred.await(fresh.ready), true), Effect.as(Deferred.await(fresh.exited), false)).pipe(
        Effect.timeout(this.config.readyTimeoutMs),
        Effect.option
      )
      if (Option.isNone(ready) || !ready.value) {
        const why = Option.isNone(ready) ? `was not ready within ${this.config.readyTimeoutMs} ms` : "exited before it was ready"
        yield* Effect.logError(`${LOG} reload stopped: the new worker ${fresh.id} (pid ${fresh.pid}) ${why}; the old workers go on serving`)
        if (Option.isNone(ready)) yield* this.stop(fresh)
        return
      }
      fresh.restart = true
      const outcome = yield* this.stop(old)
      if (!outcome.clean) {
        yield* Effect.logWarning(
          `${LOG} reload: the old worker ${old.id} (pid ${old.pid}) did not stop cleanly (${outcome.interrupted} request(s) cut${outcome.killed ? ", killed" : ""})`
        )
      }
    }
    yield* Effect.logInfo(`${LOG} reload: done`)
  })

  /** Asks one worker for its stats. */
  private statsOf(slot: Slot): Effect.Effect<WorkerStats> {
    return Effect.gen(this, function*() {
      const id = ++this.nextRequest
      const answer = yield* Deferred.make<ServerStats | null>()
      this.pending.set(id, answer)
      send(slot, { effectNethttp: "stats", id })
      const got = yield* Effect.raceFirst(Effect.map(Deferred.await(answer), Option.some), Effect.as(Deferred.await(slot.exited), Option.none())).pipe(
        Effect.timeout(1_000),
        Effect.option,
        Effect.map(Option.flatten),
        Effect.ensuring(Effect.sync(() => this.pending.delete(id)))
      )
      return { id: slot.id, pid: slot.pid, stats: Option.isSome(got) && got.value !== null ? got.value : undefined }
    })
  }

  readonly stats: Effect.Effect<ReadonlyArray<WorkerStats>> = Effect.suspend(() => {
    const serving = [...this.slots.values()].filter((s) => s.isReady && !s.stopping)
    return Effect.forEach(serving, (s) => this.statsOf(s), { concurrency: "unbounded" })
  })

  readonly workers: Effect.Effect<ReadonlyArray<WorkerInfo>> = Effect.sync(() =>
    [...this.slots.values()].map((s) => ({ id: s.id, pid: s.pid, ready: s.isReady, url: s.url, stopping: s.stopping }))
  )

  /** Stops every worker, concurrently; fails when one did not stop cleanly. */
  readonly stopAll: Effect.Effect<void, ShutdownIncomplete> = Effect.gen(this, function*() {
    this.shuttingDown = true
    const all = [...this.slots.values()]
    yield* Effect.logInfo(`${LOG} stopping ${all.length} worker(s) gracefully`)
    const outcomes = yield* Effect.forEach(all, (s) => this.stop(s), { concurrency: "unbounded" })
    const unclean = outcomes.filter((o) => !o.clean)
    if (unclean.length === 0) {
      yield* Effect.logInfo(`${LOG} every worker stopped cleanly`)
      return
    }
    return yield* new ShutdownIncomplete({
      workers: unclean.length,
      interrupted: unclean.reduce((n, o) => n + o.interrupted, 0),
      killed: unclean.filter((o) => o.killed).length
    })
  })
}

const SIGNALS: ReadonlyArray<readonly [NodeJS.Signals, Command]> = [
  ["SIGTERM", "shutdown"],
  ["SIGINT", "shutdown"],
  ["SIGHUP", "reload"],
  ["SIGUSR2", "stats"]
]

/** Turns the process's signals into commands while the Scope is open. */
const signalCommands = (commands: Queue.Queue<Command>): Effect.Effect<void, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const handlers = SIGNALS.map(([signal, command]) => {
        const handler = () => {
          Queue.unsafeOffer(commands, command)
        }
        process.on(signal, handler)
        return [signal, handler] as const
      })
      return handlers
    }),
    (handlers) =>
      Effect.sync(() => {
        for (const [signal, handler] of handlers) process.off(signal, handler)
      })
  )

const formatStats = (w: WorkerStats): string =>
  w.stats === undefined
    ? `${LOG} stats worker ${w.id} pid ${w.pid}: none`
    : `${LOG} stats worker ${w.id} pid ${w.pid}: ${w.stats.connections} connections (${w.stats.idle} idle), ${w.stats.accepted} accepted, ` +
      `${w.stats.h2Sessions} HTTP/2 sessions, ${w.stats.h2Streams} streams`

/**
 * Runs the primary until a shutdown (SIGTERM, SIGINT or `ClusterPrimary.shutdown`) has stopped
 * every worker, or a crash loop stopped the cluster.
 *
 * @internal
 */
export const runPrimary = (config: PrimaryConfig): Effect.Effect<void, CrashLoop | ShutdownIncomplete> =>
  Effect.scoped(Effect.gen(function*() {
    const scope = yield* Effect.scope
    const commands = yield* Queue.unbounded<Command>()
    const fatal = yield* Deferred.make<never, CrashLoop>()
    const sup = new Supervisor(config, scope, fatal)
    yield* signalCommands(commands)
    yield* Effect.logInfo(`${LOG} primary pid ${process.pid} starting ${config.workers} worker(s)`)
    for (let i = 0; i < config.workers; i++) yield* sup.spawn(true)
    if (config.onPrimary !== undefined) {
      const handle: ClusterPrimary = {
        stats: sup.stats,
        workers: sup.workers,
        reload: Queue.offer(commands, "reload").pipe(Effect.asVoid),
        shutdown: Queue.offer(commands, "shutdown").pipe(Effect.asVoid)
      }
      yield* Effect.forkScoped(config.onPrimary(handle))
    }
    const reloadWanted = yield* Ref.make(false)
    let reloading: Fiber.RuntimeFiber<void> | undefined
    const reloads: Effect.Effect<void> = Effect.gen(function*() {
      while (yield* Ref.getAndSet(reloadWanted, false)) yield* sup.reload
    })
    const loop = Effect.gen(function*() {
      while (true) {
        const command = yield* Queue.take(commands)
        if (command === "shutdown") return
        if (command === "stats") {
          yield* Effect.forkScoped(Effect.flatMap(sup.stats, (all) => Effect.forEach(all, (w) => Effect.logInfo(formatStats(w)), { discard: true })))
          continue
        }
        yield* Ref.set(reloadWanted, true)
        if (reloading === undefined || (yield* Fiber.poll(reloading))._tag === "Some") {
          reloading = yield* Effect.forkScoped(reloads)
        } else {
          yield* Effect.logInfo(`${LOG} reload already running: another one follows it`)
        }
      }
    })
    const crashed = yield* Effect.raceFirst(Effect.as(loop, undefined), Effect.flip(Deferred.await(fatal)))
    sup.shuttingDown = true
    if (reloading !== undefined) yield* Fiber.interrupt(reloading)
    if (crashed !== undefined) {
      yield* Effect.logError(`${LOG} ${crashed.message}`)
      yield* Effect.ignore(sup.stopAll)
      return yield* crashed
    }
    yield* sup.stopAll
  }))
