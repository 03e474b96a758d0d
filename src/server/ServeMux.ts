/**
 * Go's `ServeMux` (Go 1.22 patterns, net/http server.go and routing_tree.go): the most
 * specific matching pattern wins, and two patterns that would be ambiguous are refused when
 * the mux is built, with a typed error naming both and a path they both match.
 *
 * ```ts
 * const mux = ServeMux.make([
 *   ["GET /items/{id}", (r) => Effect.succeed(ServerResponse.text(`item ${r.pathValue("id")}`))],
 *   ["POST /items/", createItem],
 *   ["example.com/", hostOnly]
 * ])                                   // Either<Mux, MuxError>
 *
 * // Or from Layers, each contributing routes; the merged mux is checked once.
 * const MuxLive = ServeMux.layer(ServeMux.routes([["GET /a", a]]), ServeMux.routes([["GET /b", b]]))
 * const ServerLive = ServeMux.serve({ host: "127.0.0.1", port: 8080 }).pipe(Layer.provide(MuxLive))
 * ```
 *
 * Answers of its own, as Go's: a path that is not clean (`.`, `..`, `//`) and a subtree
 * pattern reached without its trailing slash are redirected with 307 (as Go 1.26), the query
 * kept; no match is `404 page not found`; a match but for the method is 405 with a sorted
 * `Allow` (HEAD added to GET); `OPTIONS *` is 200. Host matching ignores the port.
 *
 * @module
 */
import { Context, Data, Effect, Either, Layer, type Scope } from "effect"
import type { InvalidConfig } from "../domain/configErrors.js"
import * as Status from "../domain/Status.js"
import type { ListenError } from "../net/errors.js"
import { cleanPath, isCleanPath } from "./cleanPath.js"
import type { ServerOptions } from "./config.js"
import type { Handler } from "./Handler.js"
import { error, notFound, redirect } from "./handlers.js"
import {
  commonPath,
  comparePathsAndMethods,
  conflictsWith,
  InvalidPattern,
  matchPath,
  parsePattern,
  type Pattern,
  wildcardNames
} from "./pattern.js"
import { RoutingTree } from "./routingTree.js"
import { Server } from "./Server.js"
import type { ServerRequest } from "./ServerRequest.js"
import * as ServerResponse from "./ServerResponse.js"

export { InvalidPattern } from "./pattern.js"

/**
 * Two patterns match some request equally well (Go panics with "conflicts with pattern").
 *
 * @since 0.1.0
 * @category errors
 */
export class PatternConflict extends Data.TaggedError("PatternConflict")<{
  readonly pattern: string
  readonly other: string
  /** A path both match. */
  readonly examplePath: string
}> {
  override get message(): string {
    return `pattern ${JSON.stringify(this.pattern)} conflicts with pattern ${JSON.stringify(this.other)}: both match some paths, like ${JSON.stringify(this.examplePath)}, and neither is more specific`
  }
}

/**
 * Why a mux could not be built.
 *
 * @since 0.1.0
 * @category errors
 */
export type MuxError = InvalidPattern | PatternConflict

interface Route<E, R> {
  readonly pattern: Pattern
  readonly names: ReadonlyArray<string>
  readonly handler: Handler<E, R>
  /** The answer to a request this route matches without wildcard values (made once). */
  readonly found: Match<E, R>
}

/**
 * What a lookup found.
 *
 * @since 0.1.0
 * @category models
 */
export type Match<E, R> =
  | { readonly _tag: "Found"; readonly pattern: string; readonly values: ReadonlyMap<string, string>; readonly handler: Handler<E, R> }
  | { readonly _tag: "Redirect"; readonly location: string; readonly pattern: string }
  | { readonly _tag: "MethodNotAllowed"; readonly allow: ReadonlyArray<string> }
  | { readonly _tag: "NotFound" }
  | { readonly _tag: "Options" }
  | { readonly _tag: "BadRequest" }

/** `host` without its port (Go's `stripHostPort`). */
const stripPort = (host: string): string => {
  if (host.startsWith("[")) {
    const end = host.indexOf("]")
    return end < 0 ? host : host.slice(1, end)
  }
  const colon = host.indexOf(":")
  return colon < 0 ? host : host.slice(0, colon)
}

