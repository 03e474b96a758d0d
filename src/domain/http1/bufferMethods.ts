/**
 * Types for two fast Buffer methods Node has carried since v0.x but does not document:
 * `latin1Slice` and `latin1Write` skip the encoding dispatch and argument checks of
 * `toString("latin1", …)` and `write(…, "latin1")`, which shows in the parser's profile.
 *
 * @module
 */
declare global {
  interface Buffer {
    /** Decodes `[start, end)` as latin1, one character per byte. */
    latin1Slice(start: number, end: number): string
    /** Writes `s` as latin1 at `offset`; returns the bytes written. */
    latin1Write(s: string, offset: number): number
  }
}

export {}
