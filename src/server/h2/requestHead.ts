/**
 * An HTTP/2 request's header block as the `RequestHead` the rest of the server reads, as Go's
 * `http2serverConn.newWriterAndRequest` makes an `http.Request`: the method and target from
 * `:method` and `:path` (`*` is asterisk-form; CONNECT's target is `:authority`), the fields
 * under their canonical names in order, a `Host` field from `:authority` when the client sent
 * none, several `cookie` fields joined with "; " (RFC 9113 §8.2.3), version 2.0.
 *
 * nghttp2 has already refused what RFC 9113 §8.2 and §8.3 forbid (connection-specific fields,
 * upper-case names, missing or repeated pseudo-fields, a Content-Length the DATA frames break).
 *
 * @module
 * @internal
 */
import { canonicalFieldName } from "../../domain/fieldNames.js"
import { Headers } from "../../domain/Headers.js"
import { RequestHead } from "../../domain/http1/MessageHead.js"


const CONTENT_LENGTH = /^\d{1,15}$/


/**
 * The head of a request whose fields came as `raw` (name, value, name, value, ...; Node's
 * `rawHeaders`), `endStream` when the HEADERS frame ended the stream (no body). Its `Host` field
 * is the request's host (`:authority`, or the client's own `host` field without one). Undefined when
 * a Content-Length is not a number (nghttp2 lets `content-length: x` through; Go answers it
 * with a stream error).
 */
export const requestHeadOf = (raw: ReadonlyArray<string>, endStream: boolean): RequestHead | undefined => {
  let method = "GET"
  let path = ""
  let authority = ""
  // Sized once (every field, and a Host): an empty array's first push reserves 17 slots.
  const room = (raw.length >> 1) + 1
  const names = new Array<string>(room)
  const values = new Array<string>(room)
  let n = 0
  let cookies = -1
  let host = false
  let contentLength = -1
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!
    const value = raw[i + 1]!
    if (name.charCodeAt(0) === 0x3a) {
      if (name === ":method") method = value
      else if (name === ":path") path = value
      else if (name === ":authority") authority = value
      continue
    }
    // The pseudo-fields come first (RFC 9113 §8.3): Host from :authority leads the fields,
    // and a host field beside it is dropped (Go reads :authority).
    if (!host && authority !== "") {
      host = true
      names[n] = "Host"
      values[n++] = authority
    }
    if (name === "cookie") {
      if (cookies >= 0) {
        values[cookies] += "; " + value
        continue
      }
      cookies = n
    } else if (name === "host") {
      if (host) continue
      host = true
    } else if (name === "content-length") {
      if (!CONTENT_LENGTH.test(value) || (contentLength >= 0 && Number(value) !== contentLength)) return undefined
      contentLength = Number(value)
    }
    names[n] = canonicalFieldName(name)
    values[n++] = value
  }
  if (!host && authority !== "") {
    names[n] = "Host"
    values[n++] = authority
  }
  names.length = n
  values.length = n
  const headers = Headers.unsafeFromArrays(names, values)
  const connect = method === "CONNECT"
  const target = connect ? authority : path
  const form = connect ? "authority" : path === "*" ? "asterisk" : "origin"
  const length = endStream ? 0 : contentLength
  return new RequestHead(method, target, form, 2, 0, headers, endStream ? "none" : contentLength >= 0 ? "length" : "chunked", length, true, false)
}
