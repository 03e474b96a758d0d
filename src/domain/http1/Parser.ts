/**
 * An incremental, strict HTTP/1.1 message parser (RFC 9112) for requests and responses.
 *
 * Plain synchronous code over Buffers: feed it bytes split anywhere with `feed`, then pull
 * events with `next` until it answers `NeedMore`. One parser serves a whole connection and
 * resets itself between messages, so pipelined messages come out one after the other.
 *
 * ```ts
 * const parser = Parser.request()
 * parser.feed(bytes)
 * for (let ev = parser.next(); ev !== Event.NeedMore; ev = parser.next()) {
 *   if (ev === Event.Head) use(parser.head)          // RequestHead
 *   else if (ev === Event.Body) use(parser.chunk)    // a view into the input, not a copy
 *   else if (ev === Event.End) use(parser.trailers)  // the message is complete
 *   else if (ev === Event.Error) fail(parser.error)  // typed, and sticky
 *   else break                                        // Eof, Detached
 * }
 * ```
 *
 * Every function here stays under about 80 lines but one: `onFields`, the per-byte loop over a
 * header or trailer section (about 140 lines). What runs once per section or only on an error
 * (`endSection`, `badName`, `badValue`, the framing decisions after `endHead`) lives outside
 * it; what remains runs for every line and every byte. Moving the inner scans out costs
 * measurably (`npm run bench:parse`, ours/llhttp, runs interleaved with the whole loop on a
 * loaded 2-core machine, issue 20): with the name and value scans as functions, get-8-headers
 * went from 1.30 1.26 1.31 1.26 1.28 1.31 to 1.22 1.26 1.26 1.27 1.22 1.18 and the first
 * head on a connection from about 1.01 to 0.98; with the value scan alone as a function,
 * get-8-headers gave 1.25 1.29 1.21 against 1.31 1.31. So the loop stays whole; per line it
 * reads a name (known from the last head's memo, or scanned), then the value, then records
 * the line's span, each step commented where it begins.
 *
 * @module
 */
import { canonicalHeaderKey, Headers } from "../Headers.js"
import {
  HeaderTooLarge,
  MalformedMessage,
  type MalformedReason,
  type MessageKind,
  type ParseError,
  UnsupportedTransferEncoding,
  UnsupportedVersion
} from "../errors.js"
import { COLON, CR, FIELD_VALUE, HEX, HTAB, LF, NAME_CLASS, NAME_LOWER, NAME_TOKEN, QDTEXT, REASON, SP, TARGET, TOKEN, wordAt } from "./chars.js"
import type { FastBuffer } from "./bufferMethods.js"
import { internCanonical, internHeaderName, internMethod } from "./intern.js"
import { FieldMemo } from "./FieldMemo.js"
import { type Framing, RequestHead, ResponseHead, type TargetForm } from "./MessageHead.js"

/**
 * What `next` reports.
 *
 * @since 0.1.0
 * @category parsing
 */
export const Event = {
  /** Every byte fed so far is consumed: feed more (or call `finish` at end of input). */
  NeedMore: 0,
  /** A message head was parsed: read `head`. */
  Head: 1,
  /** Body bytes: read `chunk`, a view valid as long as the caller keeps it. */
  Body: 2,
  /** The message is complete: read `trailers`. The parser is ready for the next one. */
  End: 3,
  /** The input is malformed: read `error`. The parser stays in this state. */
  Error: 4,
  /** `finish` was called and the input ended cleanly between messages. */
  Eof: 5,
  /** The connection switched protocols (101, or 2xx to CONNECT): `takeBuffered` the rest. */
  Detached: 6
} as const

/**
 * One of `Event`'s values.
 *
 * @since 0.1.0
 * @category parsing
 */
export type Event = (typeof Event)[keyof typeof Event]

/**
 * Limits a parser enforces; every one is a typed error when passed.
 *
 * @since 0.1.0
 * @category parsing
 */
export interface ParserLimits {
  /** Start line plus header fields, in bytes. Default: 1 MiB for requests, 10 MiB for responses. */
  readonly maxHeaderBytes?: number
  /** The trailer section of a chunked body, in bytes. Default 64 KiB. */
  readonly maxTrailerBytes?: number
  /** One chunk-size line with its extensions, in bytes. Default 4096, as Go's chunked reader. */
  readonly maxChunkLineBytes?: number
}

/** The server's default head limit, as Go's `DefaultMaxHeaderBytes`. */
export const DEFAULT_MAX_REQUEST_HEADER_BYTES = 1 << 20
/** The client's default head limit, as Go's Transport. */
export const DEFAULT_MAX_RESPONSE_HEADER_BYTES = 10 << 20
const DEFAULT_MAX_TRAILER_BYTES = 64 << 10
const DEFAULT_MAX_CHUNK_LINE_BYTES = 4096
const MAX_CHUNK_SIZE_DIGITS = 16
/**
 * An incomplete line shorter than this is parsed again whenever input arrives; a longer one
 * when a control byte arrives. Only a long line broken by a printable byte and never ended
 * reports a different error for a different split (the limit or end of input, not the byte).
 */
const REPARSE_LINES_UNDER = 1024

const S_START = 0
const S_FIELDS = 1
const S_NO_BODY = 2
const S_LENGTH = 3
const S_CHUNK_SIZE = 4
const S_CHUNK_DATA = 5
const S_CHUNK_DATA_END = 6
const S_TRAILERS = 7
const S_CLOSE = 8
const S_MESSAGE_END = 9
const S_DETACHED = 10
const S_ERROR = 11

/** Returned by the line parsers when the line is not all there yet. */
const INCOMPLETE = -1
/** Returned by the line parsers after setting `error`. */
const FAILED = -2

const EMPTY = Buffer.alloc(0)
const EMPTY_VIEW = new DataView(new ArrayBuffer(0))
/** The memo of a parser that has not begun its second head: empty, and never written. */
const NO_MEMO = new FieldMemo()
/**
 * The field arrays of a message not yet begun: never written to, replaced by fresh arrays when
 * the first field line is decoded. Made at the end of the previous message instead, each pair
 * would live through a keep-alive connection's idle time; while the young generation is still
 * small, V8 then sees most of them survive and pretenures their allocation site, and every
 * later head of every connection starts in the old generation.
 */
const UNSTARTED: Array<string> = []

const toBuffer = (data: Uint8Array): Buffer =>
  Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength)

const hexByte = (b: number): string => "%" + (b < 16 ? "0" : "") + b.toString(16).toUpperCase()

/** The elements of a comma-separated list (RFC 9110 §5.6.1), lower case, empty ones dropped. */
const listTokens = (value: string): Array<string> => {
  const out: Array<string> = []
  for (const part of value.split(",")) {
    const t = part.trim().toLowerCase()
    if (t.length > 0) out.push(t)
  }
  return out
}

/**
 * An incremental HTTP/1.1 parser for one connection. `Parser.request()` parses requests as a
 * server receives them; `Parser.response()` parses responses as a client receives them.
 *
 * @since 0.1.0
 * @category parsing
 */
export class Parser<H extends RequestHead | ResponseHead = RequestHead | ResponseHead> {
  /** The head of the current message, set when `next` returned `Head`. */
  head: H = undefined as unknown as H
  /** Body bytes, set when `next` returned `Body`: a view into the input, not a copy. */
  chunk: Buffer = EMPTY
  /** The trailer fields of a chunked message, set when `next` returned `End`, if any. */
  trailers: Headers | undefined = undefined
  /** The error, set when `next` returned `Error`. */
  error: ParseError | undefined = undefined

