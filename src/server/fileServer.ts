/**
 * Go's file serving (`src/net/http/fs.go`): `FileServer`, `ServeFile` and `ServeContent`.
 *
 * - Content-Type from the name's extension (Go's built-in table, then the `mime` package, text
 *   types with `; charset=utf-8` as Go's `mime.TypeByExtension`), else sniffed from the first
 *   512 bytes (`detectContentType`); a Content-Type the caller set is kept.
 * - `Last-Modified`, `Accept-Ranges: bytes`, Content-Length; `Range` with one range (206 and
 *   `Content-Range`), several (`multipart/byteranges`), or none satisfiable (416 with
 *   `Content-Range: bytes *\/size`), ignored when the ranges add up to more than the content.
 * - Conditional requests as Go's `checkPreconditions` (RFC 9110 §13.2.2): If-Match and
 *   If-Unmodified-Since (412), If-None-Match (304 for GET and HEAD, else 412),
 *   If-Modified-Since (304), If-Range deciding whether Range applies.
 * - Directories: `index.html` when present, else Go's `dirList` (sorted, escaped); Go's
 *   redirects (`…/index.html` to `./`, a directory to its trailing slash, a file away from one).
 * - Bodies are streamed from a `FileHandle` in 64 KiB reads; the handle is opened when the
 *   server runs the body (never for HEAD) and closed once when it ends, fails or is interrupted.
 *   A file of at most 64 KiB is read whole instead, once the preconditions let a GET through.
 * - Errors are answers, never failures: Go's `toHTTPError` (404, 403, 500) and `serveError`.
 *
 * Unlike Go's `http.Dir`, `fileServer` follows a symbolic link only while its target stays
 * inside the root: one that leads outside answers 404.
 *
 * @module
 */
import { Data, Effect, Either, Option, Stream } from "effect"
import mime from "mime"
import { randomBytes } from "node:crypto"
import { constants as fsConstants } from "node:fs"
import * as fsp from "node:fs/promises"
import * as nodePath from "node:path"
import * as Body from "../domain/Body.js"
import { Headers, type HeadersInput } from "../domain/Headers.js"
import * as Status from "../domain/Status.js"
import { cleanSlashPath } from "./cleanPath.js"
import type { Handler } from "./Handler.js"
import { error, htmlEscape } from "./handlers.js"
import type { ServerRequest } from "./ServerRequest.js"
import { ServerResponse } from "./ServerResponse.js"
import { detectContentType, SNIFF_LEN } from "./sniff.js"

// ---------------------------------------------------------------------------------------------
// Public API

/** What {@link serveContent} needs to know about any content besides its bytes. */
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

/** Content held in memory. */
export interface BytesContent extends ContentInfo {
  readonly content: Uint8Array
}

/**
 * Content of a known size read on demand (Go's `io.ReadSeeker`): `read(start, end)` yields the
 * bytes from `start` (inclusive) to `end` (exclusive) and is run once per range sent (and
 * once for at most 512 bytes when the type must be sniffed). It is not run for HEAD.
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

/**
 * Go's `http.ServeFile`: answers with the file or directory at `filePath` (relative to the
 * working directory when not absolute), following symbolic links as the operating system
 * does (the caller chose the path).
 *
 * As Go: a request path (the decoded `r.URL.Path`) with a `..` element is refused with 400
 * (the caller may have built `filePath` from it), one ending in `/index.html` is redirected
 * to `./`; a directory requested without its trailing slash is redirected to it, and serves
 * its `index.html` or else a listing. Missing files are 404, unreadable ones 403.
 */
export const serveFile = (request: ServerRequest, filePath: string): Effect.Effect<ServerResponse> =>
  Effect.suspend(() => {
    const target = requestPath(request)
    if (target === undefined) return Effect.succeed(error("invalid URL escape", Status.BadRequest))
    if (containsDotDot(target.path)) return Effect.succeed(error("invalid URL path", Status.BadRequest))
    return serveLocal(request, target, filePath, undefined, false)
  })

