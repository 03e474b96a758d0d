/**
 * A gzip decompression bomb: `members` copies of one gzip member of 16 MiB of zeros (about
 * 16 KB each), which a gzip decoder expands to `members` × 16 MiB (RFC 1952 allows a
 * stream of several members, and node:zlib decodes them all).
 *
 * @module
 */
import * as zlib from "node:zlib"

/** Bytes one member expands to. */
export const MEMBER_BYTES = 16 * 1024 * 1024

/** The bomb: `members` × 16 MiB once decoded, about `members` × 16 KB as sent. */
export const gzipBomb = (members: number): Buffer => {
  const member = zlib.gzipSync(Buffer.alloc(MEMBER_BYTES), { level: 9 })
  return Buffer.concat(Array.from({ length: members }, () => member))
}
