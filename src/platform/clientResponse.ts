/**
 * The client's response: {@link NetHttpClientResponse}, the platform's `HttpClientResponse`
 * over our `Response` (lazy headers and cookies, the body read once and kept, a one-shot
 * stream), and {@link BodyRelease}, which closes a streamed body's Scope when the platform
 * aborts the request. It reads the body the Transport handed over and closes its Scope; it
 * never starts a request.
 *
 * @module
 * @since 0.1.0
 */
import * as Cookies from "@effect/platform/Cookies"
import type * as PlatformHeaders from "@effect/platform/Headers"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as UrlParams from "@effect/platform/UrlParams"
import { Context, Deferred, Effect, Exit, FiberId, Inspectable, Option, Scope, Stream, type Tracer } from "effect"
import * as Body from "../domain/Body.js"
import type { Response } from "../domain/Response.js"
import type { TransportError } from "../transport/errors.js"
import { propagated } from "./clientHeaders.js"
import { toPlatformHeaders } from "./headers.js"

/**
 * Closes the streamed bodies of responses garbage-collected unread: what `HttpClient.make`'s
 * `responseRegistry` (`internal/httpClient.ts`) does for every response by aborting its
 * controller, done here only for a body still arriving (the only kind that holds a connection).
 */
const collected = new FinalizationRegistry<BodyRelease>((release) => release.close())

/**
 * Closes a streamed body's Scope when the platform aborts the request (an interruption, a
 * stream ended early, the Scope of `HttpClient.withScope` closed: `signal`), or when the
 * response is garbage-collected unread (`closeWhenCollected`): before the body's end that
 * closes the connection; after it, nothing is left.
 * @internal
 */
export class BodyRelease {
  private done = false
  private collectable = false
  private readonly onAbort = () => this.close()

  constructor(private readonly scope: Scope.CloseableScope, private readonly signal: AbortSignal | undefined) {
    if (signal === undefined) return
    if (signal.aborted) this.close()
    else signal.addEventListener("abort", this.onAbort, { once: true })
  }

  /**
   * Closes the Scope when `owner` (the response; never referenced from here) is
   * garbage-collected before `close`.
   */
  closeWhenCollected(owner: object): void {
    if (this.done) return
    this.collectable = true
    collected.register(owner, this, this)
  }

  /** Closes the Scope (once); idempotent. */
  close(): void {
    if (this.done) return
    this.done = true
    this.signal?.removeEventListener("abort", this.onAbort)
    if (this.collectable) collected.unregister(this)
    // The finalizers are synchronous (the connection's abandon); runFork runs them now.
    Effect.runFork(Scope.close(this.scope, Exit.void))
  }
}

const EMPTY = new Uint8Array(0)

const textDecoder = new TextDecoder()

// The body's bytes as an ArrayBuffer of their own. Bytes that fill their ArrayBuffer exactly
// (a streamed body gathered into one new buffer, or a socket read that was all body) are given
// as they are: nothing else is in it. Otherwise a copy: the bytes are a view into a socket
// chunk or a larger buffer that holds other data (and a Buffer's `slice` would be a view too).
const toArrayBuffer = (bytes: Uint8Array): ArrayBuffer => {
  const buffer = bytes.buffer
  if (bytes.byteOffset === 0 && bytes.byteLength === buffer.byteLength && buffer instanceof ArrayBuffer) return buffer
  const copy = new Uint8Array(bytes.length)
  copy.set(bytes)
  return copy.buffer
}

/**
 * The platform `HttpClientResponse` over our {@link Response}:
 * - `status`, `headers` (the platform's lower-case record, built on first access; several
 *   fields of one name joined with ", " as the stock clients do), `cookies` (parsed from every
 *   `Set-Cookie` field separately, never from a joined string);
 * - `remoteAddress`: the peer's address for a protocol switch (101); `Option.none()` otherwise,
 *   since our `Response` does not carry the connection's address (as the undici client);
 * - `text`, `json`, `arrayBuffer`, `urlParamsBody`, `formData`: the body is read once and
 *   kept; each may be used any number of times (`json` parses anew each time). They honour
 *   `HttpIncomingMessage.MaxBodySize`;
 * - `stream`: the body as a stream, which can be run once: a second run fails with a
 *   `ResponseError` (reason `"Decode"`); after it, the memoised accessors fail the same way
 *   (the bytes went to the stream). Run after one of them, it yields the kept bytes.
 *
 * Read errors are `ResponseError`s with reason `"Decode"` and our `TransportError` as cause.
 *
 * @since 0.1.0
 * @category models
 */
