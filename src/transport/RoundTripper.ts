/**
 * The Transport's implementation: Go's `Transport.roundTrip` and `persistConn.roundTrip`
 * over the {@link ConnPool} and {@link PersistConn}. Builds the service value that
 * `Transport.layer` provides, from its parts: dialing (`dial.ts`), the idle-expiry timer
 * (`idleExpiry.ts`), sending (`sendRequest.ts`), responses (`receiveResponse.ts`), and the
 * attempt with its retries and span (`attempt.ts`), which share one `TransportParts`.
 *
 * A warm round trip costs: one pool transition (a connection handed over synchronously), one
 * socket write of head and body, one wait for the read loop to complete the exchange. Forks
 * happen only for dials, streamed request bodies and 100-continue.
 *
 * @module
 */
import { Effect, FiberSet, type Scope } from "effect"
import type { Request } from "../domain/Request.js"
import type { Response } from "../domain/Response.js"
import type { DialerService } from "../net/Dialer.js"
import { WriteBatch } from "../net/WriteBatch.js"
import { giveResponse, GivenScope, lazyScope, run } from "./attempt.js"
import type { ResolvedConfig } from "./config.js"
import { ConnPool } from "./ConnPool.js"
import { ConnTimers } from "./connTimers.js"
import { dialOne } from "./dial.js"
import type { TransportError } from "./errors.js"
import { IdleExpiry } from "./idleExpiry.js"
import { Destinations } from "./prepare.js"
import { fromRoundTrip, type RoundTrip } from "./roundTrip.js"
import type { PoolStats, TransportService } from "./transportService.js"
import { TransportParts } from "./transportParts.js"

/** Builds the Transport service in the Layer's Scope. */
export const make = (dialer: DialerService, config: ResolvedConfig): Effect.Effect<TransportService, never, Scope.Scope> =>
  Effect.gen(function*() {
    const clock = yield* Effect.clock
    const now = () => clock.unsafeCurrentTimeMillis()
    const runFork = yield* FiberSet.makeRuntime<never, unknown, unknown>()
    // One timer fiber per timeout that runs, for all exchanges and connections (connTimers.ts).
    const timers = new ConnTimers(config.responseHeaderTimeoutMs, config.bodyTimeoutMs, config.keepAliveTimeoutThresholdMs, config.idleConnTimeoutMs, now, runFork)
    const parts = new TransportParts(config, dialer, new Destinations(config.proxy, config.socketPath), new WriteBatch(), runFork, timers)
    const expiry = new IdleExpiry(() => parts.pool, config.idleConnTimeoutMs, now)
    const pool = new ConnPool(
      {
        maxIdleConns: config.maxIdleConns,
        maxIdleConnsPerHost: config.disableKeepAlives ? 0 : config.maxIdleConnsPerHost,
        maxConnsPerHost: config.maxConnsPerHost,
        idleConnTimeoutMs: config.idleConnTimeoutMs
      },
      {
        now,
        after: (millis, f) => {
          runFork(Effect.sleep(millis).pipe(Effect.zipRight(Effect.sync(f))))
        },
        wentIdle: () => expiry.wentIdle(),
        startDial: (key, route, dial, trace) => {
          runFork(dialOne(parts, key, route, dial, trace))
        }
      }
    )
    parts.pool = pool
    parts.now = now
    if (config.idleConnTimeoutMs > 0) runFork(expiry.timer)

    // Runs first when the Scope closes (finalizers run in reverse): connections close, waiters
    // and exchanges fail with `shutdown`; then the FiberSet interrupts the fibers.
    yield* Effect.addFinalizer(() => Effect.sync(() => pool.close()))

    // The one primitive: the Scope comes from the caller's effect, run only for a streamed body
    // or an upgrade; the Transport's other methods derive from it (Transport.fromRoundTrip).
    // `scope` runs in the caller's fiber (or one it forks, which inherits its context), so its
    // requirements R are met there: the cast only carries R to the result's type.
    const roundTrip: RoundTrip = <E, R>(request: Request<E>, scope: Effect.Effect<Scope.Scope, never, R>) =>
      run(parts, request, new GivenScope(scope as Effect.Effect<Scope.Scope>), giveResponse) as Effect.Effect<Response<TransportError>, TransportError | E, R>
    const service = fromRoundTrip(roundTrip, {
      closeIdleConnections: Effect.sync(() => pool.closeIdleConnections()),
      stats: Effect.sync((): PoolStats => pool.stats())
    })
    // The same as the derived `roundTripWith`, without its Effect.onExit: the attempt closes a
    // Scope made for the response around `use` itself (see `attempt.ts`). A wrapped Transport
    // uses the derived one.
    return { ...service, roundTripWith: (request, use) => run(parts, request, lazyScope, use) } satisfies TransportService
  })
