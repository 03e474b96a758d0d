/**
 * @effect/platform's `HttpServerRequest` implemented over our `ServerRequest`: no Web `Request`
 * and no Node stream per request. Everything is computed on first use and shared by the copies
 * `modify` makes: the platform's header record (one pass over our fields), the cookies, the body
 * (read once through the connection's pull, then kept for `text`, `json`, `arrayBuffer` and
 * `urlParamsBody`, within `HttpIncomingMessage.MaxBodySize`), the multipart parts (through
 * `Multipart.makeChannel`), and the WebSocket upgrade (through `ws` over the hijacked
 * connection, see webSocket.ts).
 *
 * One `Exchange` holds a request's shared state: besides the above, the response the platform's
 * response hook captured for the server to write.
 *
 * @module
 */
import {
  Cookies,
  type FileSystem,
  Headers as PlatformHeaders,
  HttpIncomingMessage,
  HttpServerError,
  HttpServerRequest,
  Multipart,
  type Path,
  type Socket,
  UrlParams
} from "@effect/platform"
import type { HttpMethod } from "@effect/platform/HttpMethod"
import { Context, Effect, type Fiber, Inspectable, Option, type Runtime, type Scope, Stream } from "effect"
import type { WebSocketServer } from "ws"
import type { RequestBodyError } from "../server/errors.js"
import type { ServerRequest } from "../server/ServerRequest.js"
import type { ServerResponse } from "../server/ServerResponse.js"
import { toPlatformHeaders } from "./headers.js"
import { upgradeToWebSocket } from "./webSocket.js"

// ---------------------------------------------------------------------------------------------
// The shared state of one request

/** Which `HttpServerRequest` a body failure is reported against. */
type ErrorOf = (cause: unknown, description?: string) => HttpServerError.RequestError

const maxBytesExceeded = (limit: number): Error => new Error(`maxBytes exceeded (${limit})`)

/**
 * What the copies of one request share: the connection's request, the body read so far, the
 * conversions done, and the response captured for the server to write.
 */
export class Exchange {
  /** The response the platform's response hook produced (the first one wins, as node:http's). */
  response: ServerResponse<unknown> | undefined = undefined
  /** Whether the app asked for the body as a stream (it may read it while the response is written). */
  streamRequested = false
  private bodyEnded = false
  /** Body chunks read ahead after the handler returned (see `readAhead`). */
  private readonly ahead: Array<Uint8Array> = new Array(0)
  /** How the read-ahead ended: None at the end of the body, or the failure. */
  private aheadEnd: Option.Option<RequestBodyError> | undefined = undefined
  private platformHeaders: PlatformHeaders.Headers | undefined = undefined
  private bytesMemo: Effect.Effect<Uint8Array, HttpServerError.RequestError> | undefined = undefined
  private textMemo: Effect.Effect<string, HttpServerError.RequestError> | undefined = undefined
  /** @internal The persisted multipart parts, once asked for. */
  multipartMemo: Effect.Effect<Multipart.Persisted, Multipart.MultipartError, Scope.Scope | FileSystem.FileSystem | Path.Path> | undefined = undefined

  constructor(
    /** The request as the server received it. */
    readonly source: ServerRequest,
    /** The connection's fiber, which writes the response. */
    readonly connFiber: Fiber.RuntimeFiber<unknown, unknown>,
    /** The runtime the app is served in. */
    readonly runtime: Runtime.Runtime<never>,
    /** The server's WebSocketServer, made on first use. */
    readonly webSockets: Effect.Effect<WebSocketServer>
  ) {}

  /** The platform's view of the request's fields, converted on first use. */
  headers(): PlatformHeaders.Headers {
    return this.platformHeaders ??= toPlatformHeaders(this.source.headers, "node")
  }

  private pullMemo: Effect.Effect<Uint8Array, Option.Option<RequestBodyError>> | undefined = undefined

  /** The next body chunk, failing with None at the end: read ahead chunks first, then the connection's. */
  get pull(): Effect.Effect<Uint8Array, Option.Option<RequestBodyError>> {
    return this.pullMemo ??= this.makePull()
  }

  private makePull(): Effect.Effect<Uint8Array, Option.Option<RequestBodyError>> {
    const fromSource = Effect.catchAll(Effect.suspend(() => this.source.pull), (e) => {
      if (Option.isNone(e)) this.bodyEnded = true
      return Effect.fail(e)
    })
    return Effect.suspend(() => {
      if (this.ahead.length > 0) return Effect.succeed(this.ahead.shift()!)
      if (this.aheadEnd !== undefined) return Effect.fail(this.aheadEnd)
      return fromSource
    })
  }

