/**
 * The figures of `npm run bench:server`: medians, the table, and the `ratio server/` lines.
 *
 * @module
 */
import { median } from "../client/report.js"
import type { Latency, WrkResult } from "./wrk-output.js"

/** One case's figures: per peer, each round's wrk result in order (empty when it failed). */
export interface CaseResults {
  readonly name: string
  readonly byPeer: ReadonlyMap<string, ReadonlyArray<WrkResult>>
}

/** The peer the `ratio server/` lines divide by (`BENCH_BASELINE`; "node:http"). */
export const BASELINE = process.env.BENCH_BASELINE ?? "node:http"
/** The peer whose figures the ratios put on top (`BENCH_OURS`; "ours"). */
const OURS = process.env.BENCH_OURS ?? "ours"
/** The ratio lines' label (`BENCH_LABEL`; "server"). */
const LABEL = process.env.BENCH_LABEL ?? "server"

const medianRps = (results: ReadonlyArray<WrkResult>): number => median(results.map((r) => r.requestsPerSecond))

/** Each percentile's median over the rounds (NaN when there are none). */
export const medianLatency = (results: ReadonlyArray<WrkResult>): Latency => ({
  p50: median(results.map((r) => r.latencyMs.p50)),
  p75: median(results.map((r) => r.latencyMs.p75)),
  p90: median(results.map((r) => r.latencyMs.p90)),
  p99: median(results.map((r) => r.latencyMs.p99))
})

/** ours' median req/s over `peer`'s, or undefined when either has no figure. */
export const ratio = (c: CaseResults, peer: string): number | undefined => {
  const ours = medianRps(c.byPeer.get(OURS) ?? [])
  const theirs = medianRps(c.byPeer.get(peer) ?? [])
  return Number.isNaN(ours) || Number.isNaN(theirs) || theirs === 0 ? undefined : ours / theirs
}

const rps = (n: number): string => (Number.isNaN(n) ? "—" : n.toLocaleString("en-US", { maximumFractionDigits: 0 }))

const ms = (n: number): string => (Number.isNaN(n) ? "—" : n < 10 ? n.toFixed(3) : n.toFixed(1))

/**
 * The markdown table: case, peer, median req/s, each round's req/s, the median p50/p75/p90/p99
 * latencies in ms, ours ÷ peer.
 */
export const table = (cases: ReadonlyArray<CaseResults>, peers: ReadonlyArray<string>): Array<string> => {
  const lines = [
    "| case | peer | req/s | rounds (req/s) | p50 ms | p75 ms | p90 ms | p99 ms | ours ÷ peer |",
    "|---|---|---:|---|---:|---:|---:|---:|---:|"
  ]
  for (const c of cases) {
    for (const peer of peers) {
      const results = c.byPeer.get(peer) ?? []
      const l = medianLatency(results)
      const r = peer === OURS ? undefined : ratio(c, peer)
      const rounds = results.length === 0 ? "failed" : results.map((x) => rps(x.requestsPerSecond)).join(" / ")
      lines.push(
        `| ${c.name} | ${peer} | ${rps(medianRps(results))} | ${rounds} | ` +
          `${ms(l.p50)} | ${ms(l.p75)} | ${ms(l.p90)} | ${ms(l.p99)} | ${r === undefined ? "—" : r.toFixed(2)} |`
      )
    }
  }
  return lines
}

/** Exactly one `ratio server/<case> <ours/node:http>` line per case (`n/a` without both figures). */
export const ratioLines = (cases: ReadonlyArray<CaseResults>): Array<string> =>
  cases.map((c) => {
    const r = ratio(c, BASELINE)
    return `ratio ${LABEL}/${c.name} ${r === undefined ? "n/a" : r.toFixed(2)}`
  })
