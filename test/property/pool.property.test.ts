/**
 * The connection pool's pure state machine (src/transport/PoolState.ts) against a model
 * (ARCHITECTURE.md, invariants 1 and 2).
 *
 * Random sequences of operations (request, dialed, dialFailed, release reusable or not,
 * removeIdle, expire with time advancing, cancel, closeIdleConnections) are run on the pool,
 * and the actions it returns are replayed on a mutable "world": which connections exist and
 * are idle, active or closed, which dials are in flight, which waiters wait, were served,
 * failed or left. After EVERY step:
 *
 * 1. per key, dialing + active + idle ≤ maxConnsPerHost when limited;
 * 2. per key, idle ≤ maxIdleConnsPerHost;
 * 3. overall, idle ≤ maxIdleConns when limited;
 * 4. no connection is both idle and delivered, none is delivered twice while active, only open
 *    connections are closed and each at most once;
 * 5. waiters are served first-in first-out per key;
 * 6. a cancelled (or failed, or served) waiter is never served;
 * 7. a connection idle for ≥ the timeout at an expire step is closed then and never delivered;
 * 8. no waiter waits without a dial of its own while its key has capacity (so none waits
 *    forever while capacity exists);
 *
 * plus: the pool's own view (idle lists, LRU order, active counts, dials, waiter queues) equals
 * the world's, a key with idle connections has no waiters, an idle unexpired connection is
 * reused before anything is dialed, a connection that becomes available goes to the first
 * waiter, and no transition changes the state it was given. Each run ends by draining the pool:
 * every dial completes, every connection is released and closed, and then every connection
 * ever opened has been closed exactly once and every waiter was served, failed or left.
 */
import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import * as Pool from "../../src/transport/PoolState.js"
import type { PoolAction, PoolConfig, PoolState, Transition } from "../../src/transport/PoolState.js"

/** At least 1000 runs; PROPERTY_RUNS=20000 for a deeper search. */
const RUNS = { numRuns: Math.max(1000, Number(process.env.PROPERTY_RUNS ?? 1000)) }

const KEYS = ["http://a:80", "http://b:80", "http://c:80"] as const

const config = (c: Partial<PoolConfig>): PoolConfig => ({
  maxIdleConns: 0,
  maxIdleConnsPerHost: 100,
  maxConnsPerHost: 0,
  idleConnTimeoutMs: 0,
  ...c
})

// ---------------------------------------------------------------------------------------------
// Operations

type Op =
  | { readonly _tag: "request"; readonly key: number; readonly advance: number }
  | { readonly _tag: "dialed"; readonly pick: number; readonly advance: number }
  | { readonly _tag: "dialFailed"; readonly pick: number }
  | { readonly _tag: "release"; readonly pick: number; readonly reusable: boolean; readonly advance: number }
  | { readonly _tag: "releaseAll"; readonly advance: number }
  | { readonly _tag: "removeIdle"; readonly pick: number; readonly anyConn: boolean }
  | { readonly _tag: "expire"; readonly advance: number }
  | { readonly _tag: "cancel"; readonly pick: number; readonly anyWaiter: boolean }
  | { readonly _tag: "closeIdle" }

/** Small steps from a few values, so that idle times often land exactly on the timeout. */
const advance = fc.constantFrom(0, 0, 0, 0, 1, 2, 5, 10)
const pick = fc.nat({ max: 1000 })

/** Operations, with requests more or less frequent than connections come back. */
const opArb = (requestWeight: number): fc.Arbitrary<Op> => fc.oneof(
  {
    weight: requestWeight,
    arbitrary: fc.record({
      _tag: fc.constant("request" as const),
      key: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.integer({ min: 0, max: 2 }) }),
      advance
    })
  },
  { weight: 5, arbitrary: fc.record({ _tag: fc.constant("dialed" as const), pick, advance }) },
  { weight: 1, arbitrary: fc.record({ _tag: fc.constant("dialFailed" as const), pick }) },
  {
    weight: 7,
    arbitrary: fc.record({
      _tag: fc.constant("release" as const),
      pick,
      reusable: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
      advance
    })
  },
  { weight: 1, arbitrary: fc.record({ _tag: fc.constant("releaseAll" as const), advance }) },
  { weight: 1, arbitrary: fc.record({ _tag: fc.constant("removeIdle" as const), pick, anyConn: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ _tag: fc.constant("expire" as const), advance }) },
  { weight: 1, arbitrary: fc.record({ _tag: fc.constant("cancel" as const), pick, anyWaiter: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ _tag: fc.constant("closeIdle" as const) }) }
)

/** Up to 60 operations, with a request rate drawn per run. */
const opsArb: fc.Arbitrary<ReadonlyArray<Op>> = fc
  .integer({ min: 1, max: 5 })
  .chain((w) => fc.array(opArb(w), { minLength: 1, maxLength: 60, size: "max" }))

