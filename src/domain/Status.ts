/**
 * Status codes (RFC 9110 §15): a constant for every code Go's net/http names, under Go's name
 * without the `Status` prefix (Go's `http.StatusNotFound` is `Status.NotFound` here, with
 * `import * as Status from "./Status.js"`), Go's reason phrases, and the classes of codes.
 *
 * @module
 * @since 0.1.0
 */

/**
 * 100 Continue (RFC 9110 §15.2.1). Go's `http.StatusContinue`.
 *
 * @since 0.1.0
 * @category constants
 */
export const Continue = 100
/**
 * 101 Switching Protocols (RFC 9110 §15.2.2). Go's `http.StatusSwitchingProtocols`.
 *
 * @since 0.1.0
 * @category constants
 */
export const SwitchingProtocols = 101
/**
 * 102 Processing (RFC 2518 §10.1). Go's `http.StatusProcessing`.
 *
 * @since 0.1.0
 * @category constants
 */
export const Processing = 102
/**
 * 103 Early Hints (RFC 8297). Go's `http.StatusEarlyHints`.
 *
 * @since 0.1.0
 * @category constants
 */
export const EarlyHints = 103
/**
 * 200 OK (RFC 9110 §15.3.1). Go's `http.StatusOK`.
 *
 * @since 0.1.0
 * @category constants
 */
export const OK = 200
/**
 * 201 Created (RFC 9110 §15.3.2). Go's `http.StatusCreated`.
 *
 * @since 0.1.0
 * @category constants
 */
export const Created = 201
/**
 * 202 Accepted (RFC 9110 §15.3.3). Go's `http.StatusAccepted`.
 *
 * @since 0.1.0
 * @category constants
 */
export const Accepted = 202
/**
 * 203 Non-Authoritative Information (RFC 9110 §15.3.4). Go's `http.StatusNonAuthoritativeInfo`.
 *
 * @since 0.1.0
 * @category constants
 */
export const NonAuthoritativeInfo = 203
/**
 * 204 No Content (RFC 9110 §15.3.5). Go's `http.StatusNoContent`.
 *
 * @since 0.1.0
 * @category constants
 */
export const NoContent = 204
/**
 * 205 Reset Content (RFC 9110 §15.3.6). Go's `http.StatusResetContent`.
 *
 * @since 0.1.0
 * @category constants
 */
export const ResetContent = 205
/**
 * 206 Partial Content (RFC 9110 §15.3.7). Go's `http.StatusPartialContent`.
 *
 * @since 0.1.0
 * @category constants
 */
export const PartialContent = 206
/**
 * 207 Multi-Status (RFC 4918 §11.1). Go's `http.StatusMultiStatus`.
 *
 * @since 0.1.0
 * @category constants
 */
export const MultiStatus = 207
/**
 * 208 Already Reported (RFC 5842 §7.1). Go's `http.StatusAlreadyReported`.
 *
 * @since 0.1.0
 * @category constants
 */
export const AlreadyReported = 208
/**
 * 226 IM Used (RFC 3229 §10.4.1). Go's `http.StatusIMUsed`.
 *
 * @since 0.1.0
 * @category constants
 */
export const IMUsed = 226
/**
 * 300 Multiple Choices (RFC 9110 §15.4.1). Go's `http.StatusMultipleChoices`.
 *
 * @since 0.1.0
 * @category constants
 */
export const MultipleChoices = 300
/**
 * 301 Moved Permanently (RFC 9110 §15.4.2). Go's `http.StatusMovedPermanently`.
 *
 * @since 0.1.0
 * @category constants
 */
export const MovedPermanently = 301
/**
 * 302 Found (RFC 9110 §15.4.3). Go's `http.StatusFound`.
 *
 * @since 0.1.0
 * @category constants
 */
export const Found = 302
/**
 * 303 See Other (RFC 9110 §15.4.4). Go's `http.StatusSeeOther`.
 *
 * @since 0.1.0
 * @category constants
 */
export const SeeOther = 303
/**
 * 304 Not Modified (RFC 9110 §15.4.5). Go's `http.StatusNotModified`.
 *
 * @since 0.1.0
 * @category constants
 */
export const NotModified = 304
/**
 * 305 Use Proxy (RFC 9110 §15.4.6). Go's `http.StatusUseProxy`.
 *
 * @since 0.1.0
 * @category constants
 */
export const UseProxy = 305
/**
 * 307 Temporary Redirect (RFC 9110 §15.4.8). Go's `http.StatusTemporaryRedirect`.
 *
 * @since 0.1.0
 * @category constants
 */
export const TemporaryRedirect = 307
/**
 * 308 Permanent Redirect (RFC 9110 §15.4.9). Go's `http.StatusPermanentRedirect`.
 *
 * @since 0.1.0
 * @category constants
 */
