/**
 * The Server's settings, with Go's `http.Server` field names in camelCase, and their
 * defaults. Go's timeouts all default to zero (none), which leaves a server open to
 * slow-loris clients; here every timeout has a safe non-zero default (README, "Differences
 * from Go"). 0 disables a timeout.
 *
 * @module
 */
import { type Context, Duration, type Effect, Either } from "effect"
import { type Check, checkDuration, checkInteger, InvalidConfig, isNegativeDurationInput } from "../domain/configErrors.js"
import { DEFAULT_MAX_REQUEST_HEADER_BYTES } from "../domain/http1/Parser.js"
import type { Handler } from "./Handler.js"
import { type ProxyProtocolOptions, TrustedPeers } from "../net/proxyProtocol.js"

export { type ConnInfo, connInfo, type ConnState } from "./connInfo.js"
import type { ConnInfo, ConnState } from "./connInfo.js"

/**
 * A key and certificate (PEM) for HTTPS, and whether to ask clients for certificates (mutual
 * TLS). Go's `tls.Config.ClientAuth` maps to:
 *
 * | Go `ClientAuth` | here |
 * |---|---|
 * | `NoClientCert` (the default) | `requestCert` not set |
 * | `RequestClientCert` | `requestCert: true, rejectUnauthorized: false` (the chain is verified anyway; see `authorized`) |
 * | `VerifyClientCertIfGiven` | `requestCert: true, rejectUnauthorized: false`, and the handler refuses a request whose `tls.peerCertificates` is not empty while `tls.authorized` is false (Go refuses it in the handshake) |
 * | `RequireAnyClientCert` | no equivalent: with `rejectUnauthorized` the chain must also verify |
 * | `RequireAndVerifyClientCert` | `requestCert: true` (`rejectUnauthorized` defaults to true) with `ca` |
 *
 * A handler finds the client's chain and the verdict on `request.tls` (`peerCertificates`,
 * `authorized`, `authorizationError`), read once per connection at the handshake.
 *
 * @since 0.1.0
 * @category models
 */
export interface TlsOptions {
  readonly key: string | Uint8Array
  readonly cert: string | Uint8Array
  /**
   * Ask every client for a certificate during the handshake (mutual TLS; Go's `ClientAuth`
   * other than `NoClientCert`). Default false.
   */
  readonly requestCert?: boolean
  /**
   * The certificate authorities (PEM) a client certificate must chain to (Go's `ClientCAs`);
   * Node's bundled roots when not set.
   */
  readonly ca?: string | Uint8Array | ReadonlyArray<string | Uint8Array>
  /**
   * With `requestCert`: refuse a client that sends no certificate, or one that does not verify
   * against `ca` (Go's `RequireAndVerifyClientCert`). Default true when `requestCert` is set
   * (Node's default). false serves such clients, with `request.tls.authorized` false. Without
   * `requestCert`, true is an `InvalidConfig` (no certificate would be asked for). A refused
   * client with no certificate gets a TLS alert in the handshake; one whose certificate did
   * not verify has its connection closed right after the handshake, before a byte of its
   * request is read (Go answers with a "bad certificate" alert).
   */
  readonly rejectUnauthorized?: boolean
}

/**
 * Which protocols the server speaks (Go 1.24's `http.Protocols`).
 *
 * @since 0.2.0
 * @category models
 */
export interface Protocols {
  /** HTTP/1.1 (and 1.0). Default true. */
  readonly http1?: boolean
  /**
   * HTTP/2 over TLS, chosen by the client in ALPN (`h2`). Default true; it needs `tls` (a
   * plain server ignores it).
   */
  readonly http2?: boolean
  /**
   * HTTP/2 without TLS, "prior knowledge" only (RFC 9113 §3.3: the client's first bytes are the
   * HTTP/2 preface; Go's `SetUnencryptedHTTP2`). Default false. `Upgrade: h2c` is not offered
   * (RFC 9113 §3.1 deprecates it).
   */
  readonly unencryptedHTTP2?: boolean
}

/**
 * HTTP/2 settings (Go 1.24's `http.HTTP2Config`, the part a server uses).
 *
 * @since 0.2.0
 * @category models
 */
