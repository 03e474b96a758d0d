/**
 * The access log of `serve`: a middleware writing one line per request once its answer is
 * done: method, path, status, body bytes sent and the time taken.
 *
 * ```
 * 2026-12-07T10:15:02.114Z 127.0.0.1 "GET /docs/a.txt HTTP/1.1" 200 1234 0.8ms
 * ```
 *
 * A body in memory is counted when the handler returns; a streamed body (a large file) as it
 * is written, and the line is written when the stream ends, fails or is cut. HEAD answers and
 * statuses without a body (204, 304, 1xx) count 0 bytes, as nothing is sent.
 *
 * @module
 */
import { Cause, Effect, Stream } from "effect"
import * as Body from "../domain/Body.js"
import * as Status from "../domain/Status.js"
import type { Middleware } from "../server/handlers.js"
import type { ServerRequest } from "../server/ServerRequest.js"
import { ServerResponse } from "../server/ServerResponse.js"

/** One request as the access log records it. */
export interface AccessLogEntry {
  /** When the request's answer ended. */
  readonly time: Date
  readonly remoteAddress: string | undefined
  readonly method: string
  /** The request-target as received. */
  readonly target: string
  readonly proto: string
  /** The status sent; 500 for a handler that failed. */
  readonly status: number
  /** Body bytes sent. */
  readonly bytes: number
  readonly durationMs: number
}

/** An entry's line (no line ending); the target is JSON-escaped when it holds quotes, backslashes or controls. */
export const formatAccessLog = (e: AccessLogEntry): string => {
  const request = `${e.method} ${e.target} ${e.proto}`
  const quoted = /["\\\x00-\x1f\x7f]/.test(request) ? JSON.stringify(request) : `"${request}"`
  return `${e.time.toISOString()} ${e.remoteAddress ?? "-"} ${quoted} ${e.status} ${e.bytes} ${e.durationMs.toFixed(1)}ms`
}

/** What the access log needs from the outside: where lines go and a clock in milliseconds. */
export interface AccessLogOptions {
  /** Receives each line, without its line ending. */
  readonly write: (line: string) => void
  /** Milliseconds, for durations (e.g. `performance.now`). */
  readonly now: () => number
}

/** The response with its body counted: `done` gets the number of body bytes sent, once. */
const counted = <E>(request: ServerRequest, response: ServerResponse<E>, done: (bytes: number) => void): ServerResponse<E> => {
  const body = response.body
  if (request.method === "HEAD" || !Status.bodyAllowed(response.status) || body._tag === "Empty") {
    done(0)
    return response
  }
  if (body._tag === "Bytes") {
    done(body.bytes.byteLength)
    return response
  }
  let bytes = 0
  const stream = Body.toStream(body).pipe(
    Stream.mapChunks((chunks) => {
      for (const chunk of chunks) bytes += chunk.byteLength
      return chunks
    }),
    Stream.ensuring(Effect.sync(() => done(bytes)))
  )
  return new ServerResponse(response.status, response.headers, Body.stream(stream, body.length), response.trailers, response.statusText)
}

/** A middleware writing one access log line per request (see the module's description). */
export const accessLog = <E, R>(options: AccessLogOptions): Middleware<E, R> => (handler) => (request) =>
  Effect.suspend(() => {
    const start = options.now()
    const log = (status: number, bytes: number): void =>
      options.write(formatAccessLog({
        time: new Date(),
        remoteAddress: request.remoteAddress,
        method: request.method,
        target: request.target,
        proto: request.proto,
        status,
        bytes,
        durationMs: options.now() - start
      }))
    return handler(request).pipe(
      Effect.map((response) => counted(request, response, (bytes) => log(response.status, bytes))),
      // The server answers a failure or a defect with 500; an interruption (the client left) answers nothing.
      Effect.tapErrorCause((cause) => Effect.sync(() => (Cause.isInterruptedOnly(cause) ? undefined : log(Status.InternalServerError, 0))))
    )
  })
