/**
 * The Transport's implementation: Go's `Transport.roundTrip` and `persistConn.roundTrip`
 * over the {@link ConnPool} and {@link PersistConn}. Builds the service value that
 * `Transport.layer` provides.
 *
 * A warm round trip costs: one pool transition (a connection handed over synchronously), one
 * socket write of head and body, one wait for the read loop to complete the exchange. Forks
 * happen only for dials, streamed request bodies and 100-continue.
 *
 * @module
 */
import { Cause, Context, Effect, ExecutionStrategy, Exit, FiberSet, Option, Scope, Stream } from "effect"
import * as Body from "../domain/Body.js"
import { Headers } from "../domain/Headers.js"
import type { ResponseHead } from "../domain/http1/MessageHead.js"
import * as Writer from "../domain/http1/writer.js"
import type { Request } from "../domain/Request.js"
import { Response } from "../domain/Response.js"
import type { DialerService } from "../net/Dialer.js"
import { ConnError } from "../net/errors.js"
import { WriteBatch } from "../net/WriteBatch.js"
import { ClientTrace, type ClientTraceHooks } from "./ClientTrace.js"
import type { ResolvedConfig } from "./config.js"
import { connect } from "./connect.js"
import { ConnPool, type Delivered, type Waiter } from "./ConnPool.js"
import { TransportError } from "./errors.js"
import { gunzipBytes, gunzipPull, type Pull } from "./gzip.js"
import { type Delivery, Exchange, type Failure, PersistConn } from "./PersistConn.js"
import { Destinations, type Prepared, prepare, urlText } from "./prepare.js"
import { shouldRetry } from "./retry.js"
import type { Route } from "./route.js"
import { fromRoundTrip, type RoundTrip } from "./roundTrip.js"
import type { PoolStats, TransportService } from "./Transport.js"
import { UpgradeResponse, withBuffered } from "./UpgradeResponse.js"

