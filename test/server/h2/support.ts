/**
 * What the HTTP/2 server tests share: our Server over TLS with h2 on, and a `node:http2`
 * client session to it, both in the test's Scope, and a request helper that gathers the answer.
 */
import { Context, Effect, Layer, type Scope } from "effect"
import * as http2 from "node:http2"
import type { ServerOptions } from "../../../src/server/config.js"
import { Server, type ServerService } from "../../../src/server/Server.js"
import { TEST_CERT, TEST_KEY } from "../../../src/testing/testCert.js"

/** Our server over TLS with HTTP/2 on, in the Scope. */
export const serveH2 = <E>(
  options: Omit<ServerOptions<E, never>, "host" | "port" | "tls">
): Effect.Effect<ServerService, unknown, Scope.Scope> =>
  Effect.map(
    Layer.build(
      Server.layer({
        host: "127.0.0.1",
        port: 0,
        tls: { key: TEST_KEY, cert: TEST_CERT },
        ...options,
        protocols: { http2: true, ...options.protocols }
      })
    ),
    (ctx) => Context.get(ctx, Server)
  )

/** Our server over plain TCP with HTTP/2 prior knowledge (h2c) accepted, in the Scope. */
export const serveH2c = <E>(
  options: Omit<ServerOptions<E, never>, "host" | "port" | "tls">
): Effect.Effect<ServerService, unknown, Scope.Scope> =>
  Effect.map(
    Layer.build(Server.layer({ host: "127.0.0.1", port: 0, ...options, protocols: { unencryptedHTTP2: true, ...options.protocols } })),
    (ctx) => Context.get(ctx, Server)
  )

/** A `node:http2` client session to `url` (trusting the test certificate), destroyed with the Scope. */
export const h2Session = (url: string): Effect.Effect<http2.ClientHttp2Session, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const session = http2.connect(url, { ca: TEST_CERT, servername: "localhost" })
      session.on("error", () => {})
      return session
    }),
    (session) => Effect.sync(() => session.destroy())
  )

/** What `h2Request` gathers. */
export interface H2Answer {
  readonly status: number
  readonly headers: http2.IncomingHttpHeaders
  readonly body: string
  readonly trailers: http2.IncomingHttpHeaders | undefined
  readonly interim: ReadonlyArray<number>
}

/** Sends a request on `session` (the body in `body`, or none) and gathers its answer; fails after 5 s. */
export const h2Request = (
  session: http2.ClientHttp2Session,
  headers: http2.OutgoingHttpHeaders,
  body?: string | Buffer,
  options?: http2.ClientSessionRequestOptions
): Effect.Effect<H2Answer, Error> =>
  Effect.async<H2Answer, Error>((resume) => {
    const req = session.request(headers, options)
    let status = 0
    let got: http2.IncomingHttpHeaders = {}
    let trailers: http2.IncomingHttpHeaders | undefined = undefined
    const interim: Array<number> = []
    const parts: Array<Buffer> = []
    req.on("headers", (h) => interim.push(Number(h[":status"])))
    req.on("response", (h) => {
      status = Number(h[":status"])
      got = h
    })
    req.on("trailers", (t) => {
      trailers = t
    })
    req.on("data", (c: Buffer) => parts.push(c))
    req.on("end", () => resume(Effect.succeed({ status, headers: got, body: Buffer.concat(parts).toString(), trailers, interim })))
    req.on("error", (e) => resume(Effect.fail(e)))
    req.on("close", () => {
      if (req.rstCode !== undefined && req.rstCode !== 0 && status === 0) resume(Effect.fail(new Error(`stream reset with code ${req.rstCode}`)))
    })
    if (options?.endStream !== true) req.end(body)
    return Effect.sync(() => {
      req.close()
    })
  }).pipe(Effect.timeoutFail({ duration: "5 seconds", onTimeout: () => new Error("no answer within 5 s") }))
