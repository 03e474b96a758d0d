/**
 * Judging one request: both parsers run, the deliberate differences that apply are taken into
 * account, and the result says whether they agree.
 *
 * @module
 */
import { DELIBERATE_DIFFERENCES } from "./deliberateDifferences.js"
import { type Outcome, runLlhttp, runOurs } from "./run.js"
import { serializeWire, type Wire } from "./wire.js"

/** What the property concluded about one request. */
export type Judgement =
  | { readonly kind: "agree"; readonly differences: ReadonlyArray<string> }
  | {
    readonly kind: "verdict"
    readonly differences: ReadonlyArray<string>
    readonly expected: ReadonlyArray<string>
    readonly actual: string
  }
  | {
    readonly kind: "disagree"
    readonly differences: ReadonlyArray<string>
    readonly ours: Outcome
    readonly theirs: Outcome
    readonly llhttpInput: string
  }

/** What is compared: the verdict, and the messages when accepted (errors differ in naming). */
/** What is compared: the verdict, and the messages when accepted (errors differ in naming). */
export const comparable = (o: Outcome) => ({ accepted: o.accepted, messages: o.accepted ? o.messages : [] })

/** Both parsers on `w`, with the deliberate differences that apply taken into account. */
export const judge = (w: Wire): Judgement => {
  const dds = DELIBERATE_DIFFERENCES.filter((d) => d.applies(w))
  const differences = dds.map((d) => d.id)
  const ours = runOurs(serializeWire(w))
  const verdicts = dds.filter((d) => d.ourVerdict !== undefined)
  if (verdicts.length > 0) {
    const expected = verdicts.map((d) => d.ourVerdict!(w))
    const actual = ours.accepted ? "accepted" : ours.error!
    return expected.includes(actual) ? { kind: "agree", differences } : { kind: "verdict", differences, expected, actual }
  }
  const forLlhttp = dds.reduce((acc, d) => (d.rewriteForLlhttp ? d.rewriteForLlhttp(acc) : acc), w)
  const llhttpBytes = serializeWire(forLlhttp)
  const theirs = runLlhttp(llhttpBytes)
  const adjusted: Outcome = {
    ...ours,
    messages: ours.messages.map((m, i) => (i === 0 ? dds.reduce((acc, d) => (d.adjustOurs ? d.adjustOurs(acc) : acc), m) : m))
  }
  return JSON.stringify(comparable(adjusted)) === JSON.stringify(comparable(theirs))
    ? { kind: "agree", differences }
    : { kind: "disagree", differences, ours: adjusted, theirs, llhttpInput: llhttpBytes.toString("latin1") }
}

