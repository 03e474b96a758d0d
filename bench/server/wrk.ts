/**
 * wrk, the load generator of `npm run bench:server`: finding it (installing the Debian package
 * when running as root) and running it, in its own process, against one server.
 *
 * @module
 */
import { spawnSync } from "node:child_process"
import { runToEnd } from "./processes.js"
import { parseWrk, type WrkResult } from "./wrk-output.js"

const found = (): boolean => spawnSync("sh", ["-c", "command -v wrk"], { stdio: "ignore" }).status === 0

/**
 * Makes sure `wrk` is on the PATH: when it is not, runs `apt-get install -y wrk` if this
 * process is root, and otherwise prints how to install it and exits with code 1.
 */
export const ensureWrk = (): void => {
  if (found()) return
  if (process.getuid?.() === 0) {
    process.stderr.write("wrk not found; running apt-get install -y wrk\n")
    spawnSync("apt-get", ["install", "-y", "wrk"], { stdio: ["ignore", "inherit", "inherit"], timeout: 10 * 60 * 1000 })
    if (found()) return
    process.stderr.write("apt-get install -y wrk did not install wrk (try apt-get update first)\n")
  } else {
    process.stderr.write("wrk not found: install it with `sudo apt-get install -y wrk` (Debian/Ubuntu) and run again\n")
  }
  process.exit(1)
}

/** One wrk run. */
export interface WrkRun {
  readonly url: string
  readonly threads: number
  readonly connections: number
  readonly seconds: number
  /** Run under `taskset -c 0`. */
  readonly pinned: boolean
}

/** What came of a wrk run. */
export type WrkOutcome =
  | { readonly ok: true; readonly result: WrkResult }
  | { readonly ok: false; readonly reason: string; readonly output: string }

/** Runs `wrk -t<threads> -c<connections> -d<seconds>s --latency <url>` and parses its output. */
export const runWrk = async (run: WrkRun): Promise<WrkOutcome> => {
  const args = [`-t${run.threads}`, `-c${run.connections}`, `-d${run.seconds}s`, "--latency", run.url]
  const timeoutMs = (run.seconds + 15) * 1000
  const done = await runToEnd("wrk", args, run.pinned, timeoutMs)
  const output = `${done.stdout}\n${done.stderr}`
  if (done.timedOut) return { ok: false, reason: `wrk killed after ${timeoutMs / 1000} s`, output }
  if (done.code !== 0) return { ok: false, reason: `wrk exited with ${done.code ?? done.signal}`, output }
  try {
    return { ok: true, result: parseWrk(done.stdout) }
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error), output }
  }
}