const configArb: fc.Arbitrary<PoolConfig> = fc.record({
  maxIdleConns: fc.integer({ min: 0, max: 4 }),
  maxIdleConnsPerHost: fc.oneof({ weight: 1, arbitrary: fc.constant(0) }, { weight: 4, arbitrary: fc.integer({ min: 1, max: 3 }) }),
  maxConnsPerHost: fc.integer({ min: 0, max: 3 }),
  idleConnTimeoutMs: fc.oneof({ weight: 1, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.constantFrom(5, 10, 20) })
})

// ---------------------------------------------------------------------------------------------
// The world

type ConnStatus = "fresh" | "releasing" | "idle" | "active" | "closed"

interface WConn {
  readonly id: number
  readonly key: string
  status: ConnStatus
  /** Has been idle or handed out before (what `reused` reports). */
  pooled: boolean
  idleSince: number
  /** Order in which connections went idle, across keys. */
  idleSeq: number
  /** Was idle for ≥ the timeout at an expire step. */
  expiredSeen: boolean
  closes: number
}

type WaiterStatus = "waiting" | "served" | "failed" | "cancelled"

interface WWaiter {
  readonly id: number
  readonly key: string
  status: WaiterStatus
}

interface WDial {
  readonly id: number
  readonly key: string
  /** The waiter the dial is reserved for (changes hands when another waiter takes its connection). */
  forWaiter: number
  pending: boolean
}

class Bug extends Error {}

/** A connection's status, read afresh (the world changes it behind TypeScript's narrowing). */
const statusOf = (c: WConn): ConnStatus => c.status

/** POOL_STATS=1 prints how often requests found usable idle connections (generator coverage). */
const stats: Record<string, number> = {}

const check = (cond: boolean, msg: () => string): void => {
  if (!cond) throw new Bug(msg())
}

const snapshot = (s: PoolState): string =>
  JSON.stringify({ hosts: [...s.hosts], lru: s.idleLRU, closeIdle: s.closeIdle, nextDial: s.nextDial })

/** What the step was, for judging close reasons and failures. */
type Ctx =
  | { readonly op: "request" | "expire" | "cancel" | "closeIdle" }
  | { readonly op: "dialed"; readonly conn: number; readonly dial: WDial }
  | { readonly op: "dialFailed"; readonly dial: WDial }
  | { readonly op: "release"; readonly conn: number; readonly reusable: boolean }
  | { readonly op: "removeIdle"; readonly conn: number }

class World {
  state: PoolState
  now = 0
  idleSeq = 0
  nextConn = 0
  nextWaiter = 0
  closeIdle = false
  readonly conns = new Map<number, WConn>()
  readonly waiters = new Map<number, WWaiter>()
  readonly dials = new Map<number, WDial>()
  readonly log: Array<string> = []

  constructor(readonly config: PoolConfig) {
    this.state = Pool.make(config)
  }

  idleOf(key: string): Array<WConn> {
    return [...this.conns.values()].filter((c) => c.key === key && c.status === "idle")
  }
  allIdle(): Array<WConn> {
    return [...this.conns.values()].filter((c) => c.status === "idle").sort((a, b) => a.idleSeq - b.idleSeq)
  }
  activeOf(key: string): Array<WConn> {
    return [...this.conns.values()].filter((c) => c.key === key && c.status === "active")
  }
  pendingDialsOf(key: string): Array<WDial> {
    return [...this.dials.values()].filter((d) => d.key === key && d.pending)
  }
  waitingOf(key: string): Array<WWaiter> {
    return [...this.waiters.values()].filter((w) => w.key === key && w.status === "waiting")
  }
  expired(c: WConn): boolean {
    return this.config.idleConnTimeoutMs > 0 && this.now - c.idleSince >= this.config.idleConnTimeoutMs
  }

  /** Run a transition, check it left its input alone, replay its actions. */
  run<E>(label: string, ctx: Ctx, f: (s: PoolState) => Transition<E>): ReadonlyArray<PoolAction<E>> {
    const before = this.state
    const snap = snapshot(before)
    const t = f(before)
    check(snapshot(before) === snap, () => `${label} changed its input state`)
    this.state = t.state
    this.log.push(`${label} -> ${JSON.stringify(t.actions)}`)
    for (const a of t.actions) this.replay(a, ctx)
    // A connection offered to the pool and neither handed out nor closed went idle.
    for (const c of this.conns.values()) {
      if (c.status === "fresh" || c.status === "releasing") {
        c.status = "idle"
        c.pooled = true
        c.idleSince = this.now
        c.idleSeq = this.idleSeq++
      }
    }
    this.invariants(label)
    return t.actions
  }

