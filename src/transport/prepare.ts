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
import { fieldHasToken } from "../domain/tokenList.js"
import type { ResolvedConfig } from "./config.js"
import { TransportError } from "./errors.js"
import { checkProxyUrl, type ProxyFunc } from "./proxyEnvironment.js"
import { redacted } from "../domain/redact.js"
import { type Route, routeOf } from "./route.js"

/** What round trips need from their URLs, worked out once per URL string. */
export interface Target {
  /** `http:` or `https:`, or another scheme (refused). */
  readonly protocol: string
  readonly hostname: string
  /** The request-target: the path (at least "/") and the query. */
  readonly target: string
  /** The route without a proxy. */
  readonly direct: Route
  /** The absolute-form target (scheme, host, path and query), for a request through an HTTP proxy. */
  readonly absolute: string
  /** This target with its direct route, made once. */
  readonly found: Destination
}

/** What a Destinations answers for a request URL: its facts and its route, or why there is none. */
export type Destination =
  | { readonly _tag: "Ok"; readonly t: Target; readonly route: Route }
  | { readonly _tag: "InvalidProxy"; readonly detail: string }

/**
 * What round trips need from their URLs, by `url.href`: the href is a string the URL keeps (its
 * hash is computed once), while `protocol`, `host` or `pathname` build a new string on every
 * read. Every request to one origin also shares one key string: a key built afresh per request
 * is a concatenated string that every Map lookup must flatten and hash again (it showed in
 * profiles as the pool's most expensive line). Routes through proxies are kept per proxy and
 * origin.
 */
export class Destinations {
  private readonly byHref = new Map<string, Target>()
  private readonly byOrigin = new Map<string, Route>()
  private readonly proxied = new Map<string, Route>()

  constructor(
    private readonly proxy: ProxyFunc | undefined,
    /** The Unix socket path of an origin (`protocol//host`), if any (the Transport's `socketPath`). */
    private readonly socketPath: ((origin: string) => string | undefined) | undefined = undefined
  ) {}

  of(url: URL): Target {
    const href = url.href
    let t = this.byHref.get(href)
    if (t === undefined) {
      // Bounded: a client of many distinct URLs starts over rather than grow without end.
      if (this.byHref.size >= 4096) this.byHref.clear()
      const origin = url.protocol + "//" + url.host
      let direct = this.byOrigin.get(origin)
      if (direct === undefined) {
        if (this.byOrigin.size >= 1024) this.byOrigin.clear()
        direct = routeOf(url, undefined, this.socketPath?.(origin))
        this.byOrigin.set(origin, direct)
      }
      const target = (url.pathname === "" ? "/" : url.pathname) + url.search
      t = new TargetFacts(url.protocol, url.hostname, target, direct, origin + target)
      this.byHref.set(href, t)
    }
    return t
  }

  /** The facts and the route of a request to `url` (an http or https URL). */
  route(url: URL, t: Target): Destination {
    const proxy = this.proxy
    // A request over a Unix socket goes there directly.
    if (proxy === undefined || t.direct.socketPath !== undefined) return t.found
    const choice = proxy(url)
    if (choice === undefined) return t.found
    if (!(choice instanceof URL)) return { _tag: "InvalidProxy", detail: choice.message }
    const key = choice.href + "|" + t.direct.key
    let route = this.proxied.get(key)
    if (route === undefined) {
      // Checked once per proxy and origin: a proxy function may answer any URL.
      const checked = checkProxyUrl("proxy", choice)
      if (!(checked instanceof URL)) return { _tag: "InvalidProxy", detail: checked.message }
      if (this.proxied.size >= 1024) this.proxied.clear()
      route = routeOf(url, checked)
      this.proxied.set(key, route)
    }
    return new Found(t, route)
  }
}

class TargetFacts implements Target {
  readonly found: Destination
  constructor(
    readonly protocol: string,
    readonly hostname: string,
    readonly target: string,
    readonly direct: Route,
    readonly absolute: string
  ) {
    this.found = new Found(this, direct)
  }
}

class Found {
  readonly _tag = "Ok"
  constructor(readonly t: Target, readonly route: Route) {}
}

// The Host value goes on the wire as is: no controls, spaces or characters above 0xFF.
const invalidHostIndex = (host: string): number => {
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i)
    if (c > 0xff || TARGET[c] === 0) return i
  }
  return -1
}


/** Facts about a request computed once for all its attempts. */
export interface Prepared<E> {
  readonly request: Request<E>
  readonly dest: Route
  /** The request-target to write: origin form, or absolute form through an HTTP proxy. */
  readonly target: string
  /** Header fields to write in place of the request's (a proxy's authorization added), if any. */
  readonly headers: Headers
  readonly closeAfter: boolean
  /** Whether to ask for codings (`Accept-Encoding: gzip, deflate, br`) and decode them. */
  readonly acceptCodings: boolean
  readonly expectContinue: boolean
  /** The Transport's `maxDecodedBodyBytes` (0: no limit). */
  readonly maxDecodedBodyBytes: number
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
  if (t.protocol !== "http:" && t.protocol !== "https:") return invalid(request, `unsupported protocol scheme ${JSON.stringify(t.protocol)}`)
  if (t.hostname === "") return invalid(request, "no host in request URL")
  const badHeader = request.headers.validate()
  if (badHeader !== undefined) return invalid(request, badHeader.message)
  if (request.trailers !== undefined) {
    const badTrailer = request.trailers.validate()
    if (badTrailer !== undefined) return invalid(request, "trailer: " + badTrailer.message)
  }
  const hostAt = invalidHostIndex(request.host)
  if (hostAt >= 0 || request.host === "") return invalid(request, `invalid Host ${JSON.stringify(request.host)}`)
  let headers = request.headers
  const found = destinations.route(request.url, t)
  if (found._tag === "InvalidProxy") return invalid(request, found.detail)
  const route = found.route
  let target = t.target
  if (route.absoluteForm) {
    target = t.absolute
    // Go's persistConn for an HTTP proxy: the proxy URL's credentials replace any
    // Proxy-Authorization of the request.
    const auth = route.proxy!.authorization
    if (auth !== undefined) headers = headers.clone().set("Proxy-Authorization", auth)
  }
  const none = headers.size === 0
  const closeAfter = config.disableKeepAlives || (!none && fieldHasToken(headers, "Connection", "close"))
  // Go asks for gzip unless told not to, the caller chose an encoding, asks for a range, or
  // sends HEAD (some servers gzip the missing body's headers wrongly); we ask for deflate and
  // br as well.
  const acceptCodings = !config.disableCompression && request.method !== "HEAD" &&
    (none || (!headers.has("Accept-Encoding") && !headers.has("Range")))
  const expectContinue = !none && fieldHasToken(headers, "Expect", "100-continue")
  return new Ok(request, route, target, headers, closeAfter, acceptCodings, expectContinue, config.maxDecodedBodyBytes)
}

// A class, not an object literal: V8 never pretenures its instances (see PoolState).
class Ok<E> implements Prepared<E> {
  readonly _tag = "Ok"
  constructor(
    readonly request: Request<E>,
    readonly dest: Route,
    readonly target: string,
    readonly headers: Headers,
    readonly closeAfter: boolean,
    readonly acceptCodings: boolean,
    readonly expectContinue: boolean,
    readonly maxDecodedBodyBytes: number
  ) {}
}
