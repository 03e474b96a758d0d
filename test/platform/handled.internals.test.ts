/**
 * What handled.ts relies on in `effect` and `@effect/platform` internals: the shape of the Scope
 * `Scope.make()` makes (cloned by `makeScope`), the platform's set of ejected scopes (reached
 * through its GlobalValue key), toHandled's marker of a handled request, and toHandled's
 * behaviour, which the lean `toHandled` copies. Every failure names the versions handled.ts was
 * checked against (`checkedAgainst`) and the installed ones, read from node_modules.
 */
import { HttpApp, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, ExecutionStrategy, Exit, GlobalValue, Scope } from "effect"
import { readFileSync } from "node:fs"
import * as Handled from "../../src/platform/handled.js"

const installedVersion = (pkg: string): string =>
  (JSON.parse(readFileSync(new URL(`../../node_modules/${pkg}/package.json`, import.meta.url), "utf8")) as { version: string }).version

const installed = { effect: installedVersion("effect"), platform: installedVersion("@effect/platform") }

/** The failure message: what no longer holds, and the versions checked against and installed. */
const relies = (what: string): string =>
  `handled.ts relies on ${what}, which no longer holds. It was checked against effect ${Handled.checkedAgainst.effect} ` +
  `and @effect/platform ${Handled.checkedAgainst.platform}; installed are effect ${installed.effect} and ` +
  `@effect/platform ${installed.platform}. Re-check handled.ts against effect's scopeUnsafeMake ` +
  `(internal/fiberRuntime.ts) and @effect/platform's HttpApp.toHandled, then update checkedAgainst.`

const handledSymbol = Symbol.for("@effect/platform/HttpApp/handled")

interface Result {
  readonly handled: ReadonlyArray<string>
  readonly marked: boolean
  readonly scopeExit: string
  readonly exit: string
}

const describeCause = (cause: Cause.Cause<unknown>): string =>
  Cause.isInterruptedOnly(cause)
    ? "interrupted"
    : [...Array.from(Cause.failures(cause), (e) => `fail ${String(e)}`), ...Array.from(Cause.defects(cause), (d) => `die ${String(d)}`)].join("; ")

const describeExit = (exit: Exit.Exit<unknown, unknown> | undefined): string =>
  exit === undefined ? "open" : Exit.isSuccess(exit) ? "success" : `failure(${describeCause(exit.cause)})`

/**
 * Runs `app` (which sees the request Scope) through `run`, recording the responses handed to
 * handleResponse, whether the request was marked handled, how its Scope was closed, and the exit.
 */
const observe = (
  app: Effect.Effect<HttpServerResponse.HttpServerResponse, unknown, Scope.Scope>,
  run: (
    app: Effect.Effect<HttpServerResponse.HttpServerResponse, unknown, Scope.Scope>,
    handle: (request: HttpServerRequest.HttpServerRequest, response: HttpServerResponse.HttpServerResponse) => Effect.Effect<void>
  ) => Effect.Effect<unknown, unknown, HttpServerRequest.HttpServerRequest>,
  preResponse?: (request: HttpServerRequest.HttpServerRequest, response: HttpServerResponse.HttpServerResponse) => Effect.Effect<HttpServerResponse.HttpServerResponse>
): Effect.Effect<Result> =>
  Effect.gen(function*() {
    const request = HttpServerRequest.fromWeb(new Request("http://localhost/"))
    const handled: Array<string> = []
    let scopeExit: Exit.Exit<unknown, unknown> | undefined = undefined
    const watched = Effect.zipRight(
      Effect.flatMap(Effect.scope, (scope) => Scope.addFinalizer(scope, Effect.sync(() => undefined)).pipe(
        Effect.zipRight(Scope.addFinalizerExit(scope, (exit) => Effect.sync(() => (scopeExit = exit))))
      )),
      app
    )
    const handle = (_: HttpServerRequest.HttpServerRequest, response: HttpServerResponse.HttpServerResponse) =>
      Effect.sync(() => void handled.push(`${response.status} ${response.headers["x-pre"] ?? ""}`))
    let program = Effect.provideService(run(watched, handle), HttpServerRequest.HttpServerRequest, request)
    if (preResponse !== undefined) program = HttpApp.appendPreResponseHandler(preResponse).pipe(Effect.zipRight(program))
    const exit = yield* Effect.exit(program)
    return { handled, marked: handledSymbol in request, scopeExit: describeExit(scopeExit), exit: Exit.isSuccess(exit) ? "success" : describeExit(exit) }
  })

/** The platform's toHandled (its default middleware path); succeeds with void. */
const real = (
  app: Effect.Effect<HttpServerResponse.HttpServerResponse, unknown, Scope.Scope>,
  handle: (request: HttpServerRequest.HttpServerRequest, response: HttpServerResponse.HttpServerResponse) => Effect.Effect<void>
) => HttpApp.toHandled(app, handle)

/** The lean one, as `Serving` runs it: a Scope from makeScope in the context, interruption off. */
const lean = (
  app: Effect.Effect<HttpServerResponse.HttpServerResponse, unknown, Scope.Scope>,
  handle: (request: HttpServerRequest.HttpServerRequest, response: HttpServerResponse.HttpServerResponse) => Effect.Effect<void>
) => Effect.uninterruptible(Effect.provideService(Handled.toHandled(app, (_, request, response) => handle(request, response)), Scope.Scope, Handled.makeScope()))