/**
 * Go's `http.FileServer(http.Dir(root))`: a handler answering with the files under `root`.
 *
 * The request path (the request-target's path, percent-decoded as Go's `r.URL.Path`) is
 * cleaned (`path.Clean`, so `..` cannot climb above the root) and joined to `root`. Symbolic
 * links are followed only while the real path stays inside the real root; one leading outside
 * answers 404 (Go follows it). Directories serve `index.html` or Go's listing; requests for
 * `…/index.html` are redirected to `./`, a directory without its trailing slash to it, a file
 * with one away from it (301, relative, the query kept: Go's `localRedirect`). Errors answer as
 * Go's `toHTTPError`: `404 page not found`, `403 Forbidden`, else 500. Use it under a prefix
 * with `stripPrefix("/static", fileServer(dir))`.
 */
export const fileServer = (root: string): Handler => (request) =>
  Effect.suspend(() => {
    const target = requestPath(request)
    if (target === undefined) return Effect.succeed(error("invalid URL escape", Status.BadRequest))
    // No file name holds a NUL byte (Go's filepath.Localize refuses it too).
    if (target.path.includes("\0")) return Effect.succeed(notFoundError())
    const name = cleanSlashPath(target.path)
    return Effect.flatMap(realPath(root), (realRoot) => serveLocal(request, target, nodePath.join(realRoot, name), realRoot, true)).pipe(
      Effect.catchTag("FileSystemError", (e) => Effect.succeed(toHTTPError(e)))
    )
  })

// ---------------------------------------------------------------------------------------------
// Files

/** A failed file-system call, with Node's error code (ENOENT, EACCES…). */
class FileSystemError extends Data.TaggedError("FileSystemError")<{
  readonly op: string
  readonly path: string
  readonly code: string | undefined
  readonly detail: string
}> {}

const fsError = (op: string, path: string) => (cause: unknown): FileSystemError => {
  const code = typeof cause === "object" && cause !== null && "code" in cause && typeof cause.code === "string" ? cause.code : undefined
  return new FileSystemError({ op, path, code, detail: cause instanceof Error ? cause.message : String(cause) })
}

const notFoundError = (): ServerResponse => error("404 page not found", Status.NotFound)

/** An error answer to give: Go's `Error(w, message, code)`. */
interface Refusal {
  readonly message: string
  readonly code: number
}

/**
 * Go's `toHTTPError` (with `mapOpenError`, which makes ENOTDIR a not-exist): 404, 403, else
 * 500, never saying more.
 */
const httpErrorOf = (e: FileSystemError): Refusal => {
  switch (e.code) {
    case "ENOENT":
    case "ENOTDIR":
      return { message: "404 page not found", code: Status.NotFound }
    case "EACCES":
    case "EPERM":
      return { message: "403 Forbidden", code: Status.Forbidden }
    default:
      return { message: "500 Internal Server Error", code: Status.InternalServerError }
  }
}

const toHTTPError = (e: FileSystemError): ServerResponse => {
  const { code, message } = httpErrorOf(e)
  return error(message, code)
}

const realPath = (p: string): Effect.Effect<string, FileSystemError> =>
  Effect.tryPromise({ try: () => fsp.realpath(p), catch: fsError("realpath", p) })

const statPath = (p: string) => Effect.tryPromise({ try: () => fsp.stat(p), catch: fsError("stat", p) })

/**
 * The path to use for `p`: itself when nothing confines it, else its real path, which must be
 * the real root or under it (a symbolic link leading elsewhere is as if absent: ENOENT).
 */
const resolveIn = (p: string, realRoot: string | undefined): Effect.Effect<string, FileSystemError> => {
  if (realRoot === undefined) return Effect.succeed(p)
  return Effect.flatMap(realPath(p), (real) => {
    const prefix = realRoot.endsWith(nodePath.sep) ? realRoot : realRoot + nodePath.sep
    return real === realRoot || real.startsWith(prefix)
      ? Effect.succeed(real)
      : Effect.fail(new FileSystemError({ op: "realpath", path: p, code: "ENOENT", detail: "the link leads outside the root" }))
  })
}

/** The size a file is read in. Files up to this size are read whole before answering. */
const CHUNK_SIZE = 64 * 1024

