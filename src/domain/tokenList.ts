/**
 * Comma-separated token lists in field values (RFC 9110 §5.6.1): whether `Connection: close`,
 * `Expect: 100-continue`, `Vary: accept-encoding` or `Cache-Control: no-transform` is there.
 * Go's `httpguts.HeaderValuesContainsToken`: each element trimmed of whitespace, compared
 * without regard to case. The one place the client, the server and the codec ask it.
 *
 * @module
 * @internal
 */
import type { Headers } from "./Headers.js"

/**
 * Whether the comma-separated list `value` holds `token` (lower case), case-insensitively.
 *
 * @internal
 */
export const valueHasToken = (value: string, token: string): boolean => {
  for (const part of value.split(",")) if (part.trim().toLowerCase() === token) return true
  return false
}

/**
 * Whether any value of the field `name` in `headers` holds `token` (lower case).
 *
 * @internal
 */
export const fieldHasToken = (headers: Headers, name: string, token: string): boolean => {
  if (!headers.has(name)) return false
  for (const value of headers.values(name)) if (valueHasToken(value, token)) return true
  return false
}