  replay<E>(a: PoolAction<E>, ctx: Ctx): void {
    switch (a._tag) {
      case "Deliver": {
        const w = this.waiters.get(a.waiter)
        check(w !== undefined, () => `Deliver to unknown waiter ${a.waiter}`)
        // (6) never to a cancelled, failed or already served waiter
        check(w!.status === "waiting", () => `Deliver to waiter ${a.waiter} that is ${w!.status}`)
        check(w!.key === a.key, () => `Deliver for ${a.key} to a waiter of ${w!.key}`)
        // (5) FIFO
        const first = this.waitingOf(a.key)[0]
        check(first?.id === a.waiter, () => `Deliver to ${a.waiter} while ${first?.id} waits before it`)
        const c = this.conns.get(a.conn)
        check(c !== undefined, () => `Deliver of unknown conn ${a.conn}`)
        // (4) only open, not active, connections of the key
        check(c!.status !== "closed", () => `Deliver of closed conn ${a.conn}`)
        check(c!.status !== "active", () => `Deliver of conn ${a.conn} already active`)
        check(c!.key === a.key, () => `Deliver of conn ${a.conn} of another key`)
        // (7) an expired connection is never delivered
        check(!c!.expiredSeen, () => `Deliver of conn ${a.conn} expired earlier`)
        if (c!.status === "idle") {
          check(!this.expired(c!), () => `Deliver of conn ${a.conn} idle past the timeout`)
          check(a.idleMs === this.now - c!.idleSince, () => `Deliver idleMs ${a.idleMs}`)
        } else {
          check(a.idleMs === 0, () => `Deliver idleMs ${a.idleMs} for a conn handed over directly`)
        }
        check(a.reused === c!.pooled, () => `Deliver of conn ${a.conn} reused=${a.reused}`)
        // A dial's connection taken by an earlier waiter: that waiter's own dial is now the
        // dial's owner's, if the owner still waits.
        if (ctx.op === "dialed" && ctx.dial.forWaiter !== a.waiter) {
          const owner = this.waiters.get(ctx.dial.forWaiter)
          const own = this.pendingDialsOf(a.key).find((d) => d.forWaiter === a.waiter)
          if (owner?.status === "waiting" && own !== undefined) own.forWaiter = owner.id
        }
        c!.status = "active"
        c!.pooled = true
        w!.status = "served"
        return
      }
      case "Dial": {
        check(!this.dials.has(a.dial), () => `Dial id ${a.dial} reused`)
        const w = this.waiters.get(a.forWaiter)
        check(w?.status === "waiting" && w.key === a.key, () => `Dial for waiter ${a.forWaiter} not waiting on ${a.key}`)
        this.dials.set(a.dial, { id: a.dial, key: a.key, forWaiter: a.forWaiter, pending: true })
        return
      }
      case "Close": {
        const c = this.conns.get(a.conn)
        check(c !== undefined, () => `Close of unknown conn ${a.conn}`)
        // (4) only open connections, each at most once
        check(c!.status !== "closed", () => `Close of conn ${a.conn} twice`)
        check(c!.key === a.key, () => `Close of conn ${a.conn} under another key`)
        switch (a.reason) {
          case "expired":
            check(c!.status === "idle" && this.expired(c!), () => `Close expired of conn ${a.conn} not expired`)
            break
          case "closed-by-peer":
            check(ctx.op === "removeIdle" && ctx.conn === a.conn && c!.status === "idle", () => `Close closed-by-peer of ${a.conn}`)
            break
          case "not-reusable":
            check(ctx.op === "release" && ctx.conn === a.conn && !ctx.reusable, () => `Close not-reusable of ${a.conn}`)
            break
          case "too-many-idle-host":
            check(
              (c!.status === "fresh" || c!.status === "releasing") &&
                this.idleOf(a.key).length >= this.config.maxIdleConnsPerHost,
              () => `Close too-many-idle-host of ${a.conn}`
            )
            break
          case "too-many-idle": {
            const oldest = this.allIdle()[0]
            check(
              this.config.maxIdleConns > 0 && oldest?.id === a.conn,
              () => `Close too-many-idle of ${a.conn}, oldest is ${oldest?.id}`
            )
            break
          }
          case "close-idle":
            check(
              ctx.op === "closeIdle" ? c!.status === "idle" : this.closeIdle && (c!.status === "fresh" || c!.status === "releasing"),
              () => `Close close-idle of ${a.conn}`
            )
            break
        }
        c!.status = "closed"
        c!.closes++
        return
      }
      case "Fail": {
        const w = this.waiters.get(a.waiter)
        check(w?.status === "waiting", () => `Fail of waiter ${a.waiter} not waiting`)
        check(ctx.op === "dialFailed" && ctx.dial.forWaiter === a.waiter, () => `Fail of ${a.waiter} not for its own dial`)
        w!.status = "failed"
        return
      }
    }
  }

