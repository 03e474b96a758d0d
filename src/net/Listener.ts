/**
 * Listening for TCP (or TLS) connections, as a Scope-owned resource: the server's accept
 * loop takes connections from `accept`; closing the Scope stops listening and closes what
 * was never accepted.
 *
 * @module
 */
import { Effect, Either, type Runtime, type Scope } from "effect"
import * as net from "node:net"
import * as tls from "node:tls"
import { type Conn, fromDuplex, type RawConn } from "./Conn.js"
import { AcceptError, errorCode, errorDetail, ListenError } from "./errors.js"
import { makeProxyAccept, type ProxiedAddresses, type ProxyAccept } from "./proxyAccept.js"
import type { ProxyProtocolOptions } from "./proxyProtocol.js"
import { verifyClient } from "./tls.js"

/**
 * A listening socket.
 *
 * @since 0.1.0
 * @category models
 */
export interface Listener {
  /** The bound address: the real port when 0 was asked for ("localhost" and 0 for a Unix socket). */
  readonly host: string
  readonly port: number
  /** The Unix domain socket path listened on, if `path` was given. */
  readonly path?: string
  /**
   * The next connection, waiting for one when none is pending. The caller owns it. Fails when
   * accepting failed (too many open files, say): the caller backs off and tries again.
   */
  readonly accept: Effect.Effect<Conn, AcceptError>
  /**
   * Hands every connection to `handler` as it is accepted, inside Node's `connection` event
   * (those already pending first), and every accept error; `accept` is not used after. For a
   * server whose serve loop starts at once on its own scheduler: no fiber between the kernel's
   * accept and the loop (a hop through an accept fiber per connection, and a wait behind
   * whatever else that fiber's scheduler queued).
   *
   * @internal
   */
  readonly push: (handler: (item: RawConn | AcceptError) => void) => void
  /** Stops listening (new connections are refused) and closes what was never accepted. Idempotent. */
  readonly close: Effect.Effect<void>
}

/**
 * A key and certificate chain (PEM) to serve TLS with.
 *
 * @since 0.1.0
 * @category models
 */
export interface ListenTls {
  readonly key: string | Uint8Array
  readonly cert: string | Uint8Array
  /** ALPN protocols offered, in order. Default `["http/1.1"]`. */
  readonly alpnProtocols?: ReadonlyArray<string>
  /**
   * Ask every client for a certificate (mutual TLS). The chain it sends is verified against
   * `ca` (Node's bundled roots without it) and found on the Conn's `tlsState()`. Default false.
   */
  readonly requestCert?: boolean
  /** The certificate authorities (PEM) client certificates are verified against. */
  readonly ca?: string | Uint8Array | ReadonlyArray<string | Uint8Array>
  /**
   * With `requestCert`: close, right after the handshake, a connection whose client sent no
   * certificate or one that did not verify, before any of its bytes are read. Default true
   * when `requestCert` is set (Node's default).
   */
  readonly rejectUnauthorized?: boolean
}

/**
 * What to listen on.
 *
 * @since 0.1.0
 * @category models
 */
export interface ListenOptions {
  readonly host: string
  /** 0 picks a free port. */
  readonly port: number
  readonly backlog?: number
  /** Serve TLS: every accepted connection has finished its handshake. */
  readonly tls?: ListenTls
  /**
   * Listen on a Unix domain socket at this path in place of `host:port` (which then only name
   * the listener in errors). A file already at the path fails with EADDRINUSE (as Go: a stale
   * socket is not removed); the socket file is removed when the listener closes (as Go's
   * `UnixListener`).
   */
  readonly path?: string
  /**
   * Expect a PROXY protocol header (v1 or v2, HAProxy's proxy-protocol.txt) at the start of
   * every connection, sent by a trusted L4 balancer (HAProxy, AWS NLB, nginx): a Conn's
   * `remoteAddress`/`remotePort` (and `localAddress`/`localPort`) are then the ones the header
   * names. A connection from a peer not in `trusted` is closed at once; one whose header is
   * malformed, or not complete within `timeout`, is closed without being handed out. The
   * header is read before the TLS handshake. Not set: no header is expected, at no cost.
   */
  readonly proxyProtocol?: ProxyProtocolOptions
}

type Resume = (effect: Effect.Effect<Conn, AcceptError>) => void

/**
 * Listens on `host:port` (or the Unix socket at `path`) for as long as the Scope is open.
 *
 * @since 0.1.0
 * @category constructors
 */
export const listen = (options: ListenOptions): Effect.Effect<Listener, ListenError, Scope.Scope> =>
  options.proxyProtocol === undefined
    ? listenWith(options, undefined)
    : Effect.flatMap(Effect.runtime<never>(), (runtime) => listenWith(options, runtime))

