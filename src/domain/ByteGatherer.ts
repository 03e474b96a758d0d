/**
 * Gathers a body read whole (Go's `io.ReadAll`) into one growing buffer, so that memory is
 * bounded by about twice the body whatever the chunking: keeping one view per chunk instead
 * costs ~100 bytes of heap per chunk, so a 1 MiB body arriving as 1-byte chunks took ~120 MB.
 *
 * Go's `io.ReadAll` grows one slice the same way (append's amortised doubling); like it, the
 * result is the gathered bytes, here a view of exactly them. One chunk alone is returned as
 * it is, not copied: the common case (a small body in one read) costs nothing.
 *
 * @module
 */

/** The most allocated ahead of the bytes on the strength of a declared length alone. */
export const MAX_PREALLOCATE = 64 << 10

/** The smallest buffer allocated once a second chunk arrives, without a declared length. */
const MIN_CAPACITY = 1024

const EMPTY = new Uint8Array(0)

/**
 * One growing buffer of bytes pushed in order: `push` each chunk (it is copied, or kept as it
 * is while it is the only one), then `result` for all of them. Capacity doubles as it fills
 * (amortised O(1) per byte). A declared length (`hint`, e.g. Content-Length) sizes the buffer,
 * but at most {@link MAX_PREALLOCATE} is allocated before the bytes arrive, so a lying
 * Content-Length cannot make us allocate what the peer never sends; growth stops at the hint
 * while the bytes stay within it.
 */
export class ByteGatherer {
  /** The only chunk so far, not copied yet. */
  private single: Uint8Array | undefined = undefined
  private buf: Buffer | undefined = undefined
  private length = 0

  /** `hint`: the number of bytes expected, when known (negative or undefined: unknown). */
  constructor(private readonly hint: number = -1) {}

  /** The number of bytes gathered so far. */
  get size(): number {
    return this.length
  }

  /** Adds `chunk` after the bytes gathered so far. The caller may reuse `chunk` afterwards unless it was the first. */
  push(chunk: Uint8Array): void {
    const n = chunk.length
    if (n === 0) return
    if (this.buf === undefined) {
      const single = this.single
      if (single === undefined && this.length === 0) {
        this.single = chunk
        this.length = n
        return
      }
      // A second chunk: from now on, one buffer.
      this.buf = Buffer.allocUnsafe(this.capacityFor(this.length + n, 0))
      if (single !== undefined) this.buf.set(single, 0)
      this.single = undefined
    }
    const need = this.length + n
    if (need > this.buf.length) {
      const grown = Buffer.allocUnsafe(this.capacityFor(need, this.buf.length))
      grown.set(this.buf.subarray(0, this.length), 0)
      this.buf = grown
    }
    this.buf.set(chunk, this.length)
    this.length = need
  }

  /**
   * All the bytes pushed, in order: the one chunk itself when only one came, else a view of
   * exactly the gathered bytes in the shared buffer. Pushing more afterwards may or may not
   * change an earlier result: take it at the end.
   */
  result(): Uint8Array {
    if (this.single !== undefined) return this.single
    if (this.buf === undefined) return EMPTY
    return this.buf.subarray(0, this.length)
  }

  // The capacity for `need` bytes, growing from `current`.
  private capacityFor(need: number, current: number): number {
    const hint = this.hint
    if (hint >= need) {
      // Within the declared length: allocate it when small, else grow towards it.
      if (hint <= MAX_PREALLOCATE) return hint
      return Math.min(hint, Math.max(need, current * 2, MAX_PREALLOCATE))
    }
    return Math.max(need, current * 2, MIN_CAPACITY)
  }
}
