/**
 * The vocabulary of the fuzzer: targets, checks, failures, and the figures a run collects.
 *
 * @module
 */

/** The four things fuzzed. */
export const TARGET_NAMES = ["request", "response", "chunked", "pattern"] as const

/** One of `TARGET_NAMES`. */
export type TargetName = (typeof TARGET_NAMES)[number]

/**
 * What is checked on every input:
 * - `no-exception`: nothing throws, and the parser neither stalls nor asks for input after the end;
 * - `typed-errors`: every error is one of our tagged errors (and a parser's error is sticky);
 * - `split-independence`: the events are the same fed whole or cut at 2-3 points
 *   (and, when confirming and replaying, at every single point and byte by byte), the cut
 *   input driven as a connection does (`forgetMessage` after a message, `releaseIdle` while
 *   waiting for input);
 * - `differential`: where both our parser and llhttp accept, they report the same messages.
 */
export const CHECK_NAMES = ["no-exception", "typed-errors", "split-independence", "differential"] as const

/** One of `CHECK_NAMES`. */
export type CheckName = (typeof CHECK_NAMES)[number]

/** A check that did not hold on an input. */
export interface Failure {
  readonly check: CheckName
  readonly detail: string
}

/** How thoroughly to check: `fast` in the fuzz loop, `thorough` to confirm, shrink and replay. */
export type CheckMode = "fast" | "thorough"

/** What a differential comparison concluded for one input. */
export type DifferentialVerdict =
  | { readonly kind: "agree" }
  | { readonly kind: "deliberate"; readonly ids: ReadonlyArray<string> }
  | { readonly kind: "not-compared" }

/** What one input showed, besides a failure. */
export interface Observation {
  /** The error's tag (and reason) when the input was refused. */
  errorTag: string | undefined
  /** Whether the differential applied, and its verdict. */
  differential: DifferentialVerdict | undefined
  /** Set when the events depended on the split only as the parser documents (see `targets.ts`). */
  documentedSplitException?: boolean
}

/** Where an input came from. */
export type InputSource = "generated" | "generated+mutated" | "corpus+mutated"

/** A failure found by the fuzz loop, shrunk and (when a directory was given) saved. */
export interface FoundFailure extends Failure {
  /** The shrunk input, escaped for reading (see `escapeBytes`). */
  readonly input: string
  /** The input's size before shrinking. */
  readonly originalBytes: number
  /** The regression file written, if any. */
  readonly file: string | undefined
}

/** The figures of one fuzz run over one target (or one shard of it). */
export interface FuzzStats {
  readonly target: TargetName
  inputs: number
  readonly bySource: Record<InputSource, number>
  elapsedMs: number
  /** Why it stopped: the count was reached, or the time limit. */
  stoppedBy: "count" | "time"
  accepted: number
  /** How many inputs ended with each error tag. */
  readonly errorTags: Record<string, number>
  /**
   * Differential: inputs agreed on, inputs that showed deliberate differences (and how many
   * showed each, by id: an input may show several), inputs not compared.
   */
  readonly differential: { agreed: number; deliberateInputs: number; notCompared: number; readonly deliberate: Record<string, number> }
  /** Inputs whose events depended on the split only in the way the parser documents. */
  documentedSplitExceptions: number
  /** Failed inputs by check (every one, not only those saved). */
  readonly failedByCheck: Record<CheckName, number>
  readonly failures: Array<FoundFailure>
}

/** Empty figures for `target`. */
export const emptyStats = (target: TargetName): FuzzStats => ({
  target,
  inputs: 0,
  bySource: { "generated": 0, "generated+mutated": 0, "corpus+mutated": 0 },
  elapsedMs: 0,
  stoppedBy: "count",
  accepted: 0,
  errorTags: {},
  differential: { agreed: 0, deliberateInputs: 0, notCompared: 0, deliberate: {} },
  documentedSplitExceptions: 0,
  failedByCheck: { "no-exception": 0, "typed-errors": 0, "split-independence": 0, "differential": 0 },
  failures: []
})

/** `b` as printable text: printable ASCII as is, `\r` `\n` `\t` `\\` escaped, other bytes as `\xHH`. */
export const escapeBytes = (b: Uint8Array): string => {
  let out = ""
  for (const c of b) {
    if (c === 0x0d) out += "\\r"
    else if (c === 0x0a) out += "\\n"
    else if (c === 0x09) out += "\\t"
    else if (c === 0x5c) out += "\\\\"
    else if (c >= 0x20 && c < 0x7f) out += String.fromCharCode(c)
    else out += "\\x" + c.toString(16).padStart(2, "0")
  }
  return out
}
