/**
 * The verdict on a soak run: its checks (every request accounted for, none answered twice,
 * typed failures only, pool limits held, connections closed after the load, heap after GC and
 * fds back to their baseline, the whole mix exercised), its one-line summary and its tables
 * for the report (pure: a `SoakResult` in, a `PartOutcome` out).
 *
 * @module
 */
import type { Check, PartOutcome, Table } from "../part.js"
import { withinBaseline } from "./baseline.js"
import type { OutcomeRow } from "./breakdown.js"
import { CONNS, READS, ROUTES } from "./kinds.js"
import type { SoakResult } from "./result.js"
import type { PlotInput } from "./svg.js"

const MiB = 2 ** 20
const mib = (n: number): string => (n / MiB).toFixed(2)
const fmt = (n: number): string => Math.round(n).toLocaleString("en-US")
const pct = (x: number): string => `${x >= 0 ? "+" : ""}${(x * 100).toFixed(1)} %`

const check = (name: string, passed: boolean, reason: string): Check => (passed ? { name, passed } : { name, passed, reason })

/**
 * The heap after GC without compiled code (V8's code_and_metadata and bytecode_and_metadata):
 * the data the process holds. V8 goes on optimizing as a load runs, so compiled code grows
 * after any baseline; what must come back is the data. The whole heap when the sample has no
 * code statistics.
 */
export const dataHeap = (s: SoakResult["baseline"]): number =>
  s.spaces === undefined ? s.heap : s.heap - (s.spaces["code_and_metadata"] ?? 0) - (s.spaces["bytecode_and_metadata"] ?? 0)

/** The checks of a soak run. */
export const soakChecks = (r: SoakResult): Array<Check> => {
  const a = r.accounting
  const c = r.config
  const heap = withinBaseline("heap after GC (compiled code aside)", dataHeap(r.baseline), dataHeap(r.final), c.tolerance, c.heapSlackBytes)
  const fds = withinBaseline("open fds", r.baseline.fds, r.final.fds, c.tolerance, c.fdSlack)
  const groups = new Set(r.byConnAndRoute.filter((g) => g.requests > 0).map((g) => g.group))
  const reads = new Set(r.byReadAndInterrupt.filter((g) => g.requests > 0).map((g) => g.group))
  const missing = [
    ...CONNS.flatMap((conn) => ROUTES.map((route) => `${conn} /${route}`)).filter((g) => !groups.has(g)),
    ...READS.flatMap((read) => [read, `${read}, interrupted`]).filter((g) => !reads.has(g)),
    ...(r.server.closeConnections > 0 ? [] : ["server-side resets of every connection"]),
    ...(r.server.hijackResets > 0 ? [] : ["connections reset by the reset route"])
  ]
  return [
    check("soak: the whole mix ran (every connection kind × route, read mode ± interruption, both kinds of reset)", missing.length === 0 && r.loadRequests > 0, `not exercised: ${missing.join(", ")}${r.loadRequests > 0 ? "" : "; no request during the load"}`),
    check("soak: every request accounted for (none lost)", a.lost === 0, `${fmt(a.lost)} of ${fmt(a.issued)} requests without an outcome or hung past ${c.requestGuardMs} ms (ids ${a.examples.lost.join(", ")})`),
    check("soak: no request answered twice (handler starts within the client's attempts and the retry rule)", a.duplicated === 0 && a.answeredWithoutHandler === 0 && r.server.unknownIds === 0,
      `${fmt(a.duplicated)} duplicated (ids ${a.examples.duplicated.join(", ")}), ${fmt(a.answeredWithoutHandler)} answered without a handler (ids ${a.examples.answeredWithoutHandler.join(", ")}), ${fmt(r.server.unknownIds)} unknown ids at the server`),
    check("soak: typed failures only (no defects)", a.defects === 0, `${fmt(a.defects)} defects; first: ${r.defects[0] ?? ""}`),
    check(`soak: pool limits never exceeded (${fmt(r.pool.checks)} snapshots)`, r.pool.violations === 0, `${fmt(r.pool.violations)} snapshots over a limit: ${r.pool.examples.join(" | ")}`),
    check("soak: every connection closed after the load (client pools and server)", r.quietAfterLoad.reached, `after ${r.quietAfterLoad.waitedMs} ms still open: ${r.quietAfterLoad.left}`),
    check(`soak: heap after GC, compiled code aside, back to its baseline (≤ +${(c.tolerance * 100).toFixed(0)} % + ${mib(c.heapSlackBytes)} MiB)`, heap.passed && r.gcExposed,
      r.gcExposed ? `${mib(heap.after)} MiB of data after the load against ${mib(heap.baseline)} MiB (${pct(heap.growth)}), limit ${mib(heap.limit)} MiB` : "global.gc was not exposed: heap not measured after GC"),
    check(`soak: open fds back to their baseline (≤ +${(c.tolerance * 100).toFixed(0)} % + ${c.fdSlack})`, fds.passed && r.final.fds >= 0,
      `${r.final.fds} fds after the load against ${r.baseline.fds} (${pct(fds.growth)}), limit ${fds.limit.toFixed(1)}`)
  ]
}

