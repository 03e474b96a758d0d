/**
 * A byte-stream connection as Effects: read what arrives, write with backpressure, close
 * exactly once. Wraps a Node `Duplex` (a `net.Socket`, a `tls.TLSSocket`, or one end of the
 * in-memory pipe). Knows nothing of HTTP.
 *
 * Reading is pull-based: `read` gives the next chunk as it arrived (no copy), or None at end
 * of input. While nobody reads, chunks queue up to a bound, then the stream is paused, so a
 * slow reader slows the peer down instead of buffering without limit.
 *
 * @module
 */
import { Effect, Option } from "effect"
import type { Socket } from "node:net"
import type { Duplex } from "node:stream"
import { TLSSocket } from "node:tls"
import { withoutStackTraces } from "../domain/stacklessError.js"
import { ConnError, errorCode, errorDetail } from "./errors.js"
import { type PeerCertificate, peerFactsOf } from "./tls.js"

/** Bytes queued unread before the stream is paused. */
const READ_HIGH_WATER = 256 << 10

/**
 * Takes a connection's input as it arrives (push mode, see `Conn.receive`). Called
 * synchronously from the stream's events; must not throw.
 *
 * @since 0.1.0
 * @category models
 */
export interface Receiver {
  /** Bytes as they arrived (not copied). */
  readonly onData: (chunk: Uint8Array) => void
  /** The peer ended its side. */
  readonly onEnd: () => void
  /** Reading failed. */
  readonly onError: (error: ConnError) => void
}

/**
 * What a TLS connection negotiated: the part of Go's `tls.ConnectionState` that Node's
 * `TLSSocket` tells cheaply. Read it after the handshake (`handshakeComplete`); before it, the
 * negotiated fields are undefined.
 *
 * @since 0.1.0
 * @category models
 */
export interface TlsState {
  /** Whether the handshake finished (Go's `HandshakeComplete`). */
  readonly handshakeComplete: boolean
  /** The ALPN protocol agreed on, e.g. "http/1.1" (Go's `NegotiatedProtocol`); undefined when none. */
  readonly alpnProtocol: string | undefined
  /** The server name the client sent as SNI (Go's `ServerName`); undefined when it sent none. */
  readonly servername: string | undefined
  /** The TLS version, e.g. "TLSv1.3" (Go's `Version`). */
  readonly protocol: string | undefined
  /** The cipher suite's standard name, e.g. "TLS_AES_256_GCM_SHA384" (Go's `CipherSuite`). */
  readonly cipher: string | undefined
  /**
   * Whether the peer's certificate chain verified against the trusted CAs. On a server: false
   * when the server asked for no client certificate (`requestCert`), or the client sent none.
   */
  readonly authorized: boolean
  /**
   * Why the peer is not `authorized`, as an OpenSSL verify code ("DEPTH_ZERO_SELF_SIGNED_CERT",
   * "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "CERT_HAS_EXPIRED", ...), or "NO_PEER_CERTIFICATE" when a
   * server asked for a client certificate and got none ("UNREADABLE_PEER_CERTIFICATE" if Node
   * could not read the certificates sent); undefined when `authorized`, and on a
   * server that asked for none.
   */
  readonly authorizationError: string | undefined
  /**
   * The peer's certificate chain, leaf first (Go's `PeerCertificates`): the certificates it
   * sent, completed with the trusted CA that issued them when known. Read once per connection,
   * at the handshake. Empty when the peer sent no certificate (always, on a server that asked
   * for none). Check `authorized` before trusting it: a server with `rejectUnauthorized: false`
   * serves clients whose chain did not verify.
   */
  readonly peerCertificates: ReadonlyArray<PeerCertificate>
}

/**
 * A connection: one reader and any number of sequential writers at a time.
 *
 * @since 0.1.0
 * @category models
 */