  invariants(label: string): void {
    const cfg = this.config
    const allIdle = this.allIdle()
    // (3)
    if (cfg.maxIdleConns > 0) {
      check(allIdle.length <= cfg.maxIdleConns, () => `after ${label}: ${allIdle.length} idle > maxIdleConns`)
    }
    check(Pool.totalIdle(this.state) === allIdle.length, () => `after ${label}: totalIdle differs`)
    check(
      JSON.stringify(Pool.idleOrder(this.state).map((r) => r.conn)) === JSON.stringify(allIdle.map((c) => c.id)),
      () => `after ${label}: LRU order differs`
    )
    for (const key of KEYS) {
      const idle = this.idleOf(key)
      const active = this.activeOf(key)
      const dials = this.pendingDialsOf(key)
      const waiting = this.waitingOf(key)
      const conns = idle.length + active.length + dials.length
      // (1)
      if (cfg.maxConnsPerHost > 0) {
        check(conns <= cfg.maxConnsPerHost, () => `after ${label}: ${key} has ${conns} > maxConnsPerHost`)
      }
      // (2)
      check(idle.length <= cfg.maxIdleConnsPerHost, () => `after ${label}: ${key} has ${idle.length} idle > per host`)
      // The pool's view equals the world's.
      check(Pool.connsPerHost(this.state, key) === conns, () => `after ${label}: connsPerHost(${key}) differs`)
      check(Pool.idleCount(this.state, key) === idle.length, () => `after ${label}: idleCount(${key}) differs`)
      check(Pool.activeCount(this.state, key) === active.length, () => `after ${label}: activeCount(${key}) differs`)
      check(
        JSON.stringify(Pool.waiting(this.state, key)) === JSON.stringify(waiting.map((w) => w.id)),
        () => `after ${label}: waiters of ${key} differ`
      )
      check(
        JSON.stringify(Pool.dialing(this.state, key)) ===
          JSON.stringify(dials.map((d) => ({ dial: d.id, forWaiter: d.forWaiter }))),
        () => `after ${label}: dials of ${key} differ`
      )
      // Idle connections and waiters never coexist on a key.
      check(idle.length === 0 || waiting.length === 0, () => `after ${label}: ${key} has idle conns and waiters`)
      // (8) a waiter without a dial of its own waits only at capacity.
      for (const w of waiting) {
        if (dials.some((d) => d.forWaiter === w.id)) continue
        check(
          cfg.maxConnsPerHost > 0 && conns >= cfg.maxConnsPerHost,
          () => `after ${label}: waiter ${w.id} of ${key} waits without a dial while capacity remains`
        )
      }
      if (waiting.length > 0 && dials.length === 0) {
        check(cfg.maxConnsPerHost > 0 && conns >= cfg.maxConnsPerHost, () => `after ${label}: ${key} stalls`)
      }
    }
  }

  /**
   * What must become of connection `c`, offered to the pool (fresh from its dial, or released
   * as reusable), given the world before the step: the first waiter gets it; else it is closed
   * if `closeIdleConnections` is in effect or the key holds `maxIdleConnsPerHost` idle
   * connections; else it goes idle, and the least recently idle connection overall is closed if
   * that makes more than `maxIdleConns`.
   */
  expectOffer(c: WConn): () => void {
    const first = this.waitingOf(c.key)[0]
    const idleHere = this.idleOf(c.key).length
    const all = this.allIdle()
    const closeIdle = this.closeIdle
    return () => {
      if (first !== undefined) {
        check(first.status === "served" && c.status === "active", () => `c${c.id}: first waiter w${first.id} not served`)
      } else if (closeIdle || idleHere >= this.config.maxIdleConnsPerHost) {
        check(c.status === "closed", () => `c${c.id} should have been closed (closeIdle=${closeIdle})`)
      } else {
        check(c.status === "idle", () => `c${c.id} should be idle`)
        if (this.config.maxIdleConns > 0 && all.length + 1 > this.config.maxIdleConns) {
          check(all[0]!.status === "closed", () => `c${all[0]!.id} should have been evicted`)
        }
      }
    }
  }

  releaseConn(c: WConn, reusable: boolean): void {
    c.status = reusable ? "releasing" : "active"
    const expected = this.expectOffer(c)
    const now = this.now
    this.run(
      `release(${c.key}, c${c.id}, ${reusable})@${now}`,
      { op: "release", conn: c.id, reusable },
      (s) => Pool.release(s, c.key, c.id, reusable, now)
    )
    if (reusable) expected()
    else check(statusOf(c) === "closed", () => `release c${c.id} not reusable but not closed`)
  }

