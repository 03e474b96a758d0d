/**
 * Trusted proxy headers (gorilla/handlers' `ProxyHeaders`, with a list of trusted proxies):
 * `Forwarded` (RFC 7239) or, failing it, `X-Forwarded-For` / `X-Forwarded-Proto` /
 * `X-Forwarded-Host`, believed only when the direct peer is a listed proxy. Never trusted by
 * default: without this middleware a request's `remoteAddress` is always the socket's peer.
 *
 * ```ts
 * const proxies = yield* Handlers.trustedProxies(["10.0.0.0/8", "127.0.0.1", "::1"])
 * const handler = Handlers.forwarded(app, proxies)
 * ```
 *
 * The parser is strict (RFC 7239 §4 grammar, §6 node syntax): a header a trusted proxy sent that
 * does not parse is answered 400, never read in part or ignored. Optional whitespace around
 * `,` (the list rule) and `;` is accepted; none around `=`.
 *
 * @module
 * @since 0.2.0
 */
import { Data, Effect, Either } from "effect"
import { InvalidConfig } from "../domain/configErrors.js"
import { parseIPv4, parseIPv6, TrustedPeers } from "../net/proxyProtocol.js"
import type { Headers } from "../domain/Headers.js"
import * as Status from "../domain/Status.js"
import type { Handler } from "./Handler.js"
import type { ForwardedFacts, ServerRequest } from "./ServerRequest.js"
import { ServerResponse } from "./ServerResponse.js"
import * as Body from "../domain/Body.js"
import { Headers as HeadersClass } from "../domain/Headers.js"

// ---------------------------------------------------------------------------------------------
// IP addresses and CIDR blocks: the listener's PROXY-protocol peers are judged the same way
// (`TrustedPeers`, net/proxyProtocol.ts).

/**
 * A checked list of trusted proxies (IP addresses and CIDR blocks, IPv4 and IPv6): make it with
 * `trustedProxies`.
 *
 * @since 0.2.0
 * @category models
 */
export class TrustedProxies {
  private constructor(
    /** The entries as given. */
    readonly entries: ReadonlyArray<string>,
    private readonly peers: TrustedPeers
  ) {}

  /**
   * Checks every entry: an address (`"127.0.0.1"`, `"::1"`) or a CIDR block (`"10.0.0.0/8"`,
   * `"fd00::/8"`); the first that is neither fails with `InvalidConfig` (field
   * `trusted[i]`). An IPv4-mapped IPv6 address from a socket (`::ffff:10.1.2.3`) matches
   * IPv4 entries.
   */
  static make(entries: ReadonlyArray<string>): Either.Either<TrustedProxies, InvalidConfig> {
    const trimmed = (entries as ReadonlyArray<unknown>).map((e) => (typeof e === "string" ? e.trim() : e)) as ReadonlyArray<string>
    return Either.match(TrustedPeers.parse(trimmed), {
      onLeft: (bad) => Either.left(new InvalidConfig({ component: "Server", field: `trusted[${trimmed.indexOf(bad.entry as string)}]`, value: bad.entry, reason: bad.reason })),
      onRight: (peers) => Either.right(new TrustedProxies([...entries], peers))
    })
  }

  /** Whether `address` (as a socket or a proxy reports it; an IPv6 `%zone` is dropped) is one of the trusted proxies. */
  contains(address: string | undefined): boolean {
    if (address === undefined) return false
    const zone = address.indexOf("%")
    return this.peers.includes(zone < 0 ? address : address.slice(0, zone))
  }
}

/**
 * The trusted proxies for `forwarded`: addresses and CIDR blocks, IPv4 and IPv6. An `Either`
 * (so an `Effect.gen` can `yield*` it) failing with `InvalidConfig` for the first entry that is
 * neither. An empty list trusts nobody.
 *
 * @since 0.2.0
 * @category constructors
 */
export const trustedProxies = (entries: ReadonlyArray<string>): Either.Either<TrustedProxies, InvalidConfig> => TrustedProxies.make(entries)

// ---------------------------------------------------------------------------------------------
// RFC 7239

