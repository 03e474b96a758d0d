/**
 * Waiting for a writable stream to take more, or to close first: the wait both HTTP/2 sides
 * make between body chunks. A `node:http2` stream's 'drain' comes when the peer's flow-control
 * window opens again; a reset closes the stream instead, and no 'drain' ever comes.
 *
 * @module
 * @internal
 */
import { Effect } from "effect"
import type { Duplex } from "node:stream"

const DRAINED = Effect.succeed(true)
const CLOSED = Effect.succeed(false)

/**
 * Completes with true at the stream's next 'drain', false at its 'close' if that comes first.
 * Interrupting the wait removes both listeners.
 *
 * @internal
 */
export const drainOrClose = (stream: Duplex): Effect.Effect<boolean> =>
  Effect.async<boolean>((resume) => {
    const done = () => {
      stream.off("drain", onDrain)
      stream.off("close", onClose)
    }
    const onDrain = () => {
      done()
      resume(DRAINED)
    }
    const onClose = () => {
      done()
      resume(CLOSED)
    }
    stream.on("drain", onDrain)
    stream.on("close", onClose)
    return Effect.sync(done)
  })
