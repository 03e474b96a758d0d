/**
 * Exact reads from a freshly connected stream before it is handed on: the replies of a
 * SOCKS5 handshake (RFC 1928), the response head of an HTTP/1.1 CONNECT (RFC 9110 §9.3.6).
 * Once the handshake is done, `detach` gives the stream back untouched but for the bytes
 * read, ready for `tls.connect({ socket })` or `fromDuplex` (Conn.ts).
 *
 * Reads in paused mode ('readable' + `stream.read()`, as https-proxy-agent does), never in
 * flowing mode: a 'data' listener would start the flow, and bytes meant for the next owner
 * could be emitted to nobody. Knows nothing of SOCKS or HTTP.
 *
 * @module
 */
import { Data, Effect } from "effect"
import type { Duplex } from "node:stream"
import { errorCode, errorDetail } from "./errors.js"

/** Why a handshake read failed. */
export type HandshakeFailure = "closed" | "error" | "too-large"

/** A handshake read failed: end of input, a stream error, or a head over its size limit. */
export class HandshakeError extends Data.TaggedError("HandshakeError")<{
  readonly reason: HandshakeFailure
  /** The system error code (ECONNRESET, ...), when the stream gave one. */
  readonly code?: string
  readonly detail: string
}> {
  override get message(): string {
    return `handshake read failed: ${this.detail}${this.code === undefined ? "" : ` (${this.code})`}`
  }
}

/** Reads from a stream during a handshake; see `HandshakeReader.attach`. */
export interface HandshakeReader {
  /** Exactly `n` bytes (n ≥ 0); fails if the stream ends or errors first. */
  readonly readExactly: (n: number) => Effect.Effect<Buffer, HandshakeError>
  /**
   * An HTTP/1.1 message head: every byte up to and including the first CRLFCRLF. Fails with
   * "too-large" when `maxBytes` bytes arrived without the end of the head in them.
   */
  readonly readHead: (maxBytes: number) => Effect.Effect<Buffer, HandshakeError>
  /**
   * Removes every listener this reader added and returns the bytes received but not read
   * (empty when none). The stream is left paused, not flowing, with nothing buffered: the
   * next owner's 'data' listener (or `tls.connect({ socket })`) starts it, and bytes that
   * arrive meanwhile wait in the stream. The next owner must listen for 'error' at once (or
   * destroy the stream), since the reader's 'error' listener is gone. Idempotent: a second
   * call returns an empty Buffer. Reads after `detach` fail with "closed".
   */
  readonly detach: () => Buffer
}

const EMPTY: Buffer = Buffer.alloc(0)
const CR = 0x0d
const LF = 0x0a

type Resume<A> = (effect: Effect.Effect<A, HandshakeError>) => void

/** The reader over one stream; one read pending at a time. */
class StreamHandshakeReader implements HandshakeReader {
  /** Bytes received and not yet read, in order. */
  private chunks: Array<Buffer> = []
  private length = 0
  /** The peer ended its side (and every byte before the end is in `chunks`). */
  private ended = false
  private failure: HandshakeError | undefined = undefined
  private detached = false
  /** The pending read's check, run whenever something arrives. */
  private waiter: (() => void) | undefined = undefined
  /** How far readHead has scanned `chunks` for CRLFCRLF, and how many of its bytes matched last. */
  private scanned = 0
  private matched = 0

  constructor(private readonly stream: Duplex) {
    if (stream.destroyed) {
      this.failure = closed("the stream is closed")
    } else if (stream.readableEnded) {
      this.ended = true
    }
    stream.on("readable", this.onReadable)
    stream.on("end", this.onEnd)
    stream.on("error", this.onError)
    stream.on("close", this.onClose)
  }

  // Takes everything the stream has buffered. At end of input, read() returning null makes
  // the stream emit 'end'.
  private readonly onReadable = (): void => {
    for (let i = 0; i < 1024; i++) {
      const chunk: unknown = this.stream.read()
      if (chunk === null) break
      this.push(chunk)
    }
    this.wake()
  }

  private readonly onEnd = (): void => {
    this.ended = true
    this.wake()
  }

  private readonly onError = (error: unknown): void => {
    if (this.failure === undefined) {
      const code = errorCode(error)
      this.failure = new HandshakeError({ reason: "error", ...(code === undefined ? {} : { code }), detail: errorDetail(error) })
    }
    this.wake()
  }

  // Closed without an end of input (destroyed, or reset without an 'error' event).
  private readonly onClose = (): void => {
    if (!this.ended) this.failure ??= closed("the stream closed")
    this.wake()
  }

