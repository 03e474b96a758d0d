/**
 * The client's errors in the platform's terms: our `TransportError` as the cause of a
 * `RequestError` (with the platform's reason for it), and the `Encode` error of a request body
 * that cannot be sent. Only builds error values; imports nothing but the error types.
 *
 * @module
 */
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type { TransportError } from "../transport/errors.js"

/**
 * The platform's `RequestError` for a failed round trip: `error` is its cause and its message
 * the description.
 *
 * @internal
 */
export const requestError = (
  request: HttpClientRequest.HttpClientRequest,
  url: URL,
  error: TransportError
): HttpClientError.RequestError =>
  new HttpClientError.RequestError({ request, reason: requestReason(url, error), cause: error, description: error.message })

const requestReason = (url: URL, error: TransportError): HttpClientError.RequestError["reason"] => {
  if (error.reason !== "invalid-request") return "Transport"
  if (error.phase === "request") {
    if ((url.protocol !== "http:" && url.protocol !== "https:") || url.hostname === "") return "InvalidUrl"
    // A malformed proxy setting is refused in the same phase; it is no fault of the request.
    if (/invalid proxy URL|_PROXY=/.test(error.detail)) return "Transport"
  }
  return "Encode"
}

/**
 * The platform's `RequestError` with reason `"Encode"`: a request body that cannot be sent.
 *
 * @internal
 */
export const encodeError = (
  request: HttpClientRequest.HttpClientRequest,
  description: string,
  cause?: unknown
): HttpClientError.RequestError => new HttpClientError.RequestError({ request, reason: "Encode", description, cause })
