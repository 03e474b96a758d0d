/**
 * A graceful shutdown closes idle connections as they become idle, as Go's Shutdown polls (every
 * 1 ms at first, doubling to 500 ms): a connection busy at the first pass (say its answer still
 * on its way) is closed once idle, well before the grace period ends, and nothing counts as
 * cut. On the TestClock, with connections standing in for the server's.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber, TestClock } from "effect"
import { OpenConns, Shutdown, type ShutdownConn } from "../../src/server/shutdown.js"

/** A connection that is idle from `idleFrom` on (checked by the shutdown's passes). */
class FakeConn implements ShutdownConn {
  idle = false
  closedBy: "idle" | "interrupt" | undefined = undefined
  constructor(private readonly conns: OpenConns<FakeConn>) {}
  closeIfIdle(): boolean {
    if (!this.idle || this.closedBy !== undefined) return false
    this.closedBy = "idle"
    this.conns.forget(this)
    return true
  }
  interrupt(): void {
    if (this.closedBy !== undefined) return
    this.closedBy = "interrupt"
    this.conns.forget(this)
  }
}

describe("graceful shutdown: idle connections closed as they come", () => {
  it.effect("one busy at the first pass is closed within milliseconds of going idle, not at the grace's end", () =>
    Effect.gen(function*() {
      const conns = new OpenConns<FakeConn>()
      const early = new FakeConn(conns)
      const late = new FakeConn(conns)
      early.idle = true
      conns.open.add(early)
      conns.open.add(late)
      const shutdown = new Shutdown(conns, Effect.void, Effect.void)
      const fiber = yield* Effect.fork(shutdown.stop(10_000))
      yield* TestClock.adjust(0)
      expect(early.closedBy).toBe("idle")
      expect(late.closedBy).toBeUndefined()
      // The late one's answer goes out; idle from now on.
      late.idle = true
      yield* TestClock.adjust(20)
      expect(late.closedBy).toBe("idle")
      const exit = yield* Fiber.await(fiber)
      expect(Exit.isSuccess(exit)).toBe(true)
    }))

  it.effect("one that never goes idle is cut at the grace's end, as before", () =>
    Effect.gen(function*() {
      const conns = new OpenConns<FakeConn>()
      const busy = new FakeConn(conns)
      conns.open.add(busy)
      const shutdown = new Shutdown(conns, Effect.void, Effect.void)
      const fiber = yield* Effect.fork(shutdown.stop(1_000))
      yield* TestClock.adjust(999)
      expect(busy.closedBy).toBeUndefined()
      yield* TestClock.adjust(1)
      const exit = yield* Fiber.await(fiber)
      expect(busy.closedBy).toBe("interrupt")
      expect(Exit.isFailure(exit)).toBe(true)
    }))
})
