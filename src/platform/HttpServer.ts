/**
 * @effect/platform's `HttpServer.HttpServer` over our `Server`, so `HttpRouter`,
 * `HttpLayerRouter` and `HttpApi` applications run unchanged on it: the layer provides
 * `HttpServer | HttpPlatform | Etag.Generator`, as @effect/platform-node's `NodeHttpServer.layer`
 * does (less its `NodeContext`: an app that persists multipart uploads needs `FileSystem` and
 * `Path`, e.g. from `NodeContext.layer`).
 *
 * ```ts
 * const app = HttpRouter.empty.pipe(HttpRouter.get("/", HttpServerResponse.text("Hello, World!")))
 * HttpServer.serve(app).pipe(
 *   Layer.provide(NetHttpServer.layer({ host: "127.0.0.1", port: 8080 })),
 *   Layer.launch,
 *   NodeRuntime.runMain
 * )
 * ```
 *
 * How a request runs. The connection's fiber reads the request (our `Server`), then starts one
 * fiber for the app, as node:http's adapter does, in the runtime `serve` was called in (its
 * services and FiberRefs) with the request provided; the fiber starts at once on the connection's
 * scheduler and, for an app that does not wait, completes before control comes back, so the
 * connection's fiber takes its result without waiting. The app is wrapped by `HttpApp.toHandled`
 * (the platform's error handling, middleware, tracing and request Scope), whose response hook
 * only converts the response to ours (serverResponse.ts); the connection's fiber writes it.
 * Under Effect's built-in tracer without middleware (the usual case), a lean equivalent of
 * `toHandled` runs instead (handled.ts: same semantics, the request Scope made directly into the
 * request's context, the fiber started uninterruptible) and the server span is started and ended
 * around the fiber (serverSpan.ts's `prepare`): together about 40% less time per request.
 * A separate fiber keeps the connection safe from what the app does to its own fiber (an
 * `uninterruptible` route interrupted by itself still answers).
 *
 * A client that disconnects while the app runs interrupts it as
 * `HttpServerError.clientAbortFiberId`, so the platform reports a 499 (its logger, its tracer); a
 * shutdown's deadline or a write timeout interrupts it as the connection's fiber (a 503 for the
 * platform). In both cases the connection waits for the app to end.
 *
 * Until `serve` is called, or after its Scope closed, requests are answered 503. A later `serve`
 * replaces an earlier one while its Scope is open.
 *
 * @module
 * @since 0.1.0
 */
import { Etag, HttpApp, HttpMiddleware, HttpServer, HttpServerError, HttpServerRequest, type HttpPlatform } from "@effect/platform"
import { Config, type ConfigError, Context, Effect, Exit, Fiber, FiberRef, type FiberRefs, HashSet, Layer, Runtime, RuntimeFlags, type Scheduler, Scope, Tracer } from "effect"
import { constTrue } from "effect/Function"
import { WebSocketServer, type ServerOptions as WebSocketServerOptions } from "ws"
import type { ServerOptions } from "../server/config.js"
import { clientAbortFiberId } from "../server/Handler.js"
import { Server, type ServerService } from "../server/Server.js"
import type { ServerRequest } from "../server/ServerRequest.js"
import * as ServerResponse from "../server/ServerResponse.js"
import * as NetHttpPlatform from "./HttpPlatform.js"
import { CurrentExchange, Exchange, NetServerRequest } from "./serverRequest.js"
import * as Handled from "./handled.js"
import { isNativeTracer } from "../net/tracing.js"
import { handleResponse, keepResponse } from "./serverResponse.js"
import { prepare as prepareSpans, type ServerSpans, withServerSpan } from "./serverSpan.js"

/**
 * What `make` and `layer` take: our `Server`'s options, less the handler (the served app is it).
 *
 * @since 0.1.0
 * @category models
 */
export interface Options extends Omit<ServerOptions<never, never>, "handler"> {
  /** Options for the `ws` server that completes WebSocket upgrades (`noServer` is always set). */
  readonly webSocket?: Omit<WebSocketServerOptions, "noServer" | "server" | "port" | "host"> | undefined
}

// What `Runtime.make` and `Runtime.runFork` take, as classes: made per request (or per
// scheduler), and a literal's allocation site is pretenured once a burst of them survives a
// scavenge (ARCHITECTURE.md, V8 traps).
class RuntimeParts {
  constructor(
    readonly context: Context.Context<HttpServerRequest.HttpServerRequest>,
    readonly fiberRefs: FiberRefs.FiberRefs,
    readonly runtimeFlags: RuntimeFlags.RuntimeFlags
  ) {}
}

class ForkOptions {
  constructor(readonly scheduler: Scheduler.Scheduler) {}
}

/** The app of one `serve` call, with the runtime it was served in. */
class Serving {
  // The connections' scheduler (one per server) with the options that carry it.
  private forkOptions: ForkOptions | undefined = undefined
  // The runtime's services as parallel arrays: a request's context is copied from them with
  // `set` alone (`new Map(map)` walks the map with an iterator, an allocation per entry).
  private readonly serviceKeys: Array<string>
  private readonly serviceValues: Array<unknown>

