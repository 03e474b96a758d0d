/**
 * Transparent decoding of response bodies (Go's `gzipReader`, widened to the codings browsers
 * accept): `gzip` (and `x-gzip`), `deflate` (zlib-wrapped or raw, told apart by the first
 * bytes) and `br`, through node:zlib's streaming decoders.
 *
 * Decoding is lazy and bounded: nothing happens until the caller pulls (a body never read
 * costs no decoder at all), and each pull hands out at most one decoder chunk
 * ({@link DECODED_CHUNK_BYTES}); the decoder runs on libuv's thread pool and stops when its
 * output is not taken (the stream's backpressure), so a decompression bomb read partly costs
 * a chunk or two, and the event loop never runs a whole-body inflate.
 *
 * @module
 * @internal
 */
import { Effect, Option } from "effect"
import * as zlib from "node:zlib"

/** A pull: the next chunk, `None` at the end, `Some(e)` on failure (as `Stream.repeatEffectOption`). */
export type Pull<E> = Effect.Effect<Uint8Array, Option.Option<E>>

/**
 * A content coding the Transport decodes. `x-gzip` is `gzip` (RFC 9110 §8.4.1.3); `deflate`
 * covers zlib-wrapped (RFC 1950, as the RFC says) and raw deflate (RFC 1951, as some servers send).
 */
export type Coding = "gzip" | "deflate" | "br"

/** The `Accept-Encoding` value the Transport sends when it decodes for the caller. */
export const ACCEPT_ENCODING = "gzip, deflate, br"

/**
 * The most bytes one pull of a decoded body yields (the decoders' chunk size). 16 KiB, zlib's
 * own default: with 64 KiB chunks the 1 MiB gzip benchmark ran at 0.63-0.85 of undici, V8
 * doing a full collection every few requests (30 in 3 s, against undici's 1), where 16 KiB
 * gives 1.12 with the same work.
 */
export const DECODED_CHUNK_BYTES = 16 * 1024

/**
 * The coding a `Content-Encoding` value names, when the Transport decodes it: one coding,
 * case-insensitive, surrounding spaces ignored. Unknown codings and stacked ones
 * (`gzip, br`) give undefined: the body is passed through as it came.
 */
export const codingOf = (contentEncoding: string | undefined): Coding | undefined => {
  if (contentEncoding === undefined) return undefined
  switch (contentEncoding.trim().toLowerCase()) {
    case "gzip":
    case "x-gzip":
      return "gzip"
    case "deflate":
      return "deflate"
    case "br":
      return "br"
    default:
      return undefined
  }
}

/**
 * Why decoding stopped: corrupt or truncated input, more output than the limit allows, or a
 * pull after `release` (the body was given up).
 */
export type DecodeFailure =
  | { readonly _tag: "Corrupt"; readonly detail: string }
  | { readonly _tag: "TooLarge"; readonly limit: number }
  | { readonly _tag: "Released" }

/** A decoded body's pull, and how to free its decoder when the body is given up early. */
export interface Decoding<E> {
  readonly pull: Pull<E>
  /** Frees the decoder (idempotent); later pulls fail (`Released`, or the failure before it). */
  readonly release: () => void
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error))

type Decoder = zlib.Gunzip | zlib.Inflate | zlib.InflateRaw | zlib.BrotliDecompress

// RFC 1950: CM = 8 (deflate) in the low nibble of CMF, and CMF*256 + FLG a multiple of 31.
const zlibWrapped = (b0: number, b1: number): boolean => (b0 & 0x0f) === 8 && ((b0 << 8) | b1) % 31 === 0

const makeDecoder = (coding: Coding, first: Uint8Array): Decoder => {
  const options = { chunkSize: DECODED_CHUNK_BYTES }
  switch (coding) {
    case "gzip":
      return zlib.createGunzip(options)
    case "deflate":
      return first.length >= 2 && zlibWrapped(first[0]!, first[1]!) ? zlib.createInflate(options) : zlib.createInflateRaw(options)
    case "br":
      return zlib.createBrotliDecompress(options)
  }
}

/**
 * Decodes the body `pull` yields, as the caller pulls. `limit` (> 0) fails the read once more
 * decoded bytes than that came out; 0 means no limit. `onError` turns a failure into the
 * pull's error. An empty body decodes to empty (Go's reader ends at once on empty input).
 */
