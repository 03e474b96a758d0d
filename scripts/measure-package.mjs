#!/usr/bin/env node
/**
 * `npm run bench:package`: what installing effect-nethttp costs a user. Packs the package
 * (building dist/ first unless --no-build), installs the tarball with `effect` and
 * `@effect/platform` — and, as yardsticks, `undici` and `@effect/platform-node` — into a temporary
 * project (our devDependencies' versions), and prints:
 *
 *  - the tarball's packed and unpacked size and file count (`npm pack --dry-run --json`);
 *  - cold import time, `node -e "await import(X)"` as a whole process, median of RUNS (default 5,
 *    after one warm-up) for effect-nethttp, effect-nethttp/server, effect-nethttp/client,
 *    effect, undici and @effect/platform-node;
 *  - idle RSS, in one run: a hello server on effect-nethttp/server, the same on node:http, and
 *    Node with `effect` imported and nothing else — each started, (servers) sent one request,
 *    left idle for a second, then asked for process.memoryUsage().rss.
 *
 * Flags: --no-build, --runs N, --keep (leave the temp dir). Public tools only (node, npm).
 */
import { spawn, spawnSync } from "node:child_process"
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { request } from "node:http"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const argv = process.argv.slice(2)
const has = (f) => argv.includes(f)
const runs = Number(argv[argv.indexOf("--runs") + 1]) > 0 && argv.includes("--runs") ? Number(argv[argv.indexOf("--runs") + 1]) : 5
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"))
const version = (name) => JSON.parse(readFileSync(join(root, "node_modules", name, "package.json"), "utf8")).version
const tmp = mkdtempSync(join(tmpdir(), "effect-nethttp-measure-"))
const sh = (cmd, args, cwd, timeout = 180_000) => {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", timeout })
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: ${r.status ?? r.error}\n${r.stdout}${r.stderr}`)
  return r.stdout
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const mb = (bytes) => (bytes / 1024 / 1024).toFixed(1)

try {
  if (!has("--no-build")) sh("npm", ["run", "build"], root)
  const dry = sh("npm", ["pack", "--dry-run", "--json"], root)
  const info = JSON.parse(dry.slice(dry.indexOf("[")))[0]
  console.log(`tarball: ${(info.size / 1024).toFixed(1)} kB packed, ${(info.unpackedSize / 1024).toFixed(1)} kB unpacked, ${info.entryCount} files`)

  const packed = sh("npm", ["pack", "--json", "--pack-destination", tmp], root)
  const tarball = join(tmp, JSON.parse(packed.slice(packed.indexOf("[")))[0].filename)
  const app = join(tmp, "app")
  mkdirSync(app)
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "measure", private: true, type: "module" }))
  sh("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", tarball,
    `effect@${pkg.devDependencies.effect}`, `@effect/platform@${pkg.devDependencies["@effect/platform"]}`,
    `undici@${version("undici")}`, `@effect/platform-node@${version("@effect/platform-node")}`], app)

  // cold import: the whole process, `node -e "await import(X)"`
  console.log(`\ncold import, node -e "await import(X)", whole process, median of ${runs} (min-max), ms:`)
  for (const spec of ["effect-nethttp", "effect-nethttp/server", "effect-nethttp/client", "effect", "undici", "@effect/platform-node"]) {
    const times = []
    for (let i = 0; i <= runs; i++) {
      const t0 = process.hrtime.bigint()
      const r = spawnSync(process.execPath, ["-e", `await import(${JSON.stringify(spec)})`], { cwd: app, timeout: 60_000 })
      const ms = Number(process.hrtime.bigint() - t0) / 1e6
      if (r.status !== 0) throw new Error(`import ${spec} failed: ${r.stderr}`)
      if (i > 0) times.push(ms) // the first run warms the file-system cache
    }
    console.log(`  ${spec.padEnd(24)} ${median(times).toFixed(0).padStart(5)}  (${Math.min(...times).toFixed(0)}-${Math.max(...times).toFixed(0)})`)
  }

  // idle RSS, in one run
  const programs = {
    "effect-nethttp/server hello": `
      import { Effect } from "effect"
      import { Server, ServerResponse } from "effect-nethttp/server"
      const ServerLive = Server.layer({ host: "127.0.0.1", port: 0, handler: () => Effect.succeed(ServerResponse.text("hello\\n")) })
      const program = Effect.gen(function*() {
        const server = yield* Server
        process.send({ port: server.port })
        return yield* Effect.never
      })
      Effect.runFork(program.pipe(Effect.provide(ServerLive)))`,
    "node:http hello": `
      import { createServer } from "node:http"
      const server = createServer((_, res) => res.end("hello\\n"))
      server.listen(0, "127.0.0.1", () => process.send({ port: server.address().port }))`,
    "node + effect alone": `
      import "effect"
      setInterval(() => {}, 1 << 30)
      process.send({})`
  }
  const get = (port) => new Promise((resolve, reject) => {
    request({ host: "127.0.0.1", port, path: "/" }, (res) => { res.resume(); res.on("end", resolve) }).on("error", reject).end()
  })
  console.log("\nidle RSS (after one request, 1 s idle), one run:")
  const results = {}
  for (const [name, source] of Object.entries(programs)) {
    const file = join(app, `idle-${Object.keys(results).length}.mjs`)
    writeFileSync(file, source + `\nprocess.on("message", () => process.send({ rss: process.memoryUsage.rss() }))\n`)
    const child = spawn(process.execPath, [file], { cwd: app, stdio: ["ignore", "inherit", "inherit", "ipc"] })
    const next = () => new Promise((resolve) => child.once("message", resolve))
    const ready = await next()
    if (ready.port !== undefined) await get(ready.port)
    await new Promise((r) => setTimeout(r, 1000))
    child.send("rss")
    const { rss } = await next()
    child.kill()
    results[name] = rss
    console.log(`  ${name.padEnd(30)} ${mb(rss).padStart(6)} MB`)
  }
  const ours = results["effect-nethttp/server hello"]
  const effectAlone = results["node + effect alone"]
  console.log(`  effect-nethttp/server hello - node + effect alone: ${mb(ours - effectAlone)} MB (goal: within 20 MB)`)
} finally {
  if (has("--keep")) console.log(`kept ${tmp}`)
  else rmSync(tmp, { recursive: true, force: true })
}
