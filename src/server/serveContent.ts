/**
 * Go's `http.ServeContent` (`src/net/http/fs.go`): answers a request with content of a known
 * size, in memory or read on demand.
 *
 * - Content-Type: the caller's, else the one for the name's extension (Go's built-in table,
 *   then the `mime` package, text types with `; charset=utf-8` as Go's
 *   `mime.TypeByExtension`), else sniffed from the first 512 bytes (`detectContentType`).
 * - `Last-Modified`, `Accept-Ranges: bytes`, Content-Length; conditional requests decided by
 *   `checkPreconditions` (preconditions.ts); `Range` with one range (206 and `Content-Range`),
 *   several (`multipart/byteranges`), or none satisfiable (416 with `Content-Range:
 *   bytes *\/size`), ignored when the ranges add up to more than the content (byteRanges.ts).
 * - Errors are answers, never failures, as Go's `serveError`.
 *
 * The content is a {@link Source}: its size, its first bytes for sniffing, and a body by
 * segments. `fileServer` brings its own (a file read in 64 KiB pieces) to {@link serveSource}.
 *
 * @module
 */
import { Effect, Either, Stream } from "effect"
import mime from "mime"
import * as Body from "../domain/Body.js"
import { Headers, type HeadersInput } from "../domain/Headers.js"
import * as Status from "../domain/Status.js"
import { contentRange, multipartByteranges, parseRange, type Segment, sumRangesSize, unsatisfiedContentRange } from "./byteRanges.js"
import { error } from "./handlers.js"
import { checkPreconditions, httpDate, modtimeMillis } from "./preconditions.js"
import type { ServerRequest } from "./ServerRequest.js"
import { ServerResponse } from "./ServerResponse.js"
import { detectContentType, SNIFF_LEN } from "./sniff.js"

// ---------------------------------------------------------------------------------------------
// Public API

/**
 * What {@link serveContent} needs to know about any content besides its bytes.
 *
 * @since 0.1.0
 * @category models
 */
export interface ContentInfo {
  /**
   * A name whose extension gives the Content-Type (Go's `name` argument); it is never sent and
   * may be "" (then the type is sniffed).
   */
  readonly name: string
  /**
   * When the content last changed: sent as `Last-Modified` and used for If-Modified-Since,
   * If-Unmodified-Since and a date in If-Range. Absent, an invalid date or the Unix epoch
   * mean unknown, as Go's zero `time.Time`.
   */
  readonly modtime?: Date | undefined
  /**
   * Header fields to answer with, as Go's caller sets `w.Header()` before `ServeContent`:
   * an `ETag` (used for If-Match, If-None-Match, If-Range), a `Content-Type` (then nothing is
   * sniffed), `Cache-Control`… A `Content-Encoding` without a Range leaves the length unknown
   * (chunked), as Go.
   */
  readonly headers?: HeadersInput | undefined
}

/**
 * Content held in memory.
 *
 * @since 0.1.0
 * @category models
 */
export interface BytesContent extends ContentInfo {
  readonly content: Uint8Array
}

/**
 * Content of a known size read on demand (Go's `io.ReadSeeker`): `read(start, end)` yields the
 * bytes from `start` (inclusive) to `end` (exclusive) and is run once per range sent (and
 * once for at most 512 bytes when the type must be sniffed). It is not run for HEAD.
 *
 * @since 0.1.0
 * @category models
 */
export interface StreamedContent<E = never> extends ContentInfo {
  readonly size: number
  readonly read: (start: number, end: number) => Stream.Stream<Uint8Array, E>
}

/**
 * Go's `http.ServeContent`: answers `request` with the content, honouring Range and the
 * conditional header fields (If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since,
 * If-Range) against `modtime` and the `ETag` in `headers`.
 *
 * The Content-Type is the caller's, else the one for the name's extension, else sniffed
 * (Go's `DetectContentType`). Errors are answers (never failures), as Go's `serveError`: an
 * invalid or unsatisfiable Range is 416 (with `Content-Range: bytes *\/size` when nothing
 * overlaps), and an error response carries none of the caller's Cache-Control,
 * Content-Encoding, ETag or Last-Modified (Go 1.23). A failure of `read` while sniffing
 * answers 500; one while the body is written cuts the connection (the head is out).
 *
 * @since 0.1.0
 * @category handlers
 */
