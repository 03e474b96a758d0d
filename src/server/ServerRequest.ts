/**
 * A request as the server received it (Go's `http.Request` on the server side): the head
 * parsed, the body still on the connection, read lazily.
 *
 * @module
 */
import { Effect, Option, type Scope, Stream } from "effect"
import type { Headers } from "../domain/Headers.js"
import { RequestHead } from "../domain/http1/MessageHead.js"
import type { Conn } from "../net/Conn.js"
import type { HijackError, RequestBodyError } from "./errors.js"

/** A connection taken over by a handler (Go's `Hijacker`): the server neither reads nor writes it again. */
export interface Hijacked {
  readonly conn: Conn
  /** Bytes the server had received after the request head and not yet parsed. */
  readonly buffered: Uint8Array
}

/** How the request reaches its connection; implemented by the serve loop. */
export interface RequestIO {
  /** The next body chunk; fails with None at the end. The first pull sends `100 Continue` when the client asked. */
  readonly pull: Effect.Effect<Uint8Array, Option.Option<RequestBodyError>>
  /** The trailer fields, once the body was read to its end. */
  readonly trailers: () => Headers | undefined
  /** Takes the connection over; it is closed when the Scope closes. */
  readonly hijack: Effect.Effect<Hijacked, HijackError, Scope.Scope>
}

/** A matched ServeMux route. */
interface Route {
  readonly pattern: string
  readonly values: ReadonlyMap<string, string>
}

/** A request received by the server. */
export class ServerRequest {
  private cachedUrl: URL | undefined = undefined
  private cachedBody: Stream.Stream<Uint8Array, RequestBodyError> | undefined = undefined
  private route: Route | undefined = undefined
  /**
   * The scheme and authority `url` starts with, in a copy made by `withTarget` from an
   * absolute-form request (whose own scheme, as Go's `r.URL.Scheme`, may not be the
   * connection's); undefined means the connection's scheme and `host`.
   */
  private urlBase: string | undefined = undefined

  constructor(
    /** The parsed head: method, target, version, header fields, framing. */
    readonly head: RequestHead,
    /** The Host the request names: the authority of an absolute-form target, else the Host field. */
    readonly host: string,
    /** "http" or "https". */
    readonly scheme: "http" | "https",
    readonly remoteAddress: string | undefined,
    readonly remotePort: number | undefined,
    private readonly io: RequestIO
  ) {}

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

  /** A copy with this head and io, keeping the route and the url's base. */
  private derive(head: RequestHead, io: RequestIO): ServerRequest {
    const copy = new ServerRequest(head, this.host, this.scheme, this.remoteAddress, this.remotePort, io)
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
   * This request with its body read through `pull` instead (a copy sharing the connection),
   * for a wrapper that limits or transforms the body, as Go's `MaxBytesReader` replaces `r.Body`.
   * `pull` fails with None at the end, as `ServerRequest.pull` does.
   */
  withBodyPull(pull: Effect.Effect<Uint8Array, Option.Option<RequestBodyError>>): ServerRequest {
    const io = this.io
    return this.derive(this.head, { pull, trailers: io.trailers, hijack: io.hijack })
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

  /** The body as a stream of chunks as they arrive (each a view, not copied). It can be read once. */
  get body(): Stream.Stream<Uint8Array, RequestBodyError> {
    this.cachedBody ??= Stream.repeatEffectOption(this.io.pull)
    return this.cachedBody
  }

  /** The next body chunk, failing with None at the end: the fastest way to read the body. */
  get pull(): Effect.Effect<Uint8Array, Option.Option<RequestBodyError>> {
    return this.io.pull
  }

  /** The whole body as bytes (Go's `io.ReadAll(r.Body)`). */
  get bytes(): Effect.Effect<Uint8Array, RequestBodyError> {
    const pull = this.io.pull
    return Effect.suspend(() => {
      const parts: Array<Uint8Array> = []
      const loop: Effect.Effect<Uint8Array, RequestBodyError> = Effect.matchEffect(pull, {
        onFailure: (e) =>
          Option.isNone(e)
            ? Effect.succeed(parts.length === 1 ? parts[0]! : Buffer.concat(parts))
            : Effect.fail(e.value),
        onSuccess: (chunk) => {
          // A view into the connection's input that stays valid (the parser never reuses it).
          parts.push(chunk)
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
}
