/**
 * `npm run bench:cluster` (issue 23): our `Server` run by `Cluster.runMain` in 2 worker
 * processes against node:http's `http.createServer` under `node:cluster` with 2 workers, both
 * answering the bench:server hello world (ours written the README way), and ours with 2
 * workers against ours with 1 (the scaling factor).
 *
 * The harness is bench:server's: every peer run is a fresh process tree (bench/server/run-*.ts
 * compiled by esbuild, run by plain node with `PORT=0` and `CLUSTER_WORKERS`), whose primary
 * prints `listening http://127.0.0.1:<port>` once every worker listens; one `GET /` probe, a
 * `BENCH_WARMUP_SECONDS` (1) warm-up, a measured `wrk -t1 -c50 -d<BENCH_SECONDS>s --latency`
 * run (3 s); then the primary gets SIGTERM (SIGKILL after 2 s) and its workers stop with it.
 * `BENCH_ROUNDS` (3) rounds, each running every peer once in order (interleaved); medians.
 *
 * The last lines: `ratio cluster/server <ours/node:http>` (both with 2 workers) and
 * `scaling ours 2 workers/1 worker <x>`. On a machine with 2 CPUs, wrk itself needs most of
 * one: two workers share the other with wrk's leftovers and with the primary, so the scaling
 * factor shows what a second worker brings under that contention, not how the cluster scales
 * with free cores (on 4+ CPUs with wrk pinned apart, 2 workers would be expected near 2×).
 */
import { spawnSync } from "node:child_process"
import { killOnExit, roundsFromEnv, select } from "./harness.js"
import { measureSeconds, warmupSeconds } from "./client/common.js"
import { loadServer, type RunOutcome } from "./server/load.js"
import { firstLines, killAll, type RunningServer, startServer } from "./server/processes.js"
import { type CaseResults, ratio, table } from "./server/report.js"
import { ensureWrk } from "./server/wrk.js"
import type { WrkResult } from "./server/wrk-output.js"

interface Peer {
  readonly name: string
  readonly script: string
  readonly workers: number
}

const PEERS: ReadonlyArray<Peer> = [
  { name: "ours", script: "bench/server/run-ours-cluster.ts", workers: 2 },
  { name: "node:http", script: "bench/server/run-nodehttp-cluster.ts", workers: 2 },
  { name: "ours-1-worker", script: "bench/server/run-ours-cluster.ts", workers: 1 }
]

const CONNECTIONS = 50
const rounds = roundsFromEnv()
const peers = select(PEERS, process.env.BENCH_PEERS, "peers")
const warmup = warmupSeconds()
const measure = measureSeconds()

killOnExit(killAll)

const progress = (s: string) => process.stderr.write(s + "\n")

/** Loads a started server: the probe, the warm-up run, the measured run. */
const load = (server: RunningServer): Promise<RunOutcome> =>
  loadServer(server, { threads: 1, connections: CONNECTIONS, pinned: false, warmupSeconds: warmup, measureSeconds: measure }, "the primary")

/** One peer run: a fresh primary and its workers, loaded, then stopped. */
const runOnce = async (peer: Peer): Promise<RunOutcome> => {
  // startServer passes this process's environment on (with PORT=0).
  process.env.CLUSTER_WORKERS = String(peer.workers)
  const started = await startServer(peer.script, false)
  if (!started.ok) return { ok: false, reason: started.reason, details: started.stderr }
  try {
    return await load(started.server)
  } finally {
    await started.server.stop()
  }
}

const main = async (): Promise<void> => {
  ensureWrk()
  progress(`cluster benchmark: ${peers.map((p) => `${p.name} (${p.workers} worker(s))`).join(", ")}, wrk -c${CONNECTIONS}`)
  const byPeer = new Map<string, Array<WrkResult>>(peers.map((p) => [p.name, []]))
  const failed = new Set<string>()
  const notes: Array<string> = []
  for (let round = 1; round <= rounds; round++) {
    for (const peer of peers) {
      if (failed.has(peer.name)) continue
      const outcome = await runOnce(peer)
      const label = `c${CONNECTIONS} round ${round}/${rounds} ${peer.name}`
      if (outcome.ok) {
        const r = outcome.result
        byPeer.get(peer.name)!.push(r)
        progress(`  ${label}: ${r.requestsPerSecond.toFixed(0)} req/s, p50 ${r.latencyMs.p50.toFixed(3)} ms, p99 ${r.latencyMs.p99.toFixed(3)} ms`)
        if (r.socketErrors > 0 || r.non2xx3xx > 0) notes.push(`${label}: wrk saw ${r.socketErrors} socket error(s) and ${r.non2xx3xx} non-2xx/3xx response(s)`)
        continue
      }
      failed.add(peer.name)
      byPeer.set(peer.name, [])
      progress(`  ${label}: FAILED (${outcome.reason}); skipped from now on`)
      for (const line of firstLines(outcome.details, 8)) progress(`    | ${line}`)
    }
  }
  const results: CaseResults = { name: `c${CONNECTIONS}`, byPeer }
  const wrkVersion = firstLines(`${spawnSync("wrk", ["-v"], { encoding: "utf8" }).stdout ?? ""}`, 1)[0]?.split(" [")[0] ?? "wrk"
  console.log(
    `cluster benchmark: node ${process.version}, ${wrkVersion}, ${rounds} interleaved round(s), ` +
      `${warmup} s warm-up + ${measure} s measured per run, each run a fresh primary and workers, medians`
  )
  console.log(`c${CONNECTIONS}: wrk -t1 -c${CONNECTIONS} --latency, nothing pinned, node:cluster default scheduling (round-robin)`)
  console.log("")
  for (const line of table([results], peers.map((p) => p.name))) console.log(line)
  for (const note of notes) console.log(`note: ${note}`)
  console.log("")
  const vsNode = ratio(results, "node:http")
  const vsOne = ratio(results, "ours-1-worker")
  console.log(`ratio cluster/server ${vsNode === undefined ? "n/a" : vsNode.toFixed(2)}`)
  console.log(`scaling ours 2 workers/1 worker ${vsOne === undefined ? "n/a" : vsOne.toFixed(2)}`)
  console.log(
    "(2 CPUs here, and wrk needs one: the two workers and the primary share the other, so the scaling factor shows what a " +
      "second worker brings under that contention, not how the cluster scales with free cores.)"
  )
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error))
    process.exit(1)
  }
)
