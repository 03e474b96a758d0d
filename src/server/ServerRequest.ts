/**
 * A request as the server received it (Go's `http.Request` on the server side): the head
 * parsed, the body still on the connection, read lazily.
 *
 * @module
 */
import { Duration, Effect, Either, Option, type Scope, Stream } from "effect"
import * as Body from "../domain/Body.js"
import { ByteGatherer } from "../domain/ByteGatherer.js"
import { type Cookie, parseCookieHeader } from "../domain/Cookie.js"
import { type InvalidHeader, type InvalidMethod, InvalidUrl } from "../domain/errors.js"
import { type Headers, Headers as HeadersClass, type HeadersInput } from "../domain/Headers.js"
import { RequestHead } from "../domain/http1/MessageHead.js"
import { requestFraming } from "../domain/http1/writer.js"
import { Request } from "../domain/Request.js"
import { fieldHasToken } from "../domain/tokenList.js"
import type { TlsState } from "../net/Conn.js"
import type { ConnInfo } from "./connInfo.js"
import { type HijackError, InterimResponseError, type RequestBodyError } from "./errors.js"
import { RecordingIO } from "./recordingIO.js"
import type { Hijacked, RequestIO } from "./requestIO.js"

export type { Hijacked, RequestIO } from "./requestIO.js"

/** A matched ServeMux route. */
interface Route {
  readonly pattern: string
  readonly values: ReadonlyMap<string, string>
}

const NO_VALUES: ReadonlyMap<string, string> = new Map()

/**
 * What `ServerRequest.make` takes (Go's `httptest.NewRequest(method, target, body)` and the
 * fields a test sets on its result).
 *
 * @since 0.1.0
 * @category models
 */
export interface ServerRequestInit {
  /** The method; GET when absent. */
  readonly method?: string
  /**
   * An absolute http or https URL, or a path (and query) starting with "/", which is taken
   * relative to `http://example.com` as Go's `httptest.NewRequest` does.
   */
  readonly url: string | URL
  /**
   * The header fields (validated, copied). A Host field here names the request's host instead
   * of the URL's; Content-Length and Transfer-Encoding are replaced by the body's framing.
   */
  readonly headers?: HeadersInput
  /**
   * The body: text (UTF-8), bytes, a stream (which may fail with a `RequestBodyError`, as a
   * client that cuts its upload short makes the server's body fail), or a `Body`. Empty when absent.
   */
  readonly body?: string | Uint8Array | Stream.Stream<Uint8Array, RequestBodyError> | Body.Body<RequestBodyError>
  /** Trailer fields after the body (which is then chunked), available once it was read to its end. */
  readonly trailers?: HeadersInput
  /** "HTTP/1.1" (the default) or "HTTP/1.0". */
  readonly proto?: "HTTP/1.1" | "HTTP/1.0"
  /** The client's address; "192.0.2.1" (Go's httptest) when absent. */
  readonly remoteAddress?: string
  /** The client's port; 1234 (Go's httptest) when absent. */
  readonly remotePort?: number
  readonly localAddress?: string
  readonly localPort?: number
  /**
   * The TLS facts of an https request; by default a completed TLS 1.2 handshake naming the
   * URL's host (Go's `httptest.NewRequest`), no client certificate. Ignored for http.
   * `peerCertificates` (default empty) and `authorizationError` (default undefined) may be left out.
   */
  readonly tls?: Omit<TlsState, "peerCertificates" | "authorizationError"> & Partial<Pick<TlsState, "peerCertificates" | "authorizationError">>
}

/**
 * What a trusted proxy says about the client (`ServerRequest.withForwarded`, filled by
 * `Handlers.forwarded`): each fact given replaces the connection's.
 *
 * @since 0.2.0
 * @category models
 */
export interface ForwardedFacts {
  /** The client's address; when given, `remotePort` replaces the port too (undefined: not known). */
  readonly remoteAddress?: string
  /** The client's port, when the proxy told it. */
  readonly remotePort?: number | undefined
  /** The scheme the client used with the proxy. */
  readonly scheme?: "http" | "https"
  /** The Host the client asked the proxy for. */
  readonly host?: string
}

