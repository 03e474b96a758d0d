/**
 * A response with another body, its header fields shared rather than copied (`Response.withBody`
 * copies them): for wrappers of a body on the client's path (the Client's timeout and hop
 * Scopes, the middleware's size limit).
 *
 * @module
 */
import type * as Body from "../domain/Body.js"
import { Response } from "../domain/Response.js"
import type { TransportError } from "./errors.js"

/** `response` with `body`; the headers, trailers and request are shared. */
export const withBody = (response: Response<TransportError>, body: Body.Body<TransportError>): Response<TransportError> =>
  new Response<TransportError>({
    status: response.status,
    statusText: response.statusText,
    proto: response.proto,
    headers: response.headers,
    body,
    trailers: response.trailers,
    request: response.request,
    uncompressed: response.uncompressed,
    originalContentEncoding: response.originalContentEncoding,
    originalContentLength: response.originalContentLength
  })
