/**
 * The client side of TLS over a connected stream, as Go's `tls.Client` + `HandshakeContext`
 * in `Transport.dialConn`: SNI, certificate verification on by default, ALPN `http/1.1`, and
 * a typed error that tells a certificate problem from a peer that does not speak TLS.
 *
 * @module
 */
import { Effect, type Scope } from "effect"
import * as crypto from "node:crypto"
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

/**
 * Which application protocols the handshake offers in ALPN, most wanted first. Default
 * `["http/1.1"]`; the Transport offers `["h2", "http/1.1"]` to an origin when HTTP/2 is on.
 *
 * @internal
 */
export type AlpnOffer = ReadonlyArray<string>

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

const HTTP1_ONLY: AlpnOffer = ["http/1.1"]

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
  options: TlsClientOptions = {},
  alpn: AlpnOffer = HTTP1_ONLY
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
      ALPNProtocols: [...alpn],
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

/**
 * One certificate of a TLS peer's chain, as Go's `*x509.Certificate` in
 * `ConnectionState.PeerCertificates`: the DER bytes (parse them with `new
 * crypto.X509Certificate(raw)` for anything not below) and the facts most checks need.
 *
 * @since 0.1.0
 * @category models
 */
export interface PeerCertificate {
  /** The certificate's DER encoding (Go's `Certificate.Raw`). */
  readonly raw: Uint8Array
  /**
   * The subject's distinguished name, one `type=value` per line in the certificate's order,
   * e.g. `"CN=alice\nO=Clients"` (Node's `X509Certificate.subject`).
   */
  readonly subject: string
  /** The issuer's distinguished name, in the same form as `subject`. */
  readonly issuer: string
  /** The subject alternative names, e.g. `"DNS:localhost, IP Address:127.0.0.1"`; undefined when there are none. */
  readonly subjectAltName: string | undefined
  /** The serial number in upper-case hexadecimal. */
  readonly serialNumber: string
  /** The start of the validity period (Go's `NotBefore`). */
  readonly validFrom: Date
  /** The end of the validity period (Go's `NotAfter`). */
  readonly validTo: Date
  /** The SHA-256 fingerprint of `raw`, as colon-separated upper-case hex pairs. */
  readonly fingerprint256: string
}

/**
 * What a TLS connection knows of its peer's certificate, read once, at the handshake.
 *
 * @internal
 */
export interface PeerFacts {
  /** The peer's chain, leaf first; empty when the peer sent no certificate. */
  readonly peerCertificates: ReadonlyArray<PeerCertificate>
  /** Whether the chain verified against the trusted CAs. */
  readonly authorized: boolean
  /** Why it did not verify (an OpenSSL code such as "UNABLE_TO_VERIFY_LEAF_SIGNATURE"), when it was verified and failed. */
  readonly authorizationError: string | undefined
}

/** A chain longer than this is cut (OpenSSL's default verify depth is 100; real chains are 2 to 4). */
const MAX_CHAIN = 16

/** The facts of one certificate, from its DER bytes. */
const toPeerCertificate = (raw: Buffer): PeerCertificate => {
  const x509 = new crypto.X509Certificate(raw)
  return {
    raw: new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength),
    subject: x509.subject,
    issuer: x509.issuer,
    subjectAltName: x509.subjectAltName,
    serialNumber: x509.serialNumber,
    validFrom: new Date(x509.validFrom),
    validTo: new Date(x509.validTo),
    fingerprint256: x509.fingerprint256
  }
}

/**
 * The peer's chain, leaf first, as Node's `getPeerCertificate(true)` links it (the issuers
 * the peer sent, completed from the trusted CAs where they were found); empty without one;
 * undefined when Node or the parser failed on it (nothing here may throw: it runs in a
 * socket's event handler).
 */