export interface Http2ServerOptions {
  /**
   * Streams a client may have open at once on one connection (SETTINGS_MAX_CONCURRENT_STREAMS);
   * handlers running at once per connection are capped at this too. Default 250 (Go's). A whole
   * number from 1 to 2^31 - 1.
   */
  readonly maxConcurrentStreams?: number
}

/**
 * What `Server.layer` takes.
 *
 * @since 0.1.0
 * @category models
 */
export interface ServerOptions<E, R> {
  /** The address to listen on, e.g. "127.0.0.1". Required unless `path` is given. */
  readonly host?: string
  /** The port, 0 to 65535; 0 picks a free one (read it from the service's `port`). Required unless `path` is given. */
  readonly port?: number
  /**
   * Listen on a Unix domain socket at this path in place of `host` and `port` (which must then
   * be absent). A file already at the path fails with `ListenError` EADDRINUSE, as Go's does
   * (a stale socket is not removed); the socket file is removed when the server closes. The
   * service's `url` is then `http://localhost` (https with `tls`) and its `path` this path.
   */
  readonly path?: string
  /** Answers every request. Its failures and defects become 500 answers. */
  readonly handler: Handler<E, R>
  /**
   * From accepting a connection (or the end of the last response) to the end of a request head.
   * Default 10 s (Go: 0). 0 or a negative duration: no limit (Go's meaning of a negative one).
   */
  readonly readHeaderTimeout?: Duration.DurationInput
  /**
   * How long reading a request body may go without progress (no byte received while the body
   * is awaited): a stall, not a length, so a slow but moving upload lives. Default 60 s (Go: 0,
   * and Go's `ReadTimeout` caps the whole request instead; see `readTotalTimeout`). A body
   * read that runs out fails with `RequestBodyError` reason "timeout", answered 408. 0 or a
   * negative duration: no limit.
   */
  readonly readTimeout?: Duration.DurationInput
  /**
   * A cap on the whole request, from the end of its head to the end of its body (Go's
   * `ReadTimeout`, counted from the head). Default 0: none, `readTimeout` judges progress. A
   * negative duration: none (Go's meaning).
   */
  readonly readTotalTimeout?: Duration.DurationInput
  /**
   * How long writing a response may go without progress (bytes waiting for the client that it
   * does not take): a stall, not a length, so a long download or an event stream to a client
   * that reads lives, and one that stops reading is cut. Time a handler spends computing is not
   * a stall. Default 60 s (Go: 0; Go's `WriteTimeout` caps the whole answer, see `writeTotalTimeout`).
   * 0 or a negative duration: no limit.
   */
  readonly writeTimeout?: Duration.DurationInput
  /**
   * A cap on the whole answer, from the end of the request head to the end of the response
   * (Go's `WriteTimeout`): the handler's time included. Default 0: none; a negative duration too.
   */
  readonly writeTotalTimeout?: Duration.DurationInput
  /**
   * How long a keep-alive connection may wait for its next request. Default 120 s (Go: readTimeout,
   * else none). 0: `readHeaderTimeout` applies instead (as Go falls back to `ReadTimeout`); a
   * negative duration: no limit (Go's meaning).
   */
  readonly idleTimeout?: Duration.DurationInput
  /**
   * How long closing the layer's Scope lets in-flight requests finish before interrupting them.
   * Default 10 s. 0 interrupts them at once; not negative.
   */
  readonly shutdownTimeout?: Duration.DurationInput
  /**
   * How long a graceful shutdown keeps accepting and serving after it began, with the
   * readiness flipped to not ready (`Handlers.health` answers 503, answers say
   * `Connection: close`), before it stops accepting and drains (`shutdownTimeout` counts from
   * then): time for a load balancer to see the flip and stop sending (Kubernetes' preStop
   * sleep). Default 0 (Go has none); `close` skips it. Not negative.
   */
  readonly shutdownDelay?: Duration.DurationInput
  /** The request head limit (request line and header fields) in bytes; 0 means the default, 1 MiB (Go's DefaultMaxHeaderBytes). A whole number >= 0. */
  readonly maxHeaderBytes?: number
  /** The largest request body accepted; larger ones are answered 413. Default: no limit (Go's), as 0 and `Infinity`. A whole number >= 0. */
  readonly maxBodyBytes?: number
  /** Answer every request with `Connection: close`. Default false. */
  readonly disableKeepAlives?: boolean
  /** Serve HTTPS with this key and certificate (ALPN `http/1.1`). */
  readonly tls?: TlsOptions
  /** Called on every connection state change (Go's `ConnState`), in the connection's fiber. */
  readonly connState?: (info: ConnInfo, state: ConnState) => Effect.Effect<void>
  /** The listen backlog, 0 to 65535 (passed to the OS, which may raise a small one or cap a large one). Default 511. */
  readonly backlog?: number
  /**
   * Services for each connection (Go's `ConnContext`): run once per accepted connection, in
   * its fiber, before its first request is read (so before a TLS handshake completes); the
   * Context it yields is provided to every handler run on that connection, on top of the
   * handler's own, so a handler reads a service with `Effect.serviceOption(Tag)`. When it fails
   * or dies, the connection is closed and the failure logged (Go's server would crash on a
   * panic); the server goes on. Not set: no cost on the hot path.
   */
  readonly connContext?: (info: ConnInfo) => Effect.Effect<Context.Context<never>, unknown>
  /**
   * The protocols to speak (Go's `Server.Protocols`). Default: HTTP/1.1, and HTTP/2 when
   * serving TLS (offered in ALPN as `h2` before `http/1.1`); HTTP/2 without TLS only when
   * `unencryptedHTTP2` is set.
   */
  readonly protocols?: Protocols
  /** HTTP/2 settings (Go's `Server.HTTP2`). */
  readonly http2?: Http2ServerOptions
  /**
   * Behind an L4 balancer (HAProxy `send-proxy`/`send-proxy-v2`, AWS NLB, nginx
   * `proxy_protocol on`): every connection must begin with a PROXY protocol header, v1 or v2,
   * and `request.remoteAddress`/`remotePort` (and `ConnInfo`, logs, HTTP/2 streams) are the
   * client's it names. Only peers in `trusted` may connect: a connection from any other
   * address is closed at once, unanswered, and so is one whose header is malformed or not
   * complete within `timeout` (default: `readHeaderTimeout`, which then counts again for the
   * first request from the header's end). On a TLS server the header comes before the
   * handshake. A LOCAL (v2) or UNKNOWN header keeps the socket's own addresses. Default: not
   * set, no header is expected. `trusted` entries that do not parse are an `InvalidConfig`.
   */
  readonly proxyProtocol?: ProxyProtocolOptions
}

