/**
 * (d) Differential test of our request parser against llhttp, the parser inside Node's own
 * `http` module (reached through `_http_common`'s `HTTPParser`, in its default strict mode).
 *
 * Over generated requests (valid ones from `src/testing/arbitraries.ts`, and near-valid ones
 * with one targeted corruption each), both parsers must agree on whether the input is
 * accepted, and for accepted input on the method, target, version, header fields (names
 * compared case-insensitively: llhttp keeps the case sent, we canonicalize), values, body
 * bytes and trailers.
 *
 * Except for the DELIBERATE_DIFFERENCES below. Each is recognized by an exact predicate over
 * the request as written, and then either
 * - "adjust": we accept something llhttp refuses, and treat it exactly like a rewritten
 *   request llhttp does accept: llhttp gets the rewrite, and everything is compared still; or
 * - "verdict": we decide otherwise than llhttp and no rewrite makes the two comparable: our
 *   exact answer (accepted, or which error) is asserted, and llhttp's is not compared.
 * Nothing else is skipped. The explicit examples at the end show each difference concretely.
 */
import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import { createRequire } from "node:module"
import { isToken } from "../../src/domain/http1/chars.js"
import { Event, Parser } from "../../src/domain/http1/Parser.js"
import { type GeneratedRequest, validRequest } from "../../src/testing/arbitraries.js"

// =============================================================================================
// DELIBERATE_DIFFERENCES: where we part from llhttp on purpose.
//
// | id                       | what                                        | ours                                   | llhttp                         |
// |--------------------------|---------------------------------------------|----------------------------------------|--------------------------------|
// | extension-method         | a method that is a token but not one of     | accepts it as sent                     | HPE_INVALID_METHOD; PRI,       |
// |                          | llhttp's ordinary ones (FOO, get, PRI,      |                                        | QUERY, CONNECT handled apart   |
// |                          | QUERY, CONNECT with an origin-form target)  |                                        |                                |
// | duplicate-equal-cl       | several Content-Length fields, same value   | folds them into one length             | HPE_UNEXPECTED_CONTENT_LENGTH  |
// | htab-ows-framing         | HTAB as OWS around Content-Length or        | strips it like SP                      | HPE_INVALID_CONTENT_LENGTH /   |
// |                          | Transfer-Encoding values                    |                                        | HPE_INVALID_TRANSFER_ENCODING  |
// |                          |                                             |                                        | for an HTAB after the value    |
// | te-empty-elements        | empty list elements in Transfer-Encoding    | ignores them ("chunked," is chunked)   | HPE_INVALID_TRANSFER_ENCODING  |
// |                          | ("chunked,")                                |                                        |                                |
// | chunk-bws                | SP/HTAB around ";" and "=" in chunk         | skips it                               | HPE_STRICT / INVALID_CHUNK_SIZE|
// |                          | extensions, or after the chunk size         |                                        |                                |
// | obs-text-target          | bytes >= 0x80 in the request-target         | accepts, percent-encodes them          | HPE_INVALID_URL                |
// | http-1x-minor            | HTTP/1.2 .. HTTP/1.9                        | accepts as HTTP/1.x (treated as 1.1)   | HPE_INVALID_VERSION            |
// | trailer-framing-fields   | Content-Length / Transfer-Encoding in the   | reports them as trailer fields         | HPE_INVALID_CONTENT_LENGTH /   |
// |                          | trailer section                             | (they frame nothing there)             | HPE_INVALID_TRANSFER_ENCODING  |
// | asterisk-not-options     | "*" target with a method other than OPTIONS | MalformedMessage invalid-target        | accepts                        |
// | te-on-http10             | Transfer-Encoding in an HTTP/1.0 request    | MalformedMessage                       | accepts (chunked)              |
// |                          |                                             | transfer-encoding-on-http10            |                                |
// | te-other-codings         | Transfer-Encoding with codings besides a    | UnsupportedTransferEncoding (501)      | accepts, decodes chunked only  |
// |                          | final chunked ("gzip, chunked")             |                                        |                                |
// | version-major            | HTTP/0.9 and HTTP/2.0 request-lines         | UnsupportedVersion (505)               | accepts                        |
// | request-line-spaces      | more than one SP between request-line parts | MalformedMessage invalid-target /      | accepts                        |
// |                          |                                             | invalid-version                        |                                |
// | chunk-ext-empty          | a chunk extension with an empty name        | MalformedMessage                       | accepts                        |
// |                          | (";=v") or an "=" without a value (";n=")   | invalid-chunk-extension                |                                |
// | chunk-size-digits        | a chunk size of more than 16 hex digits,    | MalformedMessage chunk-size-too-large  | accepts                        |
// |                          | even leading zeros                          |                                        |                                |
// | bare-cr-lf-before-line   | a bare CR or LF before the request-line     | MalformedMessage invalid-method        | skips it                       |
// | http09-request-line      | a request-line without HTTP-version         | MalformedMessage invalid-target        | accepts as HTTP/0.9, with the  |
// |                          | ("GET /x" CRLF, then fields)                |                                        | fields that follow             |
// | opaque-absolute-target   | an absolute-form target without "//"        | accepts (absolute-form)                | HPE_INVALID_URL                |
// |                          | ("example.com:80", "mailto:x")              |                                        |                                |
//
// Why, for each, is in its `why` field below (with the RFC 9110 / RFC 9112 section or the Go
// behaviour it follows).
// =============================================================================================