/** A connection's facts with the client's address and port as a proxy reported them. */
class ForwardedConn implements ConnInfo {
  constructor(
    private readonly direct: ConnInfo,
    readonly remoteAddress: string | undefined,
    readonly remotePort: number | undefined
  ) {}
  get id(): number {
    return this.direct.id
  }
  get localAddress(): string | undefined {
    return this.direct.localAddress
  }
  get localPort(): number | undefined {
    return this.direct.localPort
  }
  get tls(): TlsState | undefined {
    return this.direct.tls
  }
}

/** The connection of a made request. */
class MadeConn implements ConnInfo {
  readonly id = 0
  constructor(
    readonly remoteAddress: string | undefined,
    readonly remotePort: number | undefined,
    readonly localAddress: string | undefined,
    readonly localPort: number | undefined,
    readonly tls: TlsState | undefined
  ) {}
}

/** The body of a `ServerRequestInit` as a `Body`. */
const toBody = (body: ServerRequestInit["body"]): Body.Body<RequestBodyError> =>
  body === undefined
    ? Body.empty
    : typeof body === "string"
    ? Body.text(body)
    : body instanceof Uint8Array
    ? Body.bytes(body)
    : Stream.StreamTypeId in body
    ? Body.stream(body as Stream.Stream<Uint8Array, RequestBodyError>)
    : body as Body.Body<RequestBodyError>

/**
 * A request received by the server.
 *
 * @since 0.1.0
 * @category models
 */
export class ServerRequest {
  private cachedUrl: URL | undefined = undefined
  /** The decoded path, escaped path and query, computed together on first use. */
  private parts: TargetParts | undefined = undefined
  private cachedBody: Stream.Stream<Uint8Array, RequestBodyError> | undefined = undefined
  private route: Route | undefined = undefined
  private cachedCookies: ReadonlyArray<Cookie> | undefined = undefined
  /**
   * The scheme and authority `url` starts with, in a copy made by `withTarget` from an
   * absolute-form request (whose own scheme, as Go's `r.URL.Scheme`, may not be the
   * connection's); undefined means the connection's scheme and `host`.
   */
  private urlBase: string | undefined = undefined

  /** Made by the serve loop; not meant to be constructed elsewhere. @internal */
  constructor(
    /** The parsed head: method, target, version, header fields, framing. */
    readonly head: RequestHead,
    /** The Host the request names: the authority of an absolute-form target, else the Host field. */
    readonly host: string,
    /** "http" or "https". */
    readonly scheme: "http" | "https",
    /** The connection the request came on: its addresses and TLS facts. */
    readonly conn: ConnInfo,
    private readonly io: RequestIO
  ) {}

