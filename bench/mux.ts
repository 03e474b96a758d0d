/**
 * `npm run bench:mux`: route-lookup throughput of our `Mux` (Go 1.22 patterns, bench target
 * `mux.find(method, "", path)`) against find-my-way (v9, Fastify's router, `find(method, path)`)
 * and find-my-way-ts (the router behind @effect/platform's `HttpRouter`, `find(method, url)`),
 * with 10, 100 and 1000 routes. Only lookups are timed: no server, no sockets, no handlers run.
 *
 * Routes come from a seeded PRNG, the same set for the three routers, each in its own syntax
 * (`GET /api/users7/{id}/posts/{post}` ↔ `/api/users7/:id/posts/:post`,
 * `GET /assets/k3/{rest...}` ↔ `/assets/k3/*`): 60% static (2–4 literal segments), 35% with
 * one or two single-segment parameters, 5% (at least one) catch-all; 80% GET, the rest POST, PUT
 * or DELETE. Every route's second segment is a literal unique to it (a word and the route's
 * number, so the radix trees still share prefixes), which keeps any two routes from overlapping
 * and so gives Go's registration-time conflict check nothing to refuse. The lookups are 10,000
 * (method, path) pairs, each route at least once, the rest uniformly random, with concrete
 * parameter values, shuffled with the same seed. Before timing, every lookup is checked: all
 * three routers must pick the same route and the same wildcard values, or the run aborts.
 *
 * Timing: each case runs `BENCH_ROUNDS` (3) rounds, each round ours, find-my-way,
 * find-my-way-ts in turn; each turn warms up for `BENCH_WARMUP_MS` (100) and then loops over the
 * lookup list for `BENCH_RUN_MS` (800), timed with `process.hrtime.bigint`, every result folded
 * into a checksum. The table shows the median lookups/s and every round's figure; then
 * `info mux/routes-<n> ours/find-my-way-ts <x>` lines and, last, one
 * `ratio mux/routes-<n> <ours/find-my-way>` line per case. `BENCH_CASES` (comma list of
 * `routes-10`, `routes-100`, `routes-1000`) selects cases; `BENCH_ROUTERS` (a comma list of `ours`,
 * `find-my-way`, `find-my-way-ts`) runs only those, without ratios, for profiling one.
 *
 * `npm run bench:mux` starts under tsx, which compiles with esbuild's keepNames and so wraps every
 * closure created at run time in `__name` (see bench/harness.ts), which would slow our TypeScript
 * and not the routers shipped as JavaScript. So the script compiles itself once with
 * `compiled` (bench/.build) and runs that in one plain `node` child (`BENCH_MUX_CHILD=1`), where
 * all three routers are measured in the same process. `BENCH_MUX_INPROCESS=1` measures under tsx
 * instead.
 *
 * @module
 */
import { Effect, Either } from "effect"
import FindMyWay from "find-my-way"
import * as FindMyWayTs from "find-my-way-ts"
import { spawnSync } from "node:child_process"
import { compiled, repoRoot, roundsFromEnv, select } from "./harness.js"
import type { Handler } from "../src/server/Handler.js"
import { Mux } from "../src/server/ServeMux.js"
import * as ServerResponse from "../src/server/ServerResponse.js"

// ---------------------------------------------------------------------------------------------
// Orchestration: compile and re-run as plain node unless already the child.

const runHere = process.env.BENCH_MUX_CHILD === "1" || process.env.BENCH_MUX_INPROCESS === "1"

if (!runHere) {
  const script = compiled("bench/mux.ts")
  const child = spawnSync(process.execPath, [script], {
    cwd: repoRoot,
    stdio: "inherit",
    env: { ...process.env, BENCH_MUX_CHILD: "1" }
  })
  if (child.error !== undefined) throw child.error
  process.exit(child.status ?? 1)
}

// ---------------------------------------------------------------------------------------------
// Route set and lookups.

type Method = "GET" | "POST" | "PUT" | "DELETE"

type Segment =
  | { readonly kind: "literal"; readonly text: string }
  | { readonly kind: "param"; readonly name: string }
  | { readonly kind: "rest"; readonly name: string }

interface Route {
  readonly index: number
  readonly method: Method
  readonly segments: ReadonlyArray<Segment>
  /** Our pattern, e.g. `GET /api/users7/{id}`. */
  readonly go: string
  /** find-my-way's (and find-my-way-ts's) path, e.g. `/api/users7/:id`. */
  readonly fmw: `/${string}`
}

interface Lookup {
  readonly method: Method
  readonly path: string
  readonly route: number
  /** The wildcard values every router must report, by find-my-way's name (`*` for the catch-all). */
  readonly values: ReadonlyArray<readonly [string, string]>
}