  constructor(
    private readonly runtime: Runtime.Runtime<never>,
    private readonly app: Effect.Effect<unknown, unknown, HttpServerRequest.HttpServerRequest>,
    private readonly webSockets: Effect.Effect<WebSocketServer>,
    private readonly spans: ServerSpans | undefined,
    /** The app's fiber's flags: the runtime's, less interruption for the lean toHandled (handled.ts). */
    private readonly appFlags: RuntimeFlags.RuntimeFlags,
    /** Whether `app` is the lean toHandled, which takes the request's Scope from the context. */
    private readonly lean: boolean
  ) {
    this.serviceKeys = [...runtime.context.unsafeMap.keys()]
    this.serviceValues = [...runtime.context.unsafeMap.values()]
  }

  /** Runs the app for `request` in a fiber of its own; yields the response the app produced. */
  handle(request: ServerRequest): Effect.Effect<ServerResponse.ServerResponse<unknown>, unknown> {
    return Effect.withFiberRuntime((connFiber) => {
      const runtime = this.runtime
      const exchange = new Exchange(request, connFiber, runtime, this.webSockets)
      const platformRequest = new NetServerRequest(exchange, request.target)
      const services = new Map<string, unknown>()
      const keys = this.serviceKeys
      const values = this.serviceValues
      for (let i = 0; i < keys.length; i++) services.set(keys[i]!, values[i])
      services.set(HttpServerRequest.HttpServerRequest.key, platformRequest)
      services.set(CurrentExchange.key, exchange)
      const spans = this.spans
      const span = spans?.start(platformRequest)
      if (span !== undefined) services.set(Tracer.ParentSpan.key, span)
      if (this.lean) services.set(Scope.Scope.key, Handled.makeScope())
      const requestRuntime = Runtime.make(new RuntimeParts(Context.unsafeMake(services), runtime.fiberRefs, this.appFlags))
      const scheduler = connFiber.currentScheduler
      const forkOptions = this.forkOptions?.scheduler === scheduler ? this.forkOptions : (this.forkOptions = new ForkOptions(scheduler))
      const fiber = Runtime.runFork(requestRuntime, this.app, forkOptions)
      const exit = fiber.unsafePoll()
      if (exit === null) {
        if (span !== undefined) fiber.addObserver((exit) => spans!.end(span, exit))
        return this.await(exchange, fiber, connFiber)
      }
      if (span !== undefined) spans!.end(span, exit)
      return this.respond(exchange, exit)
    })
  }

  /**
   * Waits for the app's fiber. Interrupted (the client went away, a shutdown, a write timeout),
   * interrupts the app as the platform expects and waits for it to end.
   */
  private await(
    exchange: Exchange,
    fiber: Fiber.RuntimeFiber<unknown, unknown>,
    connFiber: Fiber.RuntimeFiber<unknown, unknown>
  ): Effect.Effect<ServerResponse.ServerResponse<unknown>, unknown> {
    const done = Effect.async<Exit.Exit<unknown, unknown>>((resume) => {
      const observer = (exit: Exit.Exit<unknown, unknown>) => resume(Effect.succeed(exit))
      fiber.addObserver(observer)
      return Effect.sync(() => fiber.removeObserver(observer))
    })
    return Effect.onInterrupt(done, (interruptors) =>
      Effect.suspend(() => {
        fiber.unsafeInterruptAsFork(HashSet.has(interruptors, clientAbortFiberId) ? HttpServerError.clientAbortFiberId : connFiber.id())
        return Fiber.await(fiber)
      })).pipe(Effect.flatMap((exit) => this.respond(exchange, exit)))
  }

  /** The response the app's fiber left, once it ended. */
  private respond(exchange: Exchange, exit: Exit.Exit<unknown, unknown>): Effect.Effect<ServerResponse.ServerResponse<unknown>, unknown> {
    const response = exchange.response
    if (response === undefined) {
      // toHandled always responds; this is a defect of the app's wrapper.
      return Exit.isFailure(exit) ? Effect.failCause(exit.cause) : Effect.dieMessage("the app ended without a response")
    }
    if (exchange.needsReadAhead(response)) return Effect.as(exchange.readAhead(), response)
    return Effect.succeed(response)
  }
}


const notServing: Effect.Effect<ServerResponse.ServerResponse> = Effect.sync(() => ServerResponse.status(503))