/** The defaults, in milliseconds (see {@link ServerOptions}). */
export const DEFAULTS = {
  readHeaderTimeoutMs: 10_000,
  readTimeoutMs: 60_000,
  writeTimeoutMs: 60_000,
  idleTimeoutMs: 120_000,
  shutdownTimeoutMs: 10_000,
  /** HTTP/2 on TLS connections (Go: on). */
  http2: true,
  /** Go's `defaultMaxStreams` (x/net/http2 server.go). */
  maxConcurrentStreams: 250
} as const

/** Settings with every default filled in, times in milliseconds. */
export interface ResolvedServerConfig {
  readonly readHeaderTimeoutMs: number
  readonly readTimeoutMs: number
  readonly readTotalTimeoutMs: number
  readonly writeTimeoutMs: number
  readonly writeTotalTimeoutMs: number
  readonly idleTimeoutMs: number
  readonly shutdownTimeoutMs: number
  readonly shutdownDelayMs: number
  readonly maxHeaderBytes: number
  readonly maxBodyBytes: number
  readonly disableKeepAlives: boolean
  readonly connState: ((info: ConnInfo, state: ConnState) => Effect.Effect<void>) | undefined
  readonly connContext: ((info: ConnInfo) => Effect.Effect<Context.Context<never>, unknown>) | undefined
  /** HTTP/1.x is served. */
  readonly http1: boolean
  /** HTTP/2 is offered in ALPN on TLS connections. */
  readonly http2: boolean
  /** HTTP/2 prior knowledge is accepted on plain connections. */
  readonly unencryptedHTTP2: boolean
  /** SETTINGS_MAX_CONCURRENT_STREAMS, and the cap on handlers running at once per HTTP/2 connection. */
  readonly maxConcurrentStreams: number
}

