/**
 * Byte ranges as Go's file serving handles them (`src/net/http/fs.go`): `parseRange` reads a
 * Range field (RFC 9110 §14.1.2), `httpRange.contentRange` formats a Content-Range, and the
 * `multipart/byteranges` body for several ranges is laid out as Go's `multipart.Writer` writes
 * it, with its exact size (Go's `rangesMIMESize`). Pure: no I/O, no Effects.
 *
 * @module
 */
import { randomBytes } from "node:crypto"
import { trimString } from "./textproto.js"

/** One byte range of the content (Go's `httpRange`): `length` bytes from `start`. */
export interface ByteRange {
  readonly start: number
  readonly length: number
}

/**
 * A part of a body: bytes sent as they are (a multipart delimiter and part header), or
 * `[start, end)` of the content.
 */
export type Segment = Uint8Array | readonly [number, number]

/** Go's `httpRange.contentRange`: `bytes first-last/size`. */
export const contentRange = (r: ByteRange, size: number): string => `bytes ${r.start}-${r.start + r.length - 1}/${size}`

/** The Content-Range of a 416 when no range overlaps content of `size` bytes: `bytes *\/size`. */
export const unsatisfiedContentRange = (size: number): string => `bytes */${size}`

/** Go's `sumRangesSize`: how many content bytes the ranges cover together (overlaps counted twice). */
export const sumRangesSize = (ranges: ReadonlyArray<ByteRange>): number => ranges.reduce((sum, r) => sum + r.length, 0)

const INT64_MAX = 9223372036854775807

/** Go's `strconv.ParseInt(s, 10, 64)`: an optional sign and digits within int64; undefined otherwise. */
const parseInt64 = (s: string): number | undefined => {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined
  const n = Number(s)
  return Math.abs(n) > INT64_MAX ? undefined : n
}

/**
 * Go's `parseRange` (RFC 9110 §14.1.2): the ranges of a Range field for content of `size`
 * bytes; [] when there is no field or no range in it, "invalid" for a syntax error,
 * "no-overlap" when every range starts at or after the end.
 */
export const parseRange = (s: string, size: number): Array<ByteRange> | "invalid" | "no-overlap" => {
  if (s === "") return []
  if (!s.startsWith("bytes=")) return "invalid"
  const ranges: Array<ByteRange> = []
  let noOverlap = false
  for (let ra of s.slice("bytes=".length).split(",")) {
    ra = trimString(ra)
    if (ra === "") continue
    const dash = ra.indexOf("-")
    if (dash < 0) return "invalid"
    const startText = trimString(ra.slice(0, dash))
    const endText = trimString(ra.slice(dash + 1))
    if (startText === "") {
      // A suffix: the last `end` bytes (a non-negative integer, RFC 9110 §14.1.2).
      if (endText === "" || endText[0] === "-") return "invalid"
      let i = parseInt64(endText)
      if (i === undefined || i < 0) return "invalid"
      if (i > size) i = size
      ranges.push({ start: size - i, length: i })
      continue
    }
    const start = parseInt64(startText)
    if (start === undefined || start < 0) return "invalid"
    if (start >= size) {
      // Starting after the content: no overlap.
      noOverlap = true
      continue
    }
    if (endText === "") {
      ranges.push({ start, length: size - start })
      continue
    }
    let end = parseInt64(endText)
    if (end === undefined || start > end) return "invalid"
    if (end >= size) end = size - 1
    ranges.push({ start, length: end - start + 1 })
  }
  if (noOverlap && ranges.length === 0) return "no-overlap"
  return ranges
}

/** A `multipart/byteranges` body ready to send. */
export interface MultipartByteranges {
  /** The Content-Type to answer with: `multipart/byteranges; boundary=…`. */
  readonly contentType: string
  /** The delimiters and part headers as bytes, each part's content as a range. */
  readonly segments: ReadonlyArray<Segment>
  /** The exact length of the body (Go's `rangesMIMESize`). */
  readonly size: number
}

/** Go's `multipart.Writer` boundary: 30 random bytes in hex (60 characters). */
const randomBoundary = (): string => randomBytes(30).toString("hex")

/**
 * The `multipart/byteranges` body for `ranges` of content of `size` bytes and type `ctype`, as
 * Go's `multipart.Writer` writes it: before each part `--boundary` (after a CRLF but for the
 * first) and its fields in sorted order (Content-Range, Content-Type), a blank line, the
 * bytes; then `\r\n--boundary--\r\n`. A new random boundary unless one is given.
 */
export const multipartByteranges = (
  ranges: ReadonlyArray<ByteRange>,
  ctype: string,
  size: number,
  boundary: string = randomBoundary()
): MultipartByteranges => {
  const segments: Array<Segment> = []
  let total = 0
  ranges.forEach((r, i) => {
    const head = Buffer.from(`${i === 0 ? "" : "\r\n"}--${boundary}\r\nContent-Range: ${contentRange(r, size)}\r\nContent-Type: ${ctype}\r\n\r\n`, "utf8")
    segments.push(head, [r.start, r.start + r.length])
    total += head.length + r.length
  })
  const close = Buffer.from(`\r\n--${boundary}--\r\n`, "utf8")
  segments.push(close)
  total += close.length
  return { contentType: "multipart/byteranges; boundary=" + boundary, segments, size: total }
}
