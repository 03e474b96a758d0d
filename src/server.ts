/**
 * `effect-nethttp/server`: the HTTP server — `Server` (listen, serve loop, timeouts, graceful
 * shutdown), `ServerRequest`, `ServerResponse`, `ServeMux`, handler helpers, the file server,
 * the server's errors, and the domain values a handler works with. Importing this entry point
 * loads neither the client's cookie jar (tough-cookie), nor `ws`, nor `@effect/platform`.
 *
 * @since 0.1.0
 * @module
 */
export * from "./values.js"
export { AcceptError, ConnError, ListenError, TlsError, type TlsFailure } from "./net/errors.js"
export { type ListenTls } from "./net/Listener.js"
export {
  parseProxyHeader,
  type ProxyAddress,
  type ProxyHeader,
  ProxyHeaderError,
  type ProxyHeaderFailure,
  type ProxyNeedMore,
  type ProxyParseResult,
  type ProxyProtocolOptions,
  TrustedPeers
} from "./net/proxyProtocol.js"
export type { TlsState } from "./net/Conn.js"
export type { PeerCertificate } from "./net/tls.js"
export { Server, type ServerService, type ServerStats } from "./server/Server.js"
export * as Cluster from "./server/cluster/Cluster.js"
export { type ConnInfo, type ConnState, type Http2ServerOptions, type Protocols, type ServerOptions, type TlsOptions } from "./server/config.js"
export { clientAbortFiberId, type Handler } from "./server/Handler.js"
export { type ForwardedFacts, type Hijacked, ServerRequest, type ServerRequestInit } from "./server/ServerRequest.js"
export { ServerReadiness, type ServerReadinessService } from "./server/readiness.js"
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
export {
  InvalidPattern,
  type Match,
  Mux,
  MuxBuilder,
  type MuxError,
  PatternConflict,
  ServeMux,
  ServeMuxRoutes
} from "./server/ServeMux.js"
export * as Handlers from "./server/handlers.js"
export { cleanPath } from "./server/cleanPath.js"
export { fileServer, serveFile } from "./server/fileServer.js"
export { type BytesContent, type ContentInfo, serveContent, type StreamedContent } from "./server/serveContent.js"
