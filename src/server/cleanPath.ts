/**
 * Go's path cleaning for URL paths: `path.Clean` (lexical: `.` and `..` elements and repeated
 * slashes removed) and net/http's `cleanPath`, which keeps a trailing slash. ServeMux redirects
 * to the clean path; `redirect` resolves relative targets with it.
 *
 * @module
 */

/** Go's `path.Clean`: the shortest path equivalent to `p` by purely lexical processing. */
export const cleanSlashPath = (p: string): string => {
  if (p === "") return "."
  const rooted = p.charCodeAt(0) === 0x2f
  const out: Array<string> = []
  for (const element of p.split("/")) {
    if (element === "" || element === ".") continue
    if (element === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop()
      else if (!rooted) out.push("..")
      continue
    }
    out.push(element)
  }
  const joined = out.join("/")
  if (rooted) return "/" + joined
  return joined === "" ? "." : joined
}

/**
 * net/http's `cleanPath`: rooted, cleaned, and with the trailing slash of `p` kept (but "/" stays "/").
 *
 * @since 0.1.0
 * @category utils
 */
export const cleanPath = (p: string): string => {
  if (p === "") return "/"
  if (p.charCodeAt(0) !== 0x2f) p = "/" + p
  let np = cleanSlashPath(p)
  if (p.charCodeAt(p.length - 1) === 0x2f && np !== "/") np += "/"
  return np
}

/**
 * Whether `cleanPath(p) === p`, decided segment by segment (the common case: nothing to
 * clean). A one-character `indexOf` is a native scan; a longer needle is not, in V8.
 */
export const isCleanPath = (p: string): boolean => {
  if (p.length === 0 || p.charCodeAt(0) !== 0x2f) return false
  let slash = 0
  for (;;) {
    const next = p.indexOf("/", slash + 1)
    const end = next < 0 ? p.length : next
    const len = end - slash - 1
    // An empty segment is "//", except the last one (a trailing slash, or "/" itself).
    if (len === 0) return next < 0
    if (p.charCodeAt(slash + 1) === 0x2e && (len === 1 || (len === 2 && p.charCodeAt(slash + 2) === 0x2e))) return false
    if (next < 0) return true
    slash = next
  }
}
