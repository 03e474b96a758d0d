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

/** net/http's `cleanPath`: rooted, cleaned, and with the trailing slash of `p` kept (but "/" stays "/"). */
export const cleanPath = (p: string): string => {
  if (p === "") return "/"
  if (p.charCodeAt(0) !== 0x2f) p = "/" + p
  let np = cleanSlashPath(p)
  if (p.charCodeAt(p.length - 1) === 0x2f && np !== "/") np += "/"
  return np
}

/** Whether `cleanPath(p) === p`, decided in one scan (the common case: nothing to clean). */
export const isCleanPath = (p: string): boolean => {
  if (p.length === 0 || p.charCodeAt(0) !== 0x2f) return false
  // State after a slash: 0 = just saw "/", 1 = "/.", 2 = "/..", 3 = inside a segment.
  let state = 0
  for (let i = 1; i < p.length; i++) {
    const c = p.charCodeAt(i)
    if (c === 0x2f) {
      if (state !== 3) return false // "//", "/./" or "/../"
      state = 0
    } else if (c === 0x2e && state < 2) state++
    else state = 3
  }
  return state === 0 || state === 3
}
