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
 * handler inline, no fork per request); the accept loop backs off on errors as Go's does
 * (5 ms doubling to 1 s); a reaper fiber checks every connection's deadlines on the Clock,
 * so TestClock drives every timeout.
 *
 * @module
 */
import { Context, Deferred, Duration, Effect, Exit, Fiber, Layer, Runtime, type Scope } from "effect"
import { listen } from "../net/Listener.js"
import type { InvalidConfig } from "../domain/configErrors.js"
import type { ListenError } from "../net/errors.js"
import { connInfo, type ServerOptions, validateServerOptions } from "./config.js"
import { serveWithConnContext } from "./connContext.js"
import type { Handler } from "./Handler.js"
import { makeInlineScheduler } from "../net/inlineScheduler.js"
import { DateCache } from "./responseWriter.js"
import { ShutdownTimeout } from "./errors.js"
import { type ConnHost, ServerConn } from "./ServerConn.js"

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
}

/**
 * What the `Server` service offers.
 *
 * @since 0.1.0
 * @category services
 */
export interface ServerService {
  /** The bound address. */
  readonly host: string
  /** The bound port (the real one when 0 was asked for). */
  readonly port: number
  /** `http://host:port` (or https), for clients. */
  readonly url: string
  /**
   * A graceful shutdown (Go's `Shutdown`): stop accepting (new connections are refused), close
   * idle connections, let requests in flight finish (their responses say `Connection: close`)
   * for up to `timeout` (default: the server's `shutdownTimeout`), then interrupt the rest.
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
}

/** Go's accept backoff: 5 ms, doubling up to 1 s, after a failed accept. */
const backoff = (previous: number): number => (previous === 0 ? 5 : Math.min(previous * 2, 1000))

const make = <E, R>(options: ServerOptions<E, R>): Effect.Effect<ServerService, ListenError | InvalidConfig, Scope.Scope | R> =>
  Effect.gen(function*() {
    const config = yield* validateServerOptions(options)
    const clock = yield* Effect.clock
    const listener = yield* listen({
      host: options.host,
      port: options.port,
      ...(options.backlog === undefined ? {} : { backlog: options.backlog }),
      ...(options.tls === undefined ? {} : { tls: options.tls })
    })
    const scheme = options.tls === undefined ? "http" : "https"
    const conns = new Set<ServerConn>()
    const scheduler = makeInlineScheduler()
    let drainedWaiters: Array<() => void> = []
    const forgetWatchers = new Set<() => void>()
    let shuttingDown = false
    let accepted = 0

    // A parked connection's next fiber starts from this runtime (the layer's context and Clock)
    // on the same inline scheduler.
    const runFork = Runtime.runFork(yield* Effect.withScheduler(Effect.runtime<never>(), scheduler))
    const host: ConnHost = {
      start: (sc) => {
        runFork(sc.resume)
      },
      config,
      // The handler's requirements R are in the context every connection fiber inherits from
      // this layer's fiber, so it runs as it is.
      handler: options.handler as unknown as Handler<unknown, never>,
      clock,
      dates: new DateCache(),
      scheme,
      shuttingDown: () => shuttingDown,
      forget: (conn) => {
        conns.delete(conn)
        for (const watch of forgetWatchers) watch()
        if (conns.size === 0 && drainedWaiters.length > 0) {
          const waiters = drainedWaiters
          drainedWaiters = []
          for (const w of waiters) w()
        }
      }
    }

    const acceptLoop = Effect.gen(function*() {
      let delay = 0
      while (true) {
        const next = yield* Effect.either(listener.accept)
        if (next._tag === "Left") {
          delay = backoff(delay)
          yield* Effect.logWarning(`effect-nethttp server: ${next.left.message}; retrying in ${delay} ms`)
          yield* Effect.sleep(delay)
          continue
        }
        delay = 0
        const conn = next.right
        if (shuttingDown) {
          yield* conn.close
          continue
        }
        const sc = new ServerConn(connInfo(++accepted, conn), conn, host)
        conns.add(sc)
        const hook = config.connContext
        yield* Effect.forkDaemon(Effect.withScheduler(hook === undefined ? sc.serve : serveWithConnContext(hook, sc, conn), scheduler))
      }
    })
    const acceptFiber = yield* Effect.forkDaemon(acceptLoop)

    // One fiber checks every connection's deadlines, often enough for the shortest timeout
    // (and at least once a second), and parks connections idle since its last tick.
    const timeouts = [config.readHeaderTimeoutMs, config.readTimeoutMs, config.readTotalTimeoutMs, config.writeTimeoutMs, config.writeTotalTimeoutMs, config.idleTimeoutMs].filter((t) => t > 0)
    const tick = Math.max(5, Math.min(1000, Math.floor(Math.min(10_000, ...timeouts) / 10)))
    const reaper: Fiber.RuntimeFiber<void> = yield* Effect.forkDaemon(Effect.forever(Effect.zipRight(
      Effect.sleep(tick),
      Effect.sync(() => {
        const now = clock.unsafeCurrentTimeMillis()
        for (const c of conns) {
          c.check(now)
          c.park()
        }
      })
    )))

    const allClosed: Effect.Effect<void> = Effect.async<void>((resume) => {
      if (conns.size === 0) return resume(Effect.void)
      const w = () => resume(Effect.void)
      drainedWaiters.push(w)
      return Effect.sync(() => {
        drainedWaiters = drainedWaiters.filter((x) => x !== w)
      })
    })

    // Completes once none of `these` is open any more (checked on every connection's end).
    const closedAll = (these: ReadonlyArray<ServerConn>): Effect.Effect<void> =>
      Effect.async<void>((resume) => {
        const check = () => {
          if (these.some((c) => conns.has(c))) return
          forgetWatchers.delete(check)
          resume(Effect.void)
        }
        forgetWatchers.add(check)
        check()
        return Effect.sync(() => {
          forgetWatchers.delete(check)
        })
      })

    const stopped = yield* Deferred.make<void, ShutdownTimeout>()
    // `close` during a graceful shutdown ends its grace period at once.
    const graceCut = yield* Deferred.make<void>()
    let stopping = false
    const stop = (graceMs: number): Effect.Effect<void, ShutdownTimeout> =>
      Effect.suspend(() => {
        if (graceMs === 0) Deferred.unsafeDone(graceCut, Exit.void)
        if (stopping) return Deferred.await(stopped)
        stopping = true
        shuttingDown = true
        return Effect.gen(function*() {
          yield* Fiber.interruptFork(acceptFiber)
          yield* listener.close
          for (const c of conns) c.closeIfIdle()
          if (graceMs > 0) yield* Effect.raceAll([allClosed, Effect.sleep(graceMs), Deferred.await(graceCut)])
          // Connections still open now had requests in flight (idle ones were closed above).
          const cut = conns.size
          for (const c of conns) c.interrupt()
          yield* allClosed
          yield* Fiber.interruptFork(reaper)
          yield* Deferred.done(stopped, cut === 0 ? Exit.void : Exit.fail(new ShutdownTimeout({ timeoutMs: graceMs, interrupted: cut })))
          return yield* Deferred.await(stopped)
        }).pipe(Effect.uninterruptible)
      })

    // Closing the Scope completes whatever the shutdown had to cut (the cut is logged).
    yield* Effect.addFinalizer(() =>
      Effect.catchTag(stop(config.shutdownTimeoutMs), "ShutdownTimeout", (e) => Effect.logWarning(`effect-nethttp server: ${e.message}`))
    )

    const bracketed = listener.host.includes(":") ? `[${listener.host}]` : listener.host
    return {
      host: listener.host,
      port: listener.port,
      url: `${scheme}://${bracketed}:${listener.port}`,
      shutdown: (timeout) => stop(timeout === undefined ? config.shutdownTimeoutMs : Duration.toMillis(Duration.decode(timeout))),
      close: Effect.ignore(stop(0)),
      closeConnections: Effect.suspend(() => {
        const open = [...conns]
        for (const c of open) c.interrupt()
        return closedAll(open)
      }),
      stats: Effect.sync(() => {
        let idle = 0
        for (const c of conns) if (c.isIdle()) idle++
        return { connections: conns.size, idle, accepted }
      })
    } satisfies ServerService
  })

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
   * Listens on `options.host:options.port` when built and serves `options.handler` until the
   * layer's Scope closes, which shuts down gracefully (see `ServerService.shutdown`). Fails
   * with `InvalidConfig` for a bad setting, before listening.
   */
  static layer<E, R>(options: ServerOptions<E, R>): Layer.Layer<Server, ListenError | InvalidConfig, R> {
    return Layer.scoped(Server, make(options))
  }
}
