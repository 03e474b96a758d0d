/**
 * The four fuzz targets and the checks each runs on one input: the request parser, the
 * response parser, the chunked decoder (inside the request parser: chunked bodies after a
 * fixed chunked head) and the ServeMux pattern parser.
 *
 * Everything here is deterministic in the input: the splits are derived from the input's
 * hash, and so are the parser's options (limits, the method a response answers), so that a
 * saved input replays exactly.
 *
 * @module
 */
import { Either } from "effect"
import type { RequestHead, ResponseHead } from "../../src/domain/http1/MessageHead.js"
import { Parser, type ParserLimits } from "../../src/domain/http1/Parser.js"
import { conflictsWith, InvalidPattern, matchPath, parsePattern } from "../../src/server/pattern.js"
import type { Wire } from "../../test/support/llhttp/wire.js"
import { type Compared, compareBytes, compareWire } from "./differential.js"
import { drive, splitAt } from "./drive.js"
import { fnv1a } from "./hash.js"
import { Rng } from "./rng.js"
import type { CheckMode, CheckName, Failure, Observation, TargetName } from "./types.js"

/** One fuzz target: its name, its checks, and how it checks one input. */
export interface FuzzTarget {
  readonly name: TargetName
  /** The checks `check` runs (the others do not apply). */
  readonly checks: ReadonlyArray<CheckName>
  /**
   * Runs the checks on `input` (and, for a structure-aware request, on its `wire`), writes
   * what it saw into `obs`, and returns the first check that failed. May throw: the caller
   * turns an exception into a `no-exception` failure (see `checkInput`).
   */
  readonly check: (input: Uint8Array, mode: CheckMode, obs: Observation, wire?: Wire) => Failure | undefined
}

/** The fixed head the chunked decoder's inputs follow. */
export const CHUNKED_HEAD: Buffer = Buffer.from("POST /upload HTTP/1.1\r\nHost: fuzz\r\nTransfer-Encoding: chunked\r\n\r\n", "latin1")

/** Small limits, used for one input in 13, so that every limit is reached too. */
const SMALL_LIMITS: ParserLimits = { maxHeaderBytes: 96, maxTrailerBytes: 24, maxChunkLineBytes: 12 }

const limitsFor = (n: number): ParserLimits => (n % 13 === 0 ? SMALL_LIMITS : {})

/** The method the response answers: HEAD for one input in 7, CONNECT for one in 11, else GET. */
const expectFor = (n: number): string => (n % 7 === 3 ? "HEAD" : n % 11 === 5 ? "CONNECT" : "GET")

type MakeParser = (bytes: Uint8Array) => Parser<RequestHead> | Parser<ResponseHead>

const requestParser: MakeParser = (bytes) => Parser.request(limitsFor(bytes.length))

const responseParser: MakeParser = (bytes) => {
  const p = Parser.response(limitsFor(bytes.length))
  p.expect(expectFor(bytes.length))
  return p
}

/** Cut points: 2-3 from the input's hash; thorough mode adds every single cut (up to 256 of them). */
const cutSets = (bytes: Uint8Array, mode: CheckMode): Array<ReadonlyArray<number>> => {
  const n = bytes.length
  if (n < 2) return []
  const rng = new Rng(fnv1a(bytes))
  const k = 2 + rng.int(2)
  const random: Array<number> = []
  for (let i = 0; i < k; i++) random.push(1 + rng.int(n - 1))
  const sets: Array<ReadonlyArray<number>> = [random]
  if (mode === "thorough") {
    const stride = Math.max(1, Math.ceil((n - 1) / 256))
    for (let c = 1; c < n; c += stride) sets.push([c])
  }
  return sets
}

const singleBytes = (bytes: Uint8Array): Array<Uint8Array> => {
  const out: Array<Uint8Array> = []
  for (let i = 0; i < bytes.length; i++) out.push(bytes.subarray(i, i + 1))
  return out
}

const firstDifference = (a: string, b: string): string => {
  let i = 0
  while (i < a.length && i < b.length && a[i] === b[i]) i++
  const from = Math.max(0, i - 40)
  return `whole ${JSON.stringify(a.slice(from, i + 80))} vs split ${JSON.stringify(b.slice(from, i + 80))}`
}

/**
 * The parser's one documented split dependence (Parser.ts, `REPARSE_LINES_UNDER`): an
 * incomplete line longer than 1024 bytes is parsed again only when a control byte arrives, so
 * a long line broken by a printable byte and never ended reports the limit or the end of
 * input instead of the byte, depending on the split. Recognized exactly: the input ends in
 * such a line (over 1024 bytes since the last LF, no control byte but HTAB), the two traces
 * differ only in their final error, and one of the two errors is the limit's or the end's.
 */
