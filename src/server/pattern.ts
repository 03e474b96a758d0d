/**
 * Go 1.22 ServeMux patterns (net/http pattern.go): `[METHOD ][HOST]/[PATH]` with literal
 * segments, `{name}` (one segment), `{name...}` (the rest, last only), `{$}` (the exact end,
 * last only) and a trailing `/` for a subtree. Parsing, the precedence relation between two
 * patterns (which one matches a strict subset of the other's requests), and matching one
 * request path.
 *
 * Plain synchronous code; `parsePattern` answers an Either.
 *
 * @module
 */
import { Data, Either } from "effect"
import { isValidMethod } from "../domain/Method.js"

/**
 * One path segment, as Go represents it: a literal (`s` unescaped; `{$}` is the literal "/",
 * the trailing-slash marker), a single wildcard (`wild`, `s` its name) or a multi wildcard
 * (`multi`: `{name...}`, or an anonymous one for a trailing slash, `s` ""). */
export interface Segment {
  readonly s: string
  readonly wild: boolean
  readonly multi: boolean
}

/** A parsed pattern. */
export interface Pattern {
  /** The pattern as registered. */
  readonly str: string
  /** "" for any method. */
  readonly method: string
  /** "" for any host. */
  readonly host: string
  readonly segments: ReadonlyArray<Segment>
}

/**
 * Why a pattern was refused.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidPattern extends Data.TaggedError("InvalidPattern")<{
  readonly pattern: string
  readonly detail: string
}> {
  override get message(): string {
    return `invalid pattern ${JSON.stringify(this.pattern)}: ${this.detail}`
  }
}

const IDENT = /^[\p{L}_][\p{L}\p{Nd}_]*$/u

/** Go's `parsePattern`. */
export const parsePattern = (s: string): Either.Either<Pattern, InvalidPattern> => {
  const fail = (detail: string) => Either.left(new InvalidPattern({ pattern: s, detail }))
  if (s.length === 0) return fail("empty pattern")
  let rest = s
  let method = ""
  const sp = rest.search(/[ \t]/)
  if (sp >= 0) {
    method = rest.slice(0, sp)
    rest = rest.slice(sp + 1).replace(/^[ \t]+/, "")
    if (!isValidMethod(method)) return fail(`invalid method ${JSON.stringify(method)}`)
  }
  const slash = rest.indexOf("/")
  if (slash < 0) return fail("host/path missing /")
  const host = rest.slice(0, slash)
  rest = rest.slice(slash)
  if (host.includes("{")) return fail("host contains '{' (missing initial '/'?)")

  const segments: Array<Segment> = []
  const names = new Set<string>()
  // rest starts with "/".
  while (rest.length > 0) {
    rest = rest.slice(1) // the slash
    if (rest.length === 0) {
      // A trailing slash: an anonymous multi wildcard (a subtree).
      segments.push({ s: "", wild: true, multi: true })
      break
    }
    const i = rest.indexOf("/")
    const seg = i < 0 ? rest : rest.slice(0, i)
    rest = i < 0 ? "" : rest.slice(i)
    const open = seg.indexOf("{")
    if (open < 0) {
      const lit = pathUnescape(seg)
      if (lit === undefined) return fail(`bad escape in segment ${JSON.stringify(seg)}`)
      segments.push({ s: lit, wild: false, multi: false })
      continue
    }
    // A wildcard must be the whole segment.
    if (open !== 0 || !seg.endsWith("}")) return fail("bad wildcard segment (must be entire segment)")
    let name = seg.slice(1, -1)
    if (name === "$") {
      if (rest !== "") return fail("{$} not at end")
      segments.push({ s: "/", wild: false, multi: false })
      break
    }
    let multi = false
    if (name.endsWith("...")) {
      multi = true
      name = name.slice(0, -3)
      if (rest !== "") return fail("{...} wildcard not at end")
    }
    if (name === "") return fail("empty wildcard")
    if (!IDENT.test(name)) return fail(`bad wildcard name ${JSON.stringify(name)}`)
    if (names.has(name)) return fail(`duplicate wildcard name ${JSON.stringify(name)}`)
    names.add(name)
    segments.push({ s: name, wild: true, multi })
  }
  return Either.right({ str: s, method, host, segments })
}

/** Go's `pathUnescape` for one segment (percent-decoding, "+" kept), or undefined when malformed. */
export const pathUnescape = (s: string): string | undefined => {
  if (!s.includes("%")) return s
  try {
    return decodeURIComponent(s)
  } catch {
    return undefined
  }
}

/** How the request sets of two patterns relate. */
export type Relationship = "equivalent" | "moreGeneral" | "moreSpecific" | "disjoint" | "overlaps"

const inverse = (r: Relationship): Relationship =>
  r === "moreGeneral" ? "moreSpecific" : r === "moreSpecific" ? "moreGeneral" : r

