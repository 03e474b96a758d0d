/**
 * The client connection pool as a pure state machine: the bookkeeping of Go's `Transport`
 * (net/http transport.go: `idleConn`, `idleLRU`, `idleConnWait`, `connsPerHost`,
 * `connsPerHostWait`) without sockets, fibers or a clock.
 *
 * A {@link PoolState} is immutable data. Every transition takes a state (and the current time
 * as a number where time matters) and returns a NEW state with the list of {@link PoolAction}s
 * the Transport must carry out: hand a connection to a waiter, start a dial, close a
 * connection, fail a waiter. The Transport keeps the state in a `Ref`/`SynchronizedRef` and
 * performs the actions after each update (ARCHITECTURE.md, "Go construct → Effect").
 *
 * Invariants every transition keeps (ARCHITECTURE.md, invariant 2; asserted by
 * test/property/pool.property.test.ts):
 * - per key, dialing + active + idle ≤ `maxConnsPerHost` when it is limited;
 * - per key, idle ≤ `maxIdleConnsPerHost`; overall, idle ≤ `maxIdleConns` when limited;
 * - a key with idle connections has no waiters (a connection going idle is handed to the first
 *   waiter instead, as Go's `tryPutIdleConn`);
 * - a waiting waiter without a dial of its own exists only while its key is at
 *   `maxConnsPerHost` (as Go's `connsPerHostWait` holds waiters only while the count is full),
 *   so no waiter waits forever while capacity exists;
 * - waiters are served first-in first-out per key; a cancelled waiter leaves the queue.
 *
 * Ids for connections and waiters are chosen by the caller; dial ids are allocated here.
 * Calling a transition with a dial id that is not in flight is a bug in the caller and throws.
 *
 * @module
 */

/** A connection, as numbered by the Transport. */
export type ConnId = number

/** A request waiting for a connection (Go's `wantConn`), as numbered by the Transport. */
export type WaiterId = number

/** A dial in flight, as numbered by this module ({@link PoolState.nextDial}). */
export type DialId = number

/**
 * The pool's limits, as the fields of Go's `Transport` of the same names.
 *
 * - `maxIdleConns`: idle connections kept across all keys; 0 means no limit (Go's default is
 *   100).
 * - `maxIdleConnsPerHost`: idle connections kept per key; 0 keeps none. Unlike Go, 0 does not
 *   stand for a default: Go reads 0 as `DefaultMaxIdleConnsPerHost` (2), a value chosen when
 *   clients talked to few hosts. This module takes the number as given; the Transport layer
 *   picks its own default (deliberately not Go's 2).
 * - `maxConnsPerHost`: connections per key counting dialing, active and idle; 0 means no limit
 *   (Go's default).
 * - `idleConnTimeoutMs`: how long a connection may stay idle before it is closed; 0 means
 *   forever (Go's `DefaultTransport` uses 90 s).
 */
export interface PoolConfig {
  readonly maxIdleConns: number
  readonly maxIdleConnsPerHost: number
  readonly maxConnsPerHost: number
  readonly idleConnTimeoutMs: number
}

/**
 * An immutable singly linked list, newest first (`undefined` is the empty list); every node
 * knows the length of the list it starts. Going idle and being reused (the newest first) touch
 * its head only, so a request and a release allocate a node or two instead of copying arrays
 * as long as the pool's idle connections.
 */
export interface IdleList<A> {
  readonly value: A
  readonly next: IdleList<A> | undefined
  readonly size: number
}

// The pool's values are class instances, not object literals: V8 may move ("pretenure") the
// objects of a literal's allocation site straight to the old generation once it sees them
// survive, and a busy pool's short-lived states then fill the old generation (a full GC every
// few hundred milliseconds, scavenges that keep dead objects' referents alive). Instances of a
// class have no allocation site.

class IdleNode<A> implements IdleList<A> {
  readonly size: number
  constructor(readonly value: A, readonly next: IdleList<A> | undefined) {
    this.size = (next === undefined ? 0 : next.size) + 1
  }
}

const cons = <A>(value: A, next: IdleList<A> | undefined): IdleList<A> => new IdleNode(value, next)

const sizeOf = <A>(list: IdleList<A> | undefined): number => list?.size ?? 0

/** The elements oldest first. */
const oldestFirst = <A>(list: IdleList<A> | undefined): Array<A> => {
  const out: Array<A> = []
  for (let n = list; n !== undefined; n = n.next) out.push(n.value)
  return out.reverse()
}

