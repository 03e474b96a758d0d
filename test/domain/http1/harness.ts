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

/** A message as the tables see it: its head summarized, its body bytes as latin1, its trailers. */
export interface Message<S> {
  readonly head: S
  readonly body: string
  readonly trailers: Record<string, Array<string>> | undefined
  readonly complete: boolean
}

/**
 * Groups events into messages (body events concatenated, heads summarized by `summarize`);
 * `last` is the final event, often the terminal Error, Eof or Detached.
 */
export const groupMessages = <H, S>(
  events: ReadonlyArray<Ev<H>>,
  summarize: (head: H) => S
): { messages: Array<Message<S>>; last: Ev<H> | undefined } => {
  const messages: Array<Message<S>> = []
  let current: { head: S; body: string } | undefined
  let last: Ev<H> | undefined
  for (const ev of events) {
    last = ev
    if (ev.type === "head") {
      if (current !== undefined) throw new Error("a Head before the previous message ended")
      current = { head: summarize(ev.head), body: "" }
    } else if (ev.type === "body") {
      if (current === undefined) throw new Error("a Body outside a message")
      current.body += ev.data
    } else if (ev.type === "end") {
      if (current === undefined) throw new Error("an End outside a message")
      messages.push({ ...current, trailers: ev.trailers, complete: true })
      current = undefined
    }
  }
  if (current !== undefined) messages.push({ ...current, trailers: undefined, complete: false })
  return { messages, last }
}

/** The error the events end with; throws when they end otherwise. */
export const errorOf = <H>(events: ReadonlyArray<Ev<H>>): ParseError => {
  const last = events[events.length - 1]
  if (last === undefined || last.type !== "error") {
    throw new Error(`expected an error, got events ${JSON.stringify(events.map((e) => e.type))}`)
  }
  return last.error
}
