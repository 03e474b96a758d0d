/**
 * The connection pool: the pure {@link PoolState} machine put to work. This module keeps the
 * state (immutable data, replaced by each transition), the connections and the waiters by
 * number, and carries out the actions each transition returns: hand a connection to a waiter,
 * start a dial, close a connection, fail a waiter.
 *
 * JavaScript runs one thing at a time, so a transition and its actions run as one synchronous
 * step: no lock is needed, and no other fiber can see a state between the two.
 *
 * @module
 */
import { Metric } from "effect"
import type { Route } from "./route.js"
import type { ClientTraceHooks } from "./ClientTrace.js"
import type { HostStats, PoolStats } from "./transportService.js"
import type { ConnOwner, Failure, PersistConn } from "./PersistConn.js"
import * as PoolState from "./PoolState.js"
import type { H2Session, SessionOwner } from "./h2/H2Session.js"

/** A connection handed to a request, with Go's `GotConnInfo` facts. */
export interface Delivered {
  readonly pc: PersistConn
  /** The connection served an earlier request. */
  readonly reused: boolean
  readonly wasIdle: boolean
  readonly idleMs: number
  /**
   * An HTTP/2 session to open a stream on, in place of `pc` (which is then absent: check this
   * first).
   */
  readonly session: H2Session | undefined
}

// A class, not an object literal, so that V8 never pretenures it (see PoolState).
class Delivery implements Delivered {
  constructor(
    readonly pc: PersistConn,
    readonly reused: boolean,
    readonly wasIdle: boolean,
    readonly idleMs: number,
    readonly session: H2Session | undefined = undefined
  ) {}
}

const NO_CONN = undefined as unknown as PersistConn

/** A stream on session `s` (reused when it carried one before). */
const sessionDelivery = (s: H2Session): Delivery => new Delivery(NO_CONN, s.served > 0, false, 0, s)

/** A request waiting for a connection (Go's `wantConn`). */
export class Waiter {
  /** Called once with the connection or the failure; until it is set, they are kept below. */
  notify: ((delivered: Delivered | undefined, failure: Failure | undefined) => void) | undefined = undefined
  /** The connection handed over, if it came before `notify` was set. */
  delivered: Delivered | undefined = undefined
  /** The failure, if it came before `notify` was set. */
  failure: Failure | undefined = undefined
  /** The request took the connection (from then on, its exchange answers for it). */
  taken = false
  constructor(readonly id: number, readonly key: string, readonly trace: ClientTraceHooks | undefined) {}
}

/**
 * The pool's gauges and counters as Effect metrics.
 *
 * @since 0.1.0
 * @category metrics
 */
export const poolMetrics = {
  idle: Metric.gauge("http_client_pool_idle_connections", { description: "Idle connections in the Transport's pool" }),
  active: Metric.gauge("http_client_pool_active_connections", { description: "Connections serving a request" }),
  dialing: Metric.gauge("http_client_pool_dialing", { description: "Dials in flight" }),
  waiters: Metric.gauge("http_client_pool_waiters", { description: "Requests waiting for a connection" }),
  dials: Metric.counter("http_client_pool_dials_total", { description: "Connections dialed", incremental: true }),
  reuses: Metric.counter("http_client_pool_reuses_total", { description: "Requests served on a reused connection", incremental: true })
}

/** What the pool needs from the Transport to open connections and run timers. */
export interface PoolDriver {
  /** Starts dial `dial` of `key` in a fiber; it reports back with `dialed` or `dialFailed`. */
  readonly startDial: (key: string, route: Route, dial: PoolState.DialId, trace: ClientTraceHooks | undefined) => void
  /** Runs `f` after `millis` on the Transport's clock. */
  readonly after: (millis: number, f: () => void) => void
  /** The Transport clock's current time in milliseconds. */
  readonly now: () => number
  /** Called when a connection goes idle, so the expiry timer can arm itself. */
  readonly wentIdle: () => void
}

const NO_LABELS: ReadonlyArray<never> = []

