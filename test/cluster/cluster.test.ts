/**
 * `Cluster.runMain` end to end (issue 23): test/fixtures/clusterApp.ts run as a child process
 * (a primary and its workers on 127.0.0.1, port 0), loaded by at most 20 requests in flight
 * over a keep-alive agent. Every child is killed by its PID after each test.
 */
import { afterEach, describe, expect, it } from "vitest"
import { type ClusterProcess, freePort, killAllStarted, Load, readyPids, sleep, startCluster, startedIds, waitFor, waitReady } from "./clusterProcess.js"
import * as http from "node:http"
import { get } from "./clusterProcess.js"

afterEach(() => {
  killAllStarted()
})

/**
 * Sends SIGUSR2 to the primary and expects a stats line from each of `pids` whose accepted
 * connections add up to `accepted`.
 */
const expectStats = async (p: ClusterProcess, pids: ReadonlyArray<number>, accepted: number): Promise<void> => {
  process.kill(p.pid, "SIGUSR2")
  const lines = await waitFor(() => {
    const got = [...p.stdout().matchAll(/stats worker \d+ pid (\d+): (\d+) connections \((\d+) idle\), (\d+) accepted/g)]
    return got.length >= 2 ? got : undefined
  }, 5_000, "two stats lines")
  expect(new Set(lines.map((m) => Number(m[1])))).toEqual(new Set(pids))
  expect(lines.reduce((n, m) => n + Number(m[4]), 0)).toBe(accepted)
}

/** Sends `n` requests one after the other on a fresh agent; the pids that answered. */
const pidsOf = async (port: number, n: number): Promise<Array<string>> => {
  const agent = new http.Agent({ keepAlive: false })
  const pids: Array<string> = []
  try {
    for (let i = 0; i < n; i++) {
      const o = await get(agent, port, `probe${i}`, 0)
      expect(o.ok, JSON.stringify(o)).toBe(true)
      if (o.ok) pids.push(o.body)
    }
  } finally {
    agent.destroy()
  }
  return pids
}

