/**
 * A lean `HttpApp.toHandled` for the common case `Serving` runs (HttpServer.ts): no middleware
 * and the platform's tracer middleware disabled (Effect's built-in tracer, where serverSpan.ts
 * makes the span). It keeps toHandled's semantics:
 *
 * - the app's response goes through the pre-response handlers (`HttpApp.currentPreResponseHandlers`,
 *   read when the response is ready) and then to `handleResponse`; a failure is turned into a
 *   response by `HttpServerError.causeResponse`, handled the same way, and the fiber fails with
 *   what is left of the cause (nothing for an interruption by the client);
 * - the app runs with a new request `Scope` in its context, closed with the app's exit unless it
 *   was ejected (`HttpApp.ejectDefaultScopeClose`: the platform's own set of ejected scopes is
 *   reached through its GlobalValue key; `available` is false if that ever stops working, and
 *   then the real `toHandled` is used);
 * - the whole runs uninterruptibly: `Serving` starts the app's fiber with interruption disabled,
 *   which is what toHandled's `Effect.uninterruptible` around everything amounts to.
 *
 * What it leaves out is toHandled's cost, about half of a trivial route's: the disabled tracer
 * middleware, an `Effect.uninterruptible` region and a second `withFiberRuntime`; and, as its
 * fiber already runs uninterruptible, `onExit`'s mask around the app, while its response hook
 * gets the fiber's context rather than reading it in a step of its own.
 *
 * What it relies on (Scope's shape, the ejected-scopes key, the handled marker, toHandled's
 * behaviour) was checked against the versions in `checkedAgainst`;
 * test/platform/handled.internals.test.ts fails, naming them, when the installed internals no longer match.
 *
 * @module
 */
import { HttpApp, HttpServerError, HttpServerRequest, type HttpServerResponse } from "@effect/platform"
import { Cause, Context, Effect, Exit, GlobalValue, Scope } from "effect"

/**
 * The versions of `effect` and `@effect/platform` whose internals this module was checked
 * against (see test/platform/handled.internals.test.ts). Update after re-checking.
 *
 * @internal
 */
export const checkedAgainst = { effect: "3.22.4", platform: "0.97.2" } as const

// toHandled's own marker of a handled request (read by its middleware path).
const handledSymbol = Symbol.for("@effect/platform/HttpApp/handled")

// The platform's set of scopes ejected from the default close (HttpApp.js keeps it under this key).
const ejectedScopes = GlobalValue.globalValue("@effect/platform/HttpApp/ejectedScopes", () => new WeakSet<Scope.Scope>())

// A scope as `Scope.make()` makes it, for its prototype and strategy: `makeScope` makes the
// request's scope without running an effect, so `Serving` puts it in the request's context
// directly (no `Scope.make` + `Scope.extend`, whose context merge copies every service).
const sample = Effect.runSync(Scope.make()) as unknown as {
  readonly strategy: unknown
  readonly state: { readonly _tag: string; readonly finalizers?: unknown }
}
const scopeProto: object = Object.getPrototypeOf(sample) as object

/** An open scope's state, as `Scope.make()` makes it (a class: one per request). */
class Open {
  readonly _tag = "Open"
  readonly finalizers = new Map<unknown, unknown>()
}

/** A new open request Scope, as `Scope.make()` makes it. */
export const makeScope = (): Scope.CloseableScope => {
  const scope = Object.create(scopeProto) as { strategy: unknown; state: unknown }
  scope.strategy = sample.strategy
  scope.state = new Open()
  return scope as unknown as Scope.CloseableScope
}

/**
 * Whether the lean path may be used: `ejectedScopes` is the platform's set, and a scope made by
 * `makeScope` is what `Scope.make()` makes (checked once, at load).
 */
