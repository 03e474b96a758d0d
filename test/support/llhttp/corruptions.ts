/**
 * Generated requests for the differential: valid ones from `src/testing/arbitraries.ts`, and
 * valid ones with one targeted corruption each (`cases`).
 *
 * @module
 */
import { FastCheck as fc } from "effect"
import { validRequest } from "../../../src/testing/arbitraries.js"
import { fromGenerated, lower, serializeWire, type Wire, type WireChunk, type WireField } from "./wire.js"

/** `arb`'s requests labelled with the corruption `label`. */
export const corrupt = (label: string, arb: fc.Arbitrary<Wire>): fc.Arbitrary<Wire> =>
  arb.map((w) => ({ ...w, corruption: w.corruption === "none" ? label : w.corruption + "+" + label }))

/** Valid generated requests, as written. */
export const base = validRequest.map(fromGenerated)

const insertAt = (s: string, at: number, ins: string) => {
  const i = at % (s.length + 1)
  return s.slice(0, i) + ins + s.slice(i)
}

const withField = (w: Wire, at: number, f: WireField): Wire => {
  const fs = w.fields.slice()
  fs.splice(at % (fs.length + 1), 0, f)
  return { ...w, fields: fs }
}

const mapField = (w: Wire, at: number, f: (x: WireField) => WireField): Wire => {
  if (w.fields.length === 0) return withField(w, 0, f({ name: "X-Extra", value: "v", before: " ", after: "" }))
  const i = at % w.fields.length
  return { ...w, fields: w.fields.map((x, j) => (j === i ? f(x) : x)) }
}

/** The request with a chunked body (adding Transfer-Encoding on HTTP/1.1 when it had none). */
/** The request with a chunked body (adding Transfer-Encoding on HTTP/1.1 when it had none). */
export const asChunked = (w: Wire): Wire => {
  if (w.body.kind === "chunked") return w
  const data = w.body.bytes
  const fields = w.fields.filter((f) => lower(f.name) !== "content-length")
  return {
    ...w,
    version: "HTTP/1.1",
    fields: [...fields, { name: "Transfer-Encoding", value: "chunked", before: " ", after: "" }],
    body: {
      kind: "chunked",
      chunks: data.length > 0 ? [{ size: data.length.toString(16), ext: "", data }] : [{ size: "3", ext: "", data: Buffer.from("abc") }],
      last: { size: "0", ext: "" },
      trailers: []
    }
  }
}

const mapChunk = (w: Wire, at: number, f: (c: WireChunk) => WireChunk): Wire => {
  const c = asChunked(w)
  if (c.body.kind !== "chunked") return c
  const i = at % c.body.chunks.length
  return { ...c, body: { ...c.body, chunks: c.body.chunks.map((x, j) => (j === i ? f(x) : x)) } }
}

/** The request with a raw body of `n` bytes and no framing fields. */
const withRawBody = (w: Wire, data: Buffer): Wire => ({
  ...w,
  fields: w.fields.filter((f) => lower(f.name) !== "content-length" && lower(f.name) !== "transfer-encoding"),
  body: { kind: "raw", bytes: data }
})

const BAD_NAME_CHARS = ["(", ")", ",", "/", ";", "<", "=", ">", "?", "@", "[", "\\", "]", "{", "}", '"', " ", "\t", "\x7f", "\x80", "\xe9", "\x00", "\x01", "\x1f"]
const CTLS = ["\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x0e", "\x1f", "\x7f", "\r", "\n", "\t"]

const badHeaderName = corrupt(
  "bad-header-name",
  fc.tuple(base, fc.nat(), fc.nat(), fc.constantFrom(...BAD_NAME_CHARS)).map(([w, i, at, ch]) =>
    mapField(w, i, (f) => ({ ...f, name: insertAt(f.name, at, ch) }))
  )
)

const emptyOrMissingName = corrupt(
  "field-line",
  fc.tuple(base, fc.nat(), fc.constantFrom(": v", ":", "NoColon", " : v", "\t: v", "A:b:c", "A::", "A: b\rc")).map(([w, at, raw]) =>
    withField(w, at, { name: "", value: "", before: "", after: "", raw })
  )
)

const spaceBeforeColon = corrupt(
  "space-before-colon",
  fc.tuple(base, fc.nat(), fc.constantFrom(" ", "\t", "  ")).map(([w, i, ws]) =>
    mapField(w, i, (f) => ({ ...f, name: f.name + ws }))
  )
)

const ctlInValue = corrupt(
  "ctl-in-value",
  fc.tuple(base, fc.nat(), fc.nat(), fc.constantFrom(...CTLS)).map(([w, i, at, ch]) =>
    mapField(w, i, (f) => ({ ...f, value: insertAt(f.value, at, ch) }))
  )
)

