/**
 * The `Server` service: Go's `http.Server` as an Effect service. Building its layer listens
 * (so the bound port is known, 0 included) and serves in the layer's Scope; closing that
 * Scope is a graceful shutdown.
 *
 * ```ts
 * const ServerLive = Server.layer({
 *   host: "127.0.0.1",
 *   port: 8080,
 *   handler: (request) => Effect.succeed(ServerResponse.text(`hello from ${request.url.pathname}\n`))
 * })
 * Layer.launch(ServerLive).pipe(NodeRuntime.runMain)
 * ```
 *
 * One fiber per connection runs read request, handler, write response, next request (the
 * handler inline, no fork per request), started in the listener's connection event (the
 * `acceptor`; accept errors are logged, as Node accepts on); a reaper fiber checks every
 * connection's deadlines on the Clock, so TestClock drives every timeout. `make` composes
 * them: listen, the acceptor, the reaper,
 * the shutdown coordinator (`shutdown.ts`), the service; a connection's serve loop is
 * `ServerConn.ts`, and a connection whose first bytes choose HTTP/2 is handed to
 * `h2/H2ServerConn.ts` (its streams run on reusable worker fibers).
 *
 * @module
 */
import { type Clock, Context, Deferred, Duration, Effect, Fiber, Layer, Runtime, type Scope } from "effect"
import { H2ServerConn } from "./h2/H2ServerConn.js"
import type { RawConn } from "../net/Conn.js"
import { listen, type Listener } from "../net/Listener.js"
import type { InvalidConfig } from "../domain/configErrors.js"
import { AcceptError, type ListenError } from "../net/errors.js"
import { connInfo, type ResolvedServerConfig, type ServerOptions, validateServerOptions } from "./config.js"
import { serveWithConnContext } from "./connContext.js"
import type { Handler } from "./Handler.js"
import { makeInlineScheduler } from "../net/inlineScheduler.js"
import { WriteBatch } from "../net/WriteBatch.js"
import { DateCache } from "./responseWriter.js"
import type { ShutdownTimeout } from "./errors.js"
import { type ConnHost, ServerConn } from "./ServerConn.js"
import { OpenConns, type ServedConn, Shutdown } from "./shutdown.js"
import { ServerReadiness } from "./readiness.js"
import { ServerRegistry } from "./serverRegistry.js"

/**
 * A snapshot of the server's connections.
 *
 * @since 0.1.0
 * @category models
 */
export interface ServerStats {
  /** Connections open now. */
  readonly connections: number
  /** Of those, waiting for a request with nothing of one received. */
  readonly idle: number
  /** Connections accepted since the server started. */
  readonly accepted: number
  /** Of the open connections, those speaking HTTP/2. */
  readonly h2Sessions: number
  /** HTTP/2 streams open now, over all connections. */
  readonly h2Streams: number
}

/**
 * What the `Server` service offers.
 *
 * @since 0.1.0
 * @category services
 */
export interface ServerService {
  /** The bound address ("localhost" for a Unix socket server). */
  readonly host: string
  /** The bound port (the real one when 0 was asked for; 0 for a Unix socket server). */
  readonly port: number
  /**
   * `http://host:port` (or https), for clients; for a Unix socket server `http://localhost`
   * (or https), the origin to send requests to over `path` (a Transport's `socketPath`).
   */
  readonly url: string
  /** The Unix domain socket path of a server listening on one (`ServerOptions.path`); undefined for TCP. */
  readonly path: string | undefined
  /**
   * A graceful shutdown (Go's `Shutdown`): readiness turns false at once (`ready`,
   * `ServerReadiness`) and, for the server's `shutdownDelay` (default 0), it goes on accepting
   * and serving; then stop accepting (new connections are refused), close
   * idle connections, let requests in flight finish (their responses say `Connection: close`)
   * for up to `timeout` (default: the server's `shutdownTimeout`, counted after the delay), then interrupt the rest.
   * Completes when every connection is closed; fails with `ShutdownTimeout` (how many
   * connections were cut) when the time ran out with requests in flight, as Go's `Shutdown`
   * returns `context.DeadlineExceeded`; the server is closed either way. Idempotent: a later
   * call has the first one's result.
   */
  readonly shutdown: (timeout?: Duration.DurationInput) => Effect.Effect<void, ShutdownTimeout>
  /** Closes at once (Go's `Close`): stop accepting, interrupt every connection's fiber. */
  readonly close: Effect.Effect<void>
  /**
   * Closes every connection open now, idle or busy, and goes on accepting (Go's httptest
   * `CloseClientConnections`): for tests of a client facing dropped connections. Completes
   * when those connections are closed.
   */
  readonly closeConnections: Effect.Effect<void>
  readonly stats: Effect.Effect<ServerStats>
  /**
   * True while the server serves; false once a graceful shutdown began (during
   * `shutdownDelay` too). Handlers read the same fact from `ServerReadiness` (see `Handlers.health`).
   */
  readonly ready: Effect.Effect<boolean>
}

