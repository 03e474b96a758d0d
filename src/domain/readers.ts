/**
 * Readers of a message body (what `Response`'s `text`, `bytes`, `json`, `schemaJson`,
 * `bytesAtMost` and `textAtMost` run), and the cheap Scope the static readers give a response.
 *
 * Fast paths: a body that arrived whole (Empty, Bytes) is decoded directly, with no stream
 * machinery; a streamed body is read through its `pull` when it has one, into one growing
 * buffer (`ByteGatherer`), and decoded once at the end.
 *
 * @module
 * @since 0.1.0
 */
import { Cause, Context, Effect, Exit, FiberRef, Option, Scope, Stream } from "effect"
import type { ParseError } from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as Body from "./Body.js"
import { ByteGatherer } from "./ByteGatherer.js"
import { ResponseBodyError, ResponseBodyTooLarge } from "./errors.js"
import { LazyScope } from "./lazyScope.js"

// UTF-8, replacing invalid sequences and dropping a leading BOM (as fetch's `Response.text()`).
const decoder = new TextDecoder()

const EMPTY = new Uint8Array(0)

/** The bytes as text (UTF-8; invalid sequences become U+FFFD; a leading BOM is dropped). */
export const decode = (bytes: Uint8Array): string => (bytes.length === 0 ? "" : decoder.decode(bytes))

const EXCERPT = 64

const invalidJson = (text: string, error: unknown): ResponseBodyError =>
  new ResponseBodyError({
    reason: "invalid-json",
    detail: error instanceof Error ? error.message : String(error),
    excerpt: text.length > EXCERPT ? `${text.slice(0, EXCERPT)}…` : text,
    length: Buffer.byteLength(text)
  })

/** Parses `text` as JSON, or fails with a `ResponseBodyError` quoting its start. */
export const parseJson = (text: string): Effect.Effect<unknown, ResponseBodyError> => {
  try {
    return Effect.succeed(JSON.parse(text))
  } catch (error) {
    return Effect.fail(invalidJson(text, error))
  }
}

/** The whole body (Go's `io.ReadAll`): `Body.collect`. */
export const bytes = <E>(body: Body.Body<E>): Effect.Effect<Uint8Array, E> => Body.collect(body)

/** The whole body as UTF-8 text. */
export const text = <E>(body: Body.Body<E>): Effect.Effect<string, E> => {
  switch (body._tag) {
    case "Empty":
      return Effect.succeed("")
    case "Bytes":
      return Effect.sync(() => decode(body.bytes))
    default:
      return Effect.map(Body.collect(body), decode)
  }
}

/** The whole body parsed as JSON. */
export const json = <E>(body: Body.Body<E>): Effect.Effect<unknown, E | ResponseBodyError> => {
  switch (body._tag) {
    case "Bytes":
      return Effect.suspend(() => parseJson(decode(body.bytes)))
    default:
      return Effect.flatMap(text(body), parseJson)
  }
}

/** A reader of a body as JSON decoded by `schema` (the decoder is made once, here). */
export const schemaJson = <A, I, R>(
  schema: Schema.Schema<A, I, R>
): <E>(body: Body.Body<E>) => Effect.Effect<A, E | ResponseBodyError | ParseError, R> => {
  const decodeUnknown = Schema.decodeUnknown(schema)
  return (body) => Effect.flatMap(json(body), (u) => decodeUnknown(u))
}

// A limit as a count of bytes: a negative or NaN limit counts as 0, a fraction is rounded down.
const limitOf = (n: number): number => (n > 0 ? Math.floor(n) : 0)

/**
 * At most `limit` bytes of the body: the whole body when it is no longer, else a failure with
 * `ResponseBodyTooLarge` as soon as the bytes read (or the declared length) pass the limit.
 * Reading stops there, and the rest of the body is given up (`StreamBody.release`: a
 * response's connection is closed) when the body can be.
 */
