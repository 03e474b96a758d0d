/**
 * Opening a connection along a {@link Route}, as Go's `Transport.dialConn`: TCP to the server
 * or the proxy; TLS to an https proxy; the proxy's handshake (a CONNECT tunnel, or SOCKS5);
 * TLS to an https server. Each step fails with the phase it belongs to, and every stream opened
 * belongs to the caller's Scope.
 *
 * @module
 */
import { Effect, type Scope } from "effect"
import type { Duplex } from "node:stream"
import type { Headers } from "../domain/Headers.js"
import { sanitizeFieldValue } from "../domain/http1/writer.js"
import { fromDuplex, type RawConn } from "../net/Conn.js"
import type { DialerService } from "../net/Dialer.js"
import type { DialError, TlsError } from "../net/errors.js"
import { HandshakeReader } from "../net/handshakeReader.js"
import { socks5Handshake } from "../net/socks5.js"
import { type AlpnOffer, tlsClient } from "../net/tls.js"
import type { ClientTraceHooks } from "./ClientTrace.js"
import type { ResolvedConfig } from "./config.js"
import { ProxyConnectError, type TransportFailure } from "./errors.js"
import type { Failure } from "./PersistConn.js"
import type { Route } from "./route.js"

const dialFailure = (error: DialError, viaProxy: string | undefined): Failure => ({
  phase: "dial",
  reason: error.reason === "refused" ? "refused" : error.reason === "unreachable" ? "unreachable" : error.reason === "timeout" ? "timeout" : "dial-failed",
  detail: viaProxy === undefined ? error.message : `proxy ${viaProxy}: ${error.message}`,
  cause: error,
  nothingWritten: true,
  closedBeforeResponse: false,
  ...(error.code !== undefined ? { code: error.code } : {})
})

const tlsFailure = (error: TlsError): Failure => ({
  phase: "tls-handshake",
  reason: error.reason === "certificate" ? "certificate" : error.reason === "not-tls" ? "not-tls" : error.reason === "timeout" ? "timeout" : error.reason === "closed" ? "closed" : "tls-failed",
  detail: error.message,
  cause: error,
  nothingWritten: true,
  closedBeforeResponse: false,
  ...(error.code !== undefined ? { code: error.code } : {})
})

const proxyFailure = (reason: TransportFailure, detail: string, cause?: unknown): Failure => ({
  phase: "proxy",
  reason,
  detail,
  ...(cause === undefined ? {} : { cause }),
  nothingWritten: true,
  closedBeforeResponse: false
})

/** TLS over `stream` with `host`, within the configured handshake timeout. */
const handshake = (
  stream: Duplex,
  host: string,
  config: ResolvedConfig,
  trace: ClientTraceHooks | undefined,
  alpn?: AlpnOffer
): Effect.Effect<Duplex, Failure, Scope.Scope> => {
  trace?.tlsHandshakeStart?.()
  const tls = tlsClient(stream, host, config.tls, alpn)
  const timed = config.tlsHandshakeTimeoutMs > 0
    ? Effect.timeoutFail(tls, {
      duration: config.tlsHandshakeTimeoutMs,
      onTimeout: (): Failure => ({
        phase: "tls-handshake",
        reason: "timeout",
        detail: `TLS handshake with ${host} timed out after ${config.tlsHandshakeTimeoutMs} ms`,
        nothingWritten: true,
        closedBeforeResponse: false
      })
    })
    : tls
  return timed.pipe(
    Effect.mapError((e): Failure => ("_tag" in e && e._tag === "TlsError" ? tlsFailure(e) : e as Failure)),
    Effect.tapBoth({
      onFailure: (f) => Effect.sync(() => trace?.tlsHandshakeDone?.(f.detail)),
      onSuccess: () => Effect.sync(() => trace?.tlsHandshakeDone?.(undefined))
    })
  )
}

// RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ]
const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})(?: ([^\r\n]*))?\r\n/

/**
 * A CONNECT tunnel to `route.hostPort` through the HTTP proxy at the other end of `stream`
 * (Go's `dialConn` for an https URL through an HTTP proxy). The proxy must answer 200; it
 * must send nothing more before the client speaks (the server inside will not speak first).
 */
