/**
 * Content-Type sniffing: a port of Go's `http.DetectContentType` (`src/net/http/sniff.go`),
 * which implements the WHATWG MIME Sniffing Standard (https://mimesniff.spec.whatwg.org/).
 *
 * The signature table, its order and the returned strings are Go's, byte for byte: HTML
 * signatures (case-insensitive, after leading whitespace, ending in a tag-terminating byte),
 * XML, PDF, PostScript, the UTF BOMs, images, audio and video (with Go's MP4 box scan), fonts,
 * archives, WebAssembly, then the "no binary bytes" text test, else
 * `application/octet-stream`.
 *
 * Plain synchronous code: every pattern is a precomputed `Uint8Array`, a call allocates nothing.
 *
 * @module
 */

/** The most bytes {@link detectContentType} looks at (Go's `sniffLen`). */
export const SNIFF_LEN = 512

/** Go's answer for HTML signatures. */
const HTML = "text/html; charset=utf-8"
/** Go's answer for text without binary bytes (and for the UTF-8 BOM). */
const TEXT = "text/plain; charset=utf-8"
/** Go's fallback. */
const OCTET_STREAM = "application/octet-stream"

/** The bytes of a pattern written with `\xNN` escapes (each char code is one byte, ≤ 0xFF). */
const latin1 = (s: string): Uint8Array => {
  const out = new Uint8Array(s.length)
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff
  return out
}

/**
 * One row of Go's `sniffSignatures`. `html` is Go's `htmlSig` (pattern upper-cased, matched
 * after whitespace, letters compared with `& 0xDF`, then a tag-terminating byte), `masked` is
 * `maskedSig`, `exact` is `exactSig` (a prefix, no whitespace skipping), `mp4` is `mp4Sig` and
 * `text` is `textSig`.
 */
type Signature =
  | { readonly _tag: "html"; readonly pattern: Uint8Array }
  | {
    readonly _tag: "masked"
    readonly mask: Uint8Array
    readonly pattern: Uint8Array
    readonly skipWS: boolean
    readonly contentType: string
  }
  | { readonly _tag: "exact"; readonly pattern: Uint8Array; readonly contentType: string }
  | { readonly _tag: "mp4" }
  | { readonly _tag: "text" }

const html = (pattern: string): Signature => ({ _tag: "html", pattern: latin1(pattern) })
const masked = (mask: string, pattern: string, contentType: string, skipWS = false): Signature => ({
  _tag: "masked",
  mask: latin1(mask),
  pattern: latin1(pattern),
  skipWS,
  contentType
})
const exact = (pattern: string, contentType: string): Signature => ({
  _tag: "exact",
  pattern: latin1(pattern),
  contentType
})

const NUL34 = "\x00".repeat(34)

/** Go's `sniffSignatures`, in Go's order ("Data matching the table in section 6"). */
const SIGNATURES: ReadonlyArray<Signature> = [
  html("<!DOCTYPE HTML"),
  html("<HTML"),
  html("<HEAD"),
  html("<SCRIPT"),
  html("<IFRAME"),
  html("<H1"),
  html("<DIV"),
  html("<FONT"),
  html("<TABLE"),
  html("<A"),
  html("<STYLE"),
  html("<TITLE"),
  html("<B"),
  html("<BODY"),
  html("<BR"),
  html("<P"),
  html("<!--"),
  masked("\xFF\xFF\xFF\xFF\xFF", "<?xml", "text/xml; charset=utf-8", true),
  exact("%PDF-", "application/pdf"),
  exact("%!PS-Adobe-", "application/postscript"),

  // UTF BOMs.
  masked("\xFF\xFF\x00\x00", "\xFE\xFF\x00\x00", "text/plain; charset=utf-16be"),
  masked("\xFF\xFF\x00\x00", "\xFF\xFE\x00\x00", "text/plain; charset=utf-16le"),
  masked("\xFF\xFF\xFF\x00", "\xEF\xBB\xBF\x00", TEXT),

  // Image types ("image/x-icon" per WHATWG §6.2, as Go since 1.11).
  exact("\x00\x00\x01\x00", "image/x-icon"),
  exact("\x00\x00\x02\x00", "image/x-icon"),
  exact("BM", "image/bmp"),
  exact("GIF87a", "image/gif"),
  exact("GIF89a", "image/gif"),
  masked("\xFF\xFF\xFF\xFF\x00\x00\x00\x00\xFF\xFF\xFF\xFF\xFF\xFF", "RIFF\x00\x00\x00\x00WEBPVP", "image/webp"),
  exact("\x89PNG\x0D\x0A\x1A\x0A", "image/png"),
  exact("\xFF\xD8\xFF", "image/jpeg"),

  // Audio and video types, in the order WHATWG's "matching an audio or video type pattern" sets.
  masked("\xFF\xFF\xFF\xFF\x00\x00\x00\x00\xFF\xFF\xFF\xFF", "FORM\x00\x00\x00\x00AIFF", "audio/aiff"),
  masked("\xFF\xFF\xFF", "ID3", "audio/mpeg"),
  masked("\xFF\xFF\xFF\xFF\xFF", "OggS\x00", "application/ogg"),
  masked("\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF", "MThd\x00\x00\x00\x06", "audio/midi"),
  masked("\xFF\xFF\xFF\xFF\x00\x00\x00\x00\xFF\xFF\xFF\xFF", "RIFF\x00\x00\x00\x00AVI ", "video/avi"),
  masked("\xFF\xFF\xFF\xFF\x00\x00\x00\x00\xFF\xFF\xFF\xFF", "RIFF\x00\x00\x00\x00WAVE", "audio/wave"),
  { _tag: "mp4" },
  exact("\x1A\x45\xDF\xA3", "video/webm"),

  // Font types: 34 bytes of anything then "LP" is Embedded OpenType.
  masked(NUL34 + "\xFF\xFF", NUL34 + "LP", "application/vnd.ms-fontobject"),
  exact("\x00\x01\x00\x00", "font/ttf"),
  exact("OTTO", "font/otf"),
  exact("ttcf", "font/collection"),
  exact("wOFF", "font/woff"),
  exact("wOF2", "font/woff2"),

  // Archive types. RAR uses RAR Labs' signatures, not the spec's (whatwg/mimesniff#63), as Go.
  exact("\x1F\x8B\x08", "application/x-gzip"),
  exact("PK\x03\x04", "application/zip"),
  exact("Rar!\x1A\x07\x00", "application/x-rar-compressed"), // RAR v1.5-v4.0
  exact("Rar!\x1A\x07\x01\x00", "application/x-rar-compressed"), // RAR v5+

  exact("\x00\x61\x73\x6D", "application/wasm"),

  { _tag: "text" } // should be last
]