export class NetHttpClientResponse extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  declare readonly [HttpClientResponse.TypeId]: HttpClientResponse.TypeId
  declare readonly [HttpIncomingMessage.TypeId]: HttpIncomingMessage.TypeId

  private cachedHeaders: PlatformHeaders.Headers | undefined = undefined
  private cachedCookies: Cookies.Cookies | undefined = undefined
  /** The body was given to `stream`. */
  private streamed = false
  /** A streamed body's collection: its result, shared by every accessor. */
  private collected: Effect.Effect<Uint8Array, HttpClientError.ResponseError> | undefined = undefined
  private buffer: ArrayBuffer | undefined = undefined
  private decoded: string | undefined = undefined
  private form: Effect.Effect<FormData, HttpClientError.ResponseError> | undefined = undefined

  private traced: HttpClientRequest.HttpClientRequest | undefined = undefined

  /** Made by the client (`make`); not meant to be constructed elsewhere. @internal */
  constructor(
    private readonly sent: HttpClientRequest.HttpClientRequest,
    /** Our response. Its body is what the accessors read. */
    readonly source: Response<TransportError>,
    private readonly release: BodyRelease | undefined,
    private readonly peer: string | undefined,
    /** A span whose propagation headers were sent without being added to `sent` (made on first access). */
    private readonly propagation: Tracer.Span | undefined = undefined
  ) {
    super()
  }

  /** The platform request this answers (with any headers the client added, e.g. tracing). */
  get request(): HttpClientRequest.HttpClientRequest {
    const span = this.propagation
    if (span === undefined) return this.sent
    return (this.traced ??= propagated(this.sent, span))
  }

  /** The status code. */
  get status(): number {
    return this.source.status
  }

  /** The header fields as the platform's record (lower-case names), built on first access. */
  get headers(): PlatformHeaders.Headers {
    return (this.cachedHeaders ??= toPlatformHeaders(this.source.headers, "comma"))
  }

  /** Cookies from every `Set-Cookie` field, each parsed on its own. */
  get cookies(): Cookies.Cookies {
    if (this.cachedCookies !== undefined) return this.cachedCookies
    const values = this.source.headers.values("Set-Cookie")
    return (this.cachedCookies = values.length === 0 ? Cookies.empty : Cookies.fromSetCookie(values))
  }

  /** See the class: the peer of a 101 response, otherwise none. */
  get remoteAddress(): Option.Option<string> {
    return Option.fromNullable(this.peer)
  }

  /** The body's bytes as an ArrayBuffer, made once (a copy unless the bytes fill a buffer of their own). */
  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpClientError.ResponseError> {
    return this.withBytes((bytes) => (this.buffer ??= toArrayBuffer(bytes)))
  }

  /** The body decoded as UTF-8 (once). */
  get text(): Effect.Effect<string, HttpClientError.ResponseError> {
    return this.withBytes((bytes) => (this.decoded ??= textDecoder.decode(bytes)))
  }

  /** The body parsed as JSON (`null` for an empty body, as the stock clients). */
  get json(): Effect.Effect<unknown, HttpClientError.ResponseError> {
    return this.withBytes((bytes) => {
      const text = (this.decoded ??= textDecoder.decode(bytes))
      return text === "" ? null : JSON.parse(text)
    })
  }

  /** The body parsed as `application/x-www-form-urlencoded`. */
  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpClientError.ResponseError> {
    return this.withBytes((bytes) => UrlParams.fromInput(new URLSearchParams(this.decoded ??= textDecoder.decode(bytes))))
  }

  /**
   * The body parsed as form data (multipart or urlencoded, by the Content-Type), with the web
   * `Response.formData` (off the hot path); memoised.
   */
  get formData(): Effect.Effect<FormData, HttpClientError.ResponseError> {
    if (this.form !== undefined) return this.form
    const parse = Effect.flatMap(this.bytesEffect(), (bytes) =>
      Effect.tryPromise({
        try: () =>
          new globalThis.Response(bytes, { headers: { "content-type": this.source.headers.get("Content-Type") ?? "" } }).formData(),
        catch: (cause) => this.decodeError("the body is not valid form data", cause)
      }))
    return (this.form = Effect.runSync(Effect.cached(parse)))
  }

  /** The body as a stream; it can be run once (see the class). */
  get stream(): Stream.Stream<Uint8Array, HttpClientError.ResponseError> {
    return Stream.suspend(() => {
      if (this.streamed) return Stream.fail(this.decodeError("the response body stream was already run; it can be run once"))
      this.streamed = true
      if (this.collected !== undefined) return Stream.filter(Stream.fromEffect(this.collected), (b) => b.length > 0)
      const body = this.source.body
      switch (body._tag) {
        case "Empty":
          return Stream.empty
        case "Bytes":
          return body.bytes.length === 0 ? Stream.empty : Stream.succeed(body.bytes)
        default: {
          const release = this.release
          const bytes = Stream.mapError(Body.toStream(body), (e) => this.transportError(e))
          return release === undefined ? bytes : Stream.ensuring(bytes, Effect.sync(() => release.close()))
        }
      }
    })
  }

  /** For `Inspectable`: status, headers (redacted), and the body when it is already in memory. */
  toJSON(): unknown {
    const obj: Record<string, unknown> = {
      _id: "@effect/platform/HttpClientResponse",
      request: this.request.toJSON(),
      status: this.status,
      headers: Inspectable.redact(this.headers),
      remoteAddress: this.remoteAddress.toJSON()
    }
    // Never starts reading a streamed body just to show it.
    const bytes = this.inMemory()
    if (bytes !== undefined) {
      const contentType = this.source.headers.get("Content-Type") ?? ""
      const text = contentType.includes("application/json") || contentType.includes("text/") || contentType.includes("urlencoded")
        ? (this.decoded ??= textDecoder.decode(bytes))
        : undefined
      if (text !== undefined) {
        if (contentType.includes("application/json")) {
          try {
            obj.body = text === "" ? null : JSON.parse(text)
          } catch {
            // not JSON after all: shown as nothing, as the stock clients do
          }
        } else obj.body = text
      }
    }
    return obj
  }

  // -------------------------------------------------------------------------------------------

  /** The bytes when they are in memory without running anything. */
  private inMemory(): Uint8Array | undefined {
    if (this.streamed) return undefined
    const body = this.source.body
    if (body._tag === "Bytes") return body.bytes
    if (body._tag === "Empty") return EMPTY
    return undefined
  }

  /**
   * `f` of the whole body. A body in memory is served in one step (the hot path: no Scope, no
   * fiber, no copy but `arrayBuffer`'s); a streamed one is collected once and shared. An
   * exception from `f` (JSON.parse) is a Decode error.
   */
  private withBytes<A>(f: (bytes: Uint8Array) => A): Effect.Effect<A, HttpClientError.ResponseError> {
    const body = this.source.body
    if (body._tag === "Bytes" || body._tag === "Empty") {
      return Effect.withFiberRuntime((fiber) => {
        if (this.streamed) return Effect.fail(this.consumedError())
        const bytes = body._tag === "Bytes" ? body.bytes : EMPTY
        const max = Context.get(fiber.currentContext, HttpIncomingMessage.MaxBodySize)
        if (max._tag === "Some" && bytes.length > Number(max.value)) return Effect.fail(this.tooLarge(max.value))
        return this.apply(f, bytes)
      })
    }
    return Effect.flatMap(this.bytesEffect(), (bytes) => this.apply(f, bytes))
  }

  private apply<A>(f: (bytes: Uint8Array) => A, bytes: Uint8Array): Effect.Effect<A, HttpClientError.ResponseError> {
    try {
      return Effect.succeed(f(bytes))
    } catch (cause) {
      return Effect.fail(this.decodeError("the body could not be decoded", cause))
    }
  }

  /** The whole body, read once (a streamed body is collected by the first caller). */
  private bytesEffect(): Effect.Effect<Uint8Array, HttpClientError.ResponseError> {
    return Effect.suspend(() => {
      if (this.collected !== undefined) return this.collected
      if (this.streamed) return Effect.fail(this.consumedError())
      const body = this.source.body
      if (body._tag === "Bytes") return Effect.succeed(body.bytes)
      if (body._tag === "Empty") return Effect.succeed(EMPTY)
      const result = Deferred.unsafeMake<Uint8Array, HttpClientError.ResponseError>(FiberId.none)
      this.collected = Deferred.await(result)
      const release = this.release
      return Effect.withFiberRuntime<Uint8Array, HttpClientError.ResponseError>((fiber) => {
        const max = Context.get(fiber.currentContext, HttpIncomingMessage.MaxBodySize)
        return readAll(body, max._tag === "Some" ? max.value : undefined, this)
      }).pipe(
        Effect.onExit((exit) =>
          Effect.zipRight(
            // At the end the connection is back in the pool and this closes an empty Scope;
            // before it (a failure, the limit, an interruption) it closes the connection.
            Effect.sync(() => release?.close()),
            Deferred.done(
              result,
              Exit.isInterrupted(exit) ? Exit.fail(this.decodeError("reading the body was interrupted; its connection was closed")) : exit
            )
          )
        )
      )
    })
  }

  /** @internal */
  transportError(e: TransportError): HttpClientError.ResponseError {
    return new HttpClientError.ResponseError({ request: this.request, response: this, reason: "Decode", cause: e, description: e.message })
  }

  /** @internal */
  tooLarge(max: bigint): HttpClientError.ResponseError {
    return this.decodeError(`the body is larger than HttpIncomingMessage.MaxBodySize (${max} bytes)`)
  }

  private decodeError(description: string, cause?: unknown): HttpClientError.ResponseError {
    return new HttpClientError.ResponseError({ request: this.request, response: this, reason: "Decode", description, cause })
  }

  private consumedError(): HttpClientError.ResponseError {
    return this.decodeError("the response body was already consumed by `stream`")
  }
}