/** `list` without its first (newest) element matching `p`, sharing the nodes after it; `list` itself when none matches. */
const without = <A>(list: IdleList<A> | undefined, p: (a: A) => boolean): IdleList<A> | undefined => {
  const before: Array<A> = []
  for (let n = list; n !== undefined; n = n.next) {
    if (p(n.value)) {
      let rest = n.next
      for (let i = before.length - 1; i >= 0; i--) rest = cons(before[i]!, rest)
      return rest
    }
    before.push(n.value)
  }
  return list
}

/** `list` with only the elements matching `p`, order kept. */
const keep = <A>(list: IdleList<A> | undefined, p: (a: A) => boolean): IdleList<A> | undefined => {
  let out: IdleList<A> | undefined
  for (const a of oldestFirst(list)) if (p(a)) out = cons(a, out)
  return out
}

const findIn = <A>(list: IdleList<A> | undefined, p: (a: A) => boolean): A | undefined => {
  for (let n = list; n !== undefined; n = n.next) if (p(n.value)) return n.value
  return undefined
}

/** An idle connection and the time it went idle (Go's `persistConn.idleAt`). */
export interface IdleConn {
  readonly conn: ConnId
  readonly idleSince: number
}

/** A dial in flight, and the waiter it was started for (Go's `dialConnFor(w)`). */
export interface Dialing {
  readonly dial: DialId
  readonly forWaiter: WaiterId
}

/** One key's part of the pool (Go keys by `connectMethodKey`; here a string such as "http://host:port"). */
export interface HostPool {
  /** Idle connections, newest first; reuse takes the newest (Go's `idleConn[key]`). */
  readonly idle: IdleList<IdleConn> | undefined
  /** Connections handed out and not yet released. */
  readonly active: number
  /** Dials in flight. */
  readonly dialing: ReadonlyArray<Dialing>
  /** Waiters, first come first (Go's `idleConnWait[key]` and `connsPerHostWait[key]` in one). */
  readonly waiters: ReadonlyArray<WaiterId>
}

class IdleEntry implements IdleConn {
  constructor(readonly conn: ConnId, readonly idleSince: number) {}
}

class Host implements HostPool {
  constructor(
    readonly idle: IdleList<IdleConn> | undefined,
    readonly active: number,
    readonly dialing: ReadonlyArray<Dialing>,
    readonly waiters: ReadonlyArray<WaiterId>
  ) {}
}

/** An entry of the global idle order (Go's `connLRU`). */
export interface IdleRef {
  readonly key: string
  readonly conn: ConnId
}

/** The whole pool: immutable data, changed only by the transitions of this module. */
export interface PoolState {
  readonly config: PoolConfig
  /** Keys with something in them; a key whose pool becomes empty is dropped. */
  readonly hosts: ReadonlyMap<string, HostPool>
  /** Every idle connection across keys, most recently idle first (Go's `idleLRU`; see {@link idleOrder}). */
  readonly idleLRU: IdleList<IdleRef> | undefined
  /** Set by {@link closeIdleConnections}, cleared by {@link request} (Go's `Transport.closeIdle`). */
  readonly closeIdle: boolean
  /** The id the next dial will get. */
  readonly nextDial: DialId
}

class IdleRefEntry implements IdleRef {
  constructor(readonly key: string, readonly conn: ConnId) {}
}

class State implements PoolState {
  constructor(
    readonly config: PoolConfig,
    readonly hosts: ReadonlyMap<string, HostPool>,
    readonly idleLRU: IdleList<IdleRef> | undefined,
    readonly closeIdle: boolean,
    readonly nextDial: DialId
  ) {}
}

/** Why the pool asks for a connection to be closed; Go's error for each in comments. */
export type CloseReason =
  /** The key already holds `maxIdleConnsPerHost` idle connections (`errTooManyIdleHost`). */
  | "too-many-idle-host"
  /** The pool held more than `maxIdleConns` idle connections; the oldest goes (`errTooManyIdle`). */
  | "too-many-idle"
  /** Idle for `idleConnTimeoutMs` or longer (`closeConnIfStillIdle`, `errIdleConnTimeout`). */
  | "expired"
  /** Released by its user as not reusable (the response said close, or an error happened). */
  | "not-reusable"
  /** The peer closed it while it was idle (`removeIdleConn` from `persistConn.readLoop`). */
  | "closed-by-peer"
  /** `CloseIdleConnections`, or going idle right after it (`errCloseIdleConns`, `errCloseIdle`). */
  | "close-idle"

