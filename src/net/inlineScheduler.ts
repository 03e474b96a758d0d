/**
 * The scheduler the connection fibers run on: a fiber resumed from an I/O callback (input
 * arrived, the socket drained) runs at once, inside that callback, as node:http handles a
 * request inside its socket's `data` event, instead of one microtask later on Effect's
 * default scheduler. That saves a hop per request and keeps the request's work together.
 *
 * Only the outermost resumption runs inline: one scheduled while an inline task runs (a
 * fiber forked or woken by the handler, a yield after many operations) goes to the default
 * scheduler, so inline runs never nest and the stack stays flat. Each Server has its own.
 *
 * The yield check runs before every operation; Effect's own reads two FiberRefs (map lookups)
 * each time. Ours skips them for a run's first `CHEAP_OPS` operations (a request takes a
 * handful), so a fiber yields after `Effect.withMaxOpsBeforeYield`'s count or after
 * `CHEAP_OPS`, whichever is more (the default is 2048).
 *
 * @module
 */
import { Scheduler } from "effect"

/** Operations of one run before the yield check reads the fiber's settings (see the module's description). */
const CHEAP_OPS = 64

/** A new inline scheduler (see the module's description). */
export const makeInlineScheduler = (fallback: Scheduler.Scheduler = Scheduler.defaultScheduler): Scheduler.Scheduler => {
  let running = false
  return Scheduler.make((task, priority, fiber) => {
    if (running) return fallback.scheduleTask(task, priority, fiber)
    running = true
    try {
      task()
    } finally {
      running = false
    }
  }, (fiber) => fiber.currentOpCount <= CHEAP_OPS ? false : fallback.shouldYield(fiber))
}
