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
import { Cause, Context, Deferred, Effect, Exit, Layer, Option, Scope } from "effect"
import { Server, type ServerService } from "../Server.js"
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
const listen = (stop: Deferred.Deferred<void>, server: () => ServerService | undefined): Effect.Effect<void, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const stopNow = () => {
        Deferred.unsafeDone(stop, Exit.void)
      }
      const onMessage = (raw: unknown) => {
        const m = toWorker(raw)
        if (m === undefined) return
        if (m.effectNethttp === "shutdown") return stopNow()
        const s = server()
        if (s === undefined) {
          Effect.runFork(send({ effectNethttp: "stats-reply", id: m.id, stats: null }))
          return
        }
        Effect.runFork(Effect.flatMap(s.stats, (stats) => send({ effectNethttp: "stats-reply", id: m.id, stats })))
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
    let server: ServerService | undefined
    yield* listen(stop, () => server)
    const scope = yield* Scope.make()
    // A stop asked while the Layer is still building interrupts the build.
    const building = yield* Effect.raceFirst(
      Effect.map(Effect.exit(Layer.buildWithScope(layer, scope)), Option.some),
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
    const found = Context.getOption(built.value as Context.Context<unknown>, Server)
    server = Option.getOrUndefined(found)
    yield* send({ effectNethttp: "ready", url: server === undefined ? null : server.url })
    yield* Deferred.await(stop)
    let interrupted = 0
    if (server !== undefined) {
      const shut = yield* Effect.either(server.shutdown())
      if (shut._tag === "Left") interrupted = shut.left.interrupted
    }
    yield* Scope.close(scope, Exit.void)
    if (interrupted > 0) yield* Effect.logWarning(`${LOG} worker pid ${process.pid} cut ${interrupted} request(s) at its shutdown deadline`)
    yield* send({ effectNethttp: "stopped", interrupted })
    return interrupted
  }))
