/**
 * The pool's transitions for HTTP/2 sessions (pure, as PoolState's others): a dial that became a
 * session serves every waiter of its key and counts as one active connection until released; an
 * extra dial is dropped; limits (`maxConnsPerHost`) count the session once.
 */
import { describe, expect, it } from "vitest"
import * as Pool from "../../../src/transport/PoolState.js"

const K = "https://a:443"
const config = (maxConnsPerHost = 0): Pool.PoolConfig => ({ maxIdleConns: 10, maxIdleConnsPerHost: 10, maxConnsPerHost, idleConnTimeoutMs: 0 })

const tags = (t: Pool.Transition) => t.actions.map((a) => a._tag === "Deliver" ? `Deliver w${a.waiter} c${a.conn}` : a._tag === "Dial" ? `Dial d${a.dial} w${a.forWaiter}` : a._tag === "Close" ? `Close c${a.conn} ${a.reason}` : a._tag)

describe("PoolState: HTTP/2 sessions", () => {
  it("a session serves every waiter at once, counts as one connection, and a second dial is dropped", () => {
    let s = Pool.make(config())
    for (const w of [1, 2, 3]) s = Pool.request(s, K, w, 0).state
    expect(Pool.dialing(s, K).map((d) => d.dial)).toEqual([0, 1, 2])
    const shared = Pool.dialedShared(s, K, 0, 100)
    expect(tags(shared)).toEqual(["Deliver w1 c100", "Deliver w2 c100", "Deliver w3 c100"])
    s = shared.state
    expect(Pool.activeCount(s, K)).toBe(1)
    expect(Pool.waiting(s, K)).toEqual([])
    const dropped = Pool.dialDropped(s, K, 1)
    expect(dropped.actions).toEqual([])
    s = Pool.dialDropped(dropped.state, K, 2).state
    expect(Pool.connsPerHost(s, K)).toBe(1)
    // The session closes: its slot is given back, nothing is left.
    const closed = Pool.release(s, K, 100, false, 5)
    expect(tags(closed)).toEqual(["Close c100 not-reusable"])
    expect(Pool.connsPerHost(closed.state, K)).toBe(0)
  })

  it("maxConnsPerHost 1: requests wait for the one dial, all are served by its session; the next dial starts when it closes", () => {
    let s = Pool.make(config(1))
    let t = Pool.request(s, K, 1, 0)
    expect(tags(t)).toEqual(["Dial d0 w1"])
    s = t.state
    for (const w of [2, 3]) {
      t = Pool.request(s, K, w, 0)
      expect(t.actions).toEqual([])
      s = t.state
    }
    t = Pool.dialedShared(s, K, 0, 7)
    expect(tags(t)).toEqual(["Deliver w1 c7", "Deliver w2 c7", "Deliver w3 c7"])
    s = t.state
    // A request that cannot go on the session (it is full, or needs a new one) waits: the session holds the one slot.
    t = Pool.request(s, K, 4, 1)
    expect(t.actions).toEqual([])
    s = t.state
    t = Pool.release(s, K, 7, false, 2)
    expect(tags(t)).toEqual(["Close c7 not-reusable", "Dial d1 w4"])
    expect(Pool.connsPerHost(t.state, K)).toBe(1)
  })

  it("serveShared hands a session's freed stream to the first waiter, keeping the count", () => {
    let s = Pool.make(config(1))
    s = Pool.request(s, K, 1, 0).state
    s = Pool.dialedShared(s, K, 0, 9).state
    s = Pool.request(s, K, 2, 0).state
    s = Pool.request(s, K, 3, 0).state
    const t = Pool.serveShared(s, K, 9)
    expect(tags(t)).toEqual(["Deliver w2 c9"])
    expect(Pool.waiting(t.state, K)).toEqual([3])
    expect(Pool.activeCount(t.state, K)).toBe(1)
    expect(Pool.serveShared(Pool.make(config()), K, 9).actions).toEqual([])
  })

  it("an extra dial dropped while requests wait starts dials for them (within the limit)", () => {
    let s = Pool.make(config(2))
    for (const w of [1, 2, 3]) s = Pool.request(s, K, w, 0).state
    expect(Pool.dialing(s, K).length).toBe(2)
    const t = Pool.dialDropped(s, K, 0)
    expect(tags(t)).toEqual(["Dial d2 w1"])
  })
})
