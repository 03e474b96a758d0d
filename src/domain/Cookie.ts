/**
 * HTTP cookies as Go's `net/http` handles them on the server side (cookie.go): the `Cookie`
 * model with Go's fields, the `Cookie` request field read leniently as Go's `readCookies`
 * does, a cookie written as a `Set-Cookie` value as Go's `Cookie.String` does, and Go's
 * `Cookie.Valid`. (The client's cookie jar is `CookieJar`, over tough-cookie.)
 *
 * @module
 * @since 0.1.0
 */
import { Data, Either } from "effect"
import { isIPv4 } from "node:net"

/**
 * The `SameSite` attribute (Go's `http.SameSite`): "default" writes no attribute (Go's
 * `SameSiteDefaultMode` and zero value), the others `SameSite=Lax`, `Strict` or `None`.
 *
 * @since 0.1.0
 * @category models
 */
export type SameSite = "default" | "lax" | "strict" | "none"

/**
 * What `Cookie.make` takes: a name and, optionally, every other field of Go's `http.Cookie`.
 *
 * @since 0.1.0
 * @category models
 */
export interface CookieInit {
  readonly name: string
  /** Default "". */
  readonly value?: string
  /** Whether the value is (or was received) in double quotes. Default false. */
  readonly quoted?: boolean
  readonly path?: string
  readonly domain?: string
  readonly expires?: Date
  /** Seconds: 0 (the default) writes no Max-Age, a negative value `Max-Age=0` (delete now). */
  readonly maxAge?: number
  readonly secure?: boolean
  readonly httpOnly?: boolean
  /** Default "default" (no attribute). */
  readonly sameSite?: SameSite
  /** CHIPS' `Partitioned` attribute; Go's `Valid` requires `secure` with it. */
  readonly partitioned?: boolean
  /** The text the cookie was read from, when it was read (Go's `Raw`). */
  readonly raw?: string
}

/**
 * An HTTP cookie, as Go's `http.Cookie`: one `name=value` pair of a `Cookie` request field,
 * or a cookie with its attributes to send in a `Set-Cookie` response field. A plain value:
 * `Cookie.make` builds one without checking it (`validateCookie` checks, as Go's `Valid`).
 *
 * @since 0.1.0
 * @category models
 */
export class Cookie {
  constructor(
    readonly name: string,
    readonly value: string,
    /** Whether the value is (or was received) in double quotes (Go's `Quoted`). */
    readonly quoted: boolean,
    /** "" for none. */
    readonly path: string,
    /** "" for none (a host-only cookie); a leading dot is allowed and not written. */
    readonly domain: string,
    /** Undefined for none (Go's zero `time.Time`). */
    readonly expires: Date | undefined,
    /** Seconds: 0 means no Max-Age, a negative value means `Max-Age=0` (Go's `MaxAge`). */
    readonly maxAge: number,
    readonly secure: boolean,
    readonly httpOnly: boolean,
    readonly sameSite: SameSite,
    readonly partitioned: boolean,
    /** The text the cookie was read from, if it was read (Go's `Raw`). */
    readonly raw: string | undefined
  ) {}

  /**
   * A cookie with these fields, the others at Go's zero values (no path, no domain, no
   * expiry, no Max-Age, no flags, SameSite "default"). Nothing is checked here.
   *
   * @since 0.1.0
   */
  static make(init: CookieInit): Cookie {
    return new Cookie(
      init.name,
      init.value ?? "",
      init.quoted ?? false,
      init.path ?? "",
      init.domain ?? "",
      init.expires,
      init.maxAge ?? 0,
      init.secure ?? false,
      init.httpOnly ?? false,
      init.sameSite ?? "default",
      init.partitioned ?? false,
      init.raw
    )
  }

  /** The cookie as a `Set-Cookie` value (Go's `Cookie.String`); see `serializeSetCookie`. */
  toString(): string {
    return serializeSetCookie(this)
  }
}

/**
 * The field of a cookie that `validateCookie` refused.
 *
 * @since 0.1.0
 * @category errors
 */
export type CookieField = "name" | "value" | "path" | "domain" | "expires" | "maxAge" | "partitioned"

/**
 * A cookie that cannot be sent (Go's `Cookie.Valid` errors): the field at fault, and for a
 * value or path, the index of the first byte that may not appear there.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidCookie extends Data.TaggedError("InvalidCookie")<{
  /** The cookie's name (possibly the invalid part). */
  readonly name: string
  readonly field: CookieField
  /** Index of the offending character in the value or path. */
  readonly index?: number
}> {
  override get message(): string {
    switch (this.field) {
      case "name":
        return `invalid cookie name ${JSON.stringify(this.name)}: a name is a non-empty token`
      case "expires":
        return `invalid expiry of cookie ${JSON.stringify(this.name)}: the year must be 1601 or later (RFC 6265 §5.1.1)`
      case "domain":
        return `invalid domain of cookie ${JSON.stringify(this.name)}: a domain name or an IPv4 address`
      case "maxAge":
        return `invalid Max-Age of cookie ${JSON.stringify(this.name)}: an integer number of seconds`
      case "partitioned":
        return `cookie ${JSON.stringify(this.name)} is partitioned without being secure`
      default:
        return `invalid character in the ${this.field} of cookie ${JSON.stringify(this.name)} at index ${this.index}`
    }
  }
}

