/**
 * The node:http peer of the faults part (run in a child process): `http.createServer` with its
 * defaults (headersTimeout 60 s, requestTimeout 300 s, keepAliveTimeout 5 s, no `error`
 * listener, as most servers are written), with the routes of `server-ours.ts` written the
 * usual node:http way. Prints `listening http://127.0.0.1:<port>` once it listens.
 *
 * @module
 */
import * as fs from "node:fs"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { gzipBomb } from "./bomb.js"

const UPLOAD_LIMIT = 1024 * 1024
let bomb: Buffer | undefined

const text = (res: http.ServerResponse, status: number, body: string, close = false): void => {
  res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": Buffer.byteLength(body), ...(close ? { Connection: "close" } : {}) })
  res.end(body)
}

const upload = (req: http.IncomingMessage, res: http.ServerResponse): void => {
  let seen = 0
  let done = false
  req.on("data", (chunk: Buffer) => {
    seen += chunk.length
    if (seen > UPLOAD_LIMIT && !done) {
      done = true
      text(res, 413, "too large\n", true)
    }
  })
  req.on("end", () => {
    if (!done) text(res, 200, `${seen}\n`)
  })
}

const server = http.createServer((req, res) => {
  switch (req.url) {
    case "/":
      return text(res, 200, "ok\n")
    case "/stats": {
      // With --expose-gc: a full collection first, so the heap figure is what is live.
      (globalThis as { gc?: () => void }).gc?.()
      const m = process.memoryUsage()
      server.getConnections((_e, connections) => {
        const body = JSON.stringify({ rss: m.rss, heapUsed: m.heapUsed, fds: fs.readdirSync("/proc/self/fd").length, connections })
        res.writeHead(200, { "Content-Type": "application/json" }).end(body)
      })
      return
    }
    case "/upload":
      return upload(req, res)
    case "/cut":
      res.writeHead(200, { "Content-Length": 1024 * 1024 })
      res.write(Buffer.alloc(256 * 1024), () => res.destroy())
      return
    case "/bomb":
      bomb ??= gzipBomb(64)
      res.writeHead(200, { "Content-Encoding": "gzip", "Content-Type": "application/octet-stream", "Content-Length": bomb.length })
      res.end(bomb)
      return
    default:
      return text(res, 404, "not found\n")
  }
})

server.listen(0, "127.0.0.1", () => console.log(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}`))
