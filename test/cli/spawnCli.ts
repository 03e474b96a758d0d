/**
 * Runs the CLI as a child process through `bin/effect-nethttp.mjs`, bounded by a timeout
 * (the child is killed when it runs out), and collects its output and exit code.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

/** The repository root. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..")

/** The bin script the tests run. */
export const binPath = path.join(repoRoot, "bin", "effect-nethttp.mjs")

/** What a finished run gave. */
export interface CliResult {
  /** The exit code, or null when a signal ended the child. */
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: Buffer
  readonly stderr: string
}

/** A child running the CLI. */
export interface CliChild {
  readonly child: ChildProcess
  /** stdout so far, as text. */
  readonly stdoutText: () => string
  /** Resolves when the child exits (it is killed after the timeout). */
  readonly done: Promise<CliResult>
}

/** The environment for the child: no proxies, whatever the machine has. */
const childEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const name of Object.keys(env)) if (/^(https?|all|no)_proxy$/i.test(name)) delete env[name]
  return env
}

/** Starts `node bin/effect-nethttp.mjs ...args`; it is killed with SIGKILL after `timeoutMs`. */
export const startCli = (args: ReadonlyArray<string>, timeoutMs = 60_000): CliChild => {
  const child = spawn(process.execPath, [binPath, ...args], { cwd: repoRoot, env: childEnv(), stdio: ["ignore", "pipe", "pipe"] })
  const out: Array<Buffer> = []
  const err: Array<Buffer> = []
  child.stdout!.on("data", (b: Buffer) => out.push(b))
  child.stderr!.on("data", (b: Buffer) => err.push(b))
  const done = new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs)
    child.on("error", (e) => {
      clearTimeout(timer)
      reject(e)
    })
    child.on("close", (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString("utf8") })
    })
  })
  return { child, stdoutText: () => Buffer.concat(out).toString("utf8"), done }
}

/** Runs the CLI to its end. */
export const runCli = (args: ReadonlyArray<string>, timeoutMs?: number): Promise<CliResult> => startCli(args, timeoutMs).done

/** Waits (polling, bounded) until `check` gives a value. */
export const waitFor = async <A>(check: () => A | undefined, timeoutMs: number, what: string): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