const CONTENT_LENGTH_VALUES = (n: number): Array<Array<string>> => [
  [String(n), String(n)],
  [String(n), String(n + 1)],
  [`${n}, ${n}`],
  [`${n},${n + 1}`],
  [`+${n}`],
  [`-${n}`],
  [`0x${n.toString(16)}`],
  [`${n} 0`],
  [""],
  ["99999999999999999999"],
  ["18446744073709551616"],
  [`00${n}`],
  [String(n), `0${n}`],
  [String(n), String(n), String(n)],
  [`${n} `, String(n)]
]

const contentLength = corrupt(
  "content-length",
  fc.tuple(base, fc.uint8Array({ maxLength: 12 }), fc.nat(), fc.nat({ max: 14 })).map(([w, data, at, k]) => {
    const values = CONTENT_LENGTH_VALUES(data.length)[k]!
    let out = withRawBody(w, Buffer.from(data))
    values.forEach((value, j) => {
      out = withField(out, at + j, { name: j % 2 === 0 ? "Content-Length" : "content-length", value, before: " ", after: "" })
    })
    return out
  })
)

const teAndCl = corrupt(
  "te-and-cl",
  fc.tuple(base, fc.nat(), fc.constantFrom("0", "3", "5", "100")).map(([w, at, cl]) =>
    withField(asChunked(w), at, { name: "Content-Length", value: cl, before: " ", after: "" })
  )
)

const TE_VALUES = [
  ["chunked, chunked"],
  ["gzip, chunked"],
  ["chunked, gzip"],
  ["gzip"],
  ["identity"],
  ["identity, chunked"],
  ["chunked;q=1"],
  ["x-chunked"],
  ["chunked "],
  [" chunked"],
  ["Chunked"],
  ["gzip", "chunked"],
  ["chunked", "chunked"],
  [","],
  ["chunked,"],
  [", chunked"],
  [""]
]

const transferEncoding = corrupt(
  "transfer-encoding",
  fc.tuple(base, fc.nat(), fc.nat({ max: TE_VALUES.length - 1 }), fc.constantFrom(false, false, true)).map(([w, at, k, http10]) => {
    const c = asChunked(w)
    let out: Wire = { ...c, fields: c.fields.filter((f) => lower(f.name) !== "transfer-encoding"), version: http10 ? "HTTP/1.0" : c.version }
    TE_VALUES[k]!.forEach((value, j) => {
      out = withField(out, at + j, { name: "Transfer-Encoding", value, before: " ", after: "" })
    })
    return out
  })
)

const bareLf = corrupt(
  "bare-lf",
  fc.tuple(base, fc.nat()).map(([w, at]) => {
    const lines = serializeWire(w).toString("latin1").split("\r\n").length - 1
    return { ...w, bareLf: at % Math.max(1, lines) }
  })
)

const obsFold = corrupt(
  "obs-fold",
  fc.tuple(base, fc.nat(), fc.constantFrom(" ", "\t", "  "), fc.constantFrom("more", "", "x y")).map(([w, i, ws, more]) =>
    mapField(w, i, (f) => ({ ...f, value: f.value + f.after + "\r\n" + ws + more, after: "" }))
  )
)

const VERSIONS = [
  "HTTP/1.2", "HTTP/2.0", "HTTP/0.9", "HTTP/3.0", "HTTP/9.9", "http/1.1", "HTTP/1.10", "HTTP/1", "HTTP/11.1",
  "HTTP /1.1", "HTTPS/1.1", "HTTP/1.1 ", "HTTP/1.x", "HTTP/2", "HTTP/1.0", "HTTP/1.5", "HTTP/1.9"
]

const badVersion = corrupt(
  "version",
  fc.tuple(base, fc.constantFrom(...VERSIONS)).map(([w, version]) => ({ ...w, version }))
)

const CHUNK_SIZES = (n: number): Array<string> => [
  "g", "-1", "0x" + n.toString(16), " " + n.toString(16), n.toString(16) + " ", "+" + n.toString(16), "",
  "ffffffffffffffffff", "1".repeat(20), (n + 1).toString(16), n > 1 ? (n - 1).toString(16) : "0",
  "0".repeat(17) + n.toString(16), "0".repeat(10) + n.toString(16), n.toString(16) + "\t"
]

const badChunkSize = corrupt(
  "chunk-size",
  fc.tuple(base, fc.nat(), fc.nat({ max: 13 })).map(([w, i, k]) =>
    mapChunk(w, i, (c) => ({ ...c, size: CHUNK_SIZES(c.data.length)[k]! }))
  )
)

const badLastChunk = corrupt(
  "last-chunk",
  fc.tuple(base, fc.constantFrom("00", "0 ", " 0", "0\t", "x", "", "0000000000000000000", "1")).map(([w, size]) => {
    const c = asChunked(w)
    return c.body.kind === "chunked" ? { ...c, body: { ...c.body, last: { ...c.body.last, size } } } : c
  })
)