/** mulberry32: small, fast, deterministic. */
const prng = (seed: number): (() => number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const pick = <A>(rand: () => number, xs: ReadonlyArray<A>): A => xs[Math.floor(rand() * xs.length)]!

const shuffle = <A>(rand: () => number, xs: Array<A>): Array<A> => {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1))
    const t = xs[i]!
    xs[i] = xs[j]!
    xs[j] = t
  }
  return xs
}

const GROUPS = ["api", "v1", "admin", "internal", "public", "auth"] as const
const WORDS = [
  "users", "orders", "items", "products", "accounts", "invoices", "sessions", "teams", "projects", "reports",
  "comments", "posts", "tags", "events", "files", "settings", "billing", "search", "metrics", "jobs"
] as const
const TAILS = ["list", "all", "recent", "summary", "export", "stats", "details", "history", "edit", "new"] as const
const PARAM_NAMES = ["id", "post", "slug", "name", "key", "version"] as const

const randomMethod = (rand: () => number): Method => {
  const x = rand()
  if (x < 0.8) return "GET"
  return x < 0.87 ? "POST" : x < 0.94 ? "PUT" : "DELETE"
}

const makeRoute = (rand: () => number, index: number, kind: "static" | "param" | "rest"): Route => {
  // The unique second segment: no two routes overlap, whatever follows.
  const segments: Array<Segment> = [
    { kind: "literal", text: kind === "rest" ? "assets" : pick(rand, GROUPS) },
    { kind: "literal", text: `${kind === "rest" ? "k" : pick(rand, WORDS)}${index}` }
  ]
  if (kind === "static") {
    const extra = Math.floor(rand() * 3) // 2–4 literal segments in all
    for (let i = 0; i < extra; i++) segments.push({ kind: "literal", text: pick(rand, TAILS) })
  } else if (kind === "param") {
    const names = shuffle(rand, [...PARAM_NAMES])
    const shape = Math.floor(rand() * 4)
    if (shape === 0) {
      segments.push({ kind: "param", name: names[0]! })
    } else if (shape === 1) {
      segments.push({ kind: "param", name: names[0]! }, { kind: "literal", text: pick(rand, TAILS) })
    } else if (shape === 2) {
      segments.push({ kind: "param", name: names[0]! }, { kind: "literal", text: pick(rand, WORDS) }, { kind: "param", name: names[1]! })
    } else {
      segments.push({ kind: "param", name: names[0]! }, { kind: "param", name: names[1]! })
    }
  } else {
    segments.push({ kind: "rest", name: "rest" })
  }
  const method = kind === "rest" ? "GET" : randomMethod(rand)
  const go = `${method} /` + segments.map((s) => (s.kind === "literal" ? s.text : s.kind === "param" ? `{${s.name}}` : `{${s.name}...}`)).join("/")
  const fmw = `/${segments.map((s) => (s.kind === "literal" ? s.text : s.kind === "param" ? `:${s.name}` : "*")).join("/")}` as const
  return { index, method, segments, go, fmw }
}

const makeRoutes = (n: number, seed: number): ReadonlyArray<Route> => {
  const rand = prng(seed)
  const rests = Math.max(1, Math.round(n * 0.05))
  const params = Math.round(n * 0.35)
  const kinds = shuffle(rand, [
    ...Array.from({ length: n - rests - params }, () => "static" as const),
    ...Array.from({ length: params }, () => "param" as const),
    ...Array.from({ length: rests }, () => "rest" as const)
  ])
  return kinds.map((kind, i) => makeRoute(rand, i, kind))
}

const ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
const token = (rand: () => number, min: number, max: number): string => {
  const len = min + Math.floor(rand() * (max - min + 1))
  let s = ""
  for (let i = 0; i < len; i++) s += ALNUM[Math.floor(rand() * ALNUM.length)]
  return s
}
const paramValue = (rand: () => number): string => (rand() < 0.5 ? String(1 + Math.floor(rand() * 999_999)) : token(rand, 4, 12))
const restValue = (rand: () => number): string => {
  const dirs = Math.floor(rand() * 3)
  const parts: Array<string> = []
  for (let i = 0; i < dirs; i++) parts.push(token(rand, 2, 8))
  parts.push(`${token(rand, 3, 10)}.${pick(rand, ["js", "css", "png", "svg", "woff2"])}`)
  return parts.join("/")
}

const makeLookup = (rand: () => number, route: Route): Lookup => {
  const values: Array<readonly [string, string]> = []
  const parts = route.segments.map((s) => {
    if (s.kind === "literal") return s.text
    const v = s.kind === "param" ? paramValue(rand) : restValue(rand)
    values.push([s.kind === "param" ? s.name : "*", v])
    return v
  })
  return { method: route.method, path: "/" + parts.join("/"), route: route.index, values }
}

