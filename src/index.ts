/**
 * effect-nethttp: Go's net/http as an Effect-native HTTP/1.1 stack. The public surface.
 *
 * @module
 */
export * as Body from "./domain/Body.js"
export * from "./domain/errors.js"
export { canonicalHeaderKey, Headers, type HeadersInput } from "./domain/Headers.js"
export * as Method from "./domain/Method.js"
export { Request, type RequestFields, type RequestOptions } from "./domain/Request.js"
export { Response, type ResponseFields, type ResponseOptions } from "./domain/Response.js"
export * as Status from "./domain/Status.js"
export { Event, Parser, type ParserLimits } from "./domain/http1/Parser.js"
export { type Framing, RequestHead, ResponseHead, type TargetForm } from "./domain/http1/MessageHead.js"
export * as Http1Writer from "./domain/http1/writer.js"
export * as Arbitraries from "./testing/arbitraries.js"
export { HttpTest, type TestServer, type TestServerOptions } from "./testing/HttpTest.js"
export { TEST_CERT, TEST_KEY } from "./testing/testCert.js"
export type { Conn, Receiver, TlsState } from "./net/Conn.js"
export { type DialAddress, Dialer, type DialerConfig, type DialerService } from "./net/Dialer.js"
export { ConnError, DialError, type DialFailure, ListenError } from "./net/errors.js"
export { listen, type Listener, type ListenOptions } from "./net/Listener.js"
export { pipe } from "./net/Pipe.js"
export { type HostStats, type PoolStats, Transport, type TransportService } from "./transport/Transport.js"
export { type ProxySetting, type TransportConfig } from "./transport/config.js"
export { type Phase, ProxyConnectError, TransportError, type TransportFailure } from "./transport/errors.js"
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
export { type ConfigComponent, InvalidConfig } from "./domain/configErrors.js"
export * as Redirect from "./transport/redirect.js"
export { RedirectError, type RedirectPolicy } from "./transport/redirect.js"
export { CookieJar, type CookieJarOptions, type CookieJarService } from "./transport/CookieJar.js"
export {
  InvalidProxy,
  type ProxyChoice,
  proxyFromEnvironment,
  type ProxyFunc
} from "./transport/proxyEnvironment.js"
export { type TlsClientOptions, type TlsMaterial } from "./net/tls.js"
export { Socks5Error, type Socks5Failure } from "./net/socks5.js"
export { TlsError, type TlsFailure } from "./net/errors.js"
export { ClientTrace, type ClientTraceHooks, type GotConnInfo } from "./transport/ClientTrace.js"
export { isUpgrade, UpgradeResponse } from "./transport/UpgradeResponse.js"
export { poolMetrics } from "./transport/ConnPool.js"
export { Server, type ServerService, type ServerStats } from "./server/Server.js"
export { type ConnInfo, type ConnState, type ServerOptions, type TlsOptions } from "./server/config.js"
export { type Handler } from "./server/Handler.js"
export { type Hijacked, ServerRequest, type ServerRequestInit } from "./server/ServerRequest.js"
export { RecordedInterim, RecordedResponse, recordResponse } from "./server/record.js"
export {
  Cookie,
  type CookieField,
  type CookieInit,
  InvalidCookie,
  parseCookieHeader,
  type SameSite,
  serializeSetCookie,
  validateCookie
} from "./domain/Cookie.js"
export * as ServerResponse from "./server/ServerResponse.js"
export {
  HijackError,
  InterimResponseError,
  InvalidStatusError,
  RequestBodyError,
  type RequestBodyFailure,
  ServerTimeoutError,
  ShutdownTimeout,
  type TimeoutPhase
} from "./server/errors.js"
export { detectContentType } from "./server/sniff.js"
export { AcceptError } from "./net/errors.js"
export { type ListenTls } from "./net/Listener.js"
export { InvalidPattern, type Match, Mux, MuxBuilder, type MuxError, PatternConflict, ServeMux, ServeMuxRoutes } from "./server/ServeMux.js"
export * as Handlers from "./server/handlers.js"
export { cleanPath } from "./server/cleanPath.js"
export { fileServer, serveFile } from "./server/fileServer.js"
export { type BytesContent, type ContentInfo, serveContent, type StreamedContent } from "./server/serveContent.js"
export * as NetHttpClient from "./platform/HttpClient.js"
export * as NetHttpServer from "./platform/HttpServer.js"
export * as NetHttpPlatform from "./platform/HttpPlatform.js"
export { clientAbortFiberId } from "./server/Handler.js"
