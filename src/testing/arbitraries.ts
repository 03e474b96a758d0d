/**
 * fast-check arbitraries for HTTP/1.1 messages, and serializers that turn what they generate
 * into exact wire bytes. For property tests of anything that reads or writes HTTP/1.1: a
 * parser, a proxy, a server.
 *
 * ```ts
 * import { FastCheck as fc } from "effect"
 * import { serializeRequest, validRequest } from "./src/testing/arbitraries.js"
 *
 * fc.assert(fc.property(validRequest, (r) => {
 *   const bytes = serializeRequest(r)
 *   // parse `bytes` and compare with `r`
 * }))
 * ```
 *
 * Every generated message is valid per RFC 9112 / RFC 9110, with the framing fields it needs
 * (Content-Length or Transfer-Encoding: chunked) and nothing that changes how it is delimited
 * besides them: no Upgrade, no CONNECT. The serializers write the fields exactly as generated
 * (names in the case generated, optional whitespace around values as generated), so what a
 * parser should report is a function of the generated value alone. Sizes are kept small so
 * that thousands of runs stay fast.
 *
 * @module
 * @since 0.1.0
 */
import { FastCheck as fc } from "effect"
import * as Body from "../domain/Body.js"
import { Headers } from "../domain/Headers.js"
import { Request } from "../domain/Request.js"

// -------------------------------------------------------------------------------------------
// Character classes

const range = (from: number, to: number): Array<string> => {
  const out: Array<string> = []
  for (let c = from; c <= to; c++) out.push(String.fromCharCode(c))
  return out
}

const DIGITS = range(0x30, 0x39)
const UPPER = range(0x41, 0x5a)
const LOWER = range(0x61, 0x7a)
const ALPHA = [...UPPER, ...LOWER]

/**
 * tchar (RFC 9110 §5.6.2): the characters of a token, as a string.
 *
 * @since 0.1.0
 * @category constants
 */
export const TCHARS: string = "!#$%&'*+-.^_`|~" + DIGITS.join("") + ALPHA.join("")

/** VCHAR (RFC 5234): 0x21-0x7E. */
const VCHAR = range(0x21, 0x7e)
/** obs-text (RFC 9110 §5.6.4): 0x80-0xFF. */
const OBS_TEXT = range(0x80, 0xff)

const stringOf = (unit: fc.Arbitrary<string>, minLength: number, maxLength: number): fc.Arbitrary<string> =>
  fc.array(unit, { minLength, maxLength }).map((cs) => cs.join(""))

const tcharArb = fc.constantFrom(...TCHARS.split(""))

// -------------------------------------------------------------------------------------------
// Tokens, names, values

/**
 * A token (RFC 9110 §5.6.2): 1 to 12 tchar characters, as used for methods and field names.
 *
 * @since 0.1.0
 * @category arbitraries
 */
export const token: fc.Arbitrary<string> = stringOf(tcharArb, 1, 12)

/**
 * Common field names, in canonical form. None of them frames a message or changes the
 * connection (no Content-Length, Transfer-Encoding, Host, Connection, Upgrade, Trailer, TE,
 * Keep-Alive, User-Agent).
 *
 * @since 0.1.0
 * @category constants
 */
export const COMMON_FIELD_NAMES: ReadonlyArray<string> = [
  "Accept", "Accept-Encoding", "Accept-Language", "Authorization", "Cache-Control", "Content-Type",
  "Content-Encoding", "Cookie", "Date", "Etag", "Expires", "Forwarded", "If-None-Match", "Location",
  "Origin", "Range", "Referer", "Server", "Set-Cookie", "Vary", "Via", "Www-Authenticate",
  "X-Forwarded-For", "X-Request-Id", "X-Custom", "Sec-Websocket-Key", "Access-Control-Allow-Origin"
]

/**
 * Field names whose presence decides framing, routing or the connection's fate: `headers`
 * never generates these (case-insensitively); the message generators add the ones they need.
 *
 * @since 0.1.0
 * @category constants
 */
