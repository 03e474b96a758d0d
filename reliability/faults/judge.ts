/**
 * The pure judging of the faults and shutdown parts: a normal client's samples summed up and
 * held against a bar, recovery, file descriptors back to their baseline, and the accounting of
 * a shutdown under load (every request whose handler started was answered). No I/O here.
 *
 * @module
 */
import type { Check } from "../part.js"

/** One request of the normal client (the probe). */
export interface ProbeSample {
  /** When it was sent (ms since the epoch). */
  readonly at: number
  readonly ok: boolean
  /** How long it took (to the answer or to the failure). */
  readonly ms: number
  /** Why it failed. */
  readonly error?: string
}

/** The probe's figures over a window. */
export interface ProbeStats {
  readonly attempts: number
  readonly ok: number
  /** ok / attempts, 1 when nothing was attempted. */
  readonly successRate: number
  /** The slowest successful answer, in ms (0 when none). */
  readonly worstMs: number
  /** The first failure, if any. */
  readonly firstError: string | undefined
}

/** Sums up the probe's samples. */
export const probeStats = (samples: ReadonlyArray<ProbeSample>): ProbeStats => {
  let ok = 0
  let worstMs = 0
  let firstError: string | undefined
  for (const s of samples) {
    if (s.ok) {
      ok++
      if (s.ms > worstMs) worstMs = s.ms
    } else if (firstError === undefined) firstError = s.error ?? "failed"
  }
  return { attempts: samples.length, ok, successRate: samples.length === 0 ? 1 : ok / samples.length, worstMs, firstError }
}

/**
 * The probe kept working during a scenario: at least `bar` of its requests (0..1) succeeded and
 * at least `minAttempts` were made (a probe that could not even try proves nothing).
 */
export const judgeProbe = (name: string, stats: ProbeStats, bar: number, minAttempts = 3): Check => {
  if (stats.attempts < minAttempts) return { name, passed: false, reason: `only ${stats.attempts} probe requests (at least ${minAttempts} expected)` }
  if (stats.successRate + 1e-9 < bar) {
    return {
      name,
      passed: false,
      reason: `${stats.ok}/${stats.attempts} probe requests succeeded (${pct(stats.successRate)} < ${pct(bar)})` +
        (stats.firstError === undefined ? "" : `; first failure: ${stats.firstError}`)
    }
  }
  return { name, passed: true }
}

/** The server answered the probe again after the scenario: `recoveredMs` undefined means it did not within `limitMs`. */
export const judgeRecovery = (name: string, recoveredMs: number | undefined, limitMs: number): Check =>
  recoveredMs !== undefined && recoveredMs <= limitMs
    ? { name, passed: true }
    : { name, passed: false, reason: recoveredMs === undefined ? `no answer within ${limitMs} ms after the scenario` : `recovered after ${recoveredMs} ms (> ${limitMs} ms)` }

/** The server's open file descriptors came back to their baseline (within `slack`, the probe's own connection). */
export const judgeFds = (name: string, before: number | undefined, after: number | undefined, slack = 2): Check => {
  if (before === undefined || after === undefined) return { name, passed: false, reason: "could not read /proc/<pid>/fd" }
  return after <= before + slack ? { name, passed: true } : { name, passed: false, reason: `${after} fds after, ${before} before (a leak of ${after - before})` }
}

/** A plain condition as a check. */
export const judge = (name: string, passed: boolean, reason: string): Check => (passed ? { name, passed } : { name, passed, reason })

/** What the server under shutdown counted, and what its clients saw. */
export interface ShutdownAccounting {
  /** Handlers started (every request the server read). */
  readonly started: number
  /** Answers the server finished writing. */
  readonly answered: number
  /** Ids of our client's requests whose handler started, as the server logged them. */
  readonly startedIds: ReadonlyArray<string>
  /** Our client's requests, each with its outcome. */
  readonly ours: ReadonlyArray<{ readonly id: string; readonly ok: boolean; readonly typed: boolean; readonly error?: string }>
  /** Responses wrk completed. */
  readonly wrkRequests: number | undefined
}

/** The checks of one shutdown run's accounting: nothing started is lost, on either side. */
export const judgeShutdown = (label: string, a: ShutdownAccounting): Array<Check> => {
  const okIds = new Set(a.ours.filter((r) => r.ok).map((r) => r.id))
  const lost = a.startedIds.filter((id) => !okIds.has(id))
  const untyped = a.ours.filter((r) => !r.ok && !r.typed)
  const clientsAnswered = a.wrkRequests === undefined ? undefined : a.wrkRequests + okIds.size
  const checks: Array<Check> = [
    judge(`${label}: answered = started handlers (server's counts)`, a.answered === a.started, `${a.started} handlers started, ${a.answered} answered (${a.started - a.answered} lost)`),
    judge(
      `${label}: every request of our client whose handler started got its answer`,
      lost.length === 0,
      `${lost.length} lost: ${lost.slice(0, 5).join(", ")}${lost.length > 5 ? ", ..." : ""}` +
        ` (${a.ours.filter((r) => lost.includes(r.id)).map((r) => r.error ?? "ok").slice(0, 3).join("; ")})`
    ),
    judge(`${label}: our client's failures are typed errors`, untyped.length === 0, `${untyped.length} untyped: ${untyped.slice(0, 3).map((r) => r.error).join("; ")}`)
  ]
  if (clientsAnswered !== undefined) {
    checks.push(judge(
      `${label}: answers received (wrk + our client) = answers the server wrote`,
      clientsAnswered === a.answered,
      `wrk ${a.wrkRequests} + ours ${okIds.size} = ${clientsAnswered}, server answered ${a.answered}`
    ))
  }
  return checks
}

/** The process ended well: exit code 0 within the limit after SIGTERM. */
export const judgeExit = (label: string, code: number | null, signal: string | null, exitMs: number | undefined, limitMs: number): Array<Check> => [
  judge(`${label}: exits with code 0`, code === 0, `exit code ${code ?? "none"}${signal === null ? "" : `, signal ${signal}`}`),
  judge(`${label}: exits within ${limitMs} ms of SIGTERM`, exitMs !== undefined && exitMs <= limitMs, exitMs === undefined ? "did not exit" : `exited after ${exitMs} ms`)
]

/** A fraction as a percentage with one decimal. */
export const pct = (x: number): string => `${(x * 100).toFixed(1)} %`
