/**
 * `Cluster.run`'s options are checked before any worker is forked, and the IPC messages are
 * told apart from a program's own.
 */
import { Effect, Either, Layer } from "effect"
import { describe, expect, it } from "vitest"
import { Cluster } from "../../src/server.js"
import { toPrimary, toWorker } from "../../src/server/cluster/messages.js"

const run = (options: Cluster.ClusterOptions) => Effect.runPromise(Effect.either(Cluster.run(Layer.empty, options)))

describe("Cluster.run options", () => {
  it.each([
    [{ workers: 0 }, "workers"],
    [{ workers: 1.5 }, "workers"],
    [{ maxCrashes: -1 }, "maxCrashes"],
    [{ restartDelay: -5 }, "restartDelay"],
    [{ shutdownTimeout: "soon" }, "shutdownTimeout"],
    [{ crashWindow: Number.NaN }, "crashWindow"]
  ] as const)("%j fails with InvalidConfig naming %s, forking nothing", async (options, field) => {
    const result = await run(options as Cluster.ClusterOptions)
    expect(Either.isLeft(result)).toBe(true)
    if (Either.isLeft(result)) {
      expect(result.left._tag).toBe("InvalidConfig")
      if (result.left._tag === "InvalidConfig") {
        expect(result.left.component).toBe("Cluster")
        expect(result.left.field).toBe(field)
      }
    }
  })

  it("this process is a primary", () => {
    expect(Cluster.isPrimary()).toBe(true)
  })
})

describe("IPC messages", () => {
  it("reads ours and leaves others alone", () => {
    expect(toWorker({ effectNethttp: "shutdown" })).toEqual({ effectNethttp: "shutdown" })
    expect(toWorker({ effectNethttp: "stats", id: 3 })).toEqual({ effectNethttp: "stats", id: 3 })
    expect(toWorker({ effectNethttp: "stats" })).toBeUndefined()
    expect(toWorker({ cmd: "NODE_CLUSTER" })).toBeUndefined()
    expect(toWorker("shutdown")).toBeUndefined()
    expect(toPrimary({ effectNethttp: "ready", url: "http://127.0.0.1:1" })).toEqual({ effectNethttp: "ready", url: "http://127.0.0.1:1" })
    expect(toPrimary({ effectNethttp: "ready" })).toEqual({ effectNethttp: "ready", url: null })
    expect(toPrimary({ effectNethttp: "stopped", interrupted: 2 })).toEqual({ effectNethttp: "stopped", interrupted: 2 })
    expect(toPrimary({ effectNethttp: "stats-reply", id: 1, stats: null })).toEqual({ effectNethttp: "stats-reply", id: 1, stats: null })
    expect(toPrimary(null)).toBeUndefined()
  })
})
