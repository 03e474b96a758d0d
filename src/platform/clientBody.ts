/**
 * Request bodies: the platform's `HttpBody` (other than `Empty` and `Uint8Array`, which the
 * round trip converts itself) as our `Body`, with the Content-Type to add for a multipart
 * form. `Raw` values are taken as {@link RawBody} says, Blobs and async iterables streamed,
 * `FormData` encoded by multipart.ts. A body that cannot be sent fails with the platform's
 * `RequestError` (reason `"Encode"`). Touches no connection: it only describes the bytes.
 *
 * @module
 * @since 0.1.0
 */
import type * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { Effect, Stream } from "effect"
import * as Body from "../domain/Body.js"
import { encodeError } from "./clientErrors.js"
import { encodeMultipart } from "./multipart.js"

/**
 * What a `Raw` request body (`HttpBody.raw(body)`) may hold:
 * - `null` or `undefined`: no body;
 * - a `Uint8Array` (a Buffer too), an `ArrayBuffer` or another `ArrayBufferView`: its bytes;
 * - a `string`: its UTF-8 bytes;
 * - a `Blob` (a `File` too): its bytes, streamed, with its size as the length (replayable);
 * - anything async-iterable: a Node `Readable`, a web `ReadableStream`, an async generator,
 *   yielding `Uint8Array`s or strings (UTF-8); read once.
 *
 * Anything else fails the request with a `RequestError` (reason `"Encode"`).
 *
 * @since 0.1.0
 * @category models
 */
export type RawBody =
  | null
  | undefined
  | Uint8Array
  | ArrayBuffer
  | ArrayBufferView
  | string
  | Blob
  | AsyncIterable<Uint8Array | string>

/**
 * A converted request body, and a Content-Type to add (a multipart boundary), if any.
 *
 * @internal
 */
export class Converted {
  constructor(
    readonly body: Body.Body<HttpClientError.RequestError>,
    /** A Content-Type to add (a multipart boundary), if any. */
    readonly contentType: string | undefined
  ) {}
}

/**
 * The body kinds {@link convertBody} converts.
 *
 * @internal
 */
export type ConvertedKind = Exclude<HttpClientRequest.HttpClientRequest["body"], { readonly _tag: "Empty" | "Uint8Array" }>

/**
 * `body` of `request` as ours; fails with an `Encode` error for a `Raw` value we cannot send.
 *
 * @internal
 */
export const convertBody = (
  request: HttpClientRequest.HttpClientRequest,
  body: ConvertedKind
): Effect.Effect<Converted, HttpClientError.RequestError> => {
  switch (body._tag) {
    case "Raw": {
      const converted = rawBody(request, body.body, body.contentLength)
      return converted === undefined
        ? Effect.fail(encodeError(request, `unsupported Raw body (${describe(body.body)}): see NetHttpClient.RawBody`))
        : Effect.succeed(new Converted(converted, undefined))
    }
    case "FormData":
      return Effect.succeed(multipart(request, body.formData))
    case "Stream":
      return Effect.succeed(
        new Converted(
          Body.stream(
            Stream.mapError(body.stream, (cause) => encodeError(request, "the request body stream failed", cause)),
            body.contentLength
          ),
          undefined
        )
      )
  }
}

const describe = (u: unknown): string => (u === null ? "null" : typeof u === "object" ? (u.constructor?.name ?? "object") : typeof u)

const isAsyncIterable = (u: unknown): u is AsyncIterable<unknown> =>
  typeof u === "object" && u !== null && typeof (u as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === "function"

const rawBody = (
  request: HttpClientRequest.HttpClientRequest,
  raw: unknown,
  declared: number | undefined
): Body.Body<HttpClientError.RequestError> | undefined => {
  if (raw === null || raw === undefined) return Body.empty
  if (raw instanceof Uint8Array) return Body.bytes(raw)
  if (typeof raw === "string") return Body.text(raw)
  if (raw instanceof ArrayBuffer) return Body.bytes(new Uint8Array(raw))
  if (ArrayBuffer.isView(raw)) return Body.bytes(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength))
  if (raw instanceof Blob) return Body.rewindable(() => blobStream(request, raw), raw.size)
  if (isAsyncIterable(raw)) return Body.stream(chunks(request, Stream.fromAsyncIterable(raw, (cause) => encodeError(request, "the request body failed", cause))), declared)
  return undefined
}

/** Bytes from chunks that may be strings; anything else fails the request. */
const chunks = (
  request: HttpClientRequest.HttpClientRequest,
  stream: Stream.Stream<unknown, HttpClientError.RequestError>
): Stream.Stream<Uint8Array, HttpClientError.RequestError> =>
  Stream.mapEffect(stream, (chunk) => {
    if (chunk instanceof Uint8Array) return Effect.succeed(chunk)
    if (typeof chunk === "string") return Effect.succeed(Buffer.from(chunk, "utf8"))
    return Effect.fail(encodeError(request, `the request body yielded a ${describe(chunk)}, not bytes or a string`))
  })

const blobStream = (request: HttpClientRequest.HttpClientRequest, blob: Blob): Stream.Stream<Uint8Array, HttpClientError.RequestError> =>
  chunks(
    request,
    Stream.suspend(() => Stream.fromAsyncIterable(blob.stream() as unknown as AsyncIterable<unknown>, (cause) => encodeError(request, "reading a Blob of the request body failed", cause)))
  )


/**
 * `form` as a multipart/form-data body: one buffer when every part is text, otherwise a
 * replayable stream of its parts, the Blobs read when the body is sent.
 */
const multipart = (request: HttpClientRequest.HttpClientRequest, form: FormData): Converted => {
  const encoded = encodeMultipart(form)
  if (!encoded.hasBlobs) return new Converted(Body.bytes(encoded.bytes()), encoded.contentType)
  const produce = () =>
    Stream.flatMap(Stream.fromIterable(encoded.parts), (part) => part instanceof Uint8Array ? Stream.succeed(part) : blobStream(request, part))
  return new Converted(Body.rewindable(produce, encoded.length), encoded.contentType)
}
