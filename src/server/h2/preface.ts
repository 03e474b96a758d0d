/**
 * The HTTP/2 client preface (RFC 9113 §3.4), by which a plain connection's first bytes say
 * "prior knowledge" HTTP/2 (RFC 9113 §3.3).
 *
 * @module
 * @internal
 */

/**
 * The HTTP/2 preface a client opens a connection with (RFC 9113 §3.4).
 *
 * @internal
 */
export const CLIENT_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1")

/**
 * Whether `chunk`, a connection's first bytes, begins HTTP/2 prior knowledge: the preface, or
 * (when it came short) at least "PRI" of it; nghttp2 checks the rest.
 *
 * @internal
 */
export const startsPreface = (chunk: Uint8Array): boolean => {
  const n = Math.min(chunk.length, CLIENT_PREFACE.length)
  if (n < 3) return false
  for (let i = 0; i < n; i++) if (chunk[i] !== CLIENT_PREFACE[i]) return false
  return true
}
