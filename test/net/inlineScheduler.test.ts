/**
 * The connection fibers' scheduler: a resumption from an I/O callback runs inside the callback,
 * one scheduled while an inline task runs goes to the fallback (no nesting), and the yield
 * check skips Effect's FiberRef reads for a run's first operations but still yields a long run.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, type Fiber, Runtime, Scheduler } from "effect"
import { makeInlineScheduler } from "../../src/net/inlineScheduler.js"

/** A fallback that records what it was given and runs it only when asked. */
class RecordingScheduler implements Scheduler.Scheduler {
  readonly tasks: Array<Scheduler.Task> = []
  yieldChecks = 0
  /** The fewest operations of a run at which the fallback was asked whether to yield. */
  fewestOpsChecked = Number.POSITIVE_INFINITY
  scheduleTask(task: Scheduler.Task): void {
    this.tasks.push(task)
  }
  shouldYield(fiber: Fiber.RuntimeFiber<unknown, unknown>): number | false {
    this.yieldChecks++
    this.fewestOpsChecked = Math.min(this.fewestOpsChecked, fiber.currentOpCount)
    return Scheduler.defaultScheduler.shouldYield(fiber)
  }
}

describe("makeInlineScheduler", () => {
  it("runs an outermost task at once and defers one scheduled from inside it", () => {
    const fallback = new RecordingScheduler()
    const scheduler = makeInlineScheduler(fallback)
    const order: Array<string> = []
    scheduler.scheduleTask(() => {
      order.push("outer")
      scheduler.scheduleTask(() => order.push("nested"), 0, undefined as unknown as Fiber.RuntimeFiber<unknown, unknown>)
      order.push("outer done")
    }, 0, undefined as unknown as Fiber.RuntimeFiber<unknown, unknown>)
    expect(order).toEqual(["outer", "outer done"])
    expect(fallback.tasks).toHaveLength(1)
    fallback.tasks[0]!()
    expect(order).toEqual(["outer", "outer done", "nested"])
  })

  it("resumes a fiber inside the callback that wakes it", async () => {
    const scheduler = makeInlineScheduler()
    const runtime = await Effect.runPromise(Effect.withScheduler(Effect.runtime<never>(), scheduler))
    let wake: (() => void) | undefined
    let resumed = false
    const fiber = Runtime.runFork(runtime)(
      Effect.withScheduler(
        Effect.zipRight(
          Effect.async<void>((resume) => {
            wake = () => resume(Effect.void)
          }),
          Effect.sync(() => {
            resumed = true
          })
        ),
        scheduler
      )
    )
    for (let i = 0; i < 10 && wake === undefined; i++) await new Promise((r) => setImmediate(r))
    expect(wake).toBeDefined()
    wake!()
    expect(resumed).toBe(true)
    await Effect.runPromise(fiber.await)
  })

  it("asks the fallback whether to yield only past the first operations of a run, and a long run still yields", async () => {
    const fallback = new RecordingScheduler()
    const scheduler = makeInlineScheduler(fallback)
    // A run of 10000 synchronous operations (a flatMap and a sync each step): the default allows 2048 before a yield.
    const count = (left: number, n: number): Effect.Effect<number> =>
      left === 0 ? Effect.succeed(n) : Effect.flatMap(Effect.sync(() => n + 1), (m) => count(left - 1, m))
    const program = count(5000, 0)
    const fiber = Effect.runFork(Effect.withScheduler(program, scheduler))
    // The fiber started on the default scheduler; its run on ours yields to the fallback.
    for (let i = 0; i < 100 && fallback.tasks.length === 0; i++) await new Promise((r) => setImmediate(r))
    expect(fallback.tasks.length).toBeGreaterThan(0)
    // The fallback (Effect's check, two FiberRef reads) is asked only past a run's first 64 operations.
    expect(fallback.yieldChecks).toBeGreaterThan(0)
    expect(fallback.fewestOpsChecked).toBe(65)
    for (let i = 0; i < 100 && fallback.tasks.length > 0; i++) fallback.tasks.shift()!()
    const exit = await Effect.runPromise(fiber.await)
    expect(exit._tag).toBe("Success")
    expect(exit._tag === "Success" ? exit.value : 0).toBe(5000)
  })
})
