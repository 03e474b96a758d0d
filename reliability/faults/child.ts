/**
 * A server under test in a child process: the script compiled once with esbuild (as the
 * benchmarks do, `bench/harness.ts`), started with `node`, or under `sh -c 'ulimit -n N; exec
 * node ...'` when a descriptor limit is asked for (exec keeps the PID, so `/proc/<pid>/fd` is
 * the server's). Waits for its `listening http://127.0.0.1:<port>` line; every child is
 * stopped by its own PID (SIGTERM, SIGKILL after 2 s), and killed if this process exits.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import { compiled, repoRoot } from "../../bench/harness.js"

/** A running server child. */
export interface ServerChild {
  readonly pid: number
  readonly port: number
  /** Whether it is still running. */
  readonly alive: () => boolean
  /** Everything it printed (stdout and stderr, first 256 KiB of each). */
  readonly output: () => string
  /** Resolves with its exit once it has exited. */
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null; readonly at: number }>
  /** Sends a signal to it (by its PID). */
  readonly signal: (signal: NodeJS.Signals) => void
  /** Stops it: SIGTERM, SIGKILL after 2 s. */
  readonly stop: () => Promise<void>
}

/** How to start a child. */
export interface ChildOptions {
  /** The script, relative to the repository root. */
  readonly script: string
  readonly env?: Readonly<Record<string, string>>
  /** `ulimit -n` inside the child's shell. */
  readonly fdLimit?: number
  readonly startTimeoutMs?: number
  /** Options for node itself (e.g. `--expose-gc`). */
  readonly nodeArgs?: ReadonlyArray<string>
}

const live = new Set<ChildProcess>()
let hooked = false
const hookExit = (): void => {
  if (hooked) return
  hooked = true
  process.once("exit", () => {
    for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL")
  })
}

const LISTENING = /^listening http:\/\/127\.0\.0\.1:(\d+)\/?$/m
const LIMIT = 256 * 1024

/** Starts the child and waits for its listening line; rejects (after killing it) when it does not come. */
export const startChild = (options: ChildOptions): Promise<ServerChild> => {
  hookExit()
  const file = compiled(options.script)
  const nodeArgs = options.nodeArgs ?? []
  const [cmd, args] = options.fdLimit === undefined
    ? [process.execPath, [...nodeArgs, file]]
    : ["sh", ["-c", `ulimit -n ${options.fdLimit} && exec "$0" "$@"`, process.execPath, ...nodeArgs, file]]
  const child = spawn(cmd, args as Array<string>, { cwd: repoRoot, env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] })
  live.add(child)
  child.on("error", () => undefined)
  let out = ""
  const collect = (s: string) => {
    if (out.length < 2 * LIMIT) out += s
  }
  child.stdout.setEncoding("utf8").on("data", collect)
  child.stderr.setEncoding("utf8").on("data", collect)
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => {
    child.once("exit", (code, signal) => {
      live.delete(child)
      resolve({ code, signal, at: Date.now() })
    })
  })
  const alive = () => child.exitCode === null && child.signalCode === null
  const stop = async () => {
    if (!alive()) return
    child.kill("SIGTERM")
    const timer = setTimeout(() => alive() && child.kill("SIGKILL"), 2_000)
    await exited
    clearTimeout(timer)
  }
  return new Promise((resolve, reject) => {
    const timeoutMs = options.startTimeoutMs ?? 20_000
    const timer = setTimeout(() => fail(`no listening line within ${timeoutMs} ms`), timeoutMs)
    const fail = (why: string) => {
      clearTimeout(timer)
      void stop().then(() => reject(new Error(`${options.script}: ${why}: ${out.slice(0, 2000)}`)))
    }
    void exited.then((e) => fail(`exited (${e.code ?? e.signal}) before listening`))
    const onData = () => {
      const m = LISTENING.exec(out)
      if (m === null) return
      clearTimeout(timer)
      child.stdout.off("data", onData)
      resolve({
        pid: child.pid!,
        port: Number(m[1]),
        alive,
        output: () => out,
        exited,
        signal: (s) => {
          if (alive()) child.kill(s)
        },
        stop
      })
    }
    child.stdout.on("data", onData)
  })
}

/** The open file descriptors of process `pid`, or undefined when it cannot be read. */
export const fdCount = (pid: number): number | undefined => {
  try {
    return fs.readdirSync(`/proc/${pid}/fd`).length
  } catch {
    return undefined
  }
}
