/**
 * effect-nethttp: Go's net/http as an Effect-native HTTP/1.1 stack. The public surface.
 *
 * @module
 */
export * as Body from "./domain/Body.js"
export * from "./domain/errors.js"
export { canonicalHeaderKey, Headers, type HeadersInput } from "./domain/Headers.js"
export * as Method from "./domain/Method.js"
export { Request } from "./domain/Request.js"
export { Response } from "./domain/Response.js"
export * as Status from "./domain/Status.js"
export { Event, Parser, type ParserLimits } from "./domain/http1/Parser.js"
export { type Framing, RequestHead, ResponseHead, type TargetForm } from "./domain/http1/MessageHead.js"
export * as Http1Writer from "./domain/http1/writer.js"
export * as Arbitraries from "./testing/arbitraries.js"
export type { Conn } from "./net/Conn.js"
export { type DialAddress, Dialer, type DialerConfig, type DialerService } from "./net/Dialer.js"
export { ConnError, DialError, ListenError } from "./net/errors.js"
export { listen, type Listener, type ListenOptions } from "./net/Listener.js"
export { pipe } from "./net/Pipe.js"
export { type HostStats, type PoolStats, Transport, type TransportService } from "./transport/Transport.js"
export { type TransportConfig } from "./transport/config.js"
export { type Phase, TransportError, type TransportFailure } from "./transport/errors.js"
export { ClientTrace, type ClientTraceHooks, type GotConnInfo } from "./transport/ClientTrace.js"
export { isUpgrade, UpgradeResponse } from "./transport/UpgradeResponse.js"
export { poolMetrics } from "./transport/ConnPool.js"