export const available: boolean = (() => {
  const scope = Effect.runSync(Scope.make())
  HttpApp.ejectDefaultScopeClose(scope)
  if (!ejectedScopes.has(scope)) return false
  const keys = Object.keys(sample).sort().join(",")
  if (keys !== "state,strategy" || sample.state._tag !== "Open" || !(sample.state.finalizers instanceof Map)) return false
  // A made scope works: its finalizer runs on close.
  let closed = false
  const made = makeScope()
  Effect.runSync(Effect.zipRight(Scope.addFinalizer(made, Effect.sync(() => (closed = true))), Scope.close(made, Exit.void)))
  return closed && Object.getPrototypeOf(made) === Object.getPrototypeOf(scope)
})()

const markHandled = (request: HttpServerRequest.HttpServerRequest): void => {
  ;(request as unknown as Record<symbol, boolean>)[handledSymbol] = true
}

/**
 * toHandled's response hook, given the context of the fiber it runs in (so it needs no
 * `withFiberRuntime` of its own): undefined when its work is done, or an effect to run.
 */
export type HandleResponseIn = (
  context: Context.Context<never>,
  request: HttpServerRequest.HttpServerRequest,
  response: HttpServerResponse.HttpServerResponse
) => Effect.Effect<unknown> | undefined

/**
 * `HttpApp.toHandled(self, handleResponse)` without middleware, to run with interruption
 * disabled and a Scope from `makeScope` in the context, as the request's Scope (see the module):
 * that Scope is left out of the requirements, as toHandled leaves it out.
 */
export const toHandled = <E, R>(
  self: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>,
  handleResponse: HandleResponseIn
): Effect.Effect<HttpServerResponse.HttpServerResponse, unknown, Exclude<R, Scope.Scope>> => {
  /** Runs the pre-response handlers and `handleResponse` for `response`; yields the response handled. */
  const respond = (response: HttpServerResponse.HttpServerResponse): Effect.Effect<HttpServerResponse.HttpServerResponse, unknown> =>
    Effect.withFiberRuntime((fiber) => {
      const request = Context.unsafeGet(fiber.currentContext, HttpServerRequest.HttpServerRequest)
      const handler = fiber.getFiberRef(HttpApp.currentPreResponseHandlers)
      if (handler._tag === "None") {
        markHandled(request)
        const more = handleResponse(fiber.currentContext, request, response)
        return more === undefined ? Effect.succeed(response) : Effect.as(more, response)
      }
      return Effect.tap(handler.value(request, response), (response) =>
        Effect.withFiberRuntime((fiber) => {
          markHandled(request)
          return handleResponse(fiber.currentContext, request, response) ?? Effect.void
        }))
    })
  const withErrorHandling = Effect.catchAllCause(Effect.flatMap(self, respond), (cause) =>
    Effect.flatMap(HttpServerError.causeResponse(cause), ([response, cause]) =>
      Effect.zipRight(respond(response), Cause.isEmptyType(cause) ? Effect.succeed(response) : Effect.failCause(cause))))
  // The request's Scope is in the context already (`makeScope`, see `Serving`). The fiber runs
  // with interruption disabled from its start, so `onExit`'s mask would change nothing: the
  // Scope is closed after the app however it ended, the causes combined as `onExit` does.
  return Effect.withFiberRuntime((fiber) => {
    const scope = Context.unsafeGet(fiber.currentContext, Scope.Scope) as Scope.CloseableScope
    const close = (exit: Exit.Exit<unknown, unknown>): Effect.Effect<void> => (ejectedScopes.has(scope) ? Effect.void : Scope.close(scope, exit))
    return Effect.matchCauseEffect(withErrorHandling, {
      onFailure: (cause) =>
        Effect.matchCauseEffect(close(Exit.failCause(cause)), {
          onFailure: (closing) => Effect.failCause(Cause.sequential(cause, closing)),
          onSuccess: () => Effect.failCause(cause)
        }),
      onSuccess: (response) => Effect.as(close(Exit.succeed(response)), response)
    })
  }) as Effect.Effect<HttpServerResponse.HttpServerResponse, unknown, Exclude<R, Scope.Scope>>
}