// RFC 9110 token characters (Go's httpguts.IsTokenRune, as isCookieNameValid uses).
const TOKEN = new Uint8Array(128)
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TOKEN[c.charCodeAt(0)] = 1

/** Go's `isCookieNameValid`: a non-empty token. */
const validName = (name: string): boolean => {
  if (name.length === 0) return false
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i)
    if (c >= 128 || TOKEN[c] === 0) return false
  }
  return true
}

/**
 * Go's `validCookieValueByte`: printable ASCII and space, but not `"`, `;` or `\`. (A
 * character above 0x7F is invalid: each of its UTF-8 bytes is, in Go.)
 */
const validValueChar = (c: number): boolean => c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x3b && c !== 0x5c

/** Go's `validCookiePathByte`: printable ASCII and space, but not `;`. */
const validPathChar = (c: number): boolean => c >= 0x20 && c < 0x7f && c !== 0x3b

const firstInvalid = (s: string, valid: (c: number) => boolean): number => {
  for (let i = 0; i < s.length; i++) if (!valid(s.charCodeAt(i))) return i
  return -1
}

/** Go's `sanitizeOrWarn` without the log: `s` without the characters that may not appear. */
const sanitize = (s: string, valid: (c: number) => boolean): string => {
  if (firstInvalid(s, valid) < 0) return s
  let out = ""
  for (let i = 0; i < s.length; i++) if (valid(s.charCodeAt(i))) out += s[i]
  return out
}

/**
 * Go's `isCookieDomainName`: labels of letters, digits and inner dashes, at most 63
 * characters each, separated by single dots, at most 255 characters, at least one letter; a
 * leading dot allowed.
 */
const isCookieDomainName = (domain: string): boolean => {
  if (domain.length === 0 || domain.length > 255) return false
  const s = domain.charCodeAt(0) === 0x2e ? domain.slice(1) : domain
  let last = 0x2e
  let letter = false
  let partLength = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a)) {
      letter = true
      partLength++
    } else if (c >= 0x30 && c <= 0x39) {
      partLength++
    } else if (c === 0x2d) {
      if (last === 0x2e) return false
      partLength++
    } else if (c === 0x2e) {
      if (last === 0x2e || last === 0x2d || partLength > 63 || partLength === 0) return false
      partLength = 0
    } else return false
    last = c
  }
  return last !== 0x2d && partLength <= 63 && letter
}

/** Go's `validCookieDomain`: a domain name, or an IPv4 address (not IPv6). */
const validDomain = (domain: string): boolean => isCookieDomainName(domain) || isIPv4(domain)

/** Go's `validCookieExpires`: RFC 6265 §5.1.1 wants a year of 1601 or later. */
const validExpires = (expires: Date): boolean => {
  const t = expires.getTime()
  return !Number.isNaN(t) && expires.getUTCFullYear() >= 1601
}

/** Go's `http.TimeFormat` ("Mon, 02 Jan 2006 15:04:05 GMT"), which `toUTCString` writes. */
const formatExpires = (expires: Date): string => expires.toUTCString()

/**
 * The `Set-Cookie` value for `cookie`, as Go's `Cookie.String`: "" when the name is not a
 * valid token (Go writes no field then). Characters that may not appear are dropped from the
 * value and the path (Go logs and drops them); a value with a space or a comma, or `quoted`,
 * is written in double quotes (golang/go#7243). An invalid domain is left out (the cookie
 * becomes host-only), a leading dot of a valid one is not written; an expiry before 1601 is
 * left out; Max-Age is written when positive, as `Max-Age=0` when negative. The attributes
 * come in Go's order: Path, Domain, Expires, Max-Age, HttpOnly, Secure, SameSite, Partitioned.
 *
 * @since 0.1.0
 * @category utils
 */
