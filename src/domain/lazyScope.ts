/**
 * A Scope made on first need: what a response needs only when its body is still arriving (or
 * it is an upgrade), so that a round trip whose body arrived whole makes no Scope at all. Used
 * by the Transport's `roundTripWith`, the Client's hops, the static readers and the platform
 * client; one class, itself the effect that gives the Scope (one object per use, not an object
 * and a closure).
 *
 * @module
 * @internal
 */
import { Effect, ExecutionStrategy, Exit, Scope } from "effect"
import * as Effectable from "effect/Effectable"

/**
 * A Scope made when this effect first runs: a new one, or one forked from `outer`'s (so that
 * closing the outer Scope closes it too). Later runs give the same Scope.
 *
 * @internal
 */
export class LazyScope extends Effectable.Class<Scope.Scope> {
  /** The Scope, once made. */
  made: Scope.CloseableScope | undefined = undefined

  constructor(readonly outer?: Effect.Effect<Scope.Scope>) {
    super()
  }

  commit(): Effect.Effect<Scope.Scope> {
    if (this.made !== undefined) return Effect.succeed(this.made)
    const outer = this.outer
    const make = outer === undefined ? Scope.make() : Effect.flatMap(outer, (o) => Scope.fork(o, ExecutionStrategy.sequential))
    return Effect.map(make, (s) => {
      this.made = s
      return s
    })
  }

  /** The effect giving the Scope (this). */
  get get(): Effect.Effect<Scope.Scope> {
    return this
  }

  /**
   * Closes the Scope, if it was made. A success closes it with `Exit.void`, not the value: a
   * closed Scope keeps its exit, and whatever still references the Scope (a connection's last
   * exchange) would keep the value (a whole body read) alive past the young generation
   * (measured: 7x the full GCs, half the throughput, for 1 MiB bodies).
   */
  close(exit: Exit.Exit<unknown, unknown>): Effect.Effect<void> {
    const made = this.made
    return made === undefined ? Effect.void : Scope.close(made, Exit.isSuccess(exit) ? Exit.void : exit)
  }

  /** `effect`, then the Scope closed with its outcome if `effect` (or before it) made it. */
  closingAfter<A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> {
    return this.made === undefined ? effect : Effect.onExit(effect, (exit) => this.close(exit))
  }
}