/** One deliberate difference: what it is, and how the property recognizes and handles it. */
interface DeliberateDifference {
  readonly id: string
  readonly what: string
  readonly ours: string
  readonly llhttp: string
  readonly why: string
  /** Whether the request, as written, shows this difference. */
  readonly applies: (w: Wire) => boolean
  /** Adjust: the request llhttp accepts that we treat identically. */
  readonly rewriteForLlhttp?: (w: Wire) => Wire
  /** Adjust: how our report of the (first) message reads after that rewrite. */
  readonly adjustOurs?: (m: Msg) => Msg
  /**
   * Verdict: what we answer instead of comparing with llhttp: "accepted", or our error (its
   * tag, and the reason of a MalformedMessage).
   */
  readonly ourVerdict?: (w: Wire) => string
}

const DELIBERATE_DIFFERENCES: ReadonlyArray<DeliberateDifference> = [
  {
    id: "extension-method",
    what: "a method that is a token but not one llhttp parses as an ordinary method",
    ours: "accepts any token as the method, case-sensitively, and CONNECT with an origin-form target as an ordinary request",
    llhttp: "HPE_INVALID_METHOD for methods outside its table (\"get\", \"FOO\"); PRI is kept for the HTTP/2 preface; QUERY gets " +
      "a method index Node's `methods` table does not name; CONNECT always starts a tunnel after the head",
    why: "RFC 9110 §9.1: method = token, case-sensitive, and the set is extensible; Go's server accepts any token " +
      "(validMethod) and a CONNECT to a \"/path\" as an ordinary request (net/rpc uses it).",
    applies: (w) => isToken(w.method) && !LLHTTP_ORDINARY_METHODS.has(w.method) && (w.method !== "CONNECT" || w.target.startsWith("/")),
    rewriteForLlhttp: (w) => ({ ...w, method: "POST" }),
    adjustOurs: (m) => ({ ...m, method: "POST" })
  },
  {
    id: "duplicate-equal-cl",
    what: "two or more Content-Length fields, all with the same value",
    ours: "accepts and uses that length (the fields stay listed in the headers)",
    llhttp: "HPE_UNEXPECTED_CONTENT_LENGTH",
    why: "RFC 9110 §8.6 lets a recipient replace a list of identical Content-Length values by one; Go's " +
      "transferReader does exactly this, and refuses differing values, as we do.",
    applies: (w) => {
      const cls = fieldsNamed(w.fields, "content-length").map((f) => trimOws(f.before + f.value + f.after))
      return cls.length >= 2 && cls.every((v) => v === cls[0])
    },
    rewriteForLlhttp: (w) => {
      let seen = false
      return {
        ...w,
        fields: w.fields.filter((f) => {
          if (f.raw !== undefined || lower(f.name) !== "content-length") return true
          if (seen) return false
          seen = true
          return true
        })
      }
    },
    adjustOurs: (m) => {
      let seen = false
      return {
        ...m,
        headers: m.headers.filter(([n]) => {
          if (n !== "content-length") return true
          if (seen) return false
          seen = true
          return true
        })
      }
    }
  },
  {
    id: "htab-ows-framing",
    what: "HTAB in the optional whitespace around a Content-Length or Transfer-Encoding value",
    ours: "strips it like SP",
    llhttp: "HPE_INVALID_CONTENT_LENGTH / HPE_INVALID_TRANSFER_ENCODING for an HTAB after the value (SP is fine)",
    why: "RFC 9112 §5: field-line = field-name \":\" OWS field-value OWS, and OWS = *( SP / HTAB ) (RFC 9110 §5.6.3); " +
      "Go's textproto trims both.",
    applies: (w) => FRAMING_NAMES.some((n) => fieldsNamed(w.fields, n).some((f) => /\t/.test(owsOf(f)))),
    rewriteForLlhttp: (w) => ({
      ...w,
      fields: w.fields.map((f) => (f.raw === undefined && FRAMING_NAMES.includes(lower(f.name)) ? owsAsSpaces(f) : f))
    })
  },
  {
    id: "te-empty-elements",
    what: "empty elements in the Transfer-Encoding list (\"chunked,\", \", chunked\")",
    ours: "ignores them",
    llhttp: "HPE_INVALID_TRANSFER_ENCODING after a trailing comma",
    why: "RFC 9110 §5.6.1.2: a recipient MUST parse and ignore a reasonable number of empty list elements. (Go, " +
      "which wants the value to be exactly \"chunked\", answers 501 here.)",
    applies: (w) =>
      fieldsNamed(w.fields, "transfer-encoding").some((f) => {
        const parts = f.value.split(",").map((x) => x.trim())
        return parts.length > 1 && parts.some((x) => x === "") && parts.some((x) => x !== "")
      }),
    rewriteForLlhttp: (w) => ({
      ...w,
      fields: w.fields.map((f) => (f.raw === undefined && lower(f.name) === "transfer-encoding" ? { ...f, value: dropEmptyElements(f.value) } : f))
    }),
    adjustOurs: (m) => ({
      ...m,
      headers: m.headers.map(([n, v]) => [n, n === "transfer-encoding" ? dropEmptyElements(v) : v])
    })
  },
  {
    id: "chunk-bws",
    what: "SP or HTAB before \";\" and around \"=\" in chunk extensions (not before the CRLF, which both refuse)",
    ours: "skips it",
    llhttp: "HPE_STRICT, or HPE_INVALID_CHUNK_SIZE when it follows the size",
    why: "RFC 9112 §7.1.1: chunk-ext = *( BWS \";\" BWS chunk-ext-name [ BWS \"=\" BWS chunk-ext-val ] ), and RFC 9110 " +
      "§5.6.3 says a recipient MUST parse and remove BWS. Whitespace before the CRLF is not BWS: we refuse it, as llhttp " +
      "(Go trims it).",
    applies: (w) => chunkLines(w).some((l) => BWS_LINE.test(l.rest) && /[ \t]/.test(stripQuoted(l.rest))),
    rewriteForLlhttp: (w) => mapChunkLines(w, (rest) => (BWS_LINE.test(rest) ? removeBws(rest) : rest))
  },
  {
    id: "obs-text-target",
    what: "bytes 0x80-0xFF in the request-target",
    ours: "accepts them and reports them percent-encoded (%XX, upper case)",
    llhttp: "HPE_INVALID_URL",
    why: "Go's server accepts such a request-target (url.ParseRequestURI refuses only CTLs); percent-encoding keeps " +
      "our target a string of ASCII characters with one meaning, as RFC 3986 §2.1 writes other octets.",
    applies: (w) => /[\x80-\xff]/.test(w.target),
    rewriteForLlhttp: (w) => ({ ...w, target: percentEncodeHigh(w.target) })
  },
  {
    id: "http-1x-minor",
    what: "an HTTP/1.x request-line with a minor version 2 to 9",
    ours: "accepts it as HTTP/1.x, with HTTP/1.1 semantics",
    llhttp: "HPE_INVALID_VERSION",
    why: "RFC 9110 §6.2 / RFC 9112 §2.3: a recipient of a higher minor version of its major version processes the " +
      "message as the highest minor version it implements; Go accepts any HTTP/1.x.",
    applies: (w) => /^HTTP\/1\.[2-9]$/.test(w.version),
    rewriteForLlhttp: (w) => ({ ...w, version: "HTTP/1.1" }),
    adjustOurs: (m) => ({ ...m, version: "1.1" })
  },
  {
    id: "trailer-framing-fields",
    what: "a Content-Length or Transfer-Encoding field in the trailer section",
    ours: "accepts it and reports it among the trailers, where it frames nothing",
    llhttp: "HPE_INVALID_CONTENT_LENGTH / HPE_INVALID_TRANSFER_ENCODING",
    why: "The body is over when trailers arrive, so these fields cannot change framing; RFC 9110 §6.5.1 leaves what to " +
      "do with a prohibited trailer to the recipient, and Go's server keeps them in Request.Trailer.",
    applies: (w) => w.body.kind === "chunked" && FRAMING_NAMES.some((n) => fieldsNamed(w.body.kind === "chunked" ? w.body.trailers : [], n).length > 0),
    rewriteForLlhttp: (w) =>
      w.body.kind === "chunked"
        ? { ...w, body: { ...w.body, trailers: w.body.trailers.filter((f) => f.raw !== undefined || !FRAMING_NAMES.includes(lower(f.name))) } }
        : w,
    adjustOurs: (m) => ({ ...m, trailers: m.trailers.filter(([n]) => !FRAMING_NAMES.includes(n)) })
  },
  {
    id: "asterisk-not-options",
    what: "the asterisk-form target \"*\" with a method other than OPTIONS",
    ours: "MalformedMessage invalid-target",
    llhttp: "accepts",
    why: "RFC 9112 §3.2.4: the asterisk-form is only used for a server-wide OPTIONS request.",
    applies: (w) => w.target === "*" && w.method !== "OPTIONS" && isToken(w.method) && w.sp1 === " ",
    ourVerdict: () => "MalformedMessage:invalid-target"
  },
  {
    id: "te-on-http10",
    what: "a Transfer-Encoding field in an HTTP/1.0 request",
    ours: "MalformedMessage transfer-encoding-on-http10",
    llhttp: "accepts, and decodes a chunked body",
    why: "RFC 9112 §6.1: a server that receives Transfer-Encoding in an HTTP/1.0 message MUST treat the framing as " +
      "faulty. (Go ignores the field instead, which would read the body as the next request.)",
    applies: (w) => w.version === "HTTP/1.0" && fieldsNamed(w.fields, "transfer-encoding").length > 0 && validContentLengths(w),
    ourVerdict: () => "MalformedMessage:transfer-encoding-on-http10"
  },
  {
    id: "te-other-codings",
    what: "a Transfer-Encoding with codings other than chunked before a final chunked (\"gzip, chunked\")",
    ours: "UnsupportedTransferEncoding (a server answers 501)",
    llhttp: "accepts, and only removes the chunked coding",
    why: "We implement no other transfer coding, and Go's server answers 501 to any Transfer-Encoding but \"chunked\" " +
      "(RFC 9112 §6.1: a server that receives a coding it does not understand SHOULD respond 501).",
    applies: (w) => {
      if (!/^HTTP\/1\.[1-9]$/.test(w.version) || fieldsNamed(w.fields, "content-length").length > 0) return false
      const codings = teCodings(w)
      return codings.length > 1 && codings[codings.length - 1] === "chunked" && codings.some((c) => c !== "chunked")
    },
    ourVerdict: () => "UnsupportedTransferEncoding"
  },
  {
    id: "version-major",
    what: "an HTTP/0.9 or HTTP/2.0 request-line",
    ours: "UnsupportedVersion (a server answers 505)",
    llhttp: "accepts",
    why: "An HTTP/1.1 server speaks HTTP/1.x only (RFC 9110 §6.2, §15.6.6); Go's server answers 505 to any major " +
      "version but 1.",
    applies: (w) => /^HTTP\/[02]\.\d$/.test(w.version) && isToken(w.method) && w.sp1 === " " && w.sp2 === " ",
    ourVerdict: () => "UnsupportedVersion"
  },
  {
    id: "request-line-spaces",
    what: "more than one SP between the parts of the request-line",
    ours: "MalformedMessage invalid-target (before the target) or invalid-version (before the version)",
    llhttp: "accepts",
    why: "RFC 9112 §3: request-line = method SP request-target SP HTTP-version; parsing on whitespace is only a MAY, " +
      "and Go's parseRequestLine splits on single spaces and refuses the result.",
    applies: (w) => /^ {2,}$/.test(w.sp1) || (w.sp1 === " " && /^ {2,}$/.test(w.sp2)),
    // The first bad separator decides which part is reported.
    ourVerdict: (w) => (/^ {2,}$/.test(w.sp1) ? "MalformedMessage:invalid-target" : "MalformedMessage:invalid-version")
  },
  {
    id: "chunk-ext-empty",
    what: "a chunk extension with an empty name (\";=v\") or an \"=\" without a value (\";n=\")",
    ours: "MalformedMessage invalid-chunk-extension",
    llhttp: "accepts",
    why: "RFC 9112 §7.1.1: chunk-ext-name = token and chunk-ext-val = token / quoted-string, neither of which is empty.",
    applies: (w) => chunkLines(w).some((l) => !STRICT_LINE.test(l.rest) && LAX_LINE.test(l.rest)),
    ourVerdict: () => "MalformedMessage:invalid-chunk-extension"
  },
  {
    id: "chunk-size-digits",
    what: "a chunk size written with more than 16 hex digits, leading zeros included",
    ours: "MalformedMessage chunk-size-too-large",
    llhttp: "accepts when the value fits in 64 bits",
    why: "Go's chunked reader (parseHexUint) refuses a 17th digit whatever its value; a fixed bound on the line keeps " +
      "the state small, and no sender needs more.",
    applies: (w) => chunkLines(w).some((l) => l.digits > 16),
    ourVerdict: () => "MalformedMessage:chunk-size-too-large"
  },
  {
    id: "bare-cr-lf-before-line",
    what: "a bare CR or LF (not a CRLF) before the request-line",
    ours: "MalformedMessage invalid-method",
    llhttp: "skips it",
    why: "RFC 9112 §2.2 asks a server to ignore empty lines (CRLF) before a request-line; we accept no bare CR or LF " +
      "in a request (RFC 9112 §2.2 makes accepting bare LF a MAY), and Go's server skips nothing before its first request.",
    applies: (w) => /^(?:\r\n)*(?:\r(?!\n)|\n)/.test(w.prefix),
    ourVerdict: () => "MalformedMessage:invalid-method"
  },
  {
    id: "http09-request-line",
    what: "a request-line with no HTTP-version: method SP target CRLF, then header fields",
    ours: "MalformedMessage invalid-target (the target runs into the line's end)",
    llhttp: "accepts it as an HTTP/0.9 request, and parses the fields that follow",
    why: "RFC 9112 §3: the request-line ends with HTTP-version, and HTTP/0.9 simple requests have no fields at all; " +
      "Go answers 400 (malformed HTTP request).",
    applies: (w) => w.sp2 === "" && w.sp1 === " " && isToken(w.method) && /^[\x21-\x7e\x80-\xff]+$/.test(w.target + w.version),
    ourVerdict: () => "MalformedMessage:invalid-target"
  },
  {
    id: "opaque-absolute-target",
    what: "an absolute-form target whose scheme is not followed by \"//\" (\"example.com:80\", \"mailto:x\")",
    ours: "accepts it as the absolute-form, target as sent",
    llhttp: "HPE_INVALID_URL (it wants scheme://authority)",
    why: "RFC 9112 §3.2.2: absolute-form = absolute-URI, and RFC 3986 §4.3 allows a rootless path after the scheme; Go's " +
      "url.ParseRequestURI accepts it too (as an opaque URL). Routing is for the layers above.",
    applies: (w) =>
      w.method !== "CONNECT" && w.sp1 === " " && w.sp2 === " " && /^[A-Za-z][A-Za-z0-9+.-]*:(?!\/\/)[\x21-\x7e]*$/.test(w.target),
    ourVerdict: () => "accepted"
  }
]