/** Builds the Transport service in the Layer's Scope. */
export const make = (dialer: DialerService, config: ResolvedConfig): Effect.Effect<TransportService, never, Scope.Scope> =>
  Effect.gen(function*() {
    const clock = yield* Effect.clock
    // Effect's built-in tracer, as the default runtime has it.
    const nativeTracer = Effect.runSync(Effect.tracer)
    const destinations = new Destinations(config.proxy)
    const writes = new WriteBatch()
    const runFork = yield* FiberSet.makeRuntime<never, unknown, unknown>()
    const now = () => clock.unsafeCurrentTimeMillis()

    // The idle-expiry timer (Go arms one AfterFunc per idle connection; one fiber does here).
    let timerWake: (() => void) | undefined

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
        wentIdle: () => {
          const wake = timerWake
          if (wake !== undefined) {
            timerWake = undefined
            wake()
          }
        },
        startDial: (key, route, dial, trace) => {
          runFork(dialOne(key, route, dial, trace))
        }
      }
    )

    const dialOne = (key: string, route: Route, dial: number, trace: ClientTraceHooks | undefined) =>
      Effect.gen(function*() {
        const connScope = yield* Scope.make()
        const exit = yield* Effect.exit(Scope.extend(connect(dialer, route, config, trace), connScope))
        if (Exit.isFailure(exit)) {
          yield* Scope.close(connScope, exit)
          const failure = firstFailure(exit.cause)
          if (failure !== undefined) pool.dialFailed(key, dial, failure)
          return
        }
        const conn = exit.value
        const owner = {
          release: pool.release,
          idleClosed: pool.idleClosed,
          after: pool.after,
          closed: (pc: PersistConn) => {
            pool.closed(pc)
            runFork(Scope.close(connScope, Exit.void))
          }
        }
        const pc = new PersistConn(pool.connId(), key, conn, owner, config.max1xxResponses, config.maxResponseHeaderBytes, config.responseHeaderTimeoutMs, writes)
        runFork(pc.readLoop)
        pool.dialed(key, dial, pc)
      }).pipe(Effect.onInterrupt(() => Effect.sync(() => pool.dialFailed(key, dial, shutdownDial))))

    // With nothing idle it waits for a connection to go idle, then sleeps a whole timeout: that
    // connection expires no sooner, and one waiting to look again at once would be woken by
    // every release of a busy pool, and mostly find the connection taken again.
    const expire = Effect.sync(() => pool.expire())
    const sleepTimeout = Effect.zipRight(Effect.sleep(config.idleConnTimeoutMs), expire)
    const awaitIdle = Effect.zipRight(
      Effect.async<void>((resume) => {
        timerWake = () => resume(Effect.void)
        return Effect.sync(() => {
          timerWake = undefined
        })
      }),
      sleepTimeout
    )
    const expiryTimer: Effect.Effect<void> = Effect.suspend(() => {
      const next = pool.nextExpiry()
      const wait = next === undefined ? awaitIdle : Effect.zipRight(Effect.sleep(Math.max(0, next - now())), expire)
      return Effect.zipRight(wait, expiryTimer)
    })
    if (config.idleConnTimeoutMs > 0) runFork(expiryTimer)

    // Runs first when the Scope closes (finalizers run in reverse): connections close, waiters
    // and exchanges fail with `shutdown`; then the FiberSet interrupts the fibers.
    yield* Effect.addFinalizer(() => Effect.sync(() => pool.close()))

    // -----------------------------------------------------------------------------------------
    // Sending

    /** Writes head and body: one write for a small body, a fiber for a stream or 100-continue. */
    const send = <E>(pc: PersistConn, ex: Exchange, p: Prepared<E>, body: Body.Body<E>): void => {
      const request = p.request
      const length = Body.contentLength(body)
      const framing = Writer.requestFraming(request.method, length)
      const trailers = framing._tag === "Chunked" ? request.trailers : undefined
      const init = new HeadInit(
        request.method,
        p.target,
        request.host,
        p.headers,
        framing,
        p.closeAfter,
        p.acceptGzip,
        trailers !== undefined && trailers.size > 0 ? trailers.names() : undefined
      )
      const expect = p.expectContinue && length !== 0
      if (!expect && body._tag === "Empty") return pc.writeWhole(ex, Writer.formatRequestHead(init))
      if (!expect && body._tag === "Bytes") return pc.writeWhole(ex, Writer.encodeRequest(init, body.bytes))
      runFork(writeStreaming(pc, ex, init, body, length, expect, trailers))
    }

    const writeStreaming = <E>(
      pc: PersistConn,
      ex: Exchange,
      init: Writer.RequestHeadInit,
      body: Body.Body<E>,
      length: number | undefined,
      expect: boolean,
      trailers: Headers | undefined
    ): Effect.Effect<void> => {
      const conn = pc.conn
      const chunked = init.framing._tag === "Chunked"
      let written = 0
      let first = true
      const write = (data: Uint8Array) =>
        Effect.suspend(() => {
          ex.wroteSome = true
          return conn.write(data).pipe(Effect.tap(() => {
            first = false
          }))
        })
      const program: Effect.Effect<void, E | ConnError | LengthMismatch> = Effect.gen(function*() {
        yield* write(Buffer.from(Writer.formatRequestHead(init), "latin1"))
        ex.trace?.wroteHeaders?.()
        if (expect) {
          const go = yield* (config.expectContinueTimeoutMs > 0
            ? pc.awaitContinue(ex).pipe(Effect.timeoutTo({
              duration: config.expectContinueTimeoutMs,
              onTimeout: () => true,
              onSuccess: (go) => go
            }))
            : Effect.succeed(true))
          if (!go) {
            // A final status came instead of 100 Continue: the body is not sent, and the
            // connection cannot carry another request (the server may still expect it).
            ex.bodySkipped = true
            return
          }
        }
        yield* Stream.runForEach(Body.toStream(body), (chunk): Effect.Effect<void, ConnError | LengthMismatch> => {
          if (chunk.length === 0) return Effect.void
          written += chunk.length
          if (length !== undefined && written > length) return Effect.fail(new LengthMismatch(length, written))
          return write(chunked ? Writer.encodeChunk(chunk) : chunk)
        })
        if (length !== undefined && written !== length) return yield* Effect.fail(new LengthMismatch(length, written))
        if (chunked) yield* write(Writer.encodeLastChunk(trailers))
      })
      return program.pipe(
        Effect.matchCause({
          onSuccess: () => pc.wrote(ex),
          onFailure: (cause) => {
            const error = firstFailure(cause)
            if (error instanceof ConnError) pc.writeFailed(ex, error, first)
            else if (error instanceof LengthMismatch) pc.writeFailed(ex, new Error(error.message), first, undefined, "invalid-request")
            else if (error !== undefined) pc.writeFailed(ex, error, first, { error })
            else pc.writeFailed(ex, new Error("writing the request was interrupted"), first)
          }
        })
      )
    }

    // -----------------------------------------------------------------------------------------
    // Responses

    const toError = (p: Prepared<unknown>, f: Failure, reused: boolean): TransportError =>
      new TransportError({
        phase: f.phase,
        reason: f.reason,
        reused,
        method: p.request.method,
        url: urlText(p),
        detail: f.detail,
        ...(f.code !== undefined ? { code: f.code } : {}),
        ...(f.cause !== undefined ? { cause: f.cause } : {})
      })

    const gzipped = (p: Prepared<unknown>, head: ResponseHead): boolean =>
      p.acceptGzip && head.headers.get("Content-Encoding")?.toLowerCase() === "gzip"

    const responseOf = <E>(
      p: Prepared<E>,
      head: ResponseHead,
      headers: Headers,
      body: Body.Body<TransportError>,
      trailers: Headers | undefined
    ): Response<TransportError> =>
      new Response<TransportError>({
        status: head.status,
        statusText: head.reason,
        proto: head.proto,
        headers,
        body,
        trailers,
        request: p.request as Request<unknown>
      })

    // Go removes these when it decompresses (the length and coding no longer describe the body).
    const withoutCoding = (headers: Headers): Headers => headers.delete("Content-Encoding").delete("Content-Length")

    const complete = <E>(
      p: Prepared<E>,
      d: Extract<Delivery, { _tag: "Complete" }>,
      reused: boolean
    ): Response<TransportError> | TransportError => {
      const head = d.head
      if (d.body.length > 0 && gzipped(p, head)) {
        const plain = gunzipBytes(d.body)
        if (plain._tag === "Left") {
          return toError(p, { phase: "reading-body", reason: "decompress", detail: plain.left, nothingWritten: false, closedBeforeResponse: false }, reused)
        }
        return responseOf(p, head, withoutCoding(head.headers), Body.bytes(plain.right), d.trailers)
      }
      return responseOf(p, head, head.headers, d.body.length === 0 ? Body.empty : Body.bytes(d.body), d.trailers)
    }

    const streaming = <E>(
      p: Prepared<E>,
      pc: PersistConn,
      ex: Exchange,
      head: ResponseHead,
      scope: Effect.Effect<Scope.Scope>,
      reused: boolean
    ): Effect.Effect<Response<TransportError>> => {
      const gz = gzipped(p, head)
      if (head.framing === "chunked") ex.trailers = Headers.empty()
      let pull: Pull<Failure> = pc.pullBody(ex)
      let releaseDecoder = () => {}
      if (gz) {
        const g = gunzipPull(pull, (detail): Failure => ({ phase: "reading-body", reason: "decompress", detail, nothingWritten: false, closedBeforeResponse: false }))
        pull = g.pull
        releaseDecoder = g.release
      }
      // The body gets a Scope of its own inside the caller's, closed at the end of the body, so
      // a long-lived caller Scope does not collect one finalizer per response.
      return Effect.flatMap(scope, (outer) =>
        Effect.flatMap(Scope.fork(outer, ExecutionStrategy.sequential), (bodyScope) => {
          const done = Scope.close(bodyScope, Exit.void)
          const pullOut: Effect.Effect<Uint8Array, Option.Option<TransportError>> = Effect.catchAll(pull, (e) =>
            Option.isNone(e)
              ? Effect.zipRight(done, Effect.fail(Option.none()))
              : Effect.zipRight(done, Effect.fail(Option.some(toError(p, e.value, reused)))))
          const length = !gz && head.framing === "length" ? head.contentLength : undefined
          const body = Body.stream(Stream.repeatEffectOption(pullOut), length, pullOut, done)
          const response = responseOf(p, head, gz ? withoutCoding(head.headers) : head.headers, body, ex.trailers)
          return Effect.as(
            Scope.addFinalizer(bodyScope, Effect.sync(() => {
              releaseDecoder()
              pc.abandon(ex)
            })),
            response
          )
        }))
    }

    const upgraded = <E>(
      p: Prepared<E>,
      pc: PersistConn,
      d: Extract<Delivery, { _tag: "Upgrade" }>,
      scope: Effect.Effect<Scope.Scope>
    ): Effect.Effect<Response<TransportError>> =>
      Effect.as(
        Effect.flatMap(scope, (s) => Scope.addFinalizer(s, pc.conn.close)),
        new UpgradeResponse(
          { status: d.head.status, statusText: d.head.reason, proto: d.head.proto, headers: d.head.headers, body: Body.empty, trailers: undefined, request: p.request as Request<unknown> },
          withBuffered(pc.conn, d.buffered)
        )
      )

    // -----------------------------------------------------------------------------------------
    // Attempts, retries, and the caller's use of the response

    /**
     * One attempt, then the response's use, retrying as Go does. Getting the connection,
     * starting the exchange and sending happen in callbacks inside one `Effect.async`, so no
     * interruption can fall between them. The attempt runs uninterruptibly but for the wait
     * itself and the caller's use of the response: an interruption during the wait resumes
     * it with the interruption, and the failure handler gives back whatever the attempt holds
     * at that moment (the wait needs no canceler, which would wrap it in a second mask). A
     * streamed body's finalizer is registered, and the Scope that closes it is in place,
     * before the use becomes interruptible.
     */
    const attempt = <E, A, E2, R2>(
      p: Prepared<E>,
      body: Body.Body<E>,
      trace: ClientTraceHooks | undefined,
      scope: ScopeSource,
      use: (response: Response<TransportError>) => Effect.Effect<A, E2, R2>
    ): Effect.Effect<A, TransportError | E | E2, R2> => {
      const held = new Held()
      const wait: Effect.Effect<Delivery, Failure> = Effect.async<Delivery, Failure>((resume) => {
        trace?.getConn?.(p.dest.hostPort)
        const w = pool.request(p.dest.key, p.dest, trace)
        held.waiter = w
        const onConn = (d: Delivered | undefined, f: Failure | undefined): void => {
          if (d === undefined) return resume(Effect.fail(f!))
          w.taken = true
          held.delivered = d
          const pc = d.pc
          trace?.gotConn?.({ reused: d.reused, wasIdle: d.wasIdle, idleTimeMs: d.idleMs, connId: pc.id })
          const ex = new Exchange(p.request.method, p.closeAfter, trace)
          held.exchange = ex
          ex.resume = resume
          if (pc.begin(ex)) send(pc, ex, p, body)
        }
        if (w.delivered !== undefined || w.failure !== undefined) onConn(w.delivered, w.failure)
        else w.notify = onConn
      })
      return Effect.uninterruptibleMask((restore) => Effect.matchCauseEffect(restore(wait), {
        onFailure: (cause): Effect.Effect<A, TransportError | E | E2, R2> => {
          held.abandon(pool)
          const reused = held.delivered?.reused ?? false
          const failure = Option.getOrUndefined(Cause.failureOption(cause))
          if (failure === undefined) return Effect.failCause(cause as Cause.Cause<never>)
          if (failure.bodyError !== undefined) return Effect.fail(failure.bodyError.error as E)
          if (shouldRetry(p.request, { reused, nothingWritten: failure.nothingWritten, closedBeforeResponse: failure.closedBeforeResponse })) {
            const again = Body.rewind(body)
            if (Option.isSome(again)) return restore(attempt(p, again.value, trace, scope, use))
          }
          return Effect.fail(toError(p as Prepared<unknown>, failure, reused))
        },
        onSuccess: (delivery): Effect.Effect<A, TransportError | E | E2, R2> => {
          const reused = held.delivered!.reused
          switch (delivery._tag) {
            case "Complete": {
              const response = complete(p, delivery, reused)
              if (response instanceof TransportError) return Effect.fail(response)
              // The primitive's own use (the response as it is) needs no interruptible region.
              return (use as unknown) === giveResponse ? use(response) : restore(use(response))
            }
            case "Streaming":
              return Effect.flatMap(streaming(p, held.delivered!.pc, held.exchange!, delivery.head, scope.get, reused), (r) => scope.use(restore(use(r))))
            case "Upgrade":
              return Effect.flatMap(upgraded(p, held.delivered!.pc, delivery, scope.get), (r) => scope.use(restore(use(r))))
          }
        }
      }))
    }

    /**
     * A round trip whose response goes to `use`; `scope` gives the Scope a streamed body or an
     * upgrade needs (a function when the source has state of its own, made anew per run).
     */
    const run = <E, A, E2, R2>(
      request: Request<E>,
      scope: ScopeSource | (() => ScopeSource),
      use: (response: Response<TransportError>) => Effect.Effect<A, E2, R2>
    ): Effect.Effect<A, TransportError | E | E2, R2> =>
      Effect.withFiberRuntime((fiber) => {
        const trace = Option.getOrUndefined(Context.getOption(fiber.currentContext as Context.Context<unknown>, ClientTrace))
        const p = prepare(request, config, destinations)
        if (p._tag === "Invalid") return Effect.fail(p.error)
        const go = attempt(p, request.body, trace, typeof scope === "function" ? scope() : scope, use)
        // A span per round trip when a real tracer is installed; Effect's built-in tracer records
        // nothing, and a span costs about 10 µs, a whole round trip's budget.
        if (fiber.currentTracer === nativeTracer) return go
        return Effect.withSpan(go, "http.client " + request.method, {
          kind: "client",
          attributes: { "http.request.method": request.method, "url.full": urlText(p), "server.address": p.dest.target.host, "server.port": p.dest.target.port }
        })
      })

    // The one primitive: the Scope comes from the caller's effect, run only for a streamed body
    // or an upgrade; the Transport's other methods derive from it (Transport.fromRoundTrip).
    // `scope` runs in the caller's fiber (or one it forks, which inherits its context), so its
    // requirements R are met there: the cast only carries R to the result's type.
    const roundTrip: RoundTrip = <E, R>(request: Request<E>, scope: Effect.Effect<Scope.Scope, never, R>) =>
      run(request, new GivenScope(scope as Effect.Effect<Scope.Scope>), giveResponse) as Effect.Effect<Response<TransportError>, TransportError | E, R>
    const service = fromRoundTrip(roundTrip, {
      closeIdleConnections: Effect.sync(() => pool.closeIdleConnections()),
      stats: Effect.sync((): PoolStats => pool.stats())
    })
    // The same as the derived `roundTripWith`, without its Effect.onExit: the attempt closes a
    // Scope made for the response around `use` itself (see `attempt`). A wrapped Transport uses
    // the derived one.
    return { ...service, roundTripWith: (request, use) => run(request, lazyScope, use) } satisfies TransportService
  })