const CHUNK_EXTS = [
  ";a", ";a=b", ';a="b c"', ";a=", ";=b", "; a", ";a =b", ";a= b", " ;a", ';a="\\"x"', ';a="unterminated', ";a=b;c=d",
  ";a\x00", ";a=\x80", ';a="\x80"', ";a=b c", "x", ";", ";;", ";a=b,c", ';a=""', ";a\t=\tb", '; a = "b"', ";a=\x7f", ";=", ";a=;b", ";a;=c"
]

const chunkExtension = corrupt(
  "chunk-ext",
  fc.tuple(base, fc.nat(), fc.constantFrom(...CHUNK_EXTS), fc.boolean()).map(([w, i, ext, last]) => {
    if (last) {
      const c = asChunked(w)
      return c.body.kind === "chunked" ? { ...c, body: { ...c.body, last: { ...c.body.last, ext } } } : c
    }
    return mapChunk(w, i, (c) => ({ ...c, ext }))
  })
)

const METHODS = ["get", "Get", "FOO", "PURGE", "MKCOL", "M-SEARCH", "PROPFIND", "QUERY", "SEARCH", "X", "G(T", "GET\x01", "", "GE T", "CONNECT", "LINK", "SOURCE", "PRI"]

const badMethod = corrupt(
  "method",
  fc.tuple(base, fc.constantFrom(...METHODS)).map(([w, method]) => ({ ...w, method }))
)

const TARGETS = [
  "/\x80", "/caf\xe9", "/\xff?\xfe", "/a#b", "*", "*", "http://example.com/a", "", "/\x01", "/\x7f", "/a\tb", "\\",
  "/{|}", '/"<>', "/`^", "a", "//", "/%zz", "example.com:80", "mailto:x", "/?q=a b"
]

const badTarget = corrupt(
  "target",
  fc.tuple(base, fc.constantFrom(...TARGETS), fc.boolean()).map(([w, t, append]) => ({
    ...w,
    target: append && t.startsWith("/") ? w.target + t.slice(1) : t
  }))
)

const requestLine = corrupt(
  "request-line",
  fc.tuple(base, fc.boolean(), fc.constantFrom("  ", "   ", "\t", "")).map(([w, first, sp]) => (first ? { ...w, sp1: sp } : { ...w, sp2: sp }))
)

const leadingLines = corrupt(
  "prefix",
  fc.tuple(base, fc.constantFrom("\r\n", "\r\n\r\n", "\n", "\r", " ", "\r\n \r\n")).map(([w, prefix]) => ({ ...w, prefix }))
)

const trailerCorruption = corrupt(
  "trailer",
  fc
    .tuple(
      base,
      fc.constantFrom(
        { name: "Content-Length", value: "5" },
        { name: "Transfer-Encoding", value: "chunked" },
        { name: "Bad Name", value: "v" },
        { name: "X", value: "a\x01b" },
        { name: "X", value: "a\r\n b" },
        { name: "Host", value: "h" },
        { name: "X-Ok", value: "" }
      )
    )
    .map(([w, t]) => {
      const c = asChunked(w)
      return c.body.kind === "chunked"
        ? { ...c, body: { ...c.body, trailers: [...c.body.trailers, { ...t, before: " ", after: "" }] } }
        : c
    })
)

const manyFields = corrupt(
  "many-fields",
  fc.tuple(base, fc.integer({ min: 30, max: 40 })).map(([w, n]) => {
    let out = w
    for (let i = 0; i < n; i++) out = withField(out, out.fields.length, { name: `X-F${i}`, value: `v${i}`, before: " ", after: "" })
    return out
  })
)

/** Valid requests (a third of the cases), and valid requests with one targeted corruption. */
export const cases: fc.Arbitrary<Wire> = fc.oneof(
  { arbitrary: base, weight: 14 },
  { arbitrary: badHeaderName, weight: 1 },
  { arbitrary: emptyOrMissingName, weight: 1 },
  { arbitrary: spaceBeforeColon, weight: 1 },
  { arbitrary: ctlInValue, weight: 1 },
  { arbitrary: contentLength, weight: 2 },
  { arbitrary: teAndCl, weight: 1 },
  { arbitrary: transferEncoding, weight: 3 },
  { arbitrary: bareLf, weight: 1 },
  { arbitrary: obsFold, weight: 1 },
  { arbitrary: badVersion, weight: 3 },
  { arbitrary: badChunkSize, weight: 1 },
  { arbitrary: badLastChunk, weight: 1 },
  { arbitrary: chunkExtension, weight: 3 },
  { arbitrary: badMethod, weight: 1 },
  { arbitrary: badTarget, weight: 4 },
  { arbitrary: requestLine, weight: 2 },
  { arbitrary: leadingLines, weight: 1 },
  { arbitrary: trailerCorruption, weight: 1 },
  { arbitrary: manyFields, weight: 1 }
)


