/**
 * `npm run bench:parse`: our HTTP/1.1 parser against llhttp (Node's own, through
 * `_http_common`'s `HTTPParser`) on the same inputs, in the same process, interleaved.
 *
 * Each case feeds one whole message per call, as a keep-alive connection delivers them, and
 * both parsers hand over the same facts (method, target, version, every header name and
 * value as strings, body bytes). Every case runs 3 rounds (ours, llhttp, ours, llhttp, ...);
 * the table shows medians, and the last lines are `ratio parse/<case> <ours/llhttp>`.
 */
import { createRequire } from "node:module"
import { Event, Parser } from "../src/domain/http1/Parser.js"

interface LlhttpParser {
  initialize(type: number, resource: object): void
  execute(data: Buffer): number | Error
  [key: number]: (...args: Array<unknown>) => unknown
}
interface LlhttpModule {
  readonly HTTPParser: {
    new (): LlhttpParser
    readonly REQUEST: number
    readonly RESPONSE: number
    readonly kOnHeaders: number
    readonly kOnHeadersComplete: number
    readonly kOnBody: number
    readonly kOnMessageComplete: number
    readonly kOnExecute: number
  }
}
const { HTTPParser } = createRequire(import.meta.url)("_http_common") as LlhttpModule

const ROUNDS = 3
const RUN_MS = Number(process.env.BENCH_RUN_MS ?? 700)

const headerLines = (n: number): string => {
  const base = [
    "Host: example.com",
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) bench/1.0",
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Encoding: gzip, deflate, br",
    "Accept-Language: en-US,en;q=0.5",
    "Connection: keep-alive",
    "Cache-Control: no-cache",
    "X-Request-Id: 7f8e2a90-4c1b-4d7e-9a55-0d2b8c6f1e34"
  ]
  const lines = base.slice(0, Math.min(n, base.length))
  for (let i = lines.length; i < n; i++) lines.push(`X-Custom-Header-${i}: value-${i}-${"abcdefghij".slice(0, 1 + (i % 10))}`)
  return lines.map((l) => l + "\r\n").join("")
}

const chunkedResponse = (): Buffer => {
  const chunk = Buffer.alloc(4096, 0x61)
  const parts: Array<Buffer> = [
    Buffer.from("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\nDate: Sun, 22 Nov 2026 10:00:00 GMT\r\n\r\n")
  ]
  for (let i = 0; i < 16; i++) parts.push(Buffer.from("1000\r\n"), chunk, Buffer.from("\r\n"))
  parts.push(Buffer.from("0\r\n\r\n"))
  return Buffer.concat(parts)
}

interface Case {
  readonly name: string
  readonly kind: "request" | "response"
  readonly message: Buffer
  /** Every message on a new connection: a new parser for ours, `initialize` again for llhttp. */
  readonly fresh?: boolean
}

const cases: ReadonlyArray<Case> = [
  { name: "get-8-headers", kind: "request", message: Buffer.from(`GET /api/v1/items?id=42&sort=asc HTTP/1.1\r\n${headerLines(8)}\r\n`) },
  { name: "get-40-headers", kind: "request", message: Buffer.from(`GET /api/v1/items?id=42&sort=asc HTTP/1.1\r\n${headerLines(40)}\r\n`) },
  { name: "chunked-64k-response", kind: "response", message: chunkedResponse() },
  // Informational: the first message of a connection, where nothing learned from earlier heads helps.
  {
    name: "get-8-headers-first-on-connection",
    kind: "request",
    message: Buffer.from(`GET /api/v1/items?id=42&sort=asc HTTP/1.1\r\n${headerLines(8)}\r\n`),
    fresh: true
  }
]

/**
 * Each message in its own Buffer over its own ArrayBuffer, as socket reads deliver them, and
 * with its own X-Request-Id (a UUID-like value of the same length), as real traffic varies:
 * a parser may not profit from seeing the very same bytes again.
 */
