/**
 * The check `npm run bench:server` makes before loading a server: one `GET /` (outside the
 * measured window) that must answer 200 with the body `Hello, World!`, so that every peer is
 * known to serve the same route (wrk itself counts responses without reading them).
 *
 * @module
 */
import * as http from "node:http"
import { BODY } from "./runner.js"

/** What the probe saw. */
export interface Probe {
  readonly status: number
  readonly contentType: string | undefined
  readonly body: string
}

/** GETs `http://127.0.0.1:<port>/` on a fresh connection, failing after `timeoutMs`. */
export const probe = (port: number, timeoutMs = 5_000): Promise<Probe> =>
  new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path: "/", agent: false, timeout: timeoutMs }, (res) => {
      let body = ""
      res.setEncoding("utf8")
      res.on("data", (s: string) => {
        body += s
      })
      res.on("end", () => resolve({ status: res.statusCode ?? 0, contentType: res.headers["content-type"], body }))
      res.on("error", reject)
    })
    req.on("timeout", () => req.destroy(new Error(`no response to GET / within ${timeoutMs / 1000} s`)))
    req.on("error", reject)
  })

/** Why `p` is not the hello-world response, or undefined when it is. */
export const mismatch = (p: Probe): string | undefined =>
  p.status !== 200
    ? `GET / answered ${p.status}, not 200`
    : p.body !== BODY
    ? `GET / answered ${JSON.stringify(p.body.slice(0, 80))}, not ${JSON.stringify(BODY)}`
    : undefined