export const RESERVED_FIELD_NAMES: ReadonlySet<string> = new Set([
  "content-length", "transfer-encoding", "host", "connection", "upgrade", "trailer", "te",
  "keep-alive", "proxy-connection", "user-agent", "expect"
])

/** `name` with its letters' case changed: as given, all lower, all upper, or mixed by `bits`. */
const withCase = (name: string, style: number, bits: number): string => {
  switch (style) {
    case 0:
      return name
    case 1:
      return name.toLowerCase()
    case 2:
      return name.toUpperCase()
    default: {
      let out = ""
      for (let i = 0; i < name.length; i++) {
        const c = name[i]!
        out += (bits >>> (i % 31)) & 1 ? c.toUpperCase() : c.toLowerCase()
      }
      return out
    }
  }
}

/**
 * A name in any letter case: canonical most of the time, else lower, upper or mixed case.
 * Parsers must report it in canonical form (Go's `CanonicalHeaderKey`).
 *
 * @since 0.1.0
 * @category arbitraries
 */
export const caseVariant = (name: string): fc.Arbitrary<string> =>
  fc
    .tuple(fc.constantFrom(0, 0, 0, 1, 2, 3), fc.nat())
    .map(([style, bits]) => withCase(name, style, bits))

/**
 * A field name (RFC 9110 §5.1): a common name in some letter case, or an arbitrary token.
 * Never one of `RESERVED_FIELD_NAMES`.
 *
 * @since 0.1.0
 * @category arbitraries
 */
export const headerName: fc.Arbitrary<string> = fc
  .oneof(
    { arbitrary: fc.constantFrom(...COMMON_FIELD_NAMES).chain(caseVariant), weight: 2 },
    { arbitrary: token, weight: 3 }
  )
  .filter((n) => !RESERVED_FIELD_NAMES.has(n.toLowerCase()))

const valueChar: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...VCHAR), weight: 12 },
  { arbitrary: fc.constantFrom(" ", "\t"), weight: 3 },
  { arbitrary: fc.constantFrom(...OBS_TEXT), weight: 1 }
)

const trimOws = (s: string): string => s.replace(/^[ \t]+|[ \t]+$/g, "")

/**
 * A field value (RFC 9110 §5.5): VCHAR, obs-text (as latin1 characters 0x80-0xFF), SP and HTAB,
 * with no leading or trailing whitespace; possibly empty. Up to 24 characters.
 *
 * @since 0.1.0
 * @category arbitraries
 */
export const headerValue: fc.Arbitrary<string> = stringOf(valueChar, 0, 24).map(trimOws)

/**
 * One field line: a name and a value.
 *
 * @since 0.1.0
 * @category models
 */
export type HeaderField = readonly [name: string, value: string]

/**
 * A list of 0 to 6 field lines; a name may repeat (in the same or another letter case). Never
 * holds one of `RESERVED_FIELD_NAMES`: `validRequest` and `validResponse` add the framing
 * fields themselves.
 *
 * @since 0.1.0
 * @category arbitraries
 */
export const headers: fc.Arbitrary<ReadonlyArray<HeaderField>> = fc
  .array(fc.tuple(headerName, headerValue, fc.option(fc.nat(), { freq: 3 })), { maxLength: 6 })
  .map((fields) => {
    const out: Array<HeaderField> = []
    for (const [name, value, repeat] of fields) {
      // Sometimes reuse an earlier name so that multi-valued fields show up often.
      const n = repeat !== null && out.length > 0 ? out[repeat % out.length]![0] : name
      out.push([n, value])
    }
    return out
  })

/**
 * The optional whitespace written before and after a field value: `[before, after]`.
 *
 * @since 0.1.0
 * @category models
 */
export type FieldSpacing = readonly [before: string, after: string]

const spacing: fc.Arbitrary<FieldSpacing> = fc.tuple(
  fc.constantFrom(" ", " ", " ", "", "\t", "  ", " \t"),
  fc.constantFrom("", "", "", " ", "\t", " \t ")
)

