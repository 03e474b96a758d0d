/**
 * What a round trip works out before it asks the pool for a connection: the request checked
 * (method, URL, header fields, Host; Go's `Transport.roundTrip` validation), its destination
 * (the pool key and the address to dial), and the facts every attempt needs.
 *
 * @module
 */
import type { Headers } from "../domain/Headers.js"
import { isToken, TARGET } from "../domain/http1/chars.js"
import type { Request } from "../domain/Request.js"
import type { DialAddress } from "../net/Dialer.js"
import type { ResolvedConfig } from "./config.js"
import { TransportError } from "./errors.js"

/** Where a request goes: its pool key and the address to dial. */
export interface Destination {
  readonly key: string
  readonly address: DialAddress
  readonly hostPort: string
}

/** What a round trip needs from its URL, worked out once per URL string. */
export interface Target {
  /** `http:` or `https:`, or another scheme (refused). */
  readonly protocol: string
  readonly hostname: string
  /** The request-target: the path (at least "/") and the query. */
  readonly target: string
  readonly dest: Destination
}

/**
 * What round trips need from their URLs, by `url.href`: the href is a string the URL keeps (its
 * hash is computed once), while `protocol`, `host` or `pathname` build a new string on every
 * read. Every request to one origin also shares one key string: a key built afresh per request
 * is a concatenated string that every Map lookup must flatten and hash again (it showed in
 * profiles as the pool's most expensive line).
 */
export class Destinations {
  private readonly byHref = new Map<string, Target>()
  private readonly byOrigin = new Map<string, Destination>()

  of(url: URL): Target {
    const href = url.href
    let t = this.byHref.get(href)
    if (t === undefined) {
      // Bounded: a client of many distinct URLs starts over rather than grow without end.
      if (this.byHref.size >= 4096) this.byHref.clear()
      const origin = url.protocol + "//" + url.host
      let dest = this.byOrigin.get(origin)
      if (dest === undefined) {
        if (this.byOrigin.size >= 1024) this.byOrigin.clear()
        dest = destination(url)
        this.byOrigin.set(origin, dest)
      }
      t = { protocol: url.protocol, hostname: url.hostname, target: (url.pathname === "" ? "/" : url.pathname) + url.search, dest }
      this.byHref.set(href, t)
    }
    return t
  }
}

const destination = (url: URL): Destination => {
  const port = url.port === "" ? (url.protocol === "https:" ? 443 : 80) : Number(url.port)
  const hostname = url.hostname
  // WHATWG keeps IPv6 literals in brackets; the socket wants them bare.
  const host = hostname.startsWith("[") ? hostname.slice(1, -1) : hostname
  const hostPort = hostname + ":" + port
  return { key: url.protocol + "//" + hostPort, address: { host, port }, hostPort }
}

/** The URL as errors show it: the password, if any, replaced (as Go's `url.Redacted`). */
export const redacted = (url: URL): string => {
  if (url.password === "") return url.href
  const copy = new URL(url.href)
  copy.password = "xxxxx"
  return copy.href
}

// The Host value goes on the wire as is: no controls, spaces or characters above 0xFF.
const invalidHostIndex = (host: string): number => {
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i)
    if (c > 0xff || TARGET[c] === 0) return i
  }
  return -1
}

const hasToken = (headers: Headers, name: string, token: string): boolean => {
  if (!headers.has(name)) return false
  const values = headers.values(name)
  for (const v of values) {
    for (const part of v.split(",")) if (part.trim().toLowerCase() === token) return true
  }
  return false
}

/** Facts about a request computed once for all its attempts. */
export interface Prepared<E> {
  readonly request: Request<E>
  readonly dest: Destination
  readonly target: string
  readonly closeAfter: boolean
  readonly acceptGzip: boolean
  readonly expectContinue: boolean
}

/** The URL of a prepared request as errors and spans show it (the password redacted). */
export const urlText = (p: Prepared<unknown>): string => redacted(p.request.url)

type Invalid = { readonly _tag: "Invalid"; readonly error: TransportError }

const invalid = (request: Request<unknown>, detail: string): Invalid => ({
  _tag: "Invalid",
  error: new TransportError({ phase: "request", reason: "invalid-request", reused: false, method: request.method, url: redacted(request.url), detail })
})

/** Validates a request and computes what every attempt needs. */
export const prepare = <E>(
  request: Request<E>,
  config: ResolvedConfig,
  destinations: Destinations
): Invalid | (Prepared<E> & { readonly _tag: "Ok" }) => {
  if (!isToken(request.method)) return invalid(request, `invalid method ${JSON.stringify(request.method)}`)
  const t = destinations.of(request.url)
  if (t.protocol !== "http:") {
    return invalid(request, t.protocol === "https:" ? "https is not supported yet (TLS comes with the Client)" : `unsupported protocol scheme ${JSON.stringify(t.protocol)}`)
  }
  if (t.hostname === "") return invalid(request, "no host in request URL")
  const badHeader = request.headers.validate()
  if (badHeader !== undefined) return invalid(request, badHeader.message)
  if (request.trailers !== undefined) {
    const badTrailer = request.trailers.validate()
    if (badTrailer !== undefined) return invalid(request, "trailer: " + badTrailer.message)
  }
  const hostAt = invalidHostIndex(request.host)
  if (hostAt >= 0 || request.host === "") return invalid(request, `invalid Host ${JSON.stringify(request.host)}`)
  const headers = request.headers
  const none = headers.size === 0
  const closeAfter = config.disableKeepAlives || (!none && hasToken(headers, "Connection", "close"))
  // Go asks for gzip unless told not to, the caller chose an encoding, asks for a range, or
  // sends HEAD (some servers gzip the missing body's headers wrongly).
  const acceptGzip = !config.disableCompression && request.method !== "HEAD" &&
    (none || (!headers.has("Accept-Encoding") && !headers.has("Range")))
  const expectContinue = !none && hasToken(headers, "Expect", "100-continue")
  return new Ok(request, t.dest, t.target, closeAfter, acceptGzip, expectContinue)
}

// A class, not an object literal: V8 never pretenures its instances (see PoolState).
class Ok<E> implements Prepared<E> {
  readonly _tag = "Ok"
  constructor(
    readonly request: Request<E>,
    readonly dest: Destination,
    readonly target: string,
    readonly closeAfter: boolean,
    readonly acceptGzip: boolean,
    readonly expectContinue: boolean
  ) {}
}
