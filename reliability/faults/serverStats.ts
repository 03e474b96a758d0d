/**
 * `GET /stats` of a server under test: its memory, open fds and (ours) `Server.stats`.
 *
 * @module
 */
import * as http from "node:http"

/** What `/stats` answers (`idle` and `accepted` only from ours). */
export interface ServerStatsReply {
  readonly rss: number
  readonly heapUsed: number
  readonly fds: number
  readonly connections: number
  readonly idle?: number
  readonly accepted?: number
}

/** Reads `/stats`; undefined when it does not answer within `timeoutMs`. */
export const serverStats = (port: number, timeoutMs = 3_000): Promise<ServerStatsReply | undefined> =>
  new Promise((resolve) => {
    const req = http.get({ host: "127.0.0.1", port, path: "/stats", agent: false, timeout: timeoutMs }, (res) => {
      let body = ""
      res.setEncoding("utf8").on("data", (s: string) => (body += s)).on("end", () => {
        try {
          resolve(JSON.parse(body) as ServerStatsReply)
        } catch {
          resolve(undefined)
        }
      })
    })
    req.on("timeout", () => req.destroy())
    req.on("error", () => resolve(undefined))
  })

/** Bytes in MiB with one decimal. */
export const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`
