/**
 * The soak's pure parts: the kinds' encoding and the retry rule, the accounting over a ledger
 * (lost, answered twice, documented retries, typed failures vs defects), the return-to-baseline
 * check, the pool-limit check, and the SVG plot (well-formed, three series, the load-stop marker).
 */
import { describe, expect, it } from "@effect/vitest"
import { account, accountedFor } from "../../reliability/soak/accounting.js"
import { withinBaseline } from "../../reliability/soak/baseline.js"
import { dataHeap } from "../../reliability/soak/evaluate.js"
import { CONNS, decodeKind, encodeKind, type Kind, READS, retryAllowed, ROUTES } from "../../reliability/soak/kinds.js"
import { Ledger, Outcome } from "../../reliability/soak/ledger.js"
import { poolViolations } from "../../reliability/soak/limits.js"
import { renderSvg, ticks } from "../../reliability/soak/svg.js"

const get: Kind = { conn: "keep-alive", route: "small", read: "whole", interrupt: false }
const freshGet: Kind = { ...get, conn: "fresh" }
const post: Kind = { ...get, route: "echo" }

/** A ledger with one request per entry: its kind, sends, handler starts, and recorded outcomes. */
const ledgerOf = (entries: ReadonlyArray<{ kind: Kind; sent: number; starts: number; outcomes: ReadonlyArray<Outcome>; misrouted?: boolean }>): Ledger => {
  const l = new Ledger(entries.length)
  for (const e of entries) {
    const id = l.issue(encodeKind(e.kind))!
    for (let i = 0; i < e.sent; i++) l.sentOnce(id)
    for (let i = 0; i < e.starts; i++) l.started(id)
    for (const o of e.outcomes) l.record(id, o, e.misrouted ?? false)
  }
  return l
}

describe("soak kinds", () => {
  it("every kind survives encode and decode, in one byte", () => {
    for (const conn of CONNS) {
      for (const route of ROUTES) {
        for (const read of READS) {
          for (const interrupt of [false, true]) {
            const k: Kind = { conn, route, read, interrupt }
            const code = encodeKind(k)
            expect(code).toBeLessThan(256)
            expect(decodeKind(code)).toEqual(k)
          }
        }
      }
    }
  })

  it("the retry rule: only replayable requests on the keep-alive Transport", () => {
    expect(retryAllowed(get)).toBe(true)
    expect(retryAllowed(freshGet)).toBe(false)
    expect(retryAllowed(post)).toBe(false)
  })
})

