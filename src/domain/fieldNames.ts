/**
 * Field names between the canonical form `Headers` keeps (Go's `CanonicalHeaderKey`) and the
 * lower-case form of HTTP/2 (RFC 9113 §8.2.1) and of the @effect/platform records. Messages
 * repeat a few names, and both `toLowerCase` and `canonicalHeaderKey` build a new string for
 * every name they change, so each mapping is remembered, in a bounded table per direction.
 *
 * @module
 * @internal
 */
import { canonicalHeaderKey } from "./Headers.js"

/** A bounded cache of a name mapping: names repeat from message to message. */
const cached = (f: (name: string) => string): (name: string) => string => {
  const seen = new Map<string, string>()
  return (name) => {
    let out = seen.get(name)
    if (out === undefined) {
      out = f(name)
      if (seen.size >= 1024) seen.clear()
      seen.set(name, out)
    }
    return out
  }
}

/**
 * The lower-case form of a (canonical) name.
 *
 * @internal
 */
export const lowerFieldName: (name: string) => string = cached((name) => name.toLowerCase())

/**
 * Our canonical form of a lower-case name, Go's `CanonicalHeaderKey`.
 *
 * @internal
 */
export const canonicalFieldName: (lower: string) => string = cached(canonicalHeaderKey)
