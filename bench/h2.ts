/**
 * `npm run bench:h2`: HTTP/2 (issue 22), both halves, over TLS with the test certificate
 * (src/testing/testCert.ts).
 *
 * Server half: our `Server` with h2 on (bench/h2/run-server-ours.ts) against a bare
 * `node:http2` `createSecureServer` (bench/h2/run-server-nodehttp2.ts), both answering every
 * stream with the 13-byte `Hello, World!`. Every run is a fresh server process (started as
 * bench:server starts its runners, bench/server/processes.ts), checked by bench/h2/probe.ts (ALPN
 * must choose h2, `GET /` must answer right), warmed up with `h2load -n <N/10> -c 50 -m 10`,
 * then measured with `h2load -n <N> -c 50 -m 10` (50 connections, 10 streams each in flight;
 * N = `BENCH_H2_REQUESTS`, default 100000), then killed. Its figure is h2load's req/s.
 * h2load comes from Debian's nghttp2-client: installed with apt-get when missing and root,
 * else the server half is skipped with the reason.
 *
 * Client half: one `node:http2` secure upstream in its own process (bench/h2/upstream.ts, h2
 * only, 13-byte `/small`); every peer run is its own process (bench/h2/run-client-<peer>.ts)
 * with 50 request loops over ONE session for `BENCH_WARMUP_SECONDS` (1) + `BENCH_SECONDS` (3),
 * as bench:client's runners (bench/client/common.ts). Peers: ours (Transport with h2), undici 7
 * (`Client`, `allowH2: true`, `pipelining: 50`), and a bare `http2.connect` session.
 *
 * Each half runs `BENCH_ROUNDS` (3) interleaved rounds, every peer once per round; the table
 * shows medians and every round; the last lines are `ratio h2/server <ours/node:http2>`,
 * `ratio h2/client <ours/undici>` and `ratio h2/client-bare <ours/node:http2>` (`n/a` while a
 * side has no figure, e.g. until our h2 lands: its runner then fails with a clear message and
 * the peers' figures are printed alone). `BENCH_PEERS` (comma list over every peer name below)
 * and `BENCH_HALVES` (`server`, `client`) select subsets. Every run ends by itself (a request
 * count or a duration, and a kill timer); every child is killed by its PID when the bench ends.
 * The defaults take about 1.5 minutes on two cores.
 */
import { killOnExit, positiveFromEnv, roundsFromEnv, select } from "./harness.js"
import { measureSeconds, warmupSeconds } from "./client/common.js"
import { killAll as killClientChildren, runPeer, startUpstream } from "./client/processes.js"
import { median } from "./client/report.js"
import { ensureH2load, h2loadVersion, runH2load } from "./h2/h2load.js"
import { probeH2 } from "./h2/probe.js"
import { firstLines, killAll as killServerChildren, startServer } from "./server/processes.js"

interface Peer {
  readonly name: string
  readonly half: "server" | "client"
  readonly script: string
}

const PEERS: ReadonlyArray<Peer> = [
  { name: "ours-server", half: "server", script: "bench/h2/run-server-ours.ts" },
  { name: "node:http2-server", half: "server", script: "bench/h2/run-server-nodehttp2.ts" },
  { name: "ours", half: "client", script: "bench/h2/run-client-ours.ts" },
  { name: "undici", half: "client", script: "bench/h2/run-client-undici.ts" },
  { name: "node:http2", half: "client", script: "bench/h2/run-client-nodehttp2.ts" }
]

const HALVES = [{ name: "server" }, { name: "client" }] as const

const rounds = roundsFromEnv()
const peers = select(PEERS, process.env.BENCH_PEERS, "peers")
const halves = select(HALVES, process.env.BENCH_HALVES, "halves").map((h) => h.name)
const requests = Math.round(positiveFromEnv("BENCH_H2_REQUESTS", 100_000))
const warmup = warmupSeconds()
const measure = measureSeconds()
const CLIENTS = 50
const STREAMS = 10
const CONCURRENCY = 50

killOnExit(() => {
  killServerChildren()
  killClientChildren()
})

const progress = (s: string) => process.stderr.write(s + "\n")

/** Per peer, each round's figure (req/s); a failed peer keeps an empty list and its reason. */
type Figures = Map<string, Array<number>>
const failures = new Map<string, string>()
const notes: Array<string> = []

const fail = (label: string, peer: string, why: string, details: string) => {
  // One line: the reason and, for a runner that exited, the first line of its stderr.
  const first = why.startsWith("exited with") ? firstLines(details, 1)[0] : undefined
  const reason = (first === undefined ? why : `${why}: ${first}`).replace(/\s+/g, " ").trim()
  progress(`  ${label}: FAILED (${reason}); skipped for the rest of the run`)
  for (const line of firstLines(details, 8)) progress(`    | ${line}`)
  failures.set(peer, reason)
}

