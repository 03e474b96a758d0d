/**
 * `npm run bench:idle`: the heap an idle keep-alive connection holds on the server, ours
 * (`Server.layer` with a hello handler) against `node:http` (issue 17).
 *
 * Each server runs in a child process of its own (compiled with esbuild as bench/harness.ts
 * does, run with `--expose-gc`), so heaps do not mix. For each one the orchestrator (this
 * process) warms the server up with a few hundred short-lived connections, asks the child
 * for its heap after a full GC, opens `IDLE_CONNS` (default 5,000) keep-alive TCP connections
 * that each send one `GET /` and read its response, then leave the connection idle, and asks
 * again. It prints the heap growth per connection (after GC) and the RSS growth, and the
 * ratio ours / node:http.
 *
 * Environment:
 * - `IDLE_CONNS`: connections per server (default 5000; each needs a descriptor on both
 *   sides, so the soft `ulimit -n` is raised to the hard one, and the count is lowered, and
 *   said so, when even that is too low).
 * - `IDLE_PEERS`: a comma list of `ours`, `node` (default both), or `name=path/to/entry.ts`
 *   for an experimental server whose entry calls `serveChild` (see below).
 * - `IDLE_SETTLE_MS`: how long the connections stay idle before the measurement (default 2500).
 * - `IDLE_SNAPSHOT=1`: also takes a heap snapshot in each child before and after, and prints
 *   the heap growth per connection by constructor (slow: use IDLE_CONNS=1000 or so).
 *
 * Bounded: every child is killed (by its PID) after 100 s, and the whole run stops within
 * 2 minutes. All sockets are closed at the end.
 *
 * @module
 */
import { type ChildProcess, execFileSync, fork } from "node:child_process"
import * as fs from "node:fs"
import * as http from "node:http"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as v8 from "node:v8"

const HOST = "127.0.0.1"
const BODY = "Hello, World!"
const REQUEST = Buffer.from(`GET / HTTP/1.1\r\nHost: ${HOST}\r\nUser-Agent: idle-conns\r\nAccept: */*\r\n\r\n`, "latin1")
const WARMUP_CONNS = 300
const CONCURRENT_OPENS = 100
const CHILD_KILL_MS = 100_000
const RUN_LIMIT_MS = 120_000
/** How long the connections stay idle before the measurement (IDLE_SETTLE_MS, default 2500 ms: the server parks connections idle for a whole reaper tick of 1 s; at most 20 s). */
const SETTLE_MS = Math.min(20_000, Number(process.env.IDLE_SETTLE_MS ?? 2500))

// -------------------------------------------------------------------------------------------
// The child side: a server, answering the orchestrator's questions over IPC

/** What the child reports about its memory. */
interface MemoryReport {
  readonly heapUsed: number
  readonly rss: number
  readonly external: number
  readonly arrayBuffers: number
  readonly snapshot?: string
}

type ParentMessage = { readonly type: "measure"; readonly snapshot?: string } | { readonly type: "exit" }

const fullGc = async (): Promise<void> => {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) throw new Error("run with --expose-gc")
  // Several rounds, letting callbacks (FinalizationRegistry, weak refs, timers) run in between.
  for (let i = 0; i < 4; i++) {
    gc()
    await new Promise((resolve) => setImmediate(resolve))
  }
}

/**
 * Runs in a child: starts the server with `start` (which resolves to the bound port), then
 * answers `measure` with the heap after a full GC (and a heap snapshot when asked).
 */
export const serveChild = (start: () => Promise<number>): void => {
  const send = (message: unknown) => process.send!(message)
  process.on("message", (message: ParentMessage) => {
    if (message.type === "exit") process.exit(0)
    void fullGc().then(() => {
      const m = process.memoryUsage()
      const snapshot = message.snapshot === undefined ? undefined : v8.writeHeapSnapshot(message.snapshot)
      const report: MemoryReport = { heapUsed: m.heapUsed, rss: m.rss, external: m.external, arrayBuffers: m.arrayBuffers, ...(snapshot === undefined ? {} : { snapshot }) }
      send({ type: "memory", report })
    })
  })
  process.on("disconnect", () => process.exit(0))
  start().then((port) => send({ type: "listening", port }), (error) => {
    console.error(error)
    process.exit(1)
  })
}

