/**
 * The answer to a request that switched protocols (101, RFC 9110 §15.2.2): the response and
 * the raw connection, which has left the pool and now belongs to the caller.
 *
 * @module
 */
import { Effect, Option } from "effect"
import { Response, type ResponseFields } from "../domain/Response.js"
import type { Conn } from "../net/Conn.js"
import type { TransportError } from "./errors.js"

/**
 * A 101 Switching Protocols response with the connection it switched (Go's `Response.Body`
 * as an `io.ReadWriteCloser`). Reading `conn` first yields any bytes that arrived right after
 * the response head. The connection is closed when the Scope of the round trip closes.
 *
 * @since 0.1.0
 * @category models
 */
export class UpgradeResponse extends Response<TransportError> {
  constructor(fields: ResponseFields<TransportError>, readonly conn: Conn) {
    super(fields)
  }
}

/**
 * Whether `response` is a protocol switch carrying its connection.
 *
 * @since 0.1.0
 * @category guards
 */
export const isUpgrade = (response: Response<unknown>): response is UpgradeResponse => response instanceof UpgradeResponse

/** The upgraded connection, handing out `buffered` (bytes after the 101 head) before reading on. */
export const withBuffered = (conn: Conn, buffered: Uint8Array): Conn => {
  if (buffered.length === 0) return conn
  let pending: Uint8Array | undefined = buffered
  return {
    get remoteAddress() {
      return conn.remoteAddress
    },
    get remotePort() {
      return conn.remotePort
    },
    read: Effect.suspend(() => {
      const b = pending
      if (b === undefined) return conn.read
      pending = undefined
      return Effect.succeed(Option.some(b))
    }),
    write: conn.write,
    drained: conn.drained,
    closeWrite: conn.closeWrite,
    close: conn.close,
    closed: conn.closed,
    isClosed: conn.isClosed
  }
}
