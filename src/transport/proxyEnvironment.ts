/**
 * Which proxy a request goes through, from the environment: Go's `http.ProxyFromEnvironment`
 * (`golang.org/x/net/http/httpproxy`: `FromEnvironment`, `Config.ProxyFunc`, `useProxy`,
 * `parseProxy` and the NO_PROXY matchers), plus curl's `ALL_PROXY` as a fallback.
 *
 * - An https request uses HTTPS_PROXY, an http request HTTP_PROXY; when that one is unset,
 *   ALL_PROXY (curl's rule; Go has no ALL_PROXY). Other schemes are never proxied.
 * - A value without a scheme is taken as `http://value`. Allowed schemes: http, https, socks5,
 *   socks5h; anything else, or a value that does not parse, is an `InvalidProxy` for the
 *   requests it would apply to (Go keeps unknown schemes and silently drops unparseable values).
 * - Requests to "localhost" and to loopback IP literals (127.0.0.0/8, ::1, ::ffff:127.x.x.x) are
 *   never proxied, as Go. Names ending in ".localhost" are (as Go).
 * - NO_PROXY is a comma-separated list, each entry trimmed and lower-cased: "*" (no proxy at
 *   all), an IP (`1.2.3.4`, `2001:db8::1`), a CIDR (`10.0.0.0/8`, `2001:db8::/32`), a domain
 *   (`foo.com` matches foo.com and its subdomains, `.foo.com` and `*.foo.com` only subdomains),
 *   each but the CIDR optionally with a port (`1.2.3.4:80`, `[2001:db8::1]:443`, `foo.com:8080`),
 *   which then matches only requests to that port (the URL's, or 80/443 by scheme).
 *   Malformed entries are ignored, as Go.
 * - In a CGI process (REQUEST_METHOD set), an http request fails when HTTP_PROXY is set, as Go
 *   (httpoxy: a client's `Proxy:` header becomes HTTP_PROXY); HTTPS_PROXY and ALL_PROXY still apply.
 *
 * @module
 */
import { Data } from "effect"
import { domainToASCII } from "node:url"

/**
 * What a proxy function answers for one request: a proxy URL, none (undefined), or an invalid setting.
 *
 * @since 0.1.0
 * @category models
 */
export type ProxyChoice = URL | undefined | InvalidProxy

/**
 * Go's `Transport.Proxy`: picks the proxy for a request URL. A URL it returns is shared by every
 * request it answers: treat it as read-only.
 *
 * @since 0.1.0
 * @category models
 */
export type ProxyFunc = (url: URL) => ProxyChoice

/**
 * A proxy variable that cannot be used for a request: its value does not parse, names a scheme
 * other than http, https, socks5 or socks5h, or (CGI) HTTP_PROXY must not be trusted.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidProxy extends Data.TaggedError("InvalidProxy")<{
  /** The variable, named in upper case whichever case was set: HTTP_PROXY, HTTPS_PROXY or ALL_PROXY. */
  readonly variable: string
  /** Its value, a password in it replaced by "xxxxx". */
  readonly value: string
  /** What is wrong with it. */
  readonly detail: string
}> {
  override get message(): string {
    return `${this.detail} (${this.variable}=${JSON.stringify(this.value)})`
  }
}

/**
 * The proxy settings, as Go's `httpproxy.Config` (plus `allProxy`). Empty strings count as unset.
 */
export interface ProxyEnvironmentConfig {
  /** HTTP_PROXY: the proxy for http requests. */
  readonly httpProxy?: string
  /** HTTPS_PROXY: the proxy for https requests. */
  readonly httpsProxy?: string
  /** ALL_PROXY (curl's): the proxy for http and https requests when the specific one is unset. */
  readonly allProxy?: string
  /** NO_PROXY: the hosts never proxied (see the module's documentation). */
  readonly noProxy?: string
  /** Whether this process is a CGI handler: then http requests refuse HTTP_PROXY (Go's `CGI`). */
  readonly cgi?: boolean
}

// Go's getEnvAny: the first non-empty value.
const getEnvAny = (env: Readonly<Record<string, string | undefined>>, upper: string, lower: string): string | undefined => {
  const u = env[upper]
  if (u !== undefined && u !== "") return u
  const l = env[lower]
  return l !== undefined && l !== "" ? l : undefined
}