/** The pool of one Transport. Every method is synchronous apart from `wait`. */
export class ConnPool implements ConnOwner {
  private state: PoolState.PoolState
  private readonly conns = new Map<number, PersistConn>()
  private readonly waiters = new Map<number, Waiter>()
  private readonly routes = new Map<string, Route>()
  private nextWaiter = 1
  private nextConn = 1
  private dials = 0
  private reuses = 0
  private shutdown = false
  /** The waiter whose `request` is being applied (not yet in `waiters`). */
  private requesting: Waiter | undefined = undefined
  private gauges = { idle: -1, active: -1, dialing: -1, waiting: -1 }
  /** HTTP/2 sessions by their connection number; each counts as one active connection of its key. */
  private readonly sessions = new Map<number, H2Session>()
  /** The open sessions of each key, oldest first. */
  private readonly sessionsByKey = new Map<string, Array<H2Session>>()
  /** Keys whose last dial answered HTTP/1.1 (their requests never wait for a session). */
  private readonly h1Keys = new Set<string>()
  /** Requests waiting for the session a dial in flight will make, by key (see `request`). */
  private readonly sessionWaiters = new Map<string, Array<Waiter>>()

  constructor(private readonly config: PoolState.PoolConfig, private readonly driver: PoolDriver) {
    this.state = PoolState.make(config)
  }

  // -------------------------------------------------------------------------------------------
  // HTTP/2 sessions

  /**
   * A session of `key` to open a stream on now: one with room under its peer's limit; with
   * `strict` (Go's StrictMaxConcurrentStreams), when all are full, the least busy one (the
   * stream waits in the session for a slot). Undefined: dial (Go's `ErrNoCachedConn`).
   */
  takeSession(key: string, strict: boolean): H2Session | undefined {
    const list = this.sessionsByKey.get(key)
    if (list === undefined || this.shutdown) return undefined
    let least: H2Session | undefined = undefined
    for (let i = 0; i < list.length; i++) {
      const s = list[i]!
      if (s.hasRoom) return s
      if (strict && s.usable && (least === undefined || s.active < least.active)) least = s
    }
    return least
  }

  /**
   * Dial `dial` of `key` made HTTP/2 session `s` (numbered by `connId`): it serves every waiter
   * of the key; an extra session while another has room and nobody waits is closed (Go's
   * `addConnIfNeeded`).
   */
  dialedSession(key: string, dial: PoolState.DialId, s: H2Session): void {
    this.dials++
    poolMetrics.dials.unsafeUpdate(1, NO_LABELS)
    if (this.shutdown) {
      s.destroy()
      return
    }
    this.h1Keys.delete(key)
    const roomy = this.takeSession(key, false)
    if (roomy !== undefined && PoolState.waiting(this.state, key).length === 0) {
      this.apply(PoolState.dialDropped(this.state, key, dial))
      s.dropped = true
      s.destroy()
      this.serveSessionWaiters(key, roomy)
      return
    }
    this.sessions.set(s.id, s)
    const list = this.sessionsByKey.get(key)
    if (list === undefined) this.sessionsByKey.set(key, [s])
    else list.push(s)
    this.apply(PoolState.dialedShared(this.state, key, dial, s.id))
    this.serveSessionWaiters(key, s)
  }

  /** What the sessions call back. */
  readonly sessionOwner: SessionOwner = {
    now: () => this.driver.now(),
    sessionClosed: (s) => {
      if (s.dropped || !this.sessions.delete(s.id)) return
      const list = this.sessionsByKey.get(s.key)
      if (list !== undefined) {
        const i = list.indexOf(s)
        if (i >= 0) list.splice(i, 1)
        if (list.length === 0) this.sessionsByKey.delete(s.key)
      }
      if (!this.shutdown) this.apply(PoolState.release(this.state, s.key, s.id, false, this.driver.now()))
    },
    sessionIdle: () => this.driver.wentIdle(),
    // A stream ended: requests queued in the pool for this key (at maxConnsPerHost while every
    // session was full) take the room it left.
    streamEnded: (s) => {
      if (this.shutdown || !this.sessions.has(s.id)) return
      let room = s.hasRoom ? s.maxStreams - s.active : 0
      while (room-- > 0 && PoolState.waiting(this.state, s.key).length > 0) this.apply(PoolState.serveShared(this.state, s.key, s.id))
    }
  }

