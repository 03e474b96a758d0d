/**
 * Request outcomes by kind, from the ledger: by connection and route, and by read mode and
 * interruption (pure; for the report's tables).
 *
 * @module
 */
import { decodeKind, type Kind } from "./kinds.js"
import { type LedgerView, Outcome } from "./ledger.js"

/** The outcomes of one group of requests. */
export interface OutcomeRow {
  readonly group: string
  requests: number
  ok: number
  failed: number
  interrupted: number
  defects: number
  /** No outcome or hung. */
  lost: number
  /** Sent more than once (the Transport's retries). */
  retried: number
}

const tally = (l: LedgerView, groupOf: (k: Kind) => string): Array<OutcomeRow> => {
  const rows = new Map<string, OutcomeRow>()
  const kinds = new Map<number, Kind>()
  for (let id = 0; id < l.issued; id++) {
    const code = l.kind[id]!
    let kind = kinds.get(code)
    if (kind === undefined) kinds.set(code, kind = decodeKind(code))
    const group = groupOf(kind)
    let row = rows.get(group)
    if (row === undefined) rows.set(group, row = { group, requests: 0, ok: 0, failed: 0, interrupted: 0, defects: 0, lost: 0, retried: 0 })
    row.requests++
    if (l.sent[id]! > 1) row.retried++
    switch (l.outcome[id]) {
      case Outcome.ok:
        row.ok++
        break
      case Outcome.failed:
        row.failed++
        break
      case Outcome.interrupted:
        row.interrupted++
        break
      case Outcome.defect:
        row.defects++
        break
      default:
        row.lost++
    }
  }
  return [...rows.values()].sort((a, b) => a.group.localeCompare(b.group))
}

/** Outcomes by connection and route ("keep-alive /big"). */
export const byConnAndRoute = (l: LedgerView): Array<OutcomeRow> => tally(l, (k) => `${k.conn} /${k.route}`)

/** Outcomes by read mode and interruption ("partial, interrupted"). */
export const byReadAndInterrupt = (l: LedgerView): Array<OutcomeRow> =>
  tally(l, (k) => `${k.read}${k.interrupt ? ", interrupted" : ""}`)
