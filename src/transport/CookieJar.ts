/**
 * The `CookieJar` service: Go's `http.CookieJar` interface with the behaviour of
 * `net/http/cookiejar` (RFC 6265), backed by tough-cookie's in-memory store.
 *
 * ```ts
 * const program = Effect.gen(function*() {
 *   const jar = yield* CookieJar
 *   yield* jar.setCookies(new URL("https://a.example.com/"), ["sid=1; Domain=example.com; Secure"])
 *   const header = yield* jar.cookieHeader(new URL("https://b.example.com/x")) // "sid=1"
 * }).pipe(Effect.provide(CookieJar.layer()))
 * ```
 *
 * What it does, as Go's jar does:
 * - only `http:` and `https:` URLs store or receive cookies; the port and a trailing dot on
 *   the host do not matter;
 * - a cookie without Domain is host-only; with Domain it is sent to that domain and its
 *   subdomains, if the Domain domain-matches the request host and is not a public suffix
 *   (a Domain equal to the host that is a public suffix, or a single label such as
 *   `localhost`, makes a host-only cookie);
 * - on an IP-address host a Domain attribute must equal the host, and the cookie is host-only;
 * - the default Path comes from the request path (RFC 6265 §5.1.4);
 * - Secure cookies are stored whatever the scheme but sent over `https:` only: not to
 *   `http://localhost` or loopback addresses, which browsers and tough-cookie's defaults treat
 *   as secure contexts and Go does not;
 * - `__Secure-` and `__Host-` cookies that break their prefix's rules are ignored (as browsers
 *   and tough-cookie do; Go's jar does not check prefixes);
 * - HttpOnly cookies are stored and sent (this is an HTTP API); SameSite is not enforced;
 * - Max-Age wins over Expires; Max-Age ≤ 0 or an Expires not after now deletes the cookie;
 * - cookies with a name that is not a token or a value with bytes Go rejects are ignored;
 * - the Cookie header lists the longest path first, then the earliest created.
 *
 * Time is Effect's `Clock`, so `TestClock` drives expiry.
 *
 * @module
 */
import { Context, Effect, Layer } from "effect"
import { isIP } from "node:net"
import { Cookie, cookieCompare, CookieJar as ToughCookieJar, getPublicSuffix, MemoryCookieStore } from "tough-cookie"

/**
 * What a `CookieJar` does (Go's `http.CookieJar`).
 *
 * @since 0.1.0
 * @category services
 */
export interface CookieJarService {
  /**
   * Stores the cookies of a response's Set-Cookie field values (each value one cookie; never
   * folded) received from `url`. Invalid or rejected cookies are ignored, as Go's jar does.
   */
  readonly setCookies: (url: URL, setCookieValues: ReadonlyArray<string>) => Effect.Effect<void>
  /**
   * The Cookie header value to send to `url` ("a=1; b=2", in RFC 6265 §5.4 order), or
   * undefined when there is none.
   */
  readonly cookieHeader: (url: URL) => Effect.Effect<string | undefined>
  /** The cookies for `url` as name/value pairs (for inspection and tests). */
  readonly cookies: (url: URL) => Effect.Effect<ReadonlyArray<{ readonly name: string; readonly value: string }>>
}

/**
 * How a `CookieJar` judges cookies.
 *
 * @since 0.1.0
 * @category models
 */
export interface CookieJarOptions {
  /** Reject cookies whose Domain is a public suffix (default true). */
  readonly rejectPublicSuffixes?: boolean
}

// The largest time a Date holds (ECMAScript: ±8.64e15 ms).
const maxDateMs = 8.64e15

// RFC 9110 tchar: a cookie name must be a token (Go's isCookieNameValid).
const isTokenChar = (c: number): boolean =>
  c > 0x20 && c < 0x7f && c !== 0x22 && c !== 0x28 && c !== 0x29 && c !== 0x2c && c !== 0x2f &&
  !(c >= 0x3a && c <= 0x40) && c !== 0x5b && c !== 0x5c && c !== 0x5d && c !== 0x7b && c !== 0x7d

const isValidName = (name: string): boolean => {
  if (name.length === 0) return false
  for (let i = 0; i < name.length; i++) if (!isTokenChar(name.charCodeAt(i))) return false
  return true
}

// Go's parseCookieValue: printable ASCII but `"`, `;` and `\`, optionally wrapped in double quotes.
const isValidValue = (raw: string): boolean => {
  const value = isQuoted(raw) ? raw.slice(1, -1) : raw
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c < 0x20 || c >= 0x7f || c === 0x22 || c === 0x3b || c === 0x5c) return false
  }
  return true
}

