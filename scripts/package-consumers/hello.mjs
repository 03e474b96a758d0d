// (a) A plain Node consumer: imports effect-nethttp and its own effect, starts a Server on
// port 0, GETs it with the Client, prints the body, exits 0.
import { Effect, Layer } from "effect"
import { Body, Client, Server, ServerResponse, Transport } from "effect-nethttp"

const ServerLive = Server.layer({
  host: "127.0.0.1",
  port: 0,
  handler: (request) => Effect.succeed(ServerResponse.text(`hello from ${request.url.pathname}`))
})
const ClientLive = Client.layer().pipe(Layer.provide(Transport.layer()))

const program = Effect.gen(function*() {
  const server = yield* Server
  const client = yield* Client
  const response = yield* client.get(`${server.url}/package`)
  const body = new TextDecoder().decode(yield* Body.collect(response.body))
  console.log(body)
  if (response.status !== 200 || body !== "hello from /package") throw new Error(`unexpected ${response.status} ${body}`)
})

await Effect.runPromise(program.pipe(Effect.scoped, Effect.provide(Layer.merge(ServerLive, ClientLive))))
