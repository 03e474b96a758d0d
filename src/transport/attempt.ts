/**
 * One round trip as the caller sees it (Go's `Transport.roundTrip` loop and
 * `persistConn.roundTrip`): get a connection from the pool, start the exchange and send, wait
 * for the response, hand it to the caller's use, and retry as Go does when a reused
 * connection failed before anything of the request could have been processed. Also where a
 * span is made (only when a real tracer is installed) and where the Scope of a streamed body
 * comes from (`ScopeSource`).
 *
 * @module
 * @internal
 */
import { Cause, Context, Effect, Option, Random, type Scope } from "effect"
import * as Body from "../domain/Body.js"
import { LazyScope } from "../domain/lazyScope.js"
import type { Request } from "../domain/Request.js"
import type { Response } from "../domain/Response.js"
import { isNativeTracer } from "../net/tracing.js"
import { ClientTrace, type ClientTraceHooks } from "./ClientTrace.js"
import type { ConnPool, Delivered, Waiter } from "./ConnPool.js"
import type { TransportError } from "./errors.js"
import { type Delivery, Exchange, type Failure } from "./PersistConn.js"
import { type Prepared, prepare, urlText } from "./prepare.js"
import { complete, completeDecoded, needsDecoding, streaming, streamingFrom, toError, upgraded } from "./receiveResponse.js"
import { H2Exchange } from "./h2/H2Exchange.js"
import { h2cFor } from "./dial.js"
import type { H2Session } from "./h2/H2Session.js"
import { Headers } from "../domain/Headers.js"
import { shouldRetry } from "./retry.js"
import { send } from "./sendRequest.js"
import type { TransportParts } from "./transportParts.js"

/**
 * Where the Scope of a streamed body or an upgraded connection comes from: the caller's
 * (`GivenScope`, `roundTripIn`), or one made on first need and closed after the caller's use
 * of the response (`LazyScope`, `roundTripWith`).
 */
export interface ScopeSource {
  readonly get: Effect.Effect<Scope.Scope>
  /** Wraps the caller's use of such a response (closing a Scope made for it). */
  readonly closingAfter: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}

/** A fresh `LazyScope` per run (`roundTripWith`). */
export const lazyScope = (): ScopeSource => new LazyScope()

/** A Scope from the caller's effect, run on first need (`roundTripIn`). */
export class GivenScope implements ScopeSource {
  constructor(readonly get: Effect.Effect<Scope.Scope>) {}

  closingAfter<A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> {
    return effect
  }
}

/** The primitive's use of a response: the response itself. */
export const giveResponse = (response: Response<TransportError>): Effect.Effect<Response<TransportError>> => Effect.succeed(response)

/** What an attempt holds, so that giving up gives back the right thing. */
class Held {
  waiter: Waiter | undefined = undefined
  delivered: Delivered | undefined = undefined
  exchange: Exchange | undefined = undefined
  /** The HTTP/2 exchange, when the request went on a session. */
  h2: H2Exchange | undefined = undefined
  /** The connection (or session) served an earlier request. */
  reused = false

  abandon(pool: ConnPool): void {
    if (this.h2 !== undefined) this.h2.abandon()
    else if (this.exchange !== undefined) this.delivered!.pc.abandon(this.exchange)
    else if (this.waiter !== undefined) pool.abandon(this.waiter)
  }
}

/** Go's `RoundTripOpt` retries of unprocessed HTTP/2 requests: at most 6. */
const MAX_H2_RETRIES = 6

/** The wait before retry `n` (0-based): at once, then 1 s, 2 s, 4 s ..., each plus up to 10% (Go's backoff and jitter), on Effect's Clock and Random. */
const h2Backoff = (n: number): Effect.Effect<void> => {
  if (n === 0) return Effect.void
  const base = 1000 * 2 ** (n - 1)
  return Effect.flatMap(Random.next, (r) => Effect.sleep(base + base * 0.1 * r))
}

