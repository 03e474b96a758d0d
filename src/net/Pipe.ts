/**
 * An in-memory connection pair for unit tests: what one end writes, the other reads, with
 * the same backpressure, end-of-input and close behaviour as a TCP socket.
 *
 * @module
 */
import { Duplex } from "node:stream"
import { type Conn, fromDuplex, type RawConn } from "./Conn.js"

/** One end of an in-memory pipe. */
class PipeEnd extends Duplex {
  peer: PipeEnd | undefined = undefined
  /** The callback of a write the peer had no room for; called when the peer reads again. */
  private blocked: ((error?: Error | null) => void) | undefined = undefined

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const peer = this.peer
    if (peer === undefined || peer.destroyed) {
      callback(Object.assign(new Error("write to a closed pipe"), { code: "EPIPE" }))
      return
    }
    if (peer.push(chunk)) callback()
    else this.blocked = callback
  }

  override _read(): void {
    const peer = this.peer
    const blocked = peer?.blocked
    if (peer !== undefined && blocked !== undefined) {
      peer.blocked = undefined
      blocked()
    }
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.peer?.push(null)
    callback()
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const peer = this.peer
    // Like TCP: the peer reads end of input, and its writes fail from now on.
    if (peer !== undefined && !peer.destroyed && !peer.readableEnded) peer.push(null)
    const blocked = this.blocked
    this.blocked = undefined
    blocked?.(Object.assign(new Error("pipe closed"), { code: "EPIPE" }))
    callback(error)
  }
}

/** Two connected streams, not yet read from (for a `Dialer.dialStream` in tests). The caller destroys both. */
export const streamPipe = (): readonly [Duplex, Duplex] => {
  const a = new PipeEnd()
  const b = new PipeEnd()
  a.peer = b
  b.peer = a
  return [a, b]
}

/**
 * Two connected `Conn`s. The caller owns both and closes them.
 *
 * @since 0.1.0
 * @category constructors
 */
export const pipe = (): readonly [Conn, Conn] => rawPipe()

/**
 * `pipe`, with the Conns' raw operations (for the package's own tests and benchmarks).
 *
 * @internal
 */
export const rawPipe = (): readonly [RawConn, RawConn] => {
  const [a, b] = streamPipe()
  return [fromDuplex(a, { address: "pipe", port: 0 }), fromDuplex(b, { address: "pipe", port: 0 })]
}
