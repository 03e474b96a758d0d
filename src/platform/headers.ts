/**
 * Header fields between our `Headers` (canonical names, one entry per field) and the
 * platform's `Headers` (a record of lower-case names, one string per name), for both layers.
 *
 * @module
 */
import { Headers as PlatformHeaders } from "@effect/platform"
import { lowerFieldName } from "../domain/fieldNames.js"
import type { Headers } from "../domain/Headers.js"

/** Fields node:http's IncomingMessage keeps the first of when repeated. */
const KEEP_FIRST: ReadonlySet<string> = new Set([
  "age",
  "authorization",
  "content-length",
  "content-type",
  "etag",
  "expires",
  "from",
  "host",
  "if-modified-since",
  "if-unmodified-since",
  "last-modified",
  "location",
  "max-forwards",
  "proxy-authorization",
  "referer",
  "retry-after",
  "server",
  "user-agent"
])

/** The prototype of the platform's `Headers` records (plain objects over it). */
const HEADERS_PROTO: object = Object.getPrototypeOf(PlatformHeaders.empty) as object

/**
 * Our fields as the platform's `Headers`. `"node"` joins repeated fields as node:http's
 * IncomingMessage does (the first of a singleton field kept, cookies joined with "; ", the rest
 * with ", "), as the server's requests are read; `"comma"` joins every repeated field with ", ",
 * as the stock undici client's responses are.
 */
export const toPlatformHeaders = (headers: Headers, join: "node" | "comma"): PlatformHeaders.Headers => {
  const out = Object.create(HEADERS_PROTO) as Record<string, string>
  for (let i = 0, n = headers.size; i < n; i++) {
    const name = lowerFieldName(headers.nameAt(i)!)
    const value = headers.valueAt(i)!
    const previous = out[name]
    if (previous === undefined) out[name] = value
    else if (join === "comma") out[name] = previous + ", " + value
    else if (!KEEP_FIRST.has(name)) out[name] = previous + (name === "cookie" ? "; " : ", ") + value
  }
  return out as PlatformHeaders.Headers
}