export interface Conn {
  /** The peer's address and port, when known. */
  readonly remoteAddress: string | undefined
  readonly remotePort: number | undefined
  /**
   * Our own address and port on this connection (Go's `LocalAddrContextKey`), when known.
   * Optional so that wrappers of a Conn written before it need not forward it.
   */
  readonly localAddress?: string | undefined
  readonly localPort?: number | undefined
  /** What TLS negotiated when the stream is a `TLSSocket`, read now; undefined for plain streams (optional as `localAddress`). */
  readonly tlsState?: () => TlsState | undefined
  /** The next bytes received as they arrived, or None once the peer ended its side. */
  readonly read: Effect.Effect<Option.Option<Uint8Array>, ConnError>
  /** Writes `data`; completes when the stream took it, waiting for room when its buffer is full. */
  readonly write: (data: Uint8Array) => Effect.Effect<void, ConnError>
  /** Completes when the stream's write buffer has room again (at once when it has). */
  readonly drained: Effect.Effect<void, ConnError>
  /** Ends our side (a FIN): the peer reads end of input; reading goes on. */
  readonly closeWrite: Effect.Effect<void>
  /** Closes both sides and releases the stream. Idempotent: the stream is destroyed once. */
  readonly close: Effect.Effect<void>
  /** Completes when the connection is closed, by either side. */
  readonly closed: Effect.Effect<void>
  /** Whether the connection is closed. */
  readonly isClosed: () => boolean
}

/**
 * The raw operations of a `Conn`, outside its Effect API: for the two connection loops (the
 * client's `PersistConn`, the server's `rawSocket.ts`), the write batch, and the places that
 * hand a socket to another protocol (TLS, the platform's WebSocket upgrade). Not public:
 * every Conn this package makes has them; get them with `rawOf`.
 *
 * @internal
 */
export interface RawConn extends Conn {
  readonly [RAW]: true
  /**
   * Switches reading to push mode: from now on every chunk, the end of input or a read error
   * goes to `receiver` as it happens, without an Effect per chunk. Input queued for `read` is
   * handed over first, at once. `undefined` switches back to pull mode (`read`). For a
   * protocol's hot path (the client's read loop); use one mode at a time.
   */
  readonly receive: (receiver: Receiver | undefined) => void
  /**
   * Hands `data` to the stream at once, without an Effect: true when its buffer has room for
   * more, false when the writer should wait for `drained` before writing again. Failures
   * surface as the connection's read error (and fail later writes). For a protocol's hot path.
   */
  readonly writeNow: (data: Uint8Array | string) => boolean
  /**
   * Bytes written through `write` and `writeNow` that the stream has passed on (to the kernel,
   * for a socket): grows while the peer takes what we send, stands still while it does not.
   */
  readonly bytesFlushed: () => number
  /** `close`, done now (for code that is not an Effect, such as a read loop's callbacks). */
  readonly closeNow: () => void
  /** The underlying stream, for a protocol switch or a TLS upgrade; reading from it directly bypasses `read`. */
  readonly stream: Duplex
  /**
   * Hands the stream's input over to another reader (HTTP/2's `node:http2` session after ALPN
   * chose h2): stops reading (the stream is paused, our `data` and `end` listeners removed)
   * and returns the bytes received and not yet read, in order, for the new reader to take first
   * (`stream.unshift`). From then on `read` ends and `receive` gets nothing; `close`, `closed`
   * and `isClosed` still work, so the owner closes the stream as before. Call it once, before
   * any `receive`.
   */
  readonly detach: () => Uint8Array
}

/** The brand of a `RawConn`. */
const RAW: unique symbol = Symbol.for("effect-nethttp/RawConn")

/**
 * The raw operations of `conn`, when it has them (every Conn made by `fromDuplex`, and so by
 * `listen`, `pipe` and the default `Dialer`); undefined for a Conn of another making.
 *
 * @internal
 */
export const rawOf = (conn: Conn): RawConn | undefined => (RAW in conn ? conn as RawConn : undefined)

type Resume<A, E> = (effect: Effect.Effect<A, E>) => void

const END: Effect.Effect<Option.Option<Uint8Array>> = Effect.succeed(Option.none())

