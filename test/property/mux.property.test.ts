/**
 * ServeMux precedence against a brute-force oracle: each pattern is turned into a regular
 * expression (independently of src/server/pattern.ts) and its set of matching requests is
 * computed over a finite universe of methods, hosts and paths rich enough to witness every
 * overlap (the patterns' literals plus one other segment, one segment longer than the longest
 * pattern). Then, for random pattern sets:
 * - building the mux fails exactly when two patterns with the same host match some request
 *   in common with neither set a strict subset of the other (or equal sets);
 * - otherwise, for every request, the mux picks the oracle's most specific matching pattern
 *   (host patterns first, then the one whose set is inside every other matching set).
 */
import { describe, expect, it } from "@effect/vitest"
import { Either, FastCheck as fc } from "effect"
import { Mux } from "../../src/server/ServeMux.js"

const LITERALS = ["a", "b"] as const
const METHODS = ["GET", "HEAD", "POST", "PUT"] as const
const HOSTS = ["h1", "h2"] as const

/** A request of the universe. */
interface Req {
  readonly method: string
  readonly host: string
  readonly path: string
}

const paths = (() => {
  const out = new Set<string>(["/"])
  const segs = [...LITERALS, "z"]
  const walk = (prefix: Array<string>) => {
    if (prefix.length > 0) {
      out.add("/" + prefix.join("/"))
      out.add("/" + prefix.join("/") + "/")
    }
    if (prefix.length === 4) return
    for (const s of segs) walk([...prefix, s])
  }
  walk([])
  return [...out]
})()

const UNIVERSE: ReadonlyArray<Req> = METHODS.flatMap((method) => HOSTS.flatMap((host) => paths.map((path) => ({ method, host, path }))))

/** A pattern as the generator builds it. */
interface Spec {
  readonly method: "" | "GET" | "HEAD" | "POST"
  readonly host: "" | "h1"
  readonly segments: ReadonlyArray<string>
  readonly ending: "none" | "slash" | "end" | "multi"
}

const text = (s: Spec): string => {
  let path = "/" + s.segments.join("/")
  if (s.ending === "slash") path += s.segments.length > 0 ? "/" : ""
  else if (s.ending === "end") path += (s.segments.length > 0 ? "/" : "") + "{$}"
  else if (s.ending === "multi") path += (s.segments.length > 0 ? "/" : "") + "{rest...}"
  else if (s.segments.length === 0) path += "{$}" // "/" alone is a subtree; "none" means exact
  return (s.method === "" ? "" : s.method + " ") + s.host + path
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/** The oracle's matcher: a regular expression over the path, plus the method and host rules. */
const oracleMatcher = (s: Spec): ((r: Req) => boolean) => {
  let re = "^"
  let wild = 0
  for (const seg of s.segments) {
    if (seg.startsWith("{")) {
      wild++
      re += "/[^/]+"
    } else re += "/" + escape(seg)
  }
  if (s.ending === "slash") re += s.segments.length > 0 ? "/.*" : "/.*"
  else if (s.ending === "end") re += "/"
  else if (s.ending === "multi") re += "/.*"
  else if (s.segments.length === 0) re += "/"
  re += "$"
  void wild
  const regex = new RegExp(re)
  return (r) =>
    (s.method === "" || s.method === r.method || (s.method === "GET" && r.method === "HEAD")) &&
    (s.host === "" || s.host === r.host) &&
    regex.test(r.path)
}

const specArb: fc.Arbitrary<Spec> = fc.record({
  method: fc.constantFrom("" as const, "GET" as const, "HEAD" as const, "POST" as const),
  host: fc.constantFrom("" as const, "" as const, "h1" as const),
  segments: fc.array(fc.constantFrom("a", "b", "{x}", "{y}"), { maxLength: 3 }),
  ending: fc.constantFrom("none" as const, "slash" as const, "end" as const, "multi" as const)
}).map((s) => {
  // Wildcard names must be unique within a pattern.
  let n = 0
  return { ...s, segments: s.segments.map((seg) => (seg.startsWith("{") ? `{w${n++}}` : seg)) }
})

/** Bit sets over the universe. */
const setOf = (s: Spec): Array<boolean> => {
  const m = oracleMatcher(s)
  return UNIVERSE.map(m)
}
const subset = (a: Array<boolean>, b: Array<boolean>) => a.every((x, i) => !x || b[i]!)
const intersects = (a: Array<boolean>, b: Array<boolean>) => a.some((x, i) => x && b[i]!)

const oracleConflict = (a: Spec, b: Spec): boolean => {
  if (a.host !== b.host) return false
  const sa = setOf(a)
  const sb = setOf(b)
  if (!intersects(sa, sb)) return false
  const ab = subset(sa, sb)
  const ba = subset(sb, sa)
  return ab === ba // equal sets, or neither inside the other
}

describe("ServeMux against a brute-force oracle", () => {
  it("registration fails exactly on conflicts; otherwise the most specific matching pattern wins", () => {
    fc.assert(
      fc.property(fc.uniqueArray(specArb, { minLength: 1, maxLength: 6, selector: text }), (specs) => {
        const built = Mux.make(specs.map((s) => [text(s), () => { throw new Error("not run") }] as const))
        let conflict = false
        for (let i = 0; i < specs.length && !conflict; i++) {
          for (let j = 0; j < i && !conflict; j++) if (oracleConflict(specs[i]!, specs[j]!)) conflict = true
        }
        expect(Either.isLeft(built), `conflict expected: ${conflict} for ${specs.map(text).join(" | ")}`).toBe(conflict)
        if (Either.isLeft(built)) {
          expect(built.left._tag).toBe("PatternConflict")
          return
        }
        const mux = built.right
        const sets = specs.map(setOf)
        UNIVERSE.forEach((req, k) => {
          const matching = specs.map((s, i) => ({ s, i })).filter(({ i }) => sets[i]![k])
          const hosted = matching.filter(({ s }) => s.host !== "")
          const candidates = hosted.length > 0 ? hosted : matching
          const best = candidates.find(({ i }) => candidates.every(({ i: j }) => subset(sets[i]!, sets[j]!)))
          const got = mux.match(req.method, req.host, req.path)
          expect(got?.pattern, `${req.method} ${req.host}${req.path} among ${specs.map(text).join(" | ")}`).toBe(best === undefined ? undefined : text(best.s))
          // find (with its whole-path shortcut for literal routes) dispatches to the same pattern.
          const found = mux.find(req.method, req.host, req.path)
          if (found._tag === "Found") expect(found.pattern, `find ${req.method} ${req.host}${req.path}`).toBe(got?.pattern)
        })
      }),
      { numRuns: 300 }
    )
  })
})