export const PermanentRedirect = 308
/**
 * 400 Bad Request (RFC 9110 §15.5.1). Go's `http.StatusBadRequest`.
 *
 * @since 0.1.0
 * @category constants
 */
export const BadRequest = 400
/**
 * 401 Unauthorized (RFC 9110 §15.5.2). Go's `http.StatusUnauthorized`.
 *
 * @since 0.1.0
 * @category constants
 */
export const Unauthorized = 401
/**
 * 402 Payment Required (RFC 9110 §15.5.3). Go's `http.StatusPaymentRequired`.
 *
 * @since 0.1.0
 * @category constants
 */
export const PaymentRequired = 402
/**
 * 403 Forbidden (RFC 9110 §15.5.4). Go's `http.StatusForbidden`.
 *
 * @since 0.1.0
 * @category constants
 */
export const Forbidden = 403
/**
 * 404 Not Found (RFC 9110 §15.5.5). Go's `http.StatusNotFound`.
 *
 * @since 0.1.0
 * @category constants
 */
export const NotFound = 404
/**
 * 405 Method Not Allowed (RFC 9110 §15.5.6). Go's `http.StatusMethodNotAllowed`.
 *
 * @since 0.1.0
 * @category constants
 */
export const MethodNotAllowed = 405
/**
 * 406 Not Acceptable (RFC 9110 §15.5.7). Go's `http.StatusNotAcceptable`.
 *
 * @since 0.1.0
 * @category constants
 */
export const NotAcceptable = 406
/**
 * 407 Proxy Authentication Required (RFC 9110 §15.5.8). Go's `http.StatusProxyAuthRequired`.
 *
 * @since 0.1.0
 * @category constants
 */
export const ProxyAuthRequired = 407
/**
 * 408 Request Timeout (RFC 9110 §15.5.9). Go's `http.StatusRequestTimeout`.
 *
 * @since 0.1.0
 * @category constants
 */
export const RequestTimeout = 408
/**
 * 409 Conflict (RFC 9110 §15.5.10). Go's `http.StatusConflict`.
 *
 * @since 0.1.0
 * @category constants
 */
export const Conflict = 409
/**
 * 410 Gone (RFC 9110 §15.5.11). Go's `http.StatusGone`.
 *
 * @since 0.1.0
 * @category constants
 */
export const Gone = 410
/**
 * 411 Length Required (RFC 9110 §15.5.12). Go's `http.StatusLengthRequired`.
 *
 * @since 0.1.0
 * @category constants
 */
export const LengthRequired = 411
/**
 * 412 Precondition Failed (RFC 9110 §15.5.13). Go's `http.StatusPreconditionFailed`.
 *
 * @since 0.1.0
 * @category constants
 */
export const PreconditionFailed = 412
/**
 * 413 Request Entity Too Large (RFC 9110 §15.5.14). Go's `http.StatusRequestEntityTooLarge`.
 *
 * @since 0.1.0
 * @category constants
 */
export const RequestEntityTooLarge = 413
/**
 * 414 Request URI Too Long (RFC 9110 §15.5.15). Go's `http.StatusRequestURITooLong`.
 *
 * @since 0.1.0
 * @category constants
 */
export const RequestURITooLong = 414
/**
 * 415 Unsupported Media Type (RFC 9110 §15.5.16). Go's `http.StatusUnsupportedMediaType`.
 *
 * @since 0.1.0
 * @category constants
 */
export const UnsupportedMediaType = 415
/**
 * 416 Requested Range Not Satisfiable (RFC 9110 §15.5.17). Go's `http.StatusRequestedRangeNotSatisfiable`.
 *
 * @since 0.1.0
 * @category constants
 */
export const RequestedRangeNotSatisfiable = 416
/**
 * 417 Expectation Failed (RFC 9110 §15.5.18). Go's `http.StatusExpectationFailed`.
 *
 * @since 0.1.0
 * @category constants
 */
export const ExpectationFailed = 417
/**
 * 418 I'm a teapot (RFC 9110 §15.5.19, unused). Go's `http.StatusTeapot`.
 *
 * @since 0.1.0
 * @category constants
 */
export const Teapot = 418
/**
 * 421 Misdirected Request (RFC 9110 §15.5.20). Go's `http.StatusMisdirectedRequest`.
 *
 * @since 0.1.0
 * @category constants
 */
export const MisdirectedRequest = 421
/**
 * 422 Unprocessable Entity (RFC 9110 §15.5.21). Go's `http.StatusUnprocessableEntity`.
 *
 * @since 0.1.0
 * @category constants
 */
export const UnprocessableEntity = 422
/**
 * 423 Locked (RFC 4918 §11.3). Go's `http.StatusLocked`.
 *
 * @since 0.1.0
 * @category constants
 */