/** The primitive's use of a response: the response itself. */
const giveResponse = (response: Response<TransportError>): Effect.Effect<Response<TransportError>> => Effect.succeed(response)

/** A request head to write; a class, not an object literal, so that V8 never pretenures it (see PoolState). */
class HeadInit implements Writer.RequestHeadInit {
  constructor(
    readonly method: string,
    readonly target: string,
    readonly host: string,
    readonly headers: Headers,
    readonly framing: Writer.OutgoingFraming,
    readonly close: boolean,
    readonly acceptGzip: boolean,
    readonly trailerNames: ReadonlyArray<string> | undefined
  ) {}
}

/** What an attempt holds, so that giving up gives back the right thing. */
class Held {
  waiter: Waiter | undefined = undefined
  delivered: Delivered | undefined = undefined
  exchange: Exchange | undefined = undefined

  abandon(pool: ConnPool): void {
    if (this.exchange !== undefined) this.delivered!.pc.abandon(this.exchange)
    else if (this.waiter !== undefined) pool.abandon(this.waiter)
  }
}

/** Where the Scope of a streamed body or an upgraded connection comes from. */
interface ScopeSource {
  readonly get: Effect.Effect<Scope.Scope>
  /** Wraps the caller's use of such a response (closing a Scope made for it). */
  readonly use: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}