const openFile = (p: string, noFollow: boolean): Effect.Effect<fsp.FileHandle, FileSystemError> =>
  Effect.tryPromise({
    // The real path was checked; O_NOFOLLOW keeps a link swapped in since from being followed.
    try: () => fsp.open(p, noFollow ? fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW : fsConstants.O_RDONLY),
    catch: fsError("open", p)
  })

const closeFile = (handle: fsp.FileHandle): Effect.Effect<void> => Effect.ignore(Effect.tryPromise(() => handle.close()))

/** Up to `length` bytes at `position` (fewer at the end of the file). */
const readAt = (handle: fsp.FileHandle, p: string, position: number, length: number): Effect.Effect<Uint8Array, FileSystemError> =>
  Effect.tryPromise({
    try: async () => {
      const buffer = Buffer.allocUnsafe(length)
      const { bytesRead } = await handle.read(buffer, 0, length, position)
      return bytesRead === length ? buffer : buffer.subarray(0, bytesRead)
    },
    catch: fsError("read", p)
  })

/** `[start, end)` of an open file in reads of {@link CHUNK_SIZE}; ends early at the end of the file. */
const readRange = (handle: fsp.FileHandle, p: string, start: number, end: number): Stream.Stream<Uint8Array, FileSystemError> =>
  Stream.unfoldEffect(start, (position) =>
    position >= end
      ? Effect.succeed(Option.none())
      : Effect.map(readAt(handle, p, position, Math.min(CHUNK_SIZE, end - position)), (bytes) =>
        bytes.length === 0 ? Option.none() : Option.some([bytes, position + bytes.length] as const)))

/** Reads `[start, end)` of the file at `p` with a handle opened and closed here. */
const readFileRange = (p: string, noFollow: boolean, start: number, end: number): Effect.Effect<Uint8Array, FileSystemError> =>
  Effect.acquireUseRelease(openFile(p, noFollow), (handle) =>
    Effect.map(Stream.runCollect(readRange(handle, p, start, end)), (chunks) => {
      const parts = Array.from(chunks)
      return parts.length === 1 ? parts[0]! : Buffer.concat(parts)
    }), closeFile)

/**
 * A file as a source: the body stream opens the file when the server runs it and closes it
 * when the stream ends, fails or is interrupted; a read error mid-body is a defect (the server
 * cuts the connection, the head being out).
 */
const fileSource = (p: string, noFollow: boolean, size: number): Source<never> => ({
  size,
  sniff: Effect.mapError(readFileRange(p, noFollow, 0, Math.min(size, SNIFF_LEN)), httpErrorOf),
  // Small files are read whole (one open, one read) once the preconditions let an answer through.
  load: size <= CHUNK_SIZE ? Effect.mapError(readFileRange(p, noFollow, 0, size), httpErrorOf) : undefined,
  stream: (segments) =>
    Stream.acquireRelease(openFile(p, noFollow), closeFile).pipe(
      Stream.flatMap((handle) =>
        Stream.flatMap(Stream.fromIterable(segments), (segment) =>
          segment instanceof Uint8Array ? Stream.succeed(segment) : readRange(handle, p, segment[0], segment[1]))
      ),
      Stream.orDie
    ),
  bytes: undefined
})

/** What `r.URL.Path` and `r.URL.RawQuery` are in Go: the decoded path (rooted) and the raw query. */
interface RequestPath {
  readonly path: string
  readonly query: string
}

const schemeAndAuthority = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/

/**
 * The request's path as Go's `r.URL.Path` (percent-decoded, `%2F` included, dot segments
 * kept, rooted as `FileServer` makes it) and its raw query; undefined for a malformed escape.
 * Read from the request-target as received, not the WHATWG URL, which resolves `..` and turns
 * `\` into `/`.
 */
const requestPath = (request: ServerRequest): RequestPath | undefined => {
  let target = request.target
  if (target === "*") target = "/*"
  const authority = schemeAndAuthority.exec(target)
  if (authority !== null) target = target.slice(authority[0].length)
  const q = target.indexOf("?")
  const rawPath = q < 0 ? target : target.slice(0, q)
  const query = q < 0 ? "" : target.slice(q + 1)
  let path: string
  try {
    path = decodeURIComponent(rawPath)
  } catch {
    return undefined
  }
  if (!path.startsWith("/")) path = "/" + path
  return { path, query }
}

