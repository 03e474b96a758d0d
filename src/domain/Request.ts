/**
 * An HTTP request, as Go's `http.Request`: what a client sends or a server received.
 *
 * A `Request` is an immutable value apart from its `Headers` (mutable like Go's
 * `http.Header`, owned by the request); the `with*` helpers return copies.
 *
 * @module
 */
import { Either } from "effect"
import * as Body from "./Body.js"
import { type InvalidHeader, type InvalidMethod, InvalidUrl } from "./errors.js"
import { Headers, type HeadersInput } from "./Headers.js"
import * as Method from "./Method.js"

/**
 * Every field of a `Request`; see the class for their meaning.
 *
 * @since 0.1.0
 * @category models
 */
export interface RequestFields<E = never> {
  readonly method: Method.Method
  readonly url: URL
  readonly headers: Headers
  readonly body: Body.Body<E>
  readonly host: string
  readonly proto: string
  readonly trailers: Headers | undefined
}

/**
 * What `Request.make` takes.
 *
 * @since 0.1.0
 * @category models
 */
export interface RequestOptions<E = never> {
  /** The method; GET when absent (as Go's `NewRequest` with ""). */
  readonly method?: string
  /** An absolute http or https URL. */
  readonly url: string | URL
  readonly headers?: HeadersInput
  /** The body; empty when absent. */
  readonly body?: Body.Body<E>
  /** Trailer fields to send after a chunked body. */
  readonly trailers?: HeadersInput
}

// Go's url.Parse refuses ASCII control characters; the WHATWG parser would silently drop tab,
// CR and LF anywhere and trim other controls and spaces at the ends, so a string that looked
// like one URL could become another.
const hasInvalidCharacter = (s: string): boolean => {
  if (s.length > 0 && (s.charCodeAt(0) === 0x20 || s.charCodeAt(s.length - 1) === 0x20)) return true
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x20 || c === 0x7f) return true
  }
  return false
}

const parseUrl = (input: string | URL): Either.Either<URL, InvalidUrl> => {
  let url: URL
  if (typeof input === "string") {
    if (hasInvalidCharacter(input)) return Either.left(new InvalidUrl({ url: input, reason: "invalid-character" }))
    try {
      url = new URL(input)
    } catch {
      return Either.left(new InvalidUrl({ url: input, reason: "unparseable" }))
    }
  } else {
    url = new URL(input.href) // a copy: URL objects are mutable and the request owns its own
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return Either.left(new InvalidUrl({ url: typeof input === "string" ? input : input.href, reason: "unsupported-scheme" }))
  }
  return Either.right(url)
}

/** `RequestFields` as a class, not an object literal, so that V8 never pretenures it (per request). */
class Fields<E> implements RequestFields<E> {
  constructor(
    readonly method: Method.Method,
    readonly url: URL,
    readonly headers: Headers,
    readonly body: Body.Body<E>,
    readonly host: string,
    readonly proto: string,
    readonly trailers: Headers | undefined
  ) {}
}

/**
 * An HTTP request. Construct one with `Request.make`, which validates; the constructor does
 * not, and is for the codec and the server, which have validated already.
 *
 * @since 0.1.0
 * @category models
 */
export class Request<E = never> {
  /** The method, case-sensitive (RFC 9110 §9.1). */
  readonly method: Method.Method
  /**
   * The target URL (absolute). Its fragment, if any, is never sent. Treat it as read-only:
   * copies share it, as do the requests a Client's verbs make from the same URL text.
   */
  readonly url: URL
  /** The header fields (mutable, owned by this request). */
  readonly headers: Headers
  /** The body. */
  readonly body: Body.Body<E>
  /**
   * The Host to send, or the one received (RFC 9110 §7.2); by default `url.host`. As with
   * WHATWG URLs, a default port (":80" for http) is not part of it.
   */
  readonly host: string
  /** The protocol version, "HTTP/1.1" unless received otherwise. */
  readonly proto: string
  /** Trailer fields (RFC 9110 §6.5) sent or received after a chunked body, if any. */
  readonly trailers: Headers | undefined

  constructor(fields: RequestFields<E>) {
    this.method = fields.method
    this.url = fields.url
    this.headers = fields.headers
    this.body = fields.body
    this.host = fields.host
    this.proto = fields.proto
    this.trailers = fields.trailers
  }

