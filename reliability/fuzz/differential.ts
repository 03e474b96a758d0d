/**
 * The differential against llhttp, for the fuzzer. Two ways in:
 * - a structure-aware request (a `Wire` from the corruptions of the differential test):
 *   judged exactly as test/conformance/llhttp.differential.test.ts does, deliberate
 *   differences included;
 * - bare bytes (a mutation): compared only where both parsers accept the whole input; a
 *   difference is then deliberate only when `BYTE_LEVEL_DIFFERENCES` explains it.
 *
 * @module
 */
import { LLHTTP_ORDINARY_METHODS } from "../../test/support/llhttp/deliberateDifferences.js"
import { comparable, judge } from "../../test/support/llhttp/judge.js"
import { type Outcome, runLlhttp, runOurs } from "../../test/support/llhttp/run.js"
import type { Wire } from "../../test/support/llhttp/wire.js"
import type { DifferentialVerdict, Failure } from "./types.js"

/** What a comparison gave: a verdict for the figures, or a failure. */
export type Compared = { readonly verdict: DifferentialVerdict; readonly failure: undefined } | {
  readonly verdict: undefined
  readonly failure: Failure
}

const AGREE: Compared = { verdict: { kind: "agree" }, failure: undefined }
const NOT_COMPARED: Compared = { verdict: { kind: "not-compared" }, failure: undefined }

const clip = (s: string, n = 600): string => (s.length > n ? s.slice(0, n) + "…" : s)

/** A structure-aware request, judged with the deliberate differences taken into account. */
export const compareWire = (w: Wire): Compared => {
  const j = judge(w)
  if (j.kind === "agree") {
    return j.differences.length === 0 ? AGREE : { verdict: { kind: "deliberate", ids: j.differences }, failure: undefined }
  }
  const detail = j.kind === "verdict"
    ? `our answer ${j.actual}, expected ${j.expected.join(" or ")} (${j.differences.join(", ")})`
    : `ours ${clip(JSON.stringify(comparable(j.ours)))} llhttp ${clip(JSON.stringify(comparable(j.theirs)))} (${j.differences.join(", ") || "no deliberate difference"})`
  return { verdict: undefined, failure: { check: "differential", detail } }
}

const same = (a: Outcome, b: Outcome): boolean => JSON.stringify(comparable(a)) === JSON.stringify(comparable(b))

/**
 * The deliberate differences that can show where both parsers accept, recognized on the two
 * reports alone (the bytes are not split into parts): each maps both reports to what they
 * would be without the difference.
 */
export const BYTE_LEVEL_DIFFERENCES: ReadonlyArray<{
  readonly id: string
  readonly applies: (ours: Outcome) => boolean
  readonly normalize: (ours: Outcome, theirs: Outcome) => readonly [Outcome, Outcome]
}> = [
  {
    // A method llhttp parses but Node's `methods` table does not name (QUERY), or names otherwise.
    id: "extension-method",
    applies: (ours) => ours.messages.some((m) => !LLHTTP_ORDINARY_METHODS.has(m.method)),
    normalize: (ours, theirs) => [
      ours,
      {
        ...theirs,
        messages: theirs.messages.map((m, i) => {
          const o = ours.messages[i]
          return o !== undefined && !LLHTTP_ORDINARY_METHODS.has(o.method) ? { ...m, method: o.method } : m
        })
      }
    ]
  }
]

/** Bare bytes: where both accept, both must report the same messages (but for `BYTE_LEVEL_DIFFERENCES`). */
export const compareBytes = (bytes: Buffer): Compared => {
  const ours = runOurs(bytes)
  if (!ours.accepted) return NOT_COMPARED
  const theirs = runLlhttp(bytes)
  if (!theirs.accepted) return NOT_COMPARED
  if (same(ours, theirs)) return AGREE
  for (const d of BYTE_LEVEL_DIFFERENCES) {
    if (!d.applies(ours)) continue
    const [a, b] = d.normalize(ours, theirs)
    if (same(a, b)) return { verdict: { kind: "deliberate", ids: [d.id] }, failure: undefined }
  }
  return {
    verdict: undefined,
    failure: {
      check: "differential",
      detail: `both accept, but ours ${clip(JSON.stringify(ours.messages))} llhttp ${clip(JSON.stringify(theirs.messages))}`
    }
  }
}