  // -------------------------------------------------------------------------------------------
  // Steps

  step(op: Op): void {
    switch (op._tag) {
      case "request": {
        this.now += op.advance
        const key = KEYS[op.key]!
        const id = this.nextWaiter++
        this.waiters.set(id, { id, key, status: "waiting" })
        const usable = this.idleOf(key)
          .filter((c) => !this.expired(c))
          .sort((a, b) => b.idleSeq - a.idleSeq)[0]
        const now = this.now
        if (process.env.POOL_STATS) {
          const n = `request with ${this.idleOf(key).filter((c) => !this.expired(c)).length} usable idle`
          stats[n] = (stats[n] ?? 0) + 1
        }
        this.closeIdle = false
        this.run(`request(${key}, w${id})@${now}`, { op: "request" }, (s) => Pool.request(s, key, id, now))
        if (usable !== undefined) {
          check(
            this.waiters.get(id)!.status === "served" && usable.status === "active",
            () => `request w${id}: idle conn ${usable.id} was not reused`
          )
        }
        return
      }
      case "dialed":
      case "dialFailed": {
        const pending = [...this.dials.values()].filter((d) => d.pending)
        if (pending.length === 0) return
        const d = pending[op.pick % pending.length]!
        d.pending = false
        if (op._tag === "dialed") {
          this.now += op.advance
          const id = this.nextConn++
          const c: WConn = {
            id,
            key: d.key,
            status: "fresh",
            pooled: false,
            idleSince: 0,
            idleSeq: -1,
            expiredSeen: false,
            closes: 0
          }
          this.conns.set(id, c)
          const expected = this.expectOffer(c)
          const now = this.now
          this.run(`dialed(${d.key}, d${d.id}, c${id})@${now}`, { op: "dialed", conn: id, dial: d }, (s) =>
            Pool.dialed(s, d.key, d.id, id, now))
          expected()
        } else {
          const owner = this.waiters.get(d.forWaiter)!
          const ownerWaiting = owner.status === "waiting"
          this.run(`dialFailed(${d.key}, d${d.id})`, { op: "dialFailed", dial: d }, (s) =>
            Pool.dialFailed(s, d.key, d.id, "refused"))
          check(!ownerWaiting || owner.status === "failed", () => `dialFailed d${d.id}: w${owner.id} not failed`)
        }
        return
      }
      case "release": {
        const active = [...this.conns.values()].filter((c) => c.status === "active")
        if (active.length === 0) return
        this.now += op.advance
        this.releaseConn(active[op.pick % active.length]!, op.reusable)
        return
      }
      case "releaseAll": {
        // Many responses end at once: every connection active now comes back, reusable.
        this.now += op.advance
        const active = [...this.conns.values()].filter((c) => c.status === "active")
        for (const c of active) this.releaseConn(c, true)
        return
      }
      case "removeIdle": {
        const candidates = [...this.conns.values()].filter((c) => op.anyConn || c.status === "idle")
        if (candidates.length === 0) return
        const c = candidates[op.pick % candidates.length]!
        const wasIdle = c.status === "idle"
        const actions = this.run(`removeIdle(${c.key}, c${c.id})`, { op: "removeIdle", conn: c.id }, (s) =>
          Pool.removeIdle(s, c.key, c.id))
        check(wasIdle ? c.status === "closed" : actions.length === 0, () => `removeIdle c${c.id}`)
        return
      }
      case "expire": {
        this.now += op.advance
        const old = this.allIdle().filter((c) => this.expired(c))
        for (const c of old) c.expiredSeen = true
        const now = this.now
        this.run(`expire@${now}`, { op: "expire" }, (s) => Pool.expire(s, now))
        for (const c of old) check(c.status === "closed", () => `expire@${now}: c${c.id} not closed`)
        const next = Pool.nextExpiry(this.state)
        const idle = this.allIdle()
        check(
          next === (this.config.idleConnTimeoutMs > 0 && idle.length > 0
            ? Math.min(...idle.map((c) => c.idleSince)) + this.config.idleConnTimeoutMs
            : undefined) && (next === undefined || next > now),
          () => `expire@${now}: nextExpiry ${next}`
        )
        return
      }
      case "cancel": {
        const candidates = [...this.waiters.values()].filter((w) => op.anyWaiter || w.status === "waiting")
        if (candidates.length === 0) return
        const w = candidates[op.pick % candidates.length]!
        if (w.status === "waiting") w.status = "cancelled"
        const actions = this.run(`cancel(${w.key}, w${w.id})`, { op: "cancel" }, (s) => Pool.cancel(s, w.key, w.id))
        check(actions.length === 0, () => `cancel w${w.id} produced actions`)
        return
      }
      case "closeIdle": {
        const idle = this.allIdle()
        this.run("closeIdleConnections", { op: "closeIdle" }, (s) => Pool.closeIdleConnections(s))
        this.closeIdle = true
        for (const c of idle) check(c.status === "closed", () => `closeIdleConnections: c${c.id} not closed`)
        return
      }
    }
  }

