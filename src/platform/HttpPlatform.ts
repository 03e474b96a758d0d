/**
 * @effect/platform's `HttpPlatform` (what `HttpServerResponse.file` and `fileWeb` ask for) over
 * `node:fs`, without @effect/platform-node: `HttpPlatform.make` does the platform's part (the
 * ETag from `Etag.Generator`, `Last-Modified`, the byte range from `offset`/`bytesToRead`), given
 * a `FileSystem` that only needs `stat`, which this module supplies over `node:fs`. The file is
 * read as the response is written (pull-based, 64 KiB at a time, so a slow client is not
 * outrun), opened only if the body is sent and closed when it ends.
 *
 * @module
 * @since 0.1.0
 */
import { Error as PlatformError, Etag, FileSystem, Headers, HttpPlatform, HttpServerResponse } from "@effect/platform"
import { Effect, Layer, Option, Stream } from "effect"
import Mime from "mime"
import * as fs from "node:fs"
import { fileStream } from "./nodeStreams.js"

const reasonOf = (code: string | undefined): PlatformError.SystemErrorReason => {
  switch (code) {
    case "ENOENT":
      return "NotFound"
    case "EACCES":
    case "EPERM":
      return "PermissionDenied"
    case "EEXIST":
      return "AlreadyExists"
    case "EISDIR":
    case "ENOTDIR":
    case "ELOOP":
      return "BadResource"
    case "EBUSY":
      return "Busy"
    default:
      return "Unknown"
  }
}

/** A `node:fs` failure as the platform's `SystemError` (as @effect/platform-node reports it). */
const systemError = (method: string, path: string, cause: unknown): PlatformError.SystemError => {
  const e = cause as NodeJS.ErrnoException
  return new PlatformError.SystemError({
    reason: reasonOf(e?.code),
    module: "FileSystem",
    method,
    pathOrDescriptor: path,
    ...(e?.syscall === undefined ? {} : { syscall: e.syscall }),
    description: e instanceof Error ? e.message : String(cause),
    cause
  })
}

const typeOf = (stat: fs.Stats): FileSystem.File.Type =>
  stat.isFile()
    ? "File"
    : stat.isDirectory()
    ? "Directory"
    : stat.isSymbolicLink()
    ? "SymbolicLink"
    : stat.isBlockDevice()
    ? "BlockDevice"
    : stat.isCharacterDevice()
    ? "CharacterDevice"
    : stat.isFIFO()
    ? "FIFO"
    : stat.isSocket()
    ? "Socket"
    : "Unknown"

/** `fs.Stats` as the platform's `File.Info`. */
const fileInfo = (stat: fs.Stats): FileSystem.File.Info => ({
  type: typeOf(stat),
  mtime: Option.fromNullable(stat.mtime),
  atime: Option.fromNullable(stat.atime),
  birthtime: Option.fromNullable(stat.birthtime),
  dev: stat.dev,
  rdev: Option.fromNullable(stat.rdev),
  ino: Option.fromNullable(stat.ino),
  mode: stat.mode,
  nlink: Option.fromNullable(stat.nlink),
  uid: Option.fromNullable(stat.uid),
  gid: Option.fromNullable(stat.gid),
  size: FileSystem.Size(stat.size),
  blksize: Option.map(Option.fromNullable(stat.blksize), FileSystem.Size),
  blocks: Option.fromNullable(stat.blocks)
})

/** `stat` over `node:fs`, the one FileSystem operation `HttpPlatform.make` uses. */
const stat = (path: string): Effect.Effect<FileSystem.File.Info, PlatformError.PlatformError> =>
  Effect.async<FileSystem.File.Info, PlatformError.PlatformError>((resume) => {
    fs.stat(path, (error, stats) => resume(error === null ? Effect.succeed(fileInfo(stats)) : Effect.fail(systemError("stat", path, error))))
  })

/** A FileSystem with `stat` only (every other operation fails as the platform's no-op one does). */
const statOnly: FileSystem.FileSystem = FileSystem.makeNoop({ stat })

const contentTypeOf = (headers: Headers.Headers, name: string): string =>
  headers["content-type"] ?? Mime.getType(name) ?? "application/octet-stream"

/**
 * The `HttpPlatform` service, its ETags from the `Etag.Generator` in the context: a file
 * response is a Stream body of the requested range with its `Content-Length`, a `Content-Type`
 * from the file name unless given, `ETag` and `Last-Modified`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<HttpPlatform.HttpPlatform, never, Etag.Generator> = HttpPlatform.make({
  fileResponse: (path, status, statusText, headers, start, end, contentLength) =>
    HttpServerResponse.stream(fileStream(path, start, end, (cause) => systemError("read", path, cause)), {
      status,
      ...(statusText === undefined ? {} : { statusText }),
      headers,
      contentType: contentTypeOf(headers, path),
      contentLength
    }),
  fileWebResponse: (file, status, statusText, headers) =>
    HttpServerResponse.stream(Stream.suspend(() => Stream.fromReadableStream(() => file.stream() as ReadableStream<Uint8Array>, (cause) => cause)), {
      status,
      ...(statusText === undefined ? {} : { statusText }),
      headers,
      contentType: contentTypeOf(headers, file.name),
      contentLength: file.size
    })
}).pipe(Effect.provideService(FileSystem.FileSystem, statOnly))

/**
 * The `HttpPlatform` layer, with strong ETags for files (`Etag.layer`), as
 * @effect/platform-node's `NodeHttpPlatform.layer`. Needs no FileSystem from the context.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<HttpPlatform.HttpPlatform> = Layer.effect(HttpPlatform.HttpPlatform, make).pipe(Layer.provide(Etag.layer))
