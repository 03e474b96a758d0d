/**
 * One load of an already started server, as `bench:server` and `bench:cluster` run it: the
 * probe (the answer is the expected hello), a wrk warm-up, then the measured wrk run.
 *
 * @module
 */
import { mismatch, probe } from "./probe.js"
import type { RunningServer } from "./processes.js"
import { runWrk } from "./wrk.js"
import type { WrkResult } from "./wrk-output.js"

/** What came of one peer run. */
export type RunOutcome =
  | { readonly ok: true; readonly result: WrkResult }
  | { readonly ok: false; readonly reason: string; readonly details: string }

/** How wrk loads the server. */
export interface LoadShape {
  readonly threads: number
  readonly connections: number
  /** Pin the server and wrk to separate cores. */
  readonly pinned: boolean
  readonly warmupSeconds: number
  readonly measureSeconds: number
}

/** Probes `server`, warms it up and measures it; `what` names the process in a failure ("the server process"). */
export const loadServer = async (server: RunningServer, shape: LoadShape, what: string): Promise<RunOutcome> => {
  const died = (): RunOutcome => ({ ok: false, reason: `${what} died under load`, details: server.stderr() })
  try {
    const why = mismatch(await probe(server.port))
    if (why !== undefined) return { ok: false, reason: why, details: server.stderr() }
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error), details: server.stderr() }
  }
  const wrk = { url: `http://127.0.0.1:${server.port}/`, threads: shape.threads, connections: shape.connections, pinned: shape.pinned }
  const warm = await runWrk({ ...wrk, seconds: shape.warmupSeconds })
  if (!server.alive()) return died()
  if (!warm.ok) return { ok: false, reason: `warm-up: ${warm.reason}`, details: `${warm.output}\n${server.stderr()}` }
  const measured = await runWrk({ ...wrk, seconds: shape.measureSeconds })
  if (!server.alive()) return died()
  if (!measured.ok) return { ok: false, reason: measured.reason, details: `${measured.output}\n${server.stderr()}` }
  return { ok: true, result: measured.result }
}
