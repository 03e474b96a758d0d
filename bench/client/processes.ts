/**
 * The child processes of `npm run bench:client`: the upstream servers and the peer runners,
 * each optionally pinned to CPU 0 with `taskset`, every one tracked so that it is killed (by
 * its own PID, never by name) when the orchestrator ends, fails or is interrupted.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process"
import { compiled, repoRoot } from "../harness.js"
import type { RunResult } from "./common.js"


const children = new Set<ChildProcess>()

/** Kills every child still running (SIGKILL, by PID). Synchronous, so it can run on `exit`. */
export const killAll = (): void => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
  }
  children.clear()
}

/**
 * Starts `node <compiled script> ...args` from the repository root, under `taskset -c 0`
 * when `pinned` (taskset execs node, so the PID is node's).
 */
const startNode = (script: string, args: ReadonlyArray<string>, pinned: boolean, env: NodeJS.ProcessEnv): ChildProcess => {
  const nodeArgv = [process.execPath, compiled(script), ...args]
  const [command, ...argv] = pinned ? ["taskset", "-c", "0", ...nodeArgv] : nodeArgv
  const child = spawn(command!, argv, { cwd: repoRoot, env, stdio: ["pipe", "pipe", "pipe"] })
  children.add(child)
  child.on("exit", () => children.delete(child))
  return child
}

/** Collects a stream's text. */
const collectText = (stream: NodeJS.ReadableStream | null): { readonly text: () => string } => {
  let text = ""
  stream?.setEncoding("utf8")
  stream?.on("data", (s: string) => {
    text += s
  })
  return { text: () => text }
}

/** The first `n` non-empty lines of `text`. */
export const firstLines = (text: string, n: number): Array<string> =>
  text.split("\n").filter((l) => l.trim() !== "").slice(0, n)

/** A running upstream server. */
export interface Upstream {
  readonly port: number
  readonly pinned: boolean
  /** Closes its stdin and kills it. */
  readonly stop: () => void
}

/**
 * Starts `script` (default `bench/client/upstream.ts`; bench/h2.ts passes its HTTP/2 upstream)
 * and waits for the port it prints.
 */
export const startUpstream = (pinned: boolean, script = "bench/client/upstream.ts"): Promise<Upstream> =>
  new Promise((resolve, reject) => {
    const child = startNode(script, [], pinned, process.env)
    const stderr = collectText(child.stderr)
    let out = ""
    const fail = (why: string) => {
      clearTimeout(timer)
      child.kill("SIGKILL")
      reject(new Error(`upstream: ${why}\n${firstLines(stderr.text(), 10).join("\n")}`))
    }
    const timer = setTimeout(() => fail("no port within 20 s"), 20_000)
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      fail(`exited (${code ?? signal}) before printing its port`)
    child.on("exit", onExit)
    child.stdout?.setEncoding("utf8")
    child.stdout?.on("data", (s: string) => {
      out += s
      const nl = out.indexOf("\n")
      if (nl < 0) return
      clearTimeout(timer)
      child.removeListener("exit", onExit)
      child.stdout?.removeAllListeners("data")
      child.stdout?.resume()
      const { port } = JSON.parse(out.slice(0, nl)) as { port: number }
      resolve({
        port,
        pinned,
        stop: () => {
          child.stdin?.end()
          if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM")
        }
      })
    })
  })

/** What came of one peer run. */
export type PeerOutcome =
  | { readonly ok: true; readonly result: RunResult }
  | { readonly ok: false; readonly reason: string; readonly stderr: string }

/** What a peer run needs. */
export interface PeerRun {
  /** The runner script, relative to the repository root. */
  readonly script: string
  readonly url: string
  readonly concurrency: number
  readonly pinned: boolean
  readonly warmupSeconds: number
  readonly measureSeconds: number
  /** Killed past this many milliseconds. */
  readonly timeoutMs: number
}

const isRunResult = (u: unknown): u is RunResult =>
  typeof u === "object" && u !== null &&
  typeof (u as RunResult).requests === "number" && typeof (u as RunResult).seconds === "number" &&
  typeof (u as RunResult).bytes === "number" && (u as RunResult).requests > 0 && (u as RunResult).seconds > 0

/** Runs one peer runner to its end (or its time limit) and reads its JSON line. */
export const runPeer = (run: PeerRun): Promise<PeerOutcome> =>
  new Promise((resolve) => {
    const env = {
      ...process.env,
      BENCH_SECONDS: String(run.measureSeconds),
      BENCH_WARMUP_SECONDS: String(run.warmupSeconds)
    }
    const child = startNode(run.script, [run.url, String(run.concurrency)], run.pinned, env)
    child.stdin?.end()
    const stdout = collectText(child.stdout)
    const stderr = collectText(child.stderr)
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill("SIGKILL")
    }, run.timeoutMs)
    child.on("error", (error) => {
      clearTimeout(timer)
      resolve({ ok: false, reason: error.message, stderr: stderr.text() })
    })
    child.on("close", (code, signal) => {
      clearTimeout(timer)
      const line = firstLines(stdout.text(), 1)[0]
      let parsed: unknown
      try {
        parsed = line === undefined ? undefined : JSON.parse(line)
      } catch {
        parsed = undefined
      }
      if (code === 0 && isRunResult(parsed)) return resolve({ ok: true, result: parsed })
      const reason = timedOut
        ? `killed after ${run.timeoutMs / 1000} s`
        : code !== 0
        ? `exited with ${code ?? signal}`
        : `printed no result (${JSON.stringify(line ?? "")})`
      resolve({ ok: false, reason, stderr: stderr.text() })
    })
  })