const startOurs = async (): Promise<number> => {
  const { Deferred, Effect } = await import("effect")
  const { Server } = await import("../src/server/Server.js")
  const ServerResponse = await import("../src/server/ServerResponse.js")
  const ready = Effect.runSync(Deferred.make<number>())
  const program = Effect.gen(function*() {
    const server = yield* Server
    yield* Deferred.succeed(ready, server.port)
    yield* Effect.never
  }).pipe(Effect.provide(Server.layer({ host: HOST, port: 0, handler: () => Effect.succeed(ServerResponse.text(BODY)) })))
  Effect.runFork(program)
  return Effect.runPromise(Deferred.await(ready))
}

const startNode = (): Promise<number> =>
  new Promise((resolve) => {
    const headers = { "Content-Type": "text/plain; charset=utf-8", "Content-Length": String(Buffer.byteLength(BODY)) }
    const server = http.createServer((_req, res) => {
      res.writeHead(200, headers)
      res.end(BODY)
    })
    // As ours (idleTimeout 120 s): node's default 5 s keep-alive timeout would close them.
    server.keepAliveTimeout = 120_000
    server.listen(0, HOST, () => resolve((server.address() as net.AddressInfo).port))
  })

// -------------------------------------------------------------------------------------------
// The orchestrator

interface Peer {
  readonly name: string
  /** The child's entry script, relative to the repository root, and its arguments. */
  readonly entry: string
  readonly args: ReadonlyArray<string>
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const SELF = "bench/idle-conns.ts"

const children = new Set<ChildProcess>()
const killChildren = (): void => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
}

/** Opens one connection, sends one GET and resolves once its whole response arrived. */
const openIdle = (port: number): Promise<net.Socket> =>
  new Promise((resolve, reject) => {
    const socket = net.connect({ host: HOST, port })
    let got = ""
    const onData = (chunk: Buffer) => {
      got += chunk.toString("latin1")
      if (got.includes("\r\n\r\n") && got.endsWith(BODY)) {
        socket.off("data", onData)
        // Keep reading (and dropping) so a close from the server is noticed.
        socket.on("data", () => undefined)
        resolve(socket)
      }
    }
    socket.on("data", onData)
    socket.once("error", reject)
    socket.once("close", () => reject(new Error(`closed before the response (${JSON.stringify(got.slice(0, 80))})`)))
    socket.once("connect", () => socket.write(REQUEST))
  })

/** Opens `n` idle connections, `CONCURRENT_OPENS` at a time. */
const openMany = async (port: number, n: number): Promise<Array<net.Socket>> => {
  const sockets: Array<net.Socket> = []
  let next = 0
  const worker = async () => {
    while (next < n) {
      next++
      const s = await openIdle(port)
      s.removeAllListeners("close")
      s.removeAllListeners("error")
      s.on("error", () => undefined)
      sockets.push(s)
    }
  }
  await Promise.all(Array.from({ length: Math.min(CONCURRENT_OPENS, n) }, worker))
  return sockets
}

const closeAll = async (sockets: ReadonlyArray<net.Socket>): Promise<void> => {
  await Promise.all(sockets.map((s) => new Promise<void>((resolve) => {
    if (s.destroyed) return resolve()
    s.once("close", () => resolve())
    s.destroy()
  })))
}

/** Starts a child and waits for its `listening` message. */
const startChild = (peer: Peer, script: string): Promise<{ child: ChildProcess; port: number }> =>
  new Promise((resolve, reject) => {
    const child = fork(script, [...peer.args], {
      cwd: repoRoot,
      execArgv: ["--expose-gc"],
      stdio: ["ignore", "inherit", "inherit", "ipc"]
    })
    children.add(child)
    const timer = setTimeout(() => child.kill("SIGKILL"), CHILD_KILL_MS)
    timer.unref()
    child.once("exit", (code, signal) => {
      clearTimeout(timer)
      children.delete(child)
      reject(new Error(`${peer.name}: the server exited (${code ?? signal})`))
    })
    child.on("message", (m: { type: string; port?: number }) => {
      if (m.type === "listening") resolve({ child, port: m.port! })
    })
  })

const ask = (child: ChildProcess, message: ParentMessage): Promise<MemoryReport> =>
  new Promise((resolve, reject) => {
    const onMessage = (m: { type: string; report?: MemoryReport }) => {
      if (m.type !== "memory") return
      child.off("message", onMessage)
      resolve(m.report!)
    }
    child.on("message", onMessage)
    child.once("exit", () => reject(new Error("the server exited")))
    child.send(message)
  })