const copies = (msg: Buffer): Array<Buffer> =>
  Array.from({ length: 64 }, (_, i) => {
    const b = Buffer.allocUnsafeSlow(msg.length)
    msg.copy(b)
    const at = b.indexOf("7f8e2a90-")
    if (at >= 0) b.write((0x10000000 + i * 0x01234567).toString(16).slice(-8), at, "latin1")
    return b
  })

/** A sink the optimizer cannot see through. */
let sink = 0

const runOurs = (c: Case, deadline: number): number => {
  let parser = c.kind === "request" ? Parser.request() : Parser.response()
  const msgs = copies(c.message)
  let n = 0
  while (performance.now() < deadline) {
    for (let i = 0; i < 256; i++) {
      if (c.fresh === true) parser = c.kind === "request" ? Parser.request() : Parser.response()
      parser.feed(msgs[i & 63]!)
      for (let ev = parser.next(); ev !== Event.NeedMore; ev = parser.next()) {
        if (ev === Event.Head) sink += parser.head.headers.size
        else if (ev === Event.Body) sink += parser.chunk.length
        else if (ev === Event.End) n++
        else throw new Error(`unexpected event ${ev}: ${String(parser.error)}`)
      }
    }
  }
  return n
}

const runLlhttp = (c: Case, deadline: number): number => {
  const parser = new HTTPParser()
  parser.initialize(c.kind === "request" ? HTTPParser.REQUEST : HTTPParser.RESPONSE, {})
  let n = 0
  parser[HTTPParser.kOnHeaders] = (headers: unknown) => {
    sink += (headers as Array<string>).length
  }
  // Past 32 fields llhttp hands them over early through kOnHeaders, then passes undefined here.
  parser[HTTPParser.kOnHeadersComplete] = (_maj: unknown, _min: unknown, headers: unknown) => {
    if (headers !== undefined) sink += (headers as Array<string>).length
  }
  parser[HTTPParser.kOnBody] = (b: unknown) => {
    sink += (b as Buffer).length
  }
  parser[HTTPParser.kOnMessageComplete] = () => {
    n++
  }
  parser[HTTPParser.kOnExecute] = () => {}
  const msgs = copies(c.message)
  while (performance.now() < deadline) {
    for (let i = 0; i < 256; i++) {
      if (c.fresh === true) parser.initialize(c.kind === "request" ? HTTPParser.REQUEST : HTTPParser.RESPONSE, {})
      const r = parser.execute(msgs[i & 63]!)
      if (r instanceof Error) throw r
    }
  }
  return n
}

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

const measure = (run: (c: Case, deadline: number) => number, c: Case): number => {
  const start = performance.now()
  const n = run(c, start + RUN_MS)
  return n / ((performance.now() - start) / 1000)
}

interface Row {
  readonly name: string
  readonly ours: number
  readonly llhttp: number
  readonly bytes: number
}

const rows: Array<Row> = []
for (const c of cases) {
  // Warm both up so the optimizing compiler has seen each before timing.
  runOurs(c, performance.now() + 150)
  runLlhttp(c, performance.now() + 150)
  const ours: Array<number> = []
  const llhttp: Array<number> = []
  for (let r = 0; r < ROUNDS; r++) {
    ours.push(measure(runOurs, c))
    llhttp.push(measure(runLlhttp, c))
  }
  rows.push({ name: c.name, ours: median(ours), llhttp: median(llhttp), bytes: c.message.length })
}

const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })
console.log(`parse benchmark: node ${process.version}, ${ROUNDS} interleaved rounds of ${RUN_MS} ms, medians`)
console.log("")
console.log("| case | parser | messages/s | MB/s |")
console.log("|---|---|---:|---:|")
for (const r of rows) {
  console.log(`| ${r.name} | ours | ${fmt(r.ours)} | ${fmt((r.ours * r.bytes) / 1e6, 1)} |`)
  console.log(`| ${r.name} | llhttp | ${fmt(r.llhttp)} | ${fmt((r.llhttp * r.bytes) / 1e6, 1)} |`)
}
console.log("")
for (const r of rows) console.log(`ratio parse/${r.name} ${(r.ours / r.llhttp).toFixed(2)}`)
if (sink === -1) console.log("")
