/**
 * `npm run bench:server`: our `Server` against `node:http`'s `http.createServer`,
 * @effect/platform-node's `NodeHttpServer` with an `HttpRouter`, and a raw `node:net` server
 * that answers without parsing (a reference ceiling), all serving the same `GET /` hello world
 * (200, `text/plain`, the 13-byte body `Hello, World!` with a Content-Length, keep-alive).
 *
 * Every peer run is a fresh server process (bench/server/run-<peer>.ts, compiled by esbuild
 * into bench/.build like bench/client's runners and run by plain `node`) started with `PORT=0`;
 * the harness waits for its `listening http://127.0.0.1:<port>` line, checks one `GET /`, and
 * loads it with wrk in its own process: a `BENCH_WARMUP_SECONDS` (1) warm-up run, then a
 * measured `wrk -t1 -c<C> -d<BENCH_SECONDS>s --latency` run (3 s), whose Requests/sec and
 * 50/75/90/99% latencies are kept. The server is then killed by its PID.
 *
 * Cases: `c50` (50 connections, nothing pinned) and `c1-pinned` (1 connection, the server and
 * wrk both pinned to CPU 0 with `taskset -c 0`). Each case runs `BENCH_ROUNDS` (3) rounds, each
 * round every peer once in order; the table shows median req/s, every round's req/s and the
 * median latency percentiles, and the last lines are `ratio server/<case> <ours/node:http>`
 * (`n/a` when either has no figure). `BENCH_PEERS` and `BENCH_CASES` (comma lists) select
 * subsets. A peer whose process fails (does not compile, exits, never prints its line, answers
 * wrongly, dies under load) is reported (first lines of its stderr) and skipped for the rest of
 * the case. wrk must be installed (`apt-get install -y wrk`; tried automatically as root).
 */
import { killOnExit, roundsFromEnv, select } from "./harness.js"
import { spawnSync } from "node:child_process"
import { measureSeconds, warmupSeconds } from "./client/common.js"
import { loadServer, type RunOutcome } from "./server/load.js"
import { firstLines, killAll, type RunningServer, startServer } from "./server/processes.js"
import { BASELINE, type CaseResults, ratioLines, table } from "./server/report.js"
import { ensureWrk } from "./server/wrk.js"
import type { WrkResult } from "./server/wrk-output.js"

interface Peer {
  readonly name: string
  readonly script: string
}

interface Case {
  readonly name: string
  readonly connections: number
  /**
   * wrk's threads. c50 uses one: on a 2-CPU machine the server (one Node thread) keeps one CPU
   * busy and wrk -t1 the other; -t2 adds a wrk thread that competes with the server for its CPU
   * and gave node:http no higher figure (7 alternating 3 s runs: medians 61k with -t1, 62k with
   * -t2, within the run-to-run noise; -t1 had the best single runs, 69k–70k).
   */
  readonly threads: number
  /** Server and wrk pinned together to CPU 0. */
  readonly pinned: boolean
}

const PEERS: ReadonlyArray<Peer> = [
  { name: "ours", script: "bench/server/run-ours.ts" },
  { name: "node:http", script: "bench/server/run-nodehttp.ts" },
  { name: "effect-platform", script: "bench/server/run-effect-platform.ts" },
  { name: "ours-platform", script: "bench/server/run-ours-platform.ts" },
  { name: "raw", script: "bench/server/run-raw.ts" }
]

const CASES: ReadonlyArray<Case> = [
  { name: "c50", connections: 50, threads: 1, pinned: false },
  { name: "c1-pinned", connections: 1, threads: 1, pinned: true }
]

const rounds = roundsFromEnv()
const peers = select(PEERS, process.env.BENCH_PEERS, "peers")
const cases = select(CASES, process.env.BENCH_CASES, "cases")
const warmup = warmupSeconds()
const measure = measureSeconds()

killOnExit(killAll)