/**
 * Reads the variables: HTTP_PROXY/http_proxy, HTTPS_PROXY/https_proxy, ALL_PROXY/all_proxy,
 * NO_PROXY/no_proxy, and REQUEST_METHOD (when non-empty the process is a CGI handler, and http
 * requests refuse HTTP_PROXY, as Go, for httpoxy). As Go's `getEnvAny`: the upper-case name
 * first, then lower case, the first non-empty wins. Unset variables are absent from the result.
 */
export const proxyConfigFromEnv = (env: Readonly<Record<string, string | undefined>>): ProxyEnvironmentConfig => {
  const httpProxy = getEnvAny(env, "HTTP_PROXY", "http_proxy")
  const httpsProxy = getEnvAny(env, "HTTPS_PROXY", "https_proxy")
  const allProxy = getEnvAny(env, "ALL_PROXY", "all_proxy")
  const noProxy = getEnvAny(env, "NO_PROXY", "no_proxy")
  const method = env["REQUEST_METHOD"]
  return {
    ...(httpProxy === undefined ? {} : { httpProxy }),
    ...(httpsProxy === undefined ? {} : { httpsProxy }),
    ...(allProxy === undefined ? {} : { allProxy }),
    ...(noProxy === undefined ? {} : { noProxy }),
    cgi: method !== undefined && method !== ""
  }
}

// ---------------------------------------------------------------------------------------------
// Proxy values (Go's parseProxy)

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//
const ALLOWED_SCHEMES: ReadonlySet<string> = new Set(["http:", "https:", "socks5:", "socks5h:"])

// The value with a password in it replaced, found without trusting the value to parse.
const redactValue = (value: string): string => {
  const m = SCHEME.exec(value)
  const start = m === null ? 0 : m[0].length
  let end = value.length
  for (let i = start; i < value.length; i++) {
    const c = value[i]
    if (c === "/" || c === "?" || c === "#") {
      end = i
      break
    }
  }
  const at = value.lastIndexOf("@", end - 1)
  if (at < start) return value
  const colon = value.indexOf(":", start)
  if (colon < 0 || colon > at) return value
  return value.slice(0, colon + 1) + "xxxxx" + value.slice(at)
}

const invalidProxy = (variable: string, value: string, detail: string): InvalidProxy =>
  new InvalidProxy({ variable, value: redactValue(value), detail })

/**
 * `url` when it can be a proxy (an allowed scheme and a host), else an `InvalidProxy` naming
 * `variable` (for a URL a proxy function answered, or one given in the Transport's settings).
 */
export const checkProxyUrl = (variable: string, url: URL): URL | InvalidProxy => {
  if (!ALLOWED_SCHEMES.has(url.protocol)) {
    return invalidProxy(variable, url.href, `invalid proxy address: unsupported scheme ${JSON.stringify(url.protocol.slice(0, -1))} (want http, https, socks5 or socks5h)`)
  }
  if (url.hostname === "") return invalidProxy(variable, url.href, "invalid proxy address: no host")
  return url
}

/**
 * A proxy value as a URL: `scheme://...` with an allowed scheme, or `host[:port]` (and
 * `user:password@host:port`) taken as `http://value`; else an `InvalidProxy` naming `variable`.
 */
export const parseProxy = (variable: string, value: string): URL | InvalidProxy => {
  // Go's url.Parse refuses controls and spaces; WHATWG would drop or trim them silently.
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c <= 0x20 || c === 0x7f) return invalidProxy(variable, value, `invalid proxy address: invalid character at index ${i}`)
  }
  const m = SCHEME.exec(value)
  if (m !== null) {
    const scheme = m[1].toLowerCase() + ":"
    if (!ALLOWED_SCHEMES.has(scheme)) {
      return invalidProxy(variable, value, `invalid proxy address: unsupported scheme ${JSON.stringify(m[1])} (want http, https, socks5 or socks5h)`)
    }
  }
  let url: URL
  try {
    url = new URL(m === null ? "http://" + value : value)
  } catch {
    return invalidProxy(variable, value, "invalid proxy address: unparseable")
  }
  return url.hostname === "" ? invalidProxy(variable, value, "invalid proxy address: no host") : url
}

// ---------------------------------------------------------------------------------------------
// IP addresses, as Go's net.ParseIP (strict: no leading zeros, no zones) and net.IPNet

type Bytes = Uint8Array