const writeTo = (stream: Duplex, data: Uint8Array | string): boolean =>
  typeof data === "string" ? stream.write(data, "latin1") : stream.write(data)

/**
 * `stream.write(data)` with V8's stack capture off. For writes after the peer's end of input:
 * a peer that reset the connection often reads as one that ended it (the kernel reports end of
 * input, not the reset), so the write fails at once, and Node makes its error with a stack and
 * formats it on the spot (~20 µs) though all we keep of it is its code.
 */
const writeStackless = (stream: Duplex, data: Uint8Array | string): boolean => withoutStackTraces(() => writeTo(stream, data))

const EMPTY = new Uint8Array(0)

/** A `Conn` over a Node `Duplex` in flowing mode. */
class StreamConn implements RawConn {
  readonly [RAW] = true as const
  private readonly queue: Array<Uint8Array> = []
  private queued = 0
  private ended = false
  private failure: ConnError | undefined = undefined
  private destroyed = false
  private closeEmitted = false
  private reader: Resume<Option.Option<Uint8Array>, ConnError> | undefined = undefined
  private receiver: Receiver | undefined = undefined
  /** End of input or the failure was handed to the receiver already. */
  private endPushed = false
  /** Bytes handed to the stream by `write` and `writeNow`. */
  private bytesOut = 0
  // Made on first use: most connections never wait for a drain or for the close (issue 17).
  private drainWaiters: Set<Resume<void, ConnError>> | undefined = undefined
  private closeWaiters: Set<Resume<void, never>> | undefined = undefined

  constructor(readonly stream: Duplex, private readonly remote: Remote = NO_REMOTE) {
    // Module-level listeners finding this Conn on the stream: no closures per connection.
    ;(stream as OwnedStream)[OWNER] = this
    stream.on("data", onStreamData)
    stream.on("end", onStreamEnd)
    stream.on("error", onStreamError)
    stream.on("close", onStreamClose)
  }

  detach(): Uint8Array {
    const stream = this.stream
    stream.pause()
    stream.off("data", onStreamData)
    stream.off("end", onStreamEnd)
    const chunks = this.queue.splice(0)
    this.queued = 0
    this.ended = true
    this.wakeReader(END)
    if (chunks.length === 1) return chunks[0]!
    return chunks.length === 0 ? EMPTY : Buffer.concat(chunks)
  }

  /** @internal the stream's "end" */
  streamEnded(): void {
    this.ended = true
    this.wakeReader(END)
    this.pushEnd()
  }

  /** @internal the stream's "error" */
  streamFailed(error: unknown): void {
    this.failure ??= new ConnError({ op: "read", code: errorCode(error) ?? "EIO", detail: errorDetail(error) })
    this.wakeReader(Effect.fail(this.failure))
    this.pushEnd()
    if (this.drainWaiters !== undefined) this.wakeWriters(Effect.fail(new ConnError({ ...this.failure, op: "write" })))
  }

  /** @internal the stream's "close" */
  streamClosed(): void {
    this.closeEmitted = true
    this.destroyed = true
    this.ended = true
    this.wakeReader(END)
    this.pushEnd()
    // An error captures a stack: made only when a writer waits (every connection ends here).
    if (this.drainWaiters !== undefined) this.wakeWriters(Effect.fail(closedError("write")))
    const closeWaiters = this.closeWaiters
    this.closeWaiters = undefined
    if (closeWaiters !== undefined) for (const resume of closeWaiters) resume(Effect.void)
  }

  get remoteAddress(): string | undefined {
    return this.remote.address ?? (this.stream as Partial<Socket>).remoteAddress
  }

  get remotePort(): number | undefined {
    return this.remote.port ?? (this.stream as Partial<Socket>).remotePort
  }

  get localAddress(): string | undefined {
    return this.remote.localAddress ?? (this.stream as Partial<Socket>).localAddress
  }

  get localPort(): number | undefined {
    return this.remote.localPort ?? (this.stream as Partial<Socket>).localPort
  }