  /**
   * A request for an absolute http(s) URL, as Go's `http.NewRequest`: the method defaults to
   * GET and must be a token, header and trailer fields must be valid (they are copied), and
   * the Host is the URL's.
   */
  static make<E = never>(
    options: RequestOptions<E>
  ): Either.Either<Request<E>, InvalidMethod | InvalidHeader | InvalidUrl> {
    return makeRequest(options, undefined)
  }

  /** The body's length in bytes, or undefined when unknown (Go's ContentLength -1). */
  get contentLength(): number | undefined {
    return Body.contentLength(this.body)
  }

  /** A copy with these header fields (validated and copied) in place of the current ones. */
  withHeaders(headers: HeadersInput): Either.Either<Request<E>, InvalidHeader> {
    return Either.map(Headers.validated(headers), (h) => new Request<E>({ ...this.fields(), headers: h }))
  }

  /** A copy with this body (header and trailer fields are copied). */
  withBody<E2>(body: Body.Body<E2>): Request<E2> {
    return new Request<E2>({ ...this.fields(), body })
  }

  /**
   * A copy for another URL (a redirect): the Host becomes the new URL's, as Go's client does
   * for a redirect to an absolute URL. The URL is validated as by `make`; header and trailer
   * fields are copied.
   */
  withUrl(url: string | URL): Either.Either<Request<E>, InvalidUrl> {
    return Either.map(parseUrl(url), (u) => new Request<E>({ ...this.fields(), url: u, host: u.host }))
  }

  // The fields for a copy: headers and trailers are cloned, since each request owns its own.
  private fields(): RequestFields<E> {
    return {
      method: this.method,
      url: this.url,
      headers: this.headers.clone(),
      body: this.body,
      host: this.host,
      proto: this.proto,
      trailers: this.trailers?.clone()
    }
  }
}

/**
 * `Request.make`, with the URL text parsed through `urls` when given (a Client's verbs, which
 * send many requests to the same URL text): a parsed URL is shared, as copies of a request
 * share theirs, and read-only.
 * @internal
 */
export const makeRequest = <E>(
  options: RequestOptions<E>,
  urls: UrlCache | undefined
): Either.Either<Request<E>, InvalidMethod | InvalidHeader | InvalidUrl> => {
  // Plain code, not Either.gen: a Client verb calls this per request (a generator costs ~2 µs).
  const method = Method.validateMethod(options.method ?? Method.GET)
  if (Either.isLeft(method)) return Either.left(method.left)
  const url = urls !== undefined && typeof options.url === "string" ? urls.parse(options.url) : parseUrl(options.url)
  if (Either.isLeft(url)) return Either.left(url.left)
  const headers = Headers.validated(options.headers)
  if (Either.isLeft(headers)) return Either.left(headers.left)
  let trailers: Headers | undefined = undefined
  if (options.trailers !== undefined) {
    const t = Headers.validated(options.trailers)
    if (Either.isLeft(t)) return Either.left(t.left)
    trailers = t.right
  }
  return Either.right(new Request<E>(new Fields(method.right, url.right, headers.right, options.body ?? Body.empty, url.right.host, "HTTP/1.1", trailers)))
}

/**
 * Parsed URLs by their text, so that a Client's verbs parse a URL they send to again and
 * again once (the WHATWG parse is about 0.6 µs, a tenth of a round trip). Bounded: emptied
 * when full. A URL changed in place since (they are read-only, but mutable) is parsed anew.
 * @internal
 */
export class UrlCache {
  private readonly entries = new Map<string, CachedUrl>()

  constructor(readonly capacity: number = 256) {}

  parse(text: string): Either.Either<URL, InvalidUrl> {
    const cached = this.entries.get(text)
    if (cached !== undefined && cached.url.href === cached.href) return cached.parsed
    const parsed = parseUrl(text)
    if (Either.isRight(parsed)) {
      if (this.entries.size >= this.capacity) this.entries.clear()
      this.entries.set(text, new CachedUrl(parsed.right, parsed))
    }
    return parsed
  }
}

class CachedUrl {
  readonly href: string
  constructor(readonly url: URL, readonly parsed: Either.Either<URL, InvalidUrl>) {
    this.href = url.href
  }
}