  /**
   * Drops the parser's references to the last message (its head, last body chunk and
   * trailers) once the caller has taken them, so that they do not live on through a
   * keep-alive connection's idle time until the next message replaces them.
   */
  forgetMessage(): void {
    this.head = undefined as unknown as H
    this.chunk = EMPTY
    this.trailers = undefined
  }

  /**
   * Between messages with nothing buffered (a keep-alive connection going idle): drops what
   * only parsing needs, the last input chunk and the DataView over it, the last message's
   * head, body chunk and trailers, and the scratch arrays of the last head's field lines, so
   * that an idle connection holds as little as possible (issue 17). The memo of field names
   * stays. Does nothing while a message is under way or input is buffered. Cheap, but it
   * frees the scratch arrays, which the next head grows again: call it when a connection
   * goes idle for a while, not after every message.
   */
  releaseIdle(): void {
    if (this.state !== S_START || this.pos < this.buf.length || this.waitingForLine) return
    this.forgetMessage()
    this.bufOffset += this.buf.length
    this.buf = EMPTY
    this.pos = 0
    this.store = undefined
    this.view = EMPTY_VIEW
    this.viewOf = EMPTY
    this.spans.length = 0
    this.spanNames.length = 0
    this.spanKnown.length = 0
    this.spanFraming.length = 0
  }

  private readonly isRequest: boolean
  private readonly kind: MessageKind
  private readonly maxHeaderBytes: number
  private readonly maxTrailerBytes: number
  private readonly maxChunkLineBytes: number

  // Input: `buf` holds every byte fed and not yet consumed from `pos` on; `buf.length` is its end.
  private buf: Buffer = EMPTY
  private pos = 0
  /** A buffer of our own that `buf` views when a line spanned chunks. */
  private store: Buffer | undefined = undefined
  /** Stream offset of `buf[0]`, and of the first byte of the current message. */
  private bufOffset = 0
  private messageOffset = 0
  /** Stream offset of the first byte of the current head, trailer section or chunk-size line. */
  private sectionOffset = 0
  private eof = false

  private state = S_START
  /** Set when a line was incomplete: search for its LF from `buf[pos + scanned]` before parsing again. */
  private waitingForLine = false
  private scanned = 0
  /** Bytes of the head (or trailers) consumed so far. */
  private sectionBytes = 0
  /** Bytes of earlier heads counted against the next head's limit (`carryHeadBytes`). */
  private carriedHeadBytes = 0
  /** The size of the last head, carried bytes included (`headBytes`). */
  private lastHeadBytes = 0
  /** Body bytes left in the current fixed-length body or chunk. */
  private remaining = 0

  // The head under construction.
  private method = ""
  private target = ""
  private targetForm: TargetForm = "origin"
  private status = 0
  private reason = ""
  private versionMajor = 1
  private versionMinor = 1
  private names: Array<string> = UNSTARTED
  private values: Array<string> = UNSTARTED
  /** Indices in `names` of the fields that decide framing and persistence. */
  private readonly framingFields: Array<number> = []
  private framingCount = 0
  /** Field lines scanned but not yet decoded: name start and end, value start and end, memo line or -1. */
  private spans: Array<number> = []
  private spanNames: Array<string | undefined> = []
  /** For each scanned line: whether the memo knew its name, and then whether it frames the message. */
  private spanKnown: Array<boolean> = []
  private spanFraming: Array<boolean> = []
  /**
   * The field names of the last head, by line, to recognize the next head's names cheaply.
   * `NO_MEMO` (shared, never written) until a second head begins: a connection that carries
   * one message keeps no memo of its own (issue 17).
   */
  private memo: FieldMemo = NO_MEMO
  /** How many heads this parser has completed. */
  private heads = 0
  /** A DataView over `viewOf`, the input buffer it was made for: the memo compares words. */
  private view: DataView = EMPTY_VIEW
  private viewOf: Buffer = EMPTY
  /** The request-target or reason phrase still to be cut from the batch's string, or -1. */
  private lineSpanStart = -1
  private lineSpanEnd = -1
  private detachAfter = false
  /** For responses: the method of the request being answered (HEAD and CONNECT change framing). */
  private requestMethod = "GET"

  // What `scanFramingFields` found in the current head, reset per head (no object per head).
  /** The Content-Length, or -1 without one. */
  private contentLength = -1
  /** The Transfer-Encoding fields' values, joined, or undefined without one. */
  private transferEncoding: string | undefined = undefined
  /** Whether the connection may carry another message after the current one. */
  private persistent = false
  /** Whether Connection lists "upgrade" and an Upgrade field is present. */
  private upgrade = false

  private constructor(isRequest: boolean, limits: ParserLimits) {
    this.isRequest = isRequest
    this.kind = isRequest ? "request" : "response"
    this.maxHeaderBytes =
      limits.maxHeaderBytes ?? (isRequest ? DEFAULT_MAX_REQUEST_HEADER_BYTES : DEFAULT_MAX_RESPONSE_HEADER_BYTES)
    this.maxTrailerBytes = limits.maxTrailerBytes ?? DEFAULT_MAX_TRAILER_BYTES
    this.maxChunkLineBytes = limits.maxChunkLineBytes ?? DEFAULT_MAX_CHUNK_LINE_BYTES
  }

  /** A parser for the requests a server receives. */
  static request(limits: ParserLimits = {}): Parser<RequestHead> {
    return new Parser<RequestHead>(true, limits)
  }

  /** A parser for the responses a client receives. */
  static response(limits: ParserLimits = {}): Parser<ResponseHead> {
    return new Parser<ResponseHead>(false, limits)
  }

  /**
   * For a response parser: the method of the request the next response answers. A response
   * to HEAD has no body, and a 2xx response to CONNECT turns the connection into a tunnel.
   */
  expect(method: string): void {
    this.requestMethod = method
  }

  /** Adds input. Only bytes still unconsumed when a line spans two inputs are copied. */
  feed(data: Uint8Array): void {
    if (data.length === 0) return
    const chunk = toBuffer(data)
    const buf = this.buf
    if (this.pos >= buf.length) {
      this.bufOffset += buf.length
      this.buf = chunk
      this.pos = 0
      this.store = undefined // an idle connection keeps no buffer of its own
      return
    }
    const pending = buf.length - this.pos
    const store = this.store
    if (store !== undefined && buf.buffer === store.buffer && buf.byteOffset === store.byteOffset &&
      store.length - buf.length >= chunk.length) {
      // Append after the pending bytes; views handed out lie before `pos` and stay intact.
      store.set(chunk, buf.length)
      this.buf = store.subarray(0, buf.length + chunk.length)
      return
    }
    const next = Buffer.allocUnsafe(Math.max(4096, 2 * (pending + chunk.length)))
    buf.copy(next, 0, this.pos)
    next.set(chunk, pending)
    this.store = next
    this.bufOffset += this.pos
    this.buf = next.subarray(0, pending + chunk.length)
    this.pos = 0
  }

  /** Marks the end of input: a close-delimited body ends, anything else unfinished is an error. */
  finish(): void {
    this.eof = true
  }