// netip's parseIPv4Fields over s[from, to) into out[at..at+4).
const parseIPv4Into = (s: string, from: number, to: number, out: Bytes, at: number): boolean => {
  let val = 0
  let digits = 0
  let pos = 0
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0x30 && c <= 0x39) {
      if (digits === 1 && val === 0) return false // a leading zero
      val = val * 10 + (c - 0x30)
      digits++
      if (val > 255) return false
    } else if (c === 0x2e) {
      if (digits === 0 || pos === 3) return false
      out[at + pos++] = val
      val = 0
      digits = 0
    } else {
      return false
    }
  }
  if (pos !== 3 || digits === 0) return false
  out[at + 3] = val
  return true
}

const hexValue = (c: number): number =>
  c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1

// netip's parseIPv6 (without zones: net.ParseIP refuses them).
const parseIPv6 = (s: string): Bytes | undefined => {
  const ip = new Uint8Array(16)
  let ellipsis = -1
  let p = 0
  const n = s.length
  if (n >= 2 && s.charCodeAt(0) === 0x3a && s.charCodeAt(1) === 0x3a) {
    ellipsis = 0
    p = 2
    if (p === n) return ip
  }
  let i = 0
  while (i < 16) {
    let off = 0
    let acc = 0
    for (; p + off < n; off++) {
      const h = hexValue(s.charCodeAt(p + off))
      if (h < 0) break
      if (off > 3) return undefined
      acc = acc * 16 + h
    }
    if (off === 0) return undefined
    if (p + off < n && s.charCodeAt(p + off) === 0x2e) {
      if (ellipsis < 0 && i !== 12) return undefined
      if (i + 4 > 16) return undefined
      if (!parseIPv4Into(s, p, n, ip, i)) return undefined
      p = n
      i += 4
      break
    }
    ip[i] = acc >> 8
    ip[i + 1] = acc & 0xff
    i += 2
    p += off
    if (p === n) break
    if (s.charCodeAt(p) !== 0x3a || p + 1 === n) return undefined
    p++
    if (s.charCodeAt(p) === 0x3a) {
      if (ellipsis >= 0) return undefined
      ellipsis = i
      p++
      if (p === n) break
    }
  }
  if (p !== n) return undefined
  if (i < 16) {
    if (ellipsis < 0) return undefined
    const k = 16 - i
    for (let j = i - 1; j >= ellipsis; j--) ip[j + k] = ip[j]
    ip.fill(0, ellipsis, ellipsis + k)
  } else if (ellipsis >= 0) {
    return undefined
  }
  return ip
}

/** Go's `net.ParseIP`: 16 bytes (IPv4 as ::ffff:a.b.c.d), or undefined. */
const parseIP = (s: string): Bytes | undefined => {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c === 0x2e) {
      const ip = new Uint8Array(16)
      ip[10] = 0xff
      ip[11] = 0xff
      return parseIPv4Into(s, 0, s.length, ip, 12) ? ip : undefined
    }
    if (c === 0x3a) return parseIPv6(s)
    if (c === 0x25) return undefined
  }
  return undefined
}

const isV4InV6 = (ip: Bytes): boolean => {
  for (let i = 0; i < 10; i++) if (ip[i] !== 0) return false
  return ip[10] === 0xff && ip[11] === 0xff
}

// Go's IP.To4 for a 16-byte IP.
const to4 = (ip: Bytes): Bytes | undefined => (isV4InV6(ip) ? ip.subarray(12) : undefined)

const isLoopback = (ip: Bytes): boolean => {
  const v4 = to4(ip)
  if (v4 !== undefined) return v4[0] === 127
  for (let i = 0; i < 15; i++) if (ip[i] !== 0) return false
  return ip[15] === 1
}