/** Go's `containsDotDot`: a `..` element, with `/` or `\` as separators. */
const containsDotDot = (v: string): boolean => v.includes("..") && v.split(/[/\\]/).includes("..")

/** Go's `path.Base`. */
const basePath = (p: string): string => {
  if (p === "") return "."
  while (p.length > 0 && p.endsWith("/")) p = p.slice(0, -1)
  const i = p.lastIndexOf("/")
  if (i >= 0) p = p.slice(i + 1)
  return p === "" ? "/" : p
}

/**
 * Go's `localRedirect`: 301 to `newPath` as given (relative), the query kept. Callers pass
 * names escaped with {@link urlPathString}: Go writes the decoded name raw, which a name with
 * a space, a `?` or non-ASCII letters would break.
 */
const localRedirect = (target: RequestPath, newPath: string): ServerResponse => {
  const location = target.query === "" ? newPath : newPath + "?" + target.query
  return new ServerResponse(Status.MovedPermanently, Headers.unsafeFromArrays(["Location"], [location]), Body.empty, undefined, undefined)
}

/**
 * Go's `serveFile` over the native file system: `fsPath` is what Go's `FileSystem.Open(name)`
 * opens; `realRoot` confines symbolic links (fileServer) or is undefined (serveFile);
 * `redirect` is Go's flag (true for FileServer).
 */