  /**
   * A request built from values, for running a handler without a socket (Go's
   * `httptest.NewRequest`): see `recordResponse`. The method, URL and fields are validated as
   * `Request.make` validates them. The head is what a client would send: a Host field (the
   * URL's host, unless `headers` give one), the request-target in origin-form (the URL's path
   * and query), and the framing Go's client chooses (Content-Length for a body of known
   * length, and `Content-Length: 0` for an empty POST, PUT or PATCH; chunked for a stream of
   * unknown length or a body with trailers). The body is read from memory or its stream; an
   * `Expect: 100-continue` records a 100 interim response on the first read; `hijack` fails
   * (there is no connection); the deadlines do nothing.
   *
   * @since 0.1.0
   */
  static make(init: ServerRequestInit): Either.Either<ServerRequest, InvalidUrl | InvalidMethod | InvalidHeader> {
    const relative = typeof init.url === "string" && init.url.startsWith("/")
    const made = Request.make({
      method: init.method,
      url: relative ? "http://example.com" + init.url : init.url,
      headers: init.headers,
      trailers: init.trailers
    })
    if (Either.isLeft(made)) {
      const error = made.left
      return Either.left(relative && error._tag === "InvalidUrl" ? new InvalidUrl({ url: init.url as string, reason: error.reason }) : error)
    }
    const request = made.right
    const url = request.url
    const versionMinor = init.proto === "HTTP/1.0" ? 0 : 1
    const body = toBody(init.body)
    const trailers = versionMinor === 1 ? request.trailers : undefined
    const framing = trailers !== undefined && request.method !== "CONNECT"
      ? requestFraming(request.method, undefined)
      : requestFraming(request.method, Body.contentLength(body))
    const given = request.headers
    const host = given.get("Host") ?? url.host
    const headers = HeadersClass.make(given.has("Host") ? undefined : [["Host", host]])
    for (let i = 0, n = given.size; i < n; i++) {
      const name = given.nameAt(i)!
      if (name !== "Content-Length" && name !== "Transfer-Encoding") headers.add(name, given.valueAt(i)!)
    }
    if (framing._tag === "Length") headers.add("Content-Length", String(framing.length))
    else if (framing._tag === "Chunked") headers.add("Transfer-Encoding", "chunked")
    const keepAlive = !fieldHasToken(headers, "Connection", "close") && (versionMinor === 1 || fieldHasToken(headers, "Connection", "keep-alive"))
    const upgrade = fieldHasToken(headers, "Connection", "upgrade") && headers.has("Upgrade")
    const head = new RequestHead(
      request.method,
      url.pathname + url.search,
      "origin",
      1,
      versionMinor,
      headers,
      framing._tag === "Length" ? "length" : framing._tag === "Chunked" ? "chunked" : "none",
      framing._tag === "Length" ? framing.length : framing._tag === "Chunked" ? -1 : 0,
      keepAlive,
      upgrade
    )
    const https = url.protocol === "https:"
    const tls: TlsState | undefined = https
      ? init.tls === undefined
        ? { handshakeComplete: true, alpnProtocol: undefined, servername: url.hostname, protocol: "TLSv1.2", cipher: undefined, authorized: false, authorizationError: undefined, peerCertificates: [] }
        : { ...init.tls, authorizationError: init.tls.authorizationError, peerCertificates: init.tls.peerCertificates ?? [] }
      : undefined
    const conn = new MadeConn(init.remoteAddress ?? "192.0.2.1", init.remotePort ?? 1234, init.localAddress, init.localPort, tls)
    const io = new RecordingIO(head, framing._tag === "None" ? Body.empty : body, trailers)
    return Either.right(new ServerRequest(head, host, https ? "https" : "http", conn, io))
  }

  /**
   * The cookies of the request's `Cookie` fields, every field in order (Go's
   * `Request.Cookies`), parsed leniently on first use as Go's `readCookies`: an invalid pair
   * is skipped.
   */
  get cookies(): ReadonlyArray<Cookie> {
    return this.cachedCookies ??= parseCookieHeader(this.head.headers.values("Cookie"))
  }

  /** The first cookie named `name` (Go's `Request.Cookie`), or undefined when there is none. */
  cookie(name: string): Cookie | undefined {
    if (name === "") return undefined
    for (const cookie of this.cookies) if (cookie.name === name) return cookie
    return undefined
  }

  /** The client's address (Go's `RemoteAddr` without the port), when known. */
  get remoteAddress(): string | undefined {
    return this.conn.remoteAddress
  }

  /** The client's port, when known. */
  get remotePort(): number | undefined {
    return this.conn.remotePort
  }

  /** The address the request came in on (Go's `LocalAddrContextKey`), when known. */
  get localAddress(): string | undefined {
    return this.conn.localAddress
  }

  /** The port the request came in on (the server's port), when known. */
  get localPort(): number | undefined {
    return this.conn.localPort
  }

  /** What TLS negotiated on the connection (Go's `Request.TLS`); undefined over plain HTTP. */
  get tls(): TlsState | undefined {
    return this.conn.tls
  }

  /** The ServeMux pattern that matched this request (Go's `Request.Pattern`), "" when none did. */
  get pattern(): string {
    return this.route?.pattern ?? ""
  }