// ---------------------------------------------------------------------------------------------
// Helpers of the predicates

/** llhttp's methods that it parses as ordinary request methods under their own name. */
const LLHTTP_ORDINARY_METHODS: ReadonlySet<string> = new Set(
  // Names past index 33 do not line up with llhttp's method numbers (QUERY), PRI is the
  // HTTP/2 preface, and CONNECT turns the connection into a tunnel.
  createRequire(import.meta.url)("_http_common").methods.slice(0, 34).filter((m: string) => m !== "CONNECT")
)

const FRAMING_NAMES = ["content-length", "transfer-encoding"]

const trimOws = (s: string): string => s.replace(/^[ \t]+|[ \t]+$/g, "")

/** The optional whitespace around a field's value, as written. */
const owsOf = (f: WireField): string => {
  const all = f.before + f.value + f.after
  return (all.match(/^[ \t]*/)![0]) + (all.match(/[ \t]*$/)![0])
}

const owsAsSpaces = (f: WireField): WireField => {
  const all = f.before + f.value + f.after
  const lead = all.match(/^[ \t]*/)![0]
  const trail = all.slice(lead.length).match(/[ \t]*$/)![0]
  return { ...f, before: " ".repeat(lead.length), value: all.slice(lead.length, all.length - trail.length), after: " ".repeat(trail.length) }
}

