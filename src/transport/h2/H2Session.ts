/**
 * One HTTP/2 client session of the pool (Go's `http2.ClientConn`): a `node:http2`
 * `ClientHttp2Session` over a connection we dialed (and handed over after ALPN chose h2, or
 * with prior knowledge for h2c), with what the pool needs to know of it: how many streams it
 * carries, how many the peer allows (SETTINGS_MAX_CONCURRENT_STREAMS), whether it is going away
 * (GOAWAY received, and the last stream id the peer processed), when it last read a frame (for
 * health PINGs) and since when it has carried no stream (for idle expiry).
 *
 * Node's engine (nghttp2) does framing, HPACK and flow control; this class only keeps Go's
 * bookkeeping. It touches the pool through its owner's callbacks only.
 *
 * @module
 * @internal
 */
import * as http2 from "node:http2"
import type { Duplex } from "node:stream"

/**
 * What the pool does for a session.
 *
 * @internal
 */
export interface SessionOwner {
  /** The session closed (by either side): forget it, give its connection slot back. */
  readonly sessionClosed: (s: H2Session) => void
  /** The session carries no stream now (it may expire idle). */
  readonly sessionIdle: (s: H2Session) => void
  /** A stream of `s` ended (a strict waiter may take its place). */
  readonly streamEnded: (s: H2Session) => void
  /** The Transport clock's time in milliseconds. */
  readonly now: () => number
}

/** Go's `initialMaxConcurrentStreams`: assumed until the peer's SETTINGS say otherwise. */
export const INITIAL_MAX_STREAMS = 100
/** Go's `defaultMaxConcurrentStreams`: a peer that sets no limit gets this one. */
export const DEFAULT_MAX_STREAMS = 1000

/** The receive window of each stream (SETTINGS_INITIAL_WINDOW_SIZE): a 1 MiB body flows without waiting for a WINDOW_UPDATE. */
export const STREAM_WINDOW = 1 << 20
/** The connection's receive window. */
export const CONNECTION_WINDOW = 16 << 20
/** The most response header fields counted (their bytes are bounded by maxHeaderListSize). */
const MAX_HEADER_LIST_PAIRS = 8192

/** NGHTTP2_REFUSED_STREAM. */
export const REFUSED_STREAM = 7
/** NGHTTP2_CANCEL. */
export const CANCEL = 8

/**
 * A client session with Go's bookkeeping.
 *
 * @internal
 */
export class H2Session {
  readonly session: http2.ClientHttp2Session
  /** Streams open (requested and not yet closed). */
  active = 0
  /** Streams this session has carried (a stream after the first is a reused connection). */
  served = 0
  /** The peer's SETTINGS_MAX_CONCURRENT_STREAMS (capped as Go's). */
  maxStreams = INITIAL_MAX_STREAMS
  /** A GOAWAY came, or the session failed to open a stream: no new stream goes on it. */
  goingAway = false
  /** The last stream id the peer said it processed (GOAWAY), or undefined. */
  goawayLastId: number | undefined = undefined
  /** The session closed. */
  closed = false
  /** The clock when a frame was last read (stamped by the exchanges and PING acks). */
  lastRead: number
  /** The clock when the last stream closed (or the session opened), while `active` is 0. */
  idleSince: number
  /** Closed as an extra session nobody needed (never entered the pool). */
  dropped = false
  /** When the outstanding health PING was sent, or undefined. */
  pingSentAt: number | undefined = undefined