  /**
   * The size of the last head reported (its start line, field lines and empty line), plus the
   * bytes carried into it by `carryHeadBytes`.
   */
  get headBytes(): number {
    return this.lastHeadBytes
  }

  /**
   * Counts `bytes` of earlier heads against the next heads' limit (`maxHeaderBytes`), until
   * called again (0: each head on its own). A client carries interim (1xx) responses' heads
   * into the final one's, as Go 1.24's Transport does, so that any number of small interim
   * responses pass and an endless run of them fails.
   */
  carryHeadBytes(bytes: number): void {
    this.carriedHeadBytes = bytes
  }

  /** How many bytes fed are still waiting to be parsed. */
  get buffered(): number {
    return this.buf.length - this.pos
  }

  /**
   * Takes the unparsed input and stops parsing: for a protocol switch (101, CONNECT) or a
   * hijacked connection, the bytes that arrived after the last message belong to the new owner.
   */
  takeBuffered(): Buffer {
    const rest = this.buf.subarray(this.pos)
    this.bufOffset += this.buf.length
    this.buf = EMPTY
    this.pos = 0
    this.state = S_DETACHED
    return rest
  }

  /** Parses as far as the input allows and reports what it found. */
  next(): Event {
    switch (this.state) {
      case S_START:
        return this.onStart()
      case S_FIELDS:
        return this.onFields(this.pos)
      case S_NO_BODY:
        return this.endMessage()
      case S_LENGTH:
        return this.onLength()
      case S_CHUNK_SIZE:
        return this.onChunkSize()
      case S_CHUNK_DATA:
        return this.onChunkData()
      case S_CHUNK_DATA_END:
        return this.onChunkDataEnd()
      case S_TRAILERS:
        return this.onFields(this.pos)
      case S_CLOSE:
        return this.onClose()
      case S_MESSAGE_END:
        return this.endMessage()
      case S_DETACHED:
        return Event.Detached
      default:
        return Event.Error
    }
  }

  // ---------------------------------------------------------------------------------------
  // Errors

  private fail(error: ParseError): typeof FAILED {
    this.error = error
    this.state = S_ERROR
    return FAILED
  }

  private offsetOf(p: number): number {
    return this.bufOffset + p - this.messageOffset
  }

  /**
   * A malformed message, the error at `p`. `detectedAt` is where the scan saw it (later than
   * `p` for a check made once the line was whole).
   */
  private malformed(reason: MalformedReason, p: number, detail: string, header?: string, detectedAt = p): typeof FAILED {
    if (!NOT_LINE_REASONS.has(reason) && this.limitPassed(detectedAt)) return FAILED
    return this.fail(
      new MalformedMessage(
        header === undefined
          ? { kind: this.kind, reason, offset: this.offsetOf(p), detail }
          : { kind: this.kind, reason, offset: this.offsetOf(p), detail, header }
      )
    )
  }

  /**
   * Whether a line error seen at `detectedAt` lies past its section's limit, and if so fails
   * with the limit's error instead: split input would have passed the limit before that byte
   * arrived, and the answer may not depend on the split.
   */
  private limitPassed(detectedAt: number): boolean {
    const state = this.state
    const at = this.bufOffset + detectedAt - this.sectionOffset
    if (state === S_CHUNK_SIZE) {
      if (at < this.maxChunkLineBytes) return false
      this.chunkLineTooLong()
      return true
    }
    if (state !== S_START && state !== S_FIELDS && state !== S_TRAILERS) return false
    const trailers = state === S_TRAILERS
    const limit = trailers ? this.maxTrailerBytes : this.maxHeaderBytes
    if (at < limit) return false
    this.tooLarge(trailers ? "trailers" : "head", limit, this.sectionOffset + limit - this.messageOffset)
    return true
  }

  /** A chunk-size line over its limit, reported where the limit was passed. */
  private chunkLineTooLong(): typeof FAILED {
    const limit = this.maxChunkLineBytes
    return this.fail(
      new MalformedMessage({
        kind: this.kind,
        reason: "chunk-line-too-long",
        offset: this.sectionOffset + limit - this.messageOffset,
        detail: `chunk-size line longer than ${limit} bytes`
      })
    )
  }

  private tooLarge(section: "head" | "trailers", limit: number, offset: number): typeof FAILED {
    return this.fail(new HeaderTooLarge({ kind: this.kind, section, limit, offset }))
  }

  /** The error for a line that ran out of input: unexpected EOF, or too large, or nothing yet. */
  private incomplete(limit: number, section: "head" | "trailers" | "chunk"): Event {
    const pending = this.buf.length - this.pos
    if (this.sectionBytes + pending > limit) {
      if (section === "chunk") this.chunkLineTooLong()
      else {
        this.tooLarge(section, limit, this.offsetOf(this.pos) + (limit - this.sectionBytes))
      }
      return Event.Error
    }
    this.waitingForLine = true
    this.scanned = pending
    if (this.eof) {
      this.malformed("unexpected-eof", this.buf.length, "input ended inside the message")
      return Event.Error
    }
    return Event.NeedMore
  }

  /**
   * When a line was incomplete: whether to parse it again now. A short line is parsed again
   * on every input, so its errors come out as they would with the input whole. A long one
   * only when a byte arrives that ends or breaks every line (LF, CR, NUL, another control):
   * no byte is scanned more than a bounded number of times, whatever the split.
   */
  private lineArrived(): boolean {
    if (!this.waitingForLine) return true
    const buf = this.buf
    const end = buf.length
    const from = this.pos + this.scanned
    this.scanned = end - this.pos
    if (end - this.pos <= REPARSE_LINES_UNDER) {
      this.waitingForLine = false
      return true
    }
    for (let i = from; i < end; i++) {
      const b = buf[i]!
      if ((b < 0x20 && b !== HTAB) || b === 0x7f) {
        this.waitingForLine = false
        return true
      }
    }
    return false
  }

  // ---------------------------------------------------------------------------------------
  // Start line

  private onStart(): Event {
    const buf = this.buf
    let p = this.pos
    const end = buf.length
    if (p >= end) return this.eof ? Event.Eof : Event.NeedMore
    if (!this.waitingForLine) {
      // RFC 9112 §2.2: a server SHOULD ignore at least one empty line before a request-line.
      if (this.isRequest) {
        while (p < end && buf[p] === CR && (p + 1 >= end || buf[p + 1] === LF)) {
          if (p + 1 >= end) {
            this.pos = p
            return this.eof ? this.incomplete(this.maxHeaderBytes, "head") : Event.NeedMore
          }
          p += 2
        }
        this.pos = p
        if (p >= end) return this.eof ? Event.Eof : Event.NeedMore
      }
      this.messageOffset = this.sectionOffset = this.bufOffset + p
      this.sectionBytes = this.carriedHeadBytes
      this.trailers = undefined
    } else if (!this.lineArrived()) return this.incomplete(this.maxHeaderBytes, "head")
    const r = this.isRequest ? this.parseRequestLine(buf, p, end) : this.parseStatusLine(buf, p, end)
    if (r === FAILED) return Event.Error
    if (r === INCOMPLETE) return this.incomplete(this.maxHeaderBytes, "head")
    this.sectionBytes += r - p
    this.pos = r
    this.state = S_FIELDS
    return this.onFields(p)
  }

