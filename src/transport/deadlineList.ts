/**
 * One Transport-wide timeout of exchanges (the response head's, the body's inactivity) on one
 * fiber, with nothing scheduled per request: an exchange arms a node (its deadline, `now` plus
 * the timeout, appended to a list kept in deadline order, since every node of a list has the
 * same timeout) and disarms it when what it waits for comes (both O(1), no allocation but the
 * node). The timer fiber sleeps until the first deadline; at its wake it fires the nodes due
 * and sleeps until the next. A disarmed first node does not wake it early: it wakes at the old
 * deadline, finds nothing due and sleeps again. With the list empty it waits for an arm.
 *
 * Go arms a `time.AfterFunc` per request for `ResponseHeaderTimeout`; undici keeps a timer
 * wheel. A fiber per request (and a `setTimeout`) would cost more than the request when every
 * request has a timeout, as it does by default here.
 *
 * May touch: its own list and the nodes' `fire`.
 *
 * @module
 * @internal
 */
import { Effect } from "effect"

/**
 * What a node does when its deadline passes.
 *
 * @internal
 */
export interface Expirable<T> {
  /** The deadline of `node`, armed on `list`, passed (it was disarmed just before). */
  expired(node: Armed<T>, list: DeadlineList<T>): void
}

/**
 * A deadline an exchange arms on a `DeadlineList`.
 *
 * @internal
 */
export class Armed<T> {
  prev: Armed<T> | undefined = undefined
  next: Armed<T> | undefined = undefined
  deadline = 0
  /** The list the node is armed on, if any. */
  list: DeadlineList<T> | undefined = undefined

  constructor(readonly owner: Expirable<T>, readonly subject: T) {}
}

/**
 * The armed nodes of one timeout, and the fiber that fires them (see the module's description).
 *
 * @internal
 */
export class DeadlineList<T> {
  private first: Armed<T> | undefined = undefined
  private last: Armed<T> | undefined = undefined
  private wake: (() => void) | undefined = undefined

  constructor(readonly timeoutMs: number, readonly now: () => number) {}

  /** Arms `node` (disarming it first if it was armed): it fires `timeoutMs` from now unless disarmed. */
  arm(node: Armed<T>): void {
    if (node.list !== undefined) node.list.disarm(node)
    node.deadline = this.now() + this.timeoutMs
    node.list = this
    node.prev = this.last
    node.next = undefined
    if (this.last === undefined) this.first = node
    else this.last.next = node
    this.last = node
    const wake = this.wake
    if (wake !== undefined) {
      this.wake = undefined
      wake()
    }
  }

  /** Disarms `node` if it is armed here. */
  disarm(node: Armed<T>): void {
    if (node.list !== this) return
    const { prev, next } = node
    if (prev === undefined) this.first = next
    else prev.next = next
    if (next === undefined) this.last = prev
    else next.prev = prev
    node.prev = node.next = node.list = undefined
  }

  /** Fires every node whose deadline is at or before now, in deadline order (the timer does, at each wake). */
  expireDue(): void {
    const now = this.now()
    for (let node = this.first; node !== undefined && node.deadline <= now; node = this.first) {
      this.disarm(node)
      node.owner.expired(node, this)
    }
  }

  /** The timer, forever (run it in a fiber of the Transport's). */
  get timer(): Effect.Effect<void> {
    const awaitArm = Effect.async<void>((resume) => {
      this.wake = () => resume(Effect.void)
      return Effect.sync(() => {
        this.wake = undefined
      })
    })
    const expire = Effect.sync(() => this.expireDue())
    const loop: Effect.Effect<void> = Effect.suspend(() => {
      const first = this.first
      const wait = first === undefined ? awaitArm : Effect.zipRight(Effect.sleep(Math.max(0, first.deadline - this.now())), expire)
      return Effect.zipRight(wait, loop)
    })
    return loop
  }
}