// The TypeIds live on the prototype: nothing to store per response.
Object.defineProperty(NetHttpClientResponse.prototype, HttpClientResponse.TypeId, { value: HttpClientResponse.TypeId })
Object.defineProperty(NetHttpClientResponse.prototype, HttpIncomingMessage.TypeId, { value: HttpIncomingMessage.TypeId })

/** Reads a streamed body to its end, failing past `max` bytes. */
const readAll = (
  body: Body.Body<TransportError>,
  max: bigint | undefined,
  response: NetHttpClientResponse
): Effect.Effect<Uint8Array, HttpClientError.ResponseError> => {
  const limit = max === undefined ? Infinity : Number(max)
  const pull = body._tag === "Stream" ? body.pull : undefined
  if (pull === undefined) {
    return Effect.flatMap(
      Effect.mapError(Body.collect(body), (e) => response.transportError(e)),
      (bytes) => (bytes.length > limit ? Effect.fail(response.tooLarge(max!)) : Effect.succeed(bytes))
    )
  }
  // The Transport's pull, without the Stream machinery (about 20 µs a chunk).
  const parts: Array<Uint8Array> = []
  let total = 0
  const loop: Effect.Effect<Uint8Array, HttpClientError.ResponseError> = Effect.matchEffect(pull, {
    onFailure: (e) =>
      Option.isNone(e)
        ? Effect.succeed(parts.length === 0 ? EMPTY : parts.length === 1 ? parts[0]! : Buffer.concat(parts, total))
        : Effect.fail(response.transportError(e.value)),
    onSuccess: (chunk) => {
      total += chunk.length
      if (total > limit) return Effect.fail(response.tooLarge(max!))
      parts.push(chunk)
      return loop
    }
  })
  return loop
}
