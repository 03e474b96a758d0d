/**
 * README's Client example, run against a local HTTPS server: readers around the verbs, a
 * schema-checked JSON body, a per-request redirect policy and timeout, the retry middleware
 * over `Client.layerWithCookieJar` with a total timeout (the server's cookie sent back on later
 * requests, a redirect followed, a 503 retried as Retry-After says).
 */
import { expect, it } from "@effect/vitest"
import { Effect, Layer, Schema } from "effect"
import { Client, CookieJar, Middleware, Redirect, Response, Transport } from "../../src/client.js"
import { cert, peer } from "./peers.js"

const Item = Schema.Struct({ id: Schema.Number, name: Schema.String })

it.live("README: readers, a schema, per-request options and retry over the cookie-jar Client", () =>
  Effect.gen(function*() {
    let busy = 1
    const server = yield* peer((req, res) => {
      const send = (status: number, type: string, body: string, extra: Record<string, string> = {}) => {
        res.writeHead(status, { "Content-Type": type, "Content-Length": Buffer.byteLength(body), ...extra })
        res.end(body)
      }
      if (req.url === "/") {
        res.writeHead(302, { Location: "/home", "Set-Cookie": "session=abc123; Path=/; Secure; HttpOnly", "Content-Length": 0 })
        return res.end()
      }
      if (req.url === "/home") return send(200, "text/html", `<p>cookie: ${req.headers.cookie ?? "none"}</p>`)
      if (req.url === "/items/1") {
        // The first time busy: the retry middleware waits as Retry-After says (0 s) and asks again.
        if (busy-- > 0) return send(503, "text/plain", "busy", { "Retry-After": "0" })
        return send(200, "application/json", JSON.stringify({ id: 1, name: "one" }))
      }
      if (req.url === "/old") {
        res.writeHead(301, { Location: "/home", "Content-Length": 0 })
        return res.end()
      }
      send(404, "text/plain", "not found")
    }, {})
    const origin = `https://localhost:${server.port}`

    // As README's example, with the test server's origin and its certificate trusted.
    const program = Effect.gen(function*() {
      const client = yield* Client
      const html = yield* Response.text(client.get(`${origin}/`, { headers: { Accept: "text/html" } }))
      const item = yield* Response.schemaJson(client.get(`${origin}/items/1`), Item)
      const redirect = yield* Effect.scoped(client.get(`${origin}/old`, { checkRedirect: Redirect.never, timeout: "2 seconds" }))
      return { html, item, status: redirect.status }
    })

    const ClientLive = Client.layerMiddleware(Middleware.retry()).pipe(
      Layer.provide(Client.layerWithCookieJar({ timeout: "10 seconds" })),
      Layer.provide(CookieJar.layer()),
      Layer.provide(Transport.layer({ tls: { ca: cert } }))
    )

    const result = yield* program.pipe(Effect.provide(ClientLive))
    expect(result).toEqual({ html: "<p>cookie: session=abc123</p>", item: { id: 1, name: "one" }, status: 301 })
    expect(server.seen.map((s) => [s.url, s.headers.cookie])).toEqual([
      ["/", undefined],
      ["/home", "session=abc123"],
      ["/items/1", "session=abc123"],
      ["/items/1", "session=abc123"],
      ["/old", "session=abc123"]
    ])
    expect(server.seen[0]?.headers.accept).toBe("text/html")
  }).pipe(Effect.scoped))
