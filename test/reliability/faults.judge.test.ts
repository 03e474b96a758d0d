/**
 * The faults and shutdown parts' pure judging: probe samples summed up and held against a bar,
 * recovery, fds, the accounting of a shutdown (answered = started, ids matched, typed
 * failures, wrk + ours = the server's answers), the counts line, and the sizes' scaling.
 */
import { describe, expect, it } from "@effect/vitest"
import { judgeExit, judgeFds, judgeProbe, judgeRecovery, judgeShutdown, type ProbeSample, probeStats, type ShutdownAccounting } from "../../reliability/faults/judge.js"
import { countsLine, idOf, parseCounts, parseInflight } from "../../reliability/shutdown/counts.js"
import { scaleSizes, SIZES } from "../../reliability/parts/faults.js"
import { listenOverflows, overflowFigure } from "../../reliability/faults/listenOverflows.js"

const sample = (ok: boolean, ms: number, error?: string): ProbeSample => (error === undefined ? { at: 0, ok, ms } : { at: 0, ok, ms, error })

describe("probe stats and bars", () => {
  it("sums up successes, the worst successful answer and the first failure", () => {
    const s = probeStats([sample(true, 5), sample(false, 1000, "no answer within 1000 ms"), sample(true, 40), sample(false, 3, "ECONNRESET")])
    expect(s).toEqual({ attempts: 4, ok: 2, successRate: 0.5, worstMs: 40, firstError: "no answer within 1000 ms" })
    expect(probeStats([])).toMatchObject({ attempts: 0, successRate: 1 })
  })

  it("passes at the bar and fails below it, naming the first failure", () => {
    const nineteen = [...Array.from({ length: 19 }, () => sample(true, 2)), sample(false, 1000, "timeout")]
    expect(judgeProbe("p", probeStats(nineteen), 0.95).passed).toBe(true)
    const bad = judgeProbe("p", probeStats([...nineteen, sample(false, 1000, "timeout")]), 0.95)
    expect(bad.passed).toBe(false)
    expect(bad.reason).toContain("19/21")
    expect(bad.reason).toContain("timeout")
  })

  it("needs a few attempts before it judges, unless the bar is 0", () => {
    expect(judgeProbe("p", probeStats([sample(true, 1)]), 0.95).passed).toBe(false)
    expect(judgeProbe("p", probeStats([]), 0, 0).passed).toBe(true)
  })

  it("judges recovery and fds", () => {
    expect(judgeRecovery("r", 0, 2000).passed).toBe(true)
    expect(judgeRecovery("r", undefined, 2000).reason).toContain("no answer within 2000 ms")
    expect(judgeRecovery("r", 2500, 2000).passed).toBe(false)
    expect(judgeFds("f", 20, 22).passed).toBe(true)
    expect(judgeFds("f", 20, 30).reason).toContain("leak of 10")
    expect(judgeFds("f", undefined, 20).passed).toBe(false)
  })
})

describe("shutdown accounting", () => {
  const clean: ShutdownAccounting = {
    started: 10,
    answered: 10,
    startedIds: ["a", "b"],
    ours: [{ id: "a", ok: true, typed: true }, { id: "b", ok: true, typed: true }, { id: "c", ok: false, typed: true, error: "TransportError dial/refused" }],
    wrkRequests: 8
  }

  it("passes when every started handler was answered and the clients saw them all", () => {
    expect(judgeShutdown("x", clean).every((c) => c.passed)).toBe(true)
  })

  it("fails on a lost answer, counting it", () => {
    const checks = judgeShutdown("x", { ...clean, answered: 9, wrkRequests: 7 })
    expect(checks.find((c) => c.name.includes("answered = started"))?.reason).toContain("1 lost")
  })

  it("fails when a request of ours whose handler started did not get its answer, naming it", () => {
    const checks = judgeShutdown("x", { ...clean, startedIds: ["a", "b", "c"] })
    const lost = checks.find((c) => c.name.includes("our client whose handler started"))
    expect(lost?.passed).toBe(false)
    expect(lost?.reason).toContain("c")
  })

  it("fails on an untyped failure and on clients' answers that do not add up", () => {
    const checks = judgeShutdown("x", { ...clean, ours: [...clean.ours, { id: "d", ok: false, typed: false, error: "defect" }], wrkRequests: 9 })
    expect(checks.filter((c) => !c.passed).map((c) => c.name)).toEqual([
      "x: our client's failures are typed errors",
      "x: answers received (wrk + our client) = answers the server wrote"
    ])
  })

  it("judges the exit: code 0 within the limit", () => {
    expect(judgeExit("x", 0, null, 150, 12000).every((c) => c.passed)).toBe(true)
    expect(judgeExit("x", null, "SIGKILL", undefined, 12000).map((c) => c.passed)).toEqual([false, false])
  })

  it("reads the counts and in-flight lines back and ids out of queries", () => {
    const c = { started: 3, answered: 3, startedIds: ["r1-0-1"], shutdownMs: 12 }
    expect(parseCounts(`listening http://127.0.0.1:1\ninflight 2\n${countsLine(c)}`)).toEqual(c)
    expect(parseInflight("inflight 2\n")).toBe(2)
    expect(parseCounts("nothing")).toBeUndefined()
    expect(idOf("x=1&id=r1-2-3")).toBe("r1-2-3")
    expect(idOf(undefined)).toBeUndefined()
  })
})

describe("sizes", () => {
  it("are the issue's figures in the full run and scale with --count", () => {
    expect(SIZES.full).toMatchObject({ slowloris: 500, idle: 5000, churn: 10000, fdConnections: 400 })
    expect(scaleSizes(SIZES.quick, 200)).toMatchObject({ churn: 200, slowloris: 10, idle: 100, fdConnections: 300 })
  })
})

describe("listen queue overflows (the kernel's TcpExt counter)", () => {
  it("reads a number on Linux; the figure is the difference, or - when a reading is missing", () => {
    const now = listenOverflows()
    if (process.platform === "linux") expect(Number.isSafeInteger(now)).toBe(true)
    expect(overflowFigure(10, 57)).toEqual(["listen queue overflows (kernel, handshakes dropped)", "47"])
    expect(overflowFigure(undefined, 57)[1]).toBe("-")
    expect(overflowFigure(3, undefined)[1]).toBe("-")
  })
})
