/**
 * A typed view of two fast Buffer methods Node has carried since v0.x but does not document:
 * `latin1Slice` and `latin1Write` skip the encoding dispatch and argument checks of
 * `toString("latin1", …)` and `write(…, "latin1")`, which shows in the parser's profile.
 *
 * This is a module-local type, not an augmentation of the global `Buffer` interface, so that
 * a consumer's type check never sees these methods: the codec casts a `Buffer` to
 * {@link FastBuffer} where it calls them (`(buf as FastBuffer).latin1Slice(start, end)`), which
 * costs nothing at run time. Import it with `import type`: this module has no run-time code.
 *
 * @internal
 * @module
 */

/**
 * A `Buffer` seen with Node's undocumented fast latin1 methods.
 *
 * @internal
 */
export interface FastBuffer extends Buffer {
  /** Decodes `[start, end)` as latin1, one character per byte. */
  latin1Slice(start: number, end: number): string
  /** Writes `s` as latin1 at `offset`; returns the bytes written. */
  latin1Write(s: string, offset: number): number
}
