/**
 * @effect/platform's `HttpClient.HttpClient` over our {@link Transport}: the same client API
 * (`client.get(url)`, `HttpClientRequest`, `filterStatusOk`, `retry`, tracing spans and
 * propagation headers), sent through our connection pool.
 *
 * ```ts
 * const program = Effect.gen(function*() {
 *   const client = yield* HttpClient.HttpClient
 *   const response = yield* client.get("http://127.0.0.1:8080/")
 *   return yield* response.text            // read once, memoised
 * }).pipe(Effect.provide(NetHttpClient.layerDefault))
 * ```
 *
 * The client is built with `HttpClient.make`, so the platform's spans, trace propagation,
 * abort-on-interrupt and abort-on-garbage-collection of unread responses all apply. Under
 * Effect's built-in tracer the platform's span is replaced by a lean one with the same
 * parenting and the same propagation headers on the wire (see {@link make}).
 *
 * **Request bodies.** Every `HttpBody` kind is sent:
 * - `Empty`: no body;
 * - `Uint8Array` (also `bodyText`, `bodyJson`, `bodyUrlParams`): sent from memory with its length;
 * - `Raw`: see {@link RawBody} for what `body` may be; `contentLength` of `HttpBody.raw` is used
 *   when given, otherwise a length that the value itself tells (bytes, strings, Blobs), otherwise
 *   the body is sent chunked;
 * - `FormData`: encoded here as `multipart/form-data` (RFC 7578, the same escaping as the WHATWG
 *   algorithm and undici), with `Content-Type: multipart/form-data; boundary=...` and a known
 *   `Content-Length`; File and Blob parts are streamed, not copied, and the body can be replayed;
 * - `Stream`: sent as it is produced, with its `contentLength` when known (else chunked). It is
 *   read once, so such a request is never retried by the Transport.
 *
 * Content-Type and Content-Length come from the request's headers as `HttpClientRequest`
 * set them (`setBody` does); our writer computes the framing (Content-Length or chunked) from
 * the body itself, so a stale `content-length` header is never sent. A `host` header sets the
 * Host sent (Go's `Request.Host`).
 *
 * **Responses.** See {@link NetHttpClientResponse}. A response whose body arrived with its head
 * holds no connection and needs no cleanup; a longer body holds its connection until read to
 * the end (then the connection goes back to the pool) or until the platform aborts the request
 * (the response was interrupted, its stream ended early, or it was garbage-collected unread),
 * which closes the connection.
 *
 * **Errors.** Our {@link TransportError} is the `cause` of the platform's errors and its message
 * their `description`: `RequestError` with reason `"Transport"` (dial, write, awaiting the head,
 * pool shutdown, timeouts), `"InvalidUrl"` (a scheme other than http/https, no host) or `"Encode"`
 * (an invalid method or header, a body that fails or does not match its declared length);
 * `ResponseError` with reason `"Decode"` for a body that fails while it is read (then `cause`
 * is the TransportError) or cannot be decoded.
 *
 * @module
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import { Effect, Layer } from "effect"
import { Transport, type TransportService } from "../transport/Transport.js"
import { execute, withLeanSpan } from "./clientExecute.js"

// The public parts of the client that live in the modules doing their job (see README.md).
export { type RawBody } from "./clientBody.js"
export { RequestOptions, type RequestOptionsValue, withRequestOptions } from "./clientOptions.js"
export { NetHttpClientResponse } from "./clientResponse.js"

/**
 * The HttpClient over `transport`.
 *
 * Under Effect's built-in tracer (which records nothing), `HttpClient.make`'s span is turned
 * off for this client and a lean one is opened in its place: the same name (from
 * `HttpClient.SpanNameGenerator`), kind `"client"`, a child of the calling span, with the
 * method and status as attributes (the platform's also holds the URL and every header, which
 * costs more than the rest of a round trip and no one can read), and the same `b3` and
 * `traceparent` headers on the wire. `HttpClient.currentTracerPropagation`,
 * `currentTracerDisabledWhen` and `Effect.withTracerEnabled` apply to it as to the platform's.
 * Under any other tracer the platform's span is left as it is.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (transport: TransportService): HttpClient.HttpClient =>
  HttpClient.transform(HttpClient.make(execute(transport)), withLeanSpan)

/**
 * Provides `HttpClient.HttpClient` over the `Transport` in context.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<HttpClient.HttpClient, never, Transport> = Layer.effect(
  HttpClient.HttpClient,
  Effect.map(Transport, make)
)

/**
 * Provides `HttpClient.HttpClient` over a Transport with the default settings (`Transport.layerDefault`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerDefault: Layer.Layer<HttpClient.HttpClient> = Layer.provide(layer, Transport.layerDefault)
