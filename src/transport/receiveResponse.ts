/**
 * Turning what a connection delivered into a `Response` (Go's `persistConn.readResponse` and
 * the body wrappers of `Transport.roundTrip`): a body that arrived whole with its head, a body
 * still arriving (pulled from the connection in the caller's fiber, in a Scope of its own that
 * gives the connection up if the body is left unread), gzip decoded transparently as Go does,
 * and a 101 response that takes the socket. Failures become `TransportError`s here.
 *
 * @module
 * @internal
 */
import { Effect, ExecutionStrategy, Exit, Option, Scope, Stream } from "effect"
import * as Body from "../domain/Body.js"
import { Headers } from "../domain/Headers.js"
import type { ResponseHead } from "../domain/http1/MessageHead.js"
import type { Request } from "../domain/Request.js"
import { Response } from "../domain/Response.js"
import { TransportError } from "./errors.js"
import { gunzipBytes, gunzipPull, type Pull } from "./gzip.js"
import type { Delivery, Exchange, Failure, PersistConn } from "./PersistConn.js"
import { type Prepared, urlText } from "./prepare.js"
import { UpgradeResponse, withBuffered } from "./UpgradeResponse.js"

/** A connection's failure as the caller's `TransportError`. */
export const toError = (p: Prepared<unknown>, f: Failure, reused: boolean): TransportError =>
  new TransportError({
    phase: f.phase,
    reason: f.reason,
    reused,
    method: p.request.method,
    url: urlText(p),
    detail: f.detail,
    ...(f.code !== undefined ? { code: f.code } : {}),
    ...(f.cause !== undefined ? { cause: f.cause } : {})
  })

const gzipped = (p: Prepared<unknown>, head: ResponseHead): boolean =>
  p.acceptGzip && head.headers.get("Content-Encoding")?.toLowerCase() === "gzip"

const responseOf = <E>(
  p: Prepared<E>,
  head: ResponseHead,
  headers: Headers,
  body: Body.Body<TransportError>,
  trailers: Headers | undefined
): Response<TransportError> =>
  new Response<TransportError>({
    status: head.status,
    statusText: head.reason,
    proto: head.proto,
    headers,
    body,
    trailers,
    request: p.request as Request<unknown>
  })

// Go removes these when it decompresses (the length and coding no longer describe the body).
const withoutCoding = (headers: Headers): Headers => headers.delete("Content-Encoding").delete("Content-Length")

/** A response whose body arrived whole with its head (decoded at once if gzipped). */
export const complete = <E>(
  p: Prepared<E>,
  d: Extract<Delivery, { _tag: "Complete" }>,
  reused: boolean
): Response<TransportError> | TransportError => {
  const head = d.head
  if (d.body.length > 0 && gzipped(p, head)) {
    const plain = gunzipBytes(d.body)
    if (plain._tag === "Left") {
      return toError(p, { phase: "reading-body", reason: "decompress", detail: plain.left, nothingWritten: false, closedBeforeResponse: false }, reused)
    }
    return responseOf(p, head, withoutCoding(head.headers), Body.bytes(plain.right), d.trailers)
  }
  return responseOf(p, head, head.headers, d.body.length === 0 ? Body.empty : Body.bytes(d.body), d.trailers)
}

/**
 * A response whose body is still arriving. The body gets a Scope of its own inside the
 * caller's (from `scope`), closed at the end of the body or by its `release`, so a long-lived
 * caller Scope does not collect one finalizer per response.
 */
export const streaming = <E>(
  p: Prepared<E>,
  pc: PersistConn,
  ex: Exchange,
  head: ResponseHead,
  scope: Effect.Effect<Scope.Scope>,
  reused: boolean
): Effect.Effect<Response<TransportError>> => {
  const gz = gzipped(p, head)
  if (head.framing === "chunked") ex.trailers = Headers.empty()
  let pull: Pull<Failure> = pc.pullBody(ex)
  let releaseDecoder = () => {}
  if (gz) {
    const g = gunzipPull(pull, (detail): Failure => ({ phase: "reading-body", reason: "decompress", detail, nothingWritten: false, closedBeforeResponse: false }))
    pull = g.pull
    releaseDecoder = g.release
  }
  return Effect.flatMap(scope, (outer) =>
    Effect.flatMap(Scope.fork(outer, ExecutionStrategy.sequential), (bodyScope) => {
      const done = Scope.close(bodyScope, Exit.void)
      const pullOut: Effect.Effect<Uint8Array, Option.Option<TransportError>> = Effect.catchAll(pull, (e) =>
        Option.isNone(e)
          ? Effect.zipRight(done, Effect.fail(Option.none()))
          : Effect.zipRight(done, Effect.fail(Option.some(toError(p, e.value, reused)))))
      const length = !gz && head.framing === "length" ? head.contentLength : undefined
      const body = Body.stream(Stream.repeatEffectOption(pullOut), length, pullOut, done)
      const response = responseOf(p, head, gz ? withoutCoding(head.headers) : head.headers, body, ex.trailers)
      return Effect.as(
        Scope.addFinalizer(bodyScope, Effect.sync(() => {
          releaseDecoder()
          pc.abandon(ex)
        })),
        response
      )
    }))
}

/** A 101 response: the socket is the caller's, closed with the Scope from `scope`. */
export const upgraded = <E>(
  p: Prepared<E>,
  pc: PersistConn,
  d: Extract<Delivery, { _tag: "Upgrade" }>,
  scope: Effect.Effect<Scope.Scope>
): Effect.Effect<Response<TransportError>> =>
  Effect.as(
    Effect.flatMap(scope, (s) => Scope.addFinalizer(s, pc.conn.close)),
    new UpgradeResponse(
      { status: d.head.status, statusText: d.head.reason, proto: d.head.proto, headers: d.head.headers, body: Body.empty, trailers: undefined, request: p.request as Request<unknown> },
      withBuffered(pc.conn, d.buffered)
    )
  )
