/**
 * The client side of TLS over a connected stream, as Go's `tls.Client` + `HandshakeContext`
 * in `Transport.dialConn`: SNI, certificate verification on by default, ALPN `http/1.1`, and
 * a typed error that tells a certificate problem from a peer that does not speak TLS.
 *
 * @module
 */
import { Effect, type Scope } from "effect"
import * as net from "node:net"
import type { Duplex } from "node:stream"
import * as tls from "node:tls"
import { errorCode, errorDetail, TlsError, type TlsFailure } from "./errors.js"

/**
 * PEM text or DER bytes.
 *
 * @since 0.1.0
 * @category models
 */
export type TlsMaterial = string | Buffer

/**
 * How the client side of TLS verifies and presents itself (Go's `tls.Config` for a client).
 *
 * @since 0.1.0
 * @category models
 */
export interface TlsClientOptions {
  /** Certificate authorities to trust instead of Node's bundled roots (Go's `RootCAs`). */
  readonly ca?: TlsMaterial | ReadonlyArray<TlsMaterial>
  /**
   * Skip verification of the server's certificate chain and name (Go's `InsecureSkipVerify`).
   * Only for tests: anyone on the path can then read and change the traffic.
   */
  readonly insecureSkipVerify?: boolean
  /** A client certificate chain, with `key`, for servers that ask for one. */
  readonly cert?: TlsMaterial
  /** The private key of `cert`. */
  readonly key?: TlsMaterial
  /** The name to send as SNI and verify the certificate against, in place of the URL's host (Go's `ServerName`). */
  readonly serverName?: string
  /** The lowest TLS version to accept. Default TLSv1.2 (Go's client default). */
  readonly minVersion?: tls.SecureVersion
}

// OpenSSL's codes for a certificate that did not verify, and Node's for a name mismatch.
const CERTIFICATE_CODE = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY|DECRYPT)|ALTNAME|HOSTNAME/

// What OpenSSL reports when the first bytes from the peer are not a TLS record: an HTTP
// response begins "HTTP/1.1", which reads as a record of an unknown version or length.
const NOT_TLS_CODE = /WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|RECORD_LAYER_FAILURE|UNKNOWN_PROTOCOL|HTTP_REQUEST/

const classify = (code: string | undefined, detail: string): TlsFailure => {
  if (code !== undefined && CERTIFICATE_CODE.test(code)) return "certificate"
  if ((code !== undefined && NOT_TLS_CODE.test(code)) || /wrong version number|packet length too long/i.test(detail)) return "not-tls"
  if (code === "ECONNRESET" || code === "EPIPE") return "closed"
  return "failed"
}

const detailOf = (reason: TlsFailure, code: string | undefined, error: unknown): string =>
  reason === "not-tls"
    ? `the server did not answer with TLS${code === undefined ? "" : ` (${code})`}: is it a plain HTTP server on an https URL?`
    : errorDetail(error)

const ignore = (): void => {}

const toArray = <A>(a: A | ReadonlyArray<A>): Array<A> => (Array.isArray(a) ? [...(a as ReadonlyArray<A>)] : [a as A])

/**
 * Runs a TLS client handshake over `stream` (a connected socket, or a tunnel through a proxy)
 * with `host` (a name or an IP literal, without brackets). The returned socket belongs to the
 * Scope: it is destroyed when the Scope closes, and at once when the handshake fails or is
 * interrupted. The handshake has no timeout of its own; the caller sets one.
 */
export const tlsClient = (
  stream: Duplex,
  host: string,
  options: TlsClientOptions = {}
): Effect.Effect<tls.TLSSocket, TlsError, Scope.Scope> =>
  Effect.gen(function*() {
    const name = options.serverName ?? host
    // RFC 6066 §3: SNI carries host names only, never IP literals.
    const servername = net.isIP(name) === 0 ? name : undefined
    const socket = tls.connect({
      socket: stream,
      host: name,
      ...(servername === undefined ? {} : { servername }),
      rejectUnauthorized: options.insecureSkipVerify !== true,
      ALPNProtocols: ["http/1.1"],
      minVersion: options.minVersion ?? "TLSv1.2",
      ...(options.ca === undefined ? {} : { ca: toArray(options.ca) }),
      ...(options.cert === undefined ? {} : { cert: options.cert }),
      ...(options.key === undefined ? {} : { key: options.key })
    })
    yield* Effect.addFinalizer(() => Effect.sync(() => socket.destroy()))
    yield* Effect.async<void, TlsError>((resume) => {
      const cleanup = () => {
        socket.off("secureConnect", onSecure)
        socket.off("error", onError)
        socket.off("close", onClose)
      }
      const fail = (reason: TlsFailure, detail: string, code?: string) => {
        cleanup()
        socket.destroy()
        resume(Effect.fail(new TlsError({ host: name, reason, detail, ...(code === undefined ? {} : { code }) })))
      }
      const onSecure = () => {
        cleanup()
        // Whoever reads the socket next handles its errors; none may go unhandled meanwhile.
        socket.on("error", ignore)
        resume(Effect.void)
      }
      const onError = (error: unknown) => {
        const code = errorCode(error)
        const reason = classify(code, errorDetail(error))
        fail(reason, detailOf(reason, code, error), code)
      }
      const onClose = () => fail("closed", "the connection closed during the TLS handshake")
      socket.once("secureConnect", onSecure)
      socket.once("error", onError)
      socket.once("close", onClose)
      return Effect.sync(() => {
        cleanup()
        socket.destroy()
      })
    })
    return socket
  })
