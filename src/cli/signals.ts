/**
 * Waiting for SIGINT or SIGTERM as an Effect: the listeners exist only while it waits, so
 * once it completes (or is interrupted) a second signal has Node's default effect again (a
 * second Ctrl-C ends the process at once).
 *
 * @module
 */
import { Effect } from "effect"

/** The signals the CLI handles. */
export const SIGNALS = ["SIGINT", "SIGTERM"] as const

/** One of {@link SIGNALS}. */
export type HandledSignal = (typeof SIGNALS)[number]

/** Completes with the first SIGINT or SIGTERM the process receives. */
export const awaitSignal: Effect.Effect<HandledSignal> = Effect.async<HandledSignal>((resume) => {
  const handlers = SIGNALS.map((signal) => {
    const handler = () => {
      remove()
      resume(Effect.succeed(signal))
    }
    process.on(signal, handler)
    return [signal, handler] as const
  })
  const remove = () => {
    for (const [signal, handler] of handlers) process.off(signal, handler)
  }
  return Effect.sync(remove)
})