  /**
   * Whether the rest of the body must be read before the server writes `response`: the app
   * asked for the body as a stream and has not read it to its end, and the response is a
   * stream (which may be that body, as an echo). The server reads a request body only until it
   * starts the response (Go's HTTP/1 server does the same), so the rest is read ahead here and
   * the app's stream goes on from memory (bounded by the server's `maxBodyBytes`, if set).
   */
  needsReadAhead(response: ServerResponse<unknown>): boolean {
    const tag = response.body._tag
    return this.streamRequested && !this.bodyEnded && this.aheadEnd === undefined && (tag === "Stream" || tag === "Rewindable")
  }

  /** Reads the rest of the body into memory (see `needsReadAhead`). */
  readAhead(): Effect.Effect<void> {
    const loop: Effect.Effect<void> = Effect.matchEffect(this.source.pull, {
      onFailure: (e) => {
        this.aheadEnd = e
        return Effect.void
      },
      onSuccess: (chunk) => {
        this.ahead.push(chunk)
        return loop
      }
    })
    return loop
  }

  /** The whole body, read once (the first caller's error mapping and MaxBodySize apply). */
  bytes(errorOf: ErrorOf): Effect.Effect<Uint8Array, HttpServerError.RequestError> {
    return this.bytesMemo ??= Effect.runSync(Effect.cached(this.readAll(errorOf)))
  }

  /** The whole body as UTF-8 text, read once. */
  text(errorOf: ErrorOf): Effect.Effect<string, HttpServerError.RequestError> {
    return this.textMemo ??= Effect.runSync(Effect.cached(Effect.map(this.bytes(errorOf), (b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("utf8"))))
  }

  private readAll(errorOf: ErrorOf): Effect.Effect<Uint8Array, HttpServerError.RequestError> {
    return Effect.withFiberRuntime((fiber) => {
      // As @effect/platform-node: a limit of 0 (or none) reads everything.
      const max = Context.get(fiber.currentContext, HttpIncomingMessage.MaxBodySize)
      const limit = Option.isSome(max) && Number(max.value) > 0 ? Number(max.value) : Number.POSITIVE_INFINITY
      const declared = this.source.contentLength
      if (declared !== undefined && declared > limit) return Effect.fail(errorOf(maxBytesExceeded(limit)))
      const parts: Array<Uint8Array> = []
      let total = 0
      const loop: Effect.Effect<Uint8Array, HttpServerError.RequestError> = Effect.matchEffect(this.pull, {
        onFailure: (e) => Option.isNone(e) ? Effect.succeed(parts.length === 1 ? parts[0]! : Buffer.concat(parts, total)) : Effect.fail(errorOf(e.value)),
        onSuccess: (chunk) => {
          total += chunk.length
          if (total > limit) return Effect.fail(errorOf(maxBytesExceeded(limit)))
          parts.push(chunk)
          return loop
        }
      })
      return loop
    })
  }
}

/** The Exchange of the request being served, for a response hook handed a request that is not ours. */
export class CurrentExchange extends Context.Tag("effect-nethttp/platform/CurrentExchange")<CurrentExchange, Exchange>() {}

// ---------------------------------------------------------------------------------------------
// HttpServerRequest

/** A copy of `bytes` in an ArrayBuffer of its own. */
const toArrayBuffer = (bytes: Uint8Array): ArrayBuffer => {
  const out = new ArrayBuffer(bytes.byteLength)
  new Uint8Array(out).set(bytes)
  return out
}

/**
 * @effect/platform's `HttpServerRequest` over our `ServerRequest` (its `source`). `url` is the
 * request-target as received (node:http's `req.url`); `modify` makes a copy that shares the
 * body and the response with this one.
 */
export class NetServerRequest extends Inspectable.Class implements HttpServerRequest.HttpServerRequest {
  readonly [HttpServerRequest.TypeId]: HttpServerRequest.TypeId = HttpServerRequest.TypeId
  readonly [HttpIncomingMessage.TypeId]: HttpIncomingMessage.TypeId = HttpIncomingMessage.TypeId
  private cachedCookies: Record<string, string> | undefined = undefined

  constructor(
    /** The state shared with this request's copies. */
    readonly exchange: Exchange,
    readonly url: string,
    private readonly headersOverride: PlatformHeaders.Headers | undefined = undefined,
    private readonly remoteAddressOverride: string | undefined = undefined
  ) {
    super()
  }

  /** Our `ServerRequest`. */
  get source(): ServerRequest {
    return this.exchange.source
  }

  /** The request-target as received, whatever `modify` did to `url`. */
  get originalUrl(): string {
    return this.exchange.source.target
  }

