/**
 * A served connection's input, in push mode: every chunk the socket gives is fed to the
 * request parser at once, and the serve loop, when it needs more, waits on one `Effect.async`
 * that the next chunk (or the input's end) resumes. Too much input buffered unparsed (a
 * handler not reading its body) pauses the socket until the parser has consumed most of it.
 *
 * May touch: the parser, its waiters, and the socket's pause/resume (`rawSocket.ts`). What
 * input means (a parked connection waking, a handler to interrupt) is the serve loop's.
 *
 * @module
 * @internal
 */
import { Effect } from "effect"
import type { RequestHead } from "../domain/http1/MessageHead.js"
import { Parser } from "../domain/http1/Parser.js"
import type { RawConn } from "../net/Conn.js"
import type { ConnError } from "../net/errors.js"
import * as RawSocket from "./rawSocket.js"

/** Input buffered unparsed before the socket is paused (a handler not reading its body). */
const PAUSE_ABOVE = 256 << 10
const VOID = Effect.void

/**
 * One connection's input (see the module's description).
 *
 * @internal
 */
export class ConnInput {
  readonly parser: Parser<RequestHead>
  /** Bytes received so far (the progress a read stall is judged by). */
  bytesIn = 0
  /** The input ended (the client's FIN, an error, or our destroy). */
  eof = false
  /** Why the input ended, if a socket error ended it. */
  readFailure: ConnError | undefined = undefined
  /** The socket is paused: too much input buffered. */
  paused = false
  /** Resumes the loop's wait with what it asked to go on with. */
  private waiter: (() => void) | undefined = undefined
  private eofWaiter: ((effect: Effect.Effect<void>) => void) | undefined = undefined

  constructor(private readonly conn: RawConn, maxHeaderBytes: number) {
    this.parser = Parser.request({ maxHeaderBytes })
  }

  /** Gives `chunk` to the parser. */
  feed(chunk: Uint8Array): void {
    this.bytesIn += chunk.length
    this.parser.feed(chunk)
  }

  /** After a feed: wakes the loop's wait, or, with nobody waiting and too much buffered, pauses the socket. */
  wakeOrHold(): void {
    const waiter = this.waiter
    if (waiter !== undefined) {
      this.waiter = undefined
      waiter()
    } else if (!this.paused && this.parser.buffered > PAUSE_ABOVE) {
      this.paused = true
      RawSocket.pause(this.conn)
    }
  }

  /** The input ended: true the first time (the parser sees its end), false after. */
  end(): boolean {
    if (this.eof) return false
    this.eof = true
    this.parser.finish()
    return true
  }

  /** Wakes whoever waits for the input's end, then the loop's wait. */
  wakeAll(): void {
    const eofWaiter = this.eofWaiter
    if (eofWaiter !== undefined) {
      this.eofWaiter = undefined
      eofWaiter(VOID)
    }
    this.wake()
  }

  /** Wakes the loop's wait, if it waits (a timeout, or a request to park). */
  wake(): void {
    const waiter = this.waiter
    if (waiter !== undefined) {
      this.waiter = undefined
      waiter()
    }
  }

  /** Whether the loop waits for input now. */
  get waiting(): boolean {
    return this.waiter !== undefined
  }

  /**
   * Goes on with `then` when input arrives or ends (or `wake` is called): the wait resumes
   * with `then` itself, one step fewer per request than a `flatMap` after the wait.
   */
  awaitInput<A, E>(then: Effect.Effect<A, E>): Effect.Effect<A, E> {
    // One parameter: Effect.async makes an AbortController per call for a callback of two.
    return Effect.async<A, E>((resume) => {
      this.waiter = () => resume(then)
    })
  }

  /** Completes when the input ends. */
  awaitEnd(): Effect.Effect<void> {
    return Effect.async<void>((resume) => {
      this.eofWaiter = resume
    })
  }

  /** Reads from the socket again once the parser consumed most of what was held back. */
  resumeIfDrained(): void {
    if (this.paused && this.parser.buffered <= PAUSE_ABOVE / 2) {
      this.paused = false
      RawSocket.resume(this.conn)
    }
  }
}
