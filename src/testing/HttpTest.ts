/**
 * Go's `httptest.NewServer` as a scoped Layer: a real server on 127.0.0.1:0 for a test, its
 * URL, and a client that talks to it, all closed when the test's Scope closes.
 *
 * ```ts
 * it.effect("GET /hello", () =>
 *   Effect.gen(function*() {
 *     const { client, url } = yield* HttpTest
 *     const response = yield* client.get(`${url}/hello`)
 *     expect(response.status).toBe(200)
 *   }).pipe(Effect.scoped, Effect.provide(HttpTest.server(handler))))
 * ```
 *
 * `HttpTest.tlsServer` is Go's `httptest.NewTLSServer`: the same over HTTPS, with a built-in
 * test certificate that its client trusts.
 *
 * @module
 */
import { HttpClient, HttpClientRequest, type HttpApp, type HttpServerRequest } from "@effect/platform"
import { Context, Effect, Layer, type Scope } from "effect"
import * as NetHttpClient from "../platform/HttpClient.js"
import * as NetHttpServer from "../platform/HttpServer.js"
import type { ServerOptions } from "../server/config.js"
import type { Handler } from "../server/Handler.js"
import { type RecordedResponse, recordResponse } from "../server/record.js"
import type { ServerRequest } from "../server/ServerRequest.js"
import { Server, type ServerService } from "../server/Server.js"
import { Client, type ClientConfig, type ClientService } from "../transport/Client.js"
import type { TransportConfig } from "../transport/config.js"
import { Transport, type TransportService } from "../transport/Transport.js"
import { TEST_CERT, TEST_KEY } from "./testCert.js"

/**
 * A running test server and a client for it.
 *
 * @since 0.1.0
 * @category testing
 */
export interface TestServer {
  /** `http://127.0.0.1:PORT` (`https://` from `tlsServer`), without a trailing slash. */
  readonly url: string
  readonly port: number
  /** A Client over a Transport of its own (no proxy), closed with the test server. */
  readonly client: ClientService
  /** @effect/platform's `HttpClient` over the same Transport, relative URLs resolved against `url`. */
  readonly httpClient: HttpClient.HttpClient
  /** That Client's Transport: its `stats` show the client side's connections. */
  readonly transport: TransportService
  /** The server: `stats`, `shutdown`, `close`. */
  readonly server: ServerService
  /**
   * Closes every connection the server has open now, and goes on accepting (Go's
   * `CloseClientConnections`): the client then finds its idle connections dropped.
   */
  readonly closeClientConnections: Effect.Effect<void>
  /**
   * The certificate (PEM) the server presents over HTTPS, which `client` trusts (Go's
   * `Server.Certificate`): give it as `ca` to another client. Undefined for plain HTTP.
   */
  readonly certificate: string | undefined
}

/**
 * What `HttpTest.server` and `tlsServer` take besides the handler.
 *
 * @since 0.1.0
 * @category testing
 */
export interface TestServerOptions<E = never, R = never> {
  /** Settings of the client's Transport (its proxy is always "none"). */
  readonly transport?: Omit<TransportConfig, "proxy">
  /** Settings of the Client (timeout, redirect policy, jar). */
  readonly client?: ClientConfig
  /**
   * Settings of the server (timeouts, limits, hooks such as `connState` and `connContext`),
   * as Go's test sets fields of `httptest.NewUnstartedServer(h).Config` before `Start`. Its
   * address is always 127.0.0.1:0; `tlsServer` sets `tls`'s key and certificate itself and
   * keeps its client-certificate settings (`requestCert`, `ca`, `rejectUnauthorized`; Go's
   * `ts.TLS.ClientAuth` and `ClientCAs` before `StartTLS`). Not used by `app`.
   */
  readonly server?: Omit<ServerOptions<E, R>, "host" | "port" | "handler">
}

/**
 * The test server of the test's Scope.
 *
 * @since 0.1.0
 * @category testing
 */
