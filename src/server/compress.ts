/**
 * Response compression as a handler middleware (klauspost/compress `gzhttp`'s behaviour, with
 * brotli beside gzip): `compress(handler)` answers with the handler's response gzip- or
 * br-encoded when the request's `Accept-Encoding` accepts one (q-values honoured, br
 * preferred at equal q) and the response is worth it: a compressible Content-Type, at least
 * `minLength` bytes when its length is known, no Content-Encoding, Content-Range or
 * `Cache-Control: no-transform` of its own, and a status that carries a whole body.
 *
 * Bytes bodies are compressed in full off the main thread (node:zlib's callback API) and
 * keep an exact Content-Length; streamed bodies stay streamed, every chunk compressed and
 * flushed (`Z_SYNC_FLUSH`, `BROTLI_OPERATION_FLUSH`) so event streams keep flowing. Options
 * are checked once by `compressConfig`, which fails with `InvalidConfig`.
 *
 * @module
 * @since 0.1.0
 */
import { Effect, Either, Stream } from "effect"
import * as zlib from "node:zlib"
import * as Body from "../domain/Body.js"
import { checkInteger, InvalidConfig } from "../domain/configErrors.js"
import type { Headers } from "../domain/Headers.js"
import { fieldHasToken } from "../domain/tokenList.js"
import * as Status from "../domain/Status.js"
import type { Handler } from "./Handler.js"
import type { ServerRequest } from "./ServerRequest.js"
import { declaredLength } from "./responseWriter.js"
import { ServerResponse } from "./ServerResponse.js"
import { detectContentType, SNIFF_LEN } from "./sniff.js"

/**
 * A content coding `compress` can produce.
 *
 * @since 0.1.0
 * @category models
 */
export type CompressEncoding = "br" | "gzip"

/**
 * What `compressConfig` takes; every field is optional.
 *
 * @since 0.1.0
 * @category models
 */
export interface CompressOptions {
  /**
   * Bodies of known length below this many bytes are sent as they are (the framing would eat
   * the gain). Default 1024; a whole number >= 0. A stream of unknown length is compressed
   * whatever its size.
   */
  readonly minLength?: number
  /**
   * The compressible media types, matched against the Content-Type without its parameters,
   * case-insensitively: `"type/subtype"` exactly, `"type/*"` any subtype, `"+suffix"` a
   * structured syntax suffix (`"+json"` matches `application/ld+json`). Default
   * {@link DEFAULT_COMPRESSIBLE_TYPES}.
   */
  readonly types?: ReadonlyArray<string>
  /**
   * The codings offered, in the server's order of preference (it breaks ties between equal
   * q-values). Default `["br", "gzip"]`; not empty, no repeats.
   */
  readonly encodings?: ReadonlyArray<CompressEncoding>
  /** gzip's level, 1 (fastest) to 9 (smallest). Default 6 (zlib's default). */
  readonly gzipLevel?: number
  /** brotli's quality, 0 (fastest) to 11 (smallest). Default 4 (11, brotli's own default, is too slow for answers made per request). */
  readonly brotliQuality?: number
}

/**
 * The media types compressed by default: text, JSON, JavaScript, XML (also as `+json` and
 * `+xml` suffixes) and SVG.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_COMPRESSIBLE_TYPES: ReadonlyArray<string> = [
  "text/*",
  "application/json",
  "application/javascript",
  "application/xml",
  "+json",
  "+xml",
  "image/svg+xml"
]

/** The default minimum length, in bytes (gzhttp's `DefaultMinSize` is 1024 too). */
const DEFAULT_MIN_LENGTH = 1024

