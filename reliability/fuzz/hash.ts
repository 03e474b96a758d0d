/**
 * FNV-1a over bytes: a cheap fingerprint, used to derive the splits of an input from the input
 * itself (so that a replay cuts it the same way) and to name regression files.
 *
 * @module
 */

/** The 32-bit FNV-1a hash of `bytes`. */
export const fnv1a = (bytes: Uint8Array): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]!
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}
