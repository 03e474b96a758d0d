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
 * @module
 */
import { Scheduler } from "effect"

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
  }, (fiber) => fallback.shouldYield(fiber))
}
