/**
 * Handing an open connection to `node:http2` once ALPN (or the client preface) chose HTTP/2:
 * our reader lets go of the stream (`RawConn.detach`), the bytes it had received and not read
 * go back into the stream for the session to read first, and a server-side TLS socket whose
 * handshake finished is marked so. The caller then gives the stream to `http2.connect`'s
 * `createConnection` or `http2.performServerHandshake`.
 *
 * @module
 * @internal
 */
import type { Duplex } from "node:stream"
import { TLSSocket } from "node:tls"
import type { RawConn } from "./Conn.js"

/**
 * The stream under `conn`, ready for a `node:http2` session: detached from `conn` (which still
 * closes it), with the unread input put back in front, after `taken`: bytes the caller had
 * received already (a server's look at the first bytes) and gives back.
 *
 * @internal
 */
export const handOver = (conn: RawConn, taken?: Uint8Array): Duplex => {
  const stream = conn.stream
  const buffered = conn.detach()
  const back = taken === undefined || taken.length === 0 ? buffered : buffered.length === 0 ? taken : Buffer.concat([taken, buffered])
  if (back.length > 0) stream.unshift(back)
  // A TLSSocket made with `isServer` and no tls.Server (our Listener's) keeps
  // `secureConnecting` true after its handshake (Node clears it only where it emits the
  // server's 'secureConnection'), and an Http2Session over a socket still "connecting" waits
  // for a 'secureConnect' that a server socket never emits. The handshake finished here (ALPN
  // was read), so say so.
  if (stream instanceof TLSSocket && (stream as TLSSocket & { secureConnecting?: boolean }).secureConnecting === true) {
    ;(stream as TLSSocket & { secureConnecting?: boolean }).secureConnecting = false
  }
  return stream
}
