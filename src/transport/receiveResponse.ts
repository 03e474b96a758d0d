/**
 * Turning what a connection delivered into a `Response` (Go's `persistConn.readResponse` and
 * the body wrappers of `Transport.roundTrip`): a body that arrived whole with its head, a body
 * still arriving (pulled from the connection in the caller's fiber, in a Scope of its own that
 * gives the connection up if the body is left unread), a content coding (gzip, deflate, br)
 * decoded transparently and lazily as the caller pulls (Go decodes gzip), and a 101 response
 * that takes the socket. Failures become `TransportError`s here.
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
import { type Coding, codingOf, type DecodeFailure, decodePull, type Pull } from "./contentCoding.js"
import { DecodedBodyTooLarge, TransportError } from "./errors.js"
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

/**
 * The coding the Transport decodes for this response: only when it asked for codings (the
 * caller set no Accept-Encoding), and only a single coding it knows (Go passes through what
 * it did not ask for). A response with no body to decode (HEAD, 204, 304) has none.
 */
export const codingFor = (p: Prepared<unknown>, head: ResponseHead): Coding | undefined => {
  if (!p.acceptCodings || !head.headers.has("Content-Encoding")) return undefined
  const values = head.headers.values("Content-Encoding")
  return values.length === 1 ? codingOf(values[0]) : undefined
}

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

// As Go's when it decodes: no Content-Encoding or Content-Length (they described the coded
// bytes), `uncompressed` set, and the fields as received kept on the response.
const decodedResponseOf = <E>(
  p: Prepared<E>,
  head: ResponseHead,
  body: Body.Body<TransportError>,
  trailers: Headers | undefined
): Response<TransportError> => {
  const received = head.headers
  const encoding = received.get("Content-Encoding")
  return new Response<TransportError>({
    status: head.status,
    statusText: head.reason,
    proto: head.proto,
    headers: received.delete("Content-Encoding").delete("Content-Length"),
    body,
    trailers,
    request: p.request as Request<unknown>,
    uncompressed: true,
    originalContentEncoding: encoding,
    originalContentLength: head.framing === "length" ? head.contentLength : undefined
  })
}

const decodeFailure = (limit: number) => (f: DecodeFailure): Failure => {
  switch (f._tag) {
    case "Corrupt":
      return { phase: "reading-body", reason: "decompress", detail: f.detail, nothingWritten: false, closedBeforeResponse: false }
    case "TooLarge":
      return {
        phase: "reading-body",
        reason: "decoded-body-too-large",
        detail: `the decoded body is larger than maxDecodedBodyBytes (${limit} bytes)`,
        cause: new DecodedBodyTooLarge({ limit }),
        nothingWritten: false,
        closedBeforeResponse: false
      }
    case "Released":
      // As a body read after its release that was not decoded (PersistConn.pullBody).
      return { phase: "reading-body", reason: "closed", detail: "the response body was abandoned", nothingWritten: false, closedBeforeResponse: false }
  }
}

/**
 * Whether a response whose body arrived whole with its head is to be decoded (then
 * `completeDecoded` makes it, lazily, in a Scope), rather than made by `complete`.
 */
export const needsDecoding = <E>(p: Prepared<E>, d: Extract<Delivery, { _tag: "Complete" }>): boolean =>
  d.body.length > 0 && codingFor(p as Prepared<unknown>, d.head) !== undefined

/** A response whose body arrived whole with its head, passed on as it came. */
export const complete = <E>(
  p: Prepared<E>,
  d: Extract<Delivery, { _tag: "Complete" }>
): Response<TransportError> =>
  responseOf(p, d.head, d.head.headers, d.body.length === 0 ? Body.empty : Body.bytes(d.body), d.trailers)

/**
 * A coded response whose body arrived whole with its head: decoded only as the caller pulls
 * (nothing decoded when it is never read), its decoder freed by the body's `release` or the
 * Scope from `scope`.
 */
export const completeDecoded = <E>(
  p: Prepared<E>,
  d: Extract<Delivery, { _tag: "Complete" }>,
  scope: Effect.Effect<Scope.Scope>,
  reused: boolean
): Effect.Effect<Response<TransportError>> => {
  let given = false
  const input: Pull<Failure> = Effect.suspend(() => {
    if (given) return Effect.fail(Option.none())
    given = true
    return Effect.succeed(d.body)
  })
  const limit = p.maxDecodedBodyBytes
  const decoding = decodePull(codingFor(p as Prepared<unknown>, d.head)!, input, limit, decodeFailure(limit))
  return bodyInScope(p, scope, decoding.pull, decoding.release, reused, (body) => decodedResponseOf(p, d.head, body, d.trailers))
}

/**
 * A body pulled through `pull`, in a Scope of its own inside the caller's (from `scope`):
 * closed at the end of the body, on its failure, or by the body's `release`, running
 * `onClose` (which gives up what produces the body). `make` builds the response around it.
 */
const bodyInScope = <E>(
  p: Prepared<E>,
  scope: Effect.Effect<Scope.Scope>,
  pull: Pull<Failure>,
  onClose: () => void,
  reused: boolean,
  make: (body: Body.StreamBody<TransportError>) => Response<TransportError>,
  length?: number
): Effect.Effect<Response<TransportError>> =>
  Effect.flatMap(scope, (outer) =>
    Effect.flatMap(Scope.fork(outer, ExecutionStrategy.sequential), (bodyScope) => {
      const done = Scope.close(bodyScope, Exit.void)
      const pullOut: Effect.Effect<Uint8Array, Option.Option<TransportError>> = Effect.catchAll(pull, (e) =>
        Option.isNone(e)
          ? Effect.zipRight(done, Effect.fail(Option.none()))
          : Effect.zipRight(done, Effect.fail(Option.some(toError(p, e.value, reused)))))
      const body = Body.stream(Stream.repeatEffectOption(pullOut), length, pullOut, done)
      return Effect.as(Scope.addFinalizer(bodyScope, Effect.sync(onClose)), make(body))
    }))

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
  if (head.framing === "chunked") ex.trailers = Headers.empty()
  return streamingFrom(p, head, pc.pullBody(ex), () => pc.abandon(ex), ex.trailers, scope, reused)
}

/**
 * A response whose body is pulled through `raw` (an HTTP/1.1 connection's, or an HTTP/2
 * stream's), decoded if coded; `abandon` gives up what produces it when the body's Scope
 * closes before its end. `trailers` is filled as they arrive.
 */
export const streamingFrom = <E>(
  p: Prepared<E>,
  head: ResponseHead,
  raw: Pull<Failure>,
  abandon: () => void,
  trailers: Headers | undefined,
  scope: Effect.Effect<Scope.Scope>,
  reused: boolean
): Effect.Effect<Response<TransportError>> => {
  const coding = codingFor(p as Prepared<unknown>, head)
  if (coding === undefined) {
    const length = head.framing === "length" ? head.contentLength : undefined
    return bodyInScope(p, scope, raw, abandon, reused, (body) => responseOf(p, head, head.headers, body, trailers), length)
  }
  const limit = p.maxDecodedBodyBytes
  const decoding = decodePull(coding, raw, limit, decodeFailure(limit))
  const onClose = () => {
    decoding.release()
    abandon()
  }
  return bodyInScope(p, scope, decoding.pull, onClose, reused, (body) => decodedResponseOf(p, head, body, trailers))
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
