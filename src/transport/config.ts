/**
 * The Transport's settings, with Go's `Transport` field names in camelCase, and their
 * defaults (Go's `DefaultTransport`, except `maxIdleConnsPerHost`).
 *
 * @module
 */
import { Duration, Either } from "effect"
import { checkDuration, checkInteger, InvalidConfig } from "../domain/configErrors.js"
import { Headers, type HeadersInput } from "../domain/Headers.js"
import { DEFAULT_MAX_RESPONSE_HEADER_BYTES } from "../domain/http1/Parser.js"
import type { TlsClientOptions } from "../net/tls.js"
import { checkProxyUrl, parseProxy, proxyFromEnvironment, type ProxyFunc } from "./proxyEnvironment.js"

/**
 * Which proxy a request goes through (Go's `Transport.Proxy`):
 * - `"environment"` (the default): HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY, read when
 *   the Transport is made (Go's `ProxyFromEnvironment`);
 * - `"none"`: every request goes directly;
 * - a URL (or its text): every request through that proxy (Go's `ProxyURL`);
 * - a function of the request URL (Go passes the whole request) answering a proxy URL, or
 *   undefined for none.
 *
 * A proxy URL is `http://`, `https://` (TLS to the proxy), `socks5://` or `socks5h://`, with
 * optional user info: Basic `Proxy-Authorization` for HTTP proxies, RFC 1929 for SOCKS5.
 *
 * @since 0.1.0
 * @category models
 */
export type ProxySetting = "environment" | "none" | URL | string | ProxyFunc

/**
 * What `Transport.layer` takes; every field is optional.
 *
 * @since 0.1.0
 * @category models
 */