/** `listen`, with the runtime PROXY header reads run on (given when `proxyProtocol` is set). */
const listenWith = (options: ListenOptions, runtime: Runtime.Runtime<never> | undefined): Effect.Effect<Listener, ListenError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<{ readonly server: net.Server; readonly listener: Listener }, ListenError>((resume) => {
      const pending: Array<RawConn | AcceptError> = []
      const waiters: Array<Resume> = []
      let listening = false
      let closed = false
      let pushTo: ((item: RawConn | AcceptError) => void) | undefined = undefined
      const deliver = (item: RawConn | AcceptError) => {
        if (pushTo !== undefined) return pushTo(item)
        const waiter = waiters.shift()
        if (waiter !== undefined) waiter(item instanceof AcceptError ? Effect.fail(item) : Effect.succeed(item))
        else pending.push(item)
      }
      const onSocket = (socket: net.Socket | tls.TLSSocket, addresses?: ProxiedAddresses) => {
        if (closed) socket.destroy()
        else deliver(addresses === undefined ? fromDuplex(socket) : fromDuplex(socket, addresses))
      }
      // With TLS, the handshake runs on the accepted connection, as Go's server does it: the
      // connection is handed out at once and its first read waits for the handshake, so the
      // owner's deadlines (a server's readHeaderTimeout) bound it, a client that leaves during
      // it ends the connection like any other, and closing the owner closes it. (A node
      // tls.Server would hold such connections where nobody can close them.)
      const path = options.path
      const where = path === undefined ? { host: options.host, port: options.port } : { host: "localhost", port: 0, path }
      const tlsOptions = options.tls
      let secureContext: tls.SecureContext | undefined = undefined
      try {
        if (tlsOptions !== undefined) {
          secureContext = tls.createSecureContext({
            key: toPem(tlsOptions.key),
            cert: toPem(tlsOptions.cert),
            ...(tlsOptions.ca === undefined ? {} : { ca: toPemList(tlsOptions.ca) })
          })
        }
      } catch (error) {
        return resume(Effect.fail(new ListenError({ ...where, code: "ERR_TLS_CONFIG", detail: `bad TLS key or certificate: ${errorDetail(error)}` })))
      }
      const alpn = tlsOptions === undefined ? [] : [...(tlsOptions.alpnProtocols ?? ["http/1.1"])]
      const requestCert = tlsOptions?.requestCert === true
      const rejectUnauthorized = requestCert && tlsOptions?.rejectUnauthorized !== false
      // allowHalfOpen: a client's FIN ends our reading only; the server still answers.
      const accepted = (socket: net.Socket, addresses?: ProxiedAddresses): void => {
        if (secureContext === undefined) return onSocket(socket, addresses)
        if (!requestCert) return onSocket(new tls.TLSSocket(socket, { isServer: true, secureContext, ALPNProtocols: alpn }), addresses)
        // Without a client certificate OpenSSL itself fails the handshake (with an alert) when
        // rejectUnauthorized is set; a chain that does not verify is judged once it finished.
        const secure = new tls.TLSSocket(socket, { isServer: true, secureContext, ALPNProtocols: alpn, requestCert, rejectUnauthorized })
        secure.once("secure", () => verifyClient(secure, rejectUnauthorized))
        onSocket(secure, addresses)
      }
      // PROXY protocol: the header is read on the plain socket, before TLS (proxyAccept.ts).
      let proxy: ProxyAccept | undefined = undefined
      if (options.proxyProtocol !== undefined && runtime !== undefined) {
        const made = makeProxyAccept(options.proxyProtocol, runtime, path === undefined, accepted)
        if (Either.isLeft(made)) return resume(Effect.fail(new ListenError({ ...where, code: "ERR_PROXY_CONFIG", detail: made.left })))
        proxy = made.right
      }
      const server = net.createServer({ noDelay: true, allowHalfOpen: true }, proxy === undefined ? (socket) => accepted(socket) : proxy.accept)
      server.on("error", (error) => {
        const code = errorCode(error)
        if (!listening) {
          resume(Effect.fail(new ListenError({ ...where, ...(code === undefined ? {} : { code }), detail: errorDetail(error) })))
        } else deliver(new AcceptError({ ...(code === undefined ? {} : { code }), detail: errorDetail(error) }))
      })
      const backlog = options.backlog ?? 511
      // libuv removes a Unix socket's file when the server closes (Go's unlinkOnClose), and
      // only a file it created: a failed listen leaves what was there.
      server.listen(path === undefined ? { host: options.host, port: options.port, backlog } : { path, backlog }, () => {
        listening = true
        const bound = server.address()
        const address = typeof bound === "object" && bound !== null ? { address: bound.address, port: bound.port } : { address: "localhost", port: 0 }
        const accept: Effect.Effect<Conn, AcceptError> = Effect.suspend(() => {
          const item = pending.shift()
          if (item !== undefined) return item instanceof AcceptError ? Effect.fail(item) : Effect.succeed(item)
          return Effect.async<Conn, AcceptError>((resumeAccept) => {
            waiters.push(resumeAccept)
            return Effect.sync(() => {
              const i = waiters.indexOf(resumeAccept)
              if (i >= 0) waiters.splice(i, 1)
            })
          })
        })
        // Stops listening at once; connections already accepted belong to whoever accepted
        // them (server.close's callback would wait for all of them to end).
        const close = Effect.sync(() => {
          if (closed) return
          closed = true
          server.close()
          proxy?.close()
          for (const item of pending.splice(0)) if (!(item instanceof AcceptError)) item.stream.destroy()
        })
        const push = (handler: (item: RawConn | AcceptError) => void): void => {
          pushTo = handler
          for (const item of pending.splice(0)) handler(item)
        }
        resume(Effect.succeed({ server, listener: { host: address.address, port: address.port, ...(path === undefined ? {} : { path }), accept, push, close } }))
      })
    }),
    ({ listener }) => listener.close
  ).pipe(Effect.map(({ listener }) => listener))

const toPem = (pem: string | Uint8Array): string | Buffer =>
  typeof pem === "string" ? pem : Buffer.from(pem.buffer, pem.byteOffset, pem.byteLength)

const toPemList = (ca: string | Uint8Array | ReadonlyArray<string | Uint8Array>): Array<string | Buffer> =>
  (typeof ca === "string" || ca instanceof Uint8Array ? [ca] : ca).map(toPem)
