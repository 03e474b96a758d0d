/**
 * node:http under shutdown (a child process of the shutdown part), with the usual graceful
 * pattern: on SIGTERM `server.close()` (stop accepting; its callback runs once every
 * connection is closed) and `server.closeIdleConnections()`, and after 10 s (our default
 * `shutdownTimeout`) `server.closeAllConnections()`. `GET /work` waits `SHUTDOWN_HANDLER_MS`
 * (20 ms), then answers; `res.end`'s callback counts the answer. Prints its counts
 * (`counts.ts`) once closed and lets the process end by itself.
 *
 * @module
 */
import * as fs from "node:fs"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { countsLine, idOf } from "./counts.js"

const HANDLER_MS = Number(process.env.SHUTDOWN_HANDLER_MS ?? 20)
const SHUTDOWN_TIMEOUT_MS = 10_000
let started = 0
let answered = 0
const startedIds: Array<string> = []

const server = http.createServer((req, res) => {
  started++
  const id = idOf(req.url?.split("?")[1])
  if (id !== undefined) startedIds.push(id)
  setTimeout(() => {
    res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": 5 })
    res.end("done\n", () => void answered++)
  }, HANDLER_MS)
})

server.listen(0, "127.0.0.1", () => console.log(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}`))

process.once("SIGTERM", () => {
  const at = Date.now()
  fs.writeSync(1, `inflight ${started - answered}\n`)
  server.close(() => fs.writeSync(1, countsLine({ started, answered, startedIds, shutdownMs: Date.now() - at })))
  server.closeIdleConnections()
  setTimeout(() => server.closeAllConnections(), SHUTDOWN_TIMEOUT_MS).unref()
})
