/**
 * The `node:http2` peer of the server half of `npm run bench:h2`: `http2.createSecureServer`
 * with the test certificate (src/testing/testCert.ts), HTTP/2 only, answering every stream
 * with 200, `Content-Type: text/plain; charset=utf-8` and the 13-byte body `Hello, World!`
 * with a Content-Length, through the `'stream'` event (no compatibility layer).
 *
 * @module
 */
import * as http2 from "node:http2"
import type { AddressInfo } from "node:net"
import { TEST_CERT, TEST_KEY } from "../../src/testing/testCert.js"
import { BODY, HOST, listenPort } from "../server/runner.js"

const headers = {
  ":status": 200,
  "content-type": "text/plain; charset=utf-8",
  "content-length": String(Buffer.byteLength(BODY))
}

const server = http2.createSecureServer({ key: TEST_KEY, cert: TEST_CERT, allowHTTP1: false })
server.on("stream", (stream) => {
  stream.respond(headers)
  stream.end(BODY)
})
server.on("sessionError", () => undefined)

server.listen(listenPort(), HOST, () => {
  process.stdout.write(`listening https://${HOST}:${(server.address() as AddressInfo).port}\n`)
})