const outcomeTable = (title: string, rows: ReadonlyArray<OutcomeRow>): Table => ({
  title,
  columns: ["requests", "count", "ok", "typed failures", "interrupted by the soak", "defects", "lost", "sent again (retried)"],
  rows: rows.map((g) => [g.group, fmt(g.requests), fmt(g.ok), fmt(g.failed), fmt(g.interrupted), fmt(g.defects), fmt(g.lost), fmt(g.retried)])
})

/** The tables of the report. */
export const soakTables = (r: SoakResult): Array<Table> => {
  const a = r.accounting
  const c = r.config
  const t0 = r.loadStartMs
  return [
    {
      title: `Samples (every ${c.sampleEveryMs / 1000} s; t from the start of the load; heap used after global.gc(); pool: the keep-alive Transport; fresh: the keep-alive-off Transport)`,
      columns: ["t (s)", "phase", "RSS MiB", "heap MiB", "fds", "requests done", "pool idle", "active", "dialing", "waiting", "open", "dials", "reuses", "fresh open", "fresh dials", "server conns", "server idle", "accepted"],
      rows: r.samples.map((s) => [
        ((s.t - t0) / 1000).toFixed(1), s.phase, mib(s.rss), mib(s.heap), String(s.fds), fmt(s.requests),
        String(s.pool.idle), String(s.pool.active), String(s.pool.dialing), String(s.pool.waiting), String(s.pool.open), fmt(s.pool.dials), fmt(s.pool.reuses),
        String(s.pool.freshOpen), fmt(s.pool.freshDials), String(s.server.connections), String(s.server.idle), fmt(s.server.accepted)
      ])
    },
    {
      title: "Baseline and after the load",
      columns: ["figure", "baseline", "after the load", "change", "limit"],
      rows: [
        ["heap after GC, compiled code aside (MiB, checked)", mib(dataHeap(r.baseline)), mib(dataHeap(r.final)), pct((dataHeap(r.final) - dataHeap(r.baseline)) / dataHeap(r.baseline)), mib(dataHeap(r.baseline) * (1 + c.tolerance) + c.heapSlackBytes)],
        ["heap after GC, all of it (MiB)", mib(r.baseline.heap), mib(r.final.heap), pct((r.final.heap - r.baseline.heap) / r.baseline.heap), ""],
        ["open fds", String(r.baseline.fds), String(r.final.fds), pct((r.final.fds - r.baseline.fds) / Math.max(1, r.baseline.fds)), (r.baseline.fds * (1 + c.tolerance) + c.fdSlack).toFixed(1)],
        ["RSS (MiB, not checked)", mib(r.baseline.rss), mib(r.final.rss), pct((r.final.rss - r.baseline.rss) / r.baseline.rss), ""],
        ...["old_space", "code_space", "large_object_space", "bytecode_and_metadata", "code_and_metadata"].map((space) => {
          const b = r.baseline.spaces?.[space] ?? 0
          const f = r.final.spaces?.[space] ?? 0
          return [`  of the heap: ${space} (MiB)`, mib(b), mib(f), b > 0 ? pct((f - b) / b) : "", ""]
        }),
        ["wait for every connection to close (ms)", String(r.quietBeforeBaseline.waitedMs), String(r.quietAfterLoad.waitedMs), "", ""]
      ]
    },
    {
      title: "Accounting (every request issued, warm-up included)",
      columns: ["issued", "ok", "typed failures", "interrupted by the soak", "defects", "lost", "answered twice", "answered without a handler", "retried by the Transport (allowed)", "extra handler starts of retried requests"],
      rows: [[fmt(a.issued), fmt(a.ok), fmt(a.failed), fmt(a.interrupted), fmt(a.defects), fmt(a.lost), fmt(a.duplicated), fmt(a.answeredWithoutHandler), fmt(a.retried), fmt(a.retriedHandlerStarts)]]
    },
    outcomeTable("Outcomes by connection and route", r.byConnAndRoute),
    outcomeTable("Outcomes by read mode and interruption", r.byReadAndInterrupt),
    {
      title: "Typed failures (route, error)",
      columns: ["route", "error (tag phase reason)", "count", "the first one's detail"],
      rows: r.failures.map(([route, label, n, detail]) => [`/${route}`, label, fmt(n), detail])
    },
    {
      title: "Pool and server",
      columns: ["figure", "value"],
      rows: [
        ["keep-alive Transport limits", `maxConnsPerHost ${c.limits.maxConnsPerHost}, maxIdleConnsPerHost ${c.limits.maxIdleConnsPerHost}, maxIdleConns ${c.limits.maxIdleConns}`],
        ["most connections to the host seen (dialing + active + idle)", String(r.pool.maxHostConns)],
        ["most idle connections seen", String(r.pool.maxIdle)],
        ["most requests waiting for a connection", String(r.pool.maxWaiting)],
        ["fresh Transport: maxConnsPerHost, most seen", `${c.freshMaxConnsPerHost}, ${r.pool.freshMaxHostConns}`],
        [`pool snapshots checked (every ${c.poolCheckEveryMs} ms, both Transports)`, fmt(r.pool.checks)],
        ["server: connections accepted", fmt(r.server.accepted)],
        ["server: every connection reset (closeConnections) during the load", fmt(r.server.closeConnections)],
        ["server: connections hijacked and closed unanswered (reset route, whole run)", fmt(r.server.hijackResets)],
        ["requests during the load, per second", `${fmt(r.loadRequests)}, ${r.requestsPerSecond.toFixed(0)}/s`]
      ]
    }
  ]
}

