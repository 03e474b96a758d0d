/**
 * The check bench/h2.ts makes of a server runner before loading it: one `node:http2` session
 * (trusting the test certificate) whose ALPN must choose `h2`, and one `GET /` that must answer
 * 200 with `Hello, World!`. Bounded by a 5 s timer.
 *
 * @module
 */
import * as http2 from "node:http2"
import { TEST_CERT } from "../../src/testing/testCert.js"

/** Undefined when the server speaks h2 and answers right, else what went wrong. */
export const probeH2 = (port: number): Promise<string | undefined> =>
  new Promise((resolve) => {
    let settled = false
    const session = http2.connect(`https://127.0.0.1:${port}`, { ca: TEST_CERT })
    const done = (why: string | undefined) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      session.destroy()
      resolve(why)
    }
    const timer = setTimeout(() => done("the h2 probe got no answer within 5 s"), 5_000)
    session.on("error", (error) => done(`the h2 probe failed: ${error.message} (does the server speak HTTP/2 over TLS?)`))
    session.on("connect", () => {
      if (session.alpnProtocol !== "h2") return done(`ALPN chose ${session.alpnProtocol ?? "nothing"}, not h2`)
      const stream = session.request({ ":path": "/" }, { endStream: true })
      let status: unknown
      let body = ""
      stream.setEncoding("utf8")
      stream.on("response", (h) => {
        status = h[":status"]
      })
      stream.on("data", (s: string) => {
        body += s
      })
      stream.on("end", () => done(status === 200 && body === "Hello, World!" ? undefined : `GET / answered ${String(status)} ${JSON.stringify(body.slice(0, 40))}`))
      stream.on("error", (error) => done(`GET / failed: ${error.message}`))
    })
  })