/**
 * What the listener calls with each accepted connection, inside Node's `connection` event:
 * the connection's serve loop starts there and then, on the server's inline scheduler (no
 * accept fiber in between: each connection cost that fiber's wake-up and a fork through
 * Effect's scheduler, a third of a short connection's CPU). Refused once a shutdown began. An accept
 * error is logged: Node goes on accepting (Go backs off 5 ms to 1 s; on Linux libuv sheds the
 * connections over the fd limit itself).
 */
const acceptor = (
  conns: OpenConns<ServedConn>,
  host: ConnHost,
  runFork: (effect: Effect.Effect<void>) => Fiber.RuntimeFiber<void, never>
) =>
(item: RawConn | AcceptError): void => {
  if (item instanceof AcceptError) {
    runFork(Effect.logWarning(`effect-nethttp server: ${item.message}`))
    return
  }
  if (host.shuttingDown()) {
    item.closeNow()
    return
  }
  const hook = host.config.connContext
  const sc = new ServerConn(connInfo(++conns.accepted, item, hook !== undefined || host.config.connState !== undefined), item, host)
  conns.open.add(sc)
  runFork(hook === undefined ? sc.serve : serveWithConnContext(hook, sc, item))
}

/**
 * One fiber checks every connection's deadlines, often enough for the shortest timeout (and at
 * least once a second), and parks connections idle since its last tick.
 */
const reaper = (config: ResolvedServerConfig, clock: Clock.Clock, conns: OpenConns<ServedConn>): Effect.Effect<never> => {
  const timeouts = [config.readHeaderTimeoutMs, config.readTimeoutMs, config.readTotalTimeoutMs, config.writeTimeoutMs, config.writeTotalTimeoutMs, config.idleTimeoutMs].filter((t) => t > 0)
  const tick = Math.max(5, Math.min(1000, Math.floor(Math.min(10_000, ...timeouts) / 10)))
  return Effect.forever(Effect.zipRight(
    Effect.sleep(tick),
    Effect.sync(() => {
      const now = clock.unsafeCurrentTimeMillis()
      for (const c of conns.open) {
        c.check(now)
        c.park()
      }
    })
  ))
}

/** The protocols a TLS listener offers in ALPN, most wanted first (Go's server prefers h2). */
const alpnOffer = (config: ResolvedServerConfig): Array<string> => {
  const offer: Array<string> = []
  if (config.http2) offer.push("h2")
  if (config.http1) offer.push("http/1.1")
  return offer
}

/** What the server shares with its connections. */
const connHost = <E, R>(
  options: ServerOptions<E, R>,
  config: ResolvedServerConfig,
  clock: Clock.Clock,
  conns: OpenConns<ServedConn>,
  runFork: (effect: Effect.Effect<void>) => Fiber.RuntimeFiber<void, never>
): ConnHost => {
  const host: ConnHost = {
    start: (sc) => {
      runFork(sc.resume)
    },
    fork: (effect, services) =>
      runFork(services === undefined ? effect : Effect.mapInputContext(effect, (own: Context.Context<never>) => Context.merge(own, services))),
    handOver: config.http2 || config.unencryptedHTTP2
      ? (sc, taken) => {
        // Added before the HTTP/1 side's fiber ends and forgets it: the server never sees the connection gone.
        conns.open.add(new H2ServerConn(sc.info, sc.conn, host, sc.connServices, taken))
      }
      : undefined,
    config,
    // The handler's requirements R are in the context every connection fiber inherits from the
    // layer's fiber, so it runs as it is.
    handler: options.handler as unknown as Handler<unknown, never>,
    clock,
    dates: new DateCache(),
    writes: new WriteBatch(),
    scheme: options.tls === undefined ? "http" : "https",
    shuttingDown: () => conns.closing,
    notReady: () => conns.notReady,
    forget: (conn) => conns.forget(conn)
  }
  return host
}