  /**
   * The value of the pattern's wildcard `name` (Go's `PathValue`), unescaped; undefined when
   * the matched pattern has no such wildcard (Go answers "").
   */
  pathValue(name: string): string | undefined {
    return this.route?.values.get(name)
  }

  /**
   * Every wildcard of the matched pattern with its value, unescaped, in pattern order (a
   * `{rest...}` wildcard included); empty when no pattern matched. Go offers only `PathValue`
   * by name; this is its iteration.
   */
  get pathValues(): ReadonlyMap<string, string> {
    return this.route?.values ?? NO_VALUES
  }

  /** A copy with this head and io, keeping the route and the url's base. */
  private derive(head: RequestHead, io: RequestIO): ServerRequest {
    const copy = new ServerRequest(head, this.host, this.scheme, this.conn, io)
    copy.route = this.route
    copy.urlBase = this.urlBase
    return copy
  }

  /** This request with its matched route (a copy sharing the connection and body). Used by ServeMux. */
  withRoute(pattern: string, values: ReadonlyMap<string, string>): ServerRequest {
    const copy = this.derive(this.head, this.io)
    copy.route = { pattern, values }
    return copy
  }

  /**
   * This request with another request-target (a copy sharing the connection and body, its
   * route kept), as `StripPrefix` hands on a request with a shorter path. `target` is a path
   * and query, and the copy is origin-form whatever this request's form: its `url` keeps this
   * one's scheme and host (an absolute-form target's own), with `target` as its path and query,
   * taken as rooted when it does not start with "/" (Go's StripPrefix may leave "index.html").
   */
  withTarget(target: string): ServerRequest {
    const h = this.head
    const head = new RequestHead(h.method, target, "origin", h.versionMajor, h.versionMinor, h.headers, h.framing, h.contentLength, h.keepAlive, h.upgrade)
    const copy = this.derive(head, this.io)
    if (h.targetForm === "absolute") copy.urlBase = this.url.protocol + "//" + this.url.host
    return copy
  }

  /**
   * This request as a proxy says the client made it (a copy sharing the connection and body,
   * its route kept): `remoteAddress` and `remotePort` (`remotePort` is replaced whenever
   * `remoteAddress` is given, undefined when not known), `scheme` and `host` (and so `url`,
   * unless the target is absolute-form, whose own URL stays) from `facts`; what `facts` leaves
   * out stays the connection's. `conn` then reports the client's address with the
   * connection's id, local address and TLS facts. Used by `Handlers.forwarded`, which believes
   * only trusted proxies: call it yourself only with facts you trust.
   *
   * @since 0.2.0
   */
  withForwarded(facts: ForwardedFacts): ServerRequest {
    const conn = facts.remoteAddress === undefined ? this.conn : new ForwardedConn(this.conn, facts.remoteAddress, facts.remotePort)
    const copy = new ServerRequest(this.head, facts.host ?? this.host, facts.scheme ?? this.scheme, conn, this.io)
    copy.route = this.route
    copy.urlBase = this.urlBase
    return copy
  }

  /**
   * This request with its body read through `pull` instead (a copy sharing the connection),
   * for a wrapper that limits or transforms the body, as Go's `MaxBytesReader` replaces `r.Body`.
   * `pull` fails with None at the end, as `ServerRequest.pull` does.
   */
  withBodyPull(pull: Effect.Effect<Uint8Array, Option.Option<RequestBodyError>>): ServerRequest {
    const io = this.io
    return this.derive(this.head, {
      pull,
      trailers: () => io.trailers(),
      get hijack() {
        return io.hijack
      },
      writeInterim: (status, headers) => io.writeInterim(status, headers),
      setDeadline: (which, ms) => io.setDeadline(which, ms)
    })
  }

  /** The method, case-sensitive as received. */
  get method(): string {
    return this.head.method
  }

  /** The request-target as received (Go's `RequestURI`). */
  get target(): string {
    return this.head.target
  }