/**
 * Hand `conn` to `waiter` (Go's `wantConn.tryDeliver`). `reused`: the connection did not come
 * straight from its dial (it was idle, or released by an earlier user); `idleMs`: how long it sat
 * idle, 0 if it was handed over directly (Go's `GotConnInfo.Reused` and `IdleTime`).
 */
export interface Deliver {
  readonly _tag: "Deliver"
  readonly key: string
  readonly waiter: WaiterId
  readonly conn: ConnId
  readonly reused: boolean
  readonly idleMs: number
}

/** Start dial `dial` for `key`, on behalf of `forWaiter`; report it with {@link dialed} or {@link dialFailed}. */
export interface Dial {
  readonly _tag: "Dial"
  readonly key: string
  readonly dial: DialId
  readonly forWaiter: WaiterId
}

/** Close `conn`; it has already left the pool. */
export interface Close {
  readonly _tag: "Close"
  readonly key: string
  readonly conn: ConnId
  readonly reason: CloseReason
}

/** Fail `waiter` with `error`: the dial started for it failed while it was still waiting. */
export interface Fail<E> {
  readonly _tag: "Fail"
  readonly key: string
  readonly waiter: WaiterId
  readonly error: E
}

/** What the Transport must do after a transition, in order. Only {@link dialFailed} yields `Fail`. */
export type PoolAction<E = never> = Deliver | Dial | Close | Fail<E>

/** A transition's result: the new state and the actions to carry out. */
export interface Transition<E = never> {
  readonly state: PoolState
  readonly actions: ReadonlyArray<PoolAction<E>>
}

class Step<E> implements Transition<E> {
  constructor(readonly state: PoolState, readonly actions: ReadonlyArray<PoolAction<E>>) {}
}

class DeliverAction implements Deliver {
  readonly _tag = "Deliver"
  constructor(
    readonly key: string,
    readonly waiter: WaiterId,
    readonly conn: ConnId,
    readonly reused: boolean,
    readonly idleMs: number
  ) {}
}

const emptyHost: HostPool = new Host(undefined, 0, [], [])

// A copy of `h` with some fields replaced. Built field by field: an object spread here was the
// most expensive line of a request/release pair.
const patch = (h: HostPool, p: Partial<HostPool>): HostPool =>
  new Host("idle" in p ? p.idle : h.idle, p.active ?? h.active, p.dialing ?? h.dialing, p.waiters ?? h.waiters)

/** An empty pool with the given limits. */
export const make = (config: PoolConfig): PoolState => new State(config, new Map(), undefined, false, 0)

// ---------------------------------------------------------------------------------------------
// Queries

const hostOf = (state: PoolState, key: string): HostPool => state.hosts.get(key) ?? emptyHost

const hostConns = (h: HostPool): number => h.dialing.length + h.active + sizeOf(h.idle)

/** Connections of `key` counted against `maxConnsPerHost`: dialing + active + idle (Go's `connsPerHost[key]`). */
export const connsPerHost = (state: PoolState, key: string): number => hostConns(hostOf(state, key))

/** Idle connections of `key` (`len(idleConn[key])`). */
export const idleCount = (state: PoolState, key: string): number => sizeOf(hostOf(state, key).idle)

/** Idle connections across all keys (`idleLRU.len()`). */
export const totalIdle = (state: PoolState): number => sizeOf(state.idleLRU)

/** Every idle connection across keys, least recently idle first (Go's `idleLRU` from its back). */
export const idleOrder = (state: PoolState): ReadonlyArray<IdleRef> => oldestFirst(state.idleLRU)

/** Connections of `key` handed out and not yet released. */
export const activeCount = (state: PoolState, key: string): number => hostOf(state, key).active

/** Dials in flight for `key`. */
export const dialing = (state: PoolState, key: string): ReadonlyArray<Dialing> => hostOf(state, key).dialing

/** Waiters of `key`, first come first. */
export const waiting = (state: PoolState, key: string): ReadonlyArray<WaiterId> => hostOf(state, key).waiters

/** Whether a connection idle since `idleSince` has expired at `now` (idle for `idleConnTimeoutMs` or longer). */
export const isExpired = (config: PoolConfig, idleSince: number, now: number): boolean =>
  config.idleConnTimeoutMs > 0 && now - idleSince >= config.idleConnTimeoutMs

