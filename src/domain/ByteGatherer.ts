/**
 * Gathers a body read whole (Go's `io.ReadAll`) into one growing buffer, so that memory is
 * bounded by about twice the body whatever the chunking: keeping one view per chunk instead
 * costs ~100 bytes of heap per chunk, so a 1 MiB body arriving as 1-byte chunks took ~120 MB.
 *
 * Go's `io.ReadAll` grows one slice the same way (append's amortised doubling); like it, the
 * result is the gathered bytes, here a view of exactly them. One chunk alone is returned as
 * it is, not copied: the common case (a small body in one read) costs nothing.
 *
 * A source whose chunks are never reused (the server's own parser: views of the socket's reads)
 * may let large chunks be kept as they are (`keepLarge`): a 500 KB upload then costs one copy
 * at the end instead of four growing buffers and the copies between them, and nothing at all
 * when it fails before its end (a client resetting half-sent uploads).
 *
 * @module
 */

/** The most allocated ahead of the bytes on the strength of a declared length alone. */
export const MAX_PREALLOCATE = 64 << 10

/** The smallest buffer allocated once a second chunk arrives, without a declared length. */
const MIN_CAPACITY = 1024

/**
 * The smallest chunk kept as it is under `keepLarge`: its view's ~100 bytes of heap are under 1 %
 * of it, and the input it pins (a read of at most 64 KiB, with the framing around the chunk)
 * is within a few times its size.
 */
export const KEEP_MIN = 16 << 10

const EMPTY = new Uint8Array(0)

/**
 * One growing buffer of bytes pushed in order: `push` each chunk (it is copied, or kept as it
 * is while it is the only one), then `result` for all of them. Capacity doubles as it fills
 * (amortised O(1) per byte). A declared length (`hint`, e.g. Content-Length) sizes the buffer,
 * but at most {@link MAX_PREALLOCATE} is allocated before the bytes arrive, so a lying
 * Content-Length cannot make us allocate what the peer never sends; growth stops at the hint
 * while the bytes stay within it. With `keepLarge`, chunks of {@link KEEP_MIN} bytes or more
 * are kept as they are (the buffer so far is set aside before them), and `result` copies
 * everything once.
 */
export class ByteGatherer {
  /** The only chunk so far, not copied yet. */
  private single: Uint8Array | undefined = undefined
  private buf: Buffer | undefined = undefined
  /** Bytes in `buf`. */
  private filled = 0
  private length = 0
  /** Under `keepLarge`, what came before `buf` in order: large chunks and earlier buffers' bytes. */
  private parts: Array<Uint8Array> | undefined = undefined
  /** Bytes in `parts`. */
  private asideBytes = 0

  /**
   * `hint`: the number of bytes expected, when known (negative or undefined: unknown).
   * `keepLarge`: the caller never reuses a chunk it pushed, so large ones need no copy.
   */
  constructor(private readonly hint: number = -1, private readonly keepLarge = false) {}

  /** The number of bytes gathered so far. */
  get size(): number {
    return this.length
  }

  /**
   * Adds `chunk` after the bytes gathered so far. The caller may reuse `chunk` afterwards unless
   * it was the first, or the gatherer was made with `keepLarge`.
   */
  push(chunk: Uint8Array): void {
    const n = chunk.length
    if (n === 0) return
    if (this.length === 0) {
      this.single = chunk
      this.length = n
      return
    }
    this.length += n
    if (this.keepLarge && n >= KEEP_MIN) {
      const parts = this.parts ??= []
      this.setAside(parts)
      parts.push(chunk)
      this.asideBytes += n
      return
    }
    const single = this.single
    if (single !== undefined) {
      this.single = undefined
      if (this.keepLarge && single.length >= KEEP_MIN) {
        ;(this.parts ??= []).push(single)
        this.asideBytes += single.length
      } else {
        this.reserve(single.length + n)
        this.append(single)
      }
    }
    this.reserve(this.filled + n)
    this.append(chunk)
  }

  /**
   * All the bytes pushed, in order: the one chunk itself when only one came, else a view of
   * exactly the gathered bytes in one buffer. Pushing more afterwards may or may not
   * change an earlier result: take it at the end.
   */
  result(): Uint8Array {
    if (this.single !== undefined) return this.single
    const parts = this.parts
    if (parts !== undefined) {
      this.setAside(parts)
      const whole = parts.length === 1 ? parts[0]! : Buffer.concat(parts, this.length)
      this.parts = [whole]
      this.asideBytes = this.length
      return whole
    }
    if (this.buf === undefined) return EMPTY
    return this.buf.subarray(0, this.filled)
  }

  // Moves the single chunk and the buffer's bytes to `parts`, before a chunk kept as it is.
  private setAside(parts: Array<Uint8Array>): void {
    if (this.single !== undefined) {
      parts.push(this.single)
      this.asideBytes += this.single.length
      this.single = undefined
    }
    if (this.filled > 0) {
      parts.push(this.buf!.subarray(0, this.filled))
      this.asideBytes += this.filled
      this.buf = undefined
      this.filled = 0
    }
  }

  // Makes room in the growing buffer for `need` bytes in all.
  private reserve(need: number): void {
    if (this.buf === undefined) this.buf = Buffer.allocUnsafe(this.capacityFor(need, 0))
    else if (need > this.buf.length) {
      const grown = Buffer.allocUnsafe(this.capacityFor(need, this.buf.length))
      grown.set(this.buf.subarray(0, this.filled), 0)
      this.buf = grown
    }
  }

  // Copies `chunk` into the growing buffer, which has room for it.
  private append(chunk: Uint8Array): void {
    this.buf!.set(chunk, this.filled)
    this.filled += chunk.length
  }

  // The capacity for `need` bytes, growing from `current`.
  private capacityFor(need: number, current: number): number {
    // What the declared length leaves for this buffer, after the bytes set aside before it.
    const hint = this.hint < 0 ? -1 : this.hint - this.asideBytes
    if (hint >= need) {
      // Within the declared length: allocate it when small, else grow towards it.
      if (hint <= MAX_PREALLOCATE) return hint
      return Math.min(hint, Math.max(need, current * 2, MAX_PREALLOCATE))
    }
    return Math.max(need, current * 2, MIN_CAPACITY)
  }
}
