/**
 * Driving our HTTP/1.1 parser over an input cut into pieces, and writing down what it reported
 * as one string (a trace), so that traces of differently cut inputs compare with `===`.
 * Plain synchronous code: this runs millions of times.
 *
 * @module
 */
import { HeaderTooLarge, MalformedMessage, UnsupportedTransferEncoding, UnsupportedVersion } from "../../src/domain/errors.js"
import type { RequestHead, ResponseHead } from "../../src/domain/http1/MessageHead.js"
import { Event, type Parser } from "../../src/domain/http1/Parser.js"

/** What one drive of the parser found. */
export interface Drive {
  /** Every event, normalized: heads, whole bodies, trailers, the error, end of input. */
  readonly trace: string
  /** The error's tag (and reason for a MalformedMessage), when the input was refused. */
  readonly errorTag: string | undefined
  /** Set when the parser misbehaved without throwing: an untyped or non-sticky error, or no progress. */
  readonly misbehaviour: { readonly check: "typed-errors" | "no-exception"; readonly detail: string } | undefined
}

const headText = (head: RequestHead | ResponseHead): string => {
  let out = "method" in head
    ? `H ${head.method} ${head.target} ${head.targetForm}`
    : `H ${head.status} ${JSON.stringify(head.reason)}`
  out += ` ${head.versionMajor}.${head.versionMinor} ${head.framing} ${head.contentLength} ${head.keepAlive} ${head.upgrade}`
  for (const [k, v] of head.headers) out += `|${k}:${v}`
  return out
}

const isTyped = (e: unknown): boolean =>
  e instanceof MalformedMessage || e instanceof HeaderTooLarge || e instanceof UnsupportedTransferEncoding ||
  e instanceof UnsupportedVersion

const bodyText = (parts: Array<Buffer>): string => (parts.length === 0 ? "" : Buffer.concat(parts).toString("latin1"))

/**
 * Feeds `pieces` one at a time, each when the parser asks for more, then `finish`es. Bounded:
 * every event but NeedMore consumes input or ends a message, so more events than a small
 * multiple of the input's length means the parser is stuck. With `asConnection`, it also does
 * what a connection does between reads: `forgetMessage` after each message, and `releaseIdle`
 * whenever the parser waits for input (which must change nothing).
 */
export const drive = (
  parser: Parser<RequestHead> | Parser<ResponseHead>,
  pieces: ReadonlyArray<Uint8Array>,
  asConnection = false
): Drive => {
  let total = 0
  for (const p of pieces) total += p.length
  const bound = 6 * (total + pieces.length) + 16
  let trace = ""
  let body: Array<Buffer> = []
  let fed = 0
  let finished = false
  for (let n = 0; n <= bound; n++) {
    const ev = parser.next()
    switch (ev) {
      case Event.NeedMore:
        if (asConnection) parser.releaseIdle()
        if (fed < pieces.length) parser.feed(pieces[fed++]!)
        else if (!finished) {
          parser.finish()
          finished = true
        } else return { trace, errorTag: undefined, misbehaviour: { check: "no-exception", detail: "NeedMore after finish" } }
        break
      case Event.Head:
        body = []
        trace += headText(parser.head) + "\n"
        break
      case Event.Body:
        body.push(parser.chunk)
        break
      case Event.End: {
        trace += "E " + bodyText(body)
        const t = parser.trailers
        if (t !== undefined) for (const [k, v] of t) trace += `|${k}:${v}`
        trace += "\n"
        body = []
        if (asConnection) parser.forgetMessage()
        break
      }
      case Event.Error: {
        const error: unknown = parser.error
        if (!isTyped(error)) {
          return { trace, errorTag: undefined, misbehaviour: { check: "typed-errors", detail: `untyped error: ${String(error)}` } }
        }
        const e = parser.error!
        const tag = e._tag === "MalformedMessage" ? `${e._tag}:${e.reason}` : e._tag
        if (parser.next() !== Event.Error) {
          return { trace, errorTag: tag, misbehaviour: { check: "typed-errors", detail: `error ${tag} is not sticky` } }
        }
        return { trace: trace + `X ${tag} ${e.offset}\n`, errorTag: tag, misbehaviour: undefined }
      }
      case Event.Eof:
        return { trace: trace + "EOF\n", errorTag: undefined, misbehaviour: undefined }
      case Event.Detached: {
        const rest = [parser.takeBuffered(), ...pieces.slice(fed)]
        return { trace: trace + "D " + Buffer.concat(rest).toString("latin1") + "\n", errorTag: undefined, misbehaviour: undefined }
      }
      default:
        return { trace, errorTag: undefined, misbehaviour: { check: "no-exception", detail: `unknown event ${String(ev)}` } }
    }
  }
  return { trace, errorTag: undefined, misbehaviour: { check: "no-exception", detail: `more than ${bound} events for ${total} bytes` } }
}

/** `bytes` cut at the given positions (any order, duplicates and out-of-range ones ignored). */
export const splitAt = (bytes: Uint8Array, cuts: ReadonlyArray<number>): Array<Uint8Array> => {
  const points = [...new Set(cuts)].filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b)
  const out: Array<Uint8Array> = []
  let from = 0
  for (const p of points) {
    out.push(bytes.subarray(from, p))
    from = p
  }
  out.push(bytes.subarray(from))
  return out
}
