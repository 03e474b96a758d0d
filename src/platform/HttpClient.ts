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
 * The client is built with `HttpClient.makeWith`, the constructor under `HttpClient.make`, and
 * does per request what `make` does (the same spans and attributes, trace propagation,
 * `withTracerDisabledWhen`, `withSpanNameGenerator`, `withScope`) without the AbortController,
 * FinalizationRegistry entry and response wrapper `make` adds to every response. Under
 * Effect's built-in tracer the platform's span is replaced by a lean one with the same parenting
 * and the same propagation headers on the wire (see {@link make}).
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
 * the end (then the connection goes back to the pool) or until the request is abandoned (its
 * read was interrupted, its stream ended early, the Scope of `HttpClient.withScope` closed, or
 * the response was garbage-collected unread), which closes the connection.
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
import { postprocess } from "./clientExecute.js"

// The public parts of the client that live in the modules doing their job (see README.md).
export { type RawBody } from "./clientBody.js"
export { RequestOptions, type RequestOptionsValue, withRequestOptions } from "./clientOptions.js"
export { NetHttpClientResponse } from "./clientResponse.js"

/** `make`'s preprocess: the request as it is (`Effect.succeed`). */
const preprocess: HttpClient.HttpClient.Preprocess<never, never> = Effect.succeed

/**
 * The HttpClient over `transport`, built with `HttpClient.makeWith` (so every combinator of
 * `HttpClient` applies to it).
 *
 * Each request gets the span `HttpClient.make` opens: named by `HttpClient.SpanNameGenerator`
 * (`withSpanNameGenerator`; default `"http.client <METHOD>"`), kind `"client"`, a child of the
 * calling span, with the same attributes (`http.request.method`, `server.address`,
 * `server.port`, `url.full`, `url.path`, `url.scheme`, `url.query`, `http.request.header.*`,
 * `http.response.status_code`, `http.response.header.*`) and `b3`/`traceparent` headers on
 * the wire unless `currentTracerPropagation` is off; none when `currentTracerDisabledWhen`
 * holds for the request or `Effect.withTracerEnabled(false)`.
 *
 * Under Effect's built-in tracer (which records nothing) the span is a lean one: the same name,
 * kind, parent and propagation headers, with the method and status as its only attributes (the
 * URL and every header cost more than the rest of a round trip and no one can read them).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (transport: TransportService): HttpClient.HttpClient =>
  HttpClient.makeWith(postprocess(transport), preprocess)

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