/** A Scope made on first need and closed after the caller's use (`roundTripWith`). */
class LazyScope implements ScopeSource {
  private made: Scope.CloseableScope | undefined = undefined

  get get(): Effect.Effect<Scope.Scope> {
    return this.made !== undefined ? Effect.succeed(this.made) : Effect.tap(Scope.make(), (s) => {
      this.made = s
    })
  }

  use<A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> {
    const made = this.made
    // A success closes it with `Exit.void`, not the value: a closed Scope keeps its exit, and
    // the connection's last exchange still references the Scope, which would keep the value
    // (a whole body read by `use`) alive past the young generation (7x the full GCs, measured).
    return made === undefined ? effect : Effect.onExit(effect, (exit) => Scope.close(made, Exit.isSuccess(exit) ? Exit.void : exit))
  }
}

const lazyScope = (): ScopeSource => new LazyScope()

/** A Scope from the caller's effect, run on first need (`roundTripIn`). */
class GivenScope implements ScopeSource {
  constructor(readonly get: Effect.Effect<Scope.Scope>) {}

  use<A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> {
    return effect
  }
}



const firstFailure = <E>(cause: Cause.Cause<E>): E | undefined => Option.getOrUndefined(Cause.failureOption(cause))

const shutdownDial: Failure = {
  phase: "pool-wait",
  reason: "shutdown",
  detail: "the Transport was shut down while dialing",
  nothingWritten: true,
  closedBeforeResponse: false
}

class LengthMismatch {
  readonly message: string
  constructor(readonly declared: number, readonly actual: number) {
    this.message = `the request body declared ${declared} bytes but produced ${actual === declared + 1 ? "more" : actual}`
  }
}