  /** request-line = method SP request-target SP HTTP-version CRLF (RFC 9112 §3). */
  private parseRequestLine(buf: Buffer, start: number, end: number): number {
    let p = start
    while (p < end && TOKEN[buf[p]!] === 1) p++
    if (p >= end) return INCOMPLETE
    if (buf[p] !== SP || p === start) return this.malformed("invalid-method", p, "the method is not a token")
    const method = internMethod(buf, start, p) ?? (buf as FastBuffer).latin1Slice(start, p)
    const t0 = ++p
    let high = false
    for (; p < end; p++) {
      const b = buf[p]!
      if (TARGET[b] === 0) break
      if (b >= 0x80) high = true
    }
    if (p >= end) return INCOMPLETE
    if (buf[p] !== SP || p === t0) {
      return this.malformed("invalid-target", p, "the request-target is empty or holds whitespace or a control byte")
    }
    const t1 = p++
    const v = this.parseVersion(buf, p, end, "invalid-version")
    if (v < 0) return v
    p = v
    const eol = this.lineEnd(buf, p, end, "invalid-version", "request-line")
    if (eol < 0) return eol
    if (this.versionMajor !== 1) {
      if (this.limitPassed(eol - 1)) return FAILED
      return this.fail(
        new UnsupportedVersion({
          kind: "request",
          major: this.versionMajor,
          minor: this.versionMinor,
          offset: this.offsetOf(v - 3)
        })
      )
    }
    const target = high ? this.percentEncodeHigh(buf, t0, t1) : ""
    let form: TargetForm
    const first = buf[t0]!
    if (first === 0x2f /* / */) form = "origin"
    else if (method === "CONNECT") form = "authority"
    else if (first === 0x2a /* * */ && t1 - t0 === 1) form = "asterisk"
    else if (isAbsoluteUri(buf, t0, t1)) form = "absolute"
    else return this.malformed("invalid-target", t0, "the request-target is in no form of RFC 9112 §3.2", undefined, eol - 1)
    if (form === "asterisk" && method !== "OPTIONS") {
      return this.malformed("invalid-target", t0, "the asterisk-form is only for OPTIONS", undefined, eol - 1)
    }
    if (form === "authority" && !isAuthority(buf, t0, t1)) {
      return this.malformed("invalid-target", t0, "CONNECT needs a host:port authority", undefined, eol - 1)
    }
    this.method = method
    this.target = target
    this.targetForm = form
    if (!high) {
      this.lineSpanStart = t0
      this.lineSpanEnd = t1
    }
    return eol
  }

  /** status-line = HTTP-version SP status-code SP [ reason-phrase ] CRLF (RFC 9112 §4). */
  private parseStatusLine(buf: Buffer, start: number, end: number): number {
    let p = this.parseVersion(buf, start, end, "invalid-status-line")
    if (p < 0) return p
    if (p >= end) return INCOMPLETE
    if (buf[p] !== SP) return this.malformed("invalid-status-line", p, "expected a space after the version")
    let status = 0
    for (let i = 1; i <= 3; i++) {
      if (p + i >= end) return INCOMPLETE
      const d = buf[p + i]! - 0x30
      if (d < 0 || d > 9) return this.malformed("invalid-status-code", p + 1, "the status code is not three digits", undefined, p + i)
      status = status * 10 + d
    }
    if (status < 100 || status > 599) {
      return this.malformed("invalid-status-code", p + 1, `status code ${status} is outside 100-599`, undefined, p + 3)
    }
    p += 4
    let r0 = p
    if (p >= end) return INCOMPLETE
    if (buf[p] !== SP && buf[p] !== CR && buf[p] !== LF) {
      return this.malformed("invalid-status-code", start + 9, "the status code is not three digits", undefined, p)
    }
    // Go's client accepts a status line without the space before an empty reason; so do we.
    if (buf[p] === SP) {
      r0 = ++p
      while (p < end && REASON[buf[p]!] === 1) p++
      if (p >= end) return INCOMPLETE
    }
    const eol = this.lineEnd(buf, p, end, "invalid-reason-phrase", "status-line")
    if (eol < 0) return eol
    if (this.versionMajor !== 1) {
      if (this.limitPassed(eol - 1)) return FAILED
      return this.fail(
        new UnsupportedVersion({
          kind: "response",
          major: this.versionMajor,
          minor: this.versionMinor,
          offset: this.offsetOf(start + 5)
        })
      )
    }
    this.status = status
    this.reason = ""
    if (p > r0) {
      this.lineSpanStart = r0
      this.lineSpanEnd = p
    }
    return eol
  }

  /** HTTP-version = "HTTP/" DIGIT "." DIGIT; returns the position after it. */
  private parseVersion(buf: Buffer, p: number, end: number, reason: MalformedReason): number {
    const n = Math.min(end - p, 8)
    for (let i = 0; i < n; i++) {
      const want = VERSION_SHAPE[i]!
      const b = buf[p + i]!
      if (want === 0 ? b < 0x30 || b > 0x39 : b !== want) {
        return this.malformed(reason, p + i, "expected HTTP/<digit>.<digit>")
      }
    }
    if (n < 8) return INCOMPLETE
    this.versionMajor = buf[p + 5]! - 0x30
    this.versionMinor = buf[p + 7]! - 0x30
    return p + 8
  }

  /**
   * Expects the end of a line at `p`: CRLF, or (in a response head) a bare LF. Returns the
   * position after it; any other byte is a `reason` error.
   */
  private lineEnd(buf: Buffer, p: number, end: number, reason: MalformedReason, what: string): number {
    if (p >= end) return INCOMPLETE
    const b = buf[p]!
    if (b === CR) {
      if (p + 1 >= end) return INCOMPLETE
      if (buf[p + 1] !== LF) return this.malformed("bare-cr", p, `CR without LF in the ${what}`, undefined, p + 1)
      return p + 2
    }
    if (b === LF) {
      if (this.isRequest) return this.malformed("bare-lf", p, `LF without CR ends the ${what}`)
      return p + 1
    }
    return this.malformed(reason, p, `unexpected byte 0x${b.toString(16)} in the ${what}`)
  }

  /** Like `lineEnd`, for lines of chunked framing, where a bare LF is never accepted. */
  private chunkedLineEnd(buf: Buffer, p: number, end: number, what: string): number {
    if (buf[p] === LF) return this.malformed("bare-lf", p, `LF without CR in the ${what}`)
    return this.lineEnd(buf, p, end, "bare-cr", what)
  }

  private percentEncodeHigh(buf: Buffer, start: number, end: number): string {
    let out = ""
    let run = start
    for (let i = start; i < end; i++) {
      const b = buf[i]!
      if (b >= 0x80) {
        out += (buf as FastBuffer).latin1Slice(run, i) + hexByte(b)
        run = i + 1
      }
    }
    return out + (buf as FastBuffer).latin1Slice(run, end)
  }

  // ---------------------------------------------------------------------------------------
  // Header and trailer fields (RFC 9112 §5)