/**
 * An `HttpServer` over a new `Server` listening on `options.host:options.port` (0: any free
 * port, read it from `address`), or on the Unix socket at `options.path` (a `UnixAddress`), while the Scope is open; closing it shuts the server down
 * gracefully (see `ServerService.shutdown`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<HttpServer.HttpServer, HttpServerError.ServeError, Scope.Scope> =>
  Effect.map(makeWithServer(options), (made) => made.http)

/**
 * `make`, with the `Server` under it (its `stats`, `closeConnections`, `shutdown`), for tests.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeWithServer = (
  options: Options
): Effect.Effect<{ readonly http: HttpServer.HttpServer; readonly server: ServerService }, HttpServerError.ServeError, Scope.Scope> =>
  Effect.gen(function*() {
    const scope = yield* Effect.scope
    const { webSocket, ...serverOptions } = options
    const webSockets = yield* Effect.cached(
      Effect.acquireRelease(
        Effect.sync(() => new WebSocketServer({ ...webSocket, noServer: true })),
        (wss) => Effect.async<void>((resume) => wss.close(() => resume(Effect.void)))
      ).pipe(Scope.extend(scope))
    )
    // The apps served, the last one answering.
    let servings: ReadonlyArray<Serving> = []
    const context = yield* Layer.buildWithScope(
      Server.layer({
        ...serverOptions,
        handler: (request) => {
          const serving = servings[servings.length - 1]
          return serving === undefined ? notServing : serving.handle(request)
        }
      }),
      scope
    ).pipe(Effect.mapError((cause) => new HttpServerError.ServeError({ cause })))
    const server = Context.get(context, Server)
    const http = HttpServer.make({
      address: server.path !== undefined
        ? { _tag: "UnixAddress", path: server.path }
        : { _tag: "TcpAddress", hostname: server.host === "::" ? "0.0.0.0" : server.host, port: server.port },
      serve: (httpApp, middleware?: HttpMiddleware.HttpMiddleware) =>
        Effect.gen(function*() {
          let runtime = yield* Effect.runtime<never>()
          let app: Effect.Effect<unknown, unknown, HttpServerRequest.HttpServerRequest> = HttpApp.toHandled(httpApp, handleResponse, middleware)
          let appFlags = runtime.runtimeFlags
          let lean = false
          // Under Effect's built-in tracer the platform's server span costs about a third of a
          // trivial route's time, for attributes nothing exports: a lean span replaces it (see
          // serverSpan.ts). With another tracer the platform's middleware makes the full span.
          // Where it is exactly that span, it is started and ended around the app's fiber
          // instead of inside it (serverSpan.ts's `prepare`).
          let spans: ServerSpans | undefined = undefined
          if (isNativeTracer(yield* Effect.tracer)) {
            const disabledWhen = yield* FiberRef.get(HttpMiddleware.currentTracerDisabledWhen)
            runtime = Runtime.setFiberRef(runtime, HttpMiddleware.currentTracerDisabledWhen, constTrue)
            spans = prepareSpans(runtime.fiberRefs, runtime.context, disabledWhen)
            if (spans === undefined) app = withServerSpan(app, disabledWhen)
            else if (middleware === undefined && Handled.available) {
              // The tracer middleware is disabled and there is no other: the lean toHandled,
              // its uninterruptible region being the fiber's own flags.
              app = Handled.toHandled(httpApp, keepResponse)
              appFlags = RuntimeFlags.disable(runtime.runtimeFlags, RuntimeFlags.Interruption)
              lean = true
            }
          }
          const serving = new Serving(runtime, app, webSockets, spans, appFlags, lean)
          servings = [...servings, serving]
          yield* Effect.addFinalizer(() => Effect.sync(() => (servings = servings.filter((s) => s !== serving))))
        })
    })
    return { http, server }
  })

/**
 * The `HttpServer` layer alone (see `make`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerServer = (options: Options): Layer.Layer<HttpServer.HttpServer, HttpServerError.ServeError> =>
  Layer.scoped(HttpServer.HttpServer, make(options))

/**
 * The services an app's responses may need besides the server: `HttpPlatform` over `node:fs`
 * (file responses, with strong ETags) and a weak `Etag.Generator`, as `NodeHttpServer` provides.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerContext: Layer.Layer<HttpPlatform.HttpPlatform | Etag.Generator> = Layer.mergeAll(NetHttpPlatform.layer, Etag.layerWeak)

/**
 * `HttpServer | HttpPlatform | Etag.Generator`: a server on `options.host:options.port` and its context.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<HttpServer.HttpServer | HttpPlatform.HttpPlatform | Etag.Generator, HttpServerError.ServeError> =>
  Layer.merge(layerServer(options), layerContext)

/**
 * The address to listen on, for `layerConfig`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ListenConfig {
  readonly host: string
  readonly port: number
}

/**
 * `layer` with the address read from Config, e.g.
 * `layerConfig({ host: Config.string("HOST"), port: Config.integer("PORT") })`; the other options
 * are given as they are.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  listen: Config.Config.Wrap<ListenConfig>,
  options?: Omit<Options, "host" | "port">
): Layer.Layer<HttpServer.HttpServer | HttpPlatform.HttpPlatform | Etag.Generator, HttpServerError.ServeError | ConfigError.ConfigError> =>
  Layer.merge(
    Layer.scoped(HttpServer.HttpServer, Effect.flatMap(Config.unwrap(listen), (address) => make({ ...options, ...address }))),
    layerContext
  )