/**
 * When the next idle connection expires: the earliest `idleSince + idleConnTimeoutMs` over all
 * idle connections, or `undefined` if none is idle or there is no timeout. The Transport's timer
 * fiber sleeps until then and calls {@link expire} (in place of Go's per-connection
 * `idleTimer`).
 */
export const nextExpiry = (state: PoolState): number | undefined => {
  const timeout = state.config.idleConnTimeoutMs
  if (timeout <= 0) return undefined
  let earliest: number | undefined
  for (const h of state.hosts.values()) {
    for (let n = h.idle; n !== undefined; n = n.next) {
      if (earliest === undefined || n.value.idleSince < earliest) earliest = n.value.idleSince
    }
  }
  return earliest === undefined ? undefined : earliest + timeout
}

// ---------------------------------------------------------------------------------------------
// A transaction: copies of the state's containers, changed in place, then sealed. The input
// state is never touched.

class Tx<E> {
  readonly hosts: Map<string, HostPool>
  lru: IdleList<IdleRef> | undefined
  closeIdle: boolean
  nextDial: DialId
  readonly actions: Array<PoolAction<E>> = new Array<PoolAction<E>>()

  constructor(readonly base: PoolState) {
    // A for-of copy: about 2.5x faster than `new Map(base.hosts)`, the costliest line of a
    // request/release pair when profiled.
    const hosts = new Map<string, HostPool>()
    for (const [k, v] of base.hosts) hosts.set(k, v)
    this.hosts = hosts
    this.lru = base.idleLRU
    this.closeIdle = base.closeIdle
    this.nextDial = base.nextDial
  }

  get config(): PoolConfig {
    return this.base.config
  }

  host(key: string): HostPool {
    return this.hosts.get(key) ?? emptyHost
  }

  set(key: string, h: HostPool): void {
    if (h.idle === undefined && h.active === 0 && h.dialing.length === 0 && h.waiters.length === 0) {
      this.hosts.delete(key)
    } else {
      this.hosts.set(key, h)
    }
  }

  lruRemove(key: string, conn: ConnId): void {
    // From the newest end: reuse takes the newest idle connection, usually the LRU's head.
    const head = this.lru
    if (head !== undefined && head.value.conn === conn && head.value.key === key) this.lru = head.next
    else this.lru = without(head, (r) => r.conn === conn && r.key === key)
  }

  hasCapacity(h: HostPool): boolean {
    return this.config.maxConnsPerHost <= 0 || hostConns(h) < this.config.maxConnsPerHost
  }

  /**
   * Go's `decConnsPerHost` and `queueForDial` together: while the key has capacity, start a
   * dial for the first waiter that has none of its own. Keeps "a waiter without a dial exists
   * only at capacity".
   */
  startDials(key: string): void {
    let h = this.host(key)
    while (this.hasCapacity(h)) {
      const w = h.waiters.find((w) => !h.dialing.some((d) => d.forWaiter === w))
      if (w === undefined) break
      const dial = this.nextDial++
      h = patch(h, { dialing: [...h.dialing, { dial, forWaiter: w }] })
      this.actions.push({ _tag: "Dial", key, dial, forWaiter: w })
    }
    this.set(key, h)
  }

  /** Hand `conn`, counted nowhere, to the first waiter if any (Go's `tryPutIdleConn` serving `idleConnWait`). */
  handToFirstWaiter(key: string, conn: ConnId, reused: boolean): boolean {
    const h = this.host(key)
    const waiter = h.waiters[0]
    if (waiter === undefined) return false
    this.set(key, new Host(h.idle, h.active + 1, h.dialing, h.waiters.slice(1)))
    this.actions.push(new DeliverAction(key, waiter, conn, reused, 0))
    return true
  }

  close(key: string, conn: ConnId, reason: CloseReason): void {
    this.actions.push({ _tag: "Close", key, conn, reason })
  }

