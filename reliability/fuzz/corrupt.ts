/**
 * Near-valid responses and chunked bodies: a generated valid one with one targeted corruption
 * of the kind that decides framing or smuggling (a second or conflicting framing field, a bad
 * status-line, obs-fold, a bare CR, a bad chunk-size line, a trailer that frames). The request
 * side's corruptions are the differential test's (test/support/llhttp/corruptions.ts).
 *
 * @module
 */
import { FastCheck as fc } from "effect"
import { chunkedBody, serializeBody, serializeResponse, validResponse } from "../../src/testing/arbitraries.js"

const FIELD_LINES = [
  "Content-Length: 5", "Content-Length: 0", "Content-Length: 1, 2", "Content-Length: -1", "Content-Length: 99999999999999999999",
  "Transfer-Encoding: chunked", "Transfer-Encoding: gzip", "Transfer-Encoding: chunked, gzip", "Transfer-Encoding: xchunked",
  "Transfer-Encoding : chunked", "Transfer-Encoding:\tchunked", " folded", "\tfolded", "X: a\rb", "Bad Name: x", ": empty",
  "Connection: close", "Connection: upgrade", "Upgrade: websocket", "X: \x00", "X: \x80\xff", "NoColon"
]

const STATUS_LINES = [
  "HTTP/1.1 99 Low", "HTTP/1.1 600 High", "HTTP/1.1 2000 OK", "HTTP/1.1 20 OK", "HTTP/2 200 OK", "HTTP/1.1 200",
  "HTTP/1.1  200 OK", "HTTP/1.1 200 O\x00K", "http/1.1 200 OK", "HTTP/1.10 200 OK", "HTTP/0.9 200 OK", "HTTP/1.1 204 No Content",
  "HTTP/1.1 304 Not Modified", "HTTP/1.1 101 Switching Protocols", "HTTP/1.1 100 Continue", "HTTP/1.0 200 OK"
]

const CHUNK_LINES = [
  "g", "-1", "0x3", " 3", "3 ", "+3", "", "ffffffffffffffffff", "11111111111111111111", "0000000000000000003", "3;", "3;=v",
  "3;a=", "3;a=\"b", "3;a b", "3\t", "3;a=\x80", "0", "00", "1", "FFFF"
]

const latin1 = (b: Uint8Array) => Buffer.from(b).toString("latin1")

/** `lines` with `line` inserted after line `at` (modulo), keeping the first (the start line) first. */
const insertLine = (lines: Array<string>, at: number, line: string): Array<string> => {
  const i = 1 + (at % lines.length)
  return [...lines.slice(0, i), line, ...lines.slice(i)]
}

/** A valid response with one corruption of its head: a field line inserted, or its status-line replaced. */
export const nearValidResponse: fc.Arbitrary<Uint8Array> = fc
  .tuple(validResponse, fc.boolean(), fc.nat(), fc.constantFrom(...FIELD_LINES), fc.constantFrom(...STATUS_LINES))
  .map(([r, field, at, line, status]) => {
    const text = latin1(serializeResponse(r))
    const end = text.indexOf("\r\n\r\n")
    const lines = text.slice(0, end).split("\r\n")
    const head = field ? insertLine(lines, at, line) : [status, ...lines.slice(1)]
    return Buffer.from(head.join("\r\n") + text.slice(end), "latin1")
  })

/** A valid chunked body with one corruption: a chunk-size line replaced, or a trailer added. */
export const nearValidChunkedBody: fc.Arbitrary<Uint8Array> = fc
  .tuple(chunkedBody, fc.boolean(), fc.nat(), fc.constantFrom(...CHUNK_LINES), fc.constantFrom(...FIELD_LINES))
  .map(([body, sizeLine, at, line, trailer]) => {
    if (!sizeLine) return serializeBody({ ...body, trailers: [...body.trailers, [trailer, ""] as const] })
    const i = at % (body.chunks.length + 1)
    const chunks = body.chunks.map((c, j) => (j === i ? { ...c, size: line, extensions: "" } : c))
    return serializeBody(i === body.chunks.length ? { ...body, chunks, last: { size: line, extensions: "" } } : { ...body, chunks })
  })