/** Go's `isWS`: the WHATWG whitespace bytes (0xWS) HT, LF, FF, CR and SP. */
const isWS = (b: number): boolean => b === 0x09 || b === 0x0a || b === 0x0c || b === 0x0d || b === 0x20

/** Go's `isTT`: a tag-terminating byte (0xTT), SP or `>`. */
const isTT = (b: number): boolean => b === 0x20 || b === 0x3e

/** Go's `textSig` binary bytes (WHATWG §5 step 4): 0x00–0x08, 0x0B, 0x0E–0x1A, 0x1C–0x1F. */
const BINARY = new Uint8Array(256)
for (let b = 0; b < 0x20; b++) {
  if (b <= 0x08 || b === 0x0b || (b >= 0x0e && b <= 0x1a) || b >= 0x1c) BINARY[b] = 1
}

/** Go's `htmlSig.match`; `pattern` is upper case, letters in the data compared case-insensitively. */
const matchHTML = (pattern: Uint8Array, data: Uint8Array, start: number, end: number): boolean => {
  const n = pattern.length
  if (end - start < n + 1) return false
  for (let i = 0; i < n; i++) {
    const b = pattern[i]!
    let db = data[start + i]!
    if (b >= 0x41 && b <= 0x5a) db &= 0xdf
    if (b !== db) return false
  }
  return isTT(data[start + n]!)
}

/** Go's `maskedSig.match`, from `start`. */
const matchMasked = (mask: Uint8Array, pattern: Uint8Array, data: Uint8Array, start: number, end: number): boolean => {
  const n = pattern.length
  if (mask.length !== n || end - start < n) return false
  for (let i = 0; i < n; i++) {
    if ((data[start + i]! & mask[i]!) !== pattern[i]!) return false
  }
  return true
}

/** Go's `exactSig.match`: `bytes.HasPrefix` on the (truncated) data, whitespace included. */
const matchExact = (pattern: Uint8Array, data: Uint8Array, end: number): boolean => {
  const n = pattern.length
  if (end < n) return false
  for (let i = 0; i < n; i++) {
    if (data[i] !== pattern[i]) return false
  }
  return true
}

/**
 * Go's `mp4Sig.match` (WHATWG "signature for MP4"): a big-endian box size that is a multiple of
 * 4 and fits in the data, `ftyp` at 4, and a brand starting `mp4` in any 4-byte slot from 8 up
 * to the box end, skipping the minor version at 12.
 */
const matchMP4 = (data: Uint8Array, end: number): boolean => {
  if (end < 12) return false
  const boxSize = data[0]! * 0x1000000 + (data[1]! << 16) + (data[2]! << 8) + data[3]!
  if (end < boxSize || boxSize % 4 !== 0) return false
  // "ftyp"
  if (data[4] !== 0x66 || data[5] !== 0x74 || data[6] !== 0x79 || data[7] !== 0x70) return false
  for (let st = 8; st < boxSize; st += 4) {
    if (st === 12) continue // the major brand's version number
    // "mp4"
    if (data[st] === 0x6d && data[st + 1] === 0x70 && data[st + 2] === 0x34) return true
  }
  return false
}

/** Go's `textSig.match`: no binary byte after the leading whitespace. */
const matchText = (data: Uint8Array, start: number, end: number): boolean => {
  for (let i = start; i < end; i++) {
    if (BINARY[data[i]!] === 1) return false
  }
  return true
}

/**
 * The Content-Type of `data`, as Go's `http.DetectContentType`: the WHATWG MIME sniffing
 * algorithm over at most the first `SNIFF_LEN` (512) bytes. Always a valid MIME type; when
 * nothing more specific matches, `"application/octet-stream"`. Empty data is
 * `"text/plain; charset=utf-8"`, as in Go.
 *
 * @since 0.1.0
 * @category utils
 */
export const detectContentType = (data: Uint8Array): string => {
  const end = data.length > SNIFF_LEN ? SNIFF_LEN : data.length

  // Index of the first non-whitespace byte.
  let firstNonWS = 0
  while (firstNonWS < end && isWS(data[firstNonWS]!)) firstNonWS++

  for (const sig of SIGNATURES) {
    switch (sig._tag) {
      case "html":
        if (matchHTML(sig.pattern, data, firstNonWS, end)) return HTML
        break
      case "masked":
        if (matchMasked(sig.mask, sig.pattern, data, sig.skipWS ? firstNonWS : 0, end)) return sig.contentType
        break
      case "exact":
        if (matchExact(sig.pattern, data, end)) return sig.contentType
        break
      case "mp4":
        if (matchMP4(data, end)) return "video/mp4"
        break
      case "text":
        if (matchText(data, firstNonWS, end)) return TEXT
        break
    }
  }
  return OCTET_STREAM
}