  /** "HTTP/1.1" or "HTTP/1.0". */
  get proto(): string {
    return this.head.proto
  }

  get headers(): Headers {
    return this.head.headers
  }

  /** The body length when the request declared one (Content-Length), else undefined (chunked, or none: 0). */
  get contentLength(): number | undefined {
    return this.head.contentLength >= 0 ? this.head.contentLength : undefined
  }

  /**
   * The request URL, absolute: the scheme, the Host and the target (parsed on first use).
   * `OPTIONS *` has the path `/*`; use `target` to tell it apart.
   */
  get url(): URL {
    if (this.cachedUrl !== undefined) return this.cachedUrl
    const head = this.head
    const base = this.urlBase ?? this.scheme + "://" + (this.host === "" ? "localhost" : this.host)
    let url: URL
    try {
      url = head.targetForm === "absolute"
        ? new URL(head.target)
        : head.targetForm === "origin"
        // A target from withTarget may not be rooted ("index.html", "", "?q").
        ? new URL(base + (head.target.startsWith("/") ? head.target : "/" + head.target))
        : new URL(base + "/" + (head.targetForm === "asterisk" ? "*" : ""))
    } catch {
      url = new URL(this.scheme + "://invalid/")
    }
    this.cachedUrl = url
    return url
  }

  /**
   * The path, %-decoded (Go's `URL.Path`): "/a b" for `/a%20b`, "/a/b" for `/a%2Fb` (use
   * `rawPath` to tell that from `/a/b`). "*" for `OPTIONS *`, "" for a CONNECT authority and for
   * an absolute-form target without a path (`http://h`, as Go). A target from `withTarget`
   * keeps its path as given, rooted or not ("index.html" after Go's `StripPrefix`). Decoded as
   * UTF-8 (bytes that are not become U+FFFD, where Go keeps them). An invalid %-escape, which
   * Go's server answers 400 before any handler runs, is left as received here.
   */
  get path(): string {
    return (this.parts ??= targetParts(this.head.target, this.head.targetForm)).path
  }

  /**
   * The path as received, still %-escaped (Go's `URL.EscapedPath()`): `/a%2Fb` stays so.
   * Where the target holds characters that are not valid in an escaped path (`"`, `{`, `|`,
   * ...), it is the path escaped again, as Go's.
   */
  get rawPath(): string {
    return (this.parts ??= targetParts(this.head.target, this.head.targetForm)).rawPath
  }

  /** The query, without "?" and still %-escaped (Go's `URL.RawQuery`); "" when there is none. */
  get rawQuery(): string {
    return (this.parts ??= targetParts(this.head.target, this.head.targetForm)).rawQuery
  }

  /** The body as a stream of chunks as they arrive (each a view, not copied). It can be read once. */
  get body(): Stream.Stream<Uint8Array, RequestBodyError> {
    this.cachedBody ??= Stream.repeatEffectOption(this.io.pull)
    return this.cachedBody
  }

  /** The next body chunk, failing with None at the end: the fastest way to read the body. */
  get pull(): Effect.Effect<Uint8Array, Option.Option<RequestBodyError>> {
    return this.io.pull
  }

  /**
   * The whole body as bytes (Go's `io.ReadAll(r.Body)`): small chunks gathered into a growing
   * buffer (sized by Content-Length up to a cap), large ones kept as they arrived, all copied
   * once at the end; memory stays about twice the body however it was split. A body that
   * arrived in one chunk is that chunk, a view, not copied.
   */
  get bytes(): Effect.Effect<Uint8Array, RequestBodyError> {
    const pull = this.io.pull
    const hint = this.head.contentLength
    return Effect.suspend(() => {
      // Chunks may be kept as they are (the first, and large ones): no source of a request's
      // chunks reuses one (the parser's views of the socket's reads, node:http2's buffers, a
      // recorded request's body as its Stream gave them).
      const gathered = new ByteGatherer(hint, true)
      const loop: Effect.Effect<Uint8Array, RequestBodyError> = Effect.matchEffect(pull, {
        onFailure: (e) => (Option.isNone(e) ? Effect.succeed(gathered.result()) : Effect.fail(e.value)),
        onSuccess: (chunk) => {
          gathered.push(chunk)
          return loop
        }
      })
      return loop
    })
  }