export interface TransportConfig {
  /** Idle connections kept across all hosts; 0 means no limit. Default 100 (Go's DefaultTransport). A whole number >= 0. */
  readonly maxIdleConns?: number
  /**
   * Idle connections kept per host. Default 100, NOT Go's 2 (`DefaultMaxIdleConnsPerHost`):
   * with 2, a client running 50 requests at a time to one host closes 48 connections after
   * every wave and dials them again, the most-cited pitfall of Go's client. 0 keeps none, and
   * so does a negative number (Go's meaning of a negative `MaxIdleConnsPerHost`). A whole number.
   */
  readonly maxIdleConnsPerHost?: number
  /** Connections per host counting dialing, active and idle; 0 means no limit (Go's default). A whole number >= 0. */
  readonly maxConnsPerHost?: number
  /** How long a connection may stay idle before it is closed; 0 means forever. Default 90 s. */
  readonly idleConnTimeout?: Duration.DurationInput
  /**
   * How long to wait for a response head once the request is written; 0 means no limit (Go's
   * default). Default 300 s, as undici's `headersTimeout`: a server that never answers does
   * not hold the caller forever.
   */
  readonly responseHeaderTimeout?: Duration.DurationInput
  /**
   * How long a read of the response body may wait with no byte arriving (inactivity, judged
   * only while the caller waits for bytes: a slow reader is not timed out); 0 means no limit.
   * Default 300 s, as undici's `bodyTimeout` (Go has none). A long healthy stream lives on.
   */
  readonly bodyTimeout?: Duration.DurationInput
  /**
   * The margin taken off a server's keep-alive hint (`Keep-Alive: timeout=N`): a connection is
   * not kept idle longer than the hint less this, and not reused at all when
   * that leaves nothing. Default 2 s (undici's `keepAliveTimeoutThreshold`); Go reads no hint.
   */
  readonly keepAliveTimeoutThreshold?: Duration.DurationInput
  /** How long a request with `Expect: 100-continue` waits for 100 before sending its body. Default 1 s. */
  readonly expectContinueTimeout?: Duration.DurationInput
  /** Send `Connection: close` and use every connection once. Default false. */
  readonly disableKeepAlives?: boolean
  /**
   * Do not ask for compressed bodies (no `Accept-Encoding: gzip, deflate, br`, no transparent
   * decoding). Default false.
   */
  readonly disableCompression?: boolean
  /**
   * The most bytes a body the Transport decodes (gzip, deflate, br) may expand to: past it the
   * read fails with a `TransportError` (phase `reading-body`, reason `decoded-body-too-large`).
   * A guard against decompression bombs; 0 means no limit (the default). A whole number >= 0.
   */
  readonly maxDecodedBodyBytes?: number
  /** The response head limit in bytes; 0 means the default, 10 MiB (Go's). A whole number >= 0. */
  readonly maxResponseHeaderBytes?: number
  /** How long a TCP connect may take. Default 30 s (Go's DefaultTransport dialer). Ignored by `layerWithDialer`. */
  readonly dialTimeout?: Duration.DurationInput
  /**
   * At most this many informational (1xx) responses skipped before a final one; more fail the
   * round trip (0: any 1xx response but 101 fails it). A whole number >= 0. Default: no count,
   * as Go 1.24: the bytes of the interim heads count against `maxResponseHeaderBytes` together
   * with the final head's (unless a `ClientTrace.got1xxResponse` hook sees them: then each head
   * has its own limit), so any number of small interim responses pass and an endless run fails.
   */
  readonly max1xxResponses?: number
  /** Which proxy each request goes through. Default `"environment"`. */
  readonly proxy?: ProxySetting
  /** Header fields to send with every CONNECT request to a proxy (Go's `ProxyConnectHeader`). */
  readonly proxyConnectHeader?: HeadersInput
  /** TLS settings for https servers and https proxies (Go's `TLSClientConfig`). */
  readonly tls?: TlsClientOptions
  /** How long a TLS handshake may take. Default 10 s (Go's DefaultTransport); 0 means no limit. */
  readonly tlsHandshakeTimeout?: Duration.DurationInput
  /** The environment `"environment"` reads; `process.env` when absent (replace it in tests). */
  readonly env?: Readonly<Record<string, string | undefined>>
  /**
   * Send requests over a Unix domain socket in place of TCP (undici's `socketPath`; Go's
   * `DialContext` dialing "unix"): a path sends every request there; a record from origins
   * (`"http://localhost"`, `"https://api.internal:8443"`) to paths sends only the requests of
   * those origins. The URL still gives the Host header, the request-target and, for https, the
   * TLS server name; such requests never go through a proxy. Their connections are pooled apart
   * from TCP ones to the same host and port. Default: none.
   */
  readonly socketPath?: string | Readonly<Record<string, string>>
  /**
   * Which protocols the Transport speaks (Go 1.24's `Transport.Protocols`):
   * - `http1` (default true): HTTP/1.1;
   * - `http2` (default true): HTTP/2 with https origins that choose it in ALPN (TLS offers
   *   `h2` and `http/1.1`; a server that chooses `http/1.1` is spoken to in HTTP/1.1);
   * - `unencryptedHTTP2` (default false): HTTP/2 with prior knowledge (h2c, no upgrade) to
   *   http:// origins reached directly (never through a proxy), as Go's `SetUnencryptedHTTP2`.
   *
   * At least one of them is true. With `http1` false an https server that does not choose h2
   * fails the dial.
   */
  readonly protocols?: { readonly http1?: boolean; readonly http2?: boolean; readonly unencryptedHTTP2?: boolean }
  /** HTTP/2 settings (Go's `http2.Transport` fields of the same names). */
  readonly http2?: {
    /**
     * When every session to an origin has as many streams open as its peer allows
     * (SETTINGS_MAX_CONCURRENT_STREAMS): false (the default) opens another session; true
     * makes the request wait for a stream of an existing one.
     */
    readonly strictMaxConcurrentStreams?: boolean
    /**
     * After this long without a frame read from a session, a PING is sent (Go's
     * `ReadIdleTimeout`); 0 (the default) sends none.
     */
    readonly sendPingTimeout?: Duration.DurationInput
    /** How long a health PING may go unanswered before the session is closed. Default 15 s (also when 0, as Go). */
    readonly pingTimeout?: Duration.DurationInput
  }
}