const equalBytes = (a: Bytes, b: Bytes): boolean => {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** A network as Go's `networkNumberAndMask` sees it: number and mask of 4 or 16 bytes. */
interface Network {
  readonly number: Bytes
  readonly mask: Bytes
}

// Go's net.ParseCIDR followed by networkNumberAndMask.
const parseCIDR = (s: string): Network | undefined => {
  const slash = s.indexOf("/")
  if (slash < 0) return undefined
  const addr = s.slice(0, slash)
  const bits = s.slice(slash + 1)
  const ip = parseIP(addr)
  if (ip === undefined) return undefined
  // netip's Is4: written as a dotted quad, not an IPv6 form (even ::ffff:a.b.c.d).
  const ipLen = addr.includes(":") ? 16 : 4
  if (!/^[0-9]+$/.test(bits)) return undefined
  const n = Number(bits)
  if (n > 8 * ipLen) return undefined
  let mask = new Uint8Array(ipLen)
  for (let i = 0; i < ipLen; i++) {
    const left = n - 8 * i
    mask[i] = left >= 8 ? 0xff : left <= 0 ? 0 : (0xff00 >> left) & 0xff
  }
  // IP.Mask: a 4-byte mask applies to the last 4 bytes of a v4-in-v6 IP.
  let net: Bytes = ipLen === 4 ? ip.subarray(12) : ip
  net = net.map((b, i) => b & mask[i])
  // networkNumberAndMask: a v4-in-v6 network number is taken as IPv4 with the mask's tail.
  const v4 = net.length === 16 ? to4(net) : undefined
  if (v4 !== undefined) {
    net = v4
    mask = mask.subarray(12)
  }
  return { number: net, mask }
}

// Go's IPNet.Contains for a 16-byte IP.
const contains = (network: Network, ip16: Bytes): boolean => {
  const ip = to4(ip16) ?? ip16
  if (ip.length !== network.number.length) return false
  for (let i = 0; i < ip.length; i++) {
    if ((network.number[i] & network.mask[i]) !== (ip[i] & network.mask[i])) return false
  }
  return true
}

// ---------------------------------------------------------------------------------------------
// NO_PROXY (Go's config.init and matchers)

type Matcher =
  | { readonly _tag: "All" }
  | { readonly _tag: "Cidr"; readonly network: Network }
  | { readonly _tag: "Ip"; readonly ip: Bytes; readonly port: string }
  | { readonly _tag: "Domain"; readonly host: string; readonly port: string; readonly matchHost: boolean }

interface NoProxy {
  readonly ipMatchers: ReadonlyArray<Matcher>
  readonly domainMatchers: ReadonlyArray<Matcher>
}

/** Go's `net.SplitHostPort`: host (brackets removed) and port, or undefined. */
const splitHostPort = (hostport: string): readonly [string, string] | undefined => {
  const i = hostport.lastIndexOf(":")
  if (i < 0) return undefined
  let host: string
  let j = 0
  let k = 0
  if (hostport[0] === "[") {
    const end = hostport.indexOf("]")
    if (end < 0 || end + 1 !== i) return undefined
    host = hostport.slice(1, end)
    j = 1
    k = end + 1
  } else {
    host = hostport.slice(0, i)
    if (host.includes(":")) return undefined
  }
  if (hostport.indexOf("[", j) >= 0) return undefined
  if (hostport.indexOf("]", k) >= 0) return undefined
  return [host, hostport.slice(i + 1)]
}

const isASCII = (s: string): boolean => {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false
  return true
}

const ALL: Matcher = { _tag: "All" }

const parseNoProxy = (noProxy: string): NoProxy => {
  const ipMatchers: Array<Matcher> = []
  const domainMatchers: Array<Matcher> = []
  for (const entry of noProxy.split(",")) {
    const p = entry.trim().toLowerCase()
    if (p.length === 0) continue
    if (p === "*") return { ipMatchers: [ALL], domainMatchers: [ALL] }
    const network = parseCIDR(p)
    if (network !== undefined) {
      ipMatchers.push({ _tag: "Cidr", network })
      continue
    }
    let phost = p
    let pport = ""
    const split = splitHostPort(p)
    if (split !== undefined) {
      phost = split[0]
      pport = split[1]
      if (phost.length === 0) continue // no host part: a malformed entry
    }
    const ip = parseIP(phost)
    if (ip !== undefined) {
      ipMatchers.push({ _tag: "Ip", ip, port: pport })
      continue
    }
    if (phost.startsWith("*.")) phost = phost.slice(1)
    const matchHost = phost[0] !== "."
    if (matchHost) phost = "." + phost
    if (!isASCII(phost)) {
      const ascii = domainToASCII(phost)
      if (ascii !== "") phost = ascii
    }
    domainMatchers.push({ _tag: "Domain", host: phost, port: pport, matchHost })
  }
  return { ipMatchers, domainMatchers }
}

const matches = (m: Matcher, host: string, port: string, ip: Bytes | undefined): boolean => {
  switch (m._tag) {
    case "All":
      return true
    case "Cidr":
      return ip !== undefined && contains(m.network, ip)
    case "Ip":
      return ip !== undefined && equalBytes(m.ip, ip) && (m.port === "" || m.port === port)
    case "Domain":
      return (host.endsWith(m.host) || (m.matchHost && host === m.host.slice(1))) && (m.port === "" || m.port === port)
  }
}

/**
 * Go's `useProxy` on `canonicalAddr(url)`: whether a request to this http(s) URL goes through
 * the proxy. WHATWG hostnames are already lower case and punycoded, IPv6 ones bracketed.
 */
const useProxy = (noProxy: NoProxy, url: URL): boolean => {
  const hostname = url.hostname
  const host = hostname.startsWith("[") ? hostname.slice(1, -1) : hostname
  const port = url.port !== "" ? url.port : url.protocol === "https:" ? "443" : "80"
  if (host === "localhost") return false
  const ip = parseIP(host)
  if (ip !== undefined && isLoopback(ip)) return false
  const addr = host.trim().toLowerCase()
  if (ip !== undefined) {
    for (const m of noProxy.ipMatchers) if (matches(m, addr, port, ip)) return false
  }
  for (const m of noProxy.domainMatchers) if (matches(m, addr, port, ip)) return false
  return true
}

// ---------------------------------------------------------------------------------------------
// The proxy function (Go's Config.ProxyFunc / proxyForURL)

const nonEmpty = (s: string | undefined): string | undefined => (s === undefined || s === "" ? undefined : s)

const CACHE_LIMIT = 1024

/**
 * The proxy function for a config (Go's `Config.ProxyFunc`), or `undefined` (no function at
 * all) when no proxy variable is set, so callers can skip the lookup. The config is read once:
 * changing it later does not change the function. Answers are cached per origin (at most 1024,
 * the cache starting over when full), since the function is called for every request.
 *
 * For an https request: HTTPS_PROXY, else ALL_PROXY; for http: HTTP_PROXY (refused with an
 * `InvalidProxy` in CGI), else ALL_PROXY; other schemes, hosts that NO_PROXY names, "localhost"
 * and loopback IPs: none. An invalid value is reported only for requests it would apply to.
 */
export const proxyFunc = (config: ProxyEnvironmentConfig): ProxyFunc | undefined => {
  const http = nonEmpty(config.httpProxy)
  const https = nonEmpty(config.httpsProxy)
  const all = nonEmpty(config.allProxy)
  if (http === undefined && https === undefined && all === undefined) return undefined
  const allChoice = all === undefined ? undefined : parseProxy("ALL_PROXY", all)
  const httpChoice = http === undefined ? allChoice : parseProxy("HTTP_PROXY", http)
  const httpsChoice = https === undefined ? allChoice : parseProxy("HTTPS_PROXY", https)
  const refused = config.cgi === true && http !== undefined
    ? invalidProxy("HTTP_PROXY", http, "refusing to use HTTP_PROXY value in CGI environment; see golang.org/s/cgihttpproxy")
    : undefined
  const noProxy = parseNoProxy(config.noProxy ?? "")
  // null: no proxy for that origin.
  const cache = new Map<string, URL | InvalidProxy | null>()
  return (url: URL): ProxyChoice => {
    const protocol = url.protocol
    let proxy: URL | InvalidProxy | undefined
    if (protocol === "https:") {
      proxy = httpsChoice
    } else if (protocol === "http:") {
      if (refused !== undefined) return refused
      proxy = httpChoice
    } else {
      return undefined
    }
    if (proxy === undefined) return undefined
    const key = url.origin
    const hit = cache.get(key)
    if (hit !== undefined) return hit === null ? undefined : hit
    const choice = useProxy(noProxy, url) ? proxy : null
    if (cache.size >= CACHE_LIMIT) cache.clear()
    cache.set(key, choice)
    return choice === null ? undefined : choice
  }
}

/**
 * Shorthand: `proxyFunc(proxyConfigFromEnv(env))`, as Go's `http.ProxyFromEnvironment`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const proxyFromEnvironment = (env: Readonly<Record<string, string | undefined>>): ProxyFunc | undefined =>
  proxyFunc(proxyConfigFromEnv(env))