/**
 * A round trip whose response goes to `use`; `scope` gives the Scope a streamed body or an
 * upgrade needs (a function when the source has state of its own, made anew per run).
 */
export const run = <E, A, E2, R2>(
  parts: TransportParts,
  request: Request<E>,
  scope: ScopeSource | (() => ScopeSource),
  use: (response: Response<TransportError>) => Effect.Effect<A, E2, R2>
): Effect.Effect<A, TransportError | E | E2, R2> =>
  Effect.withFiberRuntime((fiber) => {
    const trace = Option.getOrUndefined(Context.getOption(fiber.currentContext as Context.Context<unknown>, ClientTrace))
    const p = prepare(request, parts.config, parts.destinations)
    if (p._tag === "Invalid") return Effect.fail(p.error)
    const source = typeof scope === "function" ? scope() : scope
    // A span per round trip when a real tracer is installed (see net/tracing.ts).
    if (isNativeTracer(fiber.currentTracer)) return attempt(parts, p, request.body, trace, source, use)
    // The span says which protocol carried the exchange (OpenTelemetry's network.protocol.version).
    const annotated = (response: Response<TransportError>): Effect.Effect<A, E2, R2> =>
      Effect.zipRight(Effect.annotateCurrentSpan("network.protocol.version", response.proto === "HTTP/2.0" ? "2" : response.proto.slice(5)), use(response))
    const go = attempt(parts, p, request.body, trace, source, annotated)
    return Effect.withSpan(go, "http.client " + request.method, {
      kind: "client",
      attributes: { "http.request.method": request.method, "url.full": urlText(p), "server.address": p.dest.target.host, "server.port": p.dest.target.port }
    })
  })

/**
 * One attempt, then the response's use, retrying as Go does. Getting the connection, starting
 * the exchange and sending happen in callbacks inside one `Effect.async`, so no interruption
 * can fall between them. The attempt runs uninterruptibly but for the wait itself and the
 * caller's use of the response: an interruption during the wait resumes it with the
 * interruption, and the failure handler gives back whatever the attempt holds at that moment
 * (the wait needs no canceler, which would wrap it in a second mask). A streamed body's
 * finalizer is registered, and the Scope that closes it is in place, before the use becomes
 * interruptible.
 */
