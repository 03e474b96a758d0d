/**
 * The `Transport` service: Go's `http.Transport` (a `RoundTripper` with a pool of persistent
 * connections) as an Effect service.
 *
 * ```ts
 * const program = Effect.gen(function*() {
 *   const transport = yield* Transport
 *   const request = yield* Request.make({ url: "http://127.0.0.1:8080/" })
 *   const response = yield* transport.roundTrip(request)   // needs a Scope: the body is in it
 *   const bytes = yield* Body.collect(response.body)        // read to EOF: the connection is reused
 * }).pipe(Effect.scoped, Effect.provide(Transport.default))
 * ```
 *
 * @module
 */
import { Context, Effect, Layer, type Scope } from "effect"
import type { InvalidConfig } from "../domain/configErrors.js"
import { Dialer, make as makeDialer } from "../net/Dialer.js"
import { dialTimeoutMs, type TransportConfig, validateTransportConfig } from "./config.js"
import { make as makeRoundTripper } from "./RoundTripper.js"
import { fromRoundTrip, type RoundTrip, type TransportMiddleware, wrap } from "./roundTrip.js"

export type { HostStats, PoolStats, TransportService } from "./transportService.js"
import type { TransportService } from "./transportService.js"


/**
 * The Transport. Connections belong to the Layer's Scope: when it closes, every connection is
 * closed and every waiting request fails with phase `pool-wait`, reason `shutdown`.
 *
 * @since 0.1.0
 * @category services
 */
export class Transport extends Context.Tag("effect-nethttp/Transport")<Transport, TransportService>() {
  /**
   * A Transport from its one primitive (see {@link RoundTrip}); the other methods derive from it.
   */
  static readonly fromRoundTrip = fromRoundTrip

  /** `transport` with `middleware` around its round trips (Go's RoundTripper wrappers). */
  static readonly wrap = wrap

  /**
   * A Layer putting `middleware` around the Transport it is given:
   * `Transport.layerMiddleware(retry).pipe(Layer.provide(Transport.layerDefault))`.
   */
  static readonly layerMiddleware = (middleware: TransportMiddleware): Layer.Layer<Transport, never, Transport> =>
    Layer.effect(Transport, Effect.map(Transport, (transport) => wrap(transport, middleware)))

  /** Builds a Transport with these settings over `dialer`; its connections belong to the Scope. */
  static readonly make = (config: TransportConfig = {}): Effect.Effect<TransportService, InvalidConfig, Scope.Scope> =>
    Effect.flatMap(validateTransportConfig(config), (resolved) => makeRoundTripper(makeDialer({ timeout: dialTimeoutMs(config) }), resolved))

  /** A Transport that dials with the `Dialer` in context (replace it in tests). */
  static readonly layerWithDialer = (config: TransportConfig = {}): Layer.Layer<Transport, InvalidConfig, Dialer> =>
    Layer.scoped(Transport, Effect.flatMap(validateTransportConfig(config), (resolved) => Effect.flatMap(Dialer, (dialer) => makeRoundTripper(dialer, resolved))))

  /** A Transport over TCP with these settings (`dialTimeout` for the dialer). */
  static readonly layer = (config: TransportConfig = {}): Layer.Layer<Transport, InvalidConfig> =>
    Transport.layerWithDialer(config).pipe(
      Layer.provide(Dialer.layer({ timeout: dialTimeoutMs(config) }))
    )

  /**
   * A Transport with the default settings (Go's `DefaultTransport`, but 100 idle connections per
   * host); proxies from the environment, read when the Layer is built.
   */
  static readonly layerDefault: Layer.Layer<Transport> = Layer.orDie(Transport.layer())
}
