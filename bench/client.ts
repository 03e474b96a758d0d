/**
 * `npm run bench:client`: our Transport against undici's `Pool`, `node:http` with a keep-alive
 * Agent, and @effect/platform's undici `HttpClient`, GETting from the same canned upstream.
 *
 * The upstream (bench/client/upstream.ts) is a raw `node:net` server in its own process. Every
 * peer run is its own process too (bench/client/run-<peer>.ts), started one at a time: it
 * warms up for `BENCH_WARMUP_SECONDS` (1), then counts for `BENCH_SECONDS` (3) with C request
 * loops, reading every body in full, and prints `{ requests, seconds, bytes }`.
 *
 * Cases: `small-c50` (13-byte body, 50 loops, nothing pinned), `small-c1` and `1m-c1` (13 bytes
 * and 1 MiB, one loop, the upstream and the client both pinned to CPU 0 with `taskset -c 0`,
 * through a second upstream started pinned), `gzip-1m-c1` (as `1m-c1`, the 1 MiB of text sent
 * gzipped and decoded by the client: ours transparently, undici with its
 * `interceptors.decompress()`; MB/s of decoded bytes). Each case runs `BENCH_ROUNDS` (3) rounds, each
 * round every peer once in order; the table shows medians and every round, and the last lines
 * are `ratio client/<case> <ours/undici>`, then `ratio client/readme-c50` and `readme-c1` (the
 * `ours-readme` peer, README's `Response.text(client.get(url))`, over undici). `BENCH_PEERS` and `BENCH_CASES` (comma lists)
 * select subsets. A peer whose process fails is reported (first lines of its stderr) and
 * skipped for the rest of the case.
 */
import { killOnExit, roundsFromEnv, select } from "./harness.js"
import { measureSeconds, warmupSeconds } from "./client/common.js"
import { firstLines, killAll, runPeer, startUpstream, type Upstream } from "./client/processes.js"
import { type CaseFigures, figure, ratioLines, readmeRatioLines, table, type Unit } from "./client/report.js"

interface Peer {
  readonly name: string
  readonly script: string
}

interface Case {
  readonly name: string
  readonly path: "/small" | "/1m" | "/gzip-1m"
  readonly concurrency: number
  /** Upstream and client pinned together to CPU 0. */
  readonly pinned: boolean
  readonly unit: Unit
  /** The peers that run this case, when not all (the others do not decode gzip). */
  readonly only?: ReadonlyArray<string>
}

const PEERS: ReadonlyArray<Peer> = [
  { name: "ours", script: "bench/client/run-ours.ts" },
  { name: "ours-scoped", script: "bench/client/run-ours-scoped.ts" },
  { name: "ours-readme", script: "bench/client/run-ours-readme.ts" },
  { name: "undici", script: "bench/client/run-undici.ts" },
  { name: "node:http", script: "bench/client/run-nodehttp.ts" },
  { name: "effect-undici", script: "bench/client/run-effect-undici.ts" },
  { name: "ours-platform", script: "bench/client/run-ours-platform.ts" },
  { name: "ours-platform-stream", script: "bench/client/run-ours-platform-stream.ts" },
  { name: "effect-undici-stream", script: "bench/client/run-effect-undici-stream.ts" }
]

const CASES: ReadonlyArray<Case> = [
  { name: "small-c50", path: "/small", concurrency: 50, pinned: false, unit: "req/s" },
  { name: "small-c1", path: "/small", concurrency: 1, pinned: true, unit: "req/s" },
  { name: "1m-c1", path: "/1m", concurrency: 1, pinned: true, unit: "MB/s" },
  { name: "gzip-1m-c1", path: "/gzip-1m", concurrency: 1, pinned: true, unit: "MB/s", only: ["ours", "ours-scoped", "undici"] }
]

const rounds = roundsFromEnv()
const peers = select(PEERS, process.env.BENCH_PEERS, "peers")
const cases = select(CASES, process.env.BENCH_CASES, "cases")
const warmup = warmupSeconds()
const measure = measureSeconds()

killOnExit(killAll)

const progress = (s: string) => process.stderr.write(s + "\n")

const upstreams = new Map<boolean, Upstream>()
const upstreamFor = async (pinned: boolean): Promise<Upstream> => {
  const existing = upstreams.get(pinned)
  if (existing !== undefined) return existing
  const started = await startUpstream(pinned)
  upstreams.set(pinned, started)
  return started
}

/** Runs every round of one case, returning each peer's figures. */
const runCase = async (c: Case, reported: Set<string>): Promise<CaseFigures> => {
  const upstream = await upstreamFor(c.pinned)
  const url = `http://127.0.0.1:${upstream.port}${c.path}`
  const byPeer = new Map<string, Array<number>>(peers.map((p) => [p.name, []]))
  const failed = new Set<string>()
  for (let round = 1; round <= rounds; round++) {
    for (const peer of peers) {
      if (failed.has(peer.name) || (c.only !== undefined && !c.only.includes(peer.name))) continue
      const outcome = await runPeer({
        script: peer.script,
        url,
        concurrency: c.concurrency,
        pinned: c.pinned,
        warmupSeconds: warmup,
        measureSeconds: measure,
        timeoutMs: (warmup + measure + 20) * 1000
      })
      const label = `${c.name} round ${round}/${rounds} ${peer.name}`
      if (outcome.ok) {
        const x = figure(outcome.result, c.unit)
        byPeer.get(peer.name)!.push(x)
        progress(`  ${label}: ${x.toFixed(c.unit === "MB/s" ? 1 : 0)} ${c.unit}`)
        continue
      }
      failed.add(peer.name)
      byPeer.set(peer.name, [])
      progress(`  ${label}: FAILED (${outcome.reason}); skipped for the rest of ${c.name}`)
      if (!reported.has(peer.name)) {
        reported.add(peer.name)
        for (const line of firstLines(outcome.stderr, 8)) progress(`    | ${line}`)
      }
    }
  }
  return { name: c.name, unit: c.unit, byPeer, only: c.only }
}

const main = async (): Promise<void> => {
  progress(`client benchmark: ${peers.map((p) => p.name).join(", ")} on ${cases.map((c) => c.name).join(", ")}`)
  const reported = new Set<string>()
  const figures: Array<CaseFigures> = []
  for (const c of cases) figures.push(await runCase(c, reported))
  for (const u of upstreams.values()) u.stop()

  const pinned = cases.filter((c) => c.pinned).map((c) => c.name)
  const unpinned = cases.filter((c) => !c.pinned).map((c) => c.name)
  console.log(
    `client benchmark: node ${process.version}, ${rounds} interleaved round(s) per case, ` +
      `${warmup} s warm-up + ${measure} s measured per run, each peer in its own process, medians`
  )
  if (pinned.length > 0) console.log(`pinned (upstream and client both on CPU 0, taskset -c 0): ${pinned.join(", ")}`)
  if (unpinned.length > 0) console.log(`unpinned: ${unpinned.join(", ")}`)
  console.log("")
  for (const line of table(figures, peers.map((p) => p.name))) console.log(line)
  console.log("")
  for (const line of ratioLines(figures)) console.log(line)
  // README's Client example (`Response.text(client.get(url))`) against undici, for small bodies.
  for (const line of readmeRatioLines(figures)) console.log(line)
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error))
    process.exit(1)
  }
)