  /** Finish every dial, release every connection as not reusable, close what is idle. */
  drain(): void {
    for (let i = 0; i < 10_000; i++) {
      const d = [...this.dials.values()].find((d) => d.pending)
      if (d !== undefined) {
        this.step({ _tag: "dialed", pick: [...this.dials.values()].filter((x) => x.pending).indexOf(d), advance: 1 })
        continue
      }
      if ([...this.conns.values()].some((c) => c.status === "active")) {
        this.step({ _tag: "release", pick: 0, reusable: false, advance: 1 })
        continue
      }
      break
    }
    this.step({ _tag: "closeIdle" })
    for (const c of this.conns.values()) {
      check(c.status === "closed" && c.closes === 1, () => `after drain: c${c.id} is ${c.status}, closed ${c.closes} times`)
    }
    for (const w of this.waiters.values()) {
      check(w.status !== "waiting", () => `after drain: w${w.id} still waits`)
    }
    check(this.state.hosts.size === 0 && Pool.totalIdle(this.state) === 0, () => "after drain: pool not empty")
  }
}

// ---------------------------------------------------------------------------------------------
// The property

describe("PoolState (model-based)", () => {
  it("keeps the limits, FIFO order, liveness and close-once at every step", () => {
    const started = performance.now()
    fc.assert(
      fc.property(configArb, opsArb, (cfg, ops) => {
        const world = new World(cfg)
        try {
          for (const op of ops) world.step(op)
          world.drain()
        } catch (e) {
          if (e instanceof Bug) throw new Bug(`${e.message}\n  trace:\n    ${world.log.slice(-15).join("\n    ")}`)
          throw e
        }
      }),
      RUNS
    )
    const ms = performance.now() - started
    if (process.env.POOL_STATS) console.log(stats)
    // Under 10 s for the default 1000 runs (about 1 s on the development machine).
    expect(ms).toBeLessThan(10 * RUNS.numRuns)
  })
})

// ---------------------------------------------------------------------------------------------
// Examples

const K = "http://a:80"
const K2 = "http://b:80"

/** The tags of a list of actions. */
const tags = (actions: ReadonlyArray<PoolAction<unknown>>) => actions.map((a) => a._tag)