/** A `TransportConfig` with every default filled in, times in milliseconds. */
export interface ResolvedConfig {
  readonly maxIdleConns: number
  readonly maxIdleConnsPerHost: number
  readonly maxConnsPerHost: number
  readonly idleConnTimeoutMs: number
  readonly responseHeaderTimeoutMs: number
  readonly bodyTimeoutMs: number
  readonly keepAliveTimeoutThresholdMs: number
  readonly expectContinueTimeoutMs: number
  readonly disableKeepAlives: boolean
  readonly disableCompression: boolean
  /** 0: no limit. */
  readonly maxDecodedBodyBytes: number
  readonly maxResponseHeaderBytes: number
  readonly dialTimeoutMs: number
  readonly max1xxResponses: number
  /** The proxy function, or undefined when every request goes directly. */
  readonly proxy: ProxyFunc | undefined
  readonly proxyConnectHeader: Headers | undefined
  readonly tls: TlsClientOptions
  readonly tlsHandshakeTimeoutMs: number
  /** The Unix socket path for an origin (`protocol//host`), or undefined when none is set. */
  readonly socketPath: ((origin: string) => string | undefined) | undefined
  /** HTTP/1.1 allowed (`protocols.http1`). */
  readonly http1: boolean
  /** HTTP/2 over TLS offered in ALPN (`protocols.http2`). */
  readonly http2: boolean
  /** h2c with prior knowledge to http:// origins reached directly (`protocols.unencryptedHTTP2`). */
  readonly unencryptedHTTP2: boolean
  readonly h2StrictMaxConcurrentStreams: boolean
  /** 0: no health PINGs. */
  readonly h2SendPingTimeoutMs: number
  readonly h2PingTimeoutMs: number
}

/** The default for `maxIdleConnsPerHost` (see {@link TransportConfig.maxIdleConnsPerHost}). */
export const DEFAULT_MAX_IDLE_CONNS_PER_HOST = 100

const millis = (d: Duration.DurationInput | undefined, fallback: number): number =>
  d === undefined ? fallback : Duration.toMillis(Duration.decode(d))

/** The response head's default timeout: 300 s (undici's `headersTimeout`; Go has none). */
export const DEFAULT_RESPONSE_HEADER_TIMEOUT_MS = 300_000

/** The response body's default inactivity timeout: 300 s (undici's `bodyTimeout`; Go has none). */
export const DEFAULT_BODY_TIMEOUT_MS = 300_000

const count = (n: number | undefined, fallback: number): number =>
  n === undefined || !Number.isFinite(n) || n < 0 ? fallback : Math.floor(n)

/** The dial timeout of `config` in milliseconds (30 s by default), without resolving the rest. Never throws: a bad value gives the default (`validateTransportConfig` reports it). */
export const dialTimeoutMs = (config: TransportConfig): number => {
  try {
    return millis(config.dialTimeout, 30_000)
  } catch {
    return 30_000
  }
}

/**
 * Fills in the defaults. Expects a config that `validateTransportConfig` accepts (which returns
 * the same object); given other values it coerces them as before: a negative or non-finite
 * count takes the default.
 */
export const resolve = (config: TransportConfig = {}): ResolvedConfig => ({
  maxIdleConns: count(config.maxIdleConns, 100),
  maxIdleConnsPerHost: config.maxIdleConnsPerHost !== undefined && config.maxIdleConnsPerHost < 0
    ? 0 // Go: a negative MaxIdleConnsPerHost keeps no idle connection
    : count(config.maxIdleConnsPerHost, DEFAULT_MAX_IDLE_CONNS_PER_HOST),
  maxConnsPerHost: count(config.maxConnsPerHost, 0),
  idleConnTimeoutMs: millis(config.idleConnTimeout, 90_000),
  responseHeaderTimeoutMs: millis(config.responseHeaderTimeout, DEFAULT_RESPONSE_HEADER_TIMEOUT_MS),
  bodyTimeoutMs: millis(config.bodyTimeout, DEFAULT_BODY_TIMEOUT_MS),
  keepAliveTimeoutThresholdMs: millis(config.keepAliveTimeoutThreshold, 2_000),
  expectContinueTimeoutMs: millis(config.expectContinueTimeout, 1_000),
  disableKeepAlives: config.disableKeepAlives ?? false,
  disableCompression: config.disableCompression ?? false,
  maxDecodedBodyBytes: count(config.maxDecodedBodyBytes, 0),
  // Go: "Zero means to use a default limit."
  maxResponseHeaderBytes: config.maxResponseHeaderBytes === 0
    ? DEFAULT_MAX_RESPONSE_HEADER_BYTES
    : count(config.maxResponseHeaderBytes, DEFAULT_MAX_RESPONSE_HEADER_BYTES),
  dialTimeoutMs: dialTimeoutMs(config),
  max1xxResponses: count(config.max1xxResponses, Number.POSITIVE_INFINITY),
  proxy: proxyOf(config.proxy ?? "environment", config.env),
  proxyConnectHeader: config.proxyConnectHeader === undefined ? undefined : Headers.make(config.proxyConnectHeader),
  tls: config.tls ?? {},
  tlsHandshakeTimeoutMs: millis(config.tlsHandshakeTimeout, 10_000),
  socketPath: socketPathOf(config.socketPath),
  http1: config.protocols?.http1 ?? true,
  http2: config.protocols?.http2 ?? true,
  unencryptedHTTP2: config.protocols?.unencryptedHTTP2 ?? false,
  h2StrictMaxConcurrentStreams: config.http2?.strictMaxConcurrentStreams ?? false,
  h2SendPingTimeoutMs: millis(config.http2?.sendPingTimeout, 0),
  // Go: "If zero, a default of 15 seconds is used."
  h2PingTimeoutMs: millis(config.http2?.pingTimeout, 15_000) || 15_000
})

