/**
 * The `node:http` peer of `npm run bench:server`: `http.createServer` answering every request
 * with 200, `Content-Type: text/plain; charset=utf-8` and the 13-byte body `Hello, World!`
 * with a Content-Length, so connections stay alive (Node's HTTP/1.1 default).
 *
 * @module
 */
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { announce, BODY, HOST, listenPort } from "./runner.js"

const headers = {
  "Content-Type": "text/plain; charset=utf-8",
  "Content-Length": String(Buffer.byteLength(BODY))
}

const server = http.createServer((_req, res) => {
  res.writeHead(200, headers)
  res.end(BODY)
})

server.listen(listenPort(), HOST, () => announce((server.address() as AddressInfo).port))