const isQuoted = (value: string): boolean =>
  value.length >= 2 && value.charCodeAt(0) === 0x22 && value.charCodeAt(value.length - 1) === 0x22

// As Go's Cookie.String: a value with a space or a comma goes in double quotes.
const headerValue = (value: string): string =>
  !isQuoted(value) && (value.includes(" ") || value.includes(",")) ? `"${value}"` : value

// The Domain attribute's raw value began with a dot (tough-cookie strips it when parsing).
const lastDomainHasLeadingDot = (setCookie: string): boolean => {
  let dotted = false
  for (const match of setCookie.matchAll(/;\s*domain\s*=\s*([^;]*)/gi)) dotted = (match[1] ?? "").trim().startsWith(".")
  return dotted
}

const isHttp = (url: URL): boolean => url.protocol === "http:" || url.protocol === "https:"

// As Go's canonicalHost: "example.com." is "example.com".
const withoutTrailingDot = (url: URL): URL => {
  if (!url.hostname.endsWith(".")) return url
  const copy = new URL(url.href)
  copy.hostname = url.hostname.replace(/\.+$/, "")
  return copy
}

// The request host without IPv6 brackets, lower case, as tough-cookie's canonical domain.
const hostOf = (url: URL): string => {
  const h = url.hostname
  return (h.startsWith("[") && h.endsWith("]") ? h.slice(1, -1) : h).toLowerCase()
}

// A domain that a cookie may not name unless it is the host itself (then the cookie is host-only).
const isPublicSuffix = (domain: string): boolean => {
  if (!domain.includes(".")) return true // Go's list: every single label (the "*" rule) is one
  try {
    return getPublicSuffix(domain, { allowSpecialUseDomain: true, ignoreError: true }) === undefined
  } catch {
    return true
  }
}

const ignore = (): void => {}

/** The cookies of one jar (tough-cookie's jar over a memory store) with Go's rules on top. */
class Jar {
  private readonly store = new MemoryCookieStore()
  private readonly jar: ToughCookieJar

  constructor(private readonly rejectPublicSuffixes: boolean) {
    this.jar = new ToughCookieJar(this.store, {
      rejectPublicSuffixes,
      looseMode: false, // as Go: "bar" and "=bar" are not cookies
      allowSpecialUseDomain: true,
      allowSecureOnLocal: false, // as Go: Secure cookies go over https only, localhost included
      enforceSecureOriginOnStorage: false, // as Go: stored whatever the scheme, sent over https only
      prefixSecurity: "silent"
    })
  }

  private remove(cookie: Cookie): void {
    if (cookie.domain !== null && cookie.path !== null) this.store.removeCookie(cookie.domain, cookie.path, cookie.key, ignore)
  }

  /** Go's rules for a Domain attribute: false when the cookie is refused. */
  private domainAllowed(cookie: Cookie, host: string, hostIsIP: boolean, value: string): boolean {
    if (cookie.domain === null || cookie.domain === undefined) return true
    const domain = cookie.domain
    if (hostIsIP) {
      // Go: a Domain on an IP host must be the host itself, and makes a host-only cookie.
      if (domain !== host || lastDomainHasLeadingDot(value)) return false
      cookie.domain = null
    } else if (this.rejectPublicSuffixes && domain === host && isPublicSuffix(domain)) {
      cookie.domain = null // Go's one exception: a public-suffix host may set a host cookie
    } else if (this.rejectPublicSuffixes && isPublicSuffix(domain)) {
      return false
    }
    return true
  }

  private setOne(url: URL, host: string, hostIsIP: boolean, value: string, now: Date): void {
    const cookie = Cookie.parse(value, { loose: false })
    if (cookie === undefined || !isValidName(cookie.key) || !isValidValue(cookie.value)) return
    if (!this.domainAllowed(cookie, host, hostIsIP, value)) return
    // Max-Age becomes an absolute expiry now: tough-cookie counts it from the last access.
    if (typeof cookie.maxAge === "number") {
      cookie.expires = cookie.maxAge <= 0
        ? new Date(-maxDateMs)
        : new Date(Math.min(now.getTime() + cookie.maxAge * 1000, maxDateMs))
      cookie.maxAge = null
    } else if (cookie.maxAge !== null) {
      cookie.expires = cookie.maxAge === "Infinity" ? "Infinity" : new Date(-maxDateMs)
      cookie.maxAge = null
    }
    const stored = this.jar.setCookieSync(cookie, url, { now, ignoreError: true, http: true })
    if (stored === undefined) return
    // Stored (replacing any cookie of the same name, domain and path), then deleted if expired.
    const expiry = stored.expiryTime()
    if (expiry !== undefined && expiry <= now.getTime()) this.remove(stored)
  }