/** Wildcard values by name: a read-only map over two short arrays (cheaper to make than a `Map`). */
class PathValues implements ReadonlyMap<string, string> {
  constructor(private readonly names: ReadonlyArray<string>, private readonly vals: ReadonlyArray<string>) {}

  get size(): number {
    return this.names.length
  }

  get(name: string): string | undefined {
    const i = this.names.indexOf(name)
    return i < 0 ? undefined : this.vals[i]
  }

  has(name: string): boolean {
    return this.names.includes(name)
  }

  forEach(f: (value: string, key: string, map: ReadonlyMap<string, string>) => void, thisArg?: unknown): void {
    this.names.forEach((name, i) => f.call(thisArg, this.vals[i]!, name, this))
  }

  *entries(): MapIterator<[string, string]> {
    for (let i = 0; i < this.names.length; i++) yield [this.names[i]!, this.vals[i]!]
  }

  keys(): MapIterator<string> {
    return this.names.values()
  }

  values(): MapIterator<string> {
    return this.vals.values()
  }

  [Symbol.iterator](): MapIterator<[string, string]> {
    return this.entries()
  }
}

const NO_VALUES: ReadonlyMap<string, string> = new PathValues([], [])

/** Orders routes so that the first match is the most specific: host patterns first, then more specific before more general. */
const order = <E, R>(routes: ReadonlyArray<Route<E, R>>): Array<Route<E, R>> => {
  const groups = [routes.filter((r) => r.pattern.host !== ""), routes.filter((r) => r.pattern.host === "")]
  const out: Array<Route<E, R>> = []
  for (const group of groups) {
    // Kahn's algorithm over "a is more specific than b" (a partial order; registration
    // refused conflicts, so any two patterns that match one request are comparable).
    const remaining = new Set(group)
    while (remaining.size > 0) {
      for (const r of remaining) {
        let minimal = true
        for (const o of remaining) {
          if (o !== r && o.pattern.host === r.pattern.host && comparePathsAndMethods(o.pattern, r.pattern) === "moreSpecific") {
            minimal = false
            break
          }
        }
        if (minimal) {
          out.push(r)
          remaining.delete(r)
        }
      }
    }
  }
  return out
}

/**
 * A checked set of routes and the handler that dispatches to them.
 *
 * @since 0.1.0
 * @category models
 */
export class Mux<E = never, R = never> {
  private readonly tree = new RoutingTree<Route<E, R>>()

  private constructor(private readonly routes: ReadonlyArray<Route<E, R>>) {
    for (const route of routes) this.tree.insert(route.pattern, route)
  }

  /** Checks `entries` (pattern, handler) and builds the mux, or says which pattern is invalid or which two conflict. */
  static make<E = never, R = never>(entries: Iterable<readonly [string, Handler<E, R>]>): Either.Either<Mux<E, R>, MuxError> {
    const routes: Array<Route<E, R>> = []
    for (const [text, handler] of entries) {
      const parsed = parsePattern(text)
      if (Either.isLeft(parsed)) return Either.left(parsed.left)
      const pattern = parsed.right
      for (const other of routes) {
        if (conflictsWith(pattern, other.pattern)) {
          return Either.left(new PatternConflict({ pattern: text, other: other.pattern.str, examplePath: commonPath(pattern, other.pattern) }))
        }
      }
      routes.push({ pattern, names: wildcardNames(pattern), handler, found: { _tag: "Found", pattern: pattern.str, values: NO_VALUES, handler } })
    }
    return Either.right(new Mux(order(routes)))
  }

  /** The registered patterns, most specific first. */
  get patterns(): ReadonlyArray<string> {
    return this.routes.map((r) => r.pattern.str)
  }

  /**
   * The most specific pattern matching a clean escaped `path` for `method` on `host` (port
   * already stripped), and its wildcard values; no redirects (Go's `routingNode.match`).
   */
  match(method: string, host: string, path: string): { readonly pattern: string; readonly values: ReadonlyArray<string> } | undefined {
    const found = this.tree.match(host, method, path)
    return found === undefined ? undefined : { pattern: found.pattern.str, values: this.tree.values() }
  }

