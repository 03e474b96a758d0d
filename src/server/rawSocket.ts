/**
 * The raw socket operations the serve loop uses, in one place: push-mode input
 * (`RawConn.receive`), flow control (pause/resume), synchronous writes (`RawConn.writeNow`), a
 * corked vectored write, and what the write-stall judge reads (bytes flushed, bytes queued).
 * Everything else the server does with a connection goes through `Conn`'s Effects (`write`,
 * `drained`, `close`, `closeWrite`).
 *
 * The server's one user of the connection's raw operations (`RawConn`, internal to the
 * package): no other server module reads `stream`, `writeNow` or `receive`.
 *
 * May touch: the `Conn` and its stream; nothing of HTTP.
 *
 * @module
 * @internal
 */
import type { RawConn, Receiver } from "../net/Conn.js"

const CRLF = Buffer.from("\r\n", "latin1")

/**
 * A connection's raw operations (see the module's description); one per connection.
 *
 * @internal
 */
export class RawSocket {
  constructor(readonly conn: RawConn) {}

  /** Input goes to `receiver` from now on, synchronously from the socket's events; undefined stops it. */
  receive(receiver: Receiver | undefined): void {
    this.conn.receive(receiver)
  }

  /** Stops reading from the socket (too much input buffered). */
  pause(): void {
    this.conn.stream.pause()
  }

  /** Reads from the socket again. */
  resume(): void {
    this.conn.stream.resume()
  }

  /** Closes at once, without waiting (the input's end is then pushed to the receiver). */
  destroy(): void {
    this.conn.stream.destroy()
  }

  /** Writes now; false when the stream's buffer is full (wait for `conn.drained`). */
  writeNow(data: Uint8Array | string): boolean {
    return this.conn.writeNow(data)
  }

  /**
   * Writes a chunk of a chunked body without copying it: `head` (if any), the size line, the
   * bytes as they are and the CRLF, corked into one vectored write; false when the buffer is full.
   */
  writeChunkCorked(head: string | undefined, chunk: Uint8Array): boolean {
    const conn = this.conn
    const stream = conn.stream
    stream.cork()
    if (head !== undefined) conn.writeNow(head)
    conn.writeNow(chunk.length.toString(16) + "\r\n")
    conn.writeNow(chunk)
    const room = conn.writeNow(CRLF)
    stream.uncork()
    return room
  }

  /** Bytes the client has taken so far. */
  bytesFlushed(): number {
    return this.conn.bytesFlushed()
  }

  /** Whether nothing written waits in the stream's buffer. */
  nothingQueued(): boolean {
    return this.conn.stream.writableLength === 0
  }
}
