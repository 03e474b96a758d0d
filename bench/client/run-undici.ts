/**
 * The `undici` peer of `npm run bench:client`: an undici `Pool` with one connection per loop
 * and no pipelining, `pool.request()`, the body read in full (`arrayBuffer()` for the small
 * body, iterated chunk by chunk for 1 MiB). For `/gzip-1m` the pool is composed with undici's
 * `interceptors.decompress()`, which decodes the gzipped body as our Transport does.
 *
 * @module
 */
import { type Dispatcher, interceptors, Pool } from "undici"
import { drivePromises, main, parseArgs } from "./common.js"

main(async () => {
  const args = parseArgs()
  const pool = new Pool(args.url.origin, { connections: args.concurrency, pipelining: 1 })
  const path = args.url.pathname
  const client: Dispatcher = path === "/gzip-1m" ? pool.compose(interceptors.decompress()) : pool
  const streamBody = args.expectedBytes > 64 * 1024
  const one = async (): Promise<number> => {
    const { body } = await client.request({ path, method: "GET" })
    if (!streamBody) return (await body.arrayBuffer()).byteLength
    let n = 0
    for await (const chunk of body) n += (chunk as Buffer).length
    return n
  }
  const result = await drivePromises(args, one)
  await pool.close()
  return result
})
