/**
 * The idle-expiry timer (Go arms one `AfterFunc` per idle connection; one fiber does here):
 * it sleeps until the pool's next idle connection expires, and with nothing idle waits to be
 * woken by the pool (`wentIdle`). Touches the pool through `nextExpiry` and `expire` only.
 *
 * @module
 * @internal
 */
import { Effect } from "effect"
import type { ConnPool } from "./ConnPool.js"

/** @internal */
export class IdleExpiry {
  private wake: (() => void) | undefined = undefined

  constructor(readonly pool: () => ConnPool, readonly idleConnTimeoutMs: number, readonly now: () => number) {}

  /** The pool's signal that a connection went idle: wakes the timer if it waits for one. */
  wentIdle(): void {
    const wake = this.wake
    if (wake !== undefined) {
      this.wake = undefined
      wake()
    }
  }

  /**
   * The timer, forever. With nothing idle it waits for a connection to go idle, then sleeps a
   * whole timeout: that connection expires no sooner, and one waiting to look again at once
   * would be woken by every release of a busy pool, and mostly find the connection taken again.
   */
  get timer(): Effect.Effect<void> {
    const expire = Effect.sync(() => this.pool().expire())
    const sleepTimeout = Effect.zipRight(Effect.sleep(this.idleConnTimeoutMs), expire)
    const awaitIdle = Effect.zipRight(
      Effect.async<void>((resume) => {
        this.wake = () => resume(Effect.void)
        return Effect.sync(() => {
          this.wake = undefined
        })
      }),
      sleepTimeout
    )
    const loop: Effect.Effect<void> = Effect.suspend(() => {
      const next = this.pool().nextExpiry()
      const wait = next === undefined ? awaitIdle : Effect.zipRight(Effect.sleep(Math.max(0, next - this.now())), expire)
      return Effect.zipRight(wait, loop)
    })
    return loop
  }
}