  /** Sends health PINGs after `sendPingMs` without a frame read; closes sessions whose PING went unanswered for `pingTimeoutMs`. */
  healthCheck(sendPingMs: number, pingTimeoutMs: number): void {
    const now = this.driver.now()
    for (const s of [...this.sessions.values()]) {
      if (s.pingSentAt !== undefined) {
        if (now - s.pingSentAt >= pingTimeoutMs) s.destroy()
      } else if (now - s.lastRead >= sendPingMs) s.ping()
    }
  }

  /** A number for a new connection. */
  connId(): number {
    return this.nextConn++
  }

  /** Registers a request for a connection to `key`; it may be served at once. */
  request(key: string, route: Route, trace: ClientTraceHooks | undefined, mayH2 = false): Waiter {
    const w = new Waiter(this.nextWaiter++, key, trace)
    if (this.shutdown) {
      w.failure = shutdownFailure
      return w
    }
    if (!this.routes.has(key)) this.routes.set(key, route)
    // An origin that speaks h2 (or may: an https origin not yet seen to answer HTTP/1.1) with a
    // dial in flight: wait for that dial's session rather than dial again, as browsers do (a
    // burst costs one handshake, not one per request). If the dial answers HTTP/1.1 or fails,
    // the waiters ask the pool then.
    if (mayH2 && !this.h1Keys.has(key) && PoolState.dialing(this.state, key).length > 0) {
      const list = this.sessionWaiters.get(key)
      if (list === undefined) this.sessionWaiters.set(key, [w])
      else list.push(w)
      return w
    }
    return this.enqueue(w)
  }

  /** `w` asks the pool's state for a connection (served at once, or waiting in `waiters`). */
  private enqueue(w: Waiter): Waiter {
    const key = w.key
    // The waiter enters the map only if it has to wait: most requests are served at once from
    // the idle list, and the map's growing and shrinking would cost an allocation each time.
    this.requesting = w
    this.apply(PoolState.request(this.state, key, w.id, this.driver.now()))
    this.requesting = undefined
    if (w.delivered === undefined && w.failure === undefined) this.waiters.set(w.id, w)
    return w
  }

  /** The request behind `w` is no longer interested (it was interrupted, or failed). */
  abandon(w: Waiter): void {
    const list = this.sessionWaiters.get(w.key)
    if (list !== undefined && w.delivered === undefined && w.failure === undefined) {
      const i = list.indexOf(w)
      if (i >= 0) {
        list.splice(i, 1)
        if (list.length === 0) this.sessionWaiters.delete(w.key)
        return
      }
    }
    if (this.waiters.has(w.id)) {
      this.waiters.delete(w.id)
      this.apply(PoolState.cancel(this.state, w.key, w.id))
    } else if (w.delivered !== undefined && !w.taken) {
      // Served but never used: the connection is as good as it was (a session stays as it is).
      w.taken = true
      if (w.delivered.session === undefined) this.release(w.delivered.pc, "reusable")
    }
  }

  /** A dial finished: `pc` is the new connection (already counted as open). */
  dialed(key: string, dial: PoolState.DialId, pc: PersistConn): void {
    this.dials++
    poolMetrics.dials.unsafeUpdate(1, NO_LABELS)
    this.conns.set(pc.id, pc)
    if (this.shutdown) {
      pc.close()
      return
    }
    this.apply(PoolState.dialed(this.state, key, dial, pc.id, this.driver.now()))
    // The origin answered in HTTP/1.1 this time: requests waiting for a session ask the pool.
    if (this.h1Keys.size >= 4096) this.h1Keys.clear()
    this.h1Keys.add(key)
    this.requeueSessionWaiters(key)
  }

  /** A dial failed with `failure`. */
  dialFailed(key: string, dial: PoolState.DialId, failure: Failure): void {
    if (this.shutdown) return
    this.apply(PoolState.dialFailed(this.state, key, dial, failure))
    if (PoolState.dialing(this.state, key).length === 0) this.requeueSessionWaiters(key)
  }

