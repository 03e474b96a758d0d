/**
 * Test harness for the HTTP/1.1 parser: drive a parser over chunks of input and record its
 * events as plain data the tables compare.
 */
import type { ParseError } from "../../../src/domain/errors.js"
import type { RequestHead, ResponseHead } from "../../../src/domain/http1/MessageHead.js"
import { Event, type Parser } from "../../../src/domain/http1/Parser.js"

/** One parser event as data. */
export type Ev<H> =
  | { readonly type: "head"; readonly head: H }
  | { readonly type: "body"; readonly data: string }
  | { readonly type: "end"; readonly trailers: Record<string, Array<string>> | undefined }
  | { readonly type: "error"; readonly error: ParseError }
  | { readonly type: "eof" }
  | { readonly type: "detached" }

export const bytes = (s: string): Buffer => Buffer.from(s, "latin1")

/**
 * Feeds every chunk in turn, pulling events until `NeedMore` after each; calls `finish()` at
 * the end when asked. Stops at the first Error, Eof or Detached (those states are sticky).
 */
export const parseAll = <H extends RequestHead | ResponseHead>(
  parser: Parser<H>,
  chunks: ReadonlyArray<string | Uint8Array>,
  options: { readonly finish?: boolean } = {}
): Array<Ev<H>> => {
  const out: Array<Ev<H>> = []
  const drain = (): boolean => {
    for (let i = 0; i < 100_000; i++) {
      const ev = parser.next()
      switch (ev) {
        case Event.NeedMore:
          return false
        case Event.Head:
          out.push({ type: "head", head: parser.head })
          break
        case Event.Body:
          out.push({ type: "body", data: parser.chunk.toString("latin1") })
          break
        case Event.End:
          out.push({ type: "end", trailers: parser.trailers?.toRecord() })
          break
        case Event.Error:
          out.push({ type: "error", error: parser.error! })
          return true
        case Event.Eof:
          out.push({ type: "eof" })
          return true
        case Event.Detached:
          out.push({ type: "detached" })
          return true
      }
    }
    throw new Error("parser did not stop producing events")
  }
  for (const chunk of chunks) {
    parser.feed(typeof chunk === "string" ? bytes(chunk) : chunk)
    if (drain()) return out
  }
  if (options.finish === true) {
    parser.finish()
    drain()
  }
  return out
}

/** The input cut into pieces of `n` bytes. */
export const splitEvery = (input: string, n: number): Array<string> => {
  const out: Array<string> = []
  for (let i = 0; i < input.length; i += n) out.push(input.slice(i, i + n))
  return out
}
