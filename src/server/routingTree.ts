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
import { isCleanPath } from "./cleanPath.js"
import { pathUnescape, type Pattern } from "./pattern.js"

// Literal children are kept by segment length (lengths from LONG up share the last list).
const LONG = 64

/** Whether `s[start, start + key.length)` is `key`, compared code unit by code unit (inlined; no substring). */
const sameAt = (s: string, start: number, key: string): boolean => {
  for (let k = 0; k < key.length; k++) if (s.charCodeAt(start + k) !== key.charCodeAt(k)) return false
  return true
}

class PathNode<T> {
  /** The entry of a pattern that ends here (its last segment was a literal or a single wildcard). */
  value: T | undefined = undefined
  /** Whether `value` ends in a named multi wildcard (its value is recorded); only on multi leaves. */
  records = false
  /**
   * Literal children by segment length (`keys[n]` and `children[n]` side by side): a request's
   * segment is compared in place with the few of its length, as find-my-way compares code
   * units, never sliced or hashed.
   */
  keys: Array<Array<string> | undefined> | undefined = undefined
  children: Array<Array<PathNode<T>> | undefined> | undefined = undefined
  wild: PathNode<T> | undefined = undefined
  multi: PathNode<T> | undefined = undefined
  /**
   * On a method's root only: the entries of patterns made of literals alone, by their whole
   * path (see `matchWhole`). Literal children are tried first at every step, so when such a
   * pattern matches a path it is what the walk would find first.
   */
  whole: Map<string, T> | undefined = undefined

  /** The literal child for `segment` (made when absent). */
  literalChild(segment: string): PathNode<T> {
    const keys = this.keys ??= []
    const children = this.children ??= []
    const at = Math.min(segment.length, LONG)
    while (keys.length <= at) {
      keys.push(undefined)
      children.push(undefined)
    }
    const list = keys[at] ??= []
    const nodes = children[at] ??= []
    const k = list.indexOf(segment)
    if (k >= 0) return nodes[k]!
    const child = new PathNode<T>()
    list.push(segment)
    nodes.push(child)
    return child
  }

  /** The literal child whose segment is `s.slice(start, end)`. */
  findLiteral(s: string, start: number, end: number): PathNode<T> | undefined {
    const len = end - start
    const at = len < LONG ? len : LONG
    const list = this.keys![at]
    if (list === undefined) return undefined
    for (let k = 0; k < list.length; k++) {
      const key = list[k]!
      if (key.length === len && sameAt(s, start, key)) return this.children![at]![k]
    }
    return undefined
  }
}

class MethodNode<T> {
  // A handful of methods: a scan with === beats a Map lookup.
  readonly methods: Array<string> = []
  readonly nodes: Array<PathNode<T>> = []
  readonly anyMethod = new PathNode<T>()

  get(method: string): PathNode<T> | undefined {
    const methods = this.methods
    for (let k = 0; k < methods.length; k++) if (methods[k] === method) return this.nodes[k]
    return undefined
  }

  path(method: string): PathNode<T> {
    if (method === "") return this.anyMethod
    let node = this.get(method)
    if (node === undefined) {
      this.methods.push(method)
      this.nodes.push(node = new PathNode<T>())
    }
    return node
  }
}

// Go's pathUnescape: a malformed escape leaves the segment as it is.
const unescape = (s: string): string => pathUnescape(s) ?? s

/**
 * The one path a pattern of literals alone matches, or undefined when it has a wildcard, a
 * literal holding "/" or "%" (from "%2F" or "%25": the request shows them escaped), or is not
 * clean (no request reaches the tree with an unclean path).
 */
const wholePath = (pattern: Pattern): string | undefined => {
  let path = ""
  const segments = pattern.segments
  for (let k = 0; k < segments.length; k++) {
    const seg = segments[k]!
    if (seg.wild) return undefined
    if (seg.s === "/" && k === segments.length - 1) {
      path += "/" // {$}: a trailing slash
      break
    }
    if (seg.s.includes("/") || seg.s.includes("%")) return undefined
    path += "/" + seg.s
  }
  if (path === "") path = "/"
  // A request path equal to a key is then clean and free of escapes: what the walk would see.
  return isCleanPath(path) ? path : undefined
}

/** A routing tree from patterns to entries `T`. Insert every pattern, then look up. */
export class RoutingTree<T> {
  private readonly byHost = new Map<string, MethodNode<T>>()
  private readonly anyHost = new MethodNode<T>()
  // Wildcard values during a lookup: the first `count` entries of `scratch` (never shrunk, so
  // a lookup allocates nothing for them).
  private readonly scratch: Array<string> = []
  private count = 0

