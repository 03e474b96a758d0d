/**
 * How a connection reaches a request's server: directly, through an HTTP(S) proxy (absolute-form
 * requests for http, a CONNECT tunnel for https), or through a SOCKS5 proxy; with TLS to the
 * server for https. Go's `connectMethod`, whose key is the pool key: connections are shared
 * only between requests of one route.
 *
 * @module
 */
import { redacted } from "../domain/redact.js"
import type { DialAddress } from "../net/Dialer.js"

/** The kind of proxy a route goes through. */
export type ProxyKind = "http" | "https" | "socks5"

/** A proxy as a route uses it. */
export class ProxyHop {
  constructor(
    readonly kind: ProxyKind,
    /** The proxy URL as errors show it (the password redacted). */
    readonly display: string,
    /** The proxy's host name or IP literal (no brackets), for TLS to an https proxy. */
    readonly hostname: string,
    /** `Basic ...` from the proxy URL's user info, for HTTP proxies; undefined without one. */
    readonly authorization: string | undefined,
    /** SOCKS5 username and password (RFC 1929) from the proxy URL's user info. */
    readonly socksAuth: { readonly username: string; readonly password: string } | undefined
  ) {}
}

/** One route: what the pool keys connections by and what a dial does. */
export class Route {
  constructor(
    /** The pool key. */
    readonly key: string,
    /** The request URL's scheme: TLS to the server for `https:`. */
    readonly scheme: "http:" | "https:",
    /** The server: its host name or IP literal (no brackets) and port. */
    readonly target: DialAddress,
    /** The server's `host:port` (IPv6 in brackets), as a CONNECT request and traces name it. */
    readonly hostPort: string,
    /** Where TCP connects: the server, or the proxy. */
    readonly address: DialAddress,
    /** The proxy, if any. */
    readonly proxy: ProxyHop | undefined,
    /** The Unix domain socket the connection goes to in place of TCP (never with a proxy), if any. */
    readonly socketPath: string | undefined = undefined,
    /**
     * The connection must speak HTTP/1.1 (an Upgrade request, e.g. WebSocket): TLS offers only
     * `http/1.1` in ALPN, and the key is apart (Go's `connectMethod.onlyH1`).
     */
    readonly onlyH1: boolean = false
  ) {}

  private h1Route: Route | undefined = undefined

  /** This route for a request that needs HTTP/1.1 (made once). */
  h1Only(): Route {
    if (this.onlyH1) return this
    return this.h1Route ??= new Route(this.key + "|h1", this.scheme, this.target, this.hostPort, this.address, this.proxy, this.socketPath, true)
  }

  /** Requests go in absolute form to an HTTP(S) proxy (an http URL through it; no tunnel). */
  get absoluteForm(): boolean {
    return this.scheme === "http:" && this.proxy !== undefined && this.proxy.kind !== "socks5"
  }

  /** A CONNECT tunnel through an HTTP(S) proxy carries the connection (an https URL through it). */
  get tunnel(): boolean {
    return this.scheme === "https:" && this.proxy !== undefined && this.proxy.kind !== "socks5"
  }
}

const defaultPort = (protocol: string): number => (protocol === "https:" ? 443 : protocol === "socks5:" || protocol === "socks5h:" ? 1080 : 80)

const bare = (hostname: string): string => (hostname.startsWith("[") ? hostname.slice(1, -1) : hostname)

const decode = (s: string): string => {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

/** `Basic base64(user:password)` (RFC 7617) from a URL's user info, or undefined without one. */
export const basicAuthFromUrl = (url: URL): string | undefined =>
  url.username === "" && url.password === ""
    ? undefined
    : "Basic " + Buffer.from(decode(url.username) + ":" + decode(url.password), "utf8").toString("base64")

const proxyHop = (proxy: URL): ProxyHop => {
  const kind: ProxyKind = proxy.protocol === "https:" ? "https" : proxy.protocol === "socks5:" || proxy.protocol === "socks5h:" ? "socks5" : "http"
  const hasUser = proxy.username !== "" || proxy.password !== ""
  return new ProxyHop(
    kind,
    redacted(proxy),
    bare(proxy.hostname),
    kind === "socks5" ? undefined : basicAuthFromUrl(proxy),
    kind === "socks5" && hasUser ? { username: decode(proxy.username), password: decode(proxy.password) } : undefined
  )
}

/**
 * The route of a request to `url` (http or https) through `proxy` (http, https, socks5 or
 * socks5h), or directly when `proxy` is undefined (over the Unix socket at `socketPath` when
 * given, `proxy` then ignored). Its key follows Go's `connectMethodKey`:
 * the proxy URL, the scheme and the server; plain-http requests through one HTTP proxy share
 * its connections whatever their server (the proxy forwards each by its absolute URL).
 */
export const routeOf = (url: URL, proxy: URL | undefined, socketPath?: string): Route => {
  const scheme = url.protocol === "https:" ? "https:" : "http:"
  const port = url.port === "" ? defaultPort(scheme) : Number(url.port)
  const hostname = url.hostname
  const hostPort = hostname + ":" + port
  const target: DialAddress = { host: bare(hostname), port }
  // Over a Unix socket: keyed by the path as well, so these never share a TCP connection.
  if (socketPath !== undefined) {
    return new Route("unix:" + socketPath + "|" + scheme + "//" + hostPort, scheme, target, hostPort, { host: target.host, port, path: socketPath }, undefined, socketPath)
  }
  if (proxy === undefined) return new Route(scheme + "//" + hostPort, scheme, target, hostPort, target, undefined)
  const hop = proxyHop(proxy)
  const address: DialAddress = { host: bare(proxy.hostname), port: proxy.port === "" ? defaultPort(proxy.protocol) : Number(proxy.port) }
  const shared = scheme === "http:" && hop.kind !== "socks5"
  // The key shows in pool stats: the proxy's password is left out of it.
  const key = hop.display + "|" + scheme + "//" + (shared ? "" : hostPort)
  return new Route(key, scheme, target, hostPort, address, hop)
}