describe(`handled.ts against effect ${installed.effect}, @effect/platform ${installed.platform}`, () => {
  it("the lean path is available (its own load-time checks pass)", () => {
    expect(Handled.available, relies("the checks `available` runs at load (so the lean path is off)")).toBe(true)
  })

  it("Scope.make() makes { strategy, state: { _tag: Open, finalizers: Map } } on a shared prototype", () => {
    const a = Effect.runSync(Scope.make()) as unknown as Record<string, unknown> & { state: { _tag: string; finalizers: unknown } }
    const b = Effect.runSync(Scope.make())
    expect(Object.keys(a).sort(), relies("Scope.make()'s own fields being exactly strategy and state")).toEqual(["state", "strategy"])
    expect(a.state._tag, relies("an open Scope's state tag \"Open\"")).toBe("Open")
    expect(a.state.finalizers instanceof Map, relies("an open Scope's finalizers being a Map")).toBe(true)
    expect(Object.getPrototypeOf(a) === Object.getPrototypeOf(b), relies("every Scope sharing one prototype")).toBe(true)
    expect(Object.getPrototypeOf(Handled.makeScope()) === Object.getPrototypeOf(a), relies("makeScope's prototype being Scope's")).toBe(true)
  })

  it("a Scope from makeScope behaves as one from Scope.make(): finalizers, exit, fork, closed state", () => {
    const run = (make: () => Scope.CloseableScope): string =>
      Effect.runSync(Effect.gen(function*() {
        const log: Array<string> = []
        const scope = make()
        yield* Scope.addFinalizerExit(scope, (exit) => Effect.sync(() => void log.push(`first ${Exit.isSuccess(exit) ? exit.value : "failure"}`)))
        yield* Scope.addFinalizer(scope, Effect.sync(() => void log.push("second")))
        const child = yield* Scope.fork(scope, ExecutionStrategy.sequential)
        yield* Scope.addFinalizer(child, Effect.sync(() => void log.push("child")))
        yield* Scope.close(scope, Exit.succeed("done"))
        yield* Scope.addFinalizer(scope, Effect.sync(() => void log.push("after close")))
        yield* Scope.close(scope, Exit.void)
        return log.join(", ")
      }))
    const expected = run(() => Effect.runSync(Scope.make()))
    expect(expected).toBe("child, second, first done, after close")
    expect(run(Handled.makeScope), relies("a Scope made by makeScope behaving as Scope.make()'s")).toBe(expected)
  })

  it("HttpApp.ejectDefaultScopeClose adds to the set under the GlobalValue key handled.ts reads", () => {
    const set = GlobalValue.globalValue("@effect/platform/HttpApp/ejectedScopes", () => new WeakSet<Scope.Scope>())
    const scope = Effect.runSync(Scope.make())
    HttpApp.ejectDefaultScopeClose(scope)
    expect(set.has(scope), relies("the platform's ejected scopes living under \"@effect/platform/HttpApp/ejectedScopes\"")).toBe(true)
  })

  const cases: ReadonlyArray<{
    readonly name: string
    readonly app: Effect.Effect<HttpServerResponse.HttpServerResponse, unknown, Scope.Scope>
    readonly pre?: (request: HttpServerRequest.HttpServerRequest, response: HttpServerResponse.HttpServerResponse) => Effect.Effect<HttpServerResponse.HttpServerResponse>
  }> = [
    { name: "a response", app: Effect.succeed(HttpServerResponse.text("ok", { status: 201 })) },
    {
      name: "a response through a pre-response handler",
      app: Effect.succeed(HttpServerResponse.text("ok")),
      pre: (_, response) => Effect.succeed(HttpServerResponse.setHeader(response, "x-pre", "yes"))
    },
    { name: "a failure", app: Effect.fail("boom") },
    { name: "a failure through a pre-response handler", app: Effect.fail("boom"), pre: (_, r) => Effect.succeed(HttpServerResponse.setHeader(r, "x-pre", "yes")) },
    { name: "a defect", app: Effect.die(new Error("bug")) },
    { name: "a response as a defect", app: Effect.die(HttpServerResponse.empty({ status: 418 })) },
    { name: "an interruption", app: Effect.interrupt },
    {
      name: "an ejected Scope (left open)",
      app: Effect.flatMap(Effect.scope, (scope) => Effect.sync(() => (HttpApp.ejectDefaultScopeClose(scope), HttpServerResponse.empty())))
    }
  ]

  for (const c of cases) {
    it.effect(`the lean toHandled does as HttpApp.toHandled: ${c.name}`, () =>
      Effect.gen(function*() {
        const expected = yield* observe(c.app, real, c.pre)
        const actual = yield* observe(c.app, lean, c.pre)
        expect(actual, relies(`HttpApp.toHandled's behaviour for ${c.name}: ${JSON.stringify(expected)}`)).toEqual(expected)
        expect(expected.marked, relies("toHandled marking a handled request with Symbol.for(\"@effect/platform/HttpApp/handled\")")).toBe(true)
      }))
  }

  it("names the versions it was checked against in its failure message", () => {
    const message = relies("anything")
    expect(message).toContain(`effect ${Handled.checkedAgainst.effect}`)
    expect(message).toContain(`@effect/platform ${Handled.checkedAgainst.platform}`)
  })
})
