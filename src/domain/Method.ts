/**
 * Request methods (RFC 9110 §9): the standard ones as constants, validation, and the
 * properties the client and server care about (safe, idempotent).
 *
 * Methods are case-sensitive (RFC 9110 §9.1): "get" is a valid method, but not GET, and is
 * neither safe nor idempotent. Like Go's net/http we keep any token as a method.
 *
 * @module
 * @since 0.1.0
 */
import { Either } from "effect"
import { isToken } from "./http1/chars.js"
import { InvalidMethod } from "./errors.js"

/**
 * A request method: any token (RFC 9110 §9.1), compared case-sensitively.
 *
 * @since 0.1.0
 * @category models
 */
export type Method = string

/**
 * GET (RFC 9110 §9.3.1). Go's `http.MethodGet`.
 *
 * @since 0.1.0
 * @category constants
 */
export const GET = "GET"
/**
 * HEAD (RFC 9110 §9.3.2). Go's `http.MethodHead`.
 *
 * @since 0.1.0
 * @category constants
 */
export const HEAD = "HEAD"
/**
 * POST (RFC 9110 §9.3.3). Go's `http.MethodPost`.
 *
 * @since 0.1.0
 * @category constants
 */
export const POST = "POST"
/**
 * PUT (RFC 9110 §9.3.4). Go's `http.MethodPut`.
 *
 * @since 0.1.0
 * @category constants
 */
export const PUT = "PUT"
/**
 * PATCH (RFC 5789). Go's `http.MethodPatch`.
 *
 * @since 0.1.0
 * @category constants
 */
export const PATCH = "PATCH"
/**
 * DELETE (RFC 9110 §9.3.5). Go's `http.MethodDelete`.
 *
 * @since 0.1.0
 * @category constants
 */
export const DELETE = "DELETE"
/**
 * CONNECT (RFC 9110 §9.3.6). Go's `http.MethodConnect`.
 *
 * @since 0.1.0
 * @category constants
 */
export const CONNECT = "CONNECT"
/**
 * OPTIONS (RFC 9110 §9.3.7). Go's `http.MethodOptions`.
 *
 * @since 0.1.0
 * @category constants
 */
export const OPTIONS = "OPTIONS"
/**
 * TRACE (RFC 9110 §9.3.8). Go's `http.MethodTrace`.
 *
 * @since 0.1.0
 * @category constants
 */
export const TRACE = "TRACE"

/**
 * Whether `s` may be used as a method: a non-empty token (RFC 9110 §9.1, §5.6.2), as Go's
 * `validMethod`.
 *
 * @since 0.1.0
 * @category guards
 */
export const isValidMethod = (s: string): boolean => isToken(s)

/**
 * `s` itself when it is a valid method, else an `InvalidMethod` error.
 *
 * @since 0.1.0
 * @category utils
 */
export const validateMethod = (s: string): Either.Either<Method, InvalidMethod> =>
  isToken(s) ? Either.right(s) : Either.left(new InvalidMethod({ method: s }))

/**
 * Whether the method is safe (RFC 9110 §9.2.1): GET, HEAD, OPTIONS and TRACE. These are the
 * methods Go's transport retries without further ado (`Request.isReplayable`).
 *
 * @since 0.1.0
 * @category guards
 */
export const isSafe = (m: Method): boolean => m === GET || m === HEAD || m === OPTIONS || m === TRACE

/**
 * Whether the method is idempotent (RFC 9110 §9.2.2): the safe methods, PUT and DELETE.
 * Note that Go's transport does not retry PUT or DELETE on this ground alone; it wants an
 * `Idempotency-Key` header for any method that is not safe.
 *
 * @since 0.1.0
 * @category guards
 */
export const isIdempotent = (m: Method): boolean => isSafe(m) || m === PUT || m === DELETE
