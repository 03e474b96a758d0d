/**
 * Where our request parser parts from llhttp on purpose: the table of DELIBERATE_DIFFERENCES,
 * each recognized by an exact predicate over the request as written (see
 * test/conformance/llhttp.differential.test.ts for how the property uses it, and an example
 * of each).
 *
 * @module
 */
import { createRequire } from "node:module"
import { isToken } from "../../../src/domain/http1/chars.js"
import type { Msg } from "./run.js"
import { fieldsNamed, lower, type Wire, type WireField } from "./wire.js"

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
export interface DeliberateDifference {
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

/** The deliberate differences, in the order of the table above. */
export const DELIBERATE_DIFFERENCES: ReadonlyArray<DeliberateDifference> = [
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
export const LLHTTP_ORDINARY_METHODS: ReadonlySet<string> = new Set(
  // Names past index 33 do not line up with llhttp's method numbers (QUERY), PRI is the
  // HTTP/2 preface, and CONNECT turns the connection into a tunnel.
  createRequire(import.meta.url)("_http_common").methods.slice(0, 34).filter((m: string) => m !== "CONNECT")
)

/** The field names that frame a message, lower case. */
export const FRAMING_NAMES = ["content-length", "transfer-encoding"]

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

