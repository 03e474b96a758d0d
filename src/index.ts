/**
 * effect-nethttp: Go's net/http as an Effect-native HTTP/1.1 stack. The public surface: every
 * entry point's exports (`client`, `server`, `platform`, `testing`), and the HTTP/1.1 codec and
 * raw connections, which are only here.
 *
 * @module
 */
export * from "./client.js"
export * from "./server.js"
export * from "./platform.js"
export * from "./testing.js"
export { Event, Parser, type ParserLimits } from "./domain/http1/Parser.js"
export { type Framing, RequestHead, ResponseHead, type TargetForm } from "./domain/http1/MessageHead.js"
export * as Http1Writer from "./domain/http1/writer.js"
export type { Conn, Receiver, TlsState } from "./net/Conn.js"
export type { PeerCertificate } from "./net/tls.js"
export { listen, type Listener, type ListenOptions } from "./net/Listener.js"
export { pipe } from "./net/Pipe.js"
