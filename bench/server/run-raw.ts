/**
 * The `raw` peer of `npm run bench:server`, a reference ceiling: a `node:net` server that parses
 * nothing and answers every request head it sees (every `\r\n\r\n`, also when split across
 * reads) with one canned keep-alive `HTTP/1.1 200 OK` reply carrying the same headers and body
 * as the `node:http` peer. Pipelined requests get their replies in one corked write.
 *
 * @module
 */
import * as net from "node:net"
import { announce, BODY, HOST, listenPort } from "./runner.js"

const REPLY = Buffer.from(
  "HTTP/1.1 200 OK\r\n" +
    "Content-Type: text/plain; charset=utf-8\r\n" +
    `Content-Length: ${Buffer.byteLength(BODY)}\r\n` +
    "Connection: keep-alive\r\n" +
    "\r\n" +
    BODY,
  "latin1"
)
const CRLFCRLF = Buffer.from("\r\n\r\n", "latin1")

const serve = (socket: net.Socket): void => {
  // The last 3 bytes of the previous read, so that a `\r\n\r\n` split across reads is seen.
  let tail: Buffer | undefined
  socket.on("data", (chunk: Buffer) => {
    const buf = tail === undefined ? chunk : Buffer.concat([tail, chunk])
    let heads = 0
    let end = 0
    for (let at = buf.indexOf(CRLFCRLF); at >= 0; at = buf.indexOf(CRLFCRLF, end)) {
      heads++
      end = at + 4
    }
    const keep = Math.max(end, buf.length - 3)
    tail = keep < buf.length ? Buffer.from(buf.subarray(keep)) : undefined
    if (heads === 1) socket.write(REPLY)
    else if (heads > 1) {
      socket.cork()
      for (let i = 0; i < heads; i++) socket.write(REPLY)
      socket.uncork()
    }
  })
  socket.on("error", () => socket.destroy())
}

const server = net.createServer({ noDelay: true }, serve)
server.listen(listenPort(), HOST, () => announce((server.address() as net.AddressInfo).port))