export const serveContent = <E = never>(
  request: ServerRequest,
  content: BytesContent | StreamedContent<E>
): Effect.Effect<ServerResponse<E>> => {
  const headers = Headers.make(content.headers)
  const modtime = modtimeMillis(content.modtime)
  if ("content" in content) return serveSource(request, headers, content.name, modtime, bytesSource(content.content))
  return serveSource(request, headers, content.name, modtime, streamedSource(content.size, content.read))
}

// ---------------------------------------------------------------------------------------------
// Sources

/** An error answer to give: Go's `Error(w, message, code)`. */
export interface Refusal {
  readonly message: string
  readonly code: number
}

/**
 * Content to serve: its size, its first bytes for sniffing, and its bytes by segments. Reading
 * ahead of the body fails with the answer to give instead.
 */
export interface Source<E> {
  readonly size: number
  /** Up to the first {@link SNIFF_LEN} bytes. */
  readonly sniff: Effect.Effect<Uint8Array, Refusal>
  readonly stream: (segments: ReadonlyArray<Segment>) => Stream.Stream<Uint8Array, E>
  /** The whole content when it is in memory: the answer is then a Bytes body. */
  readonly bytes: Uint8Array | undefined
  /** Reads the whole (small) content into memory, when worth it, before answering a GET. */
  readonly load: Effect.Effect<Uint8Array, Refusal> | undefined
}

const bytesSource = (bytes: Uint8Array): Source<never> => ({
  size: bytes.length,
  sniff: Effect.succeed(bytes.subarray(0, SNIFF_LEN)),
  stream: (segments) => Stream.fromIterable(segments.map((s) => (s instanceof Uint8Array ? s : bytes.subarray(s[0], s[1])))),
  bytes,
  load: undefined
})

const streamedSource = <E>(size: number, read: (start: number, end: number) => Stream.Stream<Uint8Array, E>): Source<E> => ({
  size,
  sniff: Effect.suspend(() => {
    const n = Math.min(size, SNIFF_LEN)
    if (!(n > 0)) return Effect.succeed(new Uint8Array(0))
    const first = Stream.runFold(read(0, n), [] as Array<Uint8Array>, (parts, chunk) => {
      parts.push(chunk)
      return parts
    })
    return Effect.matchCauseEffect(first, {
      onSuccess: (parts) => Effect.succeed(Buffer.concat(parts).subarray(0, SNIFF_LEN)),
      // Go answers "seeker can't seek" when it cannot go back after sniffing; we say less.
      onFailure: (cause) =>
        Effect.zipRight(
          Effect.logError("effect-nethttp serveContent: reading the content to sniff its type failed", cause),
          Effect.fail({ message: "500 Internal Server Error", code: Status.InternalServerError })
        )
    })
  }),
  stream: (segments) => Stream.flatMap(Stream.fromIterable(segments), (s) => (s instanceof Uint8Array ? Stream.succeed(s) : read(s[0], s[1]))),
  bytes: undefined,
  load: undefined
})

// ---------------------------------------------------------------------------------------------
// Serving

/** Header fields Go's `serveError` (Go 1.23) drops, and those `Error` sets itself. */
const ERROR_DROPPED = new Set(["Cache-Control", "Content-Encoding", "Etag", "Last-Modified", "Content-Length", "Content-Type", "X-Content-Type-Options"])

/** Go's `serveError`: `Error(w, text, code)` keeping the caller's fields but those meant for a success. */
const serveError = (headers: Headers, message: string, code: number): ServerResponse => {
  const response = error(message, code)
  headers.forEach((value, name) => {
    if (!ERROR_DROPPED.has(name)) response.headers.add(name, value)
  })
  return response
}

/**
 * Go's `serveContent`, after the size is known: `headers` are the answer's (the caller's
 * fields), `name` gives the type by its extension, `modtime` is in epoch milliseconds
 * (undefined when unknown).
 */
