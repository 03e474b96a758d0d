/**
 * h2load (Debian's nghttp2-client), the load generator of the server half of `npm run bench:h2`:
 * finding it (installing the package when running as root), running it in its own process
 * against one server, and reading its summary.
 *
 * @module
 */
import { spawnSync } from "node:child_process"
import { runToEnd } from "../server/processes.js"

const found = (): boolean => spawnSync("sh", ["-c", "command -v h2load"], { stdio: "ignore" }).status === 0

/**
 * Makes sure `h2load` is on the PATH: when it is not, runs `apt-get install -y nghttp2-client`
 * if this process is root. Returns undefined when h2load is there, else why it is not (the
 * caller skips the server half with that message).
 */
export const ensureH2load = (): string | undefined => {
  if (found()) return undefined
  if (process.getuid?.() !== 0) {
    return "h2load not found and not root: install it with `sudo apt-get install -y nghttp2-client` to run the server half"
  }
  process.stderr.write("h2load not found; running apt-get install -y nghttp2-client\n")
  spawnSync("apt-get", ["install", "-y", "nghttp2-client"], { stdio: ["ignore", "inherit", "inherit"], timeout: 5 * 60 * 1000 })
  if (found()) return undefined
  return "apt-get install -y nghttp2-client did not install h2load (try apt-get update first)"
}

/** h2load's version line, e.g. `h2load nghttp2/1.52.0`. */
export const h2loadVersion = (): string => {
  const out = spawnSync("h2load", ["--version"], { encoding: "utf8" })
  return (out.stdout ?? "").split("\n")[0]?.trim() || "h2load"
}

/** What one h2load run measured. */
export interface H2loadResult {
  readonly requestsPerSecond: number
  readonly seconds: number
  readonly succeeded: number
  /** failed + errored + timed out requests. */
  readonly failed: number
  /** The mean of `time for request`, in ms. */
  readonly meanMs: number
}

const toMs = (value: string, unit: string): number =>
  unit === "us" ? Number(value) / 1000 : unit === "ms" ? Number(value) : unit === "s" ? Number(value) * 1000 : NaN

/** Reads h2load's summary; throws when a line it needs is missing. */
export const parseH2load = (text: string): H2loadResult => {
  const finished = /finished in ([\d.]+)(ms|s), ([\d.]+) req\/s/.exec(text)
  const requests = /requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(text)
  if (finished === null || requests === null) throw new Error("h2load printed no summary")
  const mean = /time for request:\s+[\d.]+(?:us|ms|s)\s+[\d.]+(?:us|ms|s)\s+([\d.]+)(us|ms|s)/.exec(text)
  return {
    requestsPerSecond: Number(finished[3]),
    seconds: finished[2] === "ms" ? Number(finished[1]) / 1000 : Number(finished[1]),
    succeeded: Number(requests[1]),
    failed: Number(requests[2]) + Number(requests[3]) + Number(requests[4]),
    meanMs: mean === null ? NaN : toMs(mean[1]!, mean[2]!)
  }
}

/** One h2load run. */
export interface H2loadRun {
  readonly url: string
  readonly requests: number
  readonly clients: number
  readonly streamsPerClient: number
  /** Killed past this many milliseconds. */
  readonly timeoutMs: number
}

/** What came of an h2load run. */
export type H2loadOutcome =
  | { readonly ok: true; readonly result: H2loadResult }
  | { readonly ok: false; readonly reason: string; readonly output: string }

/** Runs `h2load -n <requests> -c <clients> -m <streams> <url>` and reads its summary. */
export const runH2load = async (run: H2loadRun): Promise<H2loadOutcome> => {
  const args = ["-n", String(run.requests), "-c", String(run.clients), "-m", String(run.streamsPerClient), run.url]
  const done = await runToEnd("h2load", args, false, run.timeoutMs)
  const output = `${done.stdout}\n${done.stderr}`
  if (done.timedOut) return { ok: false, reason: `h2load killed after ${run.timeoutMs / 1000} s`, output }
  if (done.code !== 0) return { ok: false, reason: `h2load exited with ${done.code ?? done.signal}`, output }
  try {
    const result = parseH2load(done.stdout)
    if (result.succeeded === 0) return { ok: false, reason: "h2load: no request succeeded", output }
    return { ok: true, result }
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error), output }
  }
}