  /** The TLS facts, once the handshake finished (they do not change after it). */
  private tlsFacts: TlsState | undefined = undefined

  tlsState(): TlsState | undefined {
    if (this.tlsFacts !== undefined) return this.tlsFacts
    const s = this.stream
    if (!(s instanceof TLSSocket)) return undefined
    const cipher = s.getCipher() as ReturnType<TLSSocket["getCipher"]> | undefined
    // Node keeps no public flag for a finished handshake; `_secureEstablished` has been there since v0.x.
    const established = (s as unknown as { readonly _secureEstablished?: boolean })._secureEstablished
    const handshakeComplete = established ?? cipher !== undefined
    const peer = peerFactsOf(s, handshakeComplete)
    const state: TlsState = {
      handshakeComplete,
      alpnProtocol: typeof s.alpnProtocol === "string" ? s.alpnProtocol : undefined,
      servername: typeof s.servername === "string" ? s.servername : undefined,
      protocol: s.getProtocol() ?? undefined,
      cipher: cipher?.standardName ?? cipher?.name,
      authorized: peer.authorized,
      authorizationError: peer.authorizationError,
      peerCertificates: peer.peerCertificates
    }
    if (handshakeComplete) this.tlsFacts = state
    return state
  }

  /** @internal the stream's "data" */
  onData(chunk: Uint8Array): void {
    const receiver = this.receiver
    if (receiver !== undefined) {
      receiver.onData(chunk)
      return
    }
    const reader = this.reader
    if (reader !== undefined) {
      this.reader = undefined
      reader(Effect.succeed(Option.some(chunk)))
      return
    }
    this.queue.push(chunk)
    this.queued += chunk.length
    if (this.queued > READ_HIGH_WATER) this.stream.pause()
  }

  // Tells the receiver, once, that no more input comes.
  private pushEnd(): void {
    const receiver = this.receiver
    if (receiver === undefined || this.endPushed) return
    this.endPushed = true
    if (this.failure !== undefined) receiver.onError(this.failure)
    else receiver.onEnd()
  }

  readonly receive = (receiver: Receiver | undefined): void => {
    this.receiver = receiver
    if (receiver === undefined) return
    while (this.queue.length > 0 && this.receiver === receiver) {
      const chunk = this.queue.shift()!
      this.queued -= chunk.length
      receiver.onData(chunk)
    }
    if (this.receiver !== receiver) return
    if (this.stream.isPaused()) this.stream.resume()
    if (this.ended || this.failure !== undefined) this.pushEnd()
  }

  private wakeReader(effect: Effect.Effect<Option.Option<Uint8Array>, ConnError>): void {
    const reader = this.reader
    if (reader !== undefined) {
      this.reader = undefined
      reader(effect)
    }
  }

  private wakeWriters(effect: Effect.Effect<void, ConnError>): void {
    const drainWaiters = this.drainWaiters
    this.drainWaiters = undefined
    if (drainWaiters !== undefined) for (const resume of drainWaiters) resume(effect)
  }

  // The Effects below are made when asked for, not held by every connection (issue 17).
  get read(): Effect.Effect<Option.Option<Uint8Array>, ConnError> {
    return Effect.suspend(() => this.readNow())
  }

  private readNow(): Effect.Effect<Option.Option<Uint8Array>, ConnError> {
    if (this.queue.length > 0) {
      const chunk = this.queue.shift()!
      this.queued -= chunk.length
      if (this.queued <= READ_HIGH_WATER && this.stream.isPaused()) this.stream.resume()
      return Effect.succeed(Option.some(chunk))
    }
    if (this.failure !== undefined) return Effect.fail(this.failure)
    if (this.ended) return END
    return Effect.async<Option.Option<Uint8Array>, ConnError>((resume) => {
      this.reader = resume
      return Effect.sync(() => {
        if (this.reader === resume) this.reader = undefined
      })
    })
  }

