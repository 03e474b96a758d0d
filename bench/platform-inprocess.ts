/**
 * `npm run bench:platform-inprocess`: the @effect/platform server layers measured by the CPU
 * they spend per request, without a load generator competing for the cores: the same
 * `HttpRouter` app (`GET /` → "Hello, World!") on our `NetHttpServer.layer` (`ours-platform`)
 * and on `NodeHttpServer.layer` (`effect-platform`), each driven by one raw-socket client in a
 * worker thread of its own process (bench/platform-inprocess/: 50 keep-alive connections, the
 * next request as soon as an answer comes). The server's CPU is the process's minus the client
 * thread's (`/proc/thread-self/stat`, so Linux only). Peers interleaved, `BENCH_ROUNDS` (3)
 * rounds of `BENCH_SECONDS` (2) after `BENCH_WARMUP_SECONDS` (1), medians.
 *
 * The last line is `ratio platform-inprocess/server <stock/ours>`: the stock layer's CPU per
 * request over ours (above 1: ours spends less).
 *
 * @module
 */
import { spawnSync } from "node:child_process"
import { median } from "./client/report.js"
import { compiled, repoRoot, roundsFromEnv } from "./harness.js"

/** `ours` (our Server without the platform, README's hello handler) shows the floor; the ratio is of the other two. */
const PEERS = ["ours-platform", "effect-platform", "ours"] as const

const runOnce = (peer: string, child: string, worker: string): { requests: number; cpuMicros: number; seconds: number } => {
  const r = spawnSync(process.execPath, [child], { cwd: repoRoot, env: { ...process.env, PEER: peer, CLIENT_WORKER: worker }, encoding: "utf8", timeout: 60_000 })
  const m = /^result (\d+) (-?\d+) ([\d.]+)$/m.exec(r.stdout ?? "")
  if (m === null) throw new Error(`${peer}: no result (status ${r.status}): ${r.stderr?.slice(0, 500)}`)
  return { requests: Number(m[1]), cpuMicros: Number(m[2]), seconds: Number(m[3]) }
}

const main = (): void => {
  if (process.platform !== "linux") throw new Error("bench:platform-inprocess reads /proc/thread-self/stat: Linux only")
  const child = compiled("bench/platform-inprocess/child.ts")
  const worker = compiled("bench/platform-inprocess/client-worker.ts")
  const rounds = roundsFromEnv()
  const cpu = new Map<string, Array<number>>(PEERS.map((p) => [p, []]))
  const rate = new Map<string, Array<number>>(PEERS.map((p) => [p, []]))
  for (let round = 1; round <= rounds; round++) {
    for (const peer of PEERS) {
      const f = runOnce(peer, child, worker)
      cpu.get(peer)!.push(f.cpuMicros / f.requests)
      rate.get(peer)!.push(f.requests / f.seconds)
      process.stderr.write(`  round ${round} ${peer}: ${Math.round(f.requests / f.seconds)} requests/s, ${(f.cpuMicros / f.requests).toFixed(2)} µs server CPU each\n`)
    }
  }
  console.log(`platform-inprocess: node ${process.version}, ${rounds} rounds, medians (server CPU per request: the process's minus the client thread's)`)
  console.log("| peer | µs CPU per request | rounds | requests/s |")
  console.log("|---|---:|---|---:|")
  for (const peer of PEERS) {
    const c = cpu.get(peer)!
    console.log(`| ${peer} | ${median(c).toFixed(2)} | ${c.map((x) => x.toFixed(2)).join(" / ")} | ${Math.round(median(rate.get(peer)!))} |`)
  }
  const ratio = median(cpu.get("effect-platform")!) / median(cpu.get("ours-platform")!)
  console.log(`ratio platform-inprocess/server ${ratio.toFixed(2)}`)
}

main()