// -------------------------------------------------------------------------------------------
// Request line

const UNRESERVED_PUNCT = ["-", ".", "_", "~"]
const SUB_DELIMS = ["!", "$", "&", "'", "(", ")", "*", "+", ",", ";", "="]
const HEX_UPPER = "0123456789ABCDEF"

const pctEncoded: fc.Arbitrary<string> = fc
  .integer({ min: 0, max: 255 })
  .map((b) => "%" + HEX_UPPER[b >> 4] + HEX_UPPER[b & 15])

/** pchar (RFC 3986 §3.3). */
const pchar: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...ALPHA, ...DIGITS), weight: 8 },
  { arbitrary: fc.constantFrom(...UNRESERVED_PUNCT, ...SUB_DELIMS, ":", "@"), weight: 2 },
  { arbitrary: pctEncoded, weight: 1 }
)

/**
 * An origin-form request-target (RFC 9112 §3.2.1): `/` and 0 to 3 segments of pchar, then
 * an optional query. Only ASCII: a parser may re-encode other bytes.
 *
 * @since 0.1.0
 * @category arbitraries
 */
export const originTarget: fc.Arbitrary<string> = fc
  .tuple(
    fc.array(stringOf(pchar, 0, 6), { maxLength: 3 }),
    fc.option(stringOf(fc.oneof(pchar, fc.constantFrom("/", "?")), 0, 10), { freq: 3 })
  )
  .map(([segments, query]) => "/" + segments.join("/") + (query === null ? "" : "?" + query))

/**
 * The methods of RFC 9110 and RFC 5789 that an origin-form request may use (not CONNECT).
 *
 * @since 0.1.0
 * @category constants
 */
export const STANDARD_METHODS: ReadonlyArray<string> = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "TRACE", "PATCH"]

/**
 * A request method (RFC 9110 §9.1): a standard one most of the time, else any token
 * (methods are case-sensitive: "get" is a method of its own). Never CONNECT, which needs an
 * authority-form target and turns the connection into a tunnel.
 *
 * @since 0.1.0
 * @category arbitraries
 */
export const method: fc.Arbitrary<string> = fc
  .oneof({ arbitrary: fc.constantFrom(...STANDARD_METHODS), weight: 3 }, { arbitrary: token, weight: 1 })
  .filter((m) => m !== "CONNECT")

/**
 * A Host field value: a reg-name of one to three labels, sometimes with a port.
 *
 * @since 0.1.0
 * @category arbitraries
 */
export const hostValue: fc.Arbitrary<string> = fc
  .tuple(
    fc.array(stringOf(fc.constantFrom(...LOWER, ...DIGITS), 1, 6), { minLength: 1, maxLength: 3 }),
    fc.option(fc.integer({ min: 1, max: 65535 }), { freq: 3 })
  )
  .map(([labels, port]) => labels.join(".") + (port === null ? "" : ":" + port))

// -------------------------------------------------------------------------------------------
// Bodies

/**
 * One chunk of a chunked body as written: its size line's text, extensions, and data.
 *
 * @since 0.1.0
 * @category models
 */
export interface ChunkSpec {
  /** The chunk-size as written: hexadecimal, any case, possibly with leading zeros. */
  readonly size: string
  /** The chunk extensions written after the size, verbatim (e.g. `;a=b`), possibly "". */
  readonly extensions: string
  /** The chunk data; never empty (an empty chunk is the last one). */
  readonly data: Uint8Array
}

/**
 * The last chunk of a chunked body, as written: a size of zero ("0", "00", ...) and extensions.
 *
 * @since 0.1.0
 * @category models
 */
export interface LastChunkSpec {
  readonly size: string
  readonly extensions: string
}

/**
 * A body and how it is delimited.
 *
 * @since 0.1.0
 * @category models
 */