const millis = (d: Duration.DurationInput | undefined, fallback: number): number =>
  d === undefined ? fallback : Math.max(0, Duration.toMillis(Duration.decode(d)))

const positive = (n: number | undefined, fallback: number): number =>
  n === undefined || !Number.isFinite(n) || n <= 0 ? fallback : Math.floor(n)

/**
 * Fills in the defaults. Expects options that `validateServerOptions` accepts (which returns
 * the same object); given other values it coerces them as before.
 */
export const resolve = <E, R>(options: ServerOptions<E, R>): ResolvedServerConfig => ({
  readHeaderTimeoutMs: millis(options.readHeaderTimeout, DEFAULTS.readHeaderTimeoutMs),
  readTimeoutMs: millis(options.readTimeout, DEFAULTS.readTimeoutMs),
  readTotalTimeoutMs: millis(options.readTotalTimeout, 0),
  writeTimeoutMs: millis(options.writeTimeout, DEFAULTS.writeTimeoutMs),
  writeTotalTimeoutMs: millis(options.writeTotalTimeout, 0),
  // Go: "If negative ... there is no timeout" (0 falls back to readHeaderTimeout, as Go's to ReadTimeout).
  idleTimeoutMs: options.idleTimeout !== undefined && isNegativeDurationInput(options.idleTimeout)
    ? Number.POSITIVE_INFINITY
    : millis(options.idleTimeout, DEFAULTS.idleTimeoutMs),
  shutdownTimeoutMs: millis(options.shutdownTimeout, DEFAULTS.shutdownTimeoutMs),
  shutdownDelayMs: millis(options.shutdownDelay, 0),
  maxHeaderBytes: positive(options.maxHeaderBytes, DEFAULT_MAX_REQUEST_HEADER_BYTES),
  maxBodyBytes: positive(options.maxBodyBytes, Number.POSITIVE_INFINITY),
  disableKeepAlives: options.disableKeepAlives ?? false,
  connState: options.connState,
  connContext: options.connContext,
  http1: options.protocols?.http1 ?? true,
  http2: options.tls !== undefined && (options.protocols?.http2 ?? DEFAULTS.http2),
  unencryptedHTTP2: options.protocols?.unencryptedHTTP2 ?? false,
  maxConcurrentStreams: positive(options.http2?.maxConcurrentStreams, DEFAULTS.maxConcurrentStreams)
})

/**
 * The first numeric option that makes no sense, if any. Go's server reads a negative timeout
 * as "no timeout" (`ReadTimeout`, `ReadHeaderTimeout`, `WriteTimeout`, `IdleTimeout`), so a
 * negative request timeout is accepted with that meaning; a negative `shutdownTimeout`, size,
 * port or backlog is not.
 */