export const bytesAtMost = <E>(body: Body.Body<E>, n: number): Effect.Effect<Uint8Array, E | ResponseBodyTooLarge> => {
  const limit = limitOf(n)
  switch (body._tag) {
    case "Empty":
      return Effect.succeed(EMPTY)
    case "Bytes": {
      const length = body.bytes.length
      return length <= limit
        ? Effect.succeed(body.bytes)
        : Effect.fail(new ResponseBodyTooLarge({ limit, received: length, contentLength: length }))
    }
    case "Stream":
    case "Rewindable": {
      const length = body.length
      // Past the limit the rest is given up at once, when the body can be (its connection closed).
      const release = body._tag === "Stream" ? body.release : undefined
      if (length !== undefined && length > limit) {
        return releasing(release, Effect.fail(new ResponseBodyTooLarge({ limit, received: 0, contentLength: length })))
      }
      const read = body._tag === "Stream" && body.pull !== undefined
        ? pullAtMost(body.pull, limit, length)
        : streamAtMost(Body.toStream(body), limit, length)
      return release === undefined ? read : Effect.catchTag(read, "ResponseBodyTooLarge", (e) => releasing(release, Effect.fail(e)))
    }
  }
}

const releasing = <A, E>(release: Effect.Effect<void> | undefined, effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
  release === undefined ? effect : Effect.zipRight(release, effect)

/** At most `limit` bytes of the body as UTF-8 text (see `bytesAtMost`). */
export const textAtMost = <E>(body: Body.Body<E>, n: number): Effect.Effect<string, E | ResponseBodyTooLarge> =>
  Effect.map(bytesAtMost(body, n), decode)

const tooLarge = (limit: number, received: number, length: number | undefined): ResponseBodyTooLarge =>
  new ResponseBodyTooLarge({ limit, received, contentLength: length })

// Pulls chunks into one buffer until the end or the limit, without the Stream machinery.
const pullAtMost = <E>(
  pull: Effect.Effect<Uint8Array, Option.Option<E>>,
  limit: number,
  length: number | undefined
): Effect.Effect<Uint8Array, E | ResponseBodyTooLarge> =>
  Effect.suspend(() => {
    const gathered = new ByteGatherer(length ?? -1)
    const loop: Effect.Effect<Uint8Array, E | ResponseBodyTooLarge> = Effect.matchEffect(pull, {
      onFailure: (e) => (Option.isNone(e) ? Effect.succeed(gathered.result()) : Effect.fail(e.value)),
      onSuccess: (chunk) => {
        const received = gathered.size + chunk.length
        if (received > limit) return Effect.fail(tooLarge(limit, received, length))
        gathered.push(chunk)
        return loop
      }
    })
    return loop
  })

// The same over a Stream: the fold stops (and the stream's resources are released) at the limit.
const streamAtMost = <E>(
  stream: Stream.Stream<Uint8Array, E>,
  limit: number,
  length: number | undefined
): Effect.Effect<Uint8Array, E | ResponseBodyTooLarge> =>
  Effect.suspend(() => {
    const gathered = new ByteGatherer(length ?? -1)
    let received = 0
    return Effect.flatMap(
      Stream.runFoldWhile(stream, gathered, () => received <= limit, (g, chunk) => {
        received += chunk.length
        if (received <= limit) g.push(chunk)
        return g
      }),
      (g) => (received > limit ? Effect.fail(tooLarge(limit, received, length)) : Effect.succeed(g.result()))
    )
  })

/**
 * The cheaper channel for a Scope: an effect that needs a Scope only for what it returns (a
 * response whose body is still arriving) may also be run with the Scope given as an effect,
 * run only when needed, instead of through the context. The Client's verbs are such effects;
 * the static readers use it, so `Response.text(client.get(url))` changes no context and
 * makes no Scope for a body that arrived whole.
 *
 * @since 0.1.0
 * @category models
 */
export const ScopeIn: unique symbol = Symbol.for("effect-nethttp/ScopeIn")

/**
 * An effect needing a Scope (`Effect<A, E, R>` with `Scope` in R) that can also take it as an
 * effect, run only when needed (see {@link ScopeIn}). `[ScopeIn]` is called when the effect
 * would run (once per run), never when it is built.
 *
 * @since 0.1.0
 * @category models
 */
export interface ScopeTaker<A, E> {
  readonly [ScopeIn]: <R>(scope: Effect.Effect<Scope.Scope, never, R>) => Effect.Effect<A, E, R>
}

const isScopeTaker = (u: unknown): u is ScopeTaker<unknown, unknown> =>
  typeof u === "object" && u !== null && ScopeIn in u

/**
 * The cheapest channel of all: an effect giving a response that can run the read of its body
 * itself, inside the round trip (as `Transport.roundTripWith` does), so that no Scope is made
 * or passed around for a body that arrived whole and no region guards the response between
 * the round trip and the read. The Client's verbs have it; it gives `undefined` when it
 * cannot (a Client with middleware, a request with a timeout), and the reader falls back to
 * {@link ScopeIn}. Called when the effect would run, once per run.
 * @internal
 */
export const ReadIn: unique symbol = Symbol.for("effect-nethttp/ReadIn")

/** @internal */
export interface ReadTaker<E1, E> {
  readonly [ReadIn]: <A, E3, R3>(read: (body: Body.Body<E1>) => Effect.Effect<A, E3, R3>) => Effect.Effect<A, E | E3, R3> | undefined
}

const isReadTaker = (u: ScopeTaker<unknown, unknown>): u is ScopeTaker<unknown, unknown> & ReadTaker<unknown, unknown> => ReadIn in u

/**
 * Runs `effect` (which needs a Scope: a response whose body lives in it) with a Scope made
 * here, then `read` on its response's body, and closes the Scope with the outcome, whatever it
 * is (success, failure, interruption), as `Effect.scoped` would.
 *
 * An effect that takes its Scope as an effect ({@link ScopeIn}, the Client's verbs) gets one
 * made only when its response needs it (a body still arriving); the context is untouched. Any
 * other effect gets the Scope through the context, for itself only (`read` runs in the
 * caller's context): cheaper than `Effect.scoped` (or `Effect.provideService` +
 * `Effect.onExit`), which wraps the effect twice in an uninterruptible region; here one region
 * does both, setting the context's Scope and restoring it by hand.
 */
export const scopedRead = <E1, E2, R, A, E3, R3>(
  effect: Effect.Effect<{ readonly body: Body.Body<E1> }, E2, R>,
  read: (body: Body.Body<E1>) => Effect.Effect<A, E3, R3>
): Effect.Effect<A, E2 | E3, Exclude<R, Scope.Scope> | R3> =>
  isScopeTaker(effect)
    ? (isReadTaker(effect)
      ? readIn(effect as unknown as ScopeTaker<{ readonly body: Body.Body<E1> }, E2> & ReadTaker<E1, E2>, read)
      : takerRead(effect as unknown as ScopeTaker<{ readonly body: Body.Body<E1> }, E2>, read)) as Effect.Effect<A, E2 | E3, R3>
    : contextRead(effect, read)

const readIn = <E1, E2, A, E3, R3>(
  effect: ScopeTaker<{ readonly body: Body.Body<E1> }, E2> & ReadTaker<E1, E2>,
  read: (body: Body.Body<E1>) => Effect.Effect<A, E3, R3>
): Effect.Effect<A, E2 | E3, R3> => Effect.suspend(() => effect[ReadIn](read) ?? takerRead(effect, read))

/**
 * `take`'s response (`take` is given the Scope as an effect, see {@link ScopeIn}) read by
 * `read` in a Scope made only if needed and closed after the read, as the static readers do.
 * @internal
 */
export const readTaking = <E1, E2, A, E3, R3>(
  take: (scope: Effect.Effect<Scope.Scope>) => Effect.Effect<{ readonly body: Body.Body<E1> }, E2>,
  read: (body: Body.Body<E1>) => Effect.Effect<A, E3, R3>
): Effect.Effect<A, E2 | E3, R3> => takerRead(new TakeScope(take), read)

class TakeScope<A, E> implements ScopeTaker<A, E> {
  constructor(readonly take: (scope: Effect.Effect<Scope.Scope>) => Effect.Effect<A, E>) {}
  [ScopeIn]<R>(scope: Effect.Effect<Scope.Scope, never, R>): Effect.Effect<A, E, R> {
    // `scope` runs in the reader's fiber, whose context meets R.
    return this.take(scope as Effect.Effect<Scope.Scope>)
  }
}

// The Scope given as an effect: nothing to do after a read that needed none. A body that arrived
// whole (Empty, Bytes) runs nothing that could ask for a Scope, so when none was made by the
// time the response is there, the read runs after the uninterruptible region, unguarded (a
// `restore` fewer); otherwise it runs inside, and the Scope closes with its outcome.
const takerRead = <E1, E2, A, E3, R3>(
  effect: ScopeTaker<{ readonly body: Body.Body<E1> }, E2>,
  read: (body: Body.Body<E1>) => Effect.Effect<A, E3, R3>
): Effect.Effect<A, E2 | E3, R3> => {
  // The Scope is made per run (in the mask's callback): the effect may run many times.
  const guarded = Effect.uninterruptibleMask((restore) => {
    const scope = new LazyScope()
    return Effect.matchCauseEffect(restore(effect[ScopeIn](scope)), {
      onFailure: (cause) => (scope.made === undefined ? Effect.failCause(cause) : closeWith(scope.made, Exit.failCause(cause))),
      onSuccess: (response): Effect.Effect<A | Whole<E1>, E3, R3> => {
        const body = response.body
        if (scope.made === undefined && (body._tag === "Empty" || body._tag === "Bytes")) return Effect.succeed(new Whole(body))
        // Whoever made the Scope (the response, or something its body runs), it closes here.
        return Effect.flatMap(Effect.exit(restore(read(body))), (exit) => (scope.made === undefined ? exit : closeWith(scope.made, exit)))
      }
    })
  })
  return Effect.flatMap(guarded, (out) => (out instanceof Whole ? read(out.body) : Effect.succeed(out)))
}

/** A body that arrived whole, handed out of `takerRead`'s uninterruptible region to be read. */
class Whole<E> {
  constructor(readonly body: Body.Body<E>) {}
}

const contextRead = <E1, E2, R, A, E3, R3>(
  effect: Effect.Effect<{ readonly body: Body.Body<E1> }, E2, R>,
  read: (body: Body.Body<E1>) => Effect.Effect<A, E3, R3>
): Effect.Effect<A, E2 | E3, Exclude<R, Scope.Scope> | R3> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(Scope.make(), (scope) =>
      Effect.withFiberRuntime<A, E2 | E3, Exclude<R, Scope.Scope> | R3>((fiber) => {
        const outer = fiber.currentContext
        const back = FiberRef.set(FiberRef.currentContext, outer)
        return Effect.zipRight(
          FiberRef.set(FiberRef.currentContext, Context.add(outer, Scope.Scope, scope)),
          Effect.matchCauseEffect(restore(effect as Effect.Effect<{ readonly body: Body.Body<E1> }, E2>), {
            onFailure: (cause) => Effect.zipRight(back, closeWith(scope, Exit.failCause(cause))),
            onSuccess: (response) =>
              Effect.zipRight(
                back,
                Effect.flatMap(Effect.exit(restore(read(response.body))), (exit) => closeWith(scope, exit))
              )
          })
        )
      })))

// Closes `scope` with `exit`, then ends as `exit` (a defect of a finalizer added after a failure).
// A success closes it with `Exit.void`, not the value read: a closed Scope keeps its exit, and
// whatever still references the Scope (a connection's last exchange) would keep the whole body
// alive with it, past the young generation (measured: 1 MiB bodies read with `Response.bytes`
// made 7x more full GCs, and half the throughput, when the Scope kept them).
const closeWith = <A, E>(scope: Scope.CloseableScope, exit: Exit.Exit<A, E>): Effect.Effect<A, E> =>
  Effect.matchCauseEffect(Scope.close(scope, Exit.isSuccess(exit) ? Exit.void : exit), {
    onFailure: (cause) => Effect.failCause(Exit.isFailure(exit) ? Cause.sequential(exit.cause, cause) : cause),
    onSuccess: () => exit
  })
