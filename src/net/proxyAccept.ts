/**
 * The PROXY protocol on a listener's accepted sockets: a socket from a peer that is not
 * trusted is destroyed at once; one from a trusted peer has its header read (before anything
 * else, TLS included), within a time limit judged on the Effect Clock, and is then handed on
 * with the addresses the header named. A malformed header, an early end or the time running
 * out destroys the socket. The bytes after the header stay in the socket for its next reader
 * (HTTP/1.1, the HTTP/2 preface, a TLS ClientHello).
 *
 * Used by `Listener.ts` only when `ListenOptions.proxyProtocol` is set: without it, accepted
 * sockets take no detour.
 *
 * @module
 * @internal
 */
import { Data, Duration, Effect, Either, FiberId, type Fiber, Runtime } from "effect"
import type * as net from "node:net"
import { errorCode, errorDetail } from "./errors.js"
import { parseProxyHeader, type ProxyHeader, type ProxyHeaderError, type ProxyProtocolOptions, TrustedPeers } from "./proxyProtocol.js"

/** The addresses a header named, for `fromDuplex`. */
export interface ProxiedAddresses {
  readonly address: string
  readonly port: number
  readonly localAddress: string
  readonly localPort: number
}

/** The connection ended, failed or timed out before its header was complete. */
class ProxyReadError extends Data.TaggedError("ProxyReadError")<{
  readonly reason: "closed" | "error" | "timeout"
  readonly code?: string
  readonly detail: string
}> {}

/** What the listener calls. */
export interface ProxyAccept {
  /** Takes an accepted socket: later hands it to `next`, or destroys it. */
  readonly accept: (socket: net.Socket) => void
  /** Destroys every socket whose header is still awaited. */
  readonly close: () => void
}

/** Default time for the header to arrive when `timeout` is not given (`listen`'s). */
const DEFAULT_TIMEOUT_MS = 10_000

/**
 * The PROXY protocol stage of a listener, or why its options are wrong. `checkPeer` is false
 * on a Unix socket listener (its peers have no address). `next` takes a socket whose header
 * was read, with the addresses the header named (undefined for LOCAL, UNKNOWN and UNIX).
 */
export const makeProxyAccept = (
  options: ProxyProtocolOptions,
  runtime: Runtime.Runtime<never>,
  checkPeer: boolean,
  next: (socket: net.Socket, addresses: ProxiedAddresses | undefined) => void
): Either.Either<ProxyAccept, string> => {
  const trusted = TrustedPeers.parse(options.trusted)
  if (Either.isLeft(trusted)) return Either.left(`proxyProtocol.trusted: ${String(trusted.left.entry)}: ${trusted.left.reason}`)
  let timeoutMs = DEFAULT_TIMEOUT_MS
  if (options.timeout !== undefined) {
    const decoded = Duration.decodeUnknown(options.timeout)
    if (decoded._tag === "None") return Either.left(`proxyProtocol.timeout: not a duration`)
    timeoutMs = Duration.toMillis(decoded.value)
  }
  const peers = trusted.right
  const pending = new Set<Fiber.RuntimeFiber<void, never>>()
  const runFork = Runtime.runFork(runtime)
  let closed = false
  const accept = (socket: net.Socket): void => {
    if (closed || (checkPeer && !peers.includes(socket.remoteAddress))) {
      socket.destroy()
      return
    }
    const read = awaitHeader(socket, (header) => next(socket, addressesOf(header)))
    const bounded = timeoutMs > 0 && Number.isFinite(timeoutMs)
      ? Effect.timeoutFail(read, { duration: timeoutMs, onTimeout: () => new ProxyReadError({ reason: "timeout", detail: `no complete PROXY header within ${timeoutMs} ms` }) })
      : read
    const fiber = runFork(Effect.catchAll(bounded, (e) => {
      socket.destroy()
      return Effect.logDebug(`effect-nethttp listener: closed a connection from ${socket.remoteAddress ?? "?"}: ${e._tag === "ProxyHeaderError" ? e.message : e.detail}`)
    }))
    pending.add(fiber)
    fiber.addObserver(() => pending.delete(fiber))
  }
  const close = (): void => {
    closed = true
    for (const fiber of pending) fiber.unsafeInterruptAsFork(FiberId.none)
    pending.clear()
  }
  return Either.right({ accept, close })
}

const addressesOf = (header: ProxyHeader): ProxiedAddresses | undefined =>
  header.command === "PROXY" && header.source !== undefined && header.destination !== undefined
    ? { address: header.source.address, port: header.source.port, localAddress: header.destination.address, localPort: header.destination.port }
    : undefined

const EMPTY = Buffer.alloc(0)
const ignore = (): void => {}

/**
 * Reads the PROXY header at the start of `socket` in paused mode ('readable' and `read()`,
 * never 'data': bytes after the header must not be emitted to nobody), puts back what
 * follows it (`unshift`) and calls `onHeader` in the same tick, so the socket is never
 * without an 'error' listener. A malformed header, an end of input or a stream error before
 * the header's end destroys the socket; so does interrupting the read (the time ran out, the
 * listener closed).
 */
const awaitHeader = (socket: net.Socket, onHeader: (header: ProxyHeader) => void): Effect.Effect<void, ProxyHeaderError | ProxyReadError> =>
  Effect.async<void, ProxyHeaderError | ProxyReadError>((resume) => {
    let received: Buffer = EMPTY
    let atLeast = 1
    let done = false
    const detach = () => {
      socket.off("readable", onReadable)
      socket.off("end", onEnd)
      socket.off("error", onError)
      socket.off("close", onClose)
    }
    const failWith = (error: ProxyHeaderError | ProxyReadError) => {
      if (done) return
      done = true
      detach()
      socket.on("error", ignore)
      socket.destroy()
      resume(Effect.fail(error))
    }
    function onReadable(): void {
      // Bounded: a header is at most 16 + 65535 bytes, and every read takes what is buffered.
      for (let i = 0; i < 1024 && !done; i++) {
        const chunk: unknown = socket.read()
        if (chunk === null) return
        const bytes = Buffer.isBuffer(chunk) ? chunk : typeof chunk === "string" ? Buffer.from(chunk, "latin1") : Buffer.from(chunk as Uint8Array)
        received = received.length === 0 ? bytes : Buffer.concat([received, bytes])
        if (received.length < atLeast) continue
        const result = parseProxyHeader(received)
        if (result._tag === "NeedMore") {
          atLeast = result.atLeast
          continue
        }
        if (result._tag === "ProxyHeaderError") return failWith(result)
        done = true
        detach()
        const rest = received.subarray(result.length)
        received = EMPTY
        if (rest.length > 0) socket.unshift(rest)
        onHeader(result)
        return resume(Effect.void)
      }
    }
    function onEnd(): void {
      failWith(new ProxyReadError({ reason: "closed", detail: `end of input after ${received.length} bytes of a PROXY header` }))
    }
    function onError(error: unknown): void {
      const code = errorCode(error)
      failWith(new ProxyReadError({ reason: "error", ...(code === undefined ? {} : { code }), detail: errorDetail(error) }))
    }
    function onClose(): void {
      failWith(new ProxyReadError({ reason: "closed", detail: "the connection closed before its PROXY header" }))
    }
    socket.on("readable", onReadable)
    socket.on("end", onEnd)
    socket.on("error", onError)
    socket.on("close", onClose)
    // Interrupted (the time ran out, the listener closed): the connection goes.
    return Effect.sync(() => {
      if (done) return
      done = true
      detach()
      socket.on("error", ignore)
      socket.destroy()
    })
  })
