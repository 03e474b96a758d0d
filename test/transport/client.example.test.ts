/**
 * README's Client example, run against a local HTTPS server: an HTTPS GET through
 * `Client.layerWithCookieJar` with a total timeout, the server's cookie sent back on the next
 * request, and a redirect followed on the way.
 */
import { expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Body, Client, CookieJar, Transport } from "../../src/index.js"
import { cert, peer } from "./peers.js"

it.live("README: an HTTPS GET with a timeout and a cookie jar through the Client layer", () =>
  Effect.gen(function*() {
    const server = yield* peer((req, res) => {
      if (req.url === "/") {
        res.writeHead(302, { Location: "/home", "Set-Cookie": "session=abc123; Path=/; Secure; HttpOnly", "Content-Length": 0 })
        return res.end()
      }
      const body = `<p>cookie: ${req.headers.cookie ?? "none"}</p>`
      res.writeHead(200, { "Content-Type": "text/html", "Content-Length": Buffer.byteLength(body) })
      res.end(body)
    }, {})
    const origin = `https://localhost:${server.port}`

    // As README's example, with the test certificate trusted.
    const program = Effect.gen(function*() {
      const client = yield* Client
      const response = yield* client.get(`${origin}/`, { headers: { Accept: "text/html" } })
      const html = new TextDecoder().decode(yield* Body.collect(response.body))
      return { status: response.status, url: response.request?.url.href, html }
    }).pipe(Effect.scoped)

    const ClientLive = Client.layerWithCookieJar({ timeout: "10 seconds" }).pipe(
      Layer.provide(CookieJar.layer()),
      Layer.provide(Transport.layer({ tls: { ca: cert } }))
    )

    const result = yield* program.pipe(Effect.provide(ClientLive))
    expect(result).toEqual({ status: 200, url: `${origin}/home`, html: "<p>cookie: session=abc123</p>" })
    expect(server.seen.map((s) => [s.url, s.headers.accept, s.headers.cookie])).toEqual([
      ["/", "text/html", undefined],
      ["/home", "text/html", "session=abc123"]
    ])
  }).pipe(Effect.scoped))