  /** Requests waiting for a session of `key` that will not come: each asks the pool (and may dial). */
  private requeueSessionWaiters(key: string): void {
    const list = this.sessionWaiters.get(key)
    if (list === undefined) return
    this.sessionWaiters.delete(key)
    for (const w of list) this.enqueue(w)
  }

  /** Requests waiting for a session of `key`: served by `s`. */
  private serveSessionWaiters(key: string, s: H2Session): void {
    const list = this.sessionWaiters.get(key)
    if (list === undefined) return
    this.sessionWaiters.delete(key)
    for (const w of list) settle(w, sessionDelivery(s), undefined)
  }

  // ConnOwner

  readonly release = (pc: PersistConn, outcome: "reusable" | "close" | "detached"): string | undefined => {
    if (this.shutdown) {
      if (outcome !== "detached") pc.close()
      return "the Transport was shut down"
    }
    const reusable = outcome === "reusable" && !pc.closed
    if (outcome === "detached") this.conns.delete(pc.id)
    const t = PoolState.release(this.state, pc.key, pc.id, reusable, this.driver.now())
    this.apply(t)
    if (!reusable) return "not reusable"
    for (const a of t.actions) if (a._tag === "Close" && a.conn === pc.id) return closeReasons[a.reason]
    return undefined
  }

  readonly idleClosed = (pc: PersistConn): void => {
    if (!this.shutdown) this.apply(PoolState.removeIdle(this.state, pc.key, pc.id))
  }

  readonly closed = (pc: PersistConn): void => {
    this.conns.delete(pc.id)
  }

  readonly after = (millis: number, f: () => void): void => this.driver.after(millis, f)

  /** Closes idle connections that have been idle for `idleConnTimeout`. */
  expire(): void {
    const now = this.driver.now()
    this.apply(PoolState.expire(this.state, now))
    const timeout = this.config.idleConnTimeoutMs
    if (timeout > 0 && this.sessions.size > 0) {
      for (const s of [...this.sessions.values()]) if (s.active === 0 && now - s.idleSince >= timeout) s.close()
    }
  }

  /** When the next idle connection (or idle HTTP/2 session) expires, if any does. */
  nextExpiry(): number | undefined {
    let next = PoolState.nextExpiry(this.state)
    const timeout = this.config.idleConnTimeoutMs
    if (timeout > 0 && this.sessions.size > 0) {
      for (const s of this.sessions.values()) {
        if (s.active === 0 && (next === undefined || s.idleSince + timeout < next)) next = s.idleSince + timeout
      }
    }
    return next
  }

  /** Go's `CloseIdleConnections` (HTTP/2 sessions carrying no stream too). */
  closeIdleConnections(): void {
    this.apply(PoolState.closeIdleConnections(this.state))
    for (const s of [...this.sessions.values()]) if (s.active === 0) s.close()
  }

  /** Closes every connection and fails every waiter: the Transport's Scope is closing. */
  close(): void {
    this.shutdown = true
    for (const w of this.waiters.values()) settle(w, undefined, shutdownFailure)
    this.waiters.clear()
    for (const list of this.sessionWaiters.values()) for (const w of list) settle(w, undefined, shutdownFailure)
    this.sessionWaiters.clear()
    for (const pc of [...this.conns.values()]) pc.close()
    this.conns.clear()
    for (const s of [...this.sessions.values()]) s.destroy()
    this.sessions.clear()
    this.sessionsByKey.clear()
  }

  /** A snapshot of the pool's counts. */
  stats(): PoolStats {
    const hosts: Record<string, HostStats> = {}
    let active = 0
    let dialing = 0
    let waiting = 0
    for (const [key, h] of this.state.hosts) {
      const sessions = this.sessionsByKey.get(key)
      let streams = 0
      if (sessions !== undefined) for (const s of sessions) streams += s.active
      hosts[key] = {
        idle: h.idle?.size ?? 0,
        active: h.active,
        dialing: h.dialing.length,
        waiting: h.waiters.length + (this.sessionWaiters.get(key)?.length ?? 0),
        h2Sessions: sessions?.length ?? 0,
        h2Streams: streams
      }
      active += h.active
      dialing += h.dialing.length
      waiting += hosts[key].waiting
    }
    return {
      idle: PoolState.totalIdle(this.state),
      active,
      dialing,
      waiting,
      open: this.conns.size + this.sessions.size,
      dials: this.dials,
      reuses: this.reuses,
      hosts
    }
  }

