/**
 * Issue 17: the heap an idle keep-alive connection holds on the server. node:http holds about
 * 2.8 KB per idle connection (bench/idle-conns.ts); ours must stay on that order, under 4 KB.
 *
 * The server runs in this process; the clients run in a child process (so their sockets do not
 * count): they open CONNS keep-alive connections, each sends one GET and reads its answer, and
 * then the connections stay idle. The heap growth after a full GC, divided by CONNS, is the
 * cost of one idle connection (gc is exposed at run time with `v8.setFlagsFromString`, as
 * vitest runs without --expose-gc). A warm-up round first, so that compiled code and caches
 * are in the baseline. The signal (CONNS × a few KB, several MB) is well above this process's
 * heap noise (a few hundred KB); `npm run bench:idle` is the fuller measurement.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as v8 from "node:v8"
import * as vm from "node:vm"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import * as ServerResponse from "../../src/server/ServerResponse.js"
import { startServer } from "./rawClient.js"

v8.setFlagsFromString("--expose-gc")
const gc = vm.runInNewContext("gc") as () => void

const CONNS = 1000
const WARMUP = 200
const LIMIT_BYTES = 4096

/** The clients: open `n` connections to `port`, one GET each, print "ready", hold them until stdin ends. */
const CLIENT = `
const net = require("node:net")
const [port, n] = process.argv.slice(1).map(Number)
const REQ = "GET / HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nUser-Agent: idle-memory-test\\r\\nAccept: */*\\r\\n\\r\\n"
const sockets = []
let next = 0
const open = () => new Promise((resolve, reject) => {
  const s = net.connect(port, "127.0.0.1")
  let got = ""
  s.on("data", (d) => {
    got += d.toString("latin1")
    if (got.endsWith("Hello, World!")) resolve()
  })
  s.on("error", reject)
  s.on("connect", () => s.write(REQ))
  sockets.push(s)
})
const worker = async () => { while (next < n) { next++; await open() } }
Promise.all(Array.from({ length: 50 }, worker)).then(
  () => process.stdout.write("ready\\n"),
  (e) => { process.stderr.write(String(e)); process.exit(1) }
)
process.stdin.on("end", () => { for (const s of sockets) s.destroy(); process.exit(0) })
process.stdin.resume()
`

/** Starts the clients; completes once every connection got its answer. Kills the child (by PID) when the Scope closes. */
const clients = (port: number, n: number) =>
  Effect.acquireRelease(
    Effect.async<ChildProcess, Error>((resume) => {
      const child = spawn(process.execPath, ["-e", CLIENT, String(port), String(n)], { stdio: ["pipe", "pipe", "pipe"] })
      let err = ""
      child.stderr!.on("data", (d) => (err += d))
      child.stdout!.on("data", (d: Buffer) => {
        if (d.toString().includes("ready")) resume(Effect.succeed(child))
      })
      child.on("exit", (code) => resume(Effect.fail(new Error(`the clients exited (${code}): ${err}`))))
    }),
    (child) =>
      Effect.async<void>((resume) => {
        if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.void)
        child.once("exit", () => resume(Effect.void))
        child.stdin!.end()
        const t = setTimeout(() => child.kill("SIGKILL"), 2000)
        child.once("exit", () => clearTimeout(t))
      })
  )

const heapAfterGc = Effect.promise(async () => {
  for (let i = 0; i < 4; i++) {
    gc()
    await new Promise((resolve) => setImmediate(resolve))
  }
  return process.memoryUsage().heapUsed
})

describe("idle keep-alive connections (issue 17)", () => {
  it(`hold under ${LIMIT_BYTES} bytes of heap each after GC`, async () => {
    const perConn = await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const server = yield* startServer({ handler: () => Effect.succeed(ServerResponse.text("Hello, World!")) })
      // Warm-up: the serve path compiled and the caches filled before the baseline.
      yield* Effect.scoped(clients(server.port, WARMUP))
      yield* Effect.sleep(100)
      const before = yield* heapAfterGc
      yield* clients(server.port, CONNS)
      const stats = yield* server.stats
      expect(stats.connections).toBe(CONNS)
      // The server parks connections idle for a whole reaper tick (1 s): wait for two.
      yield* Effect.sleep(2500)
      const after = yield* heapAfterGc
      return (after - before) / CONNS
    })))
    console.log(`idle keep-alive connection: ${perConn.toFixed(0)} bytes of heap each (limit ${LIMIT_BYTES})`)
    expect(perConn).toBeLessThan(LIMIT_BYTES)
  }, 60_000)
})