const connectTunnel = (
  stream: Duplex,
  route: Route,
  connectHeader: Headers | undefined,
  maxHeadBytes: number
): Effect.Effect<void, Failure> =>
  Effect.suspend(() => {
    const proxy = route.proxy!
    let head = `CONNECT ${route.hostPort} HTTP/1.1\r\nHost: ${route.hostPort}\r\n`
    let hasAuth = false
    if (connectHeader !== undefined) {
      for (const [name, value] of connectHeader) {
        if (name === "Host") continue
        if (name === "Proxy-Authorization") hasAuth = true
        head += name + ": " + sanitizeFieldValue(value) + "\r\n"
      }
    }
    if (proxy.authorization !== undefined && !hasAuth) head += "Proxy-Authorization: " + proxy.authorization + "\r\n"
    head += "\r\n"
    const reader = HandshakeReader.attach(stream)
    stream.write(head, "latin1")
    return reader.readHead(maxHeadBytes).pipe(
      Effect.mapError((e) => proxyFailure(e.reason === "too-large" ? "malformed" : "closed", `proxy ${proxy.display}: CONNECT: ${e.message}`, e)),
      Effect.flatMap((bytes) => {
        const leftover = reader.detach()
        const match = STATUS_LINE.exec(bytes.toString("latin1"))
        if (match === null) return Effect.fail(proxyFailure("malformed", `proxy ${proxy.display}: CONNECT: malformed response`))
        const status = Number(match[1])
        if (status !== 200) {
          const error = new ProxyConnectError({ proxy: proxy.display, target: route.hostPort, status, statusText: match[2] ?? "" })
          return Effect.fail(proxyFailure("proxy-refused", error.message, error))
        }
        if (leftover.length > 0) return Effect.fail(proxyFailure("malformed", `proxy ${proxy.display}: bytes after the CONNECT response, before the client spoke`))
        return Effect.void
      }),
      Effect.onExit(() => Effect.sync(() => reader.detach()))
    )
  })

const H2_H1: AlpnOffer = ["h2", "http/1.1"]
const H2_ONLY: AlpnOffer = ["h2"]
const H1_ONLY: AlpnOffer = ["http/1.1"]

/** The ALPN offer to an https server along `route` (Go: h2 unless the request needs HTTP/1.1 or h2 is off). */
export const alpnFor = (route: Route, config: ResolvedConfig): AlpnOffer =>
  route.onlyH1 || !config.http2 ? H1_ONLY : config.http1 ? H2_H1 : H2_ONLY

/**
 * Opens a connection along `route`. Every stream it opens is destroyed when the Scope closes;
 * a failure says in which phase it happened (`dial`, `proxy` or `tls-handshake`).
 */
export const connect = (
  dialer: DialerService,
  route: Route,
  config: ResolvedConfig,
  trace: ClientTraceHooks | undefined
): Effect.Effect<RawConn, Failure, Scope.Scope> =>
  Effect.gen(function*() {
    const proxy = route.proxy
    const unixPath = route.address.path
    const network = unixPath === undefined ? "tcp" : "unix"
    const addr = unixPath ?? route.address.host + ":" + route.address.port
    trace?.connectStart?.(network, addr)
    const tcp = yield* dialer.dialStream(route.address).pipe(
      Effect.tapError((e) => Effect.sync(() => trace?.connectDone?.(network, addr, e.message))),
      Effect.mapError((e) => dialFailure(e, proxy?.display))
    )
    trace?.connectDone?.(network, addr, undefined)
    let stream: Duplex = tcp
    if (proxy !== undefined) {
      if (proxy.kind === "https") stream = yield* handshake(stream, proxy.hostname, config, trace)
      const step = proxy.kind === "socks5"
        ? socks5Handshake(stream, route.target, proxy.socksAuth).pipe(
          Effect.mapError((e) =>
            proxyFailure(
              e.reason === "closed" ? "closed" : e.reason === "protocol" ? "malformed" : "proxy-refused",
              `socks5 proxy ${proxy.display}: ${e.message}`,
              e
            )
          )
        )
        : route.tunnel
        ? connectTunnel(stream, route, config.proxyConnectHeader, config.maxResponseHeaderBytes)
        : Effect.void
      // The proxy's handshake shares the dial timeout (Go bounds it by the dial's context).
      yield* config.dialTimeoutMs > 0
        ? Effect.timeoutFail(step, {
          duration: config.dialTimeoutMs,
          onTimeout: () => proxyFailure("timeout", `proxy ${proxy.display}: no handshake within ${config.dialTimeoutMs} ms`)
        })
        : step
    }
    // ALPN to the server only (never to an https proxy: no h2 to the proxy itself).
    if (route.scheme === "https:") stream = yield* handshake(stream, route.target.host, config, trace, alpnFor(route, config))
    const socket = tcp as Partial<{ remoteAddress: string; remotePort: number }>
    const conn = fromDuplex(stream, { address: socket.remoteAddress, port: socket.remotePort })
    yield* Effect.addFinalizer(() => conn.close)
    return conn
  })