/**
 * A node of a `Forwarded` element (RFC 7239 §6): an IP address (IPv6 without its brackets),
 * `unknown` (§6.2), or an obfuscated identifier (§6.3, starting with `_`), and a port: a number,
 * an obfuscated port, or none.
 *
 * @since 0.2.0
 * @category models
 */
export interface ForwardedNode {
  readonly kind: "ip" | "unknown" | "obfuscated"
  /** The address, `"unknown"`, or the identifier (`"_hidden"`). */
  readonly name: string
  /** The port when it is a number. */
  readonly port: number | undefined
  /** The port when it is obfuscated (`"_p1"`). */
  readonly obfuscatedPort: string | undefined
}

/**
 * One element of a `Forwarded` field (RFC 7239 §4): what one proxy recorded. Parameters other
 * than these four (extensions, §5.5) are checked for syntax and left out.
 *
 * @since 0.2.0
 * @category models
 */
export interface ForwardedElement {
  /** §5.2: who made the request to this proxy. */
  readonly for: ForwardedNode | undefined
  /** §5.1: the proxy's interface the request came in on. */
  readonly by: ForwardedNode | undefined
  /** §5.3: the Host the proxy received. */
  readonly host: string | undefined
  /** §5.4: the scheme the proxy received the request with, lower-cased. */
  readonly proto: string | undefined
}

/**
 * A proxy header that does not parse (answered 400 by `forwarded`).
 *
 * @since 0.2.0
 * @category errors
 */
export class InvalidForwarded extends Data.TaggedError("InvalidForwarded")<{
  /** The field: `Forwarded`, `X-Forwarded-For`, `X-Forwarded-Proto` or `X-Forwarded-Host`. */
  readonly field: string
  /** The field's value (all its lines joined with ", "). */
  readonly value: string
  /** What is wrong. */
  readonly reason: string
}> {
  override get message(): string {
    return `malformed ${this.field} header field: ${this.reason}`
  }
}

// RFC 9110 §5.6.2 tchar.
const TCHAR = new Uint8Array(128)
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TCHAR[c.charCodeAt(0)] = 1
const isTchar = (c: number): boolean => c < 128 && TCHAR[c] === 1
const isOws = (c: number): boolean => c === 0x20 || c === 0x09

