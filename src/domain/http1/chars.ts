/**
 * Byte-class lookup tables for the HTTP/1.1 grammar (RFC 9110 §5.6, RFC 9112). Parsers index
 * them with a byte instead of running regular expressions.
 *
 * @module
 */

const table = (accept: (b: number) => boolean): Uint8Array => {
  const t = new Uint8Array(256)
  for (let b = 0; b < 256; b++) t[b] = accept(b) ? 1 : 0
  return t
}

const TCHAR_PUNCT = "!#$%&'*+-.^_`|~"

/** tchar (RFC 9110 §5.6.2): the bytes of a token such as a method or a header name. */
export const TOKEN: Uint8Array = table(
  (b) =>
    (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) ||
    TCHAR_PUNCT.includes(String.fromCharCode(b))
)

/** NAME_CLASS bit: a token byte. */
export const NAME_TOKEN = 1
/** NAME_CLASS bit: a lower-case letter. */
export const NAME_LOWER = 2
/** NAME_CLASS bit: an upper-case letter. */
export const NAME_UPPER = 4

/**
 * Field-name byte classes for one pass that both checks a name's bytes and tells whether the
 * name is canonical already (Go's CanonicalHeaderKey form): bit 0 token, bit 1 lower-case
 * letter, bit 2 upper-case letter, and from bit 3 on the case bit that would break canonical
 * form in the next byte (a letter after "-" must be upper case, any other letter lower case).
 */
export const NAME_CLASS: Uint8Array = (() => {
  const t = new Uint8Array(256)
  for (let b = 0; b < 256; b++) {
    if (TOKEN[b] === 0) continue
    const letterCase = b >= 0x61 && b <= 0x7a ? NAME_LOWER : b >= 0x41 && b <= 0x5a ? NAME_UPPER : 0
    const next = b === 0x2d ? NAME_LOWER : NAME_UPPER
    t[b] = NAME_TOKEN | letterCase | (next << 3)
  }
  return t
})()

/**
 * The bytes allowed inside a field value (RFC 9110 §5.5): VCHAR, obs-text, SP and HTAB.
 * Control characters (NUL, CR, LF, DEL and the rest) are not.
 */
export const FIELD_VALUE: Uint8Array = table((b) => b === 0x09 || (b >= 0x20 && b !== 0x7f))

/**
 * The bytes of a request-target: visible ASCII, and obs-text which the parser percent-encodes.
 * Whitespace and control characters end or break the target.
 */
export const TARGET: Uint8Array = table((b) => b > 0x20 && b !== 0x7f)

/** The bytes of a reason phrase (RFC 9112 §4): HTAB, SP, VCHAR, obs-text. */
export const REASON: Uint8Array = FIELD_VALUE

/** qdtext (RFC 9110 §5.6.4): what a quoted-string holds besides quoted-pairs. */
export const QDTEXT: Uint8Array = table(
  (b) => b === 0x09 || b === 0x20 || b === 0x21 || (b >= 0x23 && b <= 0x5b) || (b >= 0x5d && b <= 0x7e) || b >= 0x80
)

/** Hexadecimal digit values, or 255 for a byte that is not one. */
export const HEX: Uint8Array = (() => {
  const t = new Uint8Array(256).fill(255)
  for (let i = 0; i < 10; i++) t[0x30 + i] = i
  for (let i = 0; i < 6; i++) {
    t[0x41 + i] = 10 + i
    t[0x61 + i] = 10 + i
  }
  return t
})()

export const CR = 0x0d
export const LF = 0x0a
export const SP = 0x20
export const HTAB = 0x09
export const COLON = 0x3a

/** Whether a string is a non-empty token (RFC 9110 §5.6.2). */
export const isToken = (s: string): boolean => {
  if (s.length === 0) return false
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c > 0x7f || TOKEN[c] === 0) return false
  }
  return true
}

/**
 * The index of the first character that may not appear in a field value, or -1. Characters
 * above 0xFF cannot be sent as the single bytes HTTP/1.1 carries, so they are refused too.
 */
export const invalidFieldValueIndex = (s: string): number => {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c > 0xff || FIELD_VALUE[c] === 0) return i
  }
  return -1
}

/** The index of the first character that may not appear in a token, or -1 (0 for ""). */
export const invalidTokenIndex = (s: string): number => {
  if (s.length === 0) return 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c > 0x7f || TOKEN[c] === 0) return i
  }
  return -1
}

/** The little-endian 32-bit word at `buf[p, p + 4)`, assembled from bytes (no DataView needed). */
export const wordAt = (buf: Uint8Array, p: number): number =>
  buf[p]! | (buf[p + 1]! << 8) | (buf[p + 2]! << 16) | (buf[p + 3]! << 24)
