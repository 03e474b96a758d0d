/**
 * One sample of the soak process: RSS, heap used after a full GC (`global.gc()`, the process
 * runs with `--expose-gc`), open file descriptors (entries of /proc/self/fd), and the pool
 * and server figures of that moment.
 *
 * @module
 */
import * as fs from "node:fs"
import * as v8 from "node:v8"
import type { PoolStats } from "../../src/transport/transportService.js"

/** The pool figures of a sample: the keep-alive Transport's `PoolStats` (without the per-host ones), and the fresh one's open sockets. */
export interface PoolFigures extends Pick<PoolStats, "idle" | "active" | "dialing" | "waiting" | "open" | "dials" | "reuses"> {
  /** The fresh-connection Transport: sockets open, and dials so far. */
  readonly freshOpen: number
  readonly freshDials: number
}

/** The server figures of a sample (`ServerStats`). */
export interface ServerFigures {
  readonly connections: number
  readonly idle: number
  readonly accepted: number
}

/** The phase a sample was taken in. */
export type SamplePhase = "warm-up" | "baseline" | "load" | "settle" | "final"

/** One sample. */
export interface Sample {
  /** Milliseconds since the soak started. */
  readonly t: number
  readonly phase: SamplePhase
  readonly rss: number
  /** Heap used after a full GC. */
  readonly heap: number
  readonly fds: number
  /** Requests finished so far. */
  readonly requests: number
  readonly pool: PoolFigures
  readonly server: ServerFigures
  /** Used bytes per V8 heap space (old_space, code_space, ...), for the baseline and final samples. */
  readonly spaces?: Readonly<Record<string, number>>
}

/** The number of open file descriptors of this process; -1 where /proc is missing. */
export const openFds = (): number => {
  try {
    return fs.readdirSync("/proc/self/fd").length
  } catch {
    return -1
  }
}

/** A full GC when the process runs with --expose-gc (twice: weak references cleared by the first are collected by the second). */
export const fullGc = (): boolean => {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) return false
  gc()
  gc()
  return true
}

/** RSS and heap used after a full GC, now. */
export const memoryNow = (): { readonly rss: number; readonly heap: number } => {
  fullGc()
  const m = process.memoryUsage()
  return { rss: m.rss, heap: m.heapUsed }
}

/**
 * Used bytes per V8 heap space now (call after {@link memoryNow}, so after a GC), and V8's
 * code statistics (`bytecode_and_metadata_size`, `code_and_metadata_size`): how much of the
 * heap is compiled code rather than data.
 */
export const heapSpaces = (): Record<string, number> => {
  const code = v8.getHeapCodeStatistics() as unknown as Record<string, number>
  return {
    ...Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, s.space_used_size])),
    bytecode_and_metadata: code["bytecode_and_metadata_size"] ?? 0,
    code_and_metadata: code["code_and_metadata_size"] ?? 0
  }
}
