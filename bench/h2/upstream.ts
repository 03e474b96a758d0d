/**
 * The upstream of the client half of `npm run bench:h2`: a `node:http2` secure server on
 * 127.0.0.1 (port 0, the test certificate, HTTP/2 only: a client that cannot negotiate h2 by
 * ALPN fails its handshake) answering `GET /small` with 200 and the 13-byte body
 * `Hello, World!` (Content-Length set), anything else with 404. It advertises
 * `maxConcurrentStreams` 1000, so that the clients' own limits, not the server's, bound their
 * concurrency. It prints `{"port": n}` on stdout, and exits when its stdin closes, on a signal,
 * or after 10 minutes whatever happens (as bench/client/upstream.ts).
 *
 * @module
 */
import * as http2 from "node:http2"
import type { AddressInfo } from "node:net"
import { TEST_CERT, TEST_KEY } from "../../src/testing/testCert.js"

const HARD_CAP_MS = 10 * 60 * 1000
const BODY = Buffer.from("Hello, World!", "latin1")
const OK = { ":status": 200, "content-type": "text/plain", "content-length": String(BODY.length) }
const NOT_FOUND = { ":status": 404, "content-length": "0" }

const server = http2.createSecureServer({
  key: TEST_KEY,
  cert: TEST_CERT,
  allowHTTP1: false,
  settings: { maxConcurrentStreams: 1000 }
})
server.on("stream", (stream, headers) => {
  if (headers[":path"] === "/small") {
    stream.respond(OK)
    stream.end(BODY)
  } else {
    stream.respond(NOT_FOUND, { endStream: true })
  }
})
server.on("sessionError", () => undefined)
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(JSON.stringify({ port: (server.address() as AddressInfo).port }) + "\n")
})

const exit = (): never => process.exit(0)
process.stdin.on("end", exit)
process.stdin.on("close", exit)
process.stdin.resume()
process.on("SIGTERM", exit)
process.on("SIGINT", exit)
setTimeout(exit, HARD_CAP_MS).unref()
