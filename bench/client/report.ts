/**
 * The figures of `npm run bench:client`: medians, the table, and the `ratio client/` lines.
 *
 * @module
 */
import type { RunResult } from "./common.js"

/** A case's unit: requests per second, or body megabytes (1e6 bytes) per second. */
export type Unit = "req/s" | "MB/s"

/** The figure of one run in `unit`. */
export const figure = (result: RunResult, unit: Unit): number =>
  unit === "req/s" ? result.requests / result.seconds : result.bytes / 1e6 / result.seconds

/** The median (the upper one of an even count); NaN when empty. */
export const median = (xs: ReadonlyArray<number>): number => {
  if (xs.length === 0) return Number.NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

/** One case's figures: per peer, each round's figure in order. */
export interface CaseFigures {
  readonly name: string
  readonly unit: Unit
  readonly byPeer: ReadonlyMap<string, ReadonlyArray<number>>
  /** The peers the case runs, when not all (the others get no row). */
  readonly only?: ReadonlyArray<string> | undefined
}

const fmt = (n: number, unit: Unit): string =>
  Number.isNaN(n)
    ? "—"
    : n.toLocaleString("en-US", { maximumFractionDigits: unit === "MB/s" ? 1 : 0, minimumFractionDigits: unit === "MB/s" ? 1 : 0 })

/** The peer whose figures the ratios put on top (`BENCH_OURS`; "ours"). */
const OURS = process.env.BENCH_OURS ?? "ours"
/** The peer the `ratio` lines divide by (`BENCH_BASELINE`; "undici"). */
const BASELINE = process.env.BENCH_BASELINE ?? "undici"
/** The ratio lines' label (`BENCH_LABEL`; "client"). */
const LABEL = process.env.BENCH_LABEL ?? "client"

/** ours' median over `peer`'s, or undefined when either has no figure. */
export const ratio = (c: CaseFigures, peer: string): number | undefined => {
  const ours = median(c.byPeer.get(OURS) ?? [])
  const theirs = median(c.byPeer.get(peer) ?? [])
  return Number.isNaN(ours) || Number.isNaN(theirs) || theirs === 0 ? undefined : ours / theirs
}

/** The markdown table: case, peer, median, unit, each round's figure, ours ÷ peer. */
export const table = (cases: ReadonlyArray<CaseFigures>, peers: ReadonlyArray<string>): Array<string> => {
  const lines = ["| case | peer | median | unit | rounds | ours ÷ peer |", "|---|---|---:|---|---|---:|"]
  for (const c of cases) {
    for (const peer of peers) {
      if (c.only !== undefined && !c.only.includes(peer)) continue
      const rounds = c.byPeer.get(peer) ?? []
      const r = peer === OURS ? undefined : ratio(c, peer)
      const roundsText = rounds.length === 0 ? "failed" : rounds.map((x) => fmt(x, c.unit)).join(" / ")
      lines.push(
        `| ${c.name} | ${peer} | ${fmt(median(rounds), c.unit)} | ${c.unit} | ${roundsText} | ${r === undefined ? "—" : r.toFixed(2)} |`
      )
    }
  }
  return lines
}

/** Exactly one `ratio client/<case> <ours/undici>` line per case (`n/a` without both figures). */
export const ratioLines = (cases: ReadonlyArray<CaseFigures>): Array<string> =>
  cases.map((c) => {
    const r = ratio(c, BASELINE)
    return `ratio ${LABEL}/${c.name} ${r === undefined ? "n/a" : r.toFixed(2)}`
  })

/** The README peer's ratio over `BASELINE` for a case, or undefined without both figures. */
const readmeRatio = (c: CaseFigures): number | undefined => {
  const readme = median(c.byPeer.get(README) ?? [])
  const theirs = median(c.byPeer.get(BASELINE) ?? [])
  return Number.isNaN(readme) || Number.isNaN(theirs) || theirs === 0 ? undefined : readme / theirs
}

/** The peer making requests as README's Client example does (`BENCH_README`; "ours-readme"). */
const README = process.env.BENCH_README ?? "ours-readme"

/**
 * `ratio client/readme-c50` and `ratio client/readme-c1`: the README peer over undici in
 * `small-c50` and `small-c1` (only for the cases that ran, and only when the README peer ran).
 */
export const readmeRatioLines = (cases: ReadonlyArray<CaseFigures>): Array<string> => {
  const lines: Array<string> = []
  for (const [name, label] of [["small-c50", "readme-c50"], ["small-c1", "readme-c1"]] as const) {
    const c = cases.find((x) => x.name === name)
    if (c === undefined || !c.byPeer.has(README)) continue
    const r = readmeRatio(c)
    lines.push(`ratio ${LABEL}/${label} ${r === undefined ? "n/a" : r.toFixed(2)}`)
  }
  return lines
}