  private push(chunk: unknown): void {
    const buffer = typeof chunk === "string" ? Buffer.from(chunk, "latin1") : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array)
    if (buffer.length === 0) return
    this.chunks.push(buffer)
    this.length += buffer.length
  }

  private wake(): void {
    this.waiter?.()
  }

  /** Removes the first `n` bytes (n ≤ length) and returns them; a view when they lie in one chunk. */
  private take(n: number): Buffer {
    this.scanned = 0
    this.matched = 0
    if (n === 0) return EMPTY
    this.length -= n
    const first = this.chunks[0]!
    if (first.length > n) {
      this.chunks[0] = first.subarray(n)
      return first.subarray(0, n)
    }
    if (first.length === n) {
      this.chunks.shift()
      return first
    }
    const out = Buffer.allocUnsafe(n)
    let filled = 0
    while (filled < n) {
      const chunk = this.chunks[0]!
      const want = n - filled
      if (chunk.length <= want) {
        chunk.copy(out, filled)
        filled += chunk.length
        this.chunks.shift()
      } else {
        chunk.copy(out, filled, 0, want)
        filled += want
        this.chunks[0] = chunk.subarray(want)
      }
    }
    return out
  }

  /**
   * The length of the head (through its CRLFCRLF) within the first `maxBytes` bytes, or -1.
   * Scans only bytes not scanned before, carrying a partial match across chunks.
   */
  private headLength(maxBytes: number): number {
    const limit = Math.min(this.length, maxBytes)
    let offset = 0
    for (const chunk of this.chunks) {
      if (offset >= limit) break
      const end = Math.min(chunk.length, limit - offset)
      for (let i = Math.max(0, this.scanned - offset); i < end; i++) {
        const byte = chunk[i]!
        // The pattern CR LF CR LF: an odd count matched wants LF, an even one CR.
        if (byte === ((this.matched & 1) === 0 ? CR : LF)) this.matched++
        else this.matched = byte === CR ? 1 : 0
        if (this.matched === 4) return offset + i + 1
      }
      offset += chunk.length
    }
    this.scanned = limit
    return -1
  }

  /** The outcome once known, else undefined (wait for more input). */
  private notReady(): Effect.Effect<never, HandshakeError> | undefined {
    if (this.detached) return Effect.fail(closed("the handshake reader is detached"))
    if (this.failure !== undefined) return Effect.fail(this.failure)
    if (this.ended) return Effect.fail(closed(`end of input with ${this.length} bytes unread`))
    return undefined
  }

  /** Runs `attempt` now and again whenever input, end or failure arrives, until it decides. */
  private waitFor<A>(attempt: () => Effect.Effect<A, HandshakeError> | undefined): Effect.Effect<A, HandshakeError> {
    return Effect.suspend(() => {
      const now = attempt()
      if (now !== undefined) return now
      if (this.waiter !== undefined) return Effect.dieMessage("HandshakeReader: a read is already pending")
      return Effect.async<A, HandshakeError>((resume: Resume<A>) => {
        const waiter = () => {
          const outcome = attempt()
          if (outcome === undefined) return
          this.waiter = undefined
          resume(outcome)
        }
        this.waiter = waiter
        // Interrupted: forget the pending read; bytes stay buffered for the next one.
        return Effect.sync(() => {
          if (this.waiter === waiter) this.waiter = undefined
        })
      })
    })
  }

  readonly readExactly = (n: number): Effect.Effect<Buffer, HandshakeError> =>
    this.waitFor(() => {
      if (!this.detached && this.length >= n) return Effect.succeed(this.take(n))
      return this.notReady()
    })

  readonly readHead = (maxBytes: number): Effect.Effect<Buffer, HandshakeError> =>
    Effect.suspend(() => {
      this.scanned = 0
      this.matched = 0
      return this.waitFor(() => {
        if (this.detached) return this.notReady()
        const size = this.headLength(maxBytes)
        if (size >= 0) return Effect.succeed(this.take(size))
        if (this.length >= maxBytes) {
          return Effect.fail(new HandshakeError({ reason: "too-large", detail: `no end of head (CRLFCRLF) within ${maxBytes} bytes` }))
        }
        return this.notReady()
      })
    })

  readonly detach = (): Buffer => {
    if (this.detached) return EMPTY
    this.detached = true
    const stream = this.stream
    stream.off("readable", this.onReadable)
    stream.off("end", this.onEnd)
    stream.off("error", this.onError)
    stream.off("close", this.onClose)
    // Bytes the stream buffered since the last 'readable' event. read(n) with n exactly the
    // buffered length takes them without emitting 'end', which stays for the next owner.
    const buffered = stream.destroyed ? 0 : stream.readableLength
    if (buffered > 0) {
      const chunk: unknown = stream.read(buffered)
      if (chunk !== null) this.push(chunk)
    }
    this.wake() // a pending read fails: the reader is detached
    const rest = this.length === 0 ? EMPTY : this.take(this.length)
    this.chunks = []
    this.length = 0
    return rest
  }
}

const closed = (detail: string): HandshakeError => new HandshakeError({ reason: "closed", detail })

/** Attaching a reader to a stream for a handshake. */
export const HandshakeReader = {
  /**
   * Starts reading `stream`, which must be open and not yet read from (no 'data' listener,
   * not flowing). Bytes are taken from the stream as they arrive; call `detach` when the
   * handshake is done (or failed) to hand the stream on.
   */
  attach: (stream: Duplex): HandshakeReader => new StreamHandshakeReader(stream)
} as const
