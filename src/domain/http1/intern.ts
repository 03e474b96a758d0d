/**
 * Interning of common header names and methods: the parser maps them to one constant string
 * each, so framing fields compare by reference and common names share one string.
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

const NAMES_BY_SPELLING: ReadonlyMap<string, string> = new Map(
  COMMON_HEADER_NAMES.flatMap((name) => [[name, name], [name.toLowerCase(), name]] as const)
)

/**
 * The interned canonical string for a header name spelt canonically or in lower case (the
 * spellings peers send), or undefined.
 */
export const internHeaderName = (raw: string): string | undefined => NAMES_BY_SPELLING.get(raw)

/** The interned string for a name already in canonical form, or the name itself. */
export const internCanonical = (canonical: string): string => NAMES_BY_SPELLING.get(canonical) ?? canonical

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