export type BodySpec =
  | { readonly framing: "none" }
  | { readonly framing: "length"; readonly data: Uint8Array }
  | {
    readonly framing: "chunked"
    readonly chunks: ReadonlyArray<ChunkSpec>
    readonly last: LastChunkSpec
    /** The trailer fields, in order; names never one of `RESERVED_FIELD_NAMES`. */
    readonly trailers: ReadonlyArray<HeaderField>
  }
  /** A response body delimited by closing the connection (no Content-Length, no chunked). */
  | { readonly framing: "close"; readonly data: Uint8Array }

/**
 * A request body: a request is never delimited by closing the connection.
 *
 * @since 0.1.0
 * @category models
 */
export type RequestBodySpec = Exclude<BodySpec, { readonly framing: "close" }>

/**
 * The body's bytes, the chunks' data concatenated for a chunked body.
 *
 * @since 0.1.0
 * @category encoding
 */
export const bodyBytes = (body: BodySpec): Buffer => {
  switch (body.framing) {
    case "none":
      return Buffer.alloc(0)
    case "length":
    case "close":
      return Buffer.from(body.data)
    case "chunked":
      return Buffer.concat(body.chunks.map((c) => c.data))
  }
}

/**
 * Body bytes: 0 to 48 bytes, any value.
 *
 * @since 0.1.0
 * @category arbitraries
 */
export const bodyData: fc.Arbitrary<Uint8Array> = fc.uint8Array({ maxLength: 48 })

const hexCase = (n: number, upper: boolean, zeros: number): string =>
  "0".repeat(zeros) + (upper ? n.toString(16).toUpperCase() : n.toString(16))

const quotedString: fc.Arbitrary<string> = stringOf(
  fc.oneof(
    { arbitrary: fc.constantFrom(...ALPHA, ...DIGITS, " ", "\t", "!", "#", "=", ";", ",", "/", "\x80", "\xff"), weight: 8 },
    { arbitrary: fc.constantFrom('\\"', "\\\\", "\\a"), weight: 1 }
  ),
  0,
  8
).map((s) => '"' + s + '"')

/**
 * Chunk extensions (RFC 9112 §7.1.1): usually none, else one or two
 * `;name`, `;name=token` or `;name="quoted string"`, sometimes with bad whitespace (BWS)
 * around `;` and `=`, which the grammar allows.
 *
 * @since 0.1.0
 * @category arbitraries
 */
export const chunkExtensions: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constant(""), weight: 6 },
  {
    arbitrary: fc
      .array(
        fc.tuple(
          token,
          fc.option(fc.oneof(token, quotedString), { freq: 2 }),
          fc.constantFrom("", "", "", "", " ", "\t")
        ),
        { minLength: 1, maxLength: 2 }
      )
      .map((exts) =>
        exts.map(([name, value, bws]) => bws + ";" + bws + name + (value === null ? "" : bws + "=" + bws + value)).join("")
      ),
    weight: 2
  }
)

/**
 * One chunk with its size written in some letter case, sometimes with leading zeros.
 *
 * @since 0.1.0
 * @category arbitraries
 */
export const chunk: fc.Arbitrary<ChunkSpec> = fc
  .tuple(fc.uint8Array({ minLength: 1, maxLength: 24 }), fc.boolean(), fc.constantFrom(0, 0, 0, 1, 2), chunkExtensions)
  .map(([data, upper, zeros, extensions]) => ({ size: hexCase(data.length, upper, zeros), extensions, data }))

/**
 * Trailer fields: none most of the time, else up to three.
 *
 * @since 0.1.0
 * @category arbitraries
 */
export const trailers: fc.Arbitrary<ReadonlyArray<HeaderField>> = fc.oneof(
  { arbitrary: fc.constant([]), weight: 2 },
  { arbitrary: fc.array(fc.tuple(headerName, headerValue), { minLength: 1, maxLength: 3 }), weight: 1 }
)

/**
 * A chunked body: zero to three chunks, the last chunk, trailers.
 *
 * @since 0.1.0
 * @category arbitraries
 */
