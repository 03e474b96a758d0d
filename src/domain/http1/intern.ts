/**
 * Interning of common header names and methods: the parser maps them to one constant string
 * each, so framing fields compare by reference and common names share one string.
 *
 * @module
 */
import { wordAt } from "./chars.js"

/** Header names common enough to intern, in canonical form (Go's `CanonicalHeaderKey`). */
export const COMMON_HEADER_NAMES: ReadonlyArray<string> = [
  "Accept", "Accept-Charset", "Accept-Encoding", "Accept-Language", "Accept-Ranges",
  "Access-Control-Allow-Credentials", "Access-Control-Allow-Headers", "Access-Control-Allow-Methods",
  "Access-Control-Allow-Origin", "Access-Control-Expose-Headers", "Access-Control-Max-Age",
  "Access-Control-Request-Headers", "Access-Control-Request-Method", "Age", "Allow", "Alt-Svc",
  "Authorization", "Cache-Control", "Connection", "Content-Disposition", "Content-Encoding",
  "Content-Language", "Content-Length", "Content-Location", "Content-Range",
  "Content-Security-Policy", "Content-Type", "Cookie", "Date", "Dnt", "Etag", "Expect", "Expires",
  "Forwarded", "From", "Host", "If-Match", "If-Modified-Since", "If-None-Match", "If-Range",
  "If-Unmodified-Since", "Keep-Alive", "Last-Modified", "Link", "Location", "Origin", "Pragma",
  "Priority", "Proxy-Authenticate", "Proxy-Authorization", "Proxy-Connection", "Range", "Referer",
  "Referrer-Policy", "Retry-After", "Sec-Ch-Ua", "Sec-Ch-Ua-Mobile", "Sec-Ch-Ua-Platform",
  "Sec-Fetch-Dest", "Sec-Fetch-Mode", "Sec-Fetch-Site", "Sec-Fetch-User", "Sec-Websocket-Accept",
  "Sec-Websocket-Extensions", "Sec-Websocket-Key", "Sec-Websocket-Protocol", "Sec-Websocket-Version",
  "Server", "Server-Timing", "Set-Cookie", "Strict-Transport-Security", "Te", "Trailer",
  "Transfer-Encoding", "Upgrade", "Upgrade-Insecure-Requests", "User-Agent", "Vary", "Via",
  "Warning", "Www-Authenticate", "X-Content-Type-Options", "X-Correlation-Id", "X-Forwarded-For",
  "X-Forwarded-Host", "X-Forwarded-Proto", "X-Frame-Options", "X-Powered-By", "X-Real-Ip",
  "X-Request-Id", "X-Requested-With", "X-Xss-Protection", "Idempotency-Key", "X-Idempotency-Key"
]

/** The methods of RFC 9110 and RFC 5789, interned by exact (case-sensitive) bytes. */
export const COMMON_METHODS: ReadonlyArray<string> = [
  "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"
]

interface Entry {
  readonly value: string
  readonly bytes: Uint8Array
}

const MAX_LEN = 64
const bucketOf = (len: number, first: number) => (len << 5) | (first & 0x1f)

const buildTable = (names: ReadonlyArray<string>): Array<Array<Entry> | undefined> => {
  const t: Array<Array<Entry> | undefined> = new Array((MAX_LEN + 1) << 5).fill(undefined)
  for (const value of names) {
    const bytes = new Uint8Array(Buffer.from(value, "latin1"))
    ;(t[bucketOf(bytes.length, bytes[0]!)] ??= []).push({ value, bytes })
  }
  return t
}

const METHOD_TABLE = buildTable(COMMON_METHODS)

const CANONICAL_NAMES: ReadonlyMap<string, string> = new Map(
  COMMON_HEADER_NAMES.map((name) => [name, name] as const)
)

interface NameEntry {
  readonly value: string
  /** The lower-case name as little-endian words at 0, 4, 8, ... and the word ending at its last byte. */
  readonly words: ReadonlyArray<number>
}

/** Common names of 4 bytes or more, by length and first letter (case folded). */
const NAME_TABLE: Array<Array<NameEntry> | undefined> = (() => {
  const t: Array<Array<NameEntry> | undefined> = new Array((MAX_LEN + 1) << 5).fill(undefined)
  for (const value of COMMON_HEADER_NAMES) {
    const bytes = Buffer.from(value.toLowerCase(), "latin1")
    if (bytes.length < 4) continue
    const words: Array<number> = []
    for (let i = 0; i + 4 <= bytes.length; i += 4) words.push(wordAt(bytes, i))
    words.push(wordAt(bytes, bytes.length - 4))
    ;(t[bucketOf(bytes.length, bytes[0]!)] ??= []).push({ value, words })
  }
  return t
})()

/**
 * The interned canonical string for the header name in `buf[start, end)`, matched without
 * regard to case, or undefined (names under 4 bytes are not looked up). The bytes must be
 * known to be token characters: for those, OR-ing 0x20 lower-cases letters and maps no other
 * byte onto a letter, so whole words compare at once.
 */
export const internHeaderName = (buf: Uint8Array, start: number, end: number): string | undefined => {
  const len = end - start
  if (len < 4 || len > MAX_LEN) return undefined
  const bucket = NAME_TABLE[bucketOf(len, buf[start]!)]
  if (bucket === undefined) return undefined
  const n = len >> 2
  const first = wordAt(buf, start) | 0x20202020
  const last = wordAt(buf, end - 4) | 0x20202020
  outer: for (let e = 0; e < bucket.length; e++) {
    const words = bucket[e]!.words
    if (words[0] !== first || words[n] !== last) continue
    for (let i = 1; i < n; i++) if ((wordAt(buf, start + i * 4) | 0x20202020) !== words[i]) continue outer
    return bucket[e]!.value
  }
  return undefined
}

/** The interned string for a name already in canonical form, or the name itself. */
export const internCanonical = (canonical: string): string => CANONICAL_NAMES.get(canonical) ?? canonical

/** The interned string for the method in `buf[start, end)` (case-sensitive), or undefined. */
export const internMethod = (buf: Uint8Array, start: number, end: number): string | undefined => {
  const len = end - start
  if (len > MAX_LEN) return undefined
  const bucket = METHOD_TABLE[bucketOf(len, buf[start]!)]
  if (bucket === undefined) return undefined
  outer: for (let e = 0; e < bucket.length; e++) {
    const bytes = bucket[e]!.bytes
    for (let i = 0; i < len; i++) if (buf[start + i] !== bytes[i]) continue outer
    return bucket[e]!.value
  }
  return undefined
}