/** The one-line summary. */
export const soakSummary = (r: SoakResult): string => {
  const a = r.accounting
  return `${fmt(r.loadRequests)} requests in ${(r.config.loadMs / 1000).toFixed(0)} s (${r.requestsPerSecond.toFixed(0)}/s), ` +
    `${fmt(a.failed)} typed failures, ${fmt(a.lost)} lost, ${fmt(a.duplicated)} twice, ${fmt(a.defects)} defects; ` +
    `heap ${mib(r.baseline.heap)} → ${mib(r.final.heap)} MiB, fds ${r.baseline.fds} → ${r.final.fds}; pool max ${r.pool.maxHostConns}/${r.config.limits.maxConnsPerHost}`
}

/** How the soak works and how to read its figures. */
export const SOAK_NOTES: ReadonlyArray<string> = [
  "The soak runs in a child process (node --expose-gc) holding our Server and two Clients: one over a keep-alive Transport with the limits above, one over a Transport with keep-alive off. " +
  "32 fibers send one request after another (ids in a header the server echoes): routes /small, /big (1 MiB), /stream (8 chunks with pauses), /reset (half the time the handler hijacks the connection and closes it unanswered), /slow (50-200 ms), /echo (a POST with a 16 KiB body); " +
  "bodies read whole, the first chunk then the Scope closed, not at all, or slowly (2 ms between chunks); one request in ten interrupted at a random moment in its first 60 ms (Effect.timeoutOption); " +
  "and every few seconds the server resets every connection (Server.closeConnections).",
  "Baseline: after the warm-up (the same mix, resets included, in two rounds with a quiet moment between them, so that every path is compiled and every lazily made structure exists), " +
  "idle connections are closed on both Transports, the soak waits until neither side has a connection open, and takes heap used after global.gc() (twice) and the count of /proc/self/fd. " +
  "The same is done after the load and a settle period. A figure is back when it is at most 5 % above its baseline, plus an absolute slack for small baselines (512 KiB of heap; 2 fds). " +
  "The heap is judged without compiled code (heap used minus V8's code_and_metadata and bytecode_and_metadata): V8 goes on optimizing as the load runs, so code grows after any baseline, and the data is what must come back; the whole heap is shown too. RSS is shown, not checked (the allocator keeps freed pages). " +
  "The child runs with source maps off: tsx turns them on, and Node's cache of a parsed source map (about 2 MiB, made the first time a stack is formatted) otherwise lands before or after the baseline by chance.",
  "Accounting: the client records one outcome per id (ok, typed failure, interrupted by the soak, defect, or hung past 30 s = lost); the ClientTrace hook wroteHeaders counts the Transport's attempts per id and the handler counts its starts per id. " +
  "A request is answered twice when its handler started more often than it was sent, or it was sent or started more than once though the Transport's retry rule (src/transport/retry.ts: a reused connection, a replayable request) does not allow it (keep-alive off, or the POST), or it got another request's answer. " +
  "Documented retries (GET on a keep-alive connection the server dropped) are counted apart."
]

/** The plot's input from a result (time from the start of the run, in seconds). */
export const plotInput = (r: SoakResult, title: string): PlotInput => ({
  title,
  points: r.samples.map((s) => ({ t: s.t / 1000, rssMiB: s.rss / MiB, heapMiB: s.heap / MiB, fds: s.fds })),
  loadStart: r.loadStartMs / 1000,
  loadStop: r.loadEndMs / 1000,
  baseline: { heapMiB: r.baseline.heap / MiB, fds: r.baseline.fds }
})

/** The verdict, summary and tables of a run (the notes and the image are added by the part). */
export const evaluate = (r: SoakResult): PartOutcome => ({
  checks: soakChecks(r),
  summary: soakSummary(r),
  tables: soakTables(r),
  notes: SOAK_NOTES
})