  /** The method, upper case. */
  get method(): HttpMethod {
    const m = this.exchange.source.method
    return (m === "GET" || m === "POST" ? m : m.toUpperCase()) as HttpMethod
  }

  /** The header fields by lower-case name, repeated fields joined as node:http joins them. */
  get headers(): PlatformHeaders.Headers {
    return this.headersOverride ?? this.exchange.headers()
  }

  /** The `Cookie` field's pairs, parsed on first use. */
  get cookies(): Record<string, string> {
    return this.cachedCookies ??= Cookies.parseHeader(this.headers["cookie"] ?? "")
  }

  /** The peer's address (or the one `modify` gave, as `xForwardedHeaders` does). */
  get remoteAddress(): Option.Option<string> {
    return Option.fromNullable(this.remoteAddressOverride ?? this.exchange.source.remoteAddress)
  }

  private errorOfMemo: ErrorOf | undefined = undefined

  /** Makes this request's body failures (RequestError, reason Decode, as node:http's adapter reports them). */
  private get errorOf(): ErrorOf {
    return this.errorOfMemo ??= (cause, description) =>
      new HttpServerError.RequestError({ request: this, reason: "Decode", cause, ...(description === undefined ? {} : { description }) })
  }

  /** The body as UTF-8 text, read once (within `MaxBodySize`). */
  get text(): Effect.Effect<string, HttpServerError.RequestError> {
    return this.exchange.text(this.errorOf)
  }

  /** The body parsed as JSON (an empty body is `null`, as node:http's adapter has it). */
  get json(): Effect.Effect<unknown, HttpServerError.RequestError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({
        try: () => (text === "" ? null : JSON.parse(text) as unknown),
        catch: (cause) => this.errorOf(cause)
      }))
  }

  /** The body parsed as `application/x-www-form-urlencoded`. */
  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpServerError.RequestError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({
        try: () => UrlParams.fromInput(new URLSearchParams(text)),
        catch: (cause) => this.errorOf(cause)
      }))
  }

  /** The body in an ArrayBuffer of its own, read once (within `MaxBodySize`). */
  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpServerError.RequestError> {
    return Effect.map(this.exchange.bytes(this.errorOf), toArrayBuffer)
  }

  /** The body's chunks as they arrive (views, not copies); what was read already is not repeated. */
  get stream(): Stream.Stream<Uint8Array, HttpServerError.RequestError> {
    const exchange = this.exchange
    exchange.streamRequested = true
    return Stream.mapError(Stream.repeatEffectOption(exchange.pull), (e) => this.errorOf(e))
  }

  /** The parts, files persisted to a temporary directory (in the request's Scope), read once. */
  get multipart(): Effect.Effect<Multipart.Persisted, Multipart.MultipartError, Scope.Scope | FileSystem.FileSystem | Path.Path> {
    return this.exchange.multipartMemo ??= Effect.runSync(Effect.cached(Multipart.toPersisted(this.multipartStream)))
  }

  /** The parts as they arrive, through `Multipart.makeChannel` (its limits from the context). */
  get multipartStream(): Stream.Stream<Multipart.Part, Multipart.MultipartError> {
    return Stream.pipeThroughChannel(
      Stream.mapError(this.stream, (cause) => new Multipart.MultipartError({ reason: "InternalError", cause })),
      Multipart.makeChannel(this.headers)
    )
  }

  /** The connection as a WebSocket (see webSocket.ts); fails for a request without `Upgrade`. */
  get upgrade(): Effect.Effect<Socket.Socket, HttpServerError.RequestError> {
    const exchange = this.exchange
    if (!exchange.source.head.upgrade) return Effect.fail(this.errorOf(undefined, "not an upgradeable ServerRequest"))
    return upgradeToWebSocket(exchange.source, exchange.webSockets, this.headers)
  }

  /** A copy with another url, headers or remote address, sharing the body and the response. */
  modify(options: {
    readonly url?: string
    readonly headers?: PlatformHeaders.Headers
    readonly remoteAddress?: string
  }): HttpServerRequest.HttpServerRequest {
    return new NetServerRequest(this.exchange, options.url ?? this.url, options.headers ?? this.headersOverride, options.remoteAddress ?? this.remoteAddressOverride)
  }

  /** `ServerRequest(METHOD url)`. */
  override toString(): string {
    return `ServerRequest(${this.method} ${this.url})`
  }

  /** What inspecting the request shows, as the platform's other requests. */
  toJSON(): unknown {
    return HttpIncomingMessage.inspect(this, { _id: "@effect/platform/HttpServerRequest", method: this.method, url: this.originalUrl })
  }
}