describe("soak accounting", () => {
  it("a healthy ledger: successes, typed failures and our interruptions, each once", () => {
    const a = account(ledgerOf([
      { kind: get, sent: 1, starts: 1, outcomes: [Outcome.ok] },
      { kind: freshGet, sent: 1, starts: 1, outcomes: [Outcome.failed] },
      { kind: post, sent: 1, starts: 0, outcomes: [Outcome.interrupted] },
      { kind: get, sent: 0, starts: 0, outcomes: [Outcome.failed] }
    ]))
    expect(a).toMatchObject({ issued: 4, ok: 1, failed: 2, interrupted: 1, defects: 0, lost: 0, duplicated: 0, retried: 0 })
    expect(accountedFor(a)).toBe(true)
  })

  it("lost: no outcome recorded, or hung past the guard time", () => {
    const a = account(ledgerOf([
      { kind: get, sent: 1, starts: 1, outcomes: [] },
      { kind: get, sent: 1, starts: 1, outcomes: [Outcome.hung] },
      { kind: get, sent: 1, starts: 1, outcomes: [Outcome.ok] }
    ]))
    expect(a.lost).toBe(2)
    expect(a.examples.lost).toEqual([0, 1])
    expect(accountedFor(a)).toBe(false)
  })

  it("a documented retry (GET, keep-alive, sent twice, handler started twice) is not a duplicate", () => {
    const a = account(ledgerOf([{ kind: get, sent: 2, starts: 2, outcomes: [Outcome.ok] }]))
    expect(a).toMatchObject({ duplicated: 0, retried: 1, retriedHandlerStarts: 1 })
    expect(accountedFor(a)).toBe(true)
  })

  it("answered twice: sent or started twice outside the retry rule, more starts than sends, two outcomes, another's answer", () => {
    const a = account(ledgerOf([
      { kind: freshGet, sent: 2, starts: 1, outcomes: [Outcome.ok] }, // keep-alive off: never retried
      { kind: post, sent: 1, starts: 2, outcomes: [Outcome.ok] }, // a POST started twice
      { kind: get, sent: 1, starts: 2, outcomes: [Outcome.ok] }, // the server saw it more often than it was sent
      { kind: get, sent: 1, starts: 1, outcomes: [Outcome.ok, Outcome.failed] }, // two outcomes
      { kind: get, sent: 1, starts: 1, outcomes: [Outcome.ok], misrouted: true }, // another request's answer
      { kind: get, sent: 1, starts: 1, outcomes: [Outcome.ok] }
    ]))
    expect(a.duplicated).toBe(5)
    expect(a.examples.duplicated).toEqual([0, 1, 2, 3, 4])
    expect(accountedFor(a)).toBe(false)
  })

  it("typed failures pass, defects fail; a success with no handler start is answered from nowhere", () => {
    const typed = account(ledgerOf([{ kind: get, sent: 1, starts: 1, outcomes: [Outcome.failed] }]))
    expect(accountedFor(typed)).toBe(true)
    const defect = account(ledgerOf([{ kind: get, sent: 1, starts: 1, outcomes: [Outcome.defect] }]))
    expect(defect).toMatchObject({ defects: 1, examples: { defects: [0] } })
    expect(accountedFor(defect)).toBe(false)
    const nowhere = account(ledgerOf([{ kind: get, sent: 1, starts: 0, outcomes: [Outcome.ok] }]))
    expect(nowhere.answeredWithoutHandler).toBe(1)
    expect(accountedFor(nowhere)).toBe(false)
  })

  it("the ledger refuses ids past its capacity and ignores handler starts of ids it never issued", () => {
    const l = new Ledger(1)
    expect(l.issue(encodeKind(get))).toBe(0)
    expect(l.issue(encodeKind(get))).toBeUndefined()
    expect(l.started(5)).toBe(false)
    expect(l.started(Number.NaN)).toBe(false)
    expect(l.started(0)).toBe(true)
  })
})

describe("soak baseline check", () => {
  it("within 5 % plus the slack passes; beyond fails; lower always passes", () => {
    expect(withinBaseline("heap", 100, 105, 0.05, 0).passed).toBe(true)
    expect(withinBaseline("heap", 100, 105.1, 0.05, 0).passed).toBe(false)
    expect(withinBaseline("heap", 100, 80, 0.05, 0).passed).toBe(true)
    // a tiny baseline: 30 fds, 5 % is 1.5; the slack of 2 lets 33 pass and 34 fail
    expect(withinBaseline("fds", 30, 33, 0.05, 2).passed).toBe(true)
    expect(withinBaseline("fds", 30, 34, 0.05, 2).passed).toBe(false)
    const v = withinBaseline("heap", 200, 220, 0.05, 0)
    expect(v).toMatchObject({ baseline: 200, after: 220, limit: 210, passed: false })
    expect(v.growth).toBeCloseTo(0.1)
  })

  it("the heap is judged without compiled code: code grown after the baseline does not count, data does", () => {
    const sample = (heap: number, code: number, bytecode: number) =>
      ({ heap, spaces: { code_and_metadata: code, bytecode_and_metadata: bytecode } }) as unknown as Parameters<typeof dataHeap>[0]
    const base = dataHeap(sample(100, 10, 5))
    expect(base).toBe(85)
    // +10 of the heap, all of it code: the data is back.
    expect(withinBaseline("heap", base, dataHeap(sample(110, 18, 7)), 0.05, 0).passed).toBe(true)
    // +10 of the heap, all of it data: 95 against 85 fails.
    expect(withinBaseline("heap", base, dataHeap(sample(110, 10, 5)), 0.05, 0).passed).toBe(false)
    // No code statistics: the whole heap.
    expect(dataHeap({ heap: 42 } as unknown as Parameters<typeof dataHeap>[0])).toBe(42)
  })
})

