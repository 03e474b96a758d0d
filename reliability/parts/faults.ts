/**
 * Part 3 of the suite: faults. Each scenario (`reliability/faults/scenarios/`) runs against
 * our server and against node:http, each in a child process, while a normal client probes
 * the server every 100 ms; a scenario passes when the probe's success rate stayed above its
 * bar, the server answers again afterwards, lives, and its fds come back to their baseline,
 * and its own checks hold. The checks are ours (and our Client's against either server);
 * node:http's figures are for comparison.
 *
 * @module
 */
import { Effect } from "effect"
import type { Check, Mode, Part, PartContext, PartOutcome, Table } from "../part.js"
import { type ServerChild, startChild } from "../faults/child.js"
import { pct } from "../faults/judge.js"
import { ourReadHeaderTimeoutMs, type PeerSpec, peers } from "../faults/peers.js"
import { Probe } from "../faults/probe.js"
import { runScenario, type Scenario, type ScenarioResult, type Sizes } from "../faults/scenario.js"
import { bomb } from "../faults/scenarios/bomb.js"
import { churn } from "../faults/scenarios/churn.js"
import { endless } from "../faults/scenarios/endless.js"
import { fdExhaustion } from "../faults/scenarios/fdExhaustion.js"
import { halfClose } from "../faults/scenarios/halfClose.js"
import { idle } from "../faults/scenarios/idle.js"
import { resetClientToServer, resetServerToClient } from "../faults/scenarios/resets.js"
import { slowloris } from "../faults/scenarios/slowloris.js"

/** Every scenario, in the order they run. */
export const SCENARIOS: ReadonlyArray<Scenario> = [
  slowloris, idle, churn, resetClientToServer, resetServerToClient, halfClose, endless, bomb, fdExhaustion
]

/** The sizes per mode: the quick run's fit in about 40 s for both servers, the full run's are issue 24's. */
export const SIZES: Readonly<Record<Mode, Sizes>> = {
  quick: { slowloris: 100, idle: 1_000, idleHoldMs: 1_500, churn: 2_000, resets: 50, cuts: 20, halfCloses: 50, endless: 3, bombs: 3, fdConnections: 400, fdHoldMs: 1_500, minWindowMs: 1_500 },
  full: { slowloris: 500, idle: 5_000, idleHoldMs: 6_000, churn: 10_000, resets: 200, cuts: 100, halfCloses: 200, endless: 10, bombs: 5, fdConnections: 400, fdHoldMs: 4_000, minWindowMs: 3_000 }
}

/** Sizes scaled to a `--count` (the churn's connections), every figure at least 1. */
export const scaleSizes = (base: Sizes, churnCount: number): Sizes => {
  const f = churnCount / base.churn
  const n = (x: number) => Math.max(1, Math.round(x * f))
  return { ...base, slowloris: n(base.slowloris), idle: n(base.idle), churn: churnCount, resets: n(base.resets), cuts: n(base.cuts), halfCloses: n(base.halfCloses), fdConnections: Math.max(300, n(base.fdConnections)) }
}

/** The scenarios in groups that share one server child (a scenario with `fdLimit` has its own). */
const groups = (scenarios: ReadonlyArray<Scenario>): Array<ReadonlyArray<Scenario>> => [
  scenarios.filter((s) => s.fdLimit === undefined),
  ...scenarios.filter((s) => s.fdLimit !== undefined).map((s) => [s])
]

const NO_PROBE = { attempts: 0, ok: 0, successRate: 0, worstMs: 0, firstError: undefined }

const failedStart = (peer: PeerSpec, scenarios: ReadonlyArray<Scenario>, reason: string): Array<ScenarioResult> =>
  scenarios.map((s) => ({
    scenario: s.name, peer: peer.peer, figures: [["not run", reason.slice(0, 300)]], probe: NO_PROBE, keptProbe: NO_PROBE,
    recoveredMs: undefined, fdsBefore: undefined, fdsAfter: undefined, alive: false,
    checks: [{ name: `${s.name} (${peer.peer}): the server started`, passed: false, reason }]
  }))

/** How `runAgainst` runs its scenarios. */
export interface GroupOptions {
  readonly mode: Mode
  readonly sizes: Sizes
  /** Our server's readHeaderTimeout (slow loris's window follows it). */
  readonly readHeaderTimeoutMs: number
  /** Scenarios not started by then are skipped (failed). */
  readonly deadline: number
  /** The time limit of each scenario. */
  readonly scenarioLimitMs: number
  readonly log: (line: string) => void
}

/** Runs scenarios that share a server (one `fdLimit` at most) against a fresh child of `peer`, with the probe going. */
export const runAgainst = (peer: PeerSpec, scenarios: ReadonlyArray<Scenario>, options: GroupOptions): Effect.Effect<Array<ScenarioResult>> =>
  Effect.scoped(Effect.gen(function*() {
    const fdLimit = scenarios[0]?.fdLimit
    const child = yield* Effect.acquireRelease(
      Effect.tryPromise(() => startChild({ script: peer.script, env: peer.env, nodeArgs: ["--expose-gc"], ...(fdLimit === undefined ? {} : { fdLimit }) })),
      (c: ServerChild) => Effect.promise(() => c.stop())
    )
    const probe = yield* Effect.acquireRelease(Effect.sync(() => new Probe(child.port)), (p) => Effect.promise(() => p.stop()))
    yield* Effect.sleep(300)
    const results: Array<ScenarioResult> = []
    for (const s of scenarios) {
      if (Date.now() > options.deadline) {
        results.push(...failedStart(peer, [s], "skipped: the part's time limit was reached"))
        continue
      }
      const env = { peer: peer.peer, child, mode: options.mode, sizes: options.sizes, readHeaderTimeoutMs: options.readHeaderTimeoutMs, log: options.log }
      results.push(yield* runScenario(s, env, probe, options.scenarioLimitMs))
    }
    return results
  }).pipe(Effect.catchAll((e) => Effect.succeed(failedStart(peer, scenarios, e instanceof Error ? e.message : String(e))))))

