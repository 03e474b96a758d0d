/**
 * For test/cluster: runs test/fixtures/clusterApp.ts (a `Cluster.runMain` program) as a
 * child process through tsx, reads its stdout, and loads it with a bounded number of
 * requests in flight over a keep-alive node:http agent.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as http from "node:http"
import * as net from "node:net"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..")
const fixture = path.join(repoRoot, "test", "fixtures", "clusterApp.ts")

/** A running cluster program. */
export interface ClusterProcess {
  readonly child: ChildProcess
  readonly pid: number
  /** The `PORT` it was given (0: any; its workers' ready lines say which). */
  readonly port: number
  /** Everything written on stdout so far (the primary's and the workers'). */
  readonly stdout: () => string
  readonly stderr: () => string
  /** Resolves with the exit code (or the signal) once it has exited. */
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>
  /** SIGKILLs the primary and every worker it reported, by PID, if still running. */
  readonly kill: () => void
}

const started = new Set<ClusterProcess>()

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** The pids of the workers the primary reported ready, in order. */
export const readyPids = (stdout: string): Array<number> =>
  [...stdout.matchAll(/worker \d+ \(pid (\d+)\) ready/g)].map((m) => Number(m[1]))

/** A port free now on 127.0.0.1 (for a Layer whose workers do not report their url). */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port
      server.close(() => resolve(port))
    })
  })

/** Starts the fixture with `env` added to this process's environment. */
export const startCluster = (env: Record<string, string> = {}): ClusterProcess => {
  const child = spawn(process.execPath, ["--import", "tsx", fixture], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let out = ""
  let err = ""
  child.stdout!.setEncoding("utf8").on("data", (s: string) => (out += s))
  child.stderr!.setEncoding("utf8").on("data", (s: string) => (err += s))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on("exit", (code, signal) => resolve({ code, signal }))
  })
  const proc: ClusterProcess = {
    child,
    pid: child.pid!,
    port: Number(env.PORT ?? 0),
    stdout: () => out,
    stderr: () => err,
    exited,
    kill: () => {
      for (const pid of [child.pid!, ...readyPids(out)]) if (alive(pid)) process.kill(pid, "SIGKILL")
    }
  }
  started.add(proc)
  return proc
}

/** Kills every cluster this file started (for afterEach). */
export const killAllStarted = (): void => {
  for (const p of started) p.kill()
  started.clear()
}

/** Waits (polling, bounded) until `check` gives a value. */
export const waitFor = async <A>(check: () => A | undefined, timeoutMs: number, what: string | (() => string)): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === "string" ? what : what()}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/** Waits for `n` workers ready; gives the port and their pids. */
export const waitReady = async (p: ClusterProcess, n: number, timeoutMs = 15_000): Promise<{ port: number; pids: Array<number> }> => {
  const pids = await waitFor(() => {
    const got = readyPids(p.stdout())
    return got.length >= n ? got : undefined
  }, timeoutMs, () => `${n} ready workers (stdout: ${p.stdout()} stderr: ${p.stderr()})`)
  const port = Number(/ready at http:\/\/127\.0\.0\.1:(\d+)/.exec(p.stdout())?.[1] ?? p.port)
  return { port, pids }
}

/** How one request ended. */
export type Outcome =
  | { readonly ok: true; readonly id: string; readonly status: number; readonly body: string }
  | { readonly ok: false; readonly id: string; readonly error: string }

/**
 * GET /?delay=<delayMs> with `x-req-id: id`. A request that fails on a reused keep-alive
 * connection before any answer (the server closed it as idle) is sent once more, as Go's
 * Transport and Node's documentation do. One that has no answer after `timeoutMs` fails with
 * "timeout" (its connection is destroyed).
 */
export const get = (agent: http.Agent, port: number, id: string, delayMs: number, timeoutMs = 10_000): Promise<Outcome> =>
  new Promise((resolve) => {
    const attempt = (retried: boolean) => {
      let answered = false
      const req = http.get({ host: "127.0.0.1", port, path: `/?delay=${delayMs}`, agent, headers: { "x-req-id": id } }, (res) => {
        answered = true
        let body = ""
        res.setEncoding("utf8")
        res.on("data", (s: string) => (body += s))
        res.on("end", () => resolve({ ok: true, id, status: res.statusCode ?? 0, body }))
        res.on("error", (e: NodeJS.ErrnoException) => resolve({ ok: false, id, error: `response: ${e.code ?? e.message}` }))
      })
      req.setTimeout(timeoutMs, () => req.destroy(new Error("timeout")))
      req.on("error", (e: NodeJS.ErrnoException) => {
        if (answered) return
        if (!retried && req.reusedSocket && (e.code === "ECONNRESET" || e.code === "EPIPE")) return attempt(true)
        resolve({ ok: false, id, error: e.code ?? e.message })
      })
    }
    attempt(false)
  })

/** A bounded load: `concurrency` loops each sending one request after the other until stopped (or `maxMs`). */
export class Load {
  readonly outcomes: Array<Outcome> = []
  inFlight = 0
  private stopped = false
  private readonly agent: http.Agent
  private readonly loops: Array<Promise<void>> = []
  private next = 0

  constructor(private readonly port: number, concurrency: number, private readonly delayMs: number, timeoutMs = 10_000, maxMs = 15_000) {
    const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency })
    this.agent = agent
    const deadline = Date.now() + maxMs
    for (let i = 0; i < concurrency; i++) {
      this.loops.push((async () => {
        while (!this.stopped && Date.now() < deadline) {
          this.inFlight++
          const outcome = await get(agent, this.port, `r${++this.next}`, this.delayMs, timeoutMs)
          this.inFlight--
          this.outcomes.push(outcome)
        }
      })())
    }
  }

  /** Stops sending, waits for the requests in flight, and closes the agent's sockets. */
  async stop(): Promise<void> {
    this.stopped = true
    await Promise.all(this.loops)
    this.agent.destroy()
  }

  get answered(): Array<Extract<Outcome, { ok: true }>> {
    return this.outcomes.filter((o): o is Extract<Outcome, { ok: true }> => o.ok)
  }

  get failed(): Array<Extract<Outcome, { ok: false }>> {
    return this.outcomes.filter((o): o is Extract<Outcome, { ok: false }> => !o.ok)
  }
}

/** The ids whose handler printed `start <id>`. */
export const startedIds = (stdout: string): Set<string> => new Set([...stdout.matchAll(/^start (\S+)$/gm)].map((m) => m[1]!))

/** Sleeps. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