const serveLocal = (
  request: ServerRequest,
  target: RequestPath,
  fsPath: string,
  realRoot: string | undefined,
  redirect: boolean
): Effect.Effect<ServerResponse> => {
  const url = target.path
  // Go: "redirect .../index.html to .../" (relative, so it works under StripPrefix).
  if (url.endsWith("/index.html")) return Effect.succeed(localRedirect(target, "./"))
  const confined = realRoot !== undefined
  return Effect.gen(function*() {
    let path = yield* resolveIn(fsPath, realRoot)
    let stat = yield* statPath(path)
    // The name as requested (a link's own name), as Go's `d.Name()`: its extension gives the type.
    let name = nodePath.basename(fsPath)
    if (redirect) {
      if (stat.isDirectory()) {
        if (!url.endsWith("/")) return localRedirect(target, urlPathString(basePath(url) + "/"))
      } else if (url.endsWith("/")) {
        const base = basePath(url)
        if (base === "/" || base === ".") return error("http: attempting to traverse a non-directory", Status.InternalServerError)
        return localRedirect(target, "../" + urlPathString(base).replace(/^\.\//, ""))
      }
    }
    if (stat.isDirectory()) {
      if (url === "" || !url.endsWith("/")) return localRedirect(target, urlPathString(basePath(url) + "/"))
      // Go: use the contents of index.html for the directory, if present (any error: a listing).
      const index = yield* Effect.either(Effect.flatMap(resolveIn(nodePath.join(path, "index.html"), realRoot), (p) => Effect.map(statPath(p), (s) => [p, s] as const)))
      if (Either.isRight(index)) {
        path = index.right[0]
        stat = index.right[1]
        name = "index.html"
      }
    }
    if (stat.isDirectory()) return yield* dirList(request, path, stat.mtimeMs)
    const modtime = modtimeMillis(stat.mtime)
    return yield* serveSource(request, Headers.empty(), name, modtime, fileSource(path, confined, stat.size))
  }).pipe(Effect.catchTag("FileSystemError", (e) => Effect.succeed(toHTTPError(e))))
}

/** Go's `dirList`, after its If-Modified-Since check and Last-Modified. */
const dirList = (request: ServerRequest, dir: string, mtimeMs: number): Effect.Effect<ServerResponse> => {
  const modtime = modtimeMillis(new Date(mtimeMs))
  if (checkIfModifiedSince(request, modtime) === "false") return Effect.succeed(writeNotModified(Headers.empty()))
  return Effect.match(Effect.tryPromise({ try: () => fsp.readdir(dir, { withFileTypes: true }), catch: fsError("readdir", dir) }), {
    onFailure: () => error("Error reading directory", Status.InternalServerError),
    onSuccess: (entries) => {
      const names = entries.map((e) => (e.isDirectory() ? e.name + "/" : e.name))
      // Go sorts by name as bytes (before adding "/"): compare the UTF-8 encodings.
      const keyed = entries.map((e, i) => ({ key: Buffer.from(e.name, "utf8"), name: names[i]! }))
      keyed.sort((a, b) => Buffer.compare(a.key, b.key))
      let html = "<!doctype html>\n<meta name=\"viewport\" content=\"width=device-width\">\n<pre>\n"
      for (const { name } of keyed) html += `<a href="${urlPathString(name)}">${htmlEscape(name)}</a>\n`
      html += "</pre>\n"
      const headers = Headers.empty()
      if (modtime !== undefined) headers.set("Last-Modified", httpDate(modtime))
      headers.set("Content-Type", "text/html; charset=utf-8")
      return new ServerResponse(Status.OK, headers, Body.text(html), undefined, undefined)
    }
  })
}

const HEX = "0123456789ABCDEF"

/**
 * Go's `(&url.URL{Path: name}).String()`: the path escaped as `shouldEscape(c, encodePath)`
 * (unreserved and `$&+,/:;=@` kept), and `./` in front when a colon comes before any slash
 * (so the name is not read as a scheme).
 */
const urlPathString = (name: string): string => {
  let out = ""
  for (const b of Buffer.from(name, "utf8")) {
    const keep = (b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a) || (b >= 0x30 && b <= 0x39) || "-_.~$&+,/:;=@".includes(String.fromCharCode(b))
    out += keep ? String.fromCharCode(b) : "%" + HEX[b >> 4] + HEX[b & 15]
  }
  const colon = out.indexOf(":")
  if (colon >= 0 && !out.slice(0, colon).includes("/")) out = "./" + out
  return out
}

// ---------------------------------------------------------------------------------------------
// serveContent

/** A part of the body: bytes as they are, or `[start, end)` of the content. */
type Segment = Uint8Array | readonly [number, number]

/**
 * Content to serve: its size, its first bytes for sniffing, and its bytes by segments. Reading
 * ahead of the body fails with the answer to give instead.
 */
interface Source<E> {
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

/** Go's `serveContent`, after the size is known. */
const serveSource = <E>(
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
        headers.set("Content-Range", `bytes */${size}`)
        return serveError(headers, "invalid range: failed to overlap", Status.RequestedRangeNotSatisfiable)
      }
      ranges = []
    }
    // Ranges adding up to more than the content: an attack or a confused client; send it whole.
    if (ranges.reduce((sum, r) => sum + r.length, 0) > size) ranges = []

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
      const boundary = randomBytes(30).toString("hex")
      const multipart = multipartSegments(ranges, ctype, size, boundary)
      segments = multipart.segments
      sendSize = multipart.size
      headers.set("Content-Type", "multipart/byteranges; boundary=" + boundary)
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
// Ranges

/** One byte range (Go's `httpRange`). */
interface ByteRange {
  readonly start: number
  readonly length: number
}

const contentRange = (r: ByteRange, size: number): string => `bytes ${r.start}-${r.start + r.length - 1}/${size}`

/** Go's `textproto.TrimString`: ASCII space, tab, CR and LF off both ends. */
const trimString = (s: string): string => s.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, "")

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
const parseRange = (s: string, size: number): Array<ByteRange> | "invalid" | "no-overlap" => {
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

/**
 * The `multipart/byteranges` body as Go's `multipart.Writer` writes it: before each part
 * `--boundary` (after a CRLF but for the first) and its fields in sorted order (Content-Range,
 * Content-Type), a blank line, the bytes; then `\r\n--boundary--\r\n`. The size is exact
 * (Go's `rangesMIMESize`).
 */
const multipartSegments = (ranges: ReadonlyArray<ByteRange>, ctype: string, size: number, boundary: string) => {
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
  return { segments, size: total }
}

// ---------------------------------------------------------------------------------------------
// Conditional requests

/** Go's `condResult`. */
type Cond = "none" | "true" | "false"

/** Go's `scanETag`: a valid entity-tag at the start of `s` and the rest, or undefined. */
const scanETag = (s: string): { readonly etag: string; readonly remain: string } | undefined => {
  s = trimString(s)
  const start = s.startsWith("W/") ? 2 : 0
  if (s.length - start < 2 || s[start] !== "\"") return undefined
  for (let i = start + 1; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c === 0x22) return { etag: s.slice(0, i + 1), remain: s.slice(i + 1) }
    // etagc: %x21 / %x23-7E / obs-text
    if (!(c === 0x21 || (c >= 0x23 && c <= 0x7e) || c >= 0x80)) return undefined
  }
  return undefined
}

const etagStrongMatch = (a: string, b: string | undefined): boolean => b !== undefined && a === b && a !== "" && a[0] === "\""

const etagWeakMatch = (a: string, b: string | undefined): boolean =>
  b !== undefined && (a.startsWith("W/") ? a.slice(2) : a) === (b.startsWith("W/") ? b.slice(2) : b)

/** Walks a list of entity-tags as Go's `checkIfMatch` and `checkIfNoneMatch`: "*" or a match wins. */
const matchesETagList = (list: string, etag: string | undefined, match: (a: string, b: string | undefined) => boolean): "star" | boolean => {
  let buf = list
  for (;;) {
    buf = trimString(buf)
    if (buf.length === 0) return false
    if (buf[0] === ",") {
      buf = buf.slice(1)
      continue
    }
    if (buf[0] === "*") return "star"
    const scanned = scanETag(buf)
    if (scanned === undefined) return false
    if (match(scanned.etag, etag)) return true
    buf = scanned.remain
  }
}

const checkIfMatch = (request: ServerRequest, headers: Headers): Cond => {
  const im = request.headers.get("If-Match")
  if (im === undefined || im === "") return "none"
  return matchesETagList(im, headers.get("Etag"), etagStrongMatch) === false ? "false" : "true"
}

const checkIfNoneMatch = (request: ServerRequest, headers: Headers): Cond => {
  const inm = request.headers.get("If-None-Match")
  if (inm === undefined || inm === "") return "none"
  return matchesETagList(inm, headers.get("Etag"), etagWeakMatch) === false ? "true" : "false"
}

const checkIfUnmodifiedSince = (request: ServerRequest, modtime: number | undefined): Cond => {
  const ius = request.headers.get("If-Unmodified-Since")
  if (ius === undefined || ius === "" || modtime === undefined) return "none"
  const t = parseHttpTime(ius)
  if (t === undefined) return "none"
  // Last-Modified has no sub-second precision: compare whole seconds.
  return Math.floor(modtime / 1000) <= t ? "true" : "false"
}

const checkIfModifiedSince = (request: ServerRequest, modtime: number | undefined): Cond => {
  if (request.method !== "GET" && request.method !== "HEAD") return "none"
  const ims = request.headers.get("If-Modified-Since")
  if (ims === undefined || ims === "" || modtime === undefined) return "none"
  const t = parseHttpTime(ims)
  if (t === undefined) return "none"
  return Math.floor(modtime / 1000) <= t ? "false" : "true"
}

const checkIfRange = (request: ServerRequest, headers: Headers, modtime: number | undefined): Cond => {
  if (request.method !== "GET" && request.method !== "HEAD") return "none"
  const ir = request.headers.get("If-Range")
  if (ir === undefined || ir === "") return "none"
  const scanned = scanETag(ir)
  if (scanned !== undefined) return etagStrongMatch(scanned.etag, headers.get("Etag")) ? "true" : "false"
  // Else a date (golang.org/issue/8367), compared to the second.
  if (modtime === undefined) return "false"
  const t = parseHttpTime(ir)
  return t !== undefined && t === Math.floor(modtime / 1000) ? "true" : "false"
}

/** Go's `writeNotModified` (RFC 9110 §15.4.5): no representation metadata but Last-Modified without an ETag. */
const writeNotModified = (headers: Headers): ServerResponse => {
  headers.delete("Content-Type")
  headers.delete("Content-Length")
  headers.delete("Content-Encoding")
  if (headers.has("Etag")) headers.delete("Last-Modified")
  return new ServerResponse(Status.NotModified, headers, Body.empty, undefined, undefined)
}

/**
 * Go's `checkPreconditions` (RFC 9110 §13.2.2, in its order): a 412 or 304 answer, or the
 * Range field to apply ("" when none, or when If-Range does not hold).
 */
const checkPreconditions = (
  request: ServerRequest,
  headers: Headers,
  modtime: number | undefined
): { readonly _tag: "Done"; readonly response: ServerResponse } | { readonly _tag: "Go"; readonly range: string } => {
  let ch = checkIfMatch(request, headers)
  if (ch === "none") ch = checkIfUnmodifiedSince(request, modtime)
  if (ch === "false") return { _tag: "Done", response: new ServerResponse(Status.PreconditionFailed, headers, Body.empty, undefined, undefined) }
  switch (checkIfNoneMatch(request, headers)) {
    case "false":
      if (request.method === "GET" || request.method === "HEAD") return { _tag: "Done", response: writeNotModified(headers) }
      return { _tag: "Done", response: new ServerResponse(Status.PreconditionFailed, headers, Body.empty, undefined, undefined) }
    case "none":
      if (checkIfModifiedSince(request, modtime) === "false") return { _tag: "Done", response: writeNotModified(headers) }
  }
  let range = request.headers.get("Range") ?? ""
  if (range !== "" && checkIfRange(request, headers, modtime) === "false") range = ""
  return { _tag: "Go", range }
}

// ---------------------------------------------------------------------------------------------
// Dates and types

/** Epoch milliseconds of a modification time, or undefined when unknown (Go's `isZeroTime`). */
const modtimeMillis = (d: Date | undefined): number | undefined => {
  if (d === undefined) return undefined
  const ms = d.getTime()
  return Number.isNaN(ms) || ms === 0 ? undefined : ms
}

/** Go's `TimeFormat` (IMF-fixdate), in UTC, to the second. */
const httpDate = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toUTCString()

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
const M = MONTHS.join("|")
const IMF_FIXDATE = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\\d{2}) (${M}) (\\d{4}) (\\d{1,2}):(\\d{2}):(\\d{2}) GMT$`)
const RFC850 = new RegExp(`^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\\d{2})-(${M})-(\\d{2}) (\\d{1,2}):(\\d{2}):(\\d{2}) GMT$`)
const ANSIC = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (${M}) (?: (\\d)|(\\d{1,2})) (\\d{1,2}):(\\d{2}):(\\d{2}) (\\d{4})$`)