const progress = (s: string) => process.stderr.write(s + "\n")

/** Loads an already started server: the probe, the warm-up run, the measured run. */
const load = (c: Case, server: RunningServer): Promise<RunOutcome> =>
  loadServer(server, { threads: c.threads, connections: c.connections, pinned: c.pinned, warmupSeconds: warmup, measureSeconds: measure }, "the server process")

/** One peer run: a fresh server process, loaded, then killed. */
const runOnce = async (c: Case, peer: Peer): Promise<RunOutcome> => {
  const started = await startServer(peer.script, c.pinned)
  if (!started.ok) return { ok: false, reason: started.reason, details: started.stderr }
  try {
    return await load(c, started.server)
  } finally {
    await started.server.stop()
  }
}

const notes: Array<string> = []

/** Runs every round of one case, returning each peer's results. */
const runCase = async (c: Case, reported: Set<string>): Promise<CaseResults> => {
  const byPeer = new Map<string, Array<WrkResult>>(peers.map((p) => [p.name, []]))
  const failed = new Set<string>()
  for (let round = 1; round <= rounds; round++) {
    for (const peer of peers) {
      if (failed.has(peer.name)) continue
      const outcome = await runOnce(c, peer)
      const label = `${c.name} round ${round}/${rounds} ${peer.name}`
      if (outcome.ok) {
        const r = outcome.result
        byPeer.get(peer.name)!.push(r)
        progress(`  ${label}: ${r.requestsPerSecond.toFixed(0)} req/s, p50 ${r.latencyMs.p50.toFixed(3)} ms, p99 ${r.latencyMs.p99.toFixed(3)} ms`)
        if (r.socketErrors > 0 || r.non2xx3xx > 0) {
          const note = `${label}: wrk saw ${r.socketErrors} socket error(s) and ${r.non2xx3xx} non-2xx/3xx response(s)`
          notes.push(note)
          progress(`    ! ${note}`)
        }
        continue
      }
      failed.add(peer.name)
      byPeer.set(peer.name, [])
      progress(`  ${label}: FAILED (${outcome.reason}); skipped for the rest of ${c.name}`)
      if (!reported.has(peer.name)) {
        reported.add(peer.name)
        for (const line of firstLines(outcome.details, 8)) progress(`    | ${line}`)
      }
    }
  }
  return { name: c.name, byPeer }
}

const wrkVersion = (): string => {
  const out = spawnSync("wrk", ["-v"], { encoding: "utf8" })
  return firstLines(`${out.stdout ?? ""}\n${out.stderr ?? ""}`, 1)[0]?.split(" [")[0] ?? "wrk"
}

const main = async (): Promise<void> => {
  ensureWrk()
  progress(`server benchmark: ${peers.map((p) => p.name).join(", ")} on ${cases.map((c) => c.name).join(", ")}`)
  const reported = new Set<string>()
  const results: Array<CaseResults> = []
  for (const c of cases) results.push(await runCase(c, reported))

  console.log(
    `server benchmark: node ${process.version}, ${wrkVersion()}, ${rounds} interleaved round(s) per case, ` +
      `${warmup} s warm-up + ${measure} s measured per run, each run a fresh server process, medians`
  )
  for (const c of cases) {
    const where = c.pinned ? "server and wrk both on CPU 0 (taskset -c 0)" : "nothing pinned"
    console.log(`${c.name}: wrk -t${c.threads} -c${c.connections} --latency, ${where}`)
  }
  console.log("")
  for (const line of table(results, peers.map((p) => p.name))) console.log(line)
  if (notes.length > 0) {
    console.log("")
    for (const note of notes) console.log(`note: ${note}`)
  }
  console.log("")
  if (!peers.some((p) => p.name === BASELINE)) progress(`(no ${BASELINE} peer selected: the ratios are n/a)`)
  for (const line of ratioLines(results)) console.log(line)
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error))
    process.exit(1)
  }
)