const dropEmptyElements = (v: string): string =>
  v.split(",").map((x) => x.trim()).filter((x) => x !== "").join(", ")

/** The transfer codings listed, lower case, without parameters, empty elements dropped. */
const teCodings = (w: Wire): Array<string> =>
  fieldsNamed(w.fields, "transfer-encoding")
    .flatMap((f) => f.value.split(","))
    .map((c) => c.split(";")[0]!.trim().toLowerCase())
    .filter((c) => c !== "")

/** Whether every Content-Length is a valid number and all agree (so that TE is what we look at next). */
const validContentLengths = (w: Wire): boolean => {
  const cls = fieldsNamed(w.fields, "content-length").map((f) => trimOws(f.before + f.value + f.after))
  return cls.every((v) => /^\d{1,15}$/.test(v) && v === cls[0])
}

const TCHAR = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]"
const QUOTED = '"(?:[\\t \\x21\\x23-\\x5b\\x5d-\\x7e\\x80-\\xff]|\\\\[\\t \\x21-\\x7e\\x80-\\xff])*"'
/** What may follow the chunk size: extensions with BWS (RFC 9112 §7.1.1; no whitespace before the CRLF). */
const BWS_LINE = new RegExp(`^(?:[ \\t]*;[ \\t]*${TCHAR}+(?:[ \\t]*=[ \\t]*(?:${TCHAR}+|${QUOTED}))?)*$`)
/** The same without any whitespace: what llhttp accepts in strict mode. */
const STRICT_LINE = new RegExp(`^(?:;${TCHAR}+(?:=(?:${TCHAR}+|${QUOTED}))?)*$`)
/** llhttp's leniency: an empty extension name before "=", or an "=" with no value. */
const LAX_LINE = new RegExp(`^(?:;(?:${TCHAR}*=(?:${TCHAR}+|${QUOTED})?|${TCHAR}+))*$`)

