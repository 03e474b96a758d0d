/**
 * Interning of common header names and methods: the parser maps their raw bytes to one
 * constant string, so the usual head allocates no strings for names and compares them by
 * reference.
 *
 * @module
 */

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
  readonly lower: Uint8Array
  /** The lower-case name as little-endian 32-bit words at 0, 4, 8, ...; then the word ending at its last byte. */
  readonly words: Int32Array
}

const MAX_LEN = 64
const bucketOf = (len: number, first: number) => (len << 5) | (first & 0x1f)

const wordsOf = (bytes: Uint8Array): Int32Array => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const n = bytes.length >> 2
  const words = new Int32Array(n + 1)
  for (let i = 0; i < n; i++) words[i] = view.getInt32(i * 4, true)
  if (bytes.length >= 4) words[n] = view.getInt32(bytes.length - 4, true)
  return words
}

const buildTable = (names: ReadonlyArray<string>, lower: boolean): Array<Array<Entry> | undefined> => {
  const t: Array<Array<Entry> | undefined> = new Array((MAX_LEN + 1) << 5).fill(undefined)
  for (const value of names) {
    const bytes = new Uint8Array(Buffer.from(lower ? value.toLowerCase() : value, "latin1"))
    const b = bucketOf(bytes.length, bytes[0]!)
    ;(t[b] ??= []).push({ value, lower: bytes, words: wordsOf(bytes) })
  }
  return t
}

const NAME_TABLE = buildTable(COMMON_HEADER_NAMES, true)
const METHOD_TABLE = buildTable(COMMON_METHODS, false)

/**
 * The interned canonical string for the header name in `buf[start, end)`, matched without
 * regard to case, or undefined. `view` is a DataView over `buf`. The bytes must already be
 * known to be token characters: for those, OR-ing 0x20 lower-cases letters and maps no other
 * byte onto a letter, so whole words compare at once.
 */
export const internHeaderName = (view: DataView, buf: Uint8Array, start: number, end: number): string | undefined => {
  const len = end - start
  if (len > MAX_LEN) return undefined
  const bucket = NAME_TABLE[bucketOf(len, buf[start]!)]
  if (bucket === undefined) return undefined
  if (len < 4) {
    outer: for (let e = 0; e < bucket.length; e++) {
      const lower = bucket[e]!.lower
      for (let i = 0; i < len; i++) if ((buf[start + i]! | 0x20) !== lower[i]) continue outer
      return bucket[e]!.value
    }
    return undefined
  }
  const n = len >> 2
  const first = view.getInt32(start, true) | 0x20202020
  const last = view.getInt32(end - 4, true) | 0x20202020
  outer: for (let e = 0; e < bucket.length; e++) {
    const words = bucket[e]!.words
    if (words[0] !== first || words[n] !== last) continue
    for (let i = 1; i < n; i++) if ((view.getInt32(start + i * 4, true) | 0x20202020) !== words[i]) continue outer
    return bucket[e]!.value
  }
  return undefined
}

/** The interned string for the method in `buf[start, end)` (case-sensitive), or undefined. */
export const internMethod = (buf: Uint8Array, start: number, end: number): string | undefined => {
  const len = end - start
  if (len > MAX_LEN) return undefined
  const bucket = METHOD_TABLE[bucketOf(len, buf[start]!)]
  if (bucket === undefined) return undefined
  outer: for (let e = 0; e < bucket.length; e++) {
    const bytes = bucket[e]!.lower
    for (let i = 0; i < len; i++) if (buf[start + i] !== bytes[i]) continue outer
    return bucket[e]!.value
  }
  return undefined
}