describe("PoolState (examples)", () => {
  it("request with nothing idle dials for the waiter and queues it", () => {
    const t = Pool.request(Pool.make(config({})), K, 1, 0)
    expect(t.actions).toEqual([{ _tag: "Dial", key: K, dial: 0, forWaiter: 1 }])
    expect(Pool.waiting(t.state, K)).toEqual([1])
    expect(Pool.connsPerHost(t.state, K)).toBe(1)
  })

  it("dialed delivers a fresh connection to the waiter", () => {
    const s1 = Pool.request(Pool.make(config({})), K, 1, 0).state
    const t = Pool.dialed(s1, K, 0, 100, 5)
    expect(t.actions).toEqual([{ _tag: "Deliver", key: K, waiter: 1, conn: 100, reused: false, idleMs: 0 }])
    expect(Pool.activeCount(t.state, K)).toBe(1)
    expect(Pool.waiting(t.state, K)).toEqual([])
  })

  it("a released connection is reused newest first, with its idle time", () => {
    let s = Pool.make(config({}))
    s = Pool.request(s, K, 1, 0).state
    s = Pool.request(s, K, 2, 0).state
    s = Pool.dialed(s, K, 0, 100, 0).state
    s = Pool.dialed(s, K, 1, 101, 0).state
    s = Pool.release(s, K, 100, true, 10).state
    s = Pool.release(s, K, 101, true, 20).state
    expect(Pool.idleOrder(s).map((r) => r.conn)).toEqual([100, 101])
    const t = Pool.request(s, K, 3, 25)
    expect(t.actions).toEqual([{ _tag: "Deliver", key: K, waiter: 3, conn: 101, reused: true, idleMs: 5 }])
    expect(Pool.idleCount(t.state, K)).toBe(1)
    expect(Pool.idleOrder(t.state).map((r) => r.conn)).toEqual([100])
  })

  it("maxConnsPerHost queues without dialing, and a release hands over to the first waiter", () => {
    let s = Pool.make(config({ maxConnsPerHost: 1 }))
    s = Pool.request(s, K, 1, 0).state
    const t2 = Pool.request(s, K, 2, 0)
    expect(t2.actions).toEqual([])
    s = Pool.request(t2.state, K, 3, 0).state
    s = Pool.dialed(s, K, 0, 100, 0).state
    const t = Pool.release(s, K, 100, true, 1)
    expect(t.actions).toEqual([{ _tag: "Deliver", key: K, waiter: 2, conn: 100, reused: true, idleMs: 0 }])
    expect(Pool.waiting(t.state, K)).toEqual([3])
    expect(Pool.connsPerHost(t.state, K)).toBe(1)
  })

  it("a non-reusable release closes the connection and dials for a waiting waiter", () => {
    let s = Pool.make(config({ maxConnsPerHost: 1 }))
    s = Pool.request(s, K, 1, 0).state
    s = Pool.request(s, K, 2, 0).state
    s = Pool.dialed(s, K, 0, 100, 0).state
    const t = Pool.release(s, K, 100, false, 1)
    expect(t.actions).toEqual([
      { _tag: "Close", key: K, conn: 100, reason: "not-reusable" },
      { _tag: "Dial", key: K, dial: 1, forWaiter: 2 }
    ])
  })

  it("dialed serves the first waiter even when the dial was started for a later one", () => {
    let s = Pool.make(config({}))
    s = Pool.request(s, K, 1, 0).state
    s = Pool.request(s, K, 2, 0).state
    const t = Pool.dialed(s, K, 1, 100, 0) // the dial started for waiter 2 finishes first
    expect(t.actions).toEqual([{ _tag: "Deliver", key: K, waiter: 1, conn: 100, reused: false, idleMs: 0 }])
    expect(Pool.waiting(t.state, K)).toEqual([2])
    expect(Pool.dialing(t.state, K)).toEqual([{ dial: 0, forWaiter: 2 }]) // waiter 1's dial is now waiter 2's
    expect(Pool.dialFailed(t.state, K, 0, "refused").actions).toEqual([
      { _tag: "Fail", key: K, waiter: 2, error: "refused" }
    ])
  })

  it("dialFailed fails the waiter it was for and frees the slot for the next", () => {
    let s = Pool.make(config({ maxConnsPerHost: 1 }))
    s = Pool.request(s, K, 1, 0).state
    s = Pool.request(s, K, 2, 0).state
    const t = Pool.dialFailed(s, K, 0, "refused")
    expect(t.actions).toEqual([
      { _tag: "Fail", key: K, waiter: 1, error: "refused" },
      { _tag: "Dial", key: K, dial: 1, forWaiter: 2 }
    ])
    expect(Pool.connsPerHost(t.state, K)).toBe(1)
  })

  it("a dial whose waiter left keeps going; its connection goes idle, its failure fails nobody", () => {
    let s = Pool.make(config({}))
    s = Pool.request(s, K, 1, 0).state
    s = Pool.cancel(s, K, 1).state
    expect(Pool.waiting(s, K)).toEqual([])
    expect(Pool.connsPerHost(s, K)).toBe(1)
    const ok = Pool.dialed(s, K, 0, 100, 3)
    expect(ok.actions).toEqual([])
    expect(Pool.idleCount(ok.state, K)).toBe(1)
    expect(Pool.dialFailed(s, K, 0, "refused").actions).toEqual([])
  })

  it("a cancelled waiter gives its place back", () => {
    let s = Pool.make(config({ maxConnsPerHost: 1 }))
    s = Pool.request(s, K, 1, 0).state
    s = Pool.request(s, K, 2, 0).state
    s = Pool.request(s, K, 3, 0).state
    s = Pool.cancel(s, K, 2).state
    const t = Pool.dialed(s, K, 0, 100, 0)
    s = t.state
    expect(tags(t.actions)).toEqual(["Deliver"])
    const r = Pool.release(s, K, 100, true, 1)
    expect(r.actions).toEqual([{ _tag: "Deliver", key: K, waiter: 3, conn: 100, reused: true, idleMs: 0 }])
  })

  it("maxIdleConnsPerHost closes the extra connection (errTooManyIdleHost)", () => {
    let s = Pool.make(config({ maxIdleConnsPerHost: 1 }))
    s = Pool.request(s, K, 1, 0).state
    s = Pool.request(s, K, 2, 0).state
    s = Pool.dialed(s, K, 0, 100, 0).state
    s = Pool.dialed(s, K, 1, 101, 0).state
    s = Pool.release(s, K, 100, true, 1).state
    const t = Pool.release(s, K, 101, true, 2)
    expect(t.actions).toEqual([{ _tag: "Close", key: K, conn: 101, reason: "too-many-idle-host" }])
    expect(Pool.idleCount(t.state, K)).toBe(1)
    expect(Pool.connsPerHost(t.state, K)).toBe(1)
  })

  it("maxIdleConns closes the least recently idle connection across keys (errTooManyIdle)", () => {
    let s = Pool.make(config({ maxIdleConns: 1 }))
    s = Pool.request(s, K, 1, 0).state
    s = Pool.request(s, K2, 2, 0).state
    s = Pool.dialed(s, K, 0, 100, 0).state
    s = Pool.dialed(s, K2, 1, 200, 0).state
    s = Pool.release(s, K, 100, true, 1).state
    const t = Pool.release(s, K2, 200, true, 2)
    expect(t.actions).toEqual([{ _tag: "Close", key: K, conn: 100, reason: "too-many-idle" }])
    expect(Pool.totalIdle(t.state)).toBe(1)
    expect(t.state.hosts.has(K)).toBe(false)
  })

  it("request closes expired idle connections and dials", () => {
    let s = Pool.make(config({ idleConnTimeoutMs: 10 }))
    s = Pool.request(s, K, 1, 0).state
    s = Pool.dialed(s, K, 0, 100, 0).state
    s = Pool.release(s, K, 100, true, 0).state
    const t = Pool.request(s, K, 2, 10)
    expect(t.actions).toEqual([
      { _tag: "Close", key: K, conn: 100, reason: "expired" },
      { _tag: "Dial", key: K, dial: 1, forWaiter: 2 }
    ])
  })

  it("expire closes connections idle for the timeout or longer, and only those", () => {
    let s = Pool.make(config({ idleConnTimeoutMs: 10 }))
    s = Pool.request(s, K, 1, 0).state
    s = Pool.request(s, K2, 2, 0).state
    s = Pool.dialed(s, K, 0, 100, 0).state
    s = Pool.dialed(s, K2, 1, 200, 0).state
    s = Pool.release(s, K, 100, true, 0).state
    s = Pool.release(s, K2, 200, true, 5).state
    expect(Pool.nextExpiry(s)).toBe(10)
    expect(Pool.expire(s, 9).actions).toEqual([])
    const t = Pool.expire(s, 10)
    expect(t.actions).toEqual([{ _tag: "Close", key: K, conn: 100, reason: "expired" }])
    expect(Pool.idleOrder(t.state)).toEqual([{ key: K2, conn: 200 }])
    expect(Pool.nextExpiry(t.state)).toBe(15)
    expect(Pool.nextExpiry(Pool.make(config({})))).toBeUndefined()
  })

  it("removeIdle closes an idle connection closed by its peer and ignores others", () => {
    let s = Pool.make(config({}))
    s = Pool.request(s, K, 1, 0).state
    s = Pool.dialed(s, K, 0, 100, 0).state
    expect(Pool.removeIdle(s, K, 100)).toEqual({ state: s, actions: [] }) // active: not idle
    s = Pool.release(s, K, 100, true, 0).state
    const t = Pool.removeIdle(s, K, 100)
    expect(t.actions).toEqual([{ _tag: "Close", key: K, conn: 100, reason: "closed-by-peer" }])
    expect(Pool.connsPerHost(t.state, K)).toBe(0)
  })

  it("closeIdleConnections closes all idle, and what goes idle until the next request", () => {
    let s = Pool.make(config({}))
    s = Pool.request(s, K, 1, 0).state
    s = Pool.request(s, K, 2, 0).state
    s = Pool.dialed(s, K, 0, 100, 0).state
    s = Pool.dialed(s, K, 1, 101, 0).state
    s = Pool.release(s, K, 100, true, 0).state
    const t = Pool.closeIdleConnections(s)
    expect(t.actions).toEqual([{ _tag: "Close", key: K, conn: 100, reason: "close-idle" }])
    expect(Pool.release(t.state, K, 101, true, 1).actions).toEqual([
      { _tag: "Close", key: K, conn: 101, reason: "close-idle" }
    ])
    const again = Pool.request(t.state, K2, 3, 1).state
    expect(Pool.release(again, K, 101, true, 1).actions).toEqual([])
  })

  it("transitions never change the state they are given", () => {
    const s0 = Pool.request(Pool.make(config({ maxConnsPerHost: 1 })), K, 1, 0).state
    const before = JSON.stringify([...s0.hosts])
    Pool.request(s0, K, 2, 0)
    Pool.dialed(s0, K, 0, 100, 0)
    Pool.dialFailed(s0, K, 0, "x")
    Pool.cancel(s0, K, 1)
    expect(JSON.stringify([...s0.hosts])).toBe(before)
  })

  it("a dial id that is not in flight is a bug in the caller", () => {
    expect(() => Pool.dialed(Pool.make(config({})), K, 7, 100, 0)).toThrow(/not in flight/)
  })
})
