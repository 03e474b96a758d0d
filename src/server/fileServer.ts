/**
 * Go's file serving from the file system (`src/net/http/fs.go`): `FileServer` and `ServeFile`.
 * The answer itself is `serveContent`'s (serveContent.ts); this module finds what to answer
 * with.
 *
 * - The request path is read as Go's `r.URL.Path` (percent-decoded from the request-target as
 *   received), cleaned (`FileServer`) or refused when it holds `..` (`ServeFile`).
 * - Directories: `index.html` when present, else Go's `dirList` (dirList.ts); Go's redirects
 *   (`…/index.html` to `./`, a directory to its trailing slash, a file away from one).
 * - Bodies are streamed from a `FileHandle` in 64 KiB reads; the handle is opened when the
 *   server runs the body (never for HEAD) and closed once when it ends, fails or is interrupted.
 *   A file of at most 64 KiB is read whole instead, once the preconditions let a GET through.
 * - Errors are answers, never failures: Go's `toHTTPError` (404, 403, 500).
 *
 * Unlike Go's `http.Dir`, `fileServer` follows a symbolic link only while its target stays
 * inside the root: one that leads outside answers 404.
 *
 * @module
 */
import { Data, Effect, Either, Option, Stream } from "effect"
import { constants as fsConstants } from "node:fs"
import * as fsp from "node:fs/promises"
import * as nodePath from "node:path"
import * as Body from "../domain/Body.js"
import { Headers } from "../domain/Headers.js"
import * as Status from "../domain/Status.js"
import { cleanSlashPath } from "./cleanPath.js"
import { dirList, urlPathString } from "./dirList.js"
import type { Handler } from "./Handler.js"
import { error, notFound } from "./handlers.js"
import { modtimeMillis } from "./preconditions.js"
import { type Refusal, serveSource, type Source } from "./serveContent.js"
import type { ServerRequest } from "./ServerRequest.js"
import { ServerResponse } from "./ServerResponse.js"
import { SNIFF_LEN } from "./sniff.js"

/**
 * Go's `http.ServeFile`: answers with the file or directory at `filePath` (relative to the
 * working directory when not absolute), following symbolic links as the operating system
 * does (the caller chose the path).
 *
 * As Go: a request path (the decoded `r.URL.Path`) with a `..` element is refused with 400
 * (the caller may have built `filePath` from it), one ending in `/index.html` is redirected
 * to `./`; a directory requested without its trailing slash is redirected to it, and serves
 * its `index.html` or else a listing. Missing files are 404, unreadable ones 403.
 *
 * @since 0.1.0
 * @category handlers
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
 *
 * @since 0.1.0
 * @category handlers
 */
export const fileServer = (root: string): Handler => (request) =>
  Effect.suspend(() => {
    const target = requestPath(request)
    if (target === undefined) return Effect.succeed(error("invalid URL escape", Status.BadRequest))
    // No file name holds a NUL byte (Go's filepath.Localize refuses it too).
    if (target.path.includes("\0")) return Effect.succeed(notFound())
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
