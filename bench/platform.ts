/**
 * `npm run bench:platform`: the same @effect/platform programs on our layers and on the stock
 * ones, in the same run.
 *
 * - client: `client.get(url)` then `response.arrayBuffer` in 50 fibers, through our
 *   `HttpClient` layer (peer `ours-platform`) and through `NodeHttpClient.layerUndici`
 *   (`effect-undici`): bench/client.ts's `small-c50` case with those two peers.
 * - client-1m: the same program reading a 1 MiB body on one pinned connection (`1m-c1`, MB/s),
 *   with our Transport (`ours`) in the run too: its row's "ours ÷ peer" is the layer's speed
 *   over the Transport's.
 * - client-1m-stream: the same, the body read through `response.stream` (peers
 *   `ours-platform-stream`, `effect-undici-stream`, and `ours`).
 * - server: one `HttpRouter` app (`GET /` → "Hello, World!") on our `HttpServer` layer
 *   (`ours-platform`) and on `NodeHttpServer` (`effect-platform`), loaded with wrk: bench/server.ts's
 *   `c50` case with those two peers.
 *
 * Each part runs its harness in a child process (peers interleaved, `BENCH_ROUNDS` rounds,
 * medians) and passes its tables through; the last lines are `ratio platform/client <x>`,
 * `ratio platform/client-1m <x>`, `ratio platform/client-1m-stream <x>` and
 * `ratio platform/server <x>`, ours over stock. `BENCH_PARTS` (a comma list of client, client-1m,
 * client-1m-stream, server)
 * selects a part.
 */
import { spawn } from "node:child_process"
import * as path from "node:path"
import { repoRoot } from "./harness.js"

interface Part {
  readonly name: "client" | "client-1m" | "client-1m-stream" | "server"
  readonly script: string
  readonly env: Readonly<Record<string, string>>
}

const PARTS: ReadonlyArray<Part> = [
  {
    name: "client",
    script: "bench/client.ts",
    env: { BENCH_PEERS: "ours-platform,effect-undici", BENCH_CASES: "small-c50", BENCH_OURS: "ours-platform", BENCH_BASELINE: "effect-undici", BENCH_LABEL: "platform-client" }
  },
  {
    // The body's speed: 1 MiB read with `response.arrayBuffer`, and our own Transport (`ours`)
    // in the same run, for how close the layer comes to it (the table's "ours ÷ peer" column).
    name: "client-1m",
    script: "bench/client.ts",
    env: { BENCH_PEERS: "ours-platform,effect-undici,ours", BENCH_CASES: "1m-c1", BENCH_OURS: "ours-platform", BENCH_BASELINE: "effect-undici", BENCH_LABEL: "platform-client-1m" }
  },
  {
    // The same through `response.stream`.
    name: "client-1m-stream",
    script: "bench/client.ts",
    env: { BENCH_PEERS: "ours-platform-stream,effect-undici-stream,ours", BENCH_CASES: "1m-c1", BENCH_OURS: "ours-platform-stream", BENCH_BASELINE: "effect-undici-stream", BENCH_LABEL: "platform-client-1m-stream" }
  },
  {
    name: "server",
    script: "bench/server.ts",
    env: { BENCH_PEERS: "ours-platform,effect-platform", BENCH_CASES: "c50", BENCH_OURS: "ours-platform", BENCH_BASELINE: "effect-platform", BENCH_LABEL: "platform-server" }
  }
]

const wanted = (process.env.BENCH_PARTS ?? "client,client-1m,client-1m-stream,server").split(",").map((s) => s.trim())
const parts = PARTS.filter((p) => wanted.includes(p.name))

/** Runs one part's harness, echoing its output; resolves with its stdout. */
const run = (part: Part): Promise<string> =>
  new Promise((resolve, reject) => {
    const tsx = path.join(repoRoot, "node_modules", ".bin", "tsx")
    const child = spawn(tsx, [part.script], { cwd: repoRoot, env: { ...process.env, ...part.env }, stdio: ["ignore", "pipe", "inherit"] })
    let out = ""
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8")
      process.stdout.write(chunk)
    })
    child.on("error", reject)
    child.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`${part.script} exited with ${code}`))))
  })

const main = async (): Promise<void> => {
  const ratios: Array<string> = []
  for (const part of parts) {
    const out = await run(part)
    const match = /^ratio platform-[\w-]+\/\S+ (\S+)$/m.exec(out)
    ratios.push(`ratio platform/${part.name} ${match?.[1] ?? "n/a"}`)
    console.log("")
  }
  for (const line of ratios) console.log(line)
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error))
    process.exit(1)
  }
)
