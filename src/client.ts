/**
 * `effect-nethttp/client`: the HTTP client — the `Transport` (connection pool, proxies, TLS),
 * the `Client` on top of it (redirects, cookies, timeouts), `ClientTrace`, and the domain values
 * a client works with. Importing this entry point loads neither the server nor
 * `@effect/platform`.
 *
 * @since 0.1.0
 * @module
 */
export * from "./values.js"
export { type DialAddress, Dialer, type DialerConfig, type DialerService } from "./net/Dialer.js"
export { ConnError, DialError, type DialFailure, TlsError, type TlsFailure } from "./net/errors.js"
export { type TlsClientOptions, type TlsMaterial } from "./net/tls.js"
export { Socks5Error, type Socks5Failure } from "./net/socks5.js"
export { type HostStats, type PoolStats, Transport, type TransportService } from "./transport/Transport.js"
export { type ProxySetting, type TransportConfig } from "./transport/config.js"
export { DecodedBodyTooLarge, type Phase, ProxyConnectError, TransportError, type TransportFailure } from "./transport/errors.js"
export {
  Client,
  type ClientBodyInit,
  type ClientConfig,
  type ClientError,
  type ClientMiddleware,
  type ClientRequestInit,
  type ClientRequestOptions,
  type ClientService,
  type Execute,
  type RequestError
} from "./transport/Client.js"
export { type RoundTrip, type TransportMiddleware } from "./transport/roundTrip.js"
export * as Middleware from "./transport/middleware.js"
export * as Redirect from "./transport/redirect.js"
export { RedirectError, type RedirectPolicy } from "./transport/redirect.js"
export { CookieJar, type CookieJarOptions, type CookieJarService } from "./transport/CookieJar.js"
export {
  InvalidProxy,
  type ProxyChoice,
  proxyFromEnvironment,
  type ProxyFunc
} from "./transport/proxyEnvironment.js"
export { ClientTrace, type ClientTraceHooks, type GotConnInfo } from "./transport/ClientTrace.js"
export { isUpgrade, UpgradeResponse } from "./transport/UpgradeResponse.js"
export { poolMetrics } from "./transport/ConnPool.js"
