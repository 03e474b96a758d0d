/**
 * Socket writes gathered over one turn of the event loop: a stream written through a batch is
 * corked at its first write and uncorked, with every other stream of the batch, in one
 * `setImmediate`, once the turn's I/O callbacks have run.
 *
 * A client answering many connections' responses with new requests then sends them together,
 * and a server answering the requests a turn brought sends the answers together, so the peer
 * wakes once per turn instead of once per message. On a loopback or a VM a wake-up (an
 * inter-processor interrupt) costs more than the write itself, and a peer woken message by
 * message never gets busy enough to stop sleeping. undici waits a turn before it reuses a
 * socket for the same effect. The delay is one turn at most: `setImmediate` runs right after
 * the turn's I/O callbacks, and the loop does not block for I/O while one is pending.
 *
 * @module
 */
import type { Writable } from "node:stream"
import type { RawConn } from "./Conn.js"

/** Writes of one owner (a Transport, a Server), flushed together after the current turn. */
export class WriteBatch {
  private corked: Array<Writable> = []
  private scheduled = false

  private readonly flush = (): void => {
    this.scheduled = false
    const streams = this.corked
    this.corked = []
    // A destroyed stream ignores its uncork; the others write what they hold in one syscall.
    for (const stream of streams) stream.uncork()
  }

  /** Hands `data` to `conn` now, to reach the socket after this turn (see `Conn.writeNow`). */
  write(conn: RawConn, data: Uint8Array | string): boolean {
    const stream = conn.stream
    if (stream.writableCorked === 0) {
      stream.cork()
      this.corked.push(stream)
      if (!this.scheduled) {
        this.scheduled = true
        setImmediate(this.flush)
      }
    }
    return conn.writeNow(data)
  }
}