  /** Stores the Set-Cookie `values` of a response to `requestUrl`, as of `nowMs`. */
  setAll(requestUrl: URL, values: ReadonlyArray<string>, nowMs: number): void {
    if (!isHttp(requestUrl)) return
    const url = withoutTrailingDot(requestUrl)
    const host = hostOf(url)
    if (host === "") return
    const hostIsIP = isIP(host) !== 0
    const now = new Date(nowMs)
    for (const value of values) {
      try {
        this.setOne(url, host, hostIsIP, value, now)
      } catch {
        // as Go's jar: a cookie it cannot take is ignored
      }
    }
  }

  // Domain cookies stored under a public suffix (only with rejectPublicSuffixes off): the store
  // looks no higher than the host's registrable domain, so the suffixes above it are read here.
  private aboveRegistrable(url: URL, host: string): Array<Cookie> {
    let registrable: string | undefined
    try {
      registrable = getPublicSuffix(host, { allowSpecialUseDomain: true, ignoreError: true })
    } catch {
      registrable = undefined
    }
    const path = url.pathname === "" ? "/" : url.pathname
    const https = url.protocol === "https:"
    const found: Array<Cookie> = []
    for (let dot = host.indexOf("."); dot !== -1; dot = host.indexOf(".", dot + 1)) {
      const suffix = host.slice(dot + 1)
      if (registrable !== undefined && suffix.length >= registrable.length) continue
      this.store.findCookies(suffix, path, true, (error: Error | null, cookies?: Array<Cookie>) => {
        if (error !== null || cookies === undefined) return
        for (const c of cookies) if (c.hostOnly !== true && (https || !c.secure)) found.push(c)
      })
    }
    return found
  }

  private found(requestUrl: URL): Array<Cookie> {
    const url = withoutTrailingDot(requestUrl)
    const found = this.jar.getCookiesSync(url, { http: true, expire: false, sort: true })
    if (this.rejectPublicSuffixes) return found
    const host = hostOf(url)
    if (isIP(host) !== 0) return found
    const more = this.aboveRegistrable(url, host)
    return more.length > 0 ? found.concat(more).sort(cookieCompare) : found
  }

  /** The cookies to send to `requestUrl` as of `nowMs` (expired ones are deleted, not sent). */
  matching(requestUrl: URL, nowMs: number): ReadonlyArray<Cookie> {
    if (!isHttp(requestUrl) || requestUrl.hostname === "") return []
    let found: Array<Cookie>
    try {
      found = this.found(requestUrl)
    } catch {
      return []
    }
    let expired = false
    for (const c of found) {
      const expiry = c.expiryTime()
      if (expiry !== undefined && expiry <= nowMs) {
        expired = true
        try {
          this.remove(c)
        } catch {
          // the store is in memory; nothing to do
        }
      }
    }
    return expired
      ? found.filter((c) => {
        const expiry = c.expiryTime()
        return expiry === undefined || expiry > nowMs
      })
      : found
  }
}

const makeService = (options: CookieJarOptions): CookieJarService => {
  const jar = new Jar(options.rejectPublicSuffixes ?? true)
  return {
    setCookies: (url, values) =>
      values.length === 0
        ? Effect.void
        : Effect.clockWith((clock) => Effect.sync(() => jar.setAll(url, values, clock.unsafeCurrentTimeMillis()))),
    cookieHeader: (url) =>
      Effect.clockWith((clock) =>
        Effect.sync(() => {
          const found = jar.matching(url, clock.unsafeCurrentTimeMillis())
          if (found.length === 0) return undefined
          let header = ""
          for (const c of found) header += `${header === "" ? "" : "; "}${c.key}=${headerValue(c.value)}`
          return header
        })
      ),
    cookies: (url) =>
      Effect.clockWith((clock) =>
        Effect.sync(() =>
          jar.matching(url, clock.unsafeCurrentTimeMillis()).map((c) => ({
            name: c.key,
            value: isQuoted(c.value) ? c.value.slice(1, -1) : c.value
          }))
        )
      )
  }
}

/**
 * Stores cookies from responses and supplies them to requests (Go's `http.CookieJar`, with
 * `net/http/cookiejar` behaviour). The cookies live in memory, in the service value.
 *
 * @since 0.1.0
 * @category services
 */
export class CookieJar extends Context.Tag("effect-nethttp/CookieJar")<CookieJar, CookieJarService>() {
  /** A new, empty jar. */
  static readonly make = (options: CookieJarOptions = {}): Effect.Effect<CookieJarService> =>
    Effect.sync(() => makeService(options))

  /** A Layer with a new, empty jar. */
  static readonly layer = (options: CookieJarOptions = {}): Layer.Layer<CookieJar> =>
    Layer.effect(CookieJar, CookieJar.make(options))
}
