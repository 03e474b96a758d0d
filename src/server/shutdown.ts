/**
 * The server's open connections and its shutdown coordinator (Go's `Server.Shutdown` and
 * `Server.Close`).
 *
 * `OpenConns` is the set of connections being served: the acceptor adds to it, a
 * connection's fiber removes itself when it ends (`forget`), and waiters learn when all (or
 * some) of them are gone. `Shutdown` runs one graceful shutdown: stop accepting, close idle
 * connections, let requests in flight finish within a grace period, then interrupt the rest;
 * a later call (or the Scope's finalizer) gets the first call's result, and a `close` (grace
 * 0) during a shutdown ends its grace period at once.
 *
 * May touch: the connections through `ShutdownConn` only (close if idle, interrupt), and the
 * effects the server gives it to stop accepting and to stop its reaper. Nothing per request.
 *
 * @module
 * @internal
 */
import { Deferred, Effect, Exit, FiberId } from "effect"
import { ShutdownTimeout } from "./errors.js"

/**
 * What a shutdown asks of a connection.
 *
 * @internal
 */
export interface ShutdownConn {
  /** Closes the connection if it waits for a request with nothing of one received; true if it did. */
  closeIfIdle(): boolean
  /** Interrupts the connection's serve loop (it closes). */
  interrupt(): void
}

/**
 * What the server asks of every connection it serves, HTTP/1.x (`ServerConn`) or HTTP/2
 * (`H2ServerConn`): the reaper's tick, parking, idleness, and the shutdown's steps.
 *
 * @internal
 */
export interface ServedConn extends ShutdownConn {
  /** Checks the connection's deadlines at `now` (epoch ms). */
  check(now: number): void
  /** Asks an idle connection to give up its fiber until input comes. */
  park(): void
  /** Whether it waits for a request with nothing of one received. */
  isIdle(): boolean
}

/**
 * The connections being served, and who waits for them to close.
 *
 * @internal
 */
export class OpenConns<C extends ShutdownConn> {
  /** The connections open now. */
  readonly open = new Set<C>()
  /** Connections accepted since the server started. */
  accepted = 0
  /** A shutdown has begun: refuse new connections, answer with `Connection: close`, close when idle. */
  closing = false
  /**
   * A graceful shutdown has begun, from the start of its `shutdownDelay`: not ready (the
   * readiness probe answers 503), answers say `Connection: close`; `closing` follows after the delay.
   */
  notReady = false
  /** Completed when `notReady` turns true. */
  readonly began: Deferred.Deferred<void> = Deferred.unsafeMake<void>(FiberId.none)
  private drainedWaiters: Array<() => void> = []
  private readonly forgetWatchers = new Set<() => void>()

  /** A connection's fiber ended: it is no longer open. */
  forget(conn: C): void {
    this.open.delete(conn)
    for (const watch of this.forgetWatchers) watch()
    if (this.open.size === 0 && this.drainedWaiters.length > 0) {
      const waiters = this.drainedWaiters
      this.drainedWaiters = []
      for (const w of waiters) w()
    }
  }

  /** Completes once no connection is open. */
  readonly allClosed: Effect.Effect<void> = Effect.async<void>((resume) => {
    if (this.open.size === 0) return resume(Effect.void)
    const w = () => resume(Effect.void)
    this.drainedWaiters.push(w)
    return Effect.sync(() => {
      this.drainedWaiters = this.drainedWaiters.filter((x) => x !== w)
    })
  })

  /** Completes once none of `these` is open any more (checked on every connection's end). */
  closedAll(these: ReadonlyArray<C>): Effect.Effect<void> {
    return Effect.async<void>((resume) => {
      const check = () => {
        if (these.some((c) => this.open.has(c))) return
        this.forgetWatchers.delete(check)
        resume(Effect.void)
      }
      this.forgetWatchers.add(check)
      check()
      return Effect.sync(() => {
        this.forgetWatchers.delete(check)
      })
    })
  }