  constructor(
    readonly id: number,
    readonly key: string,
    authority: string,
    socket: Duplex,
    private readonly owner: SessionOwner,
    /** The most bytes of a response's header list (the Transport's `maxResponseHeaderBytes`), counted as HPACK does. */
    readonly maxHeaderListSize: number
  ) {
    const now = owner.now()
    this.lastRead = now
    this.idleSince = now
    // Our Dialer's sockets are half-open capable (a TLSSocket inherits it from the TCP socket
    // under it): the server's FIN would then end neither the socket nor the session, and a lost
    // connection would hold its streams forever. For HTTP/2 the peer's end is the connection's.
    const halfOpen = socket as Duplex & { allowHalfOpen?: boolean }
    if (halfOpen.allowHalfOpen === true) halfOpen.allowHalfOpen = false
    this.session = http2.connect(authority, {
      createConnection: () => socket,
      // Go's Transport sends SETTINGS_ENABLE_PUSH 0 and a larger receive window than the
      // protocol's 64 KiB (Go: 4 MiB a stream, 1 GiB the connection; undici: 256 KiB, 512 KiB).
      settings: { enablePush: false, maxHeaderListSize, initialWindowSize: STREAM_WINDOW },
      // A response's fields are bounded by maxHeaderListSize (maxResponseHeaderBytes), not by
      // their count (Node's default is 128 pairs; Go has no count).
      maxHeaderListPairs: MAX_HEADER_LIST_PAIRS,
      peerMaxConcurrentStreams: INITIAL_MAX_STREAMS
    })
    const session = this.session
    const widen = () => {
      try {
        session.setLocalWindowSize(CONNECTION_WINDOW)
      } catch {
        // A session closing already: nothing to widen.
      }
    }
    if (session.connecting) session.once("connect", widen)
    else widen()
    session.on("remoteSettings", (settings) => {
      this.lastRead = owner.now()
      const max = settings.maxConcurrentStreams
      this.maxStreams = max === undefined || max > DEFAULT_MAX_STREAMS ? DEFAULT_MAX_STREAMS : max
    })
    session.on("goaway", (_code: number, lastStreamID: number) => {
      this.goingAway = true
      this.goawayLastId = lastStreamID
    })
    // The streams fail with their own errors; the connection is released at once (see `release`).
    session.on("error", () => this.destroy())
    session.on("close", () => this.onClose())
  }

  /** The session can take a new stream now (open, not going away, under the peer's limit). */
  get usable(): boolean {
    return !this.closed && !this.goingAway && !this.session.destroyed && !this.session.closed
  }

  /** The session can take a new stream without waiting for one to end. */
  get hasRoom(): boolean {
    return this.usable && this.active < this.maxStreams
  }

  /** The Transport clock's time (for stamping `lastRead`). */
  stampNow(): number {
    return this.owner.now()
  }

  /** A stream was opened on the session. */
  opened(): void {
    this.active++
    this.served++
  }

  /** A stream of the session closed. */
  streamClosed(): void {
    this.active--
    if (this.closed) return
    if (this.goingAway && this.active === 0) {
      this.close()
      return
    }
    this.owner.streamEnded(this)
    if (this.active === 0) {
      this.idleSince = this.owner.now()
      this.owner.sessionIdle(this)
    }
  }

  /** Marks the session unusable for new streams (it failed to open one, or was told to go away). */
  markGoingAway(): void {
    this.goingAway = true
    if (this.active === 0) this.close()
  }

  /** Sends a health PING (Go's `healthCheck`); the answer stamps `lastRead`. */
  ping(): void {
    if (this.pingSentAt !== undefined || this.closed) return
    this.pingSentAt = this.owner.now()
    try {
      this.session.ping((err) => {
        if (err !== null) return
        this.pingSentAt = undefined
        this.lastRead = this.owner.now()
      })
    } catch {
      this.destroy()
    }
  }

  /** Closes gracefully: no new streams, open ones finish (GOAWAY NO_ERROR). */
  close(): void {
    if (this.closed) return
    this.goingAway = true
    if (this.active === 0) this.destroy()
    else this.session.close()
  }

  /** Closes at once: every open stream fails. */
  destroy(): void {
    if (!this.session.destroyed) this.session.destroy()
    this.onClose()
  }

  /**
   * Releases the connection under the session (its Scope: the TLS and TCP sockets), set by the
   * dial. Called once the session is closed, by either side or by an error: Node's session
   * waits for its socket's close, which a peer gone after a TLS alert never sends.
   */
  release: (() => void) | undefined = undefined

  private onClose(): void {
    if (this.closed) return
    this.closed = true
    this.goingAway = true
    this.owner.sessionClosed(this)
    const release = this.release
    this.release = undefined
    release?.()
  }
}