  /**
   * Go's `putOrCloseIdleConn` / `tryPutIdleConn` for a connection no longer counted anywhere:
   * the first waiter gets it; else it goes idle within the limits, or is closed.
   */
  putOrCloseIdle(key: string, conn: ConnId, reused: boolean, now: number): void {
    if (this.handToFirstWaiter(key, conn, reused)) return
    const h = this.host(key)
    if (this.closeIdle) {
      this.close(key, conn, "close-idle")
      this.startDials(key)
      return
    }
    if (sizeOf(h.idle) >= this.config.maxIdleConnsPerHost) {
      this.close(key, conn, "too-many-idle-host")
      this.startDials(key)
      return
    }
    this.set(key, new Host(cons(new IdleEntry(conn, now), h.idle), h.active, h.dialing, h.waiters))
    this.lru = cons(new IdleRefEntry(key, conn), this.lru)
    if (this.config.maxIdleConns > 0 && this.lru.size > this.config.maxIdleConns) {
      // The least recently idle: the LRU's last node (a rare, linear step).
      let last = this.lru
      while (last.next !== undefined) last = last.next
      const oldest = last.value
      this.lru = without(this.lru, (r) => r === oldest)
      const oh = this.host(oldest.key)
      this.set(oldest.key, patch(oh, { idle: without(oh.idle, (c) => c.conn === oldest.conn) }))
      this.close(oldest.key, oldest.conn, "too-many-idle")
      this.startDials(oldest.key)
    }
  }

  takeDial(key: string, dial: DialId, what: string): Dialing {
    const h = this.host(key)
    const d = h.dialing.find((d) => d.dial === dial)
    if (d === undefined) throw new Error(`PoolState.${what}: dial ${dial} is not in flight for ${key}`)
    this.set(key, patch(h, { dialing: h.dialing.filter((x) => x.dial !== dial) }))
    return d
  }

  done(): Transition<E> {
    return new Step(new State(this.base.config, this.hosts, this.lru, this.closeIdle, this.nextDial), this.actions)
  }
}

// ---------------------------------------------------------------------------------------------
// Transitions

/**
 * A request for a connection to `key` by `waiter` (Go's `Transport.getConn`: `queueForIdleConn`
 * then `queueForDial`).
 *
 * - The newest idle connection that has not expired is delivered (`reused`, with its idle
 *   time); expired ones met on the way, newest first, are closed ("expired"), as Go drops
 *   `tooOld` connections in `queueForIdleConn`.
 * - Otherwise the waiter is queued, and if the key has capacity (dialing + active + idle <
 *   `maxConnsPerHost`, or no limit) a dial is started for it. The waiter stays queued while it
 *   dials, so a connection released in the meantime serves it first (Go's `idleConnWait`,
 *   "late binding"); without capacity it waits for a release or a freed slot (`connsPerHostWait`).
 *
 * Also ends the effect of {@link closeIdleConnections} (Go: `t.closeIdle = false`).
 */
export const request = (state: PoolState, key: string, waiter: WaiterId, now: number): Transition => {
  const tx = new Tx<never>(state)
  tx.closeIdle = false
  let h = tx.host(key)
  let idle = h.idle
  let expired = false
  while (idle !== undefined) {
    const c = idle.value
    idle = idle.next
    if (isExpired(tx.config, c.idleSince, now)) {
      tx.lruRemove(key, c.conn)
      tx.close(key, c.conn, "expired")
      expired = true
      continue
    }
    tx.lruRemove(key, c.conn)
    tx.set(key, new Host(idle, h.active + 1, h.dialing, h.waiters))
    tx.actions.push(new DeliverAction(key, waiter, c.conn, true, now - c.idleSince))
    if (expired) tx.startDials(key)
    return tx.done()
  }
  h = patch(h, { idle, waiters: [...h.waiters, waiter] })
  tx.set(key, h)
  tx.startDials(key)
  return tx.done()
}

/**
 * Dial `dial` for `key` succeeded with `conn` (Go's `dialConnFor`). The connection goes to the
 * FIRST waiter still waiting, which need not be the one the dial was started for: a deliberate
 * difference from Go, whose `dialConnFor` first offers it to its own `wantConn`, so that waiters
 * of a key are served strictly first-in first-out. When the first waiter had a dial of its own
 * still in flight and the waiter this dial was started for still waits, that other dial is
 * handed to the latter (so every waiter keeps a dial, as in Go, and the latter is the one
 * failed if that dial fails). With no waiter the connection is put idle as by {@link release}
 * (Go's `putOrCloseIdleConn`), or closed if the idle limits say so.
 *
 * A fresh connection is delivered with `reused: false` (Go would mark a connection handed over
 * through `tryPutIdleConn` as reused; here only connections that were idle or released are).
 */
