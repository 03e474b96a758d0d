/**
 * The values both sides of HTTP work with (bodies, header fields, requests, responses,
 * methods, statuses and the codec's errors), re-exported by the `client` and `server` entry
 * points. Not an entry point of its own.
 *
 * @since 0.1.0
 * @module
 */
export * as Body from "./domain/Body.js"
export * from "./domain/errors.js"
export { canonicalHeaderKey, Headers, type HeadersInput } from "./domain/Headers.js"
export * as Method from "./domain/Method.js"
export { Request, type RequestFields, type RequestOptions } from "./domain/Request.js"
export { Response, type ResponseFields, type ResponseOptions } from "./domain/Response.js"
export * as Status from "./domain/Status.js"
export { type ConfigComponent, InvalidConfig } from "./domain/configErrors.js"