const firstInvalid = <E, R>(options: ServerOptions<E, R>): InvalidConfig | undefined => {
  const address = invalidAddress(options)
  if (address !== undefined) return address
  const checks = [
    checkInteger("Server", "port", options.port, 0, 65535, "a port number"),
    checkDuration("Server", "readHeaderTimeout", options.readHeaderTimeout, 0),
    checkDuration("Server", "readTimeout", options.readTimeout, 0),
    checkDuration("Server", "readTotalTimeout", options.readTotalTimeout, 0),
    checkDuration("Server", "writeTimeout", options.writeTimeout, 0),
    checkDuration("Server", "writeTotalTimeout", options.writeTotalTimeout, 0),
    checkDuration("Server", "idleTimeout", options.idleTimeout, Number.POSITIVE_INFINITY),
    checkDuration("Server", "shutdownTimeout", options.shutdownTimeout),
    checkDuration("Server", "shutdownDelay", options.shutdownDelay),
    checkInteger("Server", "maxHeaderBytes", options.maxHeaderBytes, 0),
    options.maxBodyBytes === Number.POSITIVE_INFINITY
      ? Either.right(undefined) // no limit, as the default
      : checkInteger("Server", "maxBodyBytes", options.maxBodyBytes, 0),
    checkInteger("Server", "backlog", options.backlog, 0, 65535),
    checkInteger("Server", "http2.maxConcurrentStreams", options.http2?.maxConcurrentStreams, 1, 2 ** 31 - 1),
    options.protocols !== undefined && options.protocols.http1 === false && !(options.protocols.unencryptedHTTP2 === true || (options.tls !== undefined && options.protocols.http2 !== false))
      ? Either.left(new InvalidConfig({ component: "Server", field: "protocols", value: options.protocols, reason: "no protocol left to serve: HTTP/2 needs tls (or unencryptedHTTP2) when http1 is off" }))
      : Either.right(undefined),
    options.tls?.rejectUnauthorized === true && options.tls.requestCert !== true
      ? Either.left(
        new InvalidConfig({
          component: "Server",
          field: "tls.rejectUnauthorized",
          value: true,
          reason: "no client certificate is asked for: set tls.requestCert: true as well (Go's RequireAndVerifyClientCert)"
        })
      )
      : Either.right(undefined),
    ...invalidProxyProtocol(options.proxyProtocol)
  ]
  for (const check of checks) if (Either.isLeft(check)) return check.left
  return undefined
}

/** `proxyProtocol`'s checks: a list of addresses and CIDR ranges, and a duration. */
const invalidProxyProtocol = (options: ProxyProtocolOptions | undefined): Array<Check<unknown>> => {
  if (options === undefined) return []
  if (typeof options !== "object" || options === null) {
    return [Either.left(new InvalidConfig({ component: "Server", field: "proxyProtocol", value: options, reason: "an object: { trusted, timeout? }" }))]
  }
  const trusted = TrustedPeers.parse(options.trusted)
  return [
    Either.isLeft(trusted)
      ? Either.left(new InvalidConfig({ component: "Server", field: "proxyProtocol.trusted", value: trusted.left.entry, reason: trusted.left.reason }))
      : Either.right(undefined),
    checkDuration("Server", "proxyProtocol.timeout", options.timeout, 0)
  ]
}

/** Where to listen: `host` and `port`, or `path`, never both. */
const invalidAddress = <E, R>(options: ServerOptions<E, R>): InvalidConfig | undefined => {
  const bad = (field: string, value: unknown, reason: string) => new InvalidConfig({ component: "Server", field, value, reason })
  if (options.path !== undefined) {
    if (typeof options.path !== "string" || options.path === "") return bad("path", options.path, "a Unix socket path is a non-empty string")
    if (options.host !== undefined) return bad("host", options.host, "host and port, or path: not both")
    if (options.port !== undefined) return bad("port", options.port, "host and port, or path: not both")
    return undefined
  }
  if (options.host === undefined) return bad("host", options.host, "required (or a Unix socket path)")
  if (options.port === undefined) return bad("port", options.port, "required (or a Unix socket path)")
  return undefined
}

/**
 * Checks where to listen (`host` and `port`, or `path`), the numeric options (`port`, the
 * timeouts, `maxHeaderBytes`, `maxBodyBytes`, `backlog`), `tls.rejectUnauthorized` (only
 * with `tls.requestCert`) and `proxyProtocol` (its `trusted` addresses and ranges, its
 * `timeout`), and fills in the defaults: the resolved settings, or
 * `InvalidConfig` naming the first option that makes no sense (both `path` and
 * `host`/`port`, or neither, a negative size, a fraction, NaN, a port or backlog out of
 * 0..65535, a duration that does not parse, a negative `shutdownTimeout`). For valid options
 * the result is `resolve(options)`.
 *
 * Pure and synchronous; an `Either` is an Effect, so a Layer can `yield*` it.
 *
 * @since 0.1.0
 * @category constructors
 */
export const validateServerOptions = <E, R>(options: ServerOptions<E, R>): Either.Either<ResolvedServerConfig, InvalidConfig> => {
  const invalid = firstInvalid(options)
  return invalid === undefined ? Either.right(resolve(options)) : Either.left(invalid)
}
