/**
 * What a faults scenario is, and how one is run against one server: the server's fds read
 * before, the probe's samples of the scenario's window judged against the scenario's bar,
 * recovery afterwards, the fds read again once they settle, and whether the server lives.
 *
 * @module
 */
import { Duration, Effect, Option } from "effect"
import type { Check, Mode } from "../part.js"
import { fdCount, type ServerChild } from "./child.js"
import { judge, judgeFds, judgeProbe, judgeRecovery, type ProbeStats, probeStats } from "./judge.js"
import { listenOverflows, overflowFigure } from "./listenOverflows.js"
import { type Probe, recover } from "./probe.js"
import { sleep } from "./sockets.js"

/** The server under test. */
export type Peer = "ours" | "node:http"

/** How many of each thing a scenario does (per mode, see `parts/faults.ts`). */
export interface Sizes {
  readonly slowloris: number
  readonly idle: number
  readonly idleHoldMs: number
  readonly churn: number
  readonly resets: number
  readonly cuts: number
  readonly halfCloses: number
  readonly endless: number
  readonly bombs: number
  readonly fdConnections: number
  readonly fdHoldMs: number
  /** The least time a fault that is over in milliseconds is repeated for, so the probe's requests span it (1.5 s: about 15). */
  readonly minWindowMs: number
}

/** What a scenario is given. */
export interface ScenarioEnv {
  readonly peer: Peer
  readonly child: ServerChild
  readonly mode: Mode
  readonly sizes: Sizes
  /** Our server's readHeaderTimeout in this run (the slow-loris window follows it for both peers). */
  readonly readHeaderTimeoutMs: number
  readonly log: (line: string) => void
}

/** What a scenario reports: its figures (name, value) and its own checks. */
export interface ScenarioRun {
  readonly figures: ReadonlyArray<readonly [string, string]>
  readonly checks: ReadonlyArray<Check>
}

/** One fault. */
export interface Scenario {
  readonly name: string
  /** The least share of probe requests that must succeed during it (0..1), and why. */
  readonly probeBar: number
  readonly probeBarWhy: string
  /** How long the server may take to answer again afterwards. */
  readonly recoveryMs: number
  /** Run against a server of its own started with this `ulimit -n`. */
  readonly fdLimit?: number
  readonly run: (env: ScenarioEnv) => Effect.Effect<ScenarioRun>
}

/** A scenario's result against one server. */
export interface ScenarioResult {
  readonly scenario: string
  readonly peer: Peer
  readonly figures: ReadonlyArray<readonly [string, string]>
  readonly probe: ProbeStats
  /** The kept-alive probe's figures (not judged: a fresh connection's answer is). */
  readonly keptProbe: ProbeStats
  readonly recoveredMs: number | undefined
  readonly fdsBefore: number | undefined
  readonly fdsAfter: number | undefined
  readonly alive: boolean
  /** Every check (the part keeps ours; node:http's are shown as figures). */
  readonly checks: ReadonlyArray<Check>
}

/** Waits (at most `limitMs`) for the child's fds to come back to `before` + `slack`; the last count read. */
const settledFds = async (pid: number, before: number | undefined, limitMs: number, slack = 2): Promise<number | undefined> => {
  const start = Date.now()
  let n = fdCount(pid)
  while (before !== undefined && n !== undefined && n > before + slack && Date.now() - start < limitMs) {
    await sleep(100)
    n = fdCount(pid)
  }
  return n
}

/** Runs `scenario` against `env.child` with `probe` going, bounded by `timeLimitMs`. */
export const runScenario = (scenario: Scenario, env: ScenarioEnv, probe: Probe, timeLimitMs: number): Effect.Effect<ScenarioResult> =>
  Effect.gen(function*() {
    const label = `${scenario.name} (${env.peer})`
    const pid = env.child.pid
    const fdsBefore = fdCount(pid)
    const outputBefore = env.child.output().length
    const overflowsBefore = listenOverflows()
    const mark = probe.mark()
    const run = yield* scenario.run(env).pipe(
      Effect.timeoutOption(Duration.millis(timeLimitMs)),
      Effect.map(Option.getOrElse((): ScenarioRun => ({ figures: [], checks: [{ name: `${label}: within ${timeLimitMs} ms`, passed: false, reason: "interrupted" }] })))
    )
    const stats = probeStats(probe.since(mark))
    const kept = probeStats(probe.keptSince(mark))
    const overflows = overflowFigure(overflowsBefore, listenOverflows())
    const recoveredMs = env.child.alive() ? yield* Effect.promise(() => recover(env.child.port, scenario.recoveryMs)) : undefined
    const fdsAfter = yield* Effect.promise(() => settledFds(pid, fdsBefore, 3_000))
    const alive = env.child.alive()
    const logged = env.child.output().slice(outputBefore).split("\n").filter((l) => l.trim() !== "")
    const errors = logged.filter((l) => /level=(ERROR|FATAL)|Error:|uncaught/i.test(l))
    const logFigure: readonly [string, string] = [
      "server log lines",
      `${logged.length} (${errors.length} errors)${errors.length === 0 ? "" : `, first: ${errors[0]!.trim().slice(0, 200)}`}`
    ]
    const checks: Array<Check> = [
      judge(`${label}: the server lives`, alive, `it exited: ${env.child.output().slice(-500)}`),
      judgeProbe(`${label}: probe success ≥ ${Math.round(scenario.probeBar * 100)} % during it`, stats, scenario.probeBar, scenario.probeBar > 0 ? 3 : 0),
      judgeRecovery(`${label}: answers again within ${scenario.recoveryMs} ms`, recoveredMs, scenario.recoveryMs),
      ...(alive ? [judgeFds(`${label}: fds back to baseline`, fdsBefore, fdsAfter)] : []),
      ...run.checks.map((c) => ({ ...c, name: `${label}: ${c.name}` }))
    ]
    env.log(`${label}: ${[...run.figures, overflows].map(([k, v]) => `${k} ${v}`).join(", ")}; probe ${stats.ok}/${stats.attempts}, worst ${stats.worstMs} ms (kept-alive: ${kept.ok}/${kept.attempts}, worst ${kept.worstMs} ms); ` +
      `recovered ${recoveredMs ?? "never"} ms; fds ${fdsBefore ?? "?"} → ${fdsAfter ?? "?"}${checks.every((c) => c.passed) ? "" : `; FAILED: ${checks.filter((c) => !c.passed).map((c) => c.name + " (" + (c.reason ?? "") + ")").join("; ")}`}`)
    return { scenario: scenario.name, peer: env.peer, figures: [...run.figures, overflows, logFigure], probe: stats, keptProbe: kept, recoveredMs, fdsBefore, fdsAfter, alive, checks }
  })
