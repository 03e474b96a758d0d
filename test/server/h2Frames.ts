/**
 * Hand-built HTTP/2 frames for the hostile-peer tests (test/server/h2Hostile.test.ts): the
 * frame layout of RFC 9113 §4.1 (24-bit length, 8-bit type, 8-bit flags, reserved bit and
 * 31-bit stream id, then the payload), the few HPACK representations the tests need (RFC 7541
 * §5.1 integers, §6.1 indexed fields, §6.2.1/6.2.2 literals, no Huffman coding), a raw TLS
 * connection offering only `h2` by ALPN, and a reader that splits what the server sends back
 * into frames and remembers the GOAWAY and RST_STREAM codes. Test equipment, not a product
 * framer: no flow control, no CONTINUATION reassembly, no padding.
 *
 * @module
 */
import { Effect, type Scope } from "effect"
import * as tls from "node:tls"

/** Frame types (RFC 9113 §6). */
export const FrameType = {
  DATA: 0x0,
  HEADERS: 0x1,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9
} as const

/** Flags (RFC 9113 §6). */
export const Flag = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4 } as const

/** Error codes (RFC 9113 §7), by value, for messages. */
export const ERROR_NAMES: Record<number, string> = {
  0x0: "NO_ERROR",
  0x1: "PROTOCOL_ERROR",
  0x2: "INTERNAL_ERROR",
  0x3: "FLOW_CONTROL_ERROR",
  0x4: "SETTINGS_TIMEOUT",
  0x5: "STREAM_CLOSED",
  0x6: "FRAME_SIZE_ERROR",
  0x7: "REFUSED_STREAM",
  0x8: "CANCEL",
  0x9: "COMPRESSION_ERROR",
  0xa: "CONNECT_ERROR",
  0xb: "ENHANCE_YOUR_CALM",
  0xc: "INADEQUATE_SECURITY",
  0xd: "HTTP_1_1_REQUIRED"
}

/** The client connection preface (RFC 9113 §3.4). */
export const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1")

/** One frame: the 9-byte header of RFC 9113 §4.1, then `payload`. */
export const frame = (type: number, flags: number, streamId: number, payload: Uint8Array = new Uint8Array(0)): Buffer => {
  const header = Buffer.alloc(9)
  header.writeUIntBE(payload.length, 0, 3)
  header[3] = type
  header[4] = flags
  header.writeUInt32BE(streamId & 0x7fffffff, 5)
  return Buffer.concat([header, payload])
}

/** A SETTINGS frame with these (id, value) entries; empty, it is the one after the preface. */
export const settings = (entries: ReadonlyArray<readonly [number, number]> = []): Buffer => {
  const payload = Buffer.alloc(entries.length * 6)
  entries.forEach(([id, value], i) => {
    payload.writeUInt16BE(id, i * 6)
    payload.writeUInt32BE(value, i * 6 + 2)
  })
  return frame(FrameType.SETTINGS, 0, 0, payload)
}

/** A PING frame (not an ACK) carrying `n` in its 8 bytes. */
export const ping = (n: number): Buffer => {
  const payload = Buffer.alloc(8)
  payload.writeUInt32BE(n >>> 0, 4)
  return frame(FrameType.PING, 0, 0, payload)
}

/** A WINDOW_UPDATE frame. */
export const windowUpdate = (streamId: number, increment: number): Buffer => {
  const payload = Buffer.alloc(4)
  payload.writeUInt32BE(increment & 0x7fffffff, 0)
  return frame(FrameType.WINDOW_UPDATE, 0, streamId, payload)
}

/** An HPACK integer with an N-bit prefix (RFC 7541 §5.1); `first` holds the bits above the prefix. */
export const hpackInt = (value: number, prefixBits: number, first = 0): Buffer => {
  const max = (1 << prefixBits) - 1
  if (value < max) return Buffer.from([first | value])
  const out = [first | max]
  let rest = value - max
  while (rest >= 128) {
    out.push((rest % 128) + 128)
    rest = Math.floor(rest / 128)
  }
  out.push(rest)
  return Buffer.from(out)
}

const str = (s: string): Buffer => {
  const bytes = Buffer.from(s, "latin1")
  return Buffer.concat([hpackInt(bytes.length, 7, 0x00), bytes])
}

/** An indexed header field (RFC 7541 §6.1), e.g. 2 = `:method: GET`, 4 = `:path: /`, 7 = `:scheme: https`. */
export const indexed = (index: number): Buffer => hpackInt(index, 7, 0x80)

/** A literal field without indexing, new name (RFC 7541 §6.2.2). */
export const literal = (name: string, value: string): Buffer => Buffer.concat([Buffer.from([0x00]), str(name), str(value)])