  readonly write = (data: Uint8Array): Effect.Effect<void, ConnError> =>
    Effect.suspend(() => {
      if (this.failure !== undefined) return Effect.fail(new ConnError({ ...this.failure, op: "write" }))
      if (this.destroyed || this.stream.writableEnded) return Effect.fail(closedError("write"))
      this.bytesOut += data.length
      if (this.ended ? writeStackless(this.stream, data) : this.stream.write(data)) return Effect.void
      return this.awaitDrain()
    })

  readonly writeNow = (data: Uint8Array | string): boolean => {
    if (this.destroyed || this.stream.writableEnded) return false
    this.bytesOut += data.length
    return this.ended ? writeStackless(this.stream, data) : writeTo(this.stream, data)
  }

  get drained(): Effect.Effect<void, ConnError> {
    return Effect.suspend(() => {
      if (this.failure !== undefined) return Effect.fail(new ConnError({ ...this.failure, op: "write" }))
      if (this.destroyed || this.stream.writableEnded) return Effect.fail(closedError("write"))
      return this.stream.writableNeedDrain ? this.awaitDrain() : Effect.void
    })
  }

  bytesFlushed(): number {
    return this.bytesOut - this.stream.writableLength
  }

  private awaitDrain(): Effect.Effect<void, ConnError> {
    return Effect.async<void, ConnError>((resume) => {
      const onDrain = () => {
        this.drainWaiters?.delete(resume)
        resume(Effect.void)
      }
      ;(this.drainWaiters ??= new Set()).add(resume)
      this.stream.once("drain", onDrain)
      return Effect.sync(() => {
        this.drainWaiters?.delete(resume)
        this.stream.off("drain", onDrain)
      })
    })
  }

  get closeWrite(): Effect.Effect<void> {
    return Effect.sync(() => {
      if (!this.destroyed && !this.stream.writableEnded) this.stream.end()
    })
  }

  readonly closeNow = (): void => {
    if (this.destroyed) return
    this.destroyed = true
    const stream = this.stream
    // Writes held by a cork (a streamed answer's tick, `rawSocket.corkForThisTick`) are handed
    // on first, as every write before a close is: destroy would drop them.
    while (stream.writableCorked > 0) stream.uncork()
    stream.destroy()
  }

  get close(): Effect.Effect<void> {
    return Effect.sync(this.closeNow)
  }

  get closed(): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (this.closeEmitted) return Effect.void
      return Effect.async<void>((resume) => {
        ;(this.closeWaiters ??= new Set()).add(resume)
        return Effect.sync(() => {
          this.closeWaiters?.delete(resume)
        })
      })
    })
  }

  readonly isClosed = (): boolean => this.destroyed || this.stream.destroyed
}

/** The stream's back reference to its Conn, for the shared listeners below. */
const OWNER = Symbol("effect-nethttp/Conn")
type OwnedStream = Duplex & { [OWNER]?: StreamConn }

function onStreamData(this: OwnedStream, chunk: Uint8Array): void {
  this[OWNER]!.onData(chunk)
}
function onStreamEnd(this: OwnedStream): void {
  this[OWNER]!.streamEnded()
}
function onStreamError(this: OwnedStream, error: unknown): void {
  this[OWNER]!.streamFailed(error)
}
function onStreamClose(this: OwnedStream): void {
  this[OWNER]!.streamClosed()
}

const closedError = (op: "read" | "write"): ConnError =>
  new ConnError({ op, code: "closed", detail: "the connection is closed" })

/**
 * A peer's address, for streams that are not sockets (a socket knows its own), or that a
 * PROXY protocol header named; with the local end's when the header named it too.
 */
interface Remote {
  readonly address?: string | undefined
  readonly port?: number | undefined
  readonly localAddress?: string | undefined
  readonly localPort?: number | undefined
}

const NO_REMOTE: Remote = {}

/**
 * A `Conn` over `stream`, which must be open and not yet read from. The caller owns it and
 * must `close` it (acquire it in a Scope).
 */
export const fromDuplex = (stream: Duplex, remote?: Remote): RawConn => new StreamConn(stream, remote)