/** A `protocols` or `http2` setting that cannot be used: a flag that is not a boolean, or no protocol at all. */
const invalidProtocols = (config: TransportConfig): InvalidConfig | undefined => {
  const bad = (field: string, value: unknown, reason: string) => new InvalidConfig({ component: "Transport", field, value, reason })
  const p = config.protocols
  if (p !== undefined) {
    if (typeof p !== "object" || p === null) return bad("protocols", p, "an object with http1, http2 and unencryptedHTTP2 flags")
    for (const name of ["http1", "http2", "unencryptedHTTP2"] as const) {
      const v = p[name]
      if (v !== undefined && typeof v !== "boolean") return bad("protocols." + name, v, "a boolean")
    }
    if (p.http1 === false && p.http2 === false && p.unencryptedHTTP2 !== true) return bad("protocols", p, "at least one protocol is enabled")
  }
  const h = config.http2
  if (h !== undefined) {
    if (typeof h !== "object" || h === null) return bad("http2", h, "an object of HTTP/2 settings")
    if (h.strictMaxConcurrentStreams !== undefined && typeof h.strictMaxConcurrentStreams !== "boolean") {
      return bad("http2.strictMaxConcurrentStreams", h.strictMaxConcurrentStreams, "a boolean")
    }
    for (const check of [checkDuration("Transport", "http2.sendPingTimeout", h.sendPingTimeout), checkDuration("Transport", "http2.pingTimeout", h.pingTimeout)]) {
      if (Either.isLeft(check)) return check.left
    }
  }
  return undefined
}

/** `protocol//host` of an http or https URL, as a record key of `socketPath` names an origin; undefined for anything else. */
const originOf = (text: string): string | undefined => {
  try {
    const url = new URL(text)
    return url.protocol === "http:" || url.protocol === "https:" ? url.protocol + "//" + url.host : undefined
  } catch {
    return undefined
  }
}

const socketPathOf = (setting: TransportConfig["socketPath"]): ResolvedConfig["socketPath"] => {
  if (setting === undefined) return undefined
  if (typeof setting === "string") return () => setting
  const byOrigin = new Map<string, string>()
  for (const [origin, path] of Object.entries(setting)) {
    const key = originOf(origin)
    if (key !== undefined) byOrigin.set(key, path)
  }
  return (origin) => byOrigin.get(origin)
}

/** A `socketPath` setting that cannot be used: an empty path, or a record key that is not an http(s) origin. */
const invalidSocketPath = (setting: TransportConfig["socketPath"]): InvalidConfig | undefined => {
  if (setting === undefined) return undefined
  const bad = (value: unknown, reason: string) => new InvalidConfig({ component: "Transport", field: "socketPath", value, reason })
  if (typeof setting === "string") return setting === "" ? bad(setting, "a socket path is not empty") : undefined
  if (typeof setting !== "object" || setting === null) return bad(setting, "a path, or a record from origins to paths")
  for (const [origin, path] of Object.entries(setting)) {
    if (originOf(origin) === undefined) return bad(origin, "a record key is an http or https origin, such as \"http://localhost\"")
    if (typeof path !== "string" || path === "") return bad(path, `the path for ${origin} is a non-empty string`)
  }
  return undefined
}