export const dialed = (state: PoolState, key: string, dial: DialId, conn: ConnId, now: number): Transition => {
  const tx = new Tx<never>(state)
  const d = tx.takeDial(key, dial, "dialed")
  const h = tx.host(key)
  const waiter = h.waiters[0]
  if (waiter !== undefined) {
    // The first waiter takes the connection; if it had a dial of its own and the waiter this dial
    // was for still waits, that dial is now the latter's.
    const owner = d.forWaiter
    const dialing = waiter !== owner && h.waiters.includes(owner)
      ? h.dialing.map((x) => (x.forWaiter === waiter ? { dial: x.dial, forWaiter: owner } : x))
      : h.dialing
    tx.set(key, patch(h, { active: h.active + 1, waiters: h.waiters.slice(1), dialing }))
    tx.actions.push(new DeliverAction(key, waiter, conn, false, 0))
    return tx.done()
  }
  tx.putOrCloseIdle(key, conn, false, now)
  return tx.done()
}

/**
 * Dial `dial` for `key` failed (Go's `dialConnFor` with an error, then `decConnsPerHost`). Its
 * slot is freed. If the waiter it was started for is still waiting, that waiter fails with
 * `error` (Go's `w.tryDeliver(nil, err)`). Then, if capacity allows, a dial starts for the first
 * waiter without one (Go's `decConnsPerHost` popping `connsPerHostWait`).
 */
/**
 * Dial `dial` of `key` became a connection shared by concurrent requests (an HTTP/2 session):
 * it counts as one active connection until released (`release`, not reusable, when the session
 * closes), and every waiter of the key is served by it at once (Go's `tryPutIdleConn` for a
 * `pconn.alt`). Dials still in flight for those waiters go on; see `dialDropped`.
 */
export const dialedShared = (state: PoolState, key: string, dial: DialId, conn: ConnId): Transition => {
  const tx = new Tx<never>(state)
  tx.takeDial(key, dial, "dialedShared")
  const h = tx.host(key)
  tx.set(key, new Host(h.idle, h.active + 1, h.dialing, []))
  for (const w of h.waiters) tx.actions.push(new DeliverAction(key, w, conn, false, 0))
  return tx.done()
}

/**
 * A shared connection of `key` (an HTTP/2 session, already counted active) has room for one
 * more request: the first waiter gets it. No action when nobody waits.
 */
export const serveShared = (state: PoolState, key: string, conn: ConnId): Transition => {
  const tx = new Tx<never>(state)
  const h = tx.host(key)
  const waiter = h.waiters[0]
  if (waiter === undefined) return tx.done()
  // The waiter's own dial, if any, goes on for the next waiter without one (as `dialed` does).
  tx.set(key, new Host(h.idle, h.active, h.dialing, h.waiters.slice(1)))
  tx.actions.push(new DeliverAction(key, waiter, conn, true, 0))
  return tx.done()
}

/**
 * Dial `dial` of `key` ended with a connection not kept (an extra HTTP/2 session while another
 * has room, Go's `addConnIfNeeded`); the caller closes it. Waiters still waiting get dials.
 */
export const dialDropped = (state: PoolState, key: string, dial: DialId): Transition => {
  const tx = new Tx<never>(state)
  tx.takeDial(key, dial, "dialDropped")
  tx.startDials(key)
  return tx.done()
}

export const dialFailed = <E>(state: PoolState, key: string, dial: DialId, error: E): Transition<E> => {
  const tx = new Tx<E>(state)
  const d = tx.takeDial(key, dial, "dialFailed")
  const h = tx.host(key)
  if (h.waiters.includes(d.forWaiter)) {
    tx.set(key, patch(h, { waiters: h.waiters.filter((w) => w !== d.forWaiter) }))
    tx.actions.push({ _tag: "Fail", key, waiter: d.forWaiter, error })
  }
  tx.startDials(key)
  return tx.done()
}

/**
 * The user of `conn` (active for `key`) is done with it (Go's `persistConn` returning to the pool
 * through `putOrCloseIdleConn` / `tryPutIdleConn`, or closing).
 *
 * - `reusable`: the first waiter gets it (`reused`, `idleMs: 0`); else it goes idle at `now`,
 *   unless `closeIdle` is set ("close-idle", Go's `errCloseIdle`) or the key already holds
 *   `maxIdleConnsPerHost` idle connections ("too-many-idle-host", `errTooManyIdleHost`). If the
 *   pool then holds more than `maxIdleConns` idle connections, the least recently idle one
 *   overall is closed ("too-many-idle", `errTooManyIdle`).
 * - not `reusable`: closed ("not-reusable"); its slot is freed and, capacity allowing, a dial
 *   starts for the first waiter without one (`decConnsPerHost`).
 */