  // -------------------------------------------------------------------------------------------

  private apply(t: PoolState.Transition<Failure>): void {
    const before = this.state
    this.state = t.state
    for (const a of t.actions) {
      switch (a._tag) {
        case "Deliver": {
          const w = this.waiter(a.waiter)
          const session = this.sessions.get(a.conn)
          if (session !== undefined) {
            this.waiters.delete(a.waiter)
            if (w !== undefined) settle(w, sessionDelivery(session), undefined)
            break
          }
          const pc = this.conns.get(a.conn)
          this.waiters.delete(a.waiter)
          if (w === undefined || pc === undefined) {
            // Cannot happen: a waiter leaves the state when it leaves the map. Give it back.
            if (pc !== undefined) this.apply(PoolState.release(this.state, a.key, a.conn, !pc.closed, this.driver.now()))
            break
          }
          if (a.reused) {
            this.reuses++
            poolMetrics.reuses.unsafeUpdate(1, NO_LABELS)
          }
          // Only `request` hands out idle connections, and it serves the requesting waiter at once.
          const d: Delivered = new Delivery(pc, a.reused, w === this.requesting, a.idleMs)
          settle(w, d, undefined)
          break
        }
        case "Dial":
          this.driver.startDial(a.key, this.routes.get(a.key)!, a.dial, this.waiter(a.forWaiter)?.trace)
          break
        case "Close":
          this.conns.get(a.conn)?.close()
          this.sessions.get(a.conn)?.close()
          break
        case "Fail": {
          const w = this.waiter(a.waiter)
          this.waiters.delete(a.waiter)
          if (w !== undefined) settle(w, undefined, a.error)
          break
        }
      }
    }
    if (PoolState.totalIdle(this.state) > PoolState.totalIdle(before)) this.driver.wentIdle()
    this.updateGauges()
  }

  private waiter(id: number): Waiter | undefined {
    const r = this.requesting
    return r !== undefined && r.id === id ? r : this.waiters.get(id)
  }

  private updateGauges(): void {
    let active = 0
    let dialing = 0
    let waiting = 0
    // forEach, not for-of: no iterator object per transition.
    this.state.hosts.forEach((h) => {
      active += h.active
      dialing += h.dialing.length
      waiting += h.waiters.length
    })
    const idle = PoolState.totalIdle(this.state)
    const g = this.gauges
    if (g.idle !== idle) poolMetrics.idle.unsafeUpdate(g.idle = idle, NO_LABELS)
    if (g.active !== active) poolMetrics.active.unsafeUpdate(g.active = active, NO_LABELS)
    if (g.dialing !== dialing) poolMetrics.dialing.unsafeUpdate(g.dialing = dialing, NO_LABELS)
    if (g.waiting !== waiting) poolMetrics.waiters.unsafeUpdate(g.waiting = waiting, NO_LABELS)
  }
}

/** Go's error text for each reason a connection was not kept (`errTooManyIdleHost`, ...). */
const closeReasons: Record<PoolState.CloseReason, string> = {
  "too-many-idle-host": "http: putIdleConn: too many idle connections for host",
  "too-many-idle": "http: putIdleConn: too many idle connections",
  "expired": "http: idle connection timeout",
  "not-reusable": "not reusable",
  "closed-by-peer": "http: server closed idle connection",
  "close-idle": "http: CloseIdleConnections called"
}

const settle = (w: Waiter, delivered: Delivered | undefined, failure: Failure | undefined): void => {
  w.delivered = delivered
  w.failure = failure
  const notify = w.notify
  if (notify !== undefined) {
    w.notify = undefined
    notify(delivered, failure)
  }
}

const shutdownFailure: Failure = {
  phase: "pool-wait",
  reason: "shutdown",
  detail: "the Transport was shut down",
  nothingWritten: true,
  closedBeforeResponse: false
}