interface Result {
  readonly name: string
  readonly conns: number
  readonly heapPerConn: number
  readonly rssPerConn: number
  readonly externalPerConn: number
  readonly before: MemoryReport
  readonly after: MemoryReport
}

const measure = async (peer: Peer, conns: number, snapshots: boolean): Promise<Result> => {
  const script = await compile(peer.entry)
  const { child, port } = await startChild(peer, script)
  const snapDir = snapshots ? fs.mkdtempSync(path.join(os.tmpdir(), "idle-conns-")) : undefined
  try {
    // Warm-up: the code paths compiled, the caches filled, before the baseline.
    await closeAll(await openMany(port, WARMUP_CONNS))
    await new Promise((resolve) => setTimeout(resolve, 200))
    const before = await ask(child, { type: "measure", ...(snapDir === undefined ? {} : { snapshot: path.join(snapDir, "before.heapsnapshot") }) })
    const sockets = await openMany(port, conns)
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS))
    const after = await ask(child, { type: "measure", ...(snapDir === undefined ? {} : { snapshot: path.join(snapDir, "after.heapsnapshot") }) })
    const open = sockets.filter((s) => !s.destroyed && s.readyState === "open").length
    await closeAll(sockets)
    if (open !== conns) console.log(`  (${peer.name}: only ${open} of ${conns} connections were still open at the measurement)`)
    if (snapDir !== undefined) {
      printBreakdown(peer.name, before.snapshot!, after.snapshot!, conns)
      fs.rmSync(snapDir, { recursive: true, force: true })
    }
    return {
      name: peer.name,
      conns,
      heapPerConn: (after.heapUsed - before.heapUsed) / conns,
      rssPerConn: (after.rss - before.rss) / conns,
      externalPerConn: (after.external - before.external) / conns,
      before,
      after
    }
  } finally {
    child.send({ type: "exit" })
    const exited = child.exitCode !== null || child.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((resolve) => child.once("exit", () => resolve()))
    const t = setTimeout(() => child.kill("SIGKILL"), 2000)
    await exited
    clearTimeout(t)
  }
}

// -------------------------------------------------------------------------------------------
// Heap snapshots: the growth by constructor

interface Totals {
  count: number
  size: number
}

/** Self sizes and counts by "type:name" (strings and code grouped by type only). */
const summarise = (file: string): Map<string, Totals> => {
  const snap = JSON.parse(fs.readFileSync(file, "utf8")) as {
    snapshot: { meta: { node_fields: Array<string>; node_types: [Array<string>] } }
    nodes: Array<number>
    strings: Array<string>
  }
  const fields = snap.snapshot.meta.node_fields
  const types = snap.snapshot.meta.node_types[0]
  const width = fields.length
  const iType = fields.indexOf("type")
  const iName = fields.indexOf("name")
  const iSize = fields.indexOf("self_size")
  const out = new Map<string, Totals>()
  const nodes = snap.nodes
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + iType]!]!
    let name = snap.strings[nodes[i + iName]!]!
    if (type === "string" || type === "concatenated string" || type === "sliced string" || type === "number" || type === "code") name = ""
    else if (type === "hidden" || type === "array") name = name.length > 60 ? name.slice(0, 60) : name
    else if (type === "closure") name = name === "" ? "(anonymous)" : name
    else if (name.length > 60) name = name.slice(0, 60)
    const key = `${type}:${name}`
    const t = out.get(key)
    if (t === undefined) out.set(key, { count: 1, size: nodes[i + iSize]! })
    else {
      t.count++
      t.size += nodes[i + iSize]!
    }
  }
  return out
}

export const printBreakdown = (name: string, beforeFile: string, afterFile: string, conns: number): void => {
  const before = summarise(beforeFile)
  const after = summarise(afterFile)
  const rows: Array<{ key: string; count: number; size: number }> = []
  let total = 0
  for (const [key, a] of after) {
    const b = before.get(key) ?? { count: 0, size: 0 }
    const size = a.size - b.size
    total += size
    rows.push({ key, count: a.count - b.count, size })
  }
  rows.sort((x, y) => y.size - x.size)
  console.log(`\n${name}: heap snapshot growth per connection, by type:constructor (${conns} connections; total ${(total / conns).toFixed(0)} B)`)
  console.log(`  ${"bytes/conn".padStart(10)} ${"objs/conn".padStart(9)}  what`)
  for (const r of rows.slice(0, 40)) {
    if (Math.abs(r.size / conns) < 16) break
    console.log(`  ${(r.size / conns).toFixed(0).padStart(10)} ${(r.count / conns).toFixed(2).padStart(9)}  ${r.key}`)
  }
}

