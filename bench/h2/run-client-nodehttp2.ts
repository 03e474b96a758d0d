/**
 * The bare `node:http2` peer of the client half of `npm run bench:h2`: one
 * `http2.connect(origin, { ca })` session, each request `session.request({ ":path" })` with
 * its `'response'` status checked and its `'data'` chunks counted until `'end'`: the floor
 * under any client built on node:http2, ours included.
 *
 * @module
 */
import * as http2 from "node:http2"
import { TEST_CERT } from "../../src/testing/testCert.js"
import { drivePromises, main, parseArgs } from "../client/common.js"

main(async () => {
  const args = parseArgs()
  const session = http2.connect(args.url.origin, { ca: TEST_CERT })
  await new Promise<void>((resolve, reject) => {
    session.once("connect", () => resolve())
    session.once("error", reject)
  })
  if (session.alpnProtocol !== "h2") throw new Error(`node:http2: ALPN chose ${session.alpnProtocol}`)
  const headers = { ":path": args.url.pathname, ":method": "GET" }
  const one = (): Promise<number> =>
    new Promise((resolve, reject) => {
      const stream = session.request(headers, { endStream: true })
      let bytes = 0
      stream.on("response", (h) => {
        if (h[":status"] !== 200) reject(new Error(`node:http2: status ${h[":status"]}`))
      })
      stream.on("data", (chunk: Buffer) => {
        bytes += chunk.length
      })
      stream.on("end", () => resolve(bytes))
      stream.on("error", reject)
    })
  const result = await drivePromises(args, one)
  await new Promise<void>((resolve) => session.close(() => resolve()))
  return result
})
