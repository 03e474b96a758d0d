/**
 * Both parsers on the same bytes: ours (`Parser.request()`, fed whole) and llhttp (Node's
 * `_http_common` HTTPParser, in its default strict mode), each reporting an `Outcome` in the
 * same shape so that the two can be compared.
 *
 * @module
 */
import { createRequire } from "node:module"
import { Event, Parser } from "../../../src/domain/http1/Parser.js"

interface LlhttpParser {
  initialize(type: number, resource: object): void
  execute(data: Buffer): number | Error
  finish(): number | Error | undefined
  close?(): void
  [key: number]: unknown
}
interface LlhttpBinding {
  readonly HTTPParser: {
    new(): LlhttpParser
    readonly REQUEST: number
    readonly kOnHeaders: number
    readonly kOnHeadersComplete: number
    readonly kOnBody: number
    readonly kOnMessageComplete: number
    readonly kOnExecute: number
  }
  readonly methods: ReadonlyArray<string>
}

const { HTTPParser, methods: LLHTTP_METHODS } = createRequire(import.meta.url)("_http_common") as LlhttpBinding

/** A request as a parser reported it, with names lower-cased (llhttp keeps the case sent). */
export interface Msg {
  readonly method: string
  readonly target: string
  readonly version: string
  readonly headers: Array<[string, string]>
  readonly body: string
  readonly trailers: Array<[string, string]>
}

/** What a parser made of a whole input: every message, and whether it all was accepted. */
export interface Outcome {
  readonly accepted: boolean
  readonly messages: Array<Msg>
  /** Why it was rejected: our error's tag and reason, or llhttp's error code. */
  readonly error?: string
}

const pairs = (flat: ReadonlyArray<string>): Array<[string, string]> => {
  const out: Array<[string, string]> = []
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!.toLowerCase(), flat[i + 1]!])
  return out
}

/** llhttp's outcome for `bytes` (a fresh parser, fed whole, then finished). */
export const runLlhttp = (bytes: Buffer): Outcome => {
  const parser = new HTTPParser()
  parser.initialize(HTTPParser.REQUEST, {})
  const messages: Array<Msg> = []
  let pending: Array<string> = []
  let pendingUrl = ""
  let current: { msg: Omit<Msg, "body" | "trailers">; body: Array<Buffer>; trailers: Array<string> } | undefined
  let upgrade = false
  parser[HTTPParser.kOnHeaders] = (headers: Array<string>, url: string) => {
    if (current !== undefined) current.trailers.push(...headers)
    else {
      pending.push(...headers)
      pendingUrl += url
    }
  }
  parser[HTTPParser.kOnHeadersComplete] = (
    major: number,
    minor: number,
    headers: Array<string> | undefined,
    method: number,
    url: string,
    _status: unknown,
    _message: unknown,
    up: boolean
  ) => {
    // With more than 32 fields, llhttp hands them over early through kOnHeaders.
    const all = headers ?? pending
    current = {
      msg: {
        method: LLHTTP_METHODS[method]!,
        target: url || pendingUrl,
        version: `${major}.${minor}`,
        headers: pairs(all)
      },
      body: [],
      trailers: []
    }
    pending = []
    pendingUrl = ""
    if (up) upgrade = true
    return 0
  }
  parser[HTTPParser.kOnBody] = (chunk: Buffer) => {
    current!.body.push(Buffer.from(chunk))
  }
  parser[HTTPParser.kOnMessageComplete] = () => {
    messages.push({ ...current!.msg, body: Buffer.concat(current!.body).toString("hex"), trailers: pairs(current!.trailers) })
    current = undefined
  }
  parser[HTTPParser.kOnExecute] = () => {}
  try {
    const n = parser.execute(bytes)
    if (n instanceof Error) return { accepted: false, messages, error: (n as Error & { code?: string }).code ?? n.message }
    if (upgrade) return { accepted: false, messages, error: "upgrade" }
    const f = parser.finish()
    if (f instanceof Error) return { accepted: false, messages, error: (f as Error & { code?: string }).code ?? f.message }
    return { accepted: true, messages }
  } finally {
    parser.close?.()
  }
}

/** Our outcome for `bytes` (a fresh `Parser.request()`, fed whole, then finished). */
export const runOurs = (bytes: Buffer): Outcome => {
  const parser = Parser.request()
  parser.feed(bytes)
  parser.finish()
  const messages: Array<Msg> = []
  let head = parser.head
  let body: Array<Buffer> = []
  for (let n = 0; n < 10 * bytes.length + 10; n++) {
    const ev = parser.next()
    switch (ev) {
      case Event.Head:
        head = parser.head
        body = []
        break
      case Event.Body:
        body.push(parser.chunk)
        break
      case Event.End:
        messages.push({
          method: head.method,
          target: head.target,
          version: `${head.versionMajor}.${head.versionMinor}`,
          headers: [...head.headers].map(([k, v]) => [k.toLowerCase(), v]),
          body: Buffer.concat(body).toString("hex"),
          trailers: parser.trailers === undefined ? [] : [...parser.trailers].map(([k, v]) => [k.toLowerCase(), v])
        })
        break
      case Event.Error: {
        const e = parser.error!
        return { accepted: false, messages, error: e._tag === "MalformedMessage" ? `${e._tag}:${e.reason}` : e._tag }
      }
      case Event.Eof:
        return { accepted: true, messages }
      default:
        return { accepted: false, messages, error: `event ${ev}` }
    }
  }
  return { accepted: false, messages, error: "no end" }
}