export const serveSource = <E>(
  request: ServerRequest,
  headers: Headers,
  name: string,
  modtime: number | undefined,
  given: Source<E>
): Effect.Effect<ServerResponse<E>> =>
  Effect.gen(function*() {
    let source = given
    if (modtime !== undefined) headers.set("Last-Modified", httpDate(modtime))
    const pre = checkPreconditions(request, headers, modtime)
    if (pre._tag === "Done") return pre.response

    if (source.load !== undefined && request.method !== "HEAD") {
      const loaded = yield* Effect.either(source.load)
      if (Either.isLeft(loaded)) return serveError(headers, loaded.left.message, loaded.left.code)
      source = bytesSource(loaded.right)
    }

    let ctype = headers.get("Content-Type")
    if (ctype === undefined) {
      ctype = typeByExtension(extension(name))
      if (ctype === "") {
        const sniffed = yield* Effect.either(source.sniff)
        if (Either.isLeft(sniffed)) return serveError(headers, sniffed.left.message, sniffed.left.code)
        ctype = detectContentType(sniffed.right)
      }
      headers.set("Content-Type", ctype)
    }

    const size = source.size
    if (!Number.isSafeInteger(size) || size < 0) return serveError(headers, "negative content size computed", Status.InternalServerError)

    let ranges = parseRange(pre.range, size)
    if (ranges === "invalid") return serveError(headers, "invalid range", Status.RequestedRangeNotSatisfiable)
    if (ranges === "no-overlap") {
      // Go: a client may send Range on every request; for empty content answer 200, not 416.
      if (size !== 0) {
        headers.set("Content-Range", unsatisfiedContentRange(size))
        return serveError(headers, "invalid range: failed to overlap", Status.RequestedRangeNotSatisfiable)
      }
      ranges = []
    }
    // Ranges adding up to more than the content: an attack or a confused client; send it whole.
    if (sumRangesSize(ranges) > size) ranges = []

    let status: number = Status.OK
    let segments: ReadonlyArray<Segment> = [[0, size]]
    let sendSize = size
    if (ranges.length === 1) {
      const r = ranges[0]!
      status = Status.PartialContent
      segments = [[r.start, r.start + r.length]]
      sendSize = r.length
      headers.set("Content-Range", contentRange(r, size))
    } else if (ranges.length > 1) {
      status = Status.PartialContent
      const multipart = multipartByteranges(ranges, ctype, size)
      segments = multipart.segments
      sendSize = multipart.size
      headers.set("Content-Type", multipart.contentType)
    }
    headers.set("Accept-Ranges", "bytes")
    // Go skips Content-Length when the caller set Content-Encoding (it may compress on the fly),
    // except for a range.
    const length = ranges.length > 0 || !headers.has("Content-Encoding") ? sendSize : undefined
    return new ServerResponse<E>(status, headers, bodyOf(source, segments, length), undefined, undefined)
  })

/** The body for these segments: bytes when the content is in memory, else a stream of `length` bytes. */
const bodyOf = <E>(source: Source<E>, segments: ReadonlyArray<Segment>, length: number | undefined): Body.Body<E> => {
  const bytes = source.bytes
  if (bytes !== undefined && length !== undefined) {
    if (segments.length === 1) {
      const s = segments[0]!
      return Body.bytes(s instanceof Uint8Array ? s : s[0] === 0 && s[1] === bytes.length ? bytes : bytes.subarray(s[0], s[1]))
    }
    return Body.bytes(Buffer.concat(segments.map((s) => (s instanceof Uint8Array ? s : bytes.subarray(s[0], s[1])))))
  }
  return Body.stream(source.stream(segments), length)
}

// ---------------------------------------------------------------------------------------------
// Types by extension

/** Go's `filepath.Ext`: from the last dot of the last element, or "". */
const extension = (name: string): string => {
  for (let i = name.length - 1; i >= 0 && name[i] !== "/"; i--) if (name[i] === ".") return name.slice(i)
  return ""
}

/** Go's built-in `mime` table (mime/type.go), which wins over the system's. */
const GO_TYPES: Readonly<Record<string, string>> = {
  ".avif": "image/avif",
  ".css": "text/css; charset=utf-8",
  ".gif": "image/gif",
  ".htm": "text/html; charset=utf-8",
  ".html": "text/html; charset=utf-8",
  ".jpeg": "image/jpeg",
  ".jpg": "image/jpeg",
  ".js": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".mjs": "text/javascript; charset=utf-8",
  ".pdf": "application/pdf",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".wasm": "application/wasm",
  ".webp": "image/webp",
  ".xml": "text/xml; charset=utf-8"
}

/**
 * Go's `mime.TypeByExtension`: Go's table, then (for the system tables Go reads) the `mime`
 * package's, a `text/*` type getting `; charset=utf-8`; "" when unknown.
 */
const typeByExtension = (ext: string): string => {
  if (ext.length < 2) return ""
  const builtin = GO_TYPES[ext] ?? GO_TYPES[ext.toLowerCase()]
  if (builtin !== undefined) return builtin
  const type = mime.getType(ext)
  if (type === null) return ""
  return type.startsWith("text/") && !type.includes("charset=") ? type + "; charset=utf-8" : type
}