const OBF = /^_[A-Za-z0-9._-]+$/
const PORT = /^[0-9]{1,5}$/
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*$/
// RFC 3986 reg-name: unreserved / pct-encoded / sub-delims.
const REG_NAME = /^(?:[A-Za-z0-9._~!$&'()*+,;=-]|%[0-9A-Fa-f]{2})*$/

/** RFC 7239 §6: `node = nodename [ ":" node-port ]`, or why it is not one. */
const parseNode = (value: string): ForwardedNode | string => {
  let name: string
  let rest: string
  let kind: ForwardedNode["kind"]
  if (value.startsWith("[")) {
    const close = value.indexOf("]")
    if (close < 0) return "an IPv6 address without its closing ]"
    name = value.slice(1, close)
    if (parseIPv6(name) === undefined) return `${JSON.stringify(name)} is not an IPv6 address`
    kind = "ip"
    rest = value.slice(close + 1)
  } else {
    const colon = value.indexOf(":")
    name = colon < 0 ? value : value.slice(0, colon)
    rest = colon < 0 ? "" : value.slice(colon)
    if (parseIPv4(name) !== undefined) kind = "ip"
    else if (name.toLowerCase() === "unknown") {
      kind = "unknown"
      name = "unknown"
    } else if (OBF.test(name)) kind = "obfuscated"
    else if (parseIPv6(value) !== undefined) return `an IPv6 address must be in brackets (RFC 7239 §6): "[${value}]"`
    else return `${JSON.stringify(name)} is not an IPv4 address, a bracketed IPv6 address, "unknown" or an obfuscated identifier`
  }
  if (rest === "") return { kind, name, port: undefined, obfuscatedPort: undefined }
  if (!rest.startsWith(":")) return `unexpected ${JSON.stringify(rest)} after the address`
  const port = rest.slice(1)
  if (PORT.test(port) && Number(port) <= 65535) return { kind, name, port: Number(port), obfuscatedPort: undefined }
  if (OBF.test(port)) return { kind, name, port: undefined, obfuscatedPort: port }
  return `${JSON.stringify(port)} is not a port (0 to 65535) nor an obfuscated port`
}

/** RFC 7230 §5.4 `Host = uri-host [ ":" port ]`: whether `value` is one. */
const validHost = (value: string): boolean => {
  let rest: string
  if (value.startsWith("[")) {
    const close = value.indexOf("]")
    if (close < 0 || parseIPv6(value.slice(1, close)) === undefined) return false
    rest = value.slice(close + 1)
  } else {
    const colon = value.indexOf(":")
    const host = colon < 0 ? value : value.slice(0, colon)
    if (host === "" || !REG_NAME.test(host)) return false
    rest = colon < 0 ? "" : value.slice(colon)
  }
  return rest === "" || /^:[0-9]*$/.test(rest)
}

/**
 * Parses a `Forwarded` field value (RFC 7239 §4; several lines joined with ", "): the
 * elements in order, the client's side first, the nearest proxy's last. Fails with the first
 * thing that does not follow the grammar: a pair without `=`, a bad token or quoted-string, a
 * parameter twice in one element (§4), a `for`/`by` that is not a node (§6), a `host` that is
 * not a Host (§5.3), a `proto` that is not a URI scheme (§5.4).
 *
 * @since 0.2.0
 * @category parsing
 */
export const parseForwarded = (value: string): Either.Either<ReadonlyArray<ForwardedElement>, InvalidForwarded> => {
  const fail = (reason: string) => Either.left(new InvalidForwarded({ field: "Forwarded", value, reason }))
  const elements: Array<ForwardedElement> = []
  const n = value.length
  let i = 0
  const skipOws = () => {
    while (i < n && isOws(value.charCodeAt(i))) i++
  }
  skipOws()
  while (i <= n) {
    // One element: [pair] *( ";" [pair] ).
    const seen = new Map<string, string>()
    for (;;) {
      skipOws()
      if (i < n && value[i] !== "," && value[i] !== ";") {
        const start = i
        while (i < n && isTchar(value.charCodeAt(i))) i++
        if (i === start) return fail(`unexpected ${JSON.stringify(value[i])} at offset ${i}`)
        const name = value.slice(start, i).toLowerCase()
        if (value[i] !== "=") return fail(`parameter ${JSON.stringify(value.slice(start, i))} has no "=" value`)
        i++
        let parsed: string
        if (value[i] === "\"") {
          // quoted-string (RFC 9110 §5.6.4): qdtext and quoted-pairs.
          i++
          parsed = ""
          for (;;) {
            if (i >= n) return fail("a quoted-string without its closing quote")
            const c = value.charCodeAt(i)
            if (c === 0x22) {
              i++
              break
            }
            if (c === 0x5c) {
              const next = value.charCodeAt(i + 1)
              if (!(i + 1 < n && (next === 0x09 || (next >= 0x20 && next !== 0x7f)))) return fail("a bad quoted-pair in a quoted-string")
              parsed += value[i + 1]
              i += 2
              continue
            }
            if (!(c === 0x09 || (c >= 0x20 && c !== 0x7f))) return fail("a control character in a quoted-string")
            parsed += value[i]
            i++
          }
        } else {
          const vs = i
          while (i < n && isTchar(value.charCodeAt(i))) i++
          if (value[i] === ":" || value[i] === "[" || value[i] === "]") {
            return fail(`parameter ${name}: a value with ":", "[" or "]" (an IPv6 address in brackets, a port) must be a quoted-string (RFC 7239 §6)`)
          }
          if (i === vs) return fail(`parameter ${name} has an empty value`)
          parsed = value.slice(vs, i)
        }
        if (seen.has(name)) return fail(`parameter ${name} occurs twice in one element (RFC 7239 §4)`)
        seen.set(name, parsed)
        skipOws()
      }
      if (i >= n || value[i] === ",") break
      if (value[i] !== ";") return fail(`unexpected ${JSON.stringify(value[i])} at offset ${i}`)
      i++
    }
    if (seen.size > 0) {
      const element = toElement(seen)
      if (typeof element === "string") return fail(element)
      elements.push(element)
    }
    if (i >= n) break
    i++ // ","
  }
  return Either.right(elements)
}

const toElement = (pairs: ReadonlyMap<string, string>): ForwardedElement | string => {
  const forValue = pairs.get("for")
  const byValue = pairs.get("by")
  const host = pairs.get("host")
  const proto = pairs.get("proto")
  const forNode = forValue === undefined ? undefined : parseNode(forValue)
  if (typeof forNode === "string") return `for=${JSON.stringify(forValue)}: ${forNode}`
  const byNode = byValue === undefined ? undefined : parseNode(byValue)
  if (typeof byNode === "string") return `by=${JSON.stringify(byValue)}: ${byNode}`
  if (host !== undefined && !validHost(host)) return `host=${JSON.stringify(host)} is not a Host (RFC 7239 §5.3)`
  if (proto !== undefined && !SCHEME.test(proto)) return `proto=${JSON.stringify(proto)} is not a URI scheme (RFC 7239 §5.4)`
  return { for: forNode, by: byNode, host, proto: proto?.toLowerCase() }
}

/** One `X-Forwarded-For` entry: an address, with a port when given (`[::1]:80`, `10.0.0.1:80`), or `unknown`. */
const parseXffEntry = (entry: string): ForwardedNode | string => {
  if (parseIPv6(entry) !== undefined) return { kind: "ip", name: entry, port: undefined, obfuscatedPort: undefined }
  const node = parseNode(entry)
  if (typeof node === "string") return node
  return node.kind === "obfuscated" ? `${JSON.stringify(entry)} is not an address` : node
}

/**
 * Parses `X-Forwarded-For` (all its lines joined with ","): the addresses in order, the
 * client's first. An entry that is not an IP address (with an optional port, IPv6 in brackets
 * then) or `unknown` fails; empty entries are skipped.
 *
 * @since 0.2.0
 * @category parsing
 */
export const parseXForwardedFor = (value: string): Either.Either<ReadonlyArray<ForwardedNode>, InvalidForwarded> => {
  const nodes: Array<ForwardedNode> = []
  for (const raw of value.split(",")) {
    const entry = raw.trim()
    if (entry === "") continue
    const node = parseXffEntry(entry)
    if (typeof node === "string") return Either.left(new InvalidForwarded({ field: "X-Forwarded-For", value, reason: node }))
    nodes.push(node)
  }
  return Either.right(nodes)
}

/** A scheme a proxy reported as ours: http and ws are "http", https and wss "https"; others change nothing. */
const schemeOf = (proto: string | undefined): "http" | "https" | undefined =>
  proto === "http" || proto === "ws" ? "http" : proto === "https" || proto === "wss" ? "https" : undefined

/**
 * Walks `fors` (the client's side first) from the nearest proxy back, skipping trusted
 * proxies: the index of the first node that is not one (the client), or 0 when all are.
 */
const clientIndex = (fors: ReadonlyArray<ForwardedNode | undefined>, trusted: TrustedProxies): number => {
  for (let i = fors.length - 1; i > 0; i--) {
    const node = fors[i]
    if (node === undefined || node.kind !== "ip" || !trusted.contains(node.name)) return i
  }
  return 0
}

const nodeFacts = (node: ForwardedNode | undefined): Pick<ForwardedFacts, "remoteAddress" | "remotePort"> =>
  node === undefined ? {} : { remoteAddress: node.name, remotePort: node.port }

/** The last entry of a comma-separated field, trimmed, or undefined. */
const lastEntry = (headers: Headers, name: string): string | undefined => {
  const values = headers.values(name)
  if (values.length === 0) return undefined
  const entries = values.join(",").split(",").map((s) => s.trim()).filter((s) => s !== "")
  return entries[entries.length - 1]
}

/**
 * What the proxy headers of `headers` say about the client, from a trusted peer: `Forwarded`
 * when present (the element of the first untrusted `for`, walking from the nearest proxy, with
 * that element's `proto` and `host`), else `X-Forwarded-For` (the first untrusted address from
 * the right), `X-Forwarded-Proto` and `X-Forwarded-Host` (their last entries, the ones our peer
 * vouches for). Nothing when there are no such fields.
 *
 * @since 0.2.0
 * @category parsing
 */
export const forwardedFacts = (headers: Headers, trusted: TrustedProxies): Either.Either<ForwardedFacts, InvalidForwarded> => {
  const fwd = headers.values("Forwarded")
  if (fwd.length > 0) {
    return Either.map(parseForwarded(fwd.join(", ")), (elements): ForwardedFacts => {
      if (elements.length === 0) return {}
      const chosen = elements[clientIndex(elements.map((e) => e.for), trusted)]!
      const scheme = schemeOf(chosen.proto)
      return {
        ...nodeFacts(chosen.for),
        ...(scheme === undefined ? {} : { scheme }),
        ...(chosen.host === undefined ? {} : { host: chosen.host })
      }
    })
  }
  const facts: { -readonly [K in keyof ForwardedFacts]: ForwardedFacts[K] } = {}
  const xff = headers.values("X-Forwarded-For")
  if (xff.length > 0) {
    const nodes = parseXForwardedFor(xff.join(","))
    if (Either.isLeft(nodes)) return Either.left(nodes.left)
    if (nodes.right.length > 0) Object.assign(facts, nodeFacts(nodes.right[clientIndex(nodes.right, trusted)]))
  }
  const proto = lastEntry(headers, "X-Forwarded-Proto")
  if (proto !== undefined) {
    if (!SCHEME.test(proto)) return Either.left(new InvalidForwarded({ field: "X-Forwarded-Proto", value: proto, reason: "not a URI scheme" }))
    const scheme = schemeOf(proto.toLowerCase())
    if (scheme !== undefined) facts.scheme = scheme
  }
  const host = lastEntry(headers, "X-Forwarded-Host")
  if (host !== undefined) {
    if (!validHost(host)) return Either.left(new InvalidForwarded({ field: "X-Forwarded-Host", value: host, reason: "not a Host (uri-host [\":\" port])" }))
    facts.host = host
  }
  return Either.right(facts)
}

/** The 400 for a proxy header a trusted proxy sent that does not parse. */
const badForwarded = (e: InvalidForwarded): ServerResponse =>
  new ServerResponse(
    Status.BadRequest,
    HeadersClass.unsafeFromArrays(["Content-Type", "X-Content-Type-Options"], ["text/plain; charset=utf-8", "nosniff"]),
    Body.text(`400 Bad Request: ${e.message}\n`),
    undefined,
    undefined
  )

/**
 * Trusted proxy headers (gorilla/handlers' `ProxyHeaders`, restricted to `trusted` peers):
 * when the request's direct peer (`remoteAddress`) is one of `trusted`, `handler` gets the
 * request as the client made it (`ServerRequest.withForwarded`): `remoteAddress` (and
 * `remotePort` when the proxy gave one, else undefined), `scheme` (and `url`'s protocol) and
 * `host` from `Forwarded` (RFC 7239), or from `X-Forwarded-For`, `X-Forwarded-Proto` and
 * `X-Forwarded-Host` when there is no `Forwarded` field. The chain is walked from the nearest
 * proxy back, skipping trusted proxies: the first address that is not one is the client (the
 * leftmost when all are). An `unknown` or obfuscated `for` (RFC 7239 §6.2, §6.3) becomes the
 * `remoteAddress` as written; a `for` left out keeps the peer's address.
 *
 * From any other peer the fields are ignored and the request is handed on unchanged. A field
 * from a trusted peer that does not parse is answered `400 Bad Request` naming the fault (the
 * client's or its proxy's fault: a 4xx, never read in part). The header fields themselves are
 * left as received.
 *
 * @since 0.2.0
 * @category combinators
 */
export const forwarded = <E, R>(handler: Handler<E, R>, trusted: TrustedProxies): Handler<E, R> => (request: ServerRequest) => {
  if (!trusted.contains(request.remoteAddress)) return handler(request)
  const facts = forwardedFacts(request.headers, trusted)
  if (Either.isLeft(facts)) return Effect.succeed(badForwarded(facts.left))
  return handler(request.withForwarded(facts.right))
}