const combine = (r1: Relationship, r2: Relationship): Relationship => {
  switch (r1) {
    case "equivalent":
      return r2
    case "disjoint":
      return "disjoint"
    case "overlaps":
      return r2 === "disjoint" ? "disjoint" : "overlaps"
    default:
      if (r2 === "equivalent") return r1
      if (r2 === inverse(r1)) return "overlaps"
      return r2
  }
}

const compareMethods = (p1: Pattern, p2: Pattern): Relationship => {
  if (p1.method === p2.method) return "equivalent"
  if (p1.method === "") return "moreGeneral"
  if (p2.method === "") return "moreSpecific"
  // GET also serves HEAD.
  if (p1.method === "GET" && p2.method === "HEAD") return "moreGeneral"
  if (p2.method === "GET" && p1.method === "HEAD") return "moreSpecific"
  return "disjoint"
}

const compareSegments = (s1: Segment, s2: Segment): Relationship => {
  if (s1.multi && s2.multi) return "equivalent"
  if (s1.multi) return "moreGeneral"
  if (s2.multi) return "moreSpecific"
  if (s1.wild && s2.wild) return "equivalent"
  // A single wildcard does not match the trailing slash.
  if (s1.wild) return s2.s === "/" ? "disjoint" : "moreGeneral"
  if (s2.wild) return s1.s === "/" ? "disjoint" : "moreSpecific"
  return s1.s === s2.s ? "equivalent" : "disjoint"
}

const last = (p: Pattern): Segment => p.segments[p.segments.length - 1]!

const comparePaths = (p1: Pattern, p2: Pattern): Relationship => {
  const a = p1.segments
  const b = p2.segments
  if (a.length !== b.length && !last(p1).multi && !last(p2).multi) return "disjoint"
  let rel: Relationship = "equivalent"
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    rel = combine(rel, compareSegments(a[i]!, b[i]!))
    if (rel === "disjoint") return rel
  }
  if (a.length === b.length) return rel
  if (a.length < b.length && last(p1).multi) return combine(rel, "moreGeneral")
  if (b.length < a.length && last(p2).multi) return combine(rel, "moreSpecific")
  return "disjoint"
}

/** How `p1`'s requests relate to `p2`'s, for patterns with the same host (Go's `comparePathsAndMethods`). */
export const comparePathsAndMethods = (p1: Pattern, p2: Pattern): Relationship => {
  const m = compareMethods(p1, p2)
  if (m === "disjoint") return "disjoint"
  return combine(m, comparePaths(p1, p2))
}

/**
 * Whether registering both would be ambiguous (Go's `conflictsWith`): same host, and the two
 * match the same requests or overlap with neither more specific. A pattern with a host and
 * one without never conflict: the host wins by fiat.
 */
export const conflictsWith = (p1: Pattern, p2: Pattern): boolean => {
  if (p1.host !== p2.host) return false
  const rel = comparePathsAndMethods(p1, p2)
  return rel === "equivalent" || rel === "overlaps"
}

/** A path both patterns match (Go's `commonPath`), for conflict messages. */
export const commonPath = (p1: Pattern, p2: Pattern): string => {
  let out = ""
  const write = (s: Segment) => {
    out += "/"
    if (!s.multi && s.s !== "/") out += s.s
  }
  const a = p1.segments
  const b = p2.segments
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) write(a[i]!.wild ? b[i]! : a[i]!)
  for (const s of a.length > n ? a.slice(n) : b.slice(n)) write(s)
  return out
}

/**
 * Matches the escaped request `path` (starting with "/") against `p`'s segments: the wildcard
 * values in order (unescaped), or undefined when it does not match. Segments are compared
 * after per-segment unescaping, so "%2F" inside a segment stays part of it.
 */
export const matchPath = (p: Pattern, path: string): Array<string> | undefined => {
  const values: Array<string> = []
  let rest = path
  for (const seg of p.segments) {
    if (seg.multi) {
      if (rest === "") return undefined
      if (seg.s !== "") values.push(pathUnescape(rest.slice(1)) ?? rest.slice(1))
      return values
    }
    if (rest === "") return undefined
    let piece: string
    if (rest === "/") {
      piece = "/"
      rest = ""
    } else {
      const i = rest.indexOf("/", 1)
      const raw = i < 0 ? rest.slice(1) : rest.slice(1, i)
      rest = i < 0 ? "" : rest.slice(i)
      // Go's pathUnescape: a malformed escape leaves the segment as it is.
      piece = pathUnescape(raw) ?? raw
    }
    if (seg.wild) {
      if (piece === "/") return undefined
      values.push(piece)
    } else if (seg.s !== piece) return undefined
  }
  return rest === "" ? values : undefined
}

/** Whether `p` serves requests with `method` (no method: any; GET: GET and HEAD). */
export const matchesMethod = (p: Pattern, method: string): boolean =>
  p.method === "" || p.method === method || (p.method === "GET" && method === "HEAD")

/** The wildcard names of `p`, in order (anonymous multis have none). */
export const wildcardNames = (p: Pattern): Array<string> =>
  p.segments.filter((s) => s.wild && s.s !== "").map((s) => s.s)