const LOOKUPS = 10_000

const makeLookups = (routes: ReadonlyArray<Route>, seed: number): ReadonlyArray<Lookup> => {
  const rand = prng(seed ^ 0x5eed)
  const out: Array<Lookup> = routes.map((r) => makeLookup(rand, r))
  while (out.length < LOOKUPS) out.push(makeLookup(rand, pick(rand, routes)))
  return shuffle(rand, out)
}

// ---------------------------------------------------------------------------------------------
// The three routers.

interface Store {
  readonly index: number
}

const ourHandler: Handler = () => Effect.succeed(ServerResponse.empty())
const fmwHandler = (): void => {}

interface Routers {
  readonly ours: Mux
  readonly fmw: FindMyWay.Instance<FindMyWay.HTTPVersion.V1>
  readonly fmwts: FindMyWayTs.Router<number>
}

const build = (routes: ReadonlyArray<Route>): Routers => {
  const made = Mux.make(routes.map((r) => [r.go, ourHandler] as const))
  if (Either.isLeft(made)) throw new Error(`Mux.make refused the route set: ${JSON.stringify(made.left)}`)
  const fmw = FindMyWay()
  const fmwts = FindMyWayTs.make<number>()
  for (const r of routes) {
    const store: Store = { index: r.index }
    fmw.on(r.method, r.fmw, fmwHandler, store)
    fmwts.on(r.method, r.fmw, r.index)
  }
  return { ours: made.right, fmw, fmwts }
}

