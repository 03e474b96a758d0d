/**
 * The child processes of `npm run bench:server`: the server runners and wrk, each optionally
 * pinned to CPU 0 with `taskset -c 0` (taskset execs its command, so the PID is the
 * command's), every one tracked so that it is killed by its own PID (never by name) when its
 * run ends, and when the harness exits, fails or is interrupted.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process"
import { compiled, repoRoot } from "../harness.js"

const children = new Set<ChildProcess>()

/** Whether `child` was spawned and has not exited yet. */
const running = (child: ChildProcess): boolean =>
  child.pid !== undefined && child.exitCode === null && child.signalCode === null

/** Kills every child still running (SIGKILL, by PID). Synchronous, so it can run on `exit`. */
export const killAll = (): void => {
  for (const child of children) if (running(child)) child.kill("SIGKILL")
  children.clear()
}

/** Starts `command ...args` from the repository root, under `taskset -c 0` when `pinned`. */
export const startTracked = (
  command: string,
  args: ReadonlyArray<string>,
  pinned: boolean,
  env: NodeJS.ProcessEnv = process.env
): ChildProcess => {
  const [file, ...argv] = pinned ? ["taskset", "-c", "0", command, ...args] : [command, ...args]
  const child = spawn(file!, argv, { cwd: repoRoot, env, stdio: ["ignore", "pipe", "pipe"] })
  children.add(child)
  child.on("exit", () => children.delete(child))
  // A failed spawn (ENOENT, ...) is reported through `exit`/`close` by the callers' timers and
  // listeners; without an `error` listener it would crash the harness.
  child.on("error", () => undefined)
  return child
}

/** Collects a stream's text, keeping at most `limit` characters (the first ones). */
export const collectText = (stream: NodeJS.ReadableStream | null, limit = 64 * 1024): { readonly text: () => string } => {
  let text = ""
  stream?.setEncoding("utf8")
  stream?.on("data", (s: string) => {
    if (text.length < limit) text += s.slice(0, limit - text.length)
  })
  return { text: () => text }
}

/** The first `n` non-empty lines of `text`. */
export const firstLines = (text: string, n: number): Array<string> =>
  text.split("\n").filter((l) => l.trim() !== "").slice(0, n)

/** A server runner that printed its `listening` line. */
export interface RunningServer {
  readonly port: number
  readonly pid: number
  /** Whether it is still running. */
  readonly alive: () => boolean
  /** What it wrote on stderr so far. */
  readonly stderr: () => string
  /** Kills it (SIGTERM, then SIGKILL after 2 s) and resolves once it is gone. */
  readonly stop: () => Promise<void>
}

/** What came of starting a server runner. */
export type StartOutcome =
  | { readonly ok: true; readonly server: RunningServer }
  | { readonly ok: false; readonly reason: string; readonly stderr: string }

const LISTENING = /^listening https?:\/\/127\.0\.0\.1:(\d+)\/?$/

/** Resolves once `child` has exited (at once when it already has). */
const exited = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (!running(child)) return resolve()
    child.once("exit", () => resolve())
  })

const stopChild = async (child: ChildProcess): Promise<void> => {
  if (!running(child)) return
  child.kill("SIGTERM")
  const timer = setTimeout(() => {
    if (running(child)) child.kill("SIGKILL")
  }, 2_000)
  await exited(child)
  clearTimeout(timer)
}

/**
 * Compiles and starts `node <script>` with `PORT=0`, under `taskset -c 0` when `pinned`, and
 * waits (at most `timeoutMs`) for its `listening http(s)://127.0.0.1:<port>` line. Any other
 * stdout line before it is kept for the failure report; a runner that does not compile, exits
 * first, or stays silent is killed and reported with its stderr.
 */
export const startServer = (script: string, pinned: boolean, timeoutMs = 20_000): Promise<StartOutcome> => {
  let file: string
  try {
    file = compiled(script)
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    return Promise.resolve({ ok: false, reason: "did not compile", stderr: message })
  }
  return new Promise((resolve) => {
    const child = startTracked(process.execPath, [file], pinned, { ...process.env, PORT: "0" })
    const stderr = collectText(child.stderr)
    let out = ""
    let settled = false
    const fail = (reason: string) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      void stopChild(child).then(() =>
        resolve({ ok: false, reason, stderr: [stderr.text(), out].filter((s) => s.trim() !== "").join("\n") })
      )
    }
    const timer = setTimeout(() => fail(`no listening line within ${timeoutMs / 1000} s`), timeoutMs)
    child.once("error", (error) => fail(error.message))
    child.once("exit", (code, signal) => fail(`exited (${code ?? signal}) before listening`))
    child.stdout?.setEncoding("utf8")
    child.stdout?.on("data", (s: string) => {
      if (settled) return
      out += s
      for (const line of out.split("\n").slice(0, -1)) {
        const match = LISTENING.exec(line.trim())
        if (match === null) continue
        settled = true
        clearTimeout(timer)
        resolve({
          ok: true,
          server: {
            port: Number(match[1]),
            pid: child.pid!,
            alive: () => running(child),
            stderr: stderr.text,
            stop: () => stopChild(child)
          }
        })
        return
      }
    })
  })
}

/** How a command run to its end went. */
export interface Finished {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
  readonly timedOut: boolean
}

/** Runs `command ...args` (pinned when asked) to its end, killing it past `timeoutMs`. */
export const runToEnd = (command: string, args: ReadonlyArray<string>, pinned: boolean, timeoutMs: number): Promise<Finished> =>
  new Promise((resolve) => {
    const child = startTracked(command, args, pinned)
    const stdout = collectText(child.stdout)
    const stderr = collectText(child.stderr)
    let timedOut = false
    let spawnError: string | undefined
    const timer = setTimeout(() => {
      timedOut = true
      child.kill("SIGKILL")
    }, timeoutMs)
    child.once("error", (error) => {
      spawnError = error.message
    })
    child.once("close", (code, signal) => {
      clearTimeout(timer)
      const err = spawnError === undefined ? stderr.text() : `${spawnError}\n${stderr.text()}`
      resolve({ code, signal, stdout: stdout.text(), stderr: err, timedOut })
    })
  })