const attempt = <E, A, E2, R2>(
  parts: TransportParts,
  p: Prepared<E>,
  body: Body.Body<E>,
  trace: ClientTraceHooks | undefined,
  scope: ScopeSource,
  use: (response: Response<TransportError>) => Effect.Effect<A, E2, R2>,
  h2Retries = 0
): Effect.Effect<A, TransportError | E | E2, R2> => {
  const pool = parts.pool
  const held = new Held()
  const config = parts.config
  const wait: Effect.Effect<Delivery, Failure> = Effect.async<Delivery, Failure>((resume) => {
    trace?.getConn?.(p.dest.hostPort)
    let route = p.dest
    const startH2 = (s: H2Session, reused: boolean): void => {
      held.reused = reused
      const idle = reused && s.active === 0
      trace?.gotConn?.({ reused, wasIdle: idle, idleTimeMs: idle ? Math.max(0, parts.now() - s.idleSince) : 0, connId: s.id, protocol: "h2" })
      const ex = new H2Exchange(s, parts.h2Timers!, trace, config.max1xxResponses, config.expectContinueTimeoutMs)
      held.h2 = ex
      ex.resume = resume
      ex.start(p, body, parts.runFork)
      // Connection: close or disableKeepAlives: the session takes no other request (Go's doNotReuse).
      if (p.closeAfter) s.markGoingAway()
    }
    let mayH2 = false
    if (route.scheme === "https:" ? config.http2 : config.unencryptedHTTP2) {
      // A request that needs HTTP/1.1 (an upgrade) goes on a connection that offers only it.
      if (p.headers.size > 0 && p.headers.has("Upgrade")) route = route.h1Only()
      else {
        const s = pool.takeSession(route.key, config.h2StrictMaxConcurrentStreams)
        if (s !== undefined) return startH2(s, s.served > 0)
        mayH2 = route.scheme === "https:" || h2cFor(route, config)
      }
    }
    const w = pool.request(route.key, route, trace, mayH2)
    held.waiter = w
    const onConn = (d: Delivered | undefined, f: Failure | undefined): void => {
      if (d === undefined) return resume(Effect.fail(f!))
      w.taken = true
      if (d.session !== undefined) return startH2(d.session, d.reused)
      held.delivered = d
      held.reused = d.reused
      const pc = d.pc
      trace?.gotConn?.({ reused: d.reused, wasIdle: d.wasIdle, idleTimeMs: d.idleMs, connId: pc.id, protocol: "http/1.1" })
      const ex = new Exchange(p.request.method, p.closeAfter, trace)
      held.exchange = ex
      ex.resume = resume
      if (pc.begin(ex)) send(parts, pc, ex, p, body)
    }
    if (w.delivered !== undefined || w.failure !== undefined) onConn(w.delivered, w.failure)
    else w.notify = onConn
  })
  return Effect.uninterruptibleMask((restore) => Effect.matchCauseEffect(restore(wait), {
    onFailure: (cause): Effect.Effect<A, TransportError | E | E2, R2> => {
      held.abandon(pool)
      const reused = held.reused
      const failure = Option.getOrUndefined(Cause.failureOption(cause))
      if (failure === undefined) return Effect.failCause(cause as Cause.Cause<never>)
      if (failure.bodyError !== undefined) return Effect.fail(failure.bodyError.error as E)
      if (held.h2 !== undefined) {
        // HTTP/2 (Go's RoundTripOpt): an unprocessed stream never reached the handler: retried
        // whatever the method, when the body can be sent again (or was never touched: the
        // stream did not open), at most MAX_H2_RETRIES times; nothing else is retried.
        if (failure.unprocessed === true && h2Retries < MAX_H2_RETRIES) {
          const again = held.h2.stream === undefined ? Option.some(body) : Body.rewind(body)
          if (Option.isSome(again)) {
            return restore(Effect.zipRight(h2Backoff(h2Retries), attempt(parts, p, again.value, trace, scope, use, h2Retries + 1)))
          }
        }
        return Effect.fail(toError(p as Prepared<unknown>, failure, reused))
      }
      if (shouldRetry(p.request, { reused, nothingWritten: failure.nothingWritten, closedBeforeResponse: failure.closedBeforeResponse })) {
        const again = Body.rewind(body)
        if (Option.isSome(again)) return restore(attempt(parts, p, again.value, trace, scope, use))
      }
      return Effect.fail(toError(p as Prepared<unknown>, failure, reused))
    },
    onSuccess: (delivery): Effect.Effect<A, TransportError | E | E2, R2> => {
      const reused = held.reused
      switch (delivery._tag) {
        case "Complete": {
          // A coded body is decoded lazily, its decoder in a Scope as a streamed body's.
          if (needsDecoding(p, delivery)) {
            return Effect.flatMap(completeDecoded(p, delivery, scope.get, reused), (r) => scope.closingAfter(restore(use(r))))
          }
          const response = complete(p, delivery)
          // The primitive's own use (the response as it is) needs no interruptible region.
          return (use as unknown) === giveResponse ? use(response) : restore(use(response))
        }
        case "Streaming": {
          const h2 = held.h2
          if (h2 !== undefined) {
            const trailers = h2.trailers ??= Headers.empty()
            return Effect.flatMap(streamingFrom(p, delivery.head, h2.pull, () => h2.abandon(), trailers, scope.get, reused), (r) => scope.closingAfter(restore(use(r))))
          }
          return Effect.flatMap(streaming(p, held.delivered!.pc, held.exchange!, delivery.head, scope.get, reused), (r) => scope.closingAfter(restore(use(r))))
        }
        case "Upgrade":
          return Effect.flatMap(upgraded(p, held.delivered!.pc, delivery, scope.get), (r) => scope.closingAfter(restore(use(r))))
      }
    }
  }))
}