export const Locked = 423
/**
 * 424 Failed Dependency (RFC 4918 §11.4). Go's `http.StatusFailedDependency`.
 *
 * @since 0.1.0
 * @category constants
 */
export const FailedDependency = 424
/**
 * 425 Too Early (RFC 8470 §5.2). Go's `http.StatusTooEarly`.
 *
 * @since 0.1.0
 * @category constants
 */
export const TooEarly = 425
/**
 * 426 Upgrade Required (RFC 9110 §15.5.22). Go's `http.StatusUpgradeRequired`.
 *
 * @since 0.1.0
 * @category constants
 */
export const UpgradeRequired = 426
/**
 * 428 Precondition Required (RFC 6585 §3). Go's `http.StatusPreconditionRequired`.
 *
 * @since 0.1.0
 * @category constants
 */
export const PreconditionRequired = 428
/**
 * 429 Too Many Requests (RFC 6585 §4). Go's `http.StatusTooManyRequests`.
 *
 * @since 0.1.0
 * @category constants
 */
export const TooManyRequests = 429
/**
 * 431 Request Header Fields Too Large (RFC 6585 §5). Go's `http.StatusRequestHeaderFieldsTooLarge`.
 *
 * @since 0.1.0
 * @category constants
 */
export const RequestHeaderFieldsTooLarge = 431
/**
 * 451 Unavailable For Legal Reasons (RFC 7725 §3). Go's `http.StatusUnavailableForLegalReasons`.
 *
 * @since 0.1.0
 * @category constants
 */
export const UnavailableForLegalReasons = 451
/**
 * 500 Internal Server Error (RFC 9110 §15.6.1). Go's `http.StatusInternalServerError`.
 *
 * @since 0.1.0
 * @category constants
 */
export const InternalServerError = 500
/**
 * 501 Not Implemented (RFC 9110 §15.6.2). Go's `http.StatusNotImplemented`.
 *
 * @since 0.1.0
 * @category constants
 */
export const NotImplemented = 501
/**
 * 502 Bad Gateway (RFC 9110 §15.6.3). Go's `http.StatusBadGateway`.
 *
 * @since 0.1.0
 * @category constants
 */
export const BadGateway = 502
/**
 * 503 Service Unavailable (RFC 9110 §15.6.4). Go's `http.StatusServiceUnavailable`.
 *
 * @since 0.1.0
 * @category constants
 */
export const ServiceUnavailable = 503
/**
 * 504 Gateway Timeout (RFC 9110 §15.6.5). Go's `http.StatusGatewayTimeout`.
 *
 * @since 0.1.0
 * @category constants
 */
export const GatewayTimeout = 504
/**
 * 505 HTTP Version Not Supported (RFC 9110 §15.6.6). Go's `http.StatusHTTPVersionNotSupported`.
 *
 * @since 0.1.0
 * @category constants
 */
export const HTTPVersionNotSupported = 505
/**
 * 506 Variant Also Negotiates (RFC 2295 §8.1). Go's `http.StatusVariantAlsoNegotiates`.
 *
 * @since 0.1.0
 * @category constants
 */
export const VariantAlsoNegotiates = 506
/**
 * 507 Insufficient Storage (RFC 4918 §11.5). Go's `http.StatusInsufficientStorage`.
 *
 * @since 0.1.0
 * @category constants
 */
export const InsufficientStorage = 507
/**
 * 508 Loop Detected (RFC 5842 §7.2). Go's `http.StatusLoopDetected`.
 *
 * @since 0.1.0
 * @category constants
 */
export const LoopDetected = 508
/**
 * 510 Not Extended (RFC 2774 §7). Go's `http.StatusNotExtended`.
 *
 * @since 0.1.0
 * @category constants
 */
export const NotExtended = 510
/**
 * 511 Network Authentication Required (RFC 6585 §6). Go's `http.StatusNetworkAuthenticationRequired`.
 *
 * @since 0.1.0
 * @category constants
 */
export const NetworkAuthenticationRequired = 511