export const decodePull = <E>(
  coding: Coding,
  pull: Pull<E>,
  limit: number,
  onError: (failure: DecodeFailure) => E
): Decoding<E> => {
  const d = new DecodingPull(coding, pull, limit, onError)
  return { pull: d.step, release: d.release }
}

/** The state of one decoded body; plain callbacks from node:zlib, one Effect per wait. */
class DecodingPull<E> {
  private z: Decoder | undefined = undefined
  private failure: DecodeFailure | undefined = undefined
  private writing = false
  private inputDone = false
  private endCalled = false
  private released = false
  private decoded = 0
  // Deflate's first byte alone cannot say which wrapping it is: held until a second one comes.
  private held: Uint8Array | undefined = undefined
  private woken = false
  private waiter: (() => void) | undefined = undefined

  constructor(
    private readonly coding: Coding,
    private readonly input: Pull<E>,
    private readonly limit: number,
    private readonly onError: (failure: DecodeFailure) => E
  ) {}

  private readonly wake = (): void => {
    this.woken = true
    const w = this.waiter
    if (w !== undefined) {
      this.waiter = undefined
      w()
    }
  }

  // Resumes at the decoder's next event: output, its end, a failure, or a write consumed.
  private readonly wait: Effect.Effect<void> = Effect.async<void>((resume) => {
    if (this.woken) {
      this.woken = false
      return resume(Effect.void)
    }
    this.waiter = () => {
      this.woken = false
      resume(Effect.void)
    }
  })

  private start(first: Uint8Array): Decoder {
    const z = makeDecoder(this.coding, first)
    z.on("readable", this.wake)
    z.on("end", this.wake)
    z.on("error", (e) => {
      this.failure ??= { _tag: "Corrupt", detail: message(e) }
      this.wake()
    })
    this.z = z
    return z
  }

  private feed(chunk: Uint8Array): void {
    let bytes = chunk
    if (this.z === undefined) {
      if (this.held !== undefined) {
        bytes = Buffer.concat([this.held, chunk])
        this.held = undefined
      }
      if (this.coding === "deflate" && bytes.length < 2 && !this.inputDone) {
        this.held = bytes
        return
      }
      this.start(bytes)
    }
    this.writing = true
    this.z!.write(bytes, (e) => {
      this.writing = false
      if (e != null) this.failure ??= { _tag: "Corrupt", detail: message(e) }
      this.wake()
    })
  }

  private fail(): Pull<E> {
    return Effect.fail(Option.some(this.onError(this.failure!)))
  }

  readonly release = (): void => {
    this.released = true
    const z = this.z
    if (z !== undefined && !z.destroyed) z.destroy()
  }

  readonly step: Pull<E> = Effect.suspend((): Pull<E> => {
    if (this.failure !== undefined) return this.fail()
    if (this.released) return Effect.fail(Option.some(this.onError({ _tag: "Released" })))
    const z = this.z
    if (z !== undefined) {
      const out = z.read() as Buffer | null
      if (out !== null) {
        this.decoded += out.length
        if (this.limit > 0 && this.decoded > this.limit) {
          this.failure = { _tag: "TooLarge", limit: this.limit }
          this.release()
          return this.fail()
        }
        return Effect.succeed(out)
      }
      if (z.readableEnded) return Effect.fail(Option.none())
      if (this.writing) return Effect.zipRight(this.wait, this.step)
      if (this.inputDone) {
        if (!this.endCalled) {
          this.endCalled = true
          z.end()
        }
        return Effect.zipRight(this.wait, this.step)
      }
    } else if (this.inputDone) {
      // No decoder yet at the end of the input: an empty body, or one byte of deflate.
      const held = this.held
      if (held === undefined) return Effect.fail(Option.none())
      this.held = undefined
      this.feed(held)
      return this.step
    }
    return Effect.matchEffect(this.input, {
      onFailure: (e): Pull<E> => {
        if (Option.isSome(e)) return Effect.fail(e)
        this.inputDone = true
        return this.step
      },
      onSuccess: (chunk): Pull<E> => {
        if (chunk.length > 0) this.feed(chunk)
        return this.step
      }
    })
  })
}