export const chunkedBody: fc.Arbitrary<Extract<BodySpec, { framing: "chunked" }>> = fc
  .tuple(fc.array(chunk, { maxLength: 3 }), fc.constantFrom("0", "0", "0", "00", "000"), chunkExtensions, trailers)
  .map(([chunks, size, extensions, trailers]) => ({ framing: "chunked" as const, chunks, last: { size, extensions }, trailers }))

const lengthBody: fc.Arbitrary<Extract<BodySpec, { framing: "length" }>> = bodyData.map((data) => ({
  framing: "length" as const,
  data
}))

const closeBody: fc.Arbitrary<Extract<BodySpec, { framing: "close" }>> = bodyData.map((data) => ({
  framing: "close" as const,
  data
}))

// -------------------------------------------------------------------------------------------
// Messages

/**
 * A generated request, in wire order.
 *
 * @since 0.1.0
 * @category models
 */
export interface GeneratedRequest {
  readonly method: string
  readonly target: string
  /** HTTP/1.0 or HTTP/1.1. */
  readonly versionMinor: 0 | 1
  /**
   * Every field line in wire order, exactly as written: Host (always on HTTP/1.1), the
   * generated fields, possibly a Connection field, and the framing field (Content-Length or
   * Transfer-Encoding, in any letter case) at some position.
   */
  readonly headers: ReadonlyArray<HeaderField>
  /** The whitespace written around each value, parallel to `headers`. */
  readonly spacing: ReadonlyArray<FieldSpacing>
  readonly body: RequestBodySpec
}

/**
 * A generated response, in wire order.
 *
 * @since 0.1.0
 * @category models
 */
export interface GeneratedResponse {
  readonly versionMinor: 0 | 1
  /** 100-599. 1xx, 204 and 304 never have a body. */
  readonly status: number
  /** The reason phrase (HTAB, SP, VCHAR, obs-text), possibly empty. */
  readonly reason: string
  /** Every field line in wire order, with the framing field when there is one. */
  readonly headers: ReadonlyArray<HeaderField>
  /** The whitespace written around each value, parallel to `headers`. */
  readonly spacing: ReadonlyArray<FieldSpacing>
  readonly body: BodySpec
}

/** The field that frames `body`, or undefined, with its name in some letter case. */
const framingField = (body: BodySpec): fc.Arbitrary<HeaderField | undefined> => {
  switch (body.framing) {
    case "length":
      return fc
        .tuple(caseVariant("Content-Length"), fc.constantFrom("", "", "", "0", "00"))
        .map(([name, zeros]) => [name, zeros + String(body.data.length)] as const)
    case "chunked":
      return fc
        .tuple(caseVariant("Transfer-Encoding"), fc.constantFrom("chunked", "chunked", "chunked", "Chunked", "CHUNKED"))
        .map(([name, value]) => [name, value] as const)
    default:
      return fc.constant(undefined)
  }
}

const connectionField: fc.Arbitrary<HeaderField | null> = fc.option(
  fc.tuple(caseVariant("Connection"), fc.constantFrom("keep-alive", "close", "Keep-Alive", "close, foo", "x-custom")),
  { freq: 4 }
)

/** Inserts `extra` fields into `base` at positions chosen by `at`. */
const insertAt = (base: ReadonlyArray<HeaderField>, extra: ReadonlyArray<readonly [HeaderField, number]>): Array<HeaderField> => {
  const out = base.slice()
  for (const [field, at] of extra) out.splice(at % (out.length + 1), 0, field)
  return out
}

/**
 * A valid request with an origin-form target, HTTP/1.0 or 1.1, a Host field (always for 1.1),
 * generated fields, and a body that is absent, Content-Length delimited, or chunked (1.1
 * only; RFC 9112 §6.1 forbids Transfer-Encoding in HTTP/1.0) with extensions and trailers.
 *
 * @since 0.1.0
 * @category arbitraries
 */