const chainOf = (socket: tls.TLSSocket): ReadonlyArray<PeerCertificate> | undefined => {
  try {
    const chain: Array<PeerCertificate> = []
    let cert: tls.DetailedPeerCertificate | undefined = socket.getPeerCertificate(true) as tls.DetailedPeerCertificate | undefined
    const seen = new Set<string>()
    while (cert !== undefined && cert.raw !== undefined && chain.length < MAX_CHAIN) {
      // A self-issued root is its own issuerCertificate.
      if (seen.has(cert.fingerprint256)) break
      seen.add(cert.fingerprint256)
      chain.push(toPeerCertificate(cert.raw))
      cert = cert.issuerCertificate as tls.DetailedPeerCertificate | undefined
    }
    return chain
  } catch {
    return undefined
  }
}

/** The verification result OpenSSL recorded in the handshake, from Node's handle (`tls.Server` reads it the same way). */
const verifyErrorOf = (socket: tls.TLSSocket): string | undefined => {
  const handle = (socket as unknown as { readonly _handle?: { readonly verifyError?: () => unknown } })._handle
  // Without the handle's check (a Node that changed it), nothing counts as verified.
  if (handle === undefined || typeof handle.verifyError !== "function") return "UNABLE_TO_VERIFY"
  try {
    const error = handle.verifyError()
    if (error === null || error === undefined) return undefined
    return errorCode(error) ?? "UNABLE_TO_VERIFY"
  } catch {
    return "UNABLE_TO_VERIFY"
  }
}

/** A TLS socket's peer facts, kept on the socket itself once read (no module-level table). */
const PEER_FACTS = Symbol("effect-nethttp/peerFacts")
type FactsSocket = tls.TLSSocket & { [PEER_FACTS]?: PeerFacts }

/** The verdict when the peer's certificates could not be read (never seen; a guard). */
const UNREADABLE = "UNREADABLE_PEER_CERTIFICATE"

const NO_PEER: PeerFacts = { peerCertificates: [], authorized: false, authorizationError: undefined }

/**
 * On a server's TLS socket that asked for a client certificate, once its handshake finished
 * ("secure"): verifies the client's chain (what `tls.Server` does for its sockets, which a
 * bare `TLSSocket` does not), records the chain and the verdict for `peerFactsOf`, and
 * destroys the socket when the client is not authorized and `reject` is set. A client without
 * a certificate is not authorized ("NO_PEER_CERTIFICATE").
 *
 * @internal
 */
export const verifyClient = (socket: tls.TLSSocket, reject: boolean): void => {
  const chain = chainOf(socket)
  const peerCertificates = chain ?? []
  const error = chain === undefined ? UNREADABLE : chain.length === 0 ? "NO_PEER_CERTIFICATE" : verifyErrorOf(socket)
  ;(socket as FactsSocket)[PEER_FACTS] = { peerCertificates, authorized: error === undefined, authorizationError: error }
  if (error !== undefined && reject) socket.destroy()
}

/**
 * The peer facts of `socket` once its handshake finished: those `verifyClient` recorded, or
 * else (a client socket, or a server socket that asked for no certificate) the chain the peer
 * sent and Node's verdict, read on first use and kept. Before the handshake: none, not kept.
 *
 * @internal
 */
export const peerFactsOf = (socket: tls.TLSSocket, handshakeComplete: boolean): PeerFacts => {
  const known = (socket as FactsSocket)[PEER_FACTS]
  if (known !== undefined) return known
  if (!handshakeComplete) return NO_PEER
  const reason: unknown = socket.authorizationError
  const chain = chainOf(socket)
  const authorized = socket.authorized && chain !== undefined
  const facts: PeerFacts = {
    peerCertificates: chain ?? [],
    authorized,
    authorizationError: chain === undefined
      ? UNREADABLE
      : authorized
      ? undefined
      : typeof reason === "string"
      ? reason
      : reason == null
      ? undefined
      : errorCode(reason)
  }
  ;(socket as FactsSocket)[PEER_FACTS] = facts
  return facts
}