/** Every lookup: the same route and the same wildcard values from all three, or a thrown error. */
const verify = (name: string, routes: ReadonlyArray<Route>, routers: Routers, lookups: ReadonlyArray<Lookup>): void => {
  const byPattern = new Map(routes.map((r) => [r.go, r.index] as const))
  const restName = new Map(routes.map((r) => [r.index, r.segments.find((s) => s.kind === "rest")?.name] as const))
  const fail = (l: Lookup, router: string, what: string): never => {
    throw new Error(`${name}: ${router} disagrees on ${l.method} ${l.path} (expected route ${l.route}, ${routes[l.route]!.go}): ${what}`)
  }
  const sameValues = (l: Lookup, router: string, got: ReadonlyArray<readonly [string, string | undefined]>): void => {
    const want = [...l.values].sort((a, b) => a[0].localeCompare(b[0]))
    const have = [...got].sort((a, b) => a[0].localeCompare(b[0]))
    if (JSON.stringify(want) !== JSON.stringify(have)) fail(l, router, `values ${JSON.stringify(have)}, expected ${JSON.stringify(want)}`)
  }
  for (const l of lookups) {
    const m = routers.ours.find(l.method, "", l.path)
    if (m._tag !== "Found") fail(l, "ours", `got ${JSON.stringify(m)}`)
    else {
      const index = byPattern.get(m.pattern)
      if (index !== l.route) fail(l, "ours", `found ${m.pattern}`)
      const rest = restName.get(l.route)
      sameValues(l, "ours", [...m.values].map(([k, v]) => [k === rest ? "*" : k, v] as const))
    }

    const f = routers.fmw.find(l.method, l.path)
    if (f === null) fail(l, "find-my-way", "not found")
    else {
      const store: Store = f.store
      if (store.index !== l.route) fail(l, "find-my-way", `found route ${store.index} (${routes[store.index]?.go})`)
      sameValues(l, "find-my-way", Object.entries(f.params))
    }

    const t = routers.fmwts.find(l.method, l.path)
    if (t === undefined) fail(l, "find-my-way-ts", "not found")
    else {
      if (t.handler !== l.route) fail(l, "find-my-way-ts", `found route ${t.handler} (${routes[t.handler]?.go})`)
      sameValues(l, "find-my-way-ts", Object.entries(t.params))
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Timing.

const RUN_MS = Number(process.env.BENCH_RUN_MS ?? 800)
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 100)
for (const [k, v] of [["BENCH_RUN_MS", RUN_MS], ["BENCH_WARMUP_MS", WARMUP_MS]] as const) {
  if (!Number.isFinite(v) || v < 0) throw new Error(`${k} must be a non-negative number of milliseconds`)
}

/** A sink the optimizer cannot see through. */
let checksum = 0

/** One pass over the lookups; returns the number of lookups. */
type Pass = (methods: ReadonlyArray<string>, paths: ReadonlyArray<string>) => number

const passes = (routers: Routers): ReadonlyArray<{ readonly router: string; readonly pass: Pass }> => {
  const { fmw, fmwts, ours } = routers
  return [
    {
      router: "ours",
      pass: (methods, paths) => {
        let sum = 0
        for (let i = 0; i < paths.length; i++) {
          const m = ours.find(methods[i]!, "", paths[i]!)
          sum += m._tag === "Found" ? m.pattern.length + m.values.size : -1
        }
        checksum += sum
        return paths.length
      }
    },
    {
      router: "find-my-way",
      pass: (methods, paths) => {
        let sum = 0
        for (let i = 0; i < paths.length; i++) {
          const f = fmw.find(methods[i] as FindMyWay.HTTPMethod, paths[i]!)
          if (f === null) sum -= 1
          else {
            const store: Store = f.store
            sum += store.index
          }
        }
        checksum += sum
        return paths.length
      }
    },
    {
      router: "find-my-way-ts",
      pass: (methods, paths) => {
        let sum = 0
        for (let i = 0; i < paths.length; i++) {
          const t = fmwts.find(methods[i]!, paths[i]!)
          sum += t === undefined ? -1 : t.handler
        }
        checksum += sum
        return paths.length
      }
    }
  ]
}

/** Runs `pass` for `ms` of wall time; lookups per second. */
const timed = (pass: Pass, methods: ReadonlyArray<string>, paths: ReadonlyArray<string>, ms: number): number => {
  const budget = BigInt(Math.round(ms * 1e6))
  const start = process.hrtime.bigint()
  let n = 0
  let elapsed = 0n
  do {
    n += pass(methods, paths)
    elapsed = process.hrtime.bigint() - start
  } while (elapsed < budget)
  return n / (Number(elapsed) / 1e9)
}

// ---------------------------------------------------------------------------------------------
// Main.

interface Case {
  readonly name: string
  readonly routes: number
}

const CASES: ReadonlyArray<Case> = [
  { name: "routes-10", routes: 10 },
  { name: "routes-100", routes: 100 },
  { name: "routes-1000", routes: 1000 }
]

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

const fmt = (n: number): string => Math.round(n).toLocaleString("en-US")

if (runHere) {
  const rounds = roundsFromEnv()
  const cases = select(CASES, process.env.BENCH_CASES, "case")
  const progress = (s: string) => process.stderr.write(s + "\n")

  interface Row {
    readonly case: string
    readonly router: string
    readonly figures: ReadonlyArray<number>
  }
  const rows: Array<Row> = []

  for (const c of cases) {
    const seed = 0x6d75 + c.routes
    const routes = makeRoutes(c.routes, seed)
    const lookups = makeLookups(routes, seed)
    const routers = build(routes)
    verify(c.name, routes, routers, lookups)
    progress(`${c.name}: ${routes.length} routes, ${lookups.length} lookups, all three routers agree on every one`)
    const methods = lookups.map((l) => l.method)
    const paths = lookups.map((l) => l.path)
    // BENCH_ROUTERS (a comma list of routers) narrows the run, for profiling one of them.
    const contenders = passes(routers).filter((k) => process.env.BENCH_ROUTERS === undefined || process.env.BENCH_ROUTERS.split(",").includes(k.router))
    const figures = contenders.map(() => [] as Array<number>)
    for (let round = 1; round <= rounds; round++) {
      contenders.forEach((k, i) => {
        timed(k.pass, methods, paths, WARMUP_MS)
        const rate = timed(k.pass, methods, paths, RUN_MS)
        figures[i]!.push(rate)
        progress(`  round ${round} ${k.router}: ${fmt(rate)} lookups/s`)
      })
    }
    contenders.forEach((k, i) => rows.push({ case: c.name, router: k.router, figures: figures[i]! }))
  }

  const medianOf = (c: string, router: string): number => median(rows.find((r) => r.case === c && r.router === router)!.figures)

  console.log(`mux benchmark: node ${process.version}, ${rounds} interleaved rounds of ${RUN_MS} ms (after ${WARMUP_MS} ms warm-up), ${LOOKUPS} lookups per case`)
  console.log("")
  console.log("| case | router | median lookups/s | rounds |")
  console.log("|---|---|---:|---|")
  for (const r of rows) console.log(`| ${r.case} | ${r.router} | ${fmt(median(r.figures))} | ${r.figures.map(fmt).join(", ")} |`)
  console.log("")
  if (process.env.BENCH_ROUTERS !== undefined) process.exit(0)
  for (const c of cases) console.log(`info mux/${c.name} ours/find-my-way-ts ${(medianOf(c.name, "ours") / medianOf(c.name, "find-my-way-ts")).toFixed(2)}`)
  for (const c of cases) console.log(`ratio mux/${c.name} ${(medianOf(c.name, "ours") / medianOf(c.name, "find-my-way")).toFixed(2)}`)
  if (checksum === 0.5) console.log("")
}