describe("Cluster.runMain", { timeout: 30_000 }, () => {
  it("2 workers share one port and both answer; SIGUSR2 gathers both workers' stats", async () => {
    const p = startCluster({ WORKERS: "2" })
    const { port, pids } = await waitReady(p, 2)
    expect(new Set(pids).size).toBe(2)
    // Round-robin scheduling: new connections alternate between the workers.
    const answered = await pidsOf(port, 8)
    expect(new Set(answered)).toEqual(new Set(pids.map(String)))
    // Each worker accepted its share of the 8 connections.
    await expectStats(p, pids, 8)
    process.kill(p.pid, "SIGTERM")
    expect((await p.exited).code).toBe(0)
  })

  it("a worker SIGKILLed under load is replaced; only requests in flight on it may fail, at the connection level", async () => {
    const p = startCluster({ WORKERS: "2" })
    const { port, pids } = await waitReady(p, 2)
    // A connection node:cluster's primary was handing to the worker when it died stays open in
    // the primary with nobody to answer (round_robin_handle.js waits for the dead worker's ack):
    // its request ends by the client's timeout, 3 s here.
    const load = new Load(port, 20, 5, 3_000)
    await sleep(1_000)
    const inFlightAtKill = load.inFlight
    process.kill(pids[0]!, "SIGKILL")
    const replacement = await waitFor(() => readyPids(p.stdout())[2], 15_000, "a replacement worker")
    await sleep(1_000)
    await load.stop()
    console.log(`SIGKILL under load: ${load.answered.length} answered, ${load.failed.length} failed ${JSON.stringify(load.failed.map((f) => f.error))}, ${inFlightAtKill} in flight at the kill`)
    expect(pids).not.toContain(replacement)
    expect(load.answered.length).toBeGreaterThan(50)
    expect(load.answered.every((o) => o.status === 200)).toBe(true)
    expect(load.failed.length).toBeLessThanOrEqual(inFlightAtKill)
    for (const f of load.failed) expect(f.error).toMatch(/^(ECONNRESET|EPIPE|ECONNREFUSED|socket hang up|timeout|response: .*)$/)
    expect(await pidsOf(port, 4)).toContain(String(replacement))
    expect(p.stdout()).toMatch(new RegExp(`pid ${pids[0]}\\) exited with signal SIGKILL; restarting in \\d+ ms`))
    process.kill(p.pid, "SIGTERM")
    expect((await p.exited).code).toBe(0)
  })

  it("SIGTERM under load: every request whose handler started is answered, and the primary exits 0", async () => {
    const p = startCluster({ WORKERS: "2", SHUTDOWN_TIMEOUT_MS: "5000" })
    const { port, pids } = await waitReady(p, 2)
    const load = new Load(port, 20, 50)
    await sleep(1_500)
    process.kill(p.pid, "SIGTERM")
    const exit = await Promise.race([p.exited, sleep(15_000).then(() => "timeout" as const)])
    await load.stop()
    expect(exit).toEqual({ code: 0, signal: null })
    const started = startedIds(p.stdout())
    const answered = new Set(load.answered.map((o) => o.id))
    expect(started.size).toBeGreaterThan(100)
    const lost = [...started].filter((id) => !answered.has(id))
    console.log(`SIGTERM under load: ${started.size} started, ${load.answered.length} answered, ${load.failed.length} failed (never started), ${lost.length} lost`)
    expect(lost).toEqual([])
    expect(load.answered.every((o) => o.status === 200 && pids.map(String).includes(o.body))).toBe(true)
    expect(p.stdout()).toContain("every worker stopped cleanly")
  })

  it("SIGHUP under load: zero failed requests, and every old worker replaced by a new one", async () => {
    const p = startCluster({ WORKERS: "2" })
    const { port, pids: olds } = await waitReady(p, 2)
    const load = new Load(port, 20, 10)
    await sleep(1_000)
    process.kill(p.pid, "SIGHUP")
    await waitFor(() => (p.stdout().includes("reload: done") ? true : undefined), 20_000, "the reload's end")
    await sleep(500)
    await load.stop()
    console.log(`SIGHUP under load: ${load.answered.length} answered, ${load.failed.length} failed`)
    expect(load.failed).toEqual([])
    expect(load.answered.every((o) => o.status === 200)).toBe(true)
    expect(load.answered.length).toBeGreaterThan(100)
    const news = readyPids(p.stdout()).slice(2)
    expect(news).toHaveLength(2)
    for (const pid of news) expect(olds).not.toContain(pid)
    const after = await pidsOf(port, 6)
    expect(new Set(after)).toEqual(new Set(news.map(String)))
    // The answers during the reload came from old and new workers.
    const bodies = new Set(load.answered.map((o) => o.body))
    expect(bodies.has(String(olds[0])) && bodies.has(String(news[1]))).toBe(true)
    process.kill(p.pid, "SIGTERM")
    expect((await p.exited).code).toBe(0)
  })

  it("the @effect/platform layer runs on 2 workers too; the stats of the Server under it are gathered", async () => {
    // The port is chosen here (the fixture passes it to the platform layer).
    const p = startCluster({ WORKERS: "2", PLATFORM: "1", PORT: String(await freePort()) })
    const { port, pids } = await waitReady(p, 2)
    expect(new Set(await pidsOf(port, 6))).toEqual(new Set(pids.map(String)))
    await expectStats(p, pids, 6)
    process.kill(p.pid, "SIGTERM")
    expect((await p.exited).code).toBe(0)
  })

  it("SIGTERM while the workers are still building their Layer: the builds are interrupted, exit 0 at once", async () => {
    const p = startCluster({ WORKERS: "2", SLOW_START_MS: "20000", SHUTDOWN_TIMEOUT_MS: "5000" })
    await waitFor(() => ((p.stdout().match(/^building \d+$/gm) ?? []).length >= 2 ? true : undefined), 15_000, () => `two building lines (${p.stdout()})`)
    const began = Date.now()
    process.kill(p.pid, "SIGTERM")
    const exit = await Promise.race([p.exited, sleep(15_000).then(() => "timeout" as const)])
    expect(exit).toEqual({ code: 0, signal: null })
    // Well within the 5 s + 2 s the primary would wait before killing a worker.
    expect(Date.now() - began).toBeLessThan(5_000)
    expect(readyPids(p.stdout())).toEqual([])
  })

  it("a worker that exits at start: the primary stops with a crash-loop message and exit 1, in bounded time", async () => {
    const began = Date.now()
    const p = startCluster({ WORKERS: "2", CRASH: "1", MAX_CRASHES: "3" })
    const exit = await Promise.race([p.exited, sleep(25_000).then(() => "timeout" as const)])
    expect(exit).toEqual({ code: 1, signal: null })
    expect(Date.now() - began).toBeLessThan(25_000)
    expect(p.stdout()).toMatch(/workers crashed 4 times within 60000 ms \(the last, pid \d+, exited with code 3\): a crash loop, giving up/)
    expect(p.stdout()).toMatch(/exited with code 3; restarting in 50 ms/)
  })
})
