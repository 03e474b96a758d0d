/**
 * Our Client as the faults and shutdown parts use it: a layer (no proxy, a total timeout, an
 * optional `maxDecodedBodyBytes`), and one request read whole, its outcome classified as a
 * success, a typed failure (its tag, phase and reason) or a defect.
 *
 * @module
 */
import { Cause, type Duration, Effect, Exit, Layer } from "effect"
import { Client } from "../../src/transport/Client.js"
import { Transport } from "../../src/transport/Transport.js"

/** How one request of our client ended. */
export type Outcome =
  | { readonly _tag: "Ok"; readonly status: number; readonly bytes: number }
  | { readonly _tag: "Failed"; readonly error: string; readonly phase: string | undefined; readonly reason: string | undefined }
  | { readonly _tag: "Defect"; readonly cause: string }

/** A Client over a Transport of its own. */
export const clientLayer = (options: { readonly maxDecodedBodyBytes?: number; readonly maxConnsPerHost?: number; readonly timeout?: Duration.DurationInput } = {}): Layer.Layer<Client> =>
  Layer.orDie(Client.layer({ timeout: options.timeout ?? "10 seconds" })).pipe(
    Layer.provide(Layer.orDie(Transport.layer({
      proxy: "none",
      ...(options.maxDecodedBodyBytes === undefined ? {} : { maxDecodedBodyBytes: options.maxDecodedBodyBytes }),
      ...(options.maxConnsPerHost === undefined ? {} : { maxConnsPerHost: options.maxConnsPerHost })
    })))
  )

const field = (e: unknown, name: string): string | undefined => {
  if (typeof e !== "object" || e === null || !(name in e)) return undefined
  const v = (e as Record<string, unknown>)[name]
  return typeof v === "string" ? v : undefined
}

/** GETs `url` and reads the body whole; never fails. */
export const getOutcome = (url: string): Effect.Effect<Outcome, never, Client> =>
  Effect.gen(function*() {
    const client = yield* Client
    const exit = yield* Effect.exit(Effect.scoped(Effect.flatMap(client.get(url), (r) => Effect.map(r.bytes, (b) => ({ status: r.status, bytes: b.length })))))
    if (Exit.isSuccess(exit)) return { _tag: "Ok", ...exit.value } as const
    const failure = Cause.failureOption(exit.cause)
    if (failure._tag === "Some") {
      const e = failure.value
      const tag = field(e, "_tag") ?? "untagged"
      return { _tag: "Failed", error: `${tag}${field(e, "reason") === undefined ? "" : ` ${field(e, "phase")}/${field(e, "reason")}`}`, phase: field(e, "phase"), reason: field(e, "reason") } as const
    }
    return { _tag: "Defect", cause: Cause.pretty(exit.cause).split("\n")[0] ?? "defect" } as const
  })

/** Runs `effect` with a Client of `options` (a Transport of its own, closed at the end). */
export const withClient = <A>(effect: Effect.Effect<A, never, Client>, options?: Parameters<typeof clientLayer>[0]): Effect.Effect<A> =>
  Effect.provide(effect, clientLayer(options))