export const serializeSetCookie = (cookie: Cookie): string => {
  if (!validName(cookie.name)) return ""
  let out = cookie.name + "="
  const value = sanitize(cookie.value, validValueChar)
  if (value.length > 0) out += cookie.quoted || value.includes(" ") || value.includes(",") ? "\"" + value + "\"" : value
  if (cookie.path.length > 0) out += "; Path=" + sanitize(cookie.path, validPathChar)
  if (cookie.domain.length > 0 && validDomain(cookie.domain)) {
    out += "; Domain=" + (cookie.domain.charCodeAt(0) === 0x2e ? cookie.domain.slice(1) : cookie.domain)
  }
  if (cookie.expires !== undefined && validExpires(cookie.expires)) out += "; Expires=" + formatExpires(cookie.expires)
  if (cookie.maxAge > 0) out += "; Max-Age=" + Math.trunc(cookie.maxAge)
  else if (cookie.maxAge < 0) out += "; Max-Age=0"
  if (cookie.httpOnly) out += "; HttpOnly"
  if (cookie.secure) out += "; Secure"
  switch (cookie.sameSite) {
    case "lax":
      out += "; SameSite=Lax"
      break
    case "strict":
      out += "; SameSite=Strict"
      break
    case "none":
      out += "; SameSite=None"
      break
  }
  if (cookie.partitioned) out += "; Partitioned"
  return out
}

/**
 * `cookie` if it can be sent as it is, as Go's `Cookie.Valid` decides: a token name, a
 * value and a path of allowed characters only, a domain that is a domain name or an IPv4
 * address, an expiry (when given) in 1601 or later, and `partitioned` only with `secure`.
 * Beyond Go (whose `MaxAge` is an int), a Max-Age that is not an integer is refused.
 *
 * @since 0.1.0
 * @category utils
 */
export const validateCookie = (cookie: Cookie): Either.Either<Cookie, InvalidCookie> => {
  const name = cookie.name
  if (!validName(name)) return Either.left(new InvalidCookie({ name, field: "name" }))
  if (cookie.expires !== undefined && !validExpires(cookie.expires)) return Either.left(new InvalidCookie({ name, field: "expires" }))
  if (!Number.isSafeInteger(cookie.maxAge)) return Either.left(new InvalidCookie({ name, field: "maxAge" }))
  const badValue = firstInvalid(cookie.value, validValueChar)
  if (badValue >= 0) return Either.left(new InvalidCookie({ name, field: "value", index: badValue }))
  const badPath = firstInvalid(cookie.path, validPathChar)
  if (badPath >= 0) return Either.left(new InvalidCookie({ name, field: "path", index: badPath }))
  if (cookie.domain.length > 0 && !validDomain(cookie.domain)) return Either.left(new InvalidCookie({ name, field: "domain" }))
  if (cookie.partitioned && !cookie.secure) return Either.left(new InvalidCookie({ name, field: "partitioned" }))
  return Either.right(cookie)
}

/** Go's `textproto.TrimString`: ASCII space, tab, CR and LF off both ends. */
const trim = (s: string): string => {
  let start = 0
  let end = s.length
  while (start < end && isSpace(s.charCodeAt(start))) start++
  while (end > start && isSpace(s.charCodeAt(end - 1))) end--
  return start === 0 && end === s.length ? s : s.slice(start, end)
}

const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a

/**
 * The cookies of `Cookie` request field values (Go's `readCookies`, which `Request.Cookies`
 * and `Request.Cookie` use), in order, every field's pairs in turn: each `;`-separated pair
 * is trimmed and split at its first `=`; a pair whose name is not a token, or whose value
 * (without one pair of surrounding double quotes, which set `quoted`) holds a character a
 * cookie value may not, is skipped, as is an empty one. A pair without `=` is a cookie with an
 * empty value, as in Go. With `filter`, only the cookies of that name.
 *
 * @since 0.1.0
 * @category utils
 */
export const parseCookieHeader = (lines: string | ReadonlyArray<string>, filter?: string): Array<Cookie> => {
  const cookies: Array<Cookie> = []
  for (const field of typeof lines === "string" ? [lines] : lines) {
    const line = trim(field)
    let at = 0
    while (at < line.length) {
      const semi = line.indexOf(";", at)
      const end = semi < 0 ? line.length : semi
      const part = trim(line.slice(at, end))
      at = end + 1
      if (part === "") continue
      const eq = part.indexOf("=")
      const name = trim(eq < 0 ? part : part.slice(0, eq))
      if (!validName(name) || (filter !== undefined && filter !== "" && filter !== name)) continue
      let value = eq < 0 ? "" : part.slice(eq + 1)
      let quoted = false
      // Go's parseCookieValue(raw, true): one pair of surrounding double quotes is stripped.
      if (value.length > 1 && value.charCodeAt(0) === 0x22 && value.charCodeAt(value.length - 1) === 0x22) {
        value = value.slice(1, -1)
        quoted = true
      }
      if (firstInvalid(value, validValueChar) >= 0) continue
      cookies.push(new Cookie(name, value, quoted, "", "", undefined, 0, false, false, "default", false, undefined))
    }
  }
  return cookies
}
