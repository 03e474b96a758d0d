/**
 * Runs a soak in a child process (`child.ts`), so that it can have `--expose-gc` and its
 * figures (RSS, heap, fds) are its own, not the runner's. Progress lines are passed to `log`;
 * the child is killed by its PID when it overruns `killAfterMs` or when the caller is
 * interrupted.
 *
 * @module
 */
import { Data, Effect } from "effect"
import { spawn } from "node:child_process"
import { createRequire } from "node:module"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as readline from "node:readline"
import { fileURLToPath, pathToFileURL } from "node:url"
import type { SoakConfig } from "./config.js"
import type { SoakResult } from "./result.js"

/** The child process failed: it could not start, exited without a result, or overran and was killed. */
export class SoakChildError extends Data.TaggedError("SoakChildError")<{
  readonly reason: "spawn" | "exit" | "killed" | "result"
  readonly detail: string
}> {}

const CHILD = fileURLToPath(new URL("./child.ts", import.meta.url))

/** tsx's ESM loader, for the child's `--import` (resolved with require: vitest has no `import.meta.resolve`). */
const TSX_ESM = pathToFileURL(createRequire(import.meta.url).resolve("tsx/esm")).href

/** Runs `config` in a child process; its result, or why there is none. */
export const runSoakChild = (config: SoakConfig, log: (line: string) => void, killAfterMs: number): Effect.Effect<SoakResult, SoakChildError> =>
  Effect.async<SoakResult, SoakChildError>((resume) => {
    const resultFile = path.join(os.tmpdir(), `effect-nethttp-soak-${process.pid}-${Date.now()}.json`)
    const child = spawn(process.execPath, ["--expose-gc", "--import", TSX_ESM, CHILD, JSON.stringify(config), resultFile], {
      stdio: ["ignore", "pipe", "pipe"]
    })
    const pid = child.pid
    let stderr = ""
    let killed = false
    readline.createInterface({ input: child.stdout }).on("line", log)
    child.stderr.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString("utf8")).slice(-2000)
    })
    const kill = () => {
      if (pid !== undefined && child.exitCode === null && child.signalCode === null) {
        killed = true
        try {
          process.kill(pid, "SIGKILL")
        } catch {
          // already gone
        }
      }
    }
    const timer = setTimeout(kill, killAfterMs)
    child.on("error", (e) => {
      clearTimeout(timer)
      resume(Effect.fail(new SoakChildError({ reason: "spawn", detail: e.message })))
    })
    child.on("exit", (code, signal) => {
      clearTimeout(timer)
      if (killed) return resume(Effect.fail(new SoakChildError({ reason: "killed", detail: `still running after ${killAfterMs} ms: killed (pid ${pid})` })))
      if (code !== 0) return resume(Effect.fail(new SoakChildError({ reason: "exit", detail: `exit ${code ?? signal}: ${stderr.trim().split("\n").slice(0, 12).join(" | ")}` })))
      try {
        const result = JSON.parse(fs.readFileSync(resultFile, "utf8")) as SoakResult
        fs.rmSync(resultFile, { force: true })
        resume(Effect.succeed(result))
      } catch (e) {
        resume(Effect.fail(new SoakChildError({ reason: "result", detail: String(e) })))
      }
    })
    return Effect.sync(() => {
      clearTimeout(timer)
      kill()
      fs.rmSync(resultFile, { force: true })
    })
  })