/** Quoted strings removed, to look at what lies between them. */
const stripQuoted = (s: string): string => s.replace(new RegExp(QUOTED, "g"), '""')

/** BWS removed outside quoted strings. */
const removeBws = (s: string): string =>
  s.replace(new RegExp(`(${QUOTED})|[ \\t]+`, "g"), (_m, q: string | undefined) => q ?? "")

/** Each chunk-size line (last chunk included): its hex digits' count and what follows them. */
const chunkLines = (w: Wire): Array<{ readonly digits: number; readonly rest: string }> => {
  if (w.body.kind !== "chunked") return []
  return [...w.body.chunks, { ...w.body.last, data: Buffer.alloc(0) }].map((c) => {
    const line = c.size + c.ext
    const digits = line.match(/^[0-9A-Fa-f]*/)![0].length
    return { digits, rest: line.slice(digits) }
  })
}

const mapChunkLines = (w: Wire, f: (rest: string) => string): Wire => {
  if (w.body.kind !== "chunked") return w
  const one = <C extends { readonly size: string; readonly ext: string }>(c: C): C => {
    const line = c.size + c.ext
    const digits = line.match(/^[0-9A-Fa-f]*/)![0].length
    return { ...c, size: line.slice(0, digits), ext: f(line.slice(digits)) }
  }
  return { ...w, body: { ...w.body, chunks: w.body.chunks.map(one), last: one(w.body.last) } }
}

const percentEncodeHigh = (s: string): string =>
  s.replace(/[\x80-\xff]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase())

// ---------------------------------------------------------------------------------------------
// llhttp, through Node's binding

interface LlhttpParser {
  initialize(type: number, resource: object): void
  execute(data: Buffer): number | Error
  finish(): number | Error | undefined
  close?(): void
  [key: number]: unknown
}
interface LlhttpBinding {
  readonly HTTPParser: {
    new(): LlhttpParser
    readonly REQUEST: number
    readonly kOnHeaders: number
    readonly kOnHeadersComplete: number
    readonly kOnBody: number
    readonly kOnMessageComplete: number
    readonly kOnExecute: number
  }
  readonly methods: ReadonlyArray<string>
}

const { HTTPParser, methods: LLHTTP_METHODS } = createRequire(import.meta.url)("_http_common") as LlhttpBinding

/** A request as a parser reported it, with names lower-cased (llhttp keeps the case sent). */
interface Msg {
  readonly method: string
  readonly target: string
  readonly version: string
  readonly headers: Array<[string, string]>
  readonly body: string
  readonly trailers: Array<[string, string]>
}

/** What a parser made of a whole input: every message, and whether it all was accepted. */
interface Outcome {
  readonly accepted: boolean
  readonly messages: Array<Msg>
  /** Why it was rejected: our error's tag and reason, or llhttp's error code. */
  readonly error?: string
}

const pairs = (flat: ReadonlyArray<string>): Array<[string, string]> => {
  const out: Array<[string, string]> = []
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!.toLowerCase(), flat[i + 1]!])
  return out
}

const runLlhttp = (bytes: Buffer): Outcome => {
  const parser = new HTTPParser()
  parser.initialize(HTTPParser.REQUEST, {})
  const messages: Array<Msg> = []
  let pending: Array<string> = []
  let pendingUrl = ""
  let current: { msg: Omit<Msg, "body" | "trailers">; body: Array<Buffer>; trailers: Array<string> } | undefined
  let upgrade = false
  parser[HTTPParser.kOnHeaders] = (headers: Array<string>, url: string) => {
    if (current !== undefined) current.trailers.push(...headers)
    else {
      pending.push(...headers)
      pendingUrl += url
    }
  }
  parser[HTTPParser.kOnHeadersComplete] = (
    major: number,
    minor: number,
    headers: Array<string> | undefined,
    method: number,
    url: string,
    _status: unknown,
    _message: unknown,
    up: boolean
  ) => {
    // With more than 32 fields, llhttp hands them over early through kOnHeaders.
    const all = headers ?? pending
    current = {
      msg: {
        method: LLHTTP_METHODS[method]!,
        target: url || pendingUrl,
        version: `${major}.${minor}`,
        headers: pairs(all)
      },
      body: [],
      trailers: []
    }
    pending = []
    pendingUrl = ""
    if (up) upgrade = true
    return 0
  }
  parser[HTTPParser.kOnBody] = (chunk: Buffer) => {
    current!.body.push(Buffer.from(chunk))
  }
  parser[HTTPParser.kOnMessageComplete] = () => {
    messages.push({ ...current!.msg, body: Buffer.concat(current!.body).toString("hex"), trailers: pairs(current!.trailers) })
    current = undefined
  }
  parser[HTTPParser.kOnExecute] = () => {}
  try {
    const n = parser.execute(bytes)
    if (n instanceof Error) return { accepted: false, messages, error: (n as Error & { code?: string }).code ?? n.message }
    if (upgrade) return { accepted: false, messages, error: "upgrade" }
    const f = parser.finish()
    if (f instanceof Error) return { accepted: false, messages, error: (f as Error & { code?: string }).code ?? f.message }
    return { accepted: true, messages }
  } finally {
    parser.close?.()
  }
}