/** The checks that count: all of ours, and our Client's against node:http. */
export const countedChecks = (results: ReadonlyArray<ScenarioResult>): Array<Check> =>
  results.flatMap((r) => (r.peer === "ours" ? r.checks : r.checks.filter((c) => c.name.includes("our Client"))))

const verdict = (r: ScenarioResult): string => {
  const failed = r.checks.filter((c) => !c.passed)
  return failed.length === 0 ? "all pass" : `${failed.length} fail: ${failed.map((c) => c.name.replace(`${r.scenario} (${r.peer}): `, "")).join("; ")}`
}

/** The report's tables. */
export const faultTables = (results: ReadonlyArray<ScenarioResult>, scenarios: ReadonlyArray<Scenario>): Array<Table> => [
  {
    title: "Faults, ours and node:http side by side (probe: GET / on a fresh connection every 100 ms, 1 s timeout; beside it the same on a kept-alive connection, not judged)",
    columns: ["scenario", "server", "probe ok during", "worst probe answer", "kept-alive probe: ok, worst", "answers again after", "fds before → after", "lives", "figures", "checks (node:http: the same checks, for comparison only)"],
    rows: scenarios.flatMap((s) =>
      results.filter((r) => r.scenario === s.name).map((r) => [
        r.scenario, r.peer,
        `${r.probe.ok}/${r.probe.attempts} (${pct(r.probe.successRate)})`,
        `${r.probe.worstMs} ms`,
        `${r.keptProbe.ok}/${r.keptProbe.attempts}, ${r.keptProbe.worstMs} ms`,
        r.recoveredMs === undefined ? "never" : `${r.recoveredMs} ms`,
        `${r.fdsBefore ?? "?"} → ${r.fdsAfter ?? "?"}`,
        r.alive ? "yes" : "NO",
        r.figures.map(([k, v]) => `${k}: ${v}`).join("; "),
        verdict(r)
      ])
    )
  },
  {
    title: "Probe bars (the least share of the normal client's requests that must succeed during a scenario)",
    columns: ["scenario", "bar", "why", "recovery limit"],
    rows: scenarios.map((s) => [s.name, pct(s.probeBar), s.probeBarWhy, `${s.recoveryMs} ms`])
  }
]

const run = (ctx: PartContext): Effect.Effect<PartOutcome> =>
  Effect.gen(function*() {
    const start = Date.now()
    const deadline = start + ctx.budget.timeMs
    const sizes = scaleSizes(SIZES[ctx.mode], ctx.budget.count)
    const specs = peers(ctx.mode)
    const results: Array<ScenarioResult> = []
    for (const peer of specs) {
      ctx.log(`${peer.peer}: ${SCENARIOS.length} scenarios`)
      for (const group of groups(SCENARIOS)) {
        results.push(...(yield* runAgainst(peer, group, {
          mode: ctx.mode,
          sizes,
          readHeaderTimeoutMs: ourReadHeaderTimeoutMs(ctx.mode),
          deadline,
          scenarioLimitMs: ctx.mode === "quick" ? 20_000 : 90_000,
          log: ctx.log
        })))
      }
    }
    const checks = countedChecks(results)
    const ours = results.filter((r) => r.peer === "ours")
    const node = results.filter((r) => r.peer === "node:http")
    const fine = (rs: ReadonlyArray<ScenarioResult>) => rs.filter((r) => r.checks.every((c) => c.passed)).length
    return {
      checks,
      summary: `${SCENARIOS.length} scenarios in ${((Date.now() - start) / 1000).toFixed(1)} s; ours: ${fine(ours)}/${ours.length} clean, ` +
        `node:http: ${fine(node)}/${node.length} would pass the same checks`,
      tables: faultTables(results, SCENARIOS),
      notes: [
        ...specs.map((p) => `${p.peer}: ${p.settings}.`),
        "Sizes: " + Object.entries(sizes).map(([k, v]) => `${k} ${v}`).join(", ") + ".",
        "Checks per scenario (ours): the server lives, the probe's success rate during it is at least the bar, three probe requests in a row succeed within the recovery limit afterwards, " +
          "its open fds (/proc/<pid>/fd) come back to within 2 of the count before, and the scenario's own checks. node:http is held to the same checks (our readHeaderTimeout window, our idleTimeout, ...) for comparison only: only our Client's checks against it count.",
        "fd exhaustion: on Linux libuv answers EMFILE in accept by accepting the waiting connections on a reserved descriptor and closing them at once (uv__emfile_trick), " +
          "without reporting the error to Node, so neither server logs EMFILE and our accept loop's backoff is not reached; the connections beyond the limit are dropped (\"closed by the server while held\").",
        "Request decompression: neither server decodes request bodies (ours has response compression only, src/server/compress.ts), so the bomb is a gzip response read by our Client with decoding on."
      ]
    }
  })

/** The faults part. */
export const faultsPart: Part = {
  name: "faults",
  description: "Faults against our server and node:http in child processes, a normal client probing all along: slow loris, idle connections, " +
    "connection churn, resets mid-body both ways, half-closes, endless chunked bodies, a decompression bomb, fd exhaustion (ulimit -n 256).",
  unit: "connections of the churn (the other sizes scale with it)",
  quick: { count: SIZES.quick.churn, timeMs: 45_000 },
  full: { count: SIZES.full.churn, timeMs: 8 * 60_000 },
  run
}
