/**
 * The `undici` peer of the client half of `npm run bench:h2`: one undici `Client` (one
 * connection) with `allowH2: true`, trusting the test certificate (`connect: { ca }`), and
 * `pipelining` set to the concurrency: undici counts an h2 client's requests in flight against
 * `pipelining` (default 1, which would run the streams one at a time; lib/dispatcher/client.js
 * `getPipelining`), while `maxConcurrentStreams` (default 100) stays above it. Each request is
 * `client.request()` with the body read whole (`arrayBuffer()`).
 *
 * @module
 */
import { Client } from "undici"
import { TEST_CERT } from "../../src/testing/testCert.js"
import { drivePromises, main, parseArgs } from "../client/common.js"

main(async () => {
  const args = parseArgs()
  const client = new Client(args.url.origin, {
    allowH2: true,
    pipelining: args.concurrency,
    connect: { ca: TEST_CERT }
  })
  const path = args.url.pathname
  let checked = false
  const one = async (): Promise<number> => {
    const response = await client.request({ path, method: "GET" })
    const bytes = (await response.body.arrayBuffer()).byteLength
    if (!checked) {
      checked = true
      if (response.statusCode !== 200) throw new Error(`undici: status ${response.statusCode}`)
    }
    return bytes
  }
  const result = await drivePromises(args, one)
  await client.close()
  return result
})
