/**
 * Request methods (RFC 9110 §9): the standard ones as constants, validation, and the
 * properties the client and server care about (safe, idempotent).
 *
 * Methods are case-sensitive (RFC 9110 §9.1): "get" is a valid method, but not GET, and is
 * neither safe nor idempotent. Like Go's net/http we keep any token as a method.
 *
 * @module
 */
import { Either } from "effect"
import { isToken } from "./http1/chars.js"
import { InvalidMethod } from "./errors.js"

/** A request method: any token (RFC 9110 §9.1), compared case-sensitively. */
export type Method = string

/** GET (RFC 9110 §9.3.1). Go's `http.MethodGet`. */
export const GET = "GET"
/** HEAD (RFC 9110 §9.3.2). Go's `http.MethodHead`. */
export const HEAD = "HEAD"
/** POST (RFC 9110 §9.3.3). Go's `http.MethodPost`. */
export const POST = "POST"
/** PUT (RFC 9110 §9.3.4). Go's `http.MethodPut`. */
export const PUT = "PUT"
/** PATCH (RFC 5789). Go's `http.MethodPatch`. */
export const PATCH = "PATCH"
/** DELETE (RFC 9110 §9.3.5). Go's `http.MethodDelete`. */
export const DELETE = "DELETE"
/** CONNECT (RFC 9110 §9.3.6). Go's `http.MethodConnect`. */
export const CONNECT = "CONNECT"
/** OPTIONS (RFC 9110 §9.3.7). Go's `http.MethodOptions`. */
export const OPTIONS = "OPTIONS"
/** TRACE (RFC 9110 §9.3.8). Go's `http.MethodTrace`. */
export const TRACE = "TRACE"

/**
 * Whether `s` may be used as a method: a non-empty token (RFC 9110 §9.1, §5.6.2), as Go's
 * `validMethod`.
 */
export const isValidMethod = (s: string): boolean => isToken(s)

/** `s` itself when it is a valid method, else an `InvalidMethod` error. */
export const validateMethod = (s: string): Either.Either<Method, InvalidMethod> =>
  isToken(s) ? Either.right(s) : Either.left(new InvalidMethod({ method: s }))

/**
 * Whether the method is safe (RFC 9110 §9.2.1): GET, HEAD, OPTIONS and TRACE. These are the
 * methods Go's transport retries without further ado (`Request.isReplayable`).
 */
export const isSafe = (m: Method): boolean => m === GET || m === HEAD || m === OPTIONS || m === TRACE

/**
 * Whether the method is idempotent (RFC 9110 §9.2.2): the safe methods, PUT and DELETE.
 * Note that Go's transport does not retry PUT or DELETE on this ground alone; it wants an
 * `Idempotency-Key` header for any method that is not safe.
 */
export const isIdempotent = (m: Method): boolean => isSafe(m) || m === PUT || m === DELETE