/** A media type token (RFC 9110 §5.6.2), lowercased. */
const TYPE_PATTERN = /^(?:[a-z0-9!#$%&'*+.^_`|~-]+\/(?:\*|[a-z0-9!#$%&'*+.^_`|~-]+)|\+[a-z0-9!#$%&'*.^_`|~-]+)$/

/**
 * Compression settings that `compressConfig` checked: the only way to make one, so a
 * `compress` given one cannot be misconfigured.
 *
 * @since 0.1.0
 * @category models
 */
export class CompressConfig {
  private constructor(
    /** See {@link CompressOptions.minLength}. */
    readonly minLength: number,
    /** Exact types, lowercased. */
    readonly exactTypes: ReadonlySet<string>,
    /** `type/` prefixes of the `type/*` entries, lowercased. */
    readonly typePrefixes: ReadonlyArray<string>,
    /** `+suffix` entries, lowercased. */
    readonly typeSuffixes: ReadonlyArray<string>,
    /** See {@link CompressOptions.encodings}. */
    readonly encodings: ReadonlyArray<CompressEncoding>,
    /** See {@link CompressOptions.gzipLevel}. */
    readonly gzipLevel: number,
    /** See {@link CompressOptions.brotliQuality}. */
    readonly brotliQuality: number
  ) {}

  /**
   * Checks `options` and fills in the defaults (see `compressConfig`).
   *
   * @since 0.1.0
   */
  static make(options: CompressOptions = {}): Either.Either<CompressConfig, InvalidConfig> {
    const fail = (field: string, value: unknown, reason: string) =>
      Either.left(new InvalidConfig({ component: "Server", field: `compress.${field}`, value, reason }))
    const numbers = [
      checkInteger("Server", "compress.minLength", options.minLength, 0),
      checkInteger("Server", "compress.gzipLevel", options.gzipLevel, 1, 9),
      checkInteger("Server", "compress.brotliQuality", options.brotliQuality, 0, 11)
    ]
    for (const check of numbers) if (Either.isLeft(check)) return Either.left(check.left)

    const types = options.types ?? DEFAULT_COMPRESSIBLE_TYPES
    if (!Array.isArray(types)) return fail("types", types, "expected an array of media types")
    const exact = new Set<string>()
    const prefixes: Array<string> = []
    const suffixes: Array<string> = []
    for (const t of types) {
      const lower = typeof t === "string" ? t.trim().toLowerCase() : ""
      if (!TYPE_PATTERN.test(lower) || lower.startsWith("*/")) {
        return fail("types", types, `expected "type/subtype", "type/*" or "+suffix", got ${JSON.stringify(t)}`)
      }
      if (lower.startsWith("+")) suffixes.push(lower)
      else if (lower.endsWith("/*")) prefixes.push(lower.slice(0, -1))
      else exact.add(lower)
    }

    const encodings = options.encodings ?? ["br", "gzip"]
    if (!Array.isArray(encodings) || encodings.length === 0) return fail("encodings", encodings, `expected a non-empty array of "br" and "gzip"`)
    for (let i = 0; i < encodings.length; i++) {
      const e: unknown = encodings[i]
      if (e !== "br" && e !== "gzip") return fail("encodings", encodings, `expected "br" or "gzip", got ${JSON.stringify(e)}`)
      if (encodings.indexOf(e) !== i) return fail("encodings", encodings, `"${e}" is listed twice`)
    }

    return Either.right(
      new CompressConfig(
        options.minLength ?? DEFAULT_MIN_LENGTH,
        exact,
        prefixes,
        suffixes,
        [...encodings],
        options.gzipLevel ?? 6,
        options.brotliQuality ?? 4
      )
    )
  }

  /**
   * Whether a Content-Type value names a compressible type.
   *
   * @since 0.1.0
   */
  compressible(contentType: string): boolean {
    const semi = contentType.indexOf(";")
    const type = (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase()
    const slash = type.indexOf("/")
    if (slash <= 0 || slash === type.length - 1) return false
    if (this.exactTypes.has(type)) return true
    for (const p of this.typePrefixes) if (type.startsWith(p)) return true
    const plus = type.lastIndexOf("+")
    if (plus > slash) {
      const suffix = type.slice(plus)
      for (const s of this.typeSuffixes) if (s === suffix) return true
    }
    return false
  }
}

/**
 * Checks compression options and fills in the defaults: the settings `compress` takes, or
 * `InvalidConfig` (component "Server", field `compress.<option>`) naming the first option
 * that makes no sense (a negative or fractional `minLength`, a level out of range, a type
 * that is not `type/subtype`, `type/*` or `+suffix`, an unknown, repeated or empty list of
 * encodings). Pure and synchronous; an `Either` is an Effect, so it can be `yield*`ed.
 *
 * @since 0.1.0
 * @category constructors
 */
export const compressConfig = (options?: CompressOptions): Either.Either<CompressConfig, InvalidConfig> => CompressConfig.make(options)

/** The defaults, valid by construction. */
const DEFAULT_CONFIG: CompressConfig = Either.getOrThrow(CompressConfig.make())

// ---------------------------------------------------------------------------------------------
// Accept-Encoding

/**
 * The coding to answer with for an `Accept-Encoding` value (RFC 9110 §12.5.3), among
 * `offered` (the server's order of preference), or undefined for identity: the coding with
 * the highest q-value above 0, `*` standing for any coding not listed, the earlier offered at
 * equal q; identity when none is acceptable, when the field is absent or empty, or when it
 * gives `identity` a higher q-value than the best coding. `x-gzip` counts as `gzip`; a
 * q-value that does not parse makes its element count as absent.
 *
 * @since 0.1.0
 * @category utils
 */
export const negotiateEncoding = (
  acceptEncoding: string | undefined,
  offered: ReadonlyArray<CompressEncoding> = DEFAULT_CONFIG.encodings
): CompressEncoding | undefined => {
  if (acceptEncoding === undefined || acceptEncoding.trim() === "") return undefined
  const qs = new Map<string, number>()
  for (const element of acceptEncoding.split(",")) {
    const parts = element.split(";")
    let coding = parts[0]!.trim().toLowerCase()
    if (coding === "") continue
    if (coding === "x-gzip") coding = "gzip"
    let q = 1
    for (let i = 1; i < parts.length; i++) {
      const param = parts[i]!.trim()
      const eq = param.indexOf("=")
      if (eq < 0 || param.slice(0, eq).trim().toLowerCase() !== "q") continue
      q = parseQ(param.slice(eq + 1).trim())
    }
    if (Number.isNaN(q)) continue
    // A coding listed twice: its highest q-value.
    const seen = qs.get(coding)
    if (seen === undefined || q > seen) qs.set(coding, q)
  }
  const any = qs.get("*")
  let best: CompressEncoding | undefined
  let bestQ = 0
  for (const coding of offered) {
    const q = qs.get(coding) ?? any ?? 0
    if (q > bestQ) {
      best = coding
      bestQ = q
    }
  }
  const identity = qs.get("identity")
  if (best !== undefined && identity !== undefined && identity > bestQ) return undefined
  return best
}

/** RFC 9110 §12.4.2's qvalue: 0 to 1 with at most three decimals; NaN when it is not one. */
const parseQ = (s: string): number => (/^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/.test(s) ? Number(s) : Number.NaN)

// ---------------------------------------------------------------------------------------------
// The middleware

/**
 * Compresses `handler`'s responses with gzip or br, as the request's `Accept-Encoding`
 * allows (see `negotiateEncoding`), when they are worth it (gzhttp's rules):
 *
 * - not for a status without a whole body (1xx, 204, 304, 206), nor a response with its own
 *   Content-Encoding, Content-Range, Transfer-Encoding or `Cache-Control: no-transform`;
 * - only a compressible Content-Type (`config`'s list; a Bytes body without one is sniffed as
 *   the server would, a stream without one is sent as it is), and only a body of at least
 *   `minLength` bytes when its length is known (a stream of unknown length always);
 * - for such a response, `Vary: Accept-Encoding` is added (appended to the handler's Vary)
 *   whether or not this client gets it compressed, since the answer depends on the field;
 * - compressed: `Content-Encoding` set, a strong ETag made weak (the bytes differ, nginx
 *   does the same), `Accept-Ranges` dropped (ranges are of the identity bytes). A Bytes body
 *   is compressed in full off the main thread and sent with the compressed Content-Length
 *   (also to HEAD, so its head is the one GET gets); a stream stays a stream, every chunk it
 *   yields compressed and flushed at once, its failures failing the compressed stream as
 *   they would the plain one; the handler's Content-Length is dropped. An empty HEAD answer
 *   with a Content-Length is marked as GET's would be, without the length.
 *
 * `config` comes from `compressConfig` (defaults when omitted).
 *
 * @since 0.1.0
 * @category combinators
 */
export const compress = <E, R>(handler: Handler<E, R>, config: CompressConfig = DEFAULT_CONFIG): Handler<E, R> => (request) =>
  Effect.flatMap(handler(request), (response) => compressResponse(request, response, config))

/**
 * What `compress` does to one response (for handlers that want it on some answers only).
 *
 * @since 0.1.0
 * @category combinators
 */
export const compressResponse = <E>(
  request: ServerRequest,
  response: ServerResponse<E>,
  config: CompressConfig = DEFAULT_CONFIG
): Effect.Effect<ServerResponse<E>> => {
  const status = response.status
  if (status < 200 || !Status.bodyAllowed(status) || status === Status.PartialContent) return Effect.succeed(response)
  const fields = response.headers
  if (nonEmpty(fields, "Content-Encoding") || fields.has("Content-Range") || fields.has("Transfer-Encoding") || noTransform(fields)) {
    return Effect.succeed(response)
  }
  const body = response.body
  const declared = declaredLengthOf(fields)
  const isHead = request.method === "HEAD"
  let length: number | undefined
  switch (body._tag) {
    case "Empty":
      // Only a HEAD answer says how long GET's body is without carrying it.
      if (!isHead || declared === undefined) return Effect.succeed(response)
      length = declared
      break
    case "Bytes":
      length = body.bytes.length
      break
    default:
      length = body.length ?? declared
  }
  if (length !== undefined && (length === 0 || length < config.minLength)) return Effect.succeed(response)
  let contentType = fields.get("Content-Type")
  let sniffed = false
  if (contentType === undefined) {
    if (body._tag !== "Bytes") return Effect.succeed(response)
    contentType = detectContentType(body.bytes.length > SNIFF_LEN ? body.bytes.subarray(0, SNIFF_LEN) : body.bytes)
    sniffed = true
  }
  if (!config.compressible(contentType)) return Effect.succeed(response)

  // From here the answer depends on Accept-Encoding.
  const headers = fields.clone()
  addVary(headers)
  const encoding = negotiateEncoding(joined(request.headers, "Accept-Encoding"), config.encodings)
  if (encoding === undefined) return Effect.succeed(withParts(response, headers, body))

  headers.set("Content-Encoding", encoding)
  headers.delete("Content-Length")
  headers.delete("Accept-Ranges")
  if (sniffed) headers.set("Content-Type", contentType)
  const etag = headers.get("Etag")
  if (etag !== undefined && etag.startsWith("\"")) headers.set("Etag", "W/" + etag)

  switch (body._tag) {
    case "Empty":
      // A body of unknown length: the head then says neither Content-Length nor a wrong 0.
      return Effect.succeed(withParts(response, headers, Body.stream<E>(Stream.empty)))
    case "Bytes":
      return Effect.map(compressBytes(body.bytes, encoding, config), (out) => withParts(response, headers, Body.bytes(out)))
    default:
      return Effect.succeed(withParts(response, headers, Body.stream(compressStream(Body.toStream(body), encoding, config))))
  }
}

const withParts = <E>(response: ServerResponse<E>, headers: Headers, body: Body.Body<E>): ServerResponse<E> =>
  new ServerResponse(response.status, headers, body, response.trailers, response.statusText)

const nonEmpty = (headers: Headers, name: string): boolean => {
  for (const v of headers.values(name)) if (v.trim() !== "") return true
  return false
}

/** A field's values joined as one list, or undefined when absent. */
const joined = (headers: Headers, name: string): string | undefined => {
  const values = headers.values(name)
  return values.length === 0 ? undefined : values.length === 1 ? values[0] : values.join(", ")
}


const noTransform = (headers: Headers): boolean => fieldHasToken(headers, "Cache-Control", "no-transform")

/** The handler's Content-Length when it is one valid number. */
/** The handler's one Content-Length, if it parses (as the response writer reads it). */
const declaredLengthOf = (headers: Headers): number | undefined => {
  const values = headers.values("Content-Length")
  return values.length === 1 ? declaredLength(values[0]!) : undefined
}

/** Adds Accept-Encoding to Vary, in the handler's one field when it has one; nothing when Vary says it or `*` already. */
const addVary = (headers: Headers): void => {
  const values = headers.values("Vary")
  if (values.length === 0) {
    headers.set("Vary", "Accept-Encoding")
    return
  }
  if (fieldHasToken(headers, "Vary", "accept-encoding") || fieldHasToken(headers, "Vary", "*")) return
  const existing = values.map((v) => v.trim()).filter((v) => v !== "").join(", ")
  headers.set("Vary", existing === "" ? "Accept-Encoding" : existing + ", Accept-Encoding")
}

// ---------------------------------------------------------------------------------------------
// zlib

const gzipOptions = (config: CompressConfig, flush?: number): zlib.ZlibOptions =>
  flush === undefined ? { level: config.gzipLevel } : { level: config.gzipLevel, flush }

const brotliOptions = (config: CompressConfig, sizeHint?: number, flush?: number): zlib.BrotliOptions => {
  const params: Record<number, number> = { [zlib.constants.BROTLI_PARAM_QUALITY]: config.brotliQuality }
  if (sizeHint !== undefined) params[zlib.constants.BROTLI_PARAM_SIZE_HINT] = sizeHint
  return flush === undefined ? { params } : { params, flush }
}

/** Bytes compressed in full by node:zlib's callback API (on libuv's thread pool, never blocking the loop). */
const compressBytes = (bytes: Uint8Array, encoding: CompressEncoding, config: CompressConfig): Effect.Effect<Uint8Array> =>
  Effect.async<Uint8Array>((resume) => {
    const done = (error: Error | null, out: Buffer) => resume(error === null ? Effect.succeed(out) : Effect.die(error))
    if (encoding === "gzip") zlib.gzip(bytes, gzipOptions(config), done)
    else zlib.brotliCompress(bytes, brotliOptions(config, bytes.length), done)
  })

const EMPTY = new Uint8Array(0)

/**
 * One compression stream, fed a chunk at a time: every write is flushed (the stream's default
 * flush flag is `Z_SYNC_FLUSH` / `BROTLI_OPERATION_FLUSH`), and its output is what the
 * `data` events gave until the write's callback (the readable side flows, so zlib pushes
 * synchronously and its write callback comes after).
 */
class StreamCompressor {
  private readonly z: zlib.Gzip | zlib.BrotliCompress
  private out: Array<Buffer> = []
  private failure: Error | undefined = undefined
  private waiting: ((effect: Effect.Effect<Uint8Array>) => void) | undefined = undefined

  constructor(encoding: CompressEncoding, config: CompressConfig) {
    this.z = encoding === "gzip"
      ? zlib.createGzip(gzipOptions(config, zlib.constants.Z_SYNC_FLUSH))
      : zlib.createBrotliCompress(brotliOptions(config, undefined, zlib.constants.BROTLI_OPERATION_FLUSH))
    this.z.on("data", (b: Buffer) => void this.out.push(b))
    this.z.on("error", (e: Error) => {
      this.failure = e
      this.settle(Effect.die(e))
    })
  }

  private settle(effect: Effect.Effect<Uint8Array>): void {
    const w = this.waiting
    this.waiting = undefined
    w?.(effect)
  }

  /** What zlib produced since the last take (anything still buffered is read out first). */
  private take(): Uint8Array {
    while (this.z.read() !== null) {
      // In flowing mode `read` emits what it returns as `data`: the listener collects it.
    }
    const out = this.out
    this.out = []
    return out.length === 0 ? EMPTY : out.length === 1 ? out[0]! : Buffer.concat(out)
  }

  /** Compresses and flushes `chunk`: the bytes that decode to it. */
  readonly write = (chunk: Uint8Array): Effect.Effect<Uint8Array> =>
    chunk.length === 0 ? Effect.succeed(EMPTY) : Effect.async<Uint8Array>((resume) => {
      if (this.failure !== undefined) return resume(Effect.die(this.failure))
      this.waiting = resume
      this.z.write(chunk, (error) => {
        if (error !== null && error !== undefined) this.settle(Effect.die(error))
        else this.settle(Effect.sync(() => this.take()))
      })
    })

  /** Ends the stream: its last bytes (the gzip trailer, brotli's last block). */
  readonly end: Effect.Effect<Uint8Array> = Effect.async<Uint8Array>((resume) => {
    if (this.failure !== undefined) return resume(Effect.die(this.failure))
    this.waiting = resume
    this.z.once("end", () => this.settle(Effect.sync(() => this.take())))
    this.z.end()
  })

  /** Frees zlib's memory (also when the body was given up before its end). */
  close(): void {
    this.z.destroy()
  }
}

/**
 * `source` compressed as it comes: one compressed, flushed piece per chunk, then the end of
 * the compressed stream. A failure of `source` fails the result with the same error; the zlib
 * stream lives in the run's Scope.
 */
const compressStream = <E>(source: Stream.Stream<Uint8Array, E>, encoding: CompressEncoding, config: CompressConfig): Stream.Stream<Uint8Array, E> =>
  Stream.unwrapScoped(
    Effect.map(
      Effect.acquireRelease(Effect.sync(() => new StreamCompressor(encoding, config)), (c) => Effect.sync(() => c.close())),
      (c) =>
        source.pipe(
          Stream.mapEffect(c.write),
          Stream.concat(Stream.fromEffect(c.end)),
          Stream.filter((b) => b.length > 0)
        )
    )
  )
