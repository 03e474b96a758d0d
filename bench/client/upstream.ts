/**
 * The upstream of `npm run bench:client`: a raw `node:net` server on 127.0.0.1 (port 0) that
 * answers keep-alive HTTP/1.1 GETs with canned responses, so the clients, not the server, are
 * what the benchmark measures.
 *
 * - `GET /small`: 200 with the 13-byte body `Hello, World!` and a Content-Length;
 * - `GET /1m`: 200 with a 1 MiB body and a Content-Length (head and body in one Buffer, one write);
 * - `GET /gzip-1m`: 200 with 1 MiB of text lines gzipped (`Content-Encoding: gzip`, whatever the
 *   request's Accept-Encoding), its Content-Length the compressed length, in one write;
 * - anything else: 404 with an empty body.
 *
 * Requests carry no body: each ends at its `\r\n\r\n`. Pipelined requests and requests split
 * across reads are answered in order. It prints `{"port": n}` on stdout, and exits when its
 * stdin closes, on a signal, or after 10 minutes whatever happens.
 *
 * @module
 */
import * as net from "node:net"
import * as zlib from "node:zlib"

const HARD_CAP_MS = 10 * 60 * 1000

const response = (status: string, body: Buffer, extra = ""): Buffer =>
  Buffer.concat([
    Buffer.from(`HTTP/1.1 ${status}\r\nContent-Type: text/plain\r\n${extra}Content-Length: ${body.length}\r\n\r\n`, "latin1"),
    body
  ])

// 1 MiB of varied text lines (compresses to about a fifth, as logs or JSON do).
const textMiB = (): Buffer => {
  const out = Buffer.alloc(1 << 20)
  let pos = 0
  for (let i = 0; pos < out.length; i++) pos += out.write(`line ${i}: the quick brown fox ${(i * 7919) % 100003} jumps over ${(i * 31) % 977}\n`, pos, "latin1")
  return out
}

const SMALL = response("200 OK", Buffer.from("Hello, World!", "latin1"))
const ONE_MIB = response("200 OK", Buffer.alloc(1 << 20, 0x61))
const GZIP_1M = response("200 OK", zlib.gzipSync(textMiB()), "Content-Encoding: gzip\r\n")
const NOT_FOUND = response("404 Not Found", Buffer.alloc(0))
const CRLFCRLF = Buffer.from("\r\n\r\n", "latin1")

/** The canned response for the request head at `buf[start..]`. */
const answer = (buf: Buffer, start: number): Buffer => {
  const sp1 = buf.indexOf(0x20, start)
  const sp2 = sp1 < 0 ? -1 : buf.indexOf(0x20, sp1 + 1)
  if (sp2 < 0) return NOT_FOUND
  const path = buf.toString("latin1", sp1 + 1, sp2)
  return path === "/small" ? SMALL : path === "/1m" ? ONE_MIB : path === "/gzip-1m" ? GZIP_1M : NOT_FOUND
}

const serve = (socket: net.Socket): void => {
  socket.setNoDelay(true)
  let pending: Buffer | undefined
  socket.on("data", (chunk: Buffer) => {
    const buf = pending === undefined ? chunk : Buffer.concat([pending, chunk])
    let pos = 0
    let replies: Array<Buffer> | undefined
    let reply: Buffer | undefined
    for (let end = buf.indexOf(CRLFCRLF, pos); end >= 0; end = buf.indexOf(CRLFCRLF, pos)) {
      const r = answer(buf, pos)
      if (reply === undefined) reply = r
      else (replies ??= [reply]).push(r)
      pos = end + 4
    }
    pending = pos === buf.length ? undefined : Buffer.from(buf.subarray(pos))
    if (replies !== undefined) {
      socket.cork()
      for (const r of replies) socket.write(r)
      socket.uncork()
    } else if (reply !== undefined) socket.write(reply)
  })
  socket.on("error", () => socket.destroy())
}

const server = net.createServer({ noDelay: true }, serve)
server.listen(0, "127.0.0.1", () => {
  const address = server.address() as net.AddressInfo
  process.stdout.write(JSON.stringify({ port: address.port }) + "\n")
})

const exit = (): never => process.exit(0)
process.stdin.on("end", exit)
process.stdin.on("close", exit)
process.stdin.resume()
process.on("SIGTERM", exit)
process.on("SIGINT", exit)
setTimeout(exit, HARD_CAP_MS).unref()