  /**
   * Parses field lines (the header section, or the trailer section) from `pos`. Lines are
   * scanned into `spans` first and turned into strings together, with one latin1 decode of the
   * whole batch from `batchStart`: a decode per value costs a C++ call each. The one function
   * here over 80 lines: the module header gives the measurements that keep its loop whole.
   */
  private onFields(batchStart: number): Event {
    const trailers = this.state === S_TRAILERS
    const limit = trailers ? this.maxTrailerBytes : this.maxHeaderBytes
    const section = trailers ? "trailers" : "head"
    if (!this.lineArrived()) return this.incomplete(limit, section)
    const buf = this.buf
    const end = buf.length
    const isRequest = this.isRequest
    const spans = this.spans
    const spanNames = this.spanNames
    const memo = this.heads > 0 && this.memo === NO_MEMO ? (this.memo = new FieldMemo()) : this.memo
    let line = this.names.length
    let count = 0
    let p = this.pos
    let lineStart = p
    // Reads past `end` give undefined, which no table accepts: the loops stop there.
    for (;;) {
      lineStart = p
      if (p >= end) break
      let b = buf[p]!
      if (b === CR || b === LF) {
        const ended = this.endSection(batchStart, lineStart, count)
        if (ended === INCOMPLETE) break
        return ended
      }
      let nameEnd: number
      let memoLine = -1
      let known: number
      // The value's span, or v0 = -1 and ve = the memo line for a line the memo knew whole.
      let v0 = -1
      let ve = -1
      let eol = -1
      if (b === SP || b === HTAB) {
        // obs-fold (RFC 9112 §5.2): rejected in requests, unfolded into one SP in responses.
        if (isRequest || line === 0) {
          this.malformed("obs-fold", p, "a line starts with whitespace (obsolete line folding)")
          return Event.Error
        }
        nameEnd = p
        spanNames[count] = undefined
        this.spanKnown[count] = false
      } else if (
        !trailers && line < memo.lines &&
        (known = memo.matchName(this.viewOf === buf ? this.view : this.makeView(buf), buf, p, end, line)) >= 0
      ) {
        // The same name as on this line of the last head: known valid, already decoded.
        nameEnd = p + known
        spanNames[count] = memo.name(line)
        this.spanKnown[count] = true
        this.spanFraming[count] = memo.framing(line)
        p = nameEnd + 1
        b = buf[p]!
        while (b === SP || b === HTAB) b = buf[++p]!
        const v = memo.matchValue(this.view, buf, p, end, line)
        if (v >= 0) {
          // And the same value: nothing to check or decode.
          eol = this.lineEnd(buf, p + v, end, "bare-cr", "header section")
          if (eol === INCOMPLETE) break
          if (eol === FAILED) return Event.Error
          ve = line
        } else memoLine = line
        line++
      } else {
        // One pass checks the token bytes and whether the name is canonical already.
        let mask = NAME_LOWER
        let bad = 0
        // Four independent lookups per round keep the CPU busy; the byte loop finishes.
        while (p + 4 <= end) {
          const c0 = NAME_CLASS[buf[p]!]!
          const c1 = NAME_CLASS[buf[p + 1]!]!
          const c2 = NAME_CLASS[buf[p + 2]!]!
          const c3 = NAME_CLASS[buf[p + 3]!]!
          if ((c0 & c1 & c2 & c3 & NAME_TOKEN) === 0) break
          bad |= (c0 & mask) | (c1 & (c0 >> 3)) | (c2 & (c1 >> 3)) | (c3 & (c2 >> 3))
          mask = c3 >> 3
          p += 4
        }
        let c = NAME_CLASS[buf[p]!]!
        while ((c & NAME_TOKEN) !== 0) {
          bad |= c & mask
          mask = c >> 3
          c = NAME_CLASS[buf[++p]!]!
        }
        if (p >= end) break
        b = buf[p]!
        if (b !== COLON || p === lineStart) return this.badName(b, p, lineStart)
        nameEnd = p
        spanNames[count] = internHeaderName(buf, lineStart, nameEnd) ?? (bad === 0 ? undefined : NOT_CANONICAL)
        this.spanKnown[count] = false
        // From the second head on: a connection that carries one message never pays for the memo.
        if (!trailers && this.heads > 0) memoLine = line
        p++
        line++
      }
      if (eol < 0) {
        b = buf[p]!
        while (b === SP || b === HTAB) b = buf[++p]!
        v0 = p
        // Four bytes at a time while none is a control byte (SWAR: a "has byte less than 0x20"
        // and a "has byte 0x7F" test on one 32-bit word); the byte loop decides the rest.
        if (p + 4 <= end) {
          const last = end - 4
          while (p <= last) {
            const x = wordAt(buf, p)
            const y = x ^ 0x7f7f7f7f
            if ((((x - 0x20202020) & ~x) | ((y - 0x01010101) & ~y)) & 0x80808080) break
            p += 4
          }
          b = buf[p]!
        }
        while (FIELD_VALUE[b] === 1) b = buf[++p]!
        if (p >= end) break
        if (b === CR) {
          if (p + 1 >= end) break
          if (buf[p + 1] !== LF) return this.badValue(buf, p, lineStart, nameEnd, count)
          eol = p + 2
        } else if (b === LF && !isRequest && !trailers) eol = p + 1
        else return this.badValue(buf, p, lineStart, nameEnd, count)
        ve = p
        while (ve > v0 && (buf[ve - 1] === SP || buf[ve - 1] === HTAB)) ve--
      }
      const before = this.sectionBytes
      this.sectionBytes += eol - lineStart
      if (this.sectionBytes > limit) {
        this.tooLarge(section, limit, this.offsetOf(lineStart) + (limit - before))
        return Event.Error
      }
      const at = count * 5
      spans[at] = lineStart
      spans[at + 1] = nameEnd
      spans[at + 2] = v0
      spans[at + 3] = ve
      spans[at + 4] = memoLine
      count++
      p = eol
    }
    // The line at `lineStart` is incomplete: keep it whole for the next call.
    this.materialize(batchStart, lineStart, count)
    return this.incomplete(limit, section)
  }

  /**
   * A line beginning with CR or LF at `lineStart`: the end of the section, whose `count` field
   * lines are scanned from `batchStart`, or INCOMPLETE while its line end is not all there.
   */
  private endSection(batchStart: number, lineStart: number, count: number): Event | typeof INCOMPLETE {
    const buf = this.buf
    const trailers = this.state === S_TRAILERS
    const eol = trailers
      ? this.chunkedLineEnd(buf, lineStart, buf.length, "trailer section")
      : this.lineEnd(buf, lineStart, buf.length, "bare-cr", "header section")
    if (eol === INCOMPLETE) return INCOMPLETE
    if (eol === FAILED) return Event.Error
    this.sectionBytes += eol - lineStart
    const limit = trailers ? this.maxTrailerBytes : this.maxHeaderBytes
    if (this.sectionBytes > limit) {
      this.tooLarge(trailers ? "trailers" : "head", limit, this.offsetOf(lineStart) + (limit - (this.sectionBytes - (eol - lineStart))))
      return Event.Error
    }
    this.materialize(batchStart, lineStart, count)
    this.pos = eol
    if (trailers) return this.endTrailers()
    this.lastHeadBytes = this.sectionBytes
    return this.endHead()
  }

  /** The field name at `lineStart` stopped at byte `b`, at `p`, without a colon after a token. */
  private badName(b: number, p: number, lineStart: number): Event {
    if (p === lineStart) this.malformed("invalid-header-name", p, `byte 0x${b.toString(16)} may not start a field name`)
    else if (b === SP || b === HTAB) this.malformed("whitespace-before-colon", p, "whitespace between field name and colon")
    else if (b === CR || b === LF) this.malformed("missing-colon", p, "a field line without a colon")
    else this.malformed("invalid-header-name", p, `byte 0x${b.toString(16)} in a field name`)
    return Event.Error
  }