const runOurs = (bytes: Buffer): Outcome => {
  const parser = Parser.request()
  parser.feed(bytes)
  parser.finish()
  const messages: Array<Msg> = []
  let head = parser.head
  let body: Array<Buffer> = []
  for (let n = 0; n < 10 * bytes.length + 10; n++) {
    const ev = parser.next()
    switch (ev) {
      case Event.Head:
        head = parser.head
        body = []
        break
      case Event.Body:
        body.push(parser.chunk)
        break
      case Event.End:
        messages.push({
          method: head.method,
          target: head.target,
          version: `${head.versionMajor}.${head.versionMinor}`,
          headers: [...head.headers].map(([k, v]) => [k.toLowerCase(), v]),
          body: Buffer.concat(body).toString("hex"),
          trailers: parser.trailers === undefined ? [] : [...parser.trailers].map(([k, v]) => [k.toLowerCase(), v])
        })
        break
      case Event.Error: {
        const e = parser.error!
        return { accepted: false, messages, error: e._tag === "MalformedMessage" ? `${e._tag}:${e.reason}` : e._tag }
      }
      case Event.Eof:
        return { accepted: true, messages }
      default:
        return { accepted: false, messages, error: `event ${ev}` }
    }
  }
  return { accepted: false, messages, error: "no end" }
}

// ---------------------------------------------------------------------------------------------
// Requests on the wire, and targeted corruptions

interface WireField {
  readonly name: string
  readonly value: string
  readonly before: string
  readonly after: string
  /** When set, the whole field line, written verbatim instead of the parts above. */
  readonly raw?: string
}
interface WireChunk {
  readonly size: string
  readonly ext: string
  readonly data: Buffer
}
type WireBody =
  | { readonly kind: "raw"; readonly bytes: Buffer }
  | {
    readonly kind: "chunked"
    readonly chunks: ReadonlyArray<WireChunk>
    readonly last: { readonly size: string; readonly ext: string }
    readonly trailers: ReadonlyArray<WireField>
  }

