// (b) A TypeScript consumer of every entry point (strict), compiled with nodenext and bundler
// resolution. The README's ```ts blocks are checked beside it (scripts/extract-readme.mjs).
import { Effect, Layer } from "effect"
import * as All from "effect-nethttp"
import { Body, Client, CookieJar, Transport, type ClientError } from "effect-nethttp/client"
import { Server, ServeMux, ServerResponse, type ServerRequest } from "effect-nethttp/server"
import { NetHttpClient, NetHttpPlatform, NetHttpServer } from "effect-nethttp/platform"
import { Arbitraries, HttpTest, TEST_CERT, TEST_KEY } from "effect-nethttp/testing"

const handler = (request: ServerRequest) => Effect.succeed(ServerResponse.text(`hello from ${request.url.pathname}`))
export const ServerLive = Server.layer({ host: "127.0.0.1", port: 0, handler })
export const ClientLive = Client.layerWithCookieJar().pipe(Layer.provide(Transport.layer()), Layer.provide(CookieJar.layer()))

export const get = (url: string): Effect.Effect<string, ClientError | All.TransportError> =>
  Effect.scoped(
    Effect.gen(function*() {
      const client = yield* Client
      const response = yield* client.get(url)
      return new TextDecoder().decode(yield* Body.collect(response.body))
    })
  ).pipe(Effect.provide(ClientLive))

export const same: typeof All.Server = Server
export const unused = [ServeMux, NetHttpClient, NetHttpServer, NetHttpPlatform, Arbitraries, HttpTest, TEST_CERT, TEST_KEY]