// Go's `http.StatusText` table, word for word (including its older phrases such as
// "Request Entity Too Large" where RFC 9110 now says "Content Too Large").
const REASON_PHRASES: ReadonlyMap<number, string> = new Map<number, string>([
  [Continue, "Continue"],
  [SwitchingProtocols, "Switching Protocols"],
  [Processing, "Processing"],
  [EarlyHints, "Early Hints"],
  [OK, "OK"],
  [Created, "Created"],
  [Accepted, "Accepted"],
  [NonAuthoritativeInfo, "Non-Authoritative Information"],
  [NoContent, "No Content"],
  [ResetContent, "Reset Content"],
  [PartialContent, "Partial Content"],
  [MultiStatus, "Multi-Status"],
  [AlreadyReported, "Already Reported"],
  [IMUsed, "IM Used"],
  [MultipleChoices, "Multiple Choices"],
  [MovedPermanently, "Moved Permanently"],
  [Found, "Found"],
  [SeeOther, "See Other"],
  [NotModified, "Not Modified"],
  [UseProxy, "Use Proxy"],
  [TemporaryRedirect, "Temporary Redirect"],
  [PermanentRedirect, "Permanent Redirect"],
  [BadRequest, "Bad Request"],
  [Unauthorized, "Unauthorized"],
  [PaymentRequired, "Payment Required"],
  [Forbidden, "Forbidden"],
  [NotFound, "Not Found"],
  [MethodNotAllowed, "Method Not Allowed"],
  [NotAcceptable, "Not Acceptable"],
  [ProxyAuthRequired, "Proxy Authentication Required"],
  [RequestTimeout, "Request Timeout"],
  [Conflict, "Conflict"],
  [Gone, "Gone"],
  [LengthRequired, "Length Required"],
  [PreconditionFailed, "Precondition Failed"],
  [RequestEntityTooLarge, "Request Entity Too Large"],
  [RequestURITooLong, "Request URI Too Long"],
  [UnsupportedMediaType, "Unsupported Media Type"],
  [RequestedRangeNotSatisfiable, "Requested Range Not Satisfiable"],
  [ExpectationFailed, "Expectation Failed"],
  [Teapot, "I'm a teapot"],
  [MisdirectedRequest, "Misdirected Request"],
  [UnprocessableEntity, "Unprocessable Entity"],
  [Locked, "Locked"],
  [FailedDependency, "Failed Dependency"],
  [TooEarly, "Too Early"],
  [UpgradeRequired, "Upgrade Required"],
  [PreconditionRequired, "Precondition Required"],
  [TooManyRequests, "Too Many Requests"],
  [RequestHeaderFieldsTooLarge, "Request Header Fields Too Large"],
  [UnavailableForLegalReasons, "Unavailable For Legal Reasons"],
  [InternalServerError, "Internal Server Error"],
  [NotImplemented, "Not Implemented"],
  [BadGateway, "Bad Gateway"],
  [ServiceUnavailable, "Service Unavailable"],
  [GatewayTimeout, "Gateway Timeout"],
  [HTTPVersionNotSupported, "HTTP Version Not Supported"],
  [VariantAlsoNegotiates, "Variant Also Negotiates"],
  [InsufficientStorage, "Insufficient Storage"],
  [LoopDetected, "Loop Detected"],
  [NotExtended, "Not Extended"],
  [NetworkAuthenticationRequired, "Network Authentication Required"],
])

/**
 * The codes named above, in increasing order.
 *
 * @since 0.1.0
 * @category constants
 */
export const all: ReadonlyArray<number> = [...REASON_PHRASES.keys()]

/**
 * The reason phrase Go's `http.StatusText` gives for a code ("Not Found" for 404), or ""
 * for a code it does not know.
 *
 * @since 0.1.0
 * @category utils
 */
export const statusText = (code: number): string => REASON_PHRASES.get(code) ?? ""

/**
 * Whether `code` can be sent as a status code: a three-digit integer (RFC 9110 §15), i.e. in
 * 100..999, the range Go's `ResponseWriter.WriteHeader` accepts.
 *
 * @since 0.1.0
 * @category guards
 */
export const isValidCode = (code: number): boolean => Number.isInteger(code) && code >= 100 && code <= 999

/**
 * 1xx (RFC 9110 §15.2): an interim response.
 *
 * @since 0.1.0
 * @category guards
 */
export const isInformational = (code: number): boolean => code >= 100 && code <= 199

/**
 * 2xx (RFC 9110 §15.3): the request succeeded.
 *
 * @since 0.1.0
 * @category guards
 */
export const isSuccess = (code: number): boolean => code >= 200 && code <= 299

/**
 * 3xx (RFC 9110 §15.4): further action is needed, often a redirect.
 *
 * @since 0.1.0
 * @category guards
 */
export const isRedirect = (code: number): boolean => code >= 300 && code <= 399

/**
 * 4xx (RFC 9110 §15.5): the client erred.
 *
 * @since 0.1.0
 * @category guards
 */
export const isClientError = (code: number): boolean => code >= 400 && code <= 499

/**
 * 5xx (RFC 9110 §15.6): the server failed.
 *
 * @since 0.1.0
 * @category guards
 */
export const isServerError = (code: number): boolean => code >= 500 && code <= 599

/**
 * Whether a response with this status may have a body: not for 1xx, 204 or 304
 * (RFC 9110 §15.2, §15.3.5, §15.4.5; Go's `bodyAllowedForStatus`).
 *
 * @since 0.1.0
 * @category utils
 */
export const bodyAllowed = (code: number): boolean => !(isInformational(code) || code === NoContent || code === NotModified)