  /**
   * The field value of the line at `lineStart` stopped at a byte, at `p`, that may not end it
   * there: a CR without LF, an LF alone (allowed in responses only), or a byte no value holds.
   */
  private badValue(buf: Buffer, p: number, lineStart: number, nameEnd: number, count: number): Event {
    const b = buf[p]!
    const name = this.fieldNameAt(buf, lineStart, nameEnd, count)
    if (b === CR) this.malformed("bare-cr", p, "CR without LF in a field line", name, p + 1)
    else if (b === LF) this.malformed("bare-lf", p, "LF without CR ends a field line", name)
    else this.malformed("invalid-header-value", p, `byte 0x${b.toString(16)} in a field value`, name)
    return Event.Error
  }

  /**
   * Turns the batch scanned from `batchStart` into strings: the pending request-target or
   * reason phrase, then `count` field lines, whose bytes end before `upTo`. Consumes them.
   */
  private materialize(batchStart: number, upTo: number, count: number): void {
    if (count === 0 && this.lineSpanStart < 0) return
    const str = (this.buf as FastBuffer).latin1Slice(batchStart, upTo)
    if (this.lineSpanStart >= 0) {
      const text = str.slice(this.lineSpanStart - batchStart, this.lineSpanEnd - batchStart)
      if (this.isRequest) this.target = text
      else this.reason = text
      this.lineSpanStart = -1
    }
    const trailers = this.state === S_TRAILERS
    const spans = this.spans
    const spanNames = this.spanNames
    if (count > 0 && this.names === UNSTARTED) {
      // `new Array`, not `[]`: a busy connection's heads live until their caller resumes, and
      // V8 pretenured the literal's site under load (every later head then began old).
      this.names = new Array<string>()
      this.values = new Array<string>()
    }
    const names = this.names
    const values = this.values
    for (let i = 0; i < count; i++) {
      const at = i * 5
      const n0 = spans[at]!
      const n1 = spans[at + 1]!
      const v0 = spans[at + 2]!
      const v1 = spans[at + 3]!
      if (v0 < 0) {
        // A line the memo knew whole: v1 is its line index.
        if (this.spanFraming[i]! && !trailers) this.framingFields[this.framingCount++] = names.length
        names.push(spanNames[i]!)
        values.push(this.memo.value(v1))
        continue
      }
      const value = v1 > v0 ? str.slice(v0 - batchStart, v1 - batchStart) : ""
      if (n1 === n0) {
        // A folded continuation of the previous field value.
        if (value.length > 0) {
          const previous = values[values.length - 1]!
          values[values.length - 1] = previous.length > 0 ? previous + " " + value : value
        }
        continue
      }
      let name = spanNames[i]
      let framing: boolean
      const memoLine = spans[at + 4]!
      if (this.spanKnown[i]!) {
        name = name!
        framing = this.spanFraming[i]!
      } else {
        // A name the memo did not know: interned by the scan, or cut from the batch now.
        if (name === undefined) name = str.slice(n0 - batchStart, n1 - batchStart)
        else if (name === NOT_CANONICAL) name = internCanonical(canonicalHeaderKey(str.slice(n0 - batchStart, n1 - batchStart)))
        // Interned strings compare by reference; only they can be the fields that frame.
        framing = name === "Content-Length" || name === "Transfer-Encoding" || name === "Connection" ||
          name === "Upgrade"
        if (memoLine >= 0) this.memo.rememberName(this.buf, n0, n1, memoLine, name, framing)
      }
      if (memoLine >= 0) this.memo.rememberValue(this.buf, v0, v1, memoLine, value)
      if (framing && !trailers) this.framingFields[this.framingCount++] = names.length
      names.push(name)
      values.push(value)
    }
    this.pos = upTo
  }