  /** Whether the route matched `path` without a non-empty trailing-slash match (Go's `exactMatch`). */
  private static exact(pattern: Pattern, path: string): boolean {
    const last = pattern.segments[pattern.segments.length - 1]!
    if (!last.multi) return true
    if (path.length > 0 && path[path.length - 1] !== "/") return false
    let slashes = 0
    for (let i = 0; i < path.length; i++) if (path.charCodeAt(i) === 0x2f) slashes++
    return pattern.segments.length === slashes
  }

  private allowed(host: string, path: string): Array<string> {
    const methods = new Set<string>()
    const paths = path.endsWith("/") ? [path] : [path, path + "/"]
    for (const route of this.routes) {
      const p = route.pattern
      if (p.method === "" || (p.host !== "" && p.host !== host)) continue
      if (paths.some((x) => matchPath(p, x) !== undefined)) {
        methods.add(p.method)
        if (p.method === "GET") methods.add("HEAD")
      }
    }
    return [...methods].sort()
  }

  /** What the mux does with a request (Go's `ServeMux.findHandler`), without running anything. */
  find(method: string, host: string, target: string): Match<E, R> {
    if (target === "*") return method === "OPTIONS" ? { _tag: "Options" } : { _tag: "BadRequest" }
    let escaped = target
    let query = ""
    if (target.charCodeAt(0) !== 0x2f) {
      // absolute-form: the path of the URL
      const scheme = target.indexOf("://")
      const slash = scheme < 0 ? -1 : target.indexOf("/", scheme + 3)
      escaped = slash < 0 ? "/" : target.slice(slash)
    }
    const q = escaped.indexOf("?")
    if (q >= 0) {
      query = escaped.slice(q)
      escaped = escaped.slice(0, q)
    }
    const h = stripPort(host)
    // Most requests of an API name a route of literals alone: one lookup by the whole path.
    if (method !== "CONNECT") {
      const whole = this.tree.matchWhole(h, method, escaped)
      if (whole !== undefined) return whole.found
    }
    const path = method === "CONNECT" || isCleanPath(escaped) ? escaped : cleanPath(escaped)
    const tree = this.tree
    const found = tree.match(h, method, path)
    // Copied now: the trailing-slash lookup below reuses the tree's scratch values.
    const vals = found === undefined || found.names.length === 0 ? undefined : tree.values()
    if (method !== "CONNECT") {
      // A subtree pattern reached without its trailing slash: redirect to it.
      if ((found === undefined || !Mux.exact(found.pattern, path)) && !path.endsWith("/")) {
        const withSlash = tree.match(h, method, path + "/")
        if (withSlash !== undefined && Mux.exact(withSlash.pattern, path + "/")) {
          return { _tag: "Redirect", location: path + "/" + query, pattern: withSlash.pattern.str }
        }
      }
      if (path !== escaped) return { _tag: "Redirect", location: path + query, pattern: found?.pattern.str ?? "" }
    }
    if (found === undefined) {
      const allow = this.allowed(h, path)
      return allow.length > 0 ? { _tag: "MethodNotAllowed", allow } : { _tag: "NotFound" }
    }
    return vals === undefined ? found.found : { _tag: "Found", pattern: found.pattern.str, values: new PathValues(found.names, vals), handler: found.handler }
  }

  /** The mux as a handler: dispatches to the most specific route, or answers itself. */
  readonly handler: Handler<E, R> = (request: ServerRequest) => {
    const m = this.find(request.method, request.host, request.target)
    switch (m._tag) {
      case "Found":
        return m.handler(request.withRoute(m.pattern, m.values))
      case "Redirect":
        return Effect.succeed(redirect(request, m.location, Status.TemporaryRedirect))
      case "MethodNotAllowed": {
        const response = error(Status.statusText(Status.MethodNotAllowed), Status.MethodNotAllowed)
        response.headers.set("Allow", m.allow.join(", "))
        return Effect.succeed(response)
      }
      case "NotFound":
        return Effect.succeed(notFound(request))
      case "Options":
        return Effect.succeed(ServerResponse.empty())
      case "BadRequest":
        return Effect.succeed(ServerResponse.empty({ status: Status.BadRequest, headers: { Connection: "close" } }))
    }
  }
}