describe("soak pool limits", () => {
  const limits = { maxConnsPerHost: 4, maxIdleConnsPerHost: 2, maxIdleConns: 2 }
  const host = (idle: number, active: number, dialing: number) => ({ idle, active, dialing, waiting: 0, h2Sessions: 0, h2Streams: 0 })
  const stats = (hosts: Record<string, ReturnType<typeof host>>) => {
    const all = Object.values(hosts)
    const sum = (f: (h: ReturnType<typeof host>) => number) => all.reduce((s, h) => s + f(h), 0)
    return { idle: sum((h) => h.idle), active: sum((h) => h.active), dialing: sum((h) => h.dialing), waiting: 0, open: 0, dials: 0, reuses: 0, hosts }
  }

  it("at the limits is fine; one over a limit is named", () => {
    expect(poolViolations(stats({ "http://a:1": host(2, 1, 1) }), limits)).toEqual([])
    expect(poolViolations(stats({ "http://a:1": host(1, 3, 1) }), limits)).toEqual(["http://a:1: dialing 1 + active 3 + idle 1 = 5 > maxConnsPerHost 4"])
    expect(poolViolations(stats({ "http://a:1": host(3, 0, 0) }), limits)).toEqual(["idle 3 > maxIdleConns 2", "http://a:1: idle 3 > maxIdleConnsPerHost 2"])
  })
})

describe("soak plot", () => {
  const points = Array.from({ length: 12 }, (_, i) => ({ t: i * 5, rssMiB: 200 + i, heapMiB: 30 + (i % 3), fds: 26 + (i < 10 ? 40 : 0) }))
  const svg = renderSvg({ title: "Soak <test> & plot", points, loadStart: 10, loadStop: 45, baseline: { heapMiB: 30, fds: 26 } })

  it("is a well-formed SVG document with the three series, the baselines and the load markers", () => {
    expect(svg.startsWith("<svg xmlns=\"http://www.w3.org/2000/svg\"")).toBe(true)
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true)
    // every element closed: as many opening <g> as closing, and every other tag self-closed or closed
    const opened = (svg.match(/<(g|svg|text)[\s>]/g) ?? []).length
    const closed = (svg.match(/<\/(g|svg|text)>/g) ?? []).length
    expect(opened).toBe(closed)
    expect(svg).not.toMatch(/NaN|undefined|Infinity/)
    for (const id of ["series-rss", "series-heap", "series-fds", "load-stop", "load-start"]) expect(svg).toContain(`id="${id}"`)
    expect(svg).toContain("load stops")
    expect(svg).toContain("RSS (MiB)")
    expect(svg).toContain("heap after GC (MiB)")
    expect(svg).toContain("open fds (fds)")
    expect(svg).toContain("time since the soak started (s)")
    expect((svg.match(/class="baseline"/g) ?? []).length).toBe(2)
    expect(svg).toContain("Soak &lt;test&gt; &amp; plot")
  })

  it("each series has a point per sample", () => {
    for (const id of ["series-rss", "series-heap", "series-fds"]) {
      const m = new RegExp(`id="${id}"[^>]*points="([^"]*)"`).exec(svg)
      expect(m?.[1]?.split(" ").length).toBe(points.length)
    }
  })

  it("puts the load-stop marker at its time on the x-axis", () => {
    const x = (id: string) => Number(new RegExp(`id="${id}" x1="([0-9.]+)"`).exec(svg)?.[1])
    // 45 s of 55 s across the 800 px plot starting at x = 80
    expect(x("load-stop")).toBeCloseTo(80 + (45 / 55) * 800, 0)
    expect(x("load-start")).toBeLessThan(x("load-stop"))
  })

  it("ticks are round and cover the range", () => {
    expect(ticks(0, 60, 6)).toEqual([0, 10, 20, 30, 40, 50, 60])
    expect(ticks(31.2, 33.9, 6)).toEqual([31.5, 32, 32.5, 33, 33.5])
    expect(ticks(31.2, 33.9, 4)).toEqual([32, 33])
    expect(ticks(5, 5)).toEqual([5])
  })
})