  /** A DataView over `buf` for the memo's word compares, kept while `buf` stays the input. */
  private makeView(buf: Buffer): DataView {
    this.viewOf = buf
    return (this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength))
  }

  /**
   * The name of the field a line at `start` belongs to, for an error: its own name, or for a
   * folded continuation the last named line (scanned in this batch, or decoded before).
   */
  private fieldNameAt(buf: Buffer, start: number, end: number, count: number): string | undefined {
    if (end > start) return canonicalHeaderKey((buf as FastBuffer).latin1Slice(start, end))
    for (let i = count - 1; i >= 0; i--) {
      const n0 = this.spans[i * 5]!
      const n1 = this.spans[i * 5 + 1]!
      if (n1 > n0) return this.spanNames[i] !== undefined && this.spanNames[i] !== NOT_CANONICAL
        ? this.spanNames[i]
        : canonicalHeaderKey((buf as FastBuffer).latin1Slice(n0, n1))
    }
    return this.names[this.names.length - 1]
  }

  /**
   * The head is complete: scan its framing fields, decide the framing (RFC 9112 §6.3), build
   * the head and enter the body's state. Once per head, and allocation-free beyond the head
   * itself: the scanned facts live in the parser's scratch fields, not in an object per head.
   */
  private endHead(): Event {
    this.heads++
    const scanned = this.scanFramingFields()
    const transferEncoding = this.transferEncoding
    // The head's own string: not kept through a keep-alive connection's idle time.
    this.transferEncoding = undefined
    if (!scanned) return Event.Error
    const names = this.names
    const headers = names === UNSTARTED ? Headers.empty() : Headers.unsafeFromArrays(names, this.values)
    this.names = UNSTARTED
    this.values = UNSTARTED
    const framing = this.isRequest ? this.requestFraming(transferEncoding) : this.responseFraming(transferEncoding)
    if (framing === undefined) return Event.Error
    const length = this.contentLength
    const bodyLength = framing === "length" ? length : framing === "none" ? 0 : -1
    this.head = (this.isRequest
      ? new RequestHead(
        this.method, this.target, this.targetForm, this.versionMajor, this.versionMinor, headers,
        framing, bodyLength, this.persistent, this.upgrade
      )
      : new ResponseHead(
        this.status, this.reason, this.versionMajor, this.versionMinor, headers, framing,
        bodyLength, this.persistent, this.upgrade
      )) as H
    return this.enterBody(framing, length)
  }

  /**
   * Reads the head's framing fields (Content-Length, Transfer-Encoding, Connection, Upgrade),
   * which the field scan indexed in `framingFields`, into the scratch fields `contentLength`,
   * `transferEncoding`, `persistent` and `upgrade`. False after failing on a Content-Length
   * that is not a number or differs from another; equal ones fold into one field.
   */
  private scanFramingFields(): boolean {
    const names = this.names
    const values = this.values
    const framingFields = this.framingFields
    const framingCount = this.framingCount
    this.framingCount = 0
    let contentLength: string | undefined
    let transferEncoding: string | undefined
    let close = false
    let keepAlive = false
    let connectionUpgrade = false
    let upgradeField = false
    let duplicateLength = false
    for (let k = 0; k < framingCount; k++) {
      const i = framingFields[k]!
      const n = names[i]
      if (n === "Content-Length") {
        const v = values[i]!
        if (contentLength === undefined) contentLength = v
        else if (v !== contentLength) {
          this.headError("conflicting-content-length", `differing Content-Length values`, "Content-Length")
          return false
        } else duplicateLength = true
      } else if (n === "Transfer-Encoding") {
        transferEncoding = transferEncoding === undefined ? values[i]! : transferEncoding + ", " + values[i]!
      } else if (n === "Connection") {
        const v = values[i]!
        if (v === "keep-alive" || v === "Keep-Alive") keepAlive = true
        else if (v === "close" || v === "Close") close = true
        else for (const t of listTokens(v)) {
          if (t === "close") close = true
          else if (t === "keep-alive") keepAlive = true
          else if (t === "upgrade") connectionUpgrade = true
        }
      } else if (n === "Upgrade") {
        upgradeField = true
      }
    }
    this.transferEncoding = transferEncoding
    this.persistent = !close && (this.versionMinor >= 1 || keepAlive)
    this.upgrade = connectionUpgrade && upgradeField
    this.contentLength = contentLength === undefined ? -1 : parseContentLength(contentLength)
    if (contentLength !== undefined && this.contentLength < 0) {
      this.headError("invalid-content-length", `Content-Length ${JSON.stringify(contentLength)} is not a decimal number`, "Content-Length")
      return false
    }
    // Equal duplicates fold to one field, as Go's fixLength does (RFC 9110 §8.6 allows it).
    if (duplicateLength) dropRepeats(names, values, "Content-Length")
    return true
  }

  /**
   * A request's framing, or undefined after failing: Transfer-Encoding in HTTP/1.0 or beside
   * Content-Length (a smuggling risk), or any coding but a single chunked (as Go, 501).
   */
  private requestFraming(transferEncoding: string | undefined): Framing | undefined {
    this.detachAfter = false
    if (transferEncoding === undefined) return this.contentLength >= 0 ? "length" : "none"
    if (this.versionMinor < 1) {
      this.headError("transfer-encoding-on-http10", "Transfer-Encoding in an HTTP/1.0 request", "Transfer-Encoding")
      return undefined
    }
    if (this.contentLength >= 0) {
      this.headError("content-length-with-transfer-encoding", "both Content-Length and Transfer-Encoding", "Transfer-Encoding")
      return undefined
    }
    // As Go: exactly "chunked", no other coding and no parameters; anything else is 501.
    const codings = listTokens(transferEncoding)
    if (codings.length === 0 || codings.some((c) => c !== "chunked")) {
      this.fail(new UnsupportedTransferEncoding({ kind: "request", coding: transferEncoding, offset: this.offsetOf(this.pos) }))
      return undefined
    }
    if (codings.length !== 1) {
      this.headError("invalid-transfer-encoding", "chunked must be applied exactly once", "Transfer-Encoding")
      return undefined
    }
    return "chunked"
  }

  /**
   * A response's framing, which the request's method and the status decide first; clears
   * `persistent` when the connection cannot carry another response after this one.
   */
  private responseFraming(transferEncoding: string | undefined): Framing {
    const status = this.status
    const method = this.requestMethod
    const detach = (this.detachAfter = status === 101 || (method === "CONNECT" && status >= 200 && status < 300))
    if (detach) this.persistent = false
    if (method === "HEAD" || status < 200 || status === 204 || status === 304 || detach) return "none"
    if (transferEncoding !== undefined) {
      const codings = listTokens(transferEncoding).map(codingName)
      // RFC 9112 §6.3: chunked as the final coding frames the body, else read until close.
      const framing = codings.length > 0 && codings[codings.length - 1] === "chunked" ? "chunked" : "close"
      // A message with both fields, or TE in HTTP/1.0, may be a smuggling attempt: use it once.
      if (this.contentLength >= 0 || this.versionMinor < 1 || framing === "close") this.persistent = false
      return framing
    }
    if (this.contentLength >= 0) return "length"
    this.persistent = false
    return "close"
  }

  /** Enters the state that reads a body of this framing and reports the head. */
  private enterBody(framing: Framing, length: number): Event {
    this.sectionBytes = 0
    switch (framing) {
      case "none":
        this.state = S_NO_BODY
        break
      case "length":
        this.remaining = length
        this.state = length === 0 ? S_NO_BODY : S_LENGTH
        break
      case "chunked":
        this.state = S_CHUNK_SIZE
        break
      case "close":
        this.state = S_CLOSE
        break
    }
    return Event.Head
  }

  private headError(reason: MalformedReason, detail: string, header: string): Event {
    this.malformed(reason, this.pos, detail, header)
    return Event.Error
  }

  // ---------------------------------------------------------------------------------------
  // Bodies (RFC 9112 §6, §7)

  private onLength(): Event {
    return this.takeBody(S_MESSAGE_END, "input ended before the end of the body")
  }

  /** Hands out the next body bytes of a fixed-length body or chunk; `after` is the state at its end. */
  private takeBody(after: number, eofDetail: string): Event {
    const avail = this.buf.length - this.pos
    if (avail === 0) {
      if (this.eof) {
        this.malformed("unexpected-eof", this.pos, `${eofDetail} (${this.remaining} bytes missing)`)
        return Event.Error
      }
      return Event.NeedMore
    }
    const n = avail < this.remaining ? avail : this.remaining
    this.chunk = this.buf.subarray(this.pos, this.pos + n)
    this.pos += n
    this.remaining -= n
    if (this.remaining === 0) this.state = after
    return Event.Body
  }

  private onClose(): Event {
    const avail = this.buf.length - this.pos
    if (avail === 0) {
      if (this.eof) return this.endMessage()
      return Event.NeedMore
    }
    this.chunk = this.buf.subarray(this.pos)
    this.pos = this.buf.length
    return Event.Body
  }

  /** chunk-size [ chunk-ext ] CRLF, chunk-size = 1*HEXDIG (RFC 9112 §7.1). */
  private onChunkSize(): Event {
    if (!this.waitingForLine) this.sectionOffset = this.bufOffset + this.pos
    if (!this.lineArrived()) return this.incomplete(this.maxChunkLineBytes, "chunk")
    const buf = this.buf
    const end = buf.length
    const start = this.pos
    let p = start
    let size = 0
    while (p < end && HEX[buf[p]!] !== 255) {
      if (p - start >= MAX_CHUNK_SIZE_DIGITS) {
        this.malformed("chunk-size-too-large", p, `chunk size longer than ${MAX_CHUNK_SIZE_DIGITS} hex digits`)
        return Event.Error
      }
      size = size * 16 + HEX[buf[p]!]!
      p++
    }
    if (p >= end) return this.incomplete(this.maxChunkLineBytes, "chunk")
    if (p === start) {
      this.malformed("invalid-chunk-size", p, "a chunk-size line does not start with a hex digit")
      return Event.Error
    }
    if (size > Number.MAX_SAFE_INTEGER) {
      this.malformed("chunk-size-too-large", start, "chunk size overflows", undefined, p)
      return Event.Error
    }
    const e = this.parseChunkExtensions(buf, p, end)
    if (e === FAILED) return Event.Error
    if (e === INCOMPLETE) return this.incomplete(this.maxChunkLineBytes, "chunk")
    if (e - start > this.maxChunkLineBytes) {
      this.chunkLineTooLong()
      return Event.Error
    }
    this.pos = e
    this.sectionBytes = 0
    if (size === 0) {
      this.state = S_TRAILERS
      this.sectionOffset = this.bufOffset + this.pos
      return this.onFields(this.pos)
    }
    this.remaining = size
    this.state = S_CHUNK_DATA
    return this.onChunkData()
  }

  /**
   * chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ), then CRLF.
   * Returns the position after the CRLF.
   *
   * BWS is allowed only before a ";" or an "=" (RFC 9112 §7.1.1), so whitespace right before
   * the CRLF (`5 \r\n`, or `5;a=b\t\r\n`) is malformed: parsers that trim it and parsers that
   * refuse it would disagree on where the chunk starts. (Go trims trailing whitespace off a
   * chunk-size line; llhttp refuses it, as we do.)
   */
  private parseChunkExtensions(buf: Buffer, start: number, end: number): number {
    let p = start
    for (;;) {
      const ws = p
      while (p < end && (buf[p] === SP || buf[p] === HTAB)) p++
      if (p >= end) return INCOMPLETE
      let b = buf[p]!
      if (b === CR) {
        if (p !== ws) {
          return ws === start
            ? this.malformed("invalid-chunk-size", ws, "whitespace between the chunk size and the CRLF")
            : this.malformed("invalid-chunk-extension", ws, "whitespace between a chunk extension and the CRLF")
        }
        if (p + 1 >= end) return INCOMPLETE
        if (buf[p + 1] !== LF) return this.malformed("bare-cr", p, "CR without LF in chunked framing", undefined, p + 1)
        return p + 2
      }
      if (b === LF) return this.malformed("bare-lf", p, "LF without CR in chunked framing")
      if (b !== 0x3b /* ; */) return this.malformed("invalid-chunk-extension", p, "expected ';' or CRLF after the chunk size")
      p++
      while (p < end && (buf[p] === SP || buf[p] === HTAB)) p++
      const n0 = p
      while (p < end && TOKEN[buf[p]!] === 1) p++
      if (p >= end) return INCOMPLETE
      if (p === n0) return this.malformed("invalid-chunk-extension", p, "a chunk extension without a name")
      let q = p
      while (q < end && (buf[q] === SP || buf[q] === HTAB)) q++
      if (q >= end) return INCOMPLETE
      if (buf[q] !== 0x3d /* = */) continue
      p = q + 1
      while (p < end && (buf[p] === SP || buf[p] === HTAB)) p++
      if (p >= end) return INCOMPLETE
      b = buf[p]!
      if (b === 0x22 /* " */) {
        p++
        for (;;) {
          if (p >= end) return INCOMPLETE
          b = buf[p]!
          if (b === 0x22) break
          if (b === 0x5c /* \ */) {
            if (p + 1 >= end) return INCOMPLETE
            const e = buf[p + 1]!
            if (e !== HTAB && (e < 0x20 || e === 0x7f)) return this.malformed("invalid-chunk-extension", p + 1, "invalid quoted-pair")
            p += 2
            continue
          }
          if (QDTEXT[b] === 0) return this.malformed("invalid-chunk-extension", p, "invalid byte in a quoted chunk extension value")
          p++
        }
        p++
      } else {
        const v0 = p
        while (p < end && TOKEN[buf[p]!] === 1) p++
        if (p >= end) return INCOMPLETE
        if (p === v0) return this.malformed("invalid-chunk-extension", p, "a chunk extension '=' without a value")
      }
      if (p - start > this.maxChunkLineBytes) {
        return this.chunkLineTooLong()
      }
    }
  }

  private onChunkData(): Event {
    return this.takeBody(S_CHUNK_DATA_END, "input ended inside a chunk")
  }

  /** The CRLF after chunk data: required, and a bare LF is not accepted. */
  private onChunkDataEnd(): Event {
    const buf = this.buf
    const p = this.pos
    if (p >= buf.length || (buf[p] === CR && p + 1 >= buf.length)) {
      if (this.eof) {
        this.malformed("unexpected-eof", p, "input ended after chunk data")
        return Event.Error
      }
      return Event.NeedMore
    }
    if (buf[p] !== CR || buf[p + 1] !== LF) {
      this.malformed("missing-chunk-crlf", p, "chunk data not followed by CRLF")
      return Event.Error
    }
    this.pos = p + 2
    this.state = S_CHUNK_SIZE
    return this.onChunkSize()
  }

  private endTrailers(): Event {
    if (this.names.length > 0) this.trailers = Headers.unsafeFromArrays(this.names, this.values)
    return this.endMessage()
  }

  /** Reports the end of the message and readies the parser for the next one. */
  private endMessage(): Event {
    this.names = UNSTARTED
    this.values = UNSTARTED
    this.framingCount = 0
    this.sectionBytes = 0
    this.waitingForLine = false
    if (this.detachAfter) {
      this.state = S_DETACHED
      this.detachAfter = false
    } else {
      this.state = S_START
    }
    return Event.End
  }
}