export const release = (
  state: PoolState,
  key: string,
  conn: ConnId,
  reusable: boolean,
  now: number
): Transition => {
  const tx = new Tx<never>(state)
  const h = tx.host(key)
  if (h.active <= 0) throw new Error(`PoolState.release: no active connection for ${key}`)
  tx.set(key, new Host(h.idle, h.active - 1, h.dialing, h.waiters))
  if (reusable) {
    tx.putOrCloseIdle(key, conn, true, now)
  } else {
    tx.close(key, conn, "not-reusable")
    tx.startDials(key)
  }
  return tx.done()
}

/**
 * The peer closed `conn` while it was idle (Go's `Transport.removeIdleConn`, called from
 * `persistConn.readLoop`): it leaves the idle list and the LRU and is closed ("closed-by-peer");
 * the freed slot may start a dial for a waiter. If `conn` is not idle (it was just handed out),
 * nothing changes: its user will see the failure and release it as not reusable.
 */
export const removeIdle = (state: PoolState, key: string, conn: ConnId): Transition => {
  const h = hostOf(state, key)
  if (findIn(h.idle, (c) => c.conn === conn) === undefined) return { state, actions: [] }
  const tx = new Tx<never>(state)
  tx.set(key, patch(h, { idle: without(h.idle, (c) => c.conn === conn) }))
  tx.lruRemove(key, conn)
  tx.close(key, conn, "closed-by-peer")
  tx.startDials(key)
  return tx.done()
}

/**
 * Close every idle connection idle for `idleConnTimeoutMs` or longer at `now` ("expired"). Go
 * arms a `time.AfterFunc(IdleConnTimeout, closeConnIfStillIdle)` per idle connection; here the
 * Transport calls `expire` from one timer fiber on Effect's `Clock`. Nothing happens when the
 * timeout is 0.
 */
export const expire = (state: PoolState, now: number): Transition => {
  if (state.config.idleConnTimeoutMs <= 0) return { state, actions: [] }
  const old = idleOrder(state).filter((r) => {
    const c = findIn(hostOf(state, r.key).idle, (c) => c.conn === r.conn)
    return c !== undefined && isExpired(state.config, c.idleSince, now)
  })
  if (old.length === 0) return { state, actions: [] }
  const tx = new Tx<never>(state)
  const keys = new Set<string>()
  for (const r of old) {
    const h = tx.host(r.key)
    tx.set(r.key, patch(h, { idle: without(h.idle, (c) => c.conn === r.conn) }))
    tx.close(r.key, r.conn, "expired")
    keys.add(r.key)
  }
  const gone = new Set(old.map((r) => r.conn))
  tx.lru = keep(state.idleLRU, (r) => !gone.has(r.conn))
  for (const key of keys) tx.startDials(key)
  return tx.done()
}

/**
 * `waiter` gives up (its request was interrupted or timed out; Go's `wantConn.cancel`): it leaves
 * the queue, so later waiters move up. A dial started for it keeps going; its connection will go
 * to the next waiter or to the idle list. Unknown or already served waiters change nothing.
 */
export const cancel = (state: PoolState, key: string, waiter: WaiterId): Transition => {
  const h = hostOf(state, key)
  if (!h.waiters.includes(waiter)) return { state, actions: [] }
  const tx = new Tx<never>(state)
  tx.set(key, patch(h, { waiters: h.waiters.filter((w) => w !== waiter) }))
  return tx.done()
}

/**
 * Close every idle connection ("close-idle") and close connections that go idle afterwards,
 * until the next {@link request} (Go's `Transport.CloseIdleConnections` and `closeIdle`).
 * Active connections and dials are untouched.
 */
export const closeIdleConnections = (state: PoolState): Transition => {
  const tx = new Tx<never>(state)
  tx.closeIdle = true
  for (const r of idleOrder(state)) tx.close(r.key, r.conn, "close-idle")
  tx.lru = undefined
  for (const [key, h] of state.hosts) {
    if (h.idle !== undefined) {
      tx.set(key, patch(h, { idle: undefined }))
      tx.startDials(key)
    }
  }
  return tx.done()
}