export const isDocumentedSplitException = (bytes: Uint8Array, whole: string, split: string): boolean => {
  const tail = bytes.subarray(bytes.lastIndexOf(0x0a) + 1)
  if (tail.length <= 1024) return false
  for (const b of tail) if ((b < 0x20 && b !== 0x09) || b === 0x7f) return false
  const w = whole.lastIndexOf("\nX ", whole.length - 2) + 1
  const s = split.lastIndexOf("\nX ", split.length - 2) + 1
  if (!whole.startsWith("X ", w) || !split.startsWith("X ", s) || whole.slice(0, w) !== split.slice(0, s)) return false
  const errors = whole.slice(w) + split.slice(s)
  return /X (?:HeaderTooLarge|MalformedMessage:unexpected-eof|MalformedMessage:chunk-line-too-long) /.test(errors)
}

/** No exception, typed errors, and the same events however the input is cut. */
const parserChecks = (make: MakeParser, bytes: Uint8Array, mode: CheckMode, obs: Observation): Failure | undefined => {
  const whole = drive(make(bytes), [bytes])
  if (whole.misbehaviour !== undefined) return whole.misbehaviour
  obs.errorTag = whole.errorTag
  const pieceSets = cutSets(bytes, mode).map((cuts) => ({ label: `cut at ${cuts.join(",")}`, pieces: splitAt(bytes, cuts) }))
  if (mode === "thorough" && bytes.length > 1) pieceSets.push({ label: "byte by byte", pieces: singleBytes(bytes) })
  for (const { label, pieces } of pieceSets) {
    const split = drive(make(bytes), pieces, true)
    if (split.misbehaviour !== undefined) return { check: split.misbehaviour.check, detail: `${split.misbehaviour.detail} (${label})` }
    if (split.trace !== whole.trace) {
      if (isDocumentedSplitException(bytes, whole.trace, split.trace)) {
        obs.documentedSplitException = true
        continue
      }
      return { check: "split-independence", detail: `${label}: ${firstDifference(whole.trace, split.trace)}` }
    }
  }
  return undefined
}

const recordDifferential = (c: Compared, obs: Observation): Failure | undefined => {
  obs.differential = c.verdict
  return c.failure
}

const toBuffer = (b: Uint8Array): Buffer => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength))

/** The request parser: its checks, then the differential (structure-aware when the wire is known). */
export const requestTarget: FuzzTarget = {
  name: "request",
  checks: ["no-exception", "typed-errors", "split-independence", "differential"],
  check: (input, mode, obs, wire) =>
    parserChecks(requestParser, input, mode, obs) ??
      recordDifferential(wire !== undefined ? compareWire(wire) : compareBytes(toBuffer(input)), obs)
}

/** The response parser (no differential: llhttp's response side is not compared here). */
export const responseTarget: FuzzTarget = {
  name: "response",
  checks: ["no-exception", "typed-errors", "split-independence"],
  check: (input, mode, obs) => parserChecks(responseParser, input, mode, obs)
}

/** The chunked decoder: a chunked body after `CHUNKED_HEAD`, through the request parser and llhttp. */
export const chunkedTarget: FuzzTarget = {
  name: "chunked",
  checks: ["no-exception", "typed-errors", "split-independence", "differential"],
  check: (input, mode, obs) => {
    const bytes = Buffer.concat([CHUNKED_HEAD, input])
    return parserChecks(requestParser, bytes, mode, obs) ?? recordDifferential(compareBytes(bytes), obs)
  }
}

const PATHS = ["/", "/a", "/a/b", "/a/b/", "/%2F/x", "/a/%zz", "/{x}", "/a/b/c/d/e"]

/** The pattern parser: no exception, and every refusal an `InvalidPattern`; a pattern parsed is usable. */
export const patternTarget: FuzzTarget = {
  name: "pattern",
  checks: ["no-exception", "typed-errors"],
  check: (input, _mode, obs) => {
    const s = toBuffer(input).toString("utf8")
    const result = parsePattern(s)
    if (!Either.isEither(result as unknown)) return { check: "typed-errors", detail: `parsePattern answered a non-Either: ${String(result)}` }
    if (Either.isLeft(result)) {
      const e: unknown = result.left
      if (!(e instanceof InvalidPattern)) return { check: "typed-errors", detail: `untyped refusal: ${String(e)}` }
      // The detail without the quoted parts: the kind of refusal.
      obs.errorTag = `InvalidPattern:${e.detail.replace(/ ".*$|\s*\(.*$/, "")}`
      return undefined
    }
    const p = result.right
    for (const path of PATHS) matchPath(p, path)
    conflictsWith(p, p)
    return undefined
  }
}

/** The targets by name. */
export const TARGETS: Readonly<Record<TargetName, FuzzTarget>> = {
  request: requestTarget,
  response: responseTarget,
  chunked: chunkedTarget,
  pattern: patternTarget
}

/** Runs `target`'s checks on `input`, an exception being a `no-exception` failure. */
export const checkInput = (
  target: FuzzTarget,
  input: Uint8Array,
  mode: CheckMode,
  obs: Observation,
  wire?: Wire
): Failure | undefined => {
  try {
    return target.check(input, mode, obs, wire)
  } catch (e) {
    const stack = e instanceof Error ? (e.stack ?? e.message).split("\n").slice(0, 4).join(" | ") : String(e)
    return { check: "no-exception", detail: `threw: ${stack}` }
  }
}
