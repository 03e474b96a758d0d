/**
 * Requests as written on the wire, part by part, for the differential against llhttp: every
 * part is kept verbatim so that a corruption can be placed anywhere, and `serializeWire`
 * writes the exact bytes both parsers are given.
 *
 * @module
 */
import type { GeneratedRequest } from "../../../src/testing/arbitraries.js"

/** One field line as written: name, value and the whitespace around it, or a raw line. */
export interface WireField {
  readonly name: string
  readonly value: string
  readonly before: string
  readonly after: string
  /** When set, the whole field line, written verbatim instead of the parts above. */
  readonly raw?: string
}
/** One chunk as written: its size, its extensions, its data. */
export interface WireChunk {
  readonly size: string
  readonly ext: string
  readonly data: Buffer
}
/** A body as written: raw bytes, or the parts of a chunked body. */
export type WireBody =
  | { readonly kind: "raw"; readonly bytes: Buffer }
  | {
    readonly kind: "chunked"
    readonly chunks: ReadonlyArray<WireChunk>
    readonly last: { readonly size: string; readonly ext: string }
    readonly trailers: ReadonlyArray<WireField>
  }

/** A request as written: every part verbatim, so that corruptions can be placed anywhere. */
export interface Wire {
  /** What the corruption was, for the report (none for a valid request). */
  readonly corruption: string
  /** Bytes before the request-line. */
  readonly prefix: string
  readonly method: string
  readonly target: string
  readonly version: string
  /** The separators of the request-line (a single SP each when valid). */
  readonly sp1: string
  readonly sp2: string
  readonly fields: ReadonlyArray<WireField>
  readonly body: WireBody
  /** The line ending (counted from the request-line's, 0) written as a bare LF, or -1. */
  readonly bareLf: number
}

/** A generated valid request, as written by `serializeRequest`. */
export const fromGenerated = (r: GeneratedRequest): Wire => ({
  corruption: "none",
  prefix: "",
  bareLf: -1,
  method: r.method,
  target: r.target,
  version: `HTTP/1.${r.versionMinor}`,
  sp1: " ",
  sp2: " ",
  fields: r.headers.map(([name, value], i) => ({ name, value, before: r.spacing[i]![0], after: r.spacing[i]![1] })),
  body: r.body.framing === "chunked"
    ? {
      kind: "chunked",
      chunks: r.body.chunks.map((c) => ({ size: c.size, ext: c.extensions, data: Buffer.from(c.data) })),
      last: { size: r.body.last.size, ext: r.body.last.extensions },
      trailers: r.body.trailers.map(([name, value]) => ({ name, value, before: " ", after: "" }))
    }
    : { kind: "raw", bytes: r.body.framing === "length" ? Buffer.from(r.body.data) : Buffer.alloc(0) }
})

/** The exact bytes of a written request. */
export const serializeWire = (w: Wire): Buffer => {
  let line = 0
  const eol = () => (line++ === w.bareLf ? "\n" : "\r\n")
  const fields = (fs: ReadonlyArray<WireField>) => fs.map((f) => (f.raw ?? f.name + ":" + f.before + f.value + f.after) + eol()).join("")
  const parts: Array<Buffer> = []
  const text = (s: string) => parts.push(Buffer.from(s, "latin1"))
  text(w.prefix + w.method + w.sp1 + w.target + w.sp2 + w.version + eol() + fields(w.fields) + eol())
  if (w.body.kind === "raw") parts.push(w.body.bytes)
  else {
    for (const c of w.body.chunks) {
      text(c.size + c.ext + eol())
      parts.push(c.data)
      text(eol())
    }
    text(w.body.last.size + w.body.last.ext + eol() + fields(w.body.trailers) + eol())
  }
  return Buffer.concat(parts)
}

/** `s` in lower case. */
export const lower = (s: string): string => s.toLowerCase()
/** The fields (not raw lines) named `name` (lower case), in order. */
export const fieldsNamed = (fields: ReadonlyArray<WireField>, name: string): Array<WireField> => fields.filter((f) => f.raw === undefined && lower(f.name) === name)