const daysIn = (month: number, year: number): number =>
  month === 1 ? ((year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28) : [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month]!

const toSeconds = (year: number, month: number, day: number, hour: number, minute: number, second: number): number | undefined => {
  if (day < 1 || day > daysIn(month, year) || hour > 23 || minute > 59 || second > 59) return undefined
  const d = new Date(Date.UTC(2000, month, day, hour, minute, second))
  d.setUTCFullYear(year)
  return d.getTime() / 1000
}

/**
 * Go's `http.ParseTime`: an HTTP-date in one of the three formats RFC 9110 §5.6.7 lets a
 * recipient accept (IMF-fixdate, RFC 850, asctime), as Unix seconds; undefined otherwise.
 */
const parseHttpTime = (text: string): number | undefined => {
  let m = IMF_FIXDATE.exec(text)
  if (m !== null) return toSeconds(Number(m[3]), MONTHS.indexOf(m[2]!), Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]))
  m = RFC850.exec(text)
  if (m !== null) {
    const yy = Number(m[3])
    return toSeconds(yy >= 69 ? 1900 + yy : 2000 + yy, MONTHS.indexOf(m[2]!), Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]))
  }
  m = ANSIC.exec(text)
  if (m !== null) return toSeconds(Number(m[7]), MONTHS.indexOf(m[1]!), Number(m[2] ?? m[3]), Number(m[4]), Number(m[5]), Number(m[6]))
  return undefined
}

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