/**
 * A plain builder for small programs: `handle` routes, then `build` checks them all.
 *
 * @since 0.1.0
 * @category models
 */
export class MuxBuilder<E = never, R = never> {
  private readonly entries: Array<readonly [string, Handler<E, R>]> = []

  /** Adds a route (Go's `Handle`). */
  handle<E2, R2>(pattern: string, handler: Handler<E2, R2>): MuxBuilder<E | E2, R | R2> {
    const self = this as unknown as MuxBuilder<E | E2, R | R2>
    self.entries.push([pattern, handler as Handler<E | E2, R | R2>])
    return self
  }

  /** The mux, or the first invalid pattern or conflict. */
  build(): Either.Either<Mux<E, R>, MuxError> {
    return Mux.make(this.entries)
  }
}

/**
 * Where route Layers put their routes while `ServeMux.layer` is built.
 *
 * @since 0.1.0
 * @category services
 */
export class ServeMuxRoutes extends Context.Tag("effect-nethttp/ServeMuxRoutes")<ServeMuxRoutes, {
  readonly add: (routes: ReadonlyArray<readonly [string, Handler<unknown, never>]>) => void
}>() {}

/**
 * The ServeMux service: a checked mux whose handlers have their requirements provided.
 *
 * @since 0.1.0
 * @category services
 */
export class ServeMux extends Context.Tag("effect-nethttp/ServeMux")<ServeMux, Mux<unknown, never>>() {
  /** A plain builder: `ServeMux.builder().handle("GET /", h).build()`. */
  static builder(): MuxBuilder {
    return new MuxBuilder()
  }

  /** The mux of these routes, or the first invalid pattern or conflict. */
  static make<E = never, R = never>(entries: Iterable<readonly [string, Handler<E, R>]>): Either.Either<Mux<E, R>, MuxError> {
    return Mux.make(entries)
  }

  /**
   * A Layer contributing routes to the `ServeMux.layer` it is given to. The handlers'
   * requirements `R` come from this Layer's context, captured when it is built.
   */
  static routes<E, R>(entries: ReadonlyArray<readonly [string, Handler<E, R>]>): Layer.Layer<never, never, ServeMuxRoutes | Exclude<R, Scope.Scope>> {
    return Layer.effectDiscard(Effect.gen(function*() {
      const registry = yield* ServeMuxRoutes
      const context = yield* Effect.context<Exclude<R, Scope.Scope>>()
      registry.add(entries.map(([pattern, handler]) =>
        [pattern, ((request: ServerRequest) => Effect.provide(handler(request), context)) as Handler<unknown, never>] as const
      ))
    }))
  }

  /** The ServeMux built from every route Layer given; fails with the first invalid pattern or conflict. */
  static layer<E, R>(...routeLayers: ReadonlyArray<Layer.Layer<never, E, ServeMuxRoutes | R>>): Layer.Layer<ServeMux, E | MuxError, Exclude<R, ServeMuxRoutes>> {
    return Layer.scoped(ServeMux, Effect.gen(function*() {
      const all: Array<readonly [string, Handler<unknown, never>]> = []
      const registry = Layer.succeed(ServeMuxRoutes, { add: (routes) => void all.push(...routes) })
      for (const routes of routeLayers) yield* Layer.build(Layer.provide(routes, registry))
      return yield* Mux.make(all)
    })) as Layer.Layer<ServeMux, E | MuxError, Exclude<R, ServeMuxRoutes>>
  }

  /** A Server serving the ServeMux from the context. */
  static serve(options: Omit<ServerOptions<unknown, never>, "handler">): Layer.Layer<Server, ListenError | InvalidConfig, ServeMux> {
    return Layer.unwrapEffect(Effect.map(ServeMux, (mux) => Server.layer({ ...options, handler: mux.handler })))
  }
}