/**
 * The first numeric setting of `config` that makes no sense, if any: every count and byte size
 * a whole number >= 0 (`maxIdleConnsPerHost` may be negative: keep none, as in Go), every
 * duration one that `Duration.decode` reads, not negative and not NaN (`Duration.infinity`
 * means never). Proxy settings are checked where they are read.
 */
const firstInvalid = (config: TransportConfig): InvalidConfig | undefined => {
  const checks = [
    checkInteger("Transport", "maxIdleConns", config.maxIdleConns, 0),
    checkInteger("Transport", "maxIdleConnsPerHost", config.maxIdleConnsPerHost, Number.MIN_SAFE_INTEGER),
    checkInteger("Transport", "maxConnsPerHost", config.maxConnsPerHost, 0),
    checkDuration("Transport", "idleConnTimeout", config.idleConnTimeout),
    checkDuration("Transport", "responseHeaderTimeout", config.responseHeaderTimeout),
    checkDuration("Transport", "bodyTimeout", config.bodyTimeout),
    checkDuration("Transport", "keepAliveTimeoutThreshold", config.keepAliveTimeoutThreshold),
    checkDuration("Transport", "expectContinueTimeout", config.expectContinueTimeout),
    checkInteger("Transport", "maxResponseHeaderBytes", config.maxResponseHeaderBytes, 0),
    checkInteger("Transport", "maxDecodedBodyBytes", config.maxDecodedBodyBytes, 0),
    checkDuration("Transport", "dialTimeout", config.dialTimeout),
    checkInteger("Transport", "max1xxResponses", config.max1xxResponses, 0),
    checkDuration("Transport", "tlsHandshakeTimeout", config.tlsHandshakeTimeout)
  ]
  for (const check of checks) if (Either.isLeft(check)) return check.left
  return undefined
}

/**
 * Checks the numeric settings of `config` and fills in the defaults: the resolved config, or
 * `InvalidConfig` naming the first setting that makes no sense (a negative count where a
 * negative means nothing, a fraction, NaN, an infinite count, a duration that does not parse
 * or is negative). For a valid config the result is `resolve(config)`.
 *
 * Pure and synchronous; an `Either` is an Effect, so a Layer can `yield*` it.
 *
 * @since 0.1.0
 * @category constructors
 */
export const validateTransportConfig = (config: TransportConfig = {}): Either.Either<ResolvedConfig, InvalidConfig> => {
  const invalid = firstInvalid(config) ?? invalidProxySetting(config.proxy) ?? invalidSocketPath(config.socketPath) ?? invalidProtocols(config)
  return invalid === undefined ? Either.right(resolve(config)) : Either.left(invalid)
}

/**
 * A proxy URL given in the settings that cannot be used (another scheme, no host, a character
 * Go's url.Parse refuses), as the build's error; proxies from the environment or a function are
 * checked per request, where they are read.
 */
const invalidProxySetting = (setting: ProxySetting | undefined): InvalidConfig | undefined => {
  if (setting === undefined || setting === "none" || setting === "environment" || typeof setting === "function") return undefined
  const url = setting instanceof URL ? checkProxyUrl("proxy", new URL(setting.href)) : parseProxy("proxy", setting)
  if (url instanceof URL) return undefined
  return new InvalidConfig({ component: "Transport", field: "proxy", value: url.value, reason: url.detail })
}

const proxyOf = (setting: ProxySetting, env: Readonly<Record<string, string | undefined>> | undefined): ProxyFunc | undefined => {
  if (setting === "none") return undefined
  if (setting === "environment") return proxyFromEnvironment(env ?? process.env)
  if (typeof setting === "function") return setting
  // One proxy for every request (Go's ProxyURL), checked once; a bad one fails every request.
  const url = setting instanceof URL ? checkProxyUrl("proxy", new URL(setting.href)) : parseProxy("proxy", setting)
  return () => url
}