/** A literal field without indexing whose name is static-table entry `nameIndex` (1 = `:authority`). */
export const literalIndexedName = (nameIndex: number, value: string): Buffer => Buffer.concat([hpackInt(nameIndex, 4, 0x00), str(value)])

/** A literal field with incremental indexing, new name (RFC 7541 §6.2.1): it enters the dynamic table at index 62. */
export const literalIndexed = (name: string, value: string): Buffer => Buffer.concat([Buffer.from([0x40]), str(name), str(value)])

/** The header block of `GET /` on `authority`, plus `extra` representations. */
export const getBlock = (authority: string, ...extra: ReadonlyArray<Uint8Array>): Buffer =>
  Buffer.concat([indexed(2), indexed(7), indexed(4), literalIndexedName(1, authority), ...extra])

/** A HEADERS frame carrying `block` whole (END_HEADERS), with END_STREAM when `endStream`. */
export const headers = (streamId: number, block: Uint8Array, endStream: boolean): Buffer =>
  frame(FrameType.HEADERS, Flag.END_HEADERS | (endStream ? Flag.END_STREAM : 0), streamId, block)

/** A frame the server sent. */
export interface Received {
  readonly type: number
  readonly flags: number
  readonly streamId: number
  readonly payload: Buffer
}

/** What a raw connection saw of the server. */
export interface RawH2 {
  readonly socket: tls.TLSSocket
  readonly alpn: string | false | null
  /** Every frame received so far, in order. */
  readonly frames: ReadonlyArray<Received>
  /** The first GOAWAY's error code and last stream id, once one came. */
  readonly goaway: () => { readonly code: number; readonly lastStreamId: number } | undefined
  /** RST_STREAM error codes received, in order. */
  readonly resets: () => ReadonlyArray<number>
  /** Whether the socket has closed (by either side). */
  readonly closed: () => boolean
  /** Writes and resolves once the bytes were handed to the socket; false when it was already closed. */
  readonly write: (bytes: Uint8Array) => Effect.Effect<boolean>
}

/**
 * Opens a TLS connection to 127.0.0.1:`port` offering only `h2` (certificate not checked),
 * sends the preface and an empty SETTINGS, and reads frames until the connection closes. The
 * socket is destroyed when the Scope closes. Fails when the handshake takes over 5 s.
 */
export const rawH2 = (port: number): Effect.Effect<RawH2, Error, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<tls.TLSSocket, Error>((resume) => {
      const socket = tls.connect({ host: "127.0.0.1", port, ALPNProtocols: ["h2"], rejectUnauthorized: false })
      const timer = setTimeout(() => {
        socket.destroy()
        resume(Effect.fail(new Error("TLS handshake not done within 5 s")))
      }, 5_000)
      socket.once("secureConnect", () => {
        clearTimeout(timer)
        resume(Effect.succeed(socket))
      })
      socket.once("error", (error) => {
        clearTimeout(timer)
        resume(Effect.fail(error))
      })
      return Effect.sync(() => {
        clearTimeout(timer)
        socket.destroy()
      })
    }),
    (socket) => Effect.sync(() => socket.destroy())
  ).pipe(Effect.map((socket) => {
    const frames: Array<Received> = []
    let pending: Buffer = Buffer.alloc(0)
    let closed = false
    socket.on("data", (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
      while (pending.length >= 9) {
        const length = pending.readUIntBE(0, 3)
        if (pending.length < 9 + length) break
        // Keep only the first bytes of a payload: the tests read codes, not bodies.
        frames.push({
          type: pending[3]!,
          flags: pending[4]!,
          streamId: pending.readUInt32BE(5) & 0x7fffffff,
          payload: Buffer.from(pending.subarray(9, 9 + Math.min(length, 64)))
        })
        pending = pending.subarray(9 + length)
      }
    })
    socket.on("error", () => undefined)
    socket.on("close", () => {
      closed = true
    })
    socket.write(Buffer.concat([PREFACE, settings()]))
    const goawayFrame = () => frames.find((f) => f.type === FrameType.GOAWAY)
    return {
      socket,
      alpn: socket.alpnProtocol,
      frames,
      goaway: () => {
        const f = goawayFrame()
        return f === undefined ? undefined : { lastStreamId: f.payload.readUInt32BE(0) & 0x7fffffff, code: f.payload.readUInt32BE(4) }
      },
      resets: () => frames.filter((f) => f.type === FrameType.RST_STREAM).map((f) => f.payload.readUInt32BE(0)),
      closed: () => closed || socket.destroyed,
      write: (bytes: Uint8Array) =>
        Effect.async<boolean>((resume) => {
          if (closed || socket.destroyed) return resume(Effect.succeed(false))
          socket.write(bytes, (error) => resume(Effect.succeed(error == null)))
        })
    }
  }))