/** A request as written: every part verbatim, so that corruptions can be placed anywhere. */
interface Wire {
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

const fromGenerated = (r: GeneratedRequest): Wire => ({
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

const serializeWire = (w: Wire): Buffer => {
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

const lower = (s: string) => s.toLowerCase()
const fieldsNamed = (fields: ReadonlyArray<WireField>, name: string) => fields.filter((f) => f.raw === undefined && lower(f.name) === name)

const corrupt = (label: string, arb: fc.Arbitrary<Wire>): fc.Arbitrary<Wire> =>
  arb.map((w) => ({ ...w, corruption: w.corruption === "none" ? label : w.corruption + "+" + label }))

const base = validRequest.map(fromGenerated)

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
const asChunked = (w: Wire): Wire => {
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
const cases: fc.Arbitrary<Wire> = fc.oneof(
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


// ---------------------------------------------------------------------------------------------
// Judging one request

/** What the property concluded about one request. */
type Judgement =
  | { readonly kind: "agree"; readonly differences: ReadonlyArray<string> }
  | {
    readonly kind: "verdict"
    readonly differences: ReadonlyArray<string>
    readonly expected: ReadonlyArray<string>
    readonly actual: string
  }
  | {
    readonly kind: "disagree"
    readonly differences: ReadonlyArray<string>
    readonly ours: Outcome
    readonly theirs: Outcome
    readonly llhttpInput: string
  }

/** What is compared: the verdict, and the messages when accepted (errors differ in naming). */
const comparable = (o: Outcome) => ({ accepted: o.accepted, messages: o.accepted ? o.messages : [] })

const judge = (w: Wire): Judgement => {
  const dds = DELIBERATE_DIFFERENCES.filter((d) => d.applies(w))
  const differences = dds.map((d) => d.id)
  const ours = runOurs(serializeWire(w))
  const verdicts = dds.filter((d) => d.ourVerdict !== undefined)
  if (verdicts.length > 0) {
    const expected = verdicts.map((d) => d.ourVerdict!(w))
    const actual = ours.accepted ? "accepted" : ours.error!
    return expected.includes(actual) ? { kind: "agree", differences } : { kind: "verdict", differences, expected, actual }
  }
  const forLlhttp = dds.reduce((acc, d) => (d.rewriteForLlhttp ? d.rewriteForLlhttp(acc) : acc), w)
  const llhttpBytes = serializeWire(forLlhttp)
  const theirs = runLlhttp(llhttpBytes)
  const adjusted: Outcome = {
    ...ours,
    messages: ours.messages.map((m, i) => (i === 0 ? dds.reduce((acc, d) => (d.adjustOurs ? d.adjustOurs(acc) : acc), m) : m))
  }
  return JSON.stringify(comparable(adjusted)) === JSON.stringify(comparable(theirs))
    ? { kind: "agree", differences }
    : { kind: "disagree", differences, ours: adjusted, theirs, llhttpInput: llhttpBytes.toString("latin1") }
}

// ---------------------------------------------------------------------------------------------
// The property

const NUM_RUNS = 4000

describe("(d) differential against llhttp", () => {
  it(`agrees with llhttp on ${NUM_RUNS} valid and near-valid requests, deliberate differences aside`, () => {
    const seen = new Map<string, number>()
    let plain = 0
    fc.assert(
      fc.property(cases, (w) => {
        const j = judge(w)
        for (const id of j.differences) seen.set(id, (seen.get(id) ?? 0) + 1)
        if (j.differences.length === 0) plain++
        const input = serializeWire(w).toString("latin1")
        if (j.kind === "verdict") {
          expect(j.expected, `our answer to ${JSON.stringify(input)} (${j.differences})`).toContain(j.actual)
        } else if (j.kind === "disagree") {
          expect({ input, differences: j.differences, ...comparable(j.ours) }).toEqual({
            input,
            differences: j.differences,
            llhttpInput: j.llhttpInput,
            ...comparable(j.theirs)
          })
        }
      }),
      { numRuns: NUM_RUNS }
    )
    // Every difference of the table showed up, and most requests were compared untouched.
    for (const d of DELIBERATE_DIFFERENCES) expect(seen.get(d.id) ?? 0, d.id).toBeGreaterThan(0)
    expect(plain).toBeGreaterThan(NUM_RUNS / 4)
  })

  // Prints every disagreement class with an example, instead of failing on the first one:
  // EXPLORE=20000 npx vitest run test/conformance (for a new llhttp, or new corruptions).
  it.skipIf(process.env.EXPLORE === undefined)("explore: list the disagreements by class", () => {
    const seen = new Map<string, { n: number; example: string; detail: string }>()
    fc.assert(
      fc.property(cases, (w) => {
        const j = judge(w)
        if (j.kind === "agree") return
        const key = j.kind === "verdict"
          ? `${w.corruption} [${j.differences}] expected ${j.expected}, got ${j.actual}`
          : `${w.corruption} [${j.differences}] ours=${j.ours.accepted ? "accept" : j.ours.error} llhttp=${j.theirs.accepted ? "accept" : j.theirs.error}`
        const e = seen.get(key)
        if (e) e.n++
        else {
          seen.set(key, {
            n: 1,
            example: JSON.stringify(serializeWire(w).toString("latin1")),
            detail: j.kind === "disagree" ? `ours=${JSON.stringify(j.ours.messages)}\n\tllhttp=${JSON.stringify(j.theirs.messages)}` : ""
          })
        }
      }),
      { numRuns: Number(process.env.EXPLORE) }
    )
    for (const [k, v] of [...seen].sort()) console.log(`${v.n}\t${k}\n\t${v.example}\n\t${v.detail}`)
  })
})

// ---------------------------------------------------------------------------------------------
// Each deliberate difference, concretely

const field = (name: string, value: string, before = " ", after = ""): WireField => ({ name, value, before, after })

/** A request to write, from a few parts; the rest is a plain GET / HTTP/1.1 with a Host. */
const req = (parts: Partial<Wire>): Wire => ({
  corruption: "example",
  prefix: "",
  method: "GET",
  target: "/",
  version: "HTTP/1.1",
  sp1: " ",
  sp2: " ",
  fields: [field("Host", "example.com")],
  body: { kind: "raw", bytes: Buffer.alloc(0) },
  bareLf: -1,
  ...parts
})

const raw = (text: string): WireBody => ({ kind: "raw", bytes: Buffer.from(text, "latin1") })

const chunked = (
  chunks: ReadonlyArray<readonly [size: string, ext: string, data: string]>,
  last: readonly [size: string, ext: string] = ["0", ""],
  trailers: ReadonlyArray<WireField> = []
): WireBody => ({
  kind: "chunked",
  chunks: chunks.map(([size, ext, data]) => ({ size, ext, data: Buffer.from(data, "latin1") })),
  last: { size: last[0], ext: last[1] },
  trailers
})

const TE = field("Transfer-Encoding", "chunked")

interface Example {
  readonly id: string
  readonly request: Wire
  /** "accepted", or our error. */
  readonly ours: string
  /** "accepted", or llhttp's error code. */
  readonly llhttp: string
  /** For accepted requests: fields of our report of the message. */
  readonly oursReports?: Partial<Msg>
}

const EXAMPLES: ReadonlyArray<Example> = [
  { id: "extension-method", request: req({ method: "FOO" }), ours: "accepted", llhttp: "HPE_INVALID_METHOD", oursReports: { method: "FOO" } },
  { id: "extension-method", request: req({ method: "get" }), ours: "accepted", llhttp: "HPE_INVALID_METHOD", oursReports: { method: "get" } },
  {
    id: "duplicate-equal-cl",
    request: req({ method: "POST", fields: [field("Content-Length", "3"), field("Content-Length", "3")], body: raw("abc") }),
    ours: "accepted",
    llhttp: "HPE_UNEXPECTED_CONTENT_LENGTH",
    oursReports: { body: Buffer.from("abc").toString("hex") }
  },
  {
    id: "htab-ows-framing",
    request: req({ method: "POST", fields: [field("Content-Length", "3", " ", "\t")], body: raw("abc") }),
    ours: "accepted",
    llhttp: "HPE_INVALID_CONTENT_LENGTH",
    oursReports: { headers: [["content-length", "3"]], body: Buffer.from("abc").toString("hex") }
  },
  {
    id: "htab-ows-framing",
    request: req({ method: "POST", fields: [field("Transfer-Encoding", "chunked", "\t", "\t")], body: chunked([["3", "", "abc"]]) }),
    ours: "accepted",
    llhttp: "HPE_INVALID_TRANSFER_ENCODING"
  },
  {
    id: "te-empty-elements",
    request: req({ method: "POST", fields: [field("Transfer-Encoding", "chunked,")], body: chunked([["3", "", "abc"]]) }),
    ours: "accepted",
    llhttp: "HPE_INVALID_TRANSFER_ENCODING",
    oursReports: { body: Buffer.from("abc").toString("hex") }
  },
  {
    id: "chunk-bws",
    request: req({ method: "POST", fields: [TE], body: chunked([["3", " ; a = b", "abc"], ["1", "\t;x", "d"]]) }),
    ours: "accepted",
    llhttp: "HPE_INVALID_CHUNK_SIZE",
    oursReports: { body: Buffer.from("abcd").toString("hex") }
  },
  {
    id: "chunk-bws",
    request: req({ method: "POST", fields: [TE], body: chunked([["3", ';a= "b"', "abc"]]) }),
    ours: "accepted",
    llhttp: "HPE_STRICT"
  },
  {
    id: "obs-text-target",
    request: req({ target: "/caf\xe9?q=\xff" }),
    ours: "accepted",
    llhttp: "HPE_INVALID_URL",
    oursReports: { target: "/caf%E9?q=%FF" }
  },
  { id: "http-1x-minor", request: req({ version: "HTTP/1.2" }), ours: "accepted", llhttp: "HPE_INVALID_VERSION", oursReports: { version: "1.2" } },
  {
    id: "trailer-framing-fields",
    request: req({ method: "POST", fields: [TE], body: chunked([["3", "", "abc"]], ["0", ""], [field("Content-Length", "5")]) }),
    ours: "accepted",
    llhttp: "HPE_INVALID_CONTENT_LENGTH",
    oursReports: { body: Buffer.from("abc").toString("hex"), trailers: [["content-length", "5"]] }
  },
  {
    id: "trailer-framing-fields",
    request: req({ method: "POST", fields: [TE], body: chunked([["3", "", "abc"]], ["0", ""], [field("Transfer-Encoding", "chunked")]) }),
    ours: "accepted",
    llhttp: "HPE_INVALID_TRANSFER_ENCODING"
  },
  { id: "asterisk-not-options", request: req({ target: "*" }), ours: "MalformedMessage:invalid-target", llhttp: "accepted" },
  {
    id: "te-on-http10",
    request: req({ method: "POST", version: "HTTP/1.0", fields: [TE], body: chunked([["3", "", "abc"]]) }),
    ours: "MalformedMessage:transfer-encoding-on-http10",
    llhttp: "accepted"
  },
  {
    id: "te-other-codings",
    request: req({ method: "POST", fields: [field("Transfer-Encoding", "gzip, chunked")], body: chunked([["3", "", "abc"]]) }),
    ours: "UnsupportedTransferEncoding",
    llhttp: "accepted"
  },
  { id: "version-major", request: req({ version: "HTTP/2.0" }), ours: "UnsupportedVersion", llhttp: "accepted" },
  { id: "version-major", request: req({ version: "HTTP/0.9" }), ours: "UnsupportedVersion", llhttp: "accepted" },
  { id: "request-line-spaces", request: req({ sp1: "  " }), ours: "MalformedMessage:invalid-target", llhttp: "accepted" },
  { id: "request-line-spaces", request: req({ sp2: "  " }), ours: "MalformedMessage:invalid-version", llhttp: "accepted" },
  {
    id: "chunk-ext-empty",
    request: req({ method: "POST", fields: [TE], body: chunked([["3", ";=b", "abc"]]) }),
    ours: "MalformedMessage:invalid-chunk-extension",
    llhttp: "accepted"
  },
  {
    id: "chunk-ext-empty",
    request: req({ method: "POST", fields: [TE], body: chunked([["3", ";a=", "abc"]]) }),
    ours: "MalformedMessage:invalid-chunk-extension",
    llhttp: "accepted"
  },
  {
    id: "chunk-size-digits",
    request: req({ method: "POST", fields: [TE], body: chunked([["00000000000000003", "", "abc"]]) }),
    ours: "MalformedMessage:chunk-size-too-large",
    llhttp: "accepted"
  },
  { id: "bare-cr-lf-before-line", request: req({ prefix: "\n" }), ours: "MalformedMessage:invalid-method", llhttp: "accepted" },
  { id: "bare-cr-lf-before-line", request: req({ prefix: "\r\n\r" }), ours: "MalformedMessage:invalid-method", llhttp: "accepted" },
  { id: "http09-request-line", request: req({ sp2: "", version: "" }), ours: "MalformedMessage:invalid-target", llhttp: "accepted" },
  {
    id: "opaque-absolute-target",
    request: req({ target: "example.com:80" }),
    ours: "accepted",
    llhttp: "HPE_INVALID_URL",
    oursReports: { target: "example.com:80" }
  }
]

const answer = (o: Outcome): string => (o.accepted ? "accepted" : o.error!)

describe("(d) the deliberate differences, one example each", () => {
  it("every entry of DELIBERATE_DIFFERENCES has an example, and every example an entry", () => {
    expect([...new Set(EXAMPLES.map((e) => e.id))].sort()).toEqual(DELIBERATE_DIFFERENCES.map((d) => d.id).sort())
  })

  it.each(EXAMPLES.map((e) => [e.id, JSON.stringify(serializeWire(e.request).toString("latin1")), e] as const))(
    "%s: %s",
    (id, _text, e) => {
      const bytes = serializeWire(e.request)
      // The property recognizes it as exactly this difference.
      expect(DELIBERATE_DIFFERENCES.filter((d) => d.applies(e.request)).map((d) => d.id)).toEqual([id])
      const ours = runOurs(bytes)
      expect(answer(ours)).toBe(e.ours)
      expect(answer(runLlhttp(bytes))).toBe(e.llhttp)
      if (e.oursReports !== undefined) expect(ours.messages[0]).toMatchObject(e.oursReports)
    }
  )

  it("Transfer-Encoding: chunked with a parameter is refused by both (RFC 9112 §7.1; Go answers 501)", () => {
    const request = req({ method: "POST", fields: [field("Transfer-Encoding", "chunked;q=1")], body: chunked([["3", "", "abc"]]) })
    expect(DELIBERATE_DIFFERENCES.filter((d) => d.applies(request))).toEqual([])
    expect(answer(runOurs(serializeWire(request)))).toBe("UnsupportedTransferEncoding")
    expect(answer(runLlhttp(serializeWire(request)))).toBe("HPE_INVALID_TRANSFER_ENCODING")
  })
})