  /** Adds `pattern` with `value`; the caller has refused conflicts (two equivalent patterns keep the first). */
  insert(pattern: Pattern, value: T): void {
    let hostNode = this.anyHost
    if (pattern.host !== "") {
      let h = this.byHost.get(pattern.host)
      if (h === undefined) this.byHost.set(pattern.host, h = new MethodNode<T>())
      hostNode = h
    }
    const root = hostNode.path(pattern.method)
    let node = root
    for (const seg of pattern.segments) {
      if (seg.multi) {
        node.multi ??= new PathNode<T>()
        node = node.multi
        node.records = seg.s !== ""
        break
      }
      node = seg.wild ? (node.wild ??= new PathNode<T>()) : node.literalChild(seg.s)
    }
    node.value ??= value
    const whole = wholePath(pattern)
    if (whole !== undefined) {
      root.whole ??= new Map()
      if (!root.whole.has(whole)) root.whole.set(whole, value)
    }
  }

  /**
   * The most specific entry for `method` on `host` (no port) and the clean escaped `path`.
   * Its wildcard values, in pattern order and unescaped, are `values()` until the next lookup.
   */
  match(host: string, method: string, path: string): T | undefined {
    const escaped = path.indexOf("%") >= 0
    if (host !== "") {
      const h = this.byHost.get(host)
      if (h !== undefined) {
        const found = this.matchMethod(h, method, path, escaped)
        if (found !== undefined) return found
      }
    }
    return this.matchMethod(this.anyHost, method, path, escaped)
  }

  /**
   * The entry of a literal-only pattern for exactly this path (clean, escaped, no query) and
   * method, when it is certainly what `match` would find: no pattern names `host`. Undefined
   * says nothing: ask `match`.
   */
  matchWhole(host: string, method: string, path: string): T | undefined {
    if (host !== "" && this.byHost.size > 0 && this.byHost.has(host)) return undefined
    return this.anyHost.get(method)?.whole?.get(path)
  }

  /** The wildcard values of the last successful `match`, in a new array. */
  values(): Array<string> {
    return this.scratch.slice(0, this.count)
  }

  private matchMethod(node: MethodNode<T>, method: string, path: string, escaped: boolean): T | undefined {
    const exact = node.get(method)
    if (exact !== undefined) {
      const found = this.matchPath(exact, path, escaped)
      if (found !== undefined) return found
    }
    if (method === "HEAD") {
      const get = node.get("GET")
      if (get !== undefined) {
        const found = this.matchPath(get, path, escaped)
        if (found !== undefined) return found
      }
    }
    return this.matchPath(node.anyMethod, path, escaped)
  }

  private matchPath(node: PathNode<T>, path: string, escaped: boolean): T | undefined {
    this.count = 0
    return this.walk(node, path, 0, escaped)?.value
  }

  private push(value: string): void {
    this.scratch[this.count++] = value
  }

  private walk(node: PathNode<T>, path: string, i: number, escaped: boolean): PathNode<T> | undefined {
    if (i >= path.length) return node.value !== undefined ? node : undefined
    // Go's firstSegment: "/" alone is the segment "/" (a trailing slash), else up to the next
    // slash, unescaped. Without escapes the segment is path[i + 1, next), never sliced to match.
    let seg: string | undefined = undefined
    let next: number
    if (i === path.length - 1) {
      seg = "/"
      next = path.length
    } else {
      const j = path.indexOf("/", i + 1)
      next = j < 0 ? path.length : j
      if (escaped) seg = unescape(path.slice(i + 1, next))
    }
    if (node.keys !== undefined) {
      const child = seg === undefined ? node.findLiteral(path, i + 1, next) : node.findLiteral(seg, 0, seg.length)
      if (child !== undefined) {
        const found = this.walk(child, path, next, escaped)
        if (found !== undefined) return found
      }
    }
    if (node.wild !== undefined && seg !== "/") {
      const mark = this.count
      this.push(seg ?? path.slice(i + 1, next))
      const found = this.walk(node.wild, path, next, escaped)
      if (found !== undefined) return found
      this.count = mark
    }
    const multi = node.multi
    if (multi !== undefined && multi.value !== undefined) {
      if (multi.records) this.push(escaped ? unescape(path.slice(i + 1)) : path.slice(i + 1))
      return multi
    }
    return undefined
  }
}