  /** The whole body decoded as UTF-8. */
  get text(): Effect.Effect<string, RequestBodyError> {
    return Effect.map(this.bytes, (b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("utf8"))
  }

  /** The trailer fields of a chunked body, once it was read to its end (Go's `Request.Trailer`). */
  get trailers(): Headers | undefined {
    return this.io.trailers()
  }

  /**
   * Takes the connection over (Go's `Hijacker.Hijack`): no response is written for this
   * request and the server forgets the connection, which closes with the caller's Scope.
   */
  get hijack(): Effect.Effect<Hijacked, HijackError, Scope.Scope> {
    return this.io.hijack
  }

  /**
   * Sends an interim response before the final one (Go 1.19+ `WriteHeader` with a 1xx status;
   * node:http's `writeEarlyHints`), e.g. `103 Early Hints` with `Link` fields, as many times as
   * needed while the handler runs. `100 Continue` is sent by the server on the body's first read
   * (sending it here first stops that); 101 is refused (a protocol switch is `hijack`). Not sent
   * to an HTTP/1.0 client (RFC 9110 §15.2). Fails once the final response was started.
   */
  writeInterim(status: number, headers?: HeadersInput): Effect.Effect<void, InterimResponseError> {
    // Checked here for every connection kind (HTTP/1.x, HTTP/2, the recorder).
    if (!(Number.isInteger(status) && status >= 100 && status <= 199) || status === 101) {
      return Effect.fail(new InterimResponseError({ status, detail: "an interim status is 1xx other than 101 (a protocol switch is a hijack, on HTTP/1.1 only)" }))
    }
    return this.io.writeInterim(status, headers === undefined ? undefined : headers instanceof HeadersClass ? headers : HeadersClass.make(headers))
  }

  /**
   * Replaces the server's read timeouts (`readTimeout`, `readTotalTimeout`) for the rest of this
   * request's body by a deadline `timeout` from now, or none with "none" (Go's
   * `ResponseController.SetReadDeadline`): for a handler that expects a slow upload, or wants
   * a shorter bound than the server's.
   */
  setReadDeadline(timeout: Duration.DurationInput | "none"): Effect.Effect<void> {
    return this.io.setDeadline("read", timeout === "none" ? undefined : Duration.toMillis(Duration.decode(timeout)))
  }

  /**
   * Replaces the server's write timeouts (`writeTimeout`, `writeTotalTimeout`) for the rest of
   * this response by a deadline `timeout` from now, or none with "none" (Go's
   * `ResponseController.SetWriteDeadline`).
   */
  setWriteDeadline(timeout: Duration.DurationInput | "none"): Effect.Effect<void> {
    return this.io.setDeadline("write", timeout === "none" ? undefined : Duration.toMillis(Duration.decode(timeout)))
  }
}

/** Go's split of a request-target into `URL.Path`, `URL.EscapedPath()` and `URL.RawQuery`. */
interface TargetParts {
  readonly path: string
  readonly rawPath: string
  readonly rawQuery: string
}

const NO_PATH: TargetParts = { path: "", rawPath: "", rawQuery: "" }
const ASTERISK: TargetParts = { path: "*", rawPath: "*", rawQuery: "" }

/**
 * The escaped path and query of `target` as Go's `url.ParseRequestURI` splits them: the query
 * after the first "?" (no fragment: a request-target has none, so "#" is part of the path);
 * an absolute-form target's path after its authority ("" when it has none, or when it is
 * opaque, `scheme:rest`); an authority-form target (CONNECT) has neither.
 */
const splitTarget = (target: string, form: RequestHead["targetForm"]): readonly [rawPath: string, rawQuery: string] | undefined => {
  if (form === "asterisk") return undefined
  if (form === "authority") return ["", ""]
  const q = target.indexOf("?")
  let rest = q < 0 ? target : target.slice(0, q)
  const query = q < 0 ? "" : target.slice(q + 1)
  if (form === "absolute") {
    const colon = rest.indexOf(":")
    rest = rest.slice(colon + 1)
    if (rest.startsWith("//")) {
      const slash = rest.indexOf("/", 2)
      rest = slash < 0 ? "" : rest.slice(slash)
    } else if (!rest.startsWith("/")) rest = "" // opaque (Go's URL.Opaque)
  }
  return [rest, query]
}

const targetParts = (target: string, form: RequestHead["targetForm"]): TargetParts => {
  const split = splitTarget(target, form)
  if (split === undefined) return ASTERISK
  const [raw, rawQuery] = split
  if (raw === "" && rawQuery === "") return NO_PATH
  const path = unescapePath(raw, true)!
  return { path, rawPath: validEncodedPath(raw) ? raw : escapePath(path), rawQuery }
}

const hexValue = (c: number): number =>
  c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x41 && c <= 0x46 ? c - 0x37 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1

/**
 * `raw` with its %XX escapes decoded, as UTF-8 (Go's `unescape(s, encodePath)`: "+" stays).
 * An invalid escape (not two hex digits) gives undefined, or with `lenient` stays as it is.
 */
const unescapePath = (raw: string, lenient: boolean): string | undefined => {
  if (raw.indexOf("%") < 0) return raw
  const bytes = Buffer.from(raw, "utf8")
  let n = 0
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!
    if (c === 0x25 && i + 2 < bytes.length && hexValue(bytes[i + 1]!) >= 0 && hexValue(bytes[i + 2]!) >= 0) {
      bytes[n++] = hexValue(bytes[i + 1]!) * 16 + hexValue(bytes[i + 2]!)
      i += 2
    } else if (c === 0x25 && !lenient) return undefined
    else bytes[n++] = c
  }
  return bytes.toString("utf8", 0, n)
}