export class HttpTest extends Context.Tag("effect-nethttp/HttpTest")<HttpTest, TestServer>() {
  /**
   * A server on 127.0.0.1:0 serving `handler`, with a client for it. Building the Layer listens;
   * closing its Scope closes the client's connections, then shuts the server down.
   */
  static server<E, R>(handler: Handler<E, R>, options: TestServerOptions<E, R> = {}): Layer.Layer<HttpTest, never, R> {
    return testLayer(Effect.map(Server, (server) => server), options, undefined).pipe(
      Layer.provide(Layer.orDie(Server.layer({ ...options.server, host: "127.0.0.1", port: 0, handler })))
    )
  }

  /**
   * As `server`, over HTTPS (Go's `httptest.NewTLSServer`): the server presents a built-in
   * self-signed certificate for 127.0.0.1 and localhost (`TEST_CERT`, as Go's
   * `internal/testcert`), and the client trusts exactly that certificate (as its only CA;
   * Node's bundled roots are not trusted), verifying it as any https client does. The URL is
   * `https://127.0.0.1:PORT`; `certificate` gives the PEM to other clients. For mutual TLS, give
   * `server: { tls: { requestCert: true, ca } }` and the client's certificate as
   * `transport: { tls: { cert, key } }`.
   */
  static tlsServer<E, R>(handler: Handler<E, R>, options: TestServerOptions<E, R> = {}): Layer.Layer<HttpTest, never, R> {
    const transport: Omit<TransportConfig, "proxy"> = { ...options.transport, tls: { ...options.transport?.tls, ca: TEST_CERT } }
    return testLayer(Effect.map(Server, (server) => server), { ...options, transport }, TEST_CERT).pipe(
      Layer.provide(Layer.orDie(Server.layer({ ...options.server, host: "127.0.0.1", port: 0, handler, tls: { ...options.server?.tls, key: TEST_KEY, cert: TEST_CERT } })))
    )
  }

  /**
   * Runs `handler` on `request` without a socket and returns the response as the server would
   * write it (Go's `httptest.NewRecorder`): `recordResponse`. Build the request with
   * `ServerRequest.make` (Go's `httptest.NewRequest`).
   */
  static record<E, R>(handler: Handler<E, R>, request: ServerRequest): Effect.Effect<RecordedResponse, never, R> {
    return recordResponse(handler, request)
  }

  /**
   * A server on 127.0.0.1:0 running an @effect/platform app (an `HttpRouter`, an `HttpApi`
   * app, any `HttpApp`) on `NetHttpServer`, with clients for it; as `server` otherwise.
   */
  static app<E, R>(
    app: HttpApp.Default<E, R>,
    options: Omit<TestServerOptions, "server"> = {}
  ): Layer.Layer<HttpTest, never, Exclude<R, HttpServerRequest.HttpServerRequest | Scope.Scope>> {
    const served = Effect.gen(function*() {
      const { http, server } = yield* Effect.orDie(NetHttpServer.makeWithServer({ host: "127.0.0.1", port: 0 }))
      yield* http.serve(app)
      return server
    })
    return testLayer(served, options, undefined).pipe(Layer.provide(NetHttpServer.layerContext)) as Layer.Layer<
      HttpTest,
      never,
      Exclude<R, HttpServerRequest.HttpServerRequest | Scope.Scope>
    >
  }
}

/** The HttpTest service over the server `served` makes, with a Client and an HttpClient for it. */
const testLayer = <E, R>(
  served: Effect.Effect<ServerService, E, R | Scope.Scope>,
  options: Omit<TestServerOptions<unknown, unknown>, "server">,
  certificate: string | undefined
): Layer.Layer<HttpTest, E, R> =>
  // The requirements are `R`: Scope, Transport and Client are provided here (TypeScript cannot
  // simplify Exclude over a type parameter).
  (Layer.scoped(
    HttpTest,
    Effect.gen(function*() {
      const server = yield* served
      const transport = yield* Transport
      const client = yield* Client
      return {
        url: server.url,
        port: server.port,
        client,
        httpClient: HttpClient.mapRequest(NetHttpClient.make(transport), HttpClientRequest.prependUrl(server.url)),
        transport,
        server,
        closeClientConnections: server.closeConnections,
        certificate
      }
    })
  ).pipe(Layer.provide(Client.layer(options.client).pipe(Layer.provideMerge(Transport.layer({ ...options.transport, proxy: "none" })))))) as Layer.Layer<HttpTest, E, R>
