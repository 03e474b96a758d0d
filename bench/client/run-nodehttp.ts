/**
 * The `node:http` peer of `npm run bench:client`: `http.request` through a keep-alive
 * `http.Agent` with one socket per loop, the response consumed with `data`/`end`.
 *
 * @module
 */
import * as http from "node:http"
import { drivePromises, main, parseArgs } from "./common.js"

main(async () => {
  const args = parseArgs()
  const agent = new http.Agent({ keepAlive: true, maxSockets: args.concurrency })
  const options: http.RequestOptions = {
    agent,
    host: args.url.hostname,
    port: Number(args.url.port),
    path: args.url.pathname,
    method: "GET"
  }
  const one = (): Promise<number> =>
    new Promise((resolve, reject) => {
      const req = http.request(options, (res) => {
        let n = 0
        res.on("data", (chunk: Buffer) => {
          n += chunk.length
        })
        res.on("end", () => resolve(n))
        res.on("error", reject)
      })
      req.on("error", reject)
      req.end()
    })
  const result = await drivePromises(args, one)
  agent.destroy()
  return result
})