  /** Interrupts every connection open now and completes when they are closed (Go's httptest `CloseClientConnections`). */
  readonly closeAll: Effect.Effect<void> = Effect.suspend(() => {
    const open = [...this.open]
    for (const c of open) c.interrupt()
    return this.closedAll(open)
  })
}

/**
 * One server's graceful shutdown, run at most once.
 *
 * @internal
 */
export class Shutdown<C extends ShutdownConn> {
  private started = false
  private readonly stopped: Deferred.Deferred<void, ShutdownTimeout>
  /** Completed by a `close` (grace 0) during a graceful shutdown: its grace period ends at once. */
  private readonly graceCut: Deferred.Deferred<void>

  /**
   * @param stopAccepting closes the listener (new connections are refused).
   * @param afterClosed runs once every connection is closed (stops the reaper).
   * @param delayMs `shutdownDelay`: how long a graceful shutdown goes on accepting and serving
   *   (not ready) before it stops accepting; a `close` ends it at once.
   */
  constructor(
    private readonly conns: OpenConns<C>,
    private readonly stopAccepting: Effect.Effect<void>,
    private readonly afterClosed: Effect.Effect<void>,
    private readonly delayMs = 0
  ) {
    this.stopped = Deferred.unsafeMake<void, ShutdownTimeout>(FiberId.none)
    this.graceCut = Deferred.unsafeMake<void>(FiberId.none)
  }

  /**
   * Stops the server, giving requests in flight `graceMs` (0: none) to finish; fails with
   * `ShutdownTimeout` when some were cut. A later call has the first one's result.
   */
  stop(graceMs: number): Effect.Effect<void, ShutdownTimeout> {
    return Effect.suspend(() => {
      if (graceMs === 0) Deferred.unsafeDone(this.graceCut, Exit.void)
      if (this.started) return Deferred.await(this.stopped)
      this.started = true
      this.conns.notReady = true
      Deferred.unsafeDone(this.conns.began, Exit.void)
      if (this.delayMs === 0 || graceMs === 0) this.conns.closing = true
      return this.run(graceMs)
    })
  }

  private run(graceMs: number): Effect.Effect<void, ShutdownTimeout> {
    const conns = this.conns
    return Effect.gen(this, function*() {
      if (!conns.closing) {
        // shutdownDelay (Kubernetes' preStop sleep): not ready, still serving, so a balancer
        // stops sending before the listener closes. On the Clock; a `close` cuts it short.
        yield* Effect.raceAll([Effect.sleep(this.delayMs), Deferred.await(this.graceCut)])
        conns.closing = true
      }
      yield* this.stopAccepting
      for (const c of conns.open) c.closeIfIdle()
      if (graceMs > 0) yield* Effect.raceAll([conns.allClosed, Effect.sleep(graceMs), Deferred.await(this.graceCut), closeIdleAsTheyCome(conns)])
      // Connections still open now had requests in flight (idle ones were closed above).
      const cut = conns.open.size
      for (const c of conns.open) c.interrupt()
      yield* conns.allClosed
      yield* this.afterClosed
      yield* Deferred.done(this.stopped, cut === 0 ? Exit.void : Exit.fail(new ShutdownTimeout({ timeoutMs: graceMs, interrupted: cut })))
      return yield* Deferred.await(this.stopped)
    }).pipe(Effect.uninterruptible)
  }
}

// Go's Shutdown polls for idle connections until all are closed, every 1 ms at first, doubling
// to 500 ms: a connection whose answer was still on its way (not idle yet, see
// `ServerConn.isIdle`) is closed once idle, its client having had the time to send what it
// meant to send on it, which is then answered with `Connection: close`.
const closeIdleAsTheyCome = <C extends ShutdownConn>(conns: OpenConns<C>): Effect.Effect<never> =>
  Effect.suspend(() => {
    let waitMs = 1
    const poll: Effect.Effect<never> = Effect.flatMap(Effect.suspend(() => Effect.sleep(waitMs)), () => {
      for (const c of conns.open) c.closeIfIdle()
      waitMs = Math.min(waitMs * 2, 500)
      return poll
    })
    return poll
  })
