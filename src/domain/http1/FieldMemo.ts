/**
 * A per-connection memo of the field lines of the last message head, line by line.
 *
 * Keep-alive peers send the same field names in the same order on every message of a
 * connection, and most values again too (Host, User-Agent, Accept, ...): browsers, proxies,
 * SDKs, and servers answering them. When line `i` of a head starts with exactly the bytes
 * that line `i`'s name had last time, followed by ":", the name is known: no byte-class
 * scan, no interning, no new string; the same for its value when it is byte for byte the
 * last one. HPACK exploits the same repetition for HTTP/2. Any mismatch falls back to the
 * full scan and replaces the entry; only bytes the scan validated are remembered and matches
 * are exact, so the memo never accepts a line the scan would refuse. The parser fills it from
 * a connection's second head on, so a connection that carries one message pays nothing.
 *
 * @module
 */
import { COLON, CR, LF, wordAt } from "./chars.js"

/** How many field lines per head are remembered. */
const MAX_LINES = 64
/** The longest value remembered, in bytes. */
const MAX_VALUE = 1024
/** The word store's size at which the memo starts over. */
const MAX_WORDS = 8192

/** The words a byte string of `len` bytes is kept as (see `store`). */
const wordCount = (len: number): number => (len < 4 ? len : (len >> 2) + 1)

/** The field lines of the last head seen on a connection, by line index. */
export class FieldMemo {
  /**
   * Byte strings are kept in `words`: one of 4 bytes or more as its little-endian 32-bit
   * words at 0, 4, 8, ... and the word ending at its last byte; a shorter one byte by byte.
   * Plain arrays: a small typed array costs more to allocate than the comparisons it saves.
   */
  private words: Array<number> = []
  // Per line: the name's and the value's place in `words` and length (-1: none).
  private readonly nameAt: Array<number> = []
  private readonly nameLength: Array<number> = []
  private readonly valueAt: Array<number> = []
  private readonly valueLength: Array<number> = []
  /** Per line: the canonical name, whether it frames the message, and the value. */
  private readonly names: Array<string> = []
  private readonly framings: Array<boolean> = []
  private readonly values: Array<string> = []
  /** Per line: how many times in a row the value differed from the one remembered. */
  private readonly valueMisses: Array<number> = []

  /** How many lines are remembered. */
  get lines(): number {
    return this.nameLength.length
  }

  /**
   * The length of the name at line `line` if `buf` holds, from `p`, exactly the bytes
   * remembered for that line followed by a colon; otherwise -1.
   */
  matchName(view: DataView, buf: Uint8Array, p: number, end: number, line: number): number {
    if (line >= this.nameLength.length) return -1
    const len = this.nameLength[line]!
    if (p + len >= end || buf[p + len] !== COLON) return -1
    return this.equal(view, buf, p, len, this.nameAt[line]!) ? len : -1
  }

  /**
   * The length of the value at line `line` (whose name matched) if `buf` holds, from `p`,
   * exactly the value remembered for that line followed by CR or LF; otherwise -1.
   */
  matchValue(view: DataView, buf: Uint8Array, p: number, end: number, line: number): number {
    const len = this.valueLength[line]!
    if (len < 0 || p + len >= end) return -1
    const next = buf[p + len]
    if (next !== CR && next !== LF) return -1
    if (!this.equal(view, buf, p, len, this.valueAt[line]!)) return -1
    this.valueMisses[line] = 0
    return len
  }

  /** The canonical name remembered for `line`. */
  name(line: number): string {
    return this.names[line]!
  }

  /** Whether the name remembered for `line` frames the message (Content-Length, ...). */
  framing(line: number): boolean {
    return this.framings[line]!
  }

  /** The value remembered for `line`. */
  value(line: number): string {
    return this.values[line]!
  }

  /**
   * Remembers that line `line` had the (validated) raw name `buf[start, end)`, canonically
   * `name`, and forgets its value. Lines are remembered in order; one past the limit is not.
   */
  rememberName(buf: Uint8Array, start: number, end: number, line: number, name: string, framing: boolean): void {
    if (line >= MAX_LINES || line > this.nameLength.length) return
    if (this.words.length > MAX_WORDS) {
      this.forget()
      if (line > 0) return
    }
    const len = end - start
    this.nameAt[line] = this.store(buf, start, len, line < this.nameLength.length ? this.nameAt[line]! : -1,
      line < this.nameLength.length ? this.nameLength[line]! : -1)
    this.nameLength[line] = len
    this.names[line] = name
    this.framings[line] = framing
    this.valueLength[line] = -1
    if (line >= this.valueAt.length) this.valueAt[line] = -1
    this.values[line] = ""
    this.valueMisses[line] = 0
  }

  /**
   * Remembers the (validated) value `buf[start, end)` of line `line`, whose name is
   * remembered. A value that differed the last two times (a request id, a date) is not
   * remembered any more: comparing and storing it would only cost.
   */
  rememberValue(buf: Uint8Array, start: number, end: number, line: number, value: string): void {
    if (line >= this.nameLength.length) return
    const misses = this.valueMisses[line] ?? 0
    if (this.valueLength[line]! >= 0) this.valueMisses[line] = misses + 1
    if (misses >= 2) {
      this.valueLength[line] = -1
      return
    }
    const len = end - start
    if (len > MAX_VALUE) return
    this.valueAt[line] = this.store(buf, start, len, this.valueAt[line]!, this.valueLength[line]!)
    this.valueLength[line] = len
    this.values[line] = value
  }

  private equal(view: DataView, buf: Uint8Array, p: number, len: number, at: number): boolean {
    const words = this.words
    if (len < 4) {
      for (let i = 0; i < len; i++) if (buf[p + i] !== words[at + i]) return false
      return true
    }
    const n = len >> 2
    if (view.getInt32(p + len - 4, true) !== words[at + n]) return false
    for (let i = 0; i < n; i++) if (view.getInt32(p + i * 4, true) !== words[at + i]) return false
    return true
  }

  /** Stores `buf[start, start + len)`, over the old place when it fits; returns where. */
  private store(buf: Uint8Array, start: number, len: number, oldAt: number, oldLen: number): number {
    const words = this.words
    const n = wordCount(len)
    const at = oldAt >= 0 && oldLen >= 0 && n <= wordCount(oldLen) ? oldAt : words.length
    if (len < 4) {
      for (let i = 0; i < len; i++) words[at + i] = buf[start + i]!
      return at
    }
    const whole = len >> 2
    for (let i = 0; i < whole; i++) words[at + i] = wordAt(buf, start + i * 4)
    words[at + whole] = wordAt(buf, start + len - 4)
    return at
  }

  /** Drops everything (lines replaced over and over have filled the word store). */
  private forget(): void {
    this.words = []
    this.nameAt.length = 0
    this.nameLength.length = 0
    this.valueAt.length = 0
    this.valueLength.length = 0
    this.names.length = 0
    this.framings.length = 0
    this.values.length = 0
    this.valueMisses.length = 0
  }
}
