/**
 * A worker process of a cluster: builds the server Layer in its own Scope, tells the primary
 * it is ready, answers the primary's `stats` requests with its `Server`'s stats, and on the
 * primary's `shutdown` message or its own SIGTERM or SIGINT, closes the Scope (the `Server`'s
 * graceful shutdown) and reports how many requests that cut. A worker whose primary is gone
 * exits at once (`node:cluster` does that on the channel's unexpected disconnect).
 *
 * @module
 * @internal
 */
import { Cause, Deferred, Effect, Exit, Layer, Option, Scope } from "effect"
import type { ServerService, ServerStats } from "../Server.js"
import { ServerRegistry } from "../serverRegistry.js"
import { WorkerStartFailed } from "./errors.js"
import { type ToPrimary, toWorker } from "./messages.js"

const LOG = "effect-nethttp cluster:"

/** Sends a message to the primary; completes once it is handed to the channel (or at once without one). */
const send = (message: ToPrimary): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    try {
      if (process.send === undefined || !process.connected) return resume(Effect.void)
      process.send(message, undefined, undefined, () => resume(Effect.void))
    } catch {
      resume(Effect.void)
    }
  })

/** Stop requests (the primary's message, SIGTERM, SIGINT) and stats requests, while the Scope is open. */
const listen = (stop: Deferred.Deferred<void>, servers: ReadonlyArray<ServerService>): Effect.Effect<void, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const stopNow = () => {
        Deferred.unsafeDone(stop, Exit.void)
      }
      const onMessage = (raw: unknown) => {
        const m = toWorker(raw)
        if (m === undefined) return
        if (m.effectNethttp === "shutdown") return stopNow()
        if (servers.length === 0) {
          Effect.runFork(send({ effectNethttp: "stats-reply", id: m.id, stats: null }))
          return
        }
        Effect.runFork(Effect.flatMap(Effect.all(servers.map((s) => s.stats)), (all) => send({ effectNethttp: "stats-reply", id: m.id, stats: sumStats(all) })))
      }
      process.on("message", onMessage)
      process.on("SIGTERM", stopNow)
      process.on("SIGINT", stopNow)
      return { onMessage, stopNow }
    }),
    ({ onMessage, stopNow }) =>
      Effect.sync(() => {
        process.off("message", onMessage)
        process.off("SIGTERM", stopNow)
        process.off("SIGINT", stopNow)
      })
  )

/**
 * Serves `layer` until asked to stop; succeeds with the number of requests the graceful
 * shutdown cut (0: a clean stop), fails when the Layer did not build.
 *
 * @internal
 */
export const runWorker = <ROut, E>(layer: Layer.Layer<ROut, E, never>): Effect.Effect<number, WorkerStartFailed> =>
  Effect.scoped(Effect.gen(function*() {
    const stop = yield* Deferred.make<void>()
    // The servers the Layer builds, wherever they are in it (an @effect/platform layer's `Server`
    // is not among its outputs): they register themselves (serverRegistry.ts).
    const servers: Array<ServerService> = []
    yield* listen(stop, servers)
    const scope = yield* Scope.make()
    const build = Effect.provideService(Layer.buildWithScope(layer, scope), ServerRegistry, { register: (s) => void servers.push(s) })
    // A stop asked while the Layer is still building interrupts the build.
    const building = yield* Effect.raceFirst(
      Effect.map(Effect.exit(build), Option.some),
      Effect.as(Deferred.await(stop), Option.none())
    )
    if (Option.isNone(building)) {
      yield* Scope.close(scope, Exit.void)
      yield* send({ effectNethttp: "stopped", interrupted: 0 })
      return 0
    }
    const built = building.value
    if (Exit.isFailure(built)) {
      yield* Scope.close(scope, built)
      return yield* new WorkerStartFailed({ pid: process.pid, cause: Cause.pretty(built.cause) })
    }
    yield* send({ effectNethttp: "ready", url: servers.length === 0 ? null : servers[0]!.url })
    yield* Deferred.await(stop)
    // Every server's graceful shutdown at once; what they cut is reported.
    const shut = yield* Effect.all(servers.map((s) => Effect.either(s.shutdown())), { concurrency: "unbounded" })
    let interrupted = 0
    for (const r of shut) if (r._tag === "Left") interrupted += r.left.interrupted
    yield* Scope.close(scope, Exit.void)
    if (interrupted > 0) yield* Effect.logWarning(`${LOG} worker pid ${process.pid} cut ${interrupted} request(s) at its shutdown deadline`)
    yield* send({ effectNethttp: "stopped", interrupted })
    return interrupted
  }))

/** The stats of several servers in one process, added up (one server: its own). */
const sumStats = (all: ReadonlyArray<ServerStats>): ServerStats =>
  all.length === 1
    ? all[0]!
    : all.reduce((a, b) => ({
      connections: a.connections + b.connections,
      idle: a.idle + b.idle,
      accepted: a.accepted + b.accepted,
      h2Sessions: a.h2Sessions + b.h2Sessions,
      h2Streams: a.h2Streams + b.h2Streams
    }))