export const validRequest: fc.Arbitrary<GeneratedRequest> = fc
  .tuple(method, originTarget, fc.constantFrom<0 | 1>(1, 1, 1, 0), hostValue, headers, connectionField)
  .chain(([method, target, versionMinor, host, fields, connection]) =>
    fc
      .oneof(
        fc.constant<RequestBodySpec>({ framing: "none" }),
        lengthBody,
        ...(versionMinor === 1 ? [chunkedBody] : [])
      )
      .chain((body) =>
        fc
          .tuple(
            framingField(body),
            caseVariant("Host"),
            fc.boolean(),
            fc.nat(),
            fc.nat(),
            fc.array(spacing, { minLength: fields.length + 3, maxLength: fields.length + 3 })
          )
          .map(([framing, hostName, hostOnHttp10, at1, at2, spaces]): GeneratedRequest => {
            const extra: Array<readonly [HeaderField, number]> = []
            if (connection !== null) extra.push([connection, at1])
            if (framing !== undefined) extra.push([framing, at2])
            let all = insertAt(fields, extra)
            // Host first, as clients write it (RFC 9112 §3.2 says a client SHOULD).
            if (versionMinor === 1 || hostOnHttp10) all = [[hostName, host], ...all]
            return { method, target, versionMinor, headers: all, spacing: spaces.slice(0, all.length), body }
          })
      )
  )

/**
 * A reason phrase (RFC 9112 §4): HTAB, SP, VCHAR, obs-text; possibly empty.
 *
 * @since 0.1.0
 * @category arbitraries
 */
export const reasonPhrase: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("OK", "Not Found", "Continue", "No Content", "Internal Server Error", ""),
  stringOf(valueChar, 0, 16)
)

/**
 * A status code, 100-599, with the common ones more likely.
 *
 * @since 0.1.0
 * @category arbitraries
 */
export const statusCode: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(100, 101, 103, 200, 201, 204, 206, 301, 304, 400, 404, 500),
  fc.integer({ min: 100, max: 599 })
)

/**
 * Whether a response with this status never has a body (RFC 9112 §6.3).
 *
 * @since 0.1.0
 * @category utils
 */
export const statusHasNoBody = (status: number): boolean => status < 200 || status === 204 || status === 304

/**
 * A valid response to a GET: status 100-599, a reason phrase, HTTP/1.0 or 1.1, generated
 * fields, and a body: none for 1xx, 204 and 304; else Content-Length delimited, chunked (1.1
 * only), or delimited by closing the connection.
 *
 * @since 0.1.0
 * @category arbitraries
 */
export const validResponse: fc.Arbitrary<GeneratedResponse> = fc
  .tuple(statusCode, reasonPhrase, fc.constantFrom<0 | 1>(1, 1, 1, 0), headers, connectionField)
  .chain(([status, reason, versionMinor, fields, connection]) =>
    (statusHasNoBody(status)
      ? fc.constant<BodySpec>({ framing: "none" })
      : fc.oneof<Array<fc.Arbitrary<BodySpec>>>(lengthBody, closeBody, ...(versionMinor === 1 ? [chunkedBody] : [])))
      .chain((body) =>
        fc
          .tuple(
            framingField(body),
            fc.nat(),
            fc.nat(),
            fc.array(spacing, { minLength: fields.length + 2, maxLength: fields.length + 2 })
          )
          .map(([framing, at1, at2, spaces]): GeneratedResponse => {
            const extra: Array<readonly [HeaderField, number]> = []
            if (connection !== null) extra.push([connection, at1])
            if (framing !== undefined) extra.push([framing, at2])
            const all = insertAt(fields, extra)
            return { versionMinor, status, reason, headers: all, spacing: spaces.slice(0, all.length), body }
          })
      )
  )

// -------------------------------------------------------------------------------------------
// Serializers

const CRLF = "\r\n"

const fieldLines = (fields: ReadonlyArray<HeaderField>, spacing?: ReadonlyArray<FieldSpacing>): string => {
  let out = ""
  for (let i = 0; i < fields.length; i++) {
    const [name, value] = fields[i]!
    const [before, after] = spacing?.[i] ?? [" ", ""]
    out += name + ":" + before + value + after + CRLF
  }
  return out
}

