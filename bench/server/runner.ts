/**
 * What the server runners of `npm run bench:server` share (except `run-ours.ts`, which is
 * written out in full as a user would write it): the address they listen on, the one stdout
 * line they print once listening, and node:http's hello server (the `node:http` peers).
 *
 * A runner is started as `node <run-<peer>.ts compiled>` (see ../harness.ts and processes.ts) with
 * `PORT` in its environment (`0`: any free port). It listens on 127.0.0.1, prints exactly one
 * line `listening http://127.0.0.1:<port>` on stdout, and serves until it is killed.
 *
 * @module
 */
import * as http from "node:http"

/** The host every runner listens on. */
export const HOST = "127.0.0.1"

/** The body every runner answers `GET /` with. */
export const BODY = "Hello, World!"

/** The port to listen on, from `PORT` (`0`, the default, picks a free one). */
export const listenPort = (): number => {
  const raw = process.env.PORT
  const port = raw === undefined || raw === "" ? 0 : Number(raw)
  if (!Number.isSafeInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be 0..65535, got ${raw}`)
  return port
}

/** Prints the one `listening http://127.0.0.1:<port>` line the harness waits for. */
export const announce = (port: number): void => {
  process.stdout.write(`listening http://${HOST}:${port}\n`)
}

/**
 * node:http's hello server, unstarted: every request answered 200 with
 * `Content-Type: text/plain; charset=utf-8` and `BODY` with a Content-Length, so connections
 * stay alive (Node's HTTP/1.1 default). The `node:http` peers of bench:server and bench:cluster.
 */
export const nodeHelloServer = (): http.Server => {
  const headers = {
    "Content-Type": "text/plain; charset=utf-8",
    "Content-Length": String(Buffer.byteLength(BODY))
  }
  return http.createServer((_req, res) => {
    res.writeHead(200, headers)
    res.end(BODY)
  })
}
