/**
 * `npx tsx bench/readers-micro.ts`: what the static readers' Scope costs. Each case runs an
 * effect that needs a `Scope` (as `client.get` does) and yields a response with a body that
 * arrived whole, then reads the body as text, N times in a row in one fiber; printed as µs per
 * call, the median of `BENCH_ROUNDS` (5) rounds:
 *
 * - `baseline`: no Scope at all (the read alone, for reference);
 * - `Effect.scoped + flatMap`: `Effect.scoped(Effect.flatMap(get, (r) => r.text))`;
 * - the same by hand as one would write it first (`Scope.make`, `Effect.provideService`,
 *   `Effect.onExit` + `Scope.close`): what `Effect.scoped` does inside, about as slow;
 * - `Response.text`: the static reader (one uninterruptible region sets the context's Scope,
 *   restores it, and closes the Scope);
 * - the same two with a finalizer added to the Scope (as a streamed body's is), and
 *   `Effect.scoped(Effect.acquireRelease(...))` (ARCHITECTURE.md's table).
 *
 * Compiled with esbuild and run as plain `node` (see bench/harness.ts on tsx's keepNames).
 *
 * @module
 */
import { Effect, Scope } from "effect"
import * as Body from "../src/domain/Body.js"
import { Response } from "../src/domain/Response.js"
import { runCompiledChild } from "./harness.js"

runCompiledChild("bench/readers-micro.ts", "BENCH_READERS_CHILD")

const N = Number(process.env.BENCH_N ?? 200_000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)

const response = new Response({
  status: 200,
  statusText: "OK",
  proto: "HTTP/1.1",
  headers: Response.make({ status: 200 }).pipe((e) => (e._tag === "Right" ? e.right.headers : undefined))!,
  body: Body.text("hello, world!"),
  trailers: undefined,
  request: undefined
})

// Needs a Scope, as `client.get` does; the second one adds a finalizer, as a streamed body does.
const get: Effect.Effect<Response, never, Scope.Scope> = Effect.map(Effect.scope, () => response)
const getWithFinalizer: Effect.Effect<Response, never, Scope.Scope> = Effect.flatMap(
  Effect.scope,
  (scope) => Effect.as(Scope.addFinalizer(scope, Effect.void), response)
)
const noScope: Effect.Effect<Response> = Effect.succeed(response)

const cases: ReadonlyArray<readonly [string, Effect.Effect<string>]> = [
  ["baseline (no Scope): flatMap(get, r => r.text)", Effect.flatMap(noScope, (r) => r.text)],
  ["Effect.scoped + flatMap(get, r => r.text)", Effect.scoped(Effect.flatMap(get, (r) => r.text))],
  [
    "Scope.make + provideService + onExit (by hand, naive)",
    Effect.flatMap(Scope.make(), (scope) =>
      Effect.onExit(
        Effect.flatMap(Effect.provideService(get, Scope.Scope, scope), (r) => r.text),
        (exit) => Scope.close(scope, exit)
      ))
  ],
  ["Response.text(get)", Response.text(get)],
  ["Effect.scoped + flatMap, with a finalizer", Effect.scoped(Effect.flatMap(getWithFinalizer, (r) => r.text))],
  ["Response.text, with a finalizer", Response.text(getWithFinalizer)],
  [
    "Effect.scoped(Effect.acquireRelease(...)) + text",
    Effect.scoped(Effect.flatMap(Effect.acquireRelease(noScope, () => Effect.void), (r) => r.text))
  ]
]

const loop = (effect: Effect.Effect<string>, n: number): Effect.Effect<void> =>
  n === 0 ? Effect.void : Effect.flatMap(effect, () => loop(effect, n - 1))

const timeOnce = (effect: Effect.Effect<string>): number => {
  const start = process.hrtime.bigint()
  Effect.runSync(loop(effect, N))
  return Number(process.hrtime.bigint() - start) / 1000 / N
}

const median = (xs: Array<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

// Warm up every case, then interleave the rounds so drift hits all alike.
for (const [, effect] of cases) timeOnce(effect)
const results = cases.map((): Array<number> => [])
for (let round = 0; round < ROUNDS; round++) {
  cases.forEach(([, effect], i) => results[i]!.push(timeOnce(effect)))
}
console.log(`node ${process.version}, ${N} calls per round, median of ${ROUNDS} rounds`)
cases.forEach(([name], i) => console.log(`${median(results[i]!).toFixed(3).padStart(8)} µs/call  ${name}`))