/** Errors about a complete head's framing fields, or the end of input, not about a byte in a line. */
const NOT_LINE_REASONS: ReadonlySet<MalformedReason> = new Set<MalformedReason>([
  "unexpected-eof",
  "invalid-content-length",
  "conflicting-content-length",
  "content-length-with-transfer-encoding",
  "transfer-encoding-on-http10",
  "invalid-transfer-encoding"
])

const VERSION_SHAPE = [0x48, 0x54, 0x54, 0x50, 0x2f, 0, 0x2e, 0]

/** Marks a scanned field name that needs canonicalizing (no header name is empty). */
const NOT_CANONICAL = ""

/** Removes every field named `name` after the first one. */
const dropRepeats = (names: Array<string>, values: Array<string>, name: string): void => {
  let seen = false
  let w = 0
  for (let r = 0; r < names.length; r++) {
    if (names[r] === name) {
      if (seen) continue
      seen = true
    }
    names[w] = names[r]!
    values[w] = values[r]!
    w++
  }
  names.length = w
  values.length = w
}

/** The coding's name, without parameters, lower case. */
const codingName = (coding: string): string => {
  const semi = coding.indexOf(";")
  return semi < 0 ? coding : coding.slice(0, semi).trim()
}

/** Content-Length = 1*DIGIT (RFC 9110 §8.6); -1 when invalid or beyond 2^53. */
const parseContentLength = (s: string): number => {
  if (s.length === 0 || s.length > 16) return -1
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const d = s.charCodeAt(i) - 0x30
    if (d < 0 || d > 9) return -1
    n = n * 10 + d
  }
  return n <= Number.MAX_SAFE_INTEGER ? n : -1
}

/** absolute-URI starts with scheme ":" where scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ). */
const isAbsoluteUri = (buf: Buffer, start: number, end: number): boolean => {
  const first = buf[start]! | 0x20
  if (first < 0x61 || first > 0x7a) return false
  for (let i = start + 1; i < end; i++) {
    const b = buf[i]!
    if (b === COLON) return true
    const l = b | 0x20
    if (!((l >= 0x61 && l <= 0x7a) || (b >= 0x30 && b <= 0x39) || b === 0x2b || b === 0x2d || b === 0x2e)) return false
  }
  return false
}

/** authority-form = uri-host ":" port (RFC 9112 §3.2.3); a loose check, the dialer validates the host. */
const isAuthority = (buf: Buffer, start: number, end: number): boolean => {
  const colon = buf.lastIndexOf(COLON, end - 1)
  if (colon <= start || colon === end - 1) return false
  for (let i = colon + 1; i < end; i++) {
    const c = buf[i]!
    if (c < 0x30 || c > 0x39) return false
  }
  for (let i = start; i < colon; i++) {
    const c = buf[i]!
    if (c === 0x2f || c === 0x3f || c === 0x23 || c === 0x40) return false // / ? # @
  }
  return true
}
