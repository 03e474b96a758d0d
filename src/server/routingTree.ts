/**
 * Go's `routingNode` tree (net/http routing_tree.go): patterns stored by host, then method,
 * then path segment, so a lookup walks the request path once instead of trying every pattern.
 *
 * The search order is Go's: a specific host before any host; the request's method, then GET
 * for HEAD, then any method; at each segment a literal child, then a single wildcard, then a
 * multi wildcard. Because conflicting patterns are refused at registration, the first leaf
 * found in this order is the most specific matching pattern (Go relies on the same argument;
 * test/property/mux.property.test.ts checks it against a brute-force oracle).
 *
 * @module
 */
import { pathUnescape, type Pattern } from "./pattern.js"

class PathNode<T> {
  /** The entry of a pattern that ends here (its last segment was a literal or a single wildcard). */
  value: T | undefined = undefined
  /** Whether `value` ends in a named multi wildcard (its value is recorded); only on multi leaves. */
  records = false
  literal: Map<string, PathNode<T>> | undefined = undefined
  wild: PathNode<T> | undefined = undefined
  multi: PathNode<T> | undefined = undefined
}

class MethodNode<T> {
  readonly byMethod = new Map<string, PathNode<T>>()
  readonly anyMethod = new PathNode<T>()

  path(method: string): PathNode<T> {
    if (method === "") return this.anyMethod
    let node = this.byMethod.get(method)
    if (node === undefined) this.byMethod.set(method, node = new PathNode<T>())
    return node
  }
}

/** What a lookup found: the entry and the wildcard values in pattern order (unescaped). */
export interface TreeMatch<T> {
  readonly value: T
  readonly values: ReadonlyArray<string>
}

// Go's pathUnescape: a malformed escape leaves the segment as it is.
const unescape = (s: string): string => pathUnescape(s) ?? s

const NO_VALUES: ReadonlyArray<string> = []

/** A routing tree from patterns to entries `T`. Insert every pattern, then look up. */
export class RoutingTree<T> {
  private readonly byHost = new Map<string, MethodNode<T>>()
  private readonly anyHost = new MethodNode<T>()
  // Scratch space for wildcard values during a lookup (copied out on a match).
  private readonly scratch: Array<string> = []

  /** Adds `pattern` with `value`; the caller has refused conflicts (two equivalent patterns keep the first). */
  insert(pattern: Pattern, value: T): void {
    let hostNode = this.anyHost
    if (pattern.host !== "") {
      let h = this.byHost.get(pattern.host)
      if (h === undefined) this.byHost.set(pattern.host, h = new MethodNode<T>())
      hostNode = h
    }
    let node = hostNode.path(pattern.method)
    for (const seg of pattern.segments) {
      if (seg.multi) {
        node.multi ??= new PathNode<T>()
        node = node.multi
        node.records = seg.s !== ""
        break
      }
      if (seg.wild) {
        node = node.wild ??= new PathNode<T>()
      } else {
        node.literal ??= new Map()
        let child = node.literal.get(seg.s)
        if (child === undefined) node.literal.set(seg.s, child = new PathNode<T>())
        node = child
      }
    }
    node.value ??= value
  }

  /** The most specific entry for `method` on `host` (no port) and the clean escaped `path`. */
  match(host: string, method: string, path: string): TreeMatch<T> | undefined {
    if (host !== "") {
      const h = this.byHost.get(host)
      if (h !== undefined) {
        const found = this.matchMethod(h, method, path)
        if (found !== undefined) return found
      }
    }
    return this.matchMethod(this.anyHost, method, path)
  }

  private matchMethod(node: MethodNode<T>, method: string, path: string): TreeMatch<T> | undefined {
    const exact = node.byMethod.get(method)
    if (exact !== undefined) {
      const found = this.matchPath(exact, path)
      if (found !== undefined) return found
    }
    if (method === "HEAD") {
      const get = node.byMethod.get("GET")
      if (get !== undefined) {
        const found = this.matchPath(get, path)
        if (found !== undefined) return found
      }
    }
    return this.matchPath(node.anyMethod, path)
  }

  private matchPath(node: PathNode<T>, path: string): TreeMatch<T> | undefined {
    const scratch = this.scratch
    scratch.length = 0
    const leaf = this.walk(node, path, 0)
    if (leaf === undefined) return undefined
    return { value: leaf.value!, values: scratch.length === 0 ? NO_VALUES : scratch.slice() }
  }

  private walk(node: PathNode<T>, path: string, i: number): PathNode<T> | undefined {
    if (i >= path.length) return node.value !== undefined ? node : undefined
    // Go's firstSegment: "/" alone is the segment "/" (a trailing slash), else up to the next slash.
    let seg: string
    let next: number
    if (i === path.length - 1) {
      seg = "/"
      next = path.length
    } else {
      const j = path.indexOf("/", i + 1)
      next = j < 0 ? path.length : j
      seg = unescape(path.slice(i + 1, next))
    }
    if (node.literal !== undefined) {
      const child = node.literal.get(seg)
      if (child !== undefined) {
        const found = this.walk(child, path, next)
        if (found !== undefined) return found
      }
    }
    if (node.wild !== undefined && seg !== "/") {
      const scratch = this.scratch
      const mark = scratch.length
      scratch.push(seg)
      const found = this.walk(node.wild, path, next)
      if (found !== undefined) return found
      scratch.length = mark
    }
    const multi = node.multi
    if (multi !== undefined && multi.value !== undefined) {
      if (multi.records) this.scratch.push(unescape(path.slice(i + 1)))
      return multi
    }
    return undefined
  }
}
