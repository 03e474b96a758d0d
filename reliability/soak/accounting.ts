/**
 * The accounting of a soak: a pure function over the ledger saying whether every request is
 * accounted for exactly once. A request is lost when the client recorded no outcome for it
 * (or it hung past the guard time); it is answered twice when the server's handler started on
 * it more often than the client sent it, or more than once while the Transport's retry rule
 * does not allow a second attempt (keep-alive off, or not replayable), or when the client
 * recorded two outcomes, or got a response carrying another request's id. Outcomes are
 * successes or typed failures; a defect is a bug.
 *
 * @module
 */
import { decodeKind, retryAllowed } from "./kinds.js"
import { type LedgerView, Outcome } from "./ledger.js"

/** A few ids of each problem, for the report. */
const EXAMPLES = 5

/** The figures of the accounting; each list holds the first few ids found. */
export interface Accounting {
  readonly issued: number
  readonly ok: number
  readonly failed: number
  readonly interrupted: number
  readonly defects: number
  /** No outcome recorded, or hung past the guard time. */
  readonly lost: number
  /** Requests sent more than once, all within the retry rule (documented retries). */
  readonly retried: number
  /** Handler starts beyond one on a retried request (the server saw a retried request again). */
  readonly retriedHandlerStarts: number
  /** Requests answered or started more often than allowed (see the module's comment). */
  readonly duplicated: number
  /** Successes for which no handler ever started (a response from nowhere). */
  readonly answeredWithoutHandler: number
  readonly examples: {
    readonly lost: ReadonlyArray<number>
    readonly duplicated: ReadonlyArray<number>
    readonly defects: ReadonlyArray<number>
    readonly answeredWithoutHandler: ReadonlyArray<number>
  }
}

/** Whether the accounting shows no lost, duplicated or defective request. */
export const accountedFor = (a: Accounting): boolean =>
  a.lost === 0 && a.duplicated === 0 && a.defects === 0 && a.answeredWithoutHandler === 0

const note = (list: Array<number>, id: number): void => {
  if (list.length < EXAMPLES) list.push(id)
}

/** Accounts for every request of the ledger. */
export const account = (l: LedgerView): Accounting => {
  let ok = 0, failed = 0, interrupted = 0, defects = 0, lost = 0, retried = 0, retriedHandlerStarts = 0, duplicated = 0, without = 0
  const ex = { lost: [] as Array<number>, duplicated: [] as Array<number>, defects: [] as Array<number>, answeredWithoutHandler: [] as Array<number> }
  for (let id = 0; id < l.issued; id++) {
    const outcome = l.outcome[id]!
    const recorded = l.recorded[id]!
    const sent = l.sent[id]!
    const starts = l.starts[id]!
    const allowed = retryAllowed(decodeKind(l.kind[id]!))
    if (recorded === 0 || outcome === Outcome.none || outcome === Outcome.hung) {
      lost++
      note(ex.lost, id)
    }
    const twice = recorded > 1 || l.misrouted[id] === 1 || starts > Math.max(sent, 1) || (!allowed && (sent > 1 || starts > 1))
    if (twice) {
      duplicated++
      note(ex.duplicated, id)
    } else if (sent > 1) {
      retried++
      retriedHandlerStarts += Math.max(0, starts - 1)
    }
    switch (outcome) {
      case Outcome.ok:
        ok++
        if (starts === 0) {
          without++
          note(ex.answeredWithoutHandler, id)
        }
        break
      case Outcome.failed:
        failed++
        break
      case Outcome.interrupted:
        interrupted++
        break
      case Outcome.defect:
        defects++
        note(ex.defects, id)
        break
    }
  }
  return { issued: l.issued, ok, failed, interrupted, defects, lost, retried, retriedHandlerStarts, duplicated, answeredWithoutHandler: without, examples: ex }
}
