/**
 * One shutdown under load: the server child starts, wrk (40 connections) and our client (10)
 * drive `GET /work`, SIGTERM comes after `sigtermAfterMs`; once the child has exited (or was
 * killed past `exitLimitMs`) the load stops, and the server's counts, the exit, wrk's figures
 * and our client's outcomes are judged (`judge.ts`).
 *
 * @module
 */
import { Duration, Effect, Fiber, Ref } from "effect"
import type { Check } from "../part.js"
import { startChild } from "../faults/child.js"
import { judge, judgeExit, judgeShutdown } from "../faults/judge.js"
import { parseCounts, parseInflight } from "./counts.js"
import { drive } from "./drive.js"
import { startWrk, type WrkEnd } from "./wrk.js"

/** What one run is. */
export interface ShutdownRunSpec {
  readonly label: string
  readonly script: string
  /** wrk's path; undefined when it is not installed (our client then drives every connection). */
  readonly wrk: string | undefined
  readonly sigtermAfterMs: number
  /** The server's shutdown timeout; the exit must come within it plus a margin. */
  readonly shutdownTimeoutMs: number
  readonly marginMs: number
  readonly wrkConnections: number
  readonly clientConnections: number
  readonly idPrefix: string
}

/** One run's figures and checks. */
export interface ShutdownRunResult {
  readonly label: string
  readonly figures: ReadonlyArray<readonly [string, string]>
  readonly checks: ReadonlyArray<Check>
}

const failedRun = (spec: ShutdownRunSpec, reason: string): ShutdownRunResult => ({
  label: spec.label,
  figures: [["not run", reason.slice(0, 300)]],
  checks: [{ name: `${spec.label}: ran`, passed: false, reason }]
})

const wrkFigure = (w: WrkEnd): string =>
  w.ok ? `${w.result.requests} answers, ${Math.round(w.result.requestsPerSecond)}/s, socket errors: ${w.errors}, non-2xx: ${w.result.non2xx3xx}` : w.reason

/** Runs one shutdown under load; never fails. */
export const runShutdownOnce = (spec: ShutdownRunSpec): Effect.Effect<ShutdownRunResult> =>
  Effect.gen(function*() {
    const child = yield* Effect.tryPromise(() => startChild({ script: spec.script }))
    const url = `http://127.0.0.1:${child.port}`
    const wrk = spec.wrk === undefined ? undefined : startWrk(spec.wrk, `${url}/work`, 2, spec.wrkConnections, Math.ceil((spec.sigtermAfterMs + spec.shutdownTimeoutMs + spec.marginMs) / 1000) + 5)
    const stop = yield* Ref.make(false)
    const driver = yield* Effect.fork(drive(url, spec.clientConnections + (wrk === undefined ? spec.wrkConnections : 0), spec.idPrefix, stop))
    yield* Effect.sleep(Duration.millis(spec.sigtermAfterMs))
    const sigtermAt = Date.now()
    child.signal("SIGTERM")
    const limitMs = spec.shutdownTimeoutMs + spec.marginMs
    const exit = yield* Effect.promise(() => child.exited).pipe(Effect.timeoutOption(Duration.millis(limitMs + 3_000)))
    if (exit._tag === "None") yield* Effect.promise(() => child.stop())
    const exited = exit._tag === "Some" ? exit.value : yield* Effect.promise(() => child.exited)
    const exitMs = exit._tag === "Some" ? exited.at - sigtermAt : undefined
    yield* Ref.set(stop, true)
    wrk?.interrupt()
    const sent = yield* Fiber.join(driver)
    const wrkEnd: WrkEnd | undefined = wrk === undefined ? undefined : yield* Effect.promise(() => wrk.done)
    const counts = parseCounts(child.output())
    const inflight = parseInflight(child.output())
    const ok = sent.filter((s) => s.outcome._tag === "Ok").length
    const failures = new Map<string, number>()
    for (const s of sent) {
      if (s.outcome._tag === "Ok") continue
      const k = s.outcome._tag === "Failed" ? s.outcome.error : `defect ${s.outcome.cause}`
      failures.set(k, (failures.get(k) ?? 0) + 1)
    }
    const checks: Array<Check> = [
      ...judgeExit(spec.label, exited.code, exited.signal, exitMs, limitMs),
      // Otherwise the run proves nothing about requests in flight.
      judge(`${spec.label}: requests were in flight at SIGTERM`, (inflight ?? 0) > 0, `in flight: ${inflight ?? "not printed"}`)
    ]
    if (counts === undefined) checks.push(judge(`${spec.label}: printed its counts`, false, `no counts line: ${child.output().slice(-300)}`))
    else {
      checks.push(...judgeShutdown(spec.label, {
        started: counts.started,
        answered: counts.answered,
        startedIds: counts.startedIds,
        ours: sent.map((s) => ({
          id: s.id,
          ok: s.outcome._tag === "Ok" && s.outcome.status === 200,
          typed: s.outcome._tag === "Ok" || (s.outcome._tag === "Failed" && !s.outcome.error.startsWith("untagged")),
          ...(s.outcome._tag === "Failed" ? { error: s.outcome.error } : s.outcome._tag === "Defect" ? { error: s.outcome.cause } : {})
        })),
        wrkRequests: wrkEnd === undefined ? 0 : wrkEnd.ok ? wrkEnd.result.requests : undefined
      }))
    }
    if (wrkEnd !== undefined && !wrkEnd.ok) checks.push(judge(`${spec.label}: wrk ran`, false, wrkEnd.reason))
    const result: ShutdownRunResult = {
      label: spec.label,
      figures: [
        ["exit", `code ${exited.code ?? "-"}${exited.signal === null ? "" : ` (${exited.signal})`} after ${exitMs ?? "> " + limitMs} ms`],
        ["in flight at SIGTERM", String(inflight ?? "?")],
        ["handlers started / answered", counts === undefined ? "?" : `${counts.started} / ${counts.answered}`],
        ["wrk", wrkEnd === undefined ? "not installed: our client drove every connection" : wrkFigure(wrkEnd)],
        ["our client", `${sent.length} requests, ${ok} answered${failures.size === 0 ? "" : `, ${[...failures].map(([k, n]) => `${n} × ${k}`).join(", ")}`}`]
      ],
      checks
    }
    return result
  }).pipe(Effect.catchAll((e) => Effect.succeed(failedRun(spec, e instanceof Error ? e.message : String(e)))))