/**
 * The bytes of a body as delimited on the wire: the data itself, or for a chunked body each
 * chunk (size, extensions, CRLF, data, CRLF), the last chunk, the trailer fields and the final
 * CRLF (RFC 9112 §7.1).
 *
 * @since 0.1.0
 * @category encoding
 */
export const serializeBody = (body: BodySpec): Buffer => {
  if (body.framing !== "chunked") return bodyBytes(body)
  const parts: Array<Buffer> = []
  for (const c of body.chunks) {
    parts.push(Buffer.from(c.size + c.extensions + CRLF, "latin1"), Buffer.from(c.data), Buffer.from(CRLF, "latin1"))
  }
  parts.push(Buffer.from(body.last.size + body.last.extensions + CRLF + fieldLines(body.trailers) + CRLF, "latin1"))
  return Buffer.concat(parts)
}

/**
 * The exact wire bytes of a generated request: request-line, field lines as generated
 * (characters written as latin1 bytes), the empty line, and the body.
 *
 * @since 0.1.0
 * @category encoding
 */
export const serializeRequest = (r: GeneratedRequest): Buffer =>
  Buffer.concat([
    Buffer.from(
      r.method + " " + r.target + " HTTP/1." + r.versionMinor + CRLF + fieldLines(r.headers, r.spacing) + CRLF,
      "latin1"
    ),
    serializeBody(r.body)
  ])

/**
 * The exact wire bytes of a generated response: status-line (always with the space before
 * the reason phrase, even an empty one), field lines as generated, the empty line, the body.
 *
 * @since 0.1.0
 * @category encoding
 */
export const serializeResponse = (r: GeneratedResponse): Buffer =>
  Buffer.concat([
    Buffer.from(
      "HTTP/1." + r.versionMinor + " " + r.status + " " + r.reason + CRLF + fieldLines(r.headers, r.spacing) + CRLF,
      "latin1"
    ),
    serializeBody(r.body)
  ])

// -------------------------------------------------------------------------------------------
// Values for users' own property tests: URLs and `Request`s for a server under test

/**
 * An absolute URL on `origin` ("http://127.0.0.1:8080", no trailing slash): `origin` followed
 * by an `originTarget` (a path of up to 3 segments and an optional query, ASCII only).
 *
 * @since 0.1.0
 * @category arbitraries
 */
export const url = (origin: string): fc.Arbitrary<string> => originTarget.map((target) => origin + target)

/**
 * Header fields a client may set on a request: as `headers` (0 to 6 fields, names repeating
 * in any letter case), without the framing fields and Host, which the client writes itself.
 *
 * @since 0.1.0
 * @category arbitraries
 */
export const requestHeaders: fc.Arbitrary<ReadonlyArray<HeaderField>> = headers.map((fields) =>
  fields.filter(([name]) => name.toLowerCase() !== "host")
)

/**
 * A `Request` to `origin`: a standard method other than CONNECT and TRACE, a URL from `url`,
 * fields from `requestHeaders`, and for POST, PUT and PATCH a body of up to 48 bytes. Every
 * value passes `Request.make`'s validation; send it with `Client.do` or `Transport.roundTrip`.
 *
 * @since 0.1.0
 * @category arbitraries
 */
export const request = (origin: string): fc.Arbitrary<Request> =>
  fc
    .tuple(
      fc.constantFrom("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"),
      url(origin),
      requestHeaders,
      bodyData
    )
    .map(([m, u, fields, data]) => {
      const made = Request.make({
        method: m,
        url: u,
        headers: Headers.make(fields),
        ...(m === "POST" || m === "PUT" || m === "PATCH" ? { body: Body.bytes(data) } : {})
      })
      // Every part was generated valid; a Left here is a bug of this arbitrary.
      if (made._tag === "Left") throw new Error(`arbitraries.request generated an invalid request: ${made.left.message}`)
      return made.right
    })
