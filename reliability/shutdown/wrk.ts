/**
 * wrk (Debian's, `/usr/bin/wrk`) as a load generator that can be stopped early: started with
 * a long duration and sent SIGINT (by its PID) when the server under test has exited, upon
 * which wrk stops and prints its figures (read by `bench/server/wrk-output.ts`).
 *
 * @module
 */
import { spawn, spawnSync } from "node:child_process"
import { parseWrk, type WrkResult } from "../../bench/server/wrk-output.js"

/** Where wrk is, installing Debian's package once when it is missing and this process is root (bounded to 240 s); undefined when there is none. */
export const findWrk = (): string | undefined => {
  const look = (): string | undefined => {
    const r = spawnSync("sh", ["-c", "command -v wrk"], { encoding: "utf8" })
    return r.status === 0 ? r.stdout.trim() : undefined
  }
  const found = look()
  if (found !== undefined || process.getuid?.() !== 0) return found
  spawnSync("timeout", ["240", "apt-get", "install", "-y", "wrk"], { stdio: "ignore", timeout: 250_000 })
  return look()
}

/** What a wrk run gave: its figures and socket errors by kind, or why not. */
export type WrkEnd =
  | { readonly ok: true; readonly result: WrkResult; readonly errors: string }
  | { readonly ok: false; readonly reason: string }

/** A running wrk. */
export interface WrkProcess {
  /** Sends SIGINT: wrk stops and prints its figures. */
  readonly interrupt: () => void
  readonly done: Promise<WrkEnd>
}

/** Starts `wrk -t<threads> -c<connections> -d<maxSeconds>s --latency <url>`; killed after `maxSeconds` + 10 s. */
export const startWrk = (wrk: string, url: string, threads: number, connections: number, maxSeconds: number): WrkProcess => {
  const child = spawn(wrk, [`-t${threads}`, `-c${connections}`, `-d${maxSeconds}s`, "--latency", url], { stdio: ["ignore", "pipe", "pipe"] })
  let out = ""
  child.stdout.setEncoding("utf8").on("data", (s: string) => (out += s))
  child.stderr.setEncoding("utf8").on("data", (s: string) => (out += s))
  child.on("error", () => undefined)
  const kill = setTimeout(() => child.kill("SIGKILL"), (maxSeconds + 10) * 1000)
  const done = new Promise<WrkEnd>((resolve) => {
    child.once("close", (code, signal) => {
      clearTimeout(kill)
      try {
        const errors = /Socket errors: (.*)$/m.exec(out)?.[1] ?? "none"
        resolve({ ok: true, result: parseWrk(out), errors })
      } catch (e) {
        resolve({ ok: false, reason: `wrk ended (${code ?? signal}): ${e instanceof Error ? e.message : String(e)}: ${out.slice(0, 300)}` })
      }
    })
  })
  return {
    interrupt: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGINT")
    },
    done
  }
}