// Go's validEncoded(s, encodePath): the bytes an escaped path may hold as they are.
const PATH_OK = new Uint8Array(128)
for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~!$&'()*+,;=:@[]%/") PATH_OK[c.charCodeAt(0)] = 1

const validEncodedPath = (raw: string): boolean => {
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i)
    if (c >= 128 || PATH_OK[c] === 0) return false
  }
  return true
}

// Go's shouldEscape(c, encodePath) is false for these.
const PATH_KEEP = new Uint8Array(128)
for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~$&+,/:;=@") PATH_KEEP[c.charCodeAt(0)] = 1

/** Go's `escape(path, encodePath)`: every UTF-8 byte of `path` Go would escape as %XX. */
const escapePath = (path: string): string => {
  let out = ""
  for (const b of Buffer.from(path, "utf8")) {
    out += b < 128 && PATH_KEEP[b] === 1 ? String.fromCharCode(b) : "%" + (b < 16 ? "0" : "") + b.toString(16).toUpperCase()
  }
  return out
}

/**
 * Whether every %-escape in the part of `head`'s target before the query is two hex digits,
 * as Go's `url.ParseRequestURI` demands when its server reads a request (`readRequest`): Go
 * answers a bad one, `GET /a%zz`, with a bare `400 Bad Request` and closes, before any
 * handler runs. The query is not checked (Go parses it only when asked, `URL.Query`). Costs
 * one `indexOf` for a target without "%".
 */
export const validTargetEscapes = (head: RequestHead): boolean => {
  const target = head.target
  const pct = target.indexOf("%")
  if (pct < 0) return true
  const q = target.indexOf("?")
  if (q >= 0 && q < pct) return true
  return unescapePath(q < 0 ? target : target.slice(0, q), false) !== undefined
}

/**
 * How `request` reaches its connection (for `HttpTest.record`, which reads what a request
 * made by `ServerRequest.make` recorded).
 *
 * @internal
 */
export const ioOf = (request: ServerRequest): RequestIO => request["io"]