// -------------------------------------------------------------------------------------------
// Main

/** Compiles `entry` with bench/harness.ts's esbuild build, imported here so that a child (this file, compiled) does not load esbuild. */
const compile = async (entry: string): Promise<string> => (await import("./harness.js")).compiled(entry)

const kb = (bytes: number): string => `${(bytes / 1024).toFixed(2)} KB`

/** The soft descriptor limit after trying to raise it to the hard one (through a shell's `ulimit`). */
const descriptorLimit = (): number => {
  try {
    return Number(execFileSync("sh", ["-c", "ulimit -n"], { encoding: "utf8" }).trim())
  } catch {
    return 1024
  }
}

const parsePeers = (env: string | undefined): Array<Peer> => {
  const names = env === undefined || env.trim() === "" ? ["ours", "node"] : env.split(",").map((s) => s.trim()).filter((s) => s !== "")
  return names.map((n) => {
    if (n === "ours" || n === "node") return { name: n === "node" ? "node:http" : "ours", entry: SELF, args: ["child", n] }
    const eq = n.indexOf("=")
    if (eq < 0) throw new Error(`unknown peer ${n} (ours, node, or name=entry.ts)`)
    return { name: n.slice(0, eq), entry: n.slice(eq + 1), args: [] }
  })
}

const main = async (): Promise<void> => {
  const deadline = setTimeout(() => {
    console.error(`idle-conns: stopped after ${RUN_LIMIT_MS / 1000} s`)
    killChildren()
    process.exit(2)
  }, RUN_LIMIT_MS)
  deadline.unref()
  process.on("exit", killChildren)
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => process.exit(130))

  let conns = Number(process.env.IDLE_CONNS ?? 5000)
  const limit = descriptorLimit()
  // Children inherit our limit; each side needs one descriptor per connection plus a few hundred.
  if (limit < conns + 512) {
    const fit = Math.max(100, limit - 512)
    console.log(`ulimit -n is ${limit}: using ${fit} connections instead of ${conns}`)
    conns = fit
  }
  const snapshots = process.env.IDLE_SNAPSHOT === "1"
  const peers = parsePeers(process.env.IDLE_PEERS)
  console.log(`idle keep-alive connections: ${conns} per server, ulimit -n ${limit}, Node ${process.version}`)
  const results: Array<Result> = []
  for (const peer of peers) {
    const r = await measure(peer, conns, snapshots)
    results.push(r)
  }
  console.log("")
  console.log(`${"server".padEnd(12)} ${"heap/conn".padStart(10)} ${"rss/conn".padStart(10)} ${"ext/conn".padStart(10)} ${"heap before".padStart(12)} ${"heap after".padStart(12)} ${"rss after".padStart(12)}`)
  for (const r of results) {
    console.log(
      `${r.name.padEnd(12)} ${kb(r.heapPerConn).padStart(10)} ${kb(r.rssPerConn).padStart(10)} ${kb(r.externalPerConn).padStart(10)} ${(r.before.heapUsed / 2 ** 20).toFixed(1).padStart(9)} MB ${(r.after.heapUsed / 2 ** 20).toFixed(1).padStart(9)} MB ${(r.after.rss / 2 ** 20).toFixed(1).padStart(9)} MB`
    )
  }
  const node = results.find((r) => r.name === "node:http")
  if (node !== undefined) {
    for (const r of results) {
      if (r === node) continue
      console.log(`${r.name} / node:http: heap ${(r.heapPerConn / node.heapPerConn).toFixed(2)}x, rss ${(r.rssPerConn / node.rssPerConn).toFixed(2)}x`)
    }
  }
  clearTimeout(deadline)
}

const isEntry = process.argv[1] !== undefined && path.resolve(process.argv[1]).replace(/\.(ts|mjs)$/, "").endsWith(path.join("bench", "idle-conns")) ||
  process.argv[1]?.endsWith("bench_idle-conns.mjs") === true

if (process.argv[2] === "child") {
  serveChild(process.argv[3] === "node" ? startNode : startOurs)
} else if (isEntry) {
  main().then(() => process.exit(0), (error) => {
    console.error(error)
    killChildren()
    process.exit(1)
  })
}
