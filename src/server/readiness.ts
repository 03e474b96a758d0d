/**
 * Readiness for a load balancer: the `ServerReadiness` service, which the `Server` provides to
 * its handlers, and `health`, a handler answering a readiness probe (Kubernetes'
 * `readinessProbe`, an nginx or HAProxy health check) 200 while the server serves and 503 once
 * a graceful shutdown began, so the balancer stops sending before the listener closes (with
 * `ServerOptions.shutdownDelay`, the server goes on serving for that long after the flip).
 *
 * @module
 * @since 0.2.0
 */
import { Context, Effect, Option } from "effect"
import * as Body from "../domain/Body.js"
import { Headers } from "../domain/Headers.js"
import * as Status from "../domain/Status.js"
import type { Handler } from "./Handler.js"
import { ServerResponse } from "./ServerResponse.js"

/**
 * What a handler can learn of its server's shutdown.
 *
 * @since 0.2.0
 * @category models
 */
export interface ServerReadinessService {
  /** True while the server serves; false from the moment a graceful shutdown began (its `shutdownDelay` included). */
  readonly ready: Effect.Effect<boolean>
  /**
   * Completes when a graceful shutdown begins (`ready` turns false), at once if it has: a hook
   * for telling a service registry or a balancer before the listener closes.
   */
  readonly notReady: Effect.Effect<void>
}

/**
 * The readiness of the server a handler runs in. Every `Server` provides it to its handlers
 * (read it with `Effect.serviceOption(ServerReadiness)`: it is absent outside a server, e.g.
 * under `HttpTest.record`); `ServerService.ready` is the same fact from outside.
 *
 * @since 0.2.0
 * @category services
 */
export class ServerReadiness extends Context.Tag("effect-nethttp/ServerReadiness")<ServerReadiness, ServerReadinessService>() {}

const okResponse = (): ServerResponse =>
  new ServerResponse(Status.OK, Headers.unsafeFromArrays(["Content-Type", "Cache-Control"], ["text/plain; charset=utf-8", "no-store"]), Body.text("ok\n"), undefined, undefined)

const shuttingDownResponse = (): ServerResponse =>
  new ServerResponse(
    Status.ServiceUnavailable,
    Headers.unsafeFromArrays(["Content-Type", "Cache-Control", "Connection"], ["text/plain; charset=utf-8", "no-store", "close"]),
    Body.text("shutting down\n"),
    undefined,
    undefined
  )

/**
 * A readiness probe's handler: `200 ok` while the server serves, `503 shutting down` with
 * `Connection: close` once a graceful shutdown began (`ServerReadiness.ready` false), both
 * `Cache-Control: no-store`. Outside a server (no `ServerReadiness` in context) it answers 200.
 * Route it, e.g. `["GET /healthz", Handlers.health]`.
 *
 * @since 0.2.0
 * @category handlers
 */
export const health: Handler = () =>
  Effect.flatMap(Effect.serviceOption(ServerReadiness), (readiness) =>
    Option.isNone(readiness)
      ? Effect.sync(okResponse)
      : Effect.map(readiness.value.ready, (ready) => (ready ? okResponse() : shuttingDownResponse())))
