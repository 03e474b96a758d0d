/**
 * The `Client` service: Go's `http.Client` over the {@link Transport}: redirects, a cookie
 * jar, a total timeout, and Basic authorization from the URL's user info.
 *
 * ```ts
 * const program = Effect.gen(function*() {
 *   const client = yield* Client
 *   // The static reader supplies the response's Scope and closes it once the body is read.
 *   const text = yield* Response.text(client.get("https://example.com/"))
 * }).pipe(
 *   Effect.provide(Client.layerWithCookieJar({ timeout: "10 seconds" })),
 *   Effect.provide(CookieJar.layer()),
 *   Effect.provide(Transport.layerDefault)
 * )
 * ```
 *
 * The verbs and `do` return effects that need a Scope (the response's body lives in it) and can
 * also take one as an effect run only when the response needs it (`ScopeIn`): the static
 * readers of `Response` use that, so `Response.text(client.get(url))` makes no Scope and
 * changes no context for a body that arrived whole. The hot path (`follow` for a request that
 * is not redirected, `send` without a jar) runs no generator and allocates class instances
 * only (V8 pretenures object literals on per-request paths: see ARCHITECTURE.md).
 *
 * ```ts
 * // Or in a Scope of the caller's:
 * const response = yield* client.get(url)   // needs a Scope
 * const bytes = yield* response.bytes
 * ```
 *
 * @module
 */
import { Context, Effect, Either, Layer, type Scope } from "effect"
import type { InvalidConfig } from "../domain/configErrors.js"
import type { Request } from "../domain/Request.js"
import type { Response } from "../domain/Response.js"
import { fromExecuteReading, type ReadPath } from "./clientCalls.js"
import { validateClientConfig } from "./clientConfig.js"
import { Hops } from "./clientHops.js"
import type { ClientConfig, ClientError, ClientMiddleware, ClientRequestOptions, ClientService, Execute } from "./clientService.js"
import { withTimeout } from "./clientTimeout.js"
import { CookieJar } from "./CookieJar.js"
import type { TransportError } from "./errors.js"
import * as Redirect from "./redirect.js"
import { Transport, type TransportService } from "./Transport.js"

export type {
  ClientBodyInit,
  ClientConfig,
  ClientError,
  ClientMiddleware,
  ClientRequestInit,
  ClientRequestOptions,
  ClientService,
  Execute,
  RequestError
} from "./clientService.js"

/** Builds the Client service over `transport`. */
export const make = (transport: TransportService, config: ClientConfig = {}): Effect.Effect<ClientService, InvalidConfig> =>
  Effect.gen(function*() {
    const clock = yield* Effect.clock
    const configTimeoutMs = (yield* validateClientConfig(config)).timeoutMs
    const configPolicy = config.checkRedirect ?? Redirect.defaultPolicy
    const hops = new Hops(transport, config.jar)

    // `scope` runs in the caller's fiber (or one it forks, which inherits its context), so its
    // requirements R are met there: the cast only carries R to the result's type.
    const execute: Execute = <E, R>(request: Request<E>, scope: Effect.Effect<Scope.Scope, never, R>, options?: ClientRequestOptions) => {
      const policy = options?.checkRedirect ?? configPolicy
      let timeoutMs = configTimeoutMs
      if (options?.timeout !== undefined) {
        const checked = validateClientConfig({ timeout: options.timeout })
        if (Either.isLeft(checked)) return Effect.fail(checked.left)
        timeoutMs = checked.right.timeoutMs
      }
      const exchange = hops.follow(request, scope as Effect.Effect<Scope.Scope>, policy)
      return (timeoutMs <= 0 ? exchange : withTimeout(clock, request as Request<unknown>, timeoutMs, exchange)) as Effect.Effect<Response<TransportError>, ClientError | E, R>
    }

    // A static reader's way in (see `Hops.readFollowing`). A time limit covers the whole
    // exchange, the read included, so a request with one takes `execute`'s path.
    const readPath: ReadPath = {
      accepts: (options) => configTimeoutMs <= 0 && options?.timeout === undefined,
      run: (request, options, read) => hops.readFollowing(request, options?.checkRedirect ?? configPolicy, read)
    }

    return fromExecuteReading(execute, transport.closeIdleConnections, readPath)
  })

/**
 * A Client from its one primitive (see {@link Execute}): `do` and the verbs derive from it. A
 * verb whose URL, method or header fields are invalid fails with the error `Request.make`
 * gives (`InvalidUrl`, `InvalidMethod`, `InvalidHeader`), before anything is sent.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromExecute = (execute: Execute, closeIdleConnections: Effect.Effect<void> = Effect.void): ClientService =>
  fromExecuteReading(execute, closeIdleConnections, undefined)

/**
 * `client` with `middleware` around its `execute` (every verb goes through it).
 *
 * @since 0.1.0
 * @category combinators
 */
export const wrap = (client: ClientService, middleware: ClientMiddleware): ClientService =>
  fromExecute(middleware(client.execute), client.closeIdleConnections)

/**
 * The Client: Go's `http.Client` over the `Transport` in context.
 *
 * @since 0.1.0
 * @category services
 */
export class Client extends Context.Tag("effect-nethttp/Client")<Client, ClientService>() {
  /** A Client with these settings over the Transport in context. */
  static readonly layer = (config: ClientConfig = {}): Layer.Layer<Client, InvalidConfig, Transport> =>
    Layer.effect(Client, Effect.flatMap(Transport, (transport) => make(transport, config)))

  /** Builds a Client with these settings over the Transport in context. */
  static readonly make = (config: ClientConfig = {}): Effect.Effect<ClientService, InvalidConfig, Transport> =>
    Effect.flatMap(Transport, (transport) => make(transport, config))

  /** A Client from its one primitive (see {@link Execute}); `do` and the verbs derive from it. */
  static readonly fromExecute = fromExecute

  /** `client` with `middleware` around its `execute`. */
  static readonly wrap = wrap

  /** A Layer putting `middleware` around the Client it is given. */
  static readonly layerMiddleware = (middleware: ClientMiddleware): Layer.Layer<Client, never, Client> =>
    Layer.effect(Client, Effect.map(Client, (client) => wrap(client, middleware)))

  /** A Client that keeps cookies in the `CookieJar` in context. */
  static readonly layerWithCookieJar = (config: Omit<ClientConfig, "jar"> = {}): Layer.Layer<Client, InvalidConfig, Transport | CookieJar> =>
    Layer.effect(
      Client,
      Effect.flatMap(Effect.all([Transport, CookieJar]), ([transport, jar]) => make(transport, { ...config, jar }))
    )

  /**
   * A Client with no timeout, Go's redirect policy and no jar (Go's `DefaultClient`), with a
   * Transport of the default settings of its own (`Transport.layerDefault`).
   */
  static readonly layerDefault: Layer.Layer<Client> = Layer.orDie(Client.layer()).pipe(Layer.provide(Transport.layerDefault))
}