/** One server run: a fresh process, the probe, h2load warm-up and measured, the kill. */
const serverRun = async (peer: Peer, label: string, figures: Figures): Promise<void> => {
  const started = await startServer(peer.script, false)
  if (!started.ok) return fail(label, peer.name, started.reason, started.stderr)
  const server = started.server
  try {
    const why = await probeH2(server.port)
    if (why !== undefined) {
      const reason = peer.name.startsWith("ours") ? `ours does not speak HTTP/2 yet: ${why}` : why
      return fail(label, peer.name, reason, server.stderr())
    }
    const url = `https://127.0.0.1:${server.port}/`
    const load = { url, clients: CLIENTS, streamsPerClient: STREAMS, timeoutMs: 60_000 }
    const warm = await runH2load({ ...load, requests: Math.max(CLIENTS * STREAMS, Math.round(requests / 10)), timeoutMs: 20_000 })
    if (!warm.ok) return fail(label, peer.name, `warm-up: ${warm.reason}`, `${warm.output}\n${server.stderr()}`)
    const measured = await runH2load({ ...load, requests })
    if (!server.alive()) return fail(label, peer.name, "the server process died under load", server.stderr())
    if (!measured.ok) return fail(label, peer.name, measured.reason, `${measured.output}\n${server.stderr()}`)
    const r = measured.result
    figures.get(peer.name)!.push(r.requestsPerSecond)
    progress(`  ${label}: ${r.requestsPerSecond.toFixed(0)} req/s (${r.succeeded} in ${r.seconds.toFixed(2)} s, mean ${r.meanMs.toFixed(2)} ms)`)
    if (r.failed > 0) notes.push(`${label}: h2load counted ${r.failed} failed/errored/timed-out request(s)`)
  } finally {
    await server.stop()
  }
}

/** One client run against the upstream on `port`. */
const clientRun = async (peer: Peer, label: string, port: number, figures: Figures): Promise<void> => {
  const outcome = await runPeer({
    script: peer.script,
    url: `https://127.0.0.1:${port}/small`,
    concurrency: CONCURRENCY,
    pinned: false,
    warmupSeconds: warmup,
    measureSeconds: measure,
    timeoutMs: (warmup + measure + 20) * 1000
  })
  if (!outcome.ok) return fail(label, peer.name, outcome.reason, outcome.stderr)
  const x = outcome.result.requests / outcome.result.seconds
  figures.get(peer.name)!.push(x)
  progress(`  ${label}: ${x.toFixed(0)} req/s (${outcome.result.cpuMicrosPerRequest.toFixed(1)} µs CPU/request)`)
}

const runHalf = async (half: "server" | "client", figures: Figures): Promise<void> => {
  const mine = peers.filter((p) => p.half === half)
  if (mine.length === 0) return
  const upstream = half === "client" ? await startUpstream(false, "bench/h2/upstream.ts") : undefined
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const peer of mine) {
        if (failures.has(peer.name)) continue
        const label = `h2/${half} round ${round}/${rounds} ${peer.name}`
        if (upstream === undefined) await serverRun(peer, label, figures)
        else await clientRun(peer, label, upstream.port, figures)
      }
    }
  } finally {
    upstream?.stop()
  }
}

const fmt = (n: number): string => (Number.isNaN(n) ? "—" : n.toLocaleString("en-US", { maximumFractionDigits: 0 }))

const ratioLine = (label: string, figures: Figures, ours: string, baseline: string): string => {
  const a = median(figures.get(ours) ?? [])
  const b = median(figures.get(baseline) ?? [])
  return `ratio ${label} ${Number.isNaN(a) || Number.isNaN(b) || b === 0 ? "n/a" : (a / b).toFixed(2)}`
}

const main = async (): Promise<void> => {
  const figures: Figures = new Map(peers.map((p) => [p.name, []]))
  let skipped: string | undefined
  const serverWanted = halves.includes("server") && peers.some((p) => p.half === "server")
  if (serverWanted) {
    skipped = ensureH2load()
    if (skipped !== undefined) progress(`server half skipped: ${skipped}`)
  }
  progress(`h2 benchmark: ${peers.map((p) => p.name).join(", ")}`)
  if (serverWanted && skipped === undefined) await runHalf("server", figures)
  if (halves.includes("client")) await runHalf("client", figures)

  console.log(`h2 benchmark: node ${process.version} (nghttp2 ${process.versions.nghttp2}), ${rounds} interleaved round(s), each run a fresh process, medians`)
  if (serverWanted) {
    console.log(
      skipped === undefined
        ? `h2/server: ${h2loadVersion()} -n ${requests} -c ${CLIENTS} -m ${STREAMS} over TLS (after a -n ${Math.max(CLIENTS * STREAMS, Math.round(requests / 10))} warm-up), hello world`
        : `h2/server: skipped (${skipped})`
    )
  }
  if (halves.includes("client")) {
    console.log(`h2/client: ${CONCURRENCY} request loops over one session to a node:http2 upstream, ${warmup} s warm-up + ${measure} s measured, 13-byte body`)
  }
  console.log("")
  const shown = peers.filter((p) => halves.includes(p.half))
  const width = Math.max(...shown.map((p) => p.name.length), 4)
  console.log(`${"half".padEnd(7)} ${"peer".padEnd(width)} ${"median req/s".padStart(12)}  rounds`)
  for (const p of shown) {
    const xs = figures.get(p.name) ?? []
    const rest = failures.has(p.name) ? `FAILED: ${failures.get(p.name)}` : xs.map(fmt).join(", ")
    console.log(`${p.half.padEnd(7)} ${p.name.padEnd(width)} ${fmt(median(xs)).padStart(12)}  ${rest}`)
  }
  for (const note of notes) console.log(`note: ${note}`)
  console.log("")
  if (halves.includes("server")) console.log(ratioLine("h2/server", figures, "ours-server", "node:http2-server"))
  if (halves.includes("client")) {
    console.log(ratioLine("h2/client", figures, "ours", "undici"))
    console.log(ratioLine("h2/client-bare", figures, "ours", "node:http2"))
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error))
    process.exit(1)
  }
)
