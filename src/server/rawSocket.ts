/**
 * The raw socket operations the serve loop uses, in one place: functions over the connection's
 * `RawConn` (no object of their own, so an idle connection carries nothing for them): flow
 * control (pause/resume), destroy, a corked vectored write, and what the write-stall judge
 * reads (bytes queued). The connection's `RawConn` itself gives push-mode input (`receive`),
 * synchronous writes (`writeNow`) and the bytes flushed. Everything else the server does with
 * a connection goes through `Conn`'s Effects (`write`, `drained`, `close`, `closeWrite`).
 *
 * The server's one user of the connection's stream: no other server module reads `stream`.
 *
 * May touch: the `Conn` and its stream; nothing of HTTP.
 *
 * @module
 * @internal
 */
import { TLSSocket } from "node:tls"
import type { RawConn } from "../net/Conn.js"

const CRLF = Buffer.from("\r\n", "latin1")

/**
 * Stops reading from the socket (too much input buffered).
 *
 * @internal
 */
export const pause = (conn: RawConn): void => {
  conn.stream.pause()
}

/**
 * Reads from the socket again.
 *
 * @internal
 */
export const resume = (conn: RawConn): void => {
  conn.stream.resume()
}

/**
 * Closes at once, without waiting (the input's end is then pushed to the receiver).
 *
 * @internal
 */
export const destroy = (conn: RawConn): void => {
  // The Conn's own close: what a corked tick holds (`corkForThisTick`) goes out first.
  conn.closeNow()
}

/**
 * Writes a chunk of a chunked body without copying it: `head` (if any), the size line, the
 * bytes as they are and the CRLF, corked into one vectored write; false when the buffer is full.
 *
 * @internal
 */
export const writeChunkCorked = (conn: RawConn, head: string | undefined, chunk: Uint8Array): boolean => {
  const stream = conn.stream
  stream.cork()
  if (head !== undefined) conn.writeNow(head)
  conn.writeNow(chunk.length.toString(16) + "\r\n")
  conn.writeNow(chunk)
  const room = conn.writeNow(CRLF)
  stream.uncork()
  return room
}

/**
 * Holds this tick's writes in the stream and sends them as one vectored write on the next
 * tick (what node:http's `OutgoingMessage` does at a response's first write): a streamed
 * answer whose chunks come at once (a head, a chunk and the last chunk) costs one syscall,
 * not one per write, while a chunk that comes later still goes out as soon as it is written.
 * Idempotent within a tick: true when this call corked.
 *
 * @internal
 */
export const corkForThisTick = (conn: RawConn): boolean => {
  const stream = conn.stream
  if (stream.writableCorked > 0) return false
  stream.cork()
  process.nextTick(uncork, stream)
  return true
}

const uncork = (stream: RawConn["stream"]): void => {
  // Every cork of ours is undone here; a stream destroyed meanwhile ignores it.
  while (stream.writableCorked > 0) stream.uncork()
}

/**
 * Whether nothing written waits in the stream's buffer.
 *
 * @internal
 */
export const nothingQueued = (conn: RawConn): boolean => conn.stream.writableLength === 0

/**
 * The protocol the client chose in ALPN on a TLS connection whose handshake finished ("" when
 * it chose none); undefined for a plain connection.
 *
 * @internal
 */
export const alpnProtocol = (conn: RawConn): string | undefined => {
  const stream = conn.stream
  if (!(stream instanceof TLSSocket)) return undefined
  return typeof stream.alpnProtocol === "string" ? stream.alpnProtocol : ""
}