const make = <E, R>(options: ServerOptions<E, R>): Effect.Effect<ServerService, ListenError | InvalidConfig, Scope.Scope | R> =>
  Effect.gen(function*() {
    const config = yield* validateServerOptions(options)
    const clock = yield* Effect.clock
    // validateServerOptions: host and port are given when path is not.
    const listener = yield* listen({
      host: options.host ?? "localhost",
      port: options.port ?? 0,
      ...(options.path === undefined ? {} : { path: options.path }),
      ...(options.backlog === undefined ? {} : { backlog: options.backlog }),
      ...(options.tls === undefined ? {} : { tls: { ...options.tls, alpnProtocols: alpnOffer(config) } }),
      // PROXY protocol: the header's time limit defaults to readHeaderTimeout's.
      ...(options.proxyProtocol === undefined ? {} : { proxyProtocol: { trusted: options.proxyProtocol.trusted, timeout: options.proxyProtocol.timeout ?? config.readHeaderTimeoutMs } })
    })
    const conns = new OpenConns<ServedConn>()
    const scheduler = makeInlineScheduler()
    const readiness = ServerReadiness.of({ ready: Effect.sync(() => !conns.notReady), notReady: Deferred.await(conns.began) })
    // Every connection's fiber starts from this runtime (the layer's context and Clock) on the
    // inline scheduler: a new one in the listener's connection event, a parked one's next
    // when input comes, HTTP/2 streams. Handlers find ServerReadiness in their context.
    const runFork = Runtime.runFork(yield* Effect.withScheduler(Effect.runtime<never>(), scheduler).pipe(Effect.provideService(ServerReadiness, readiness)))
    const host = connHost(options, config, clock, conns, runFork)
    listener.push(acceptor(conns, host, runFork))
    const reaperFiber = yield* Effect.forkDaemon(reaper(config, clock, conns))
    const shutdown = new Shutdown(conns, listener.close, Fiber.interruptFork(reaperFiber), config.shutdownDelayMs)
    // Closing the Scope completes whatever the shutdown had to cut (the cut is logged).
    yield* Effect.addFinalizer(() =>
      Effect.catchTag(shutdown.stop(config.shutdownTimeoutMs), "ShutdownTimeout", (e) => Effect.logWarning(`effect-nethttp server: ${e.message}`))
    )
    const made: ServerService = { ...service(listener, host.scheme, conns, shutdown, config.shutdownTimeoutMs), ready: readiness.ready }
    // A cluster worker finds the server under any Layer this way (serverRegistry.ts).
    const registry = yield* Effect.serviceOption(ServerRegistry)
    if (registry._tag === "Some") registry.value.register(made)
    return made
  })

/** The service over a listening server. */
const service = (
  listener: Listener,
  scheme: "http" | "https",
  conns: OpenConns<ServedConn>,
  shutdown: Shutdown<ServedConn>,
  defaultGraceMs: number
): Omit<ServerService, "ready"> => {
  const bracketed = listener.host.includes(":") ? `[${listener.host}]` : listener.host
  return {
    host: listener.host,
    port: listener.port,
    url: listener.path === undefined ? `${scheme}://${bracketed}:${listener.port}` : `${scheme}://localhost`,
    path: listener.path,
    shutdown: (timeout) => shutdown.stop(timeout === undefined ? defaultGraceMs : Duration.toMillis(Duration.decode(timeout))),
    close: Effect.ignore(shutdown.stop(0)),
    closeConnections: conns.closeAll,
    stats: Effect.sync(() => {
      let idle = 0
      let h2Sessions = 0
      let h2Streams = 0
      for (const c of conns.open) {
        if (c.isIdle()) idle++
        if (c instanceof H2ServerConn) {
          h2Sessions++
          h2Streams += c.streams
        }
      }
      return { connections: conns.open.size, idle, accepted: conns.accepted, h2Sessions, h2Streams }
    })
  }
}

/**
 * Go's `http.Server`: listens and serves while its layer's Scope is open.
 *
 * @since 0.1.0
 * @category services
 */
export class Server extends Context.Tag("effect-nethttp/Server")<Server, ServerService>() {
  /** The effect behind `layer`: listens now and serves until the Scope closes (a graceful shutdown). */
  static make<E, R>(options: ServerOptions<E, R>): Effect.Effect<ServerService, ListenError | InvalidConfig, Scope.Scope | R> {
    return make(options)
  }

  /**
   * Listens on `options.host:options.port` (or the Unix socket at `options.path`) when built and serves `options.handler` until the
   * layer's Scope closes, which shuts down gracefully (see `ServerService.shutdown`). Fails
   * with `InvalidConfig` for a bad setting, before listening.
   */
  static layer<E, R>(options: ServerOptions<E, R>): Layer.Layer<Server, ListenError | InvalidConfig, R> {
    return Layer.scoped(Server, make(options))
  }
}
