/**
 * The soak's client side: `concurrency` fibers, each sending one request after another until
 * a deadline, through our Client over a keep-alive Transport or one with keep-alive off. Each
 * request gets an id from the ledger and a random kind (`kinds.ts`): its body is read whole,
 * partly (first chunk, then the Scope closed), not at all (Scope closed at once) or slowly;
 * one in ten is interrupted at a random moment. Its outcome (success, typed failure with tag,
 * phase and reason, our interruption, a defect, or hung past the guard time) is recorded once.
 *
 * @module
 */
import { Cause, Effect, Exit, Option, Stream } from "effect"
import * as Body from "../../src/domain/Body.js"
import type { Response } from "../../src/domain/Response.js"
import { ClientTrace } from "../../src/transport/ClientTrace.js"
import type { ClientService } from "../../src/transport/clientService.js"
import type { TransportError } from "../../src/transport/errors.js"
import { deriveSeed, Rng } from "../fuzz/rng.js"
import { encodeKind, type Kind, pickKind, type Read } from "./kinds.js"
import { type Ledger, Outcome } from "./ledger.js"
import { ID_HEADER } from "./server.js"

/** The body of the `echo` POST: 16 KiB. */
const ECHO_BODY = new Uint8Array(16 * 1024).fill(0x65)

/** A slow reader's pause between chunks. */
const SLOW_READ_PAUSE_MS = 2

/** What the load needs. */
export interface LoadDeps {
  readonly keepAlive: ClientService
  readonly fresh: ClientService
  /** The server's `http://127.0.0.1:port`. */
  readonly url: string
  readonly ledger: Ledger
  readonly tally: LoadTally
  readonly requestGuardMs: number
}

/** Figures of the load beyond the ledger: typed failures by label, the first defects. */
export class LoadTally {
  /** Requests finished (any outcome). */
  finished = 0
  /** `route|tag phase reason` → count. */
  readonly failures = new Map<string, number>()
  /** `route|tag phase reason` → the first such error's detail. */
  readonly details = new Map<string, string>()
  /** The first few defects, pretty-printed and cut short. */
  readonly defects: Array<string> = []

  /** Counts a typed failure of a request to `route`. */
  failure(route: string, error: unknown): void {
    const key = `${route}|${failureLabel(error)}`
    this.failures.set(key, (this.failures.get(key) ?? 0) + 1)
    if (!this.details.has(key)) this.details.set(key, failureDetail(error))
  }
}

/** `TransportError phase reason` for a TransportError, the `_tag` for another tagged error. */
export const failureLabel = (error: unknown): string => {
  if (typeof error === "object" && error !== null && "_tag" in error) {
    const e = error as { readonly _tag: unknown; readonly phase?: unknown; readonly reason?: unknown }
    return e._tag === "TransportError" ? `TransportError ${String(e.phase)} ${String(e.reason)}` : String(e._tag)
  }
  return `untagged ${typeof error}`
}

/** The error's `detail` (or message), cut to 300 characters. */
export const failureDetail = (error: unknown): string => {
  const e = error as { readonly detail?: unknown; readonly message?: unknown }
  return String(e?.detail ?? e?.message ?? "").slice(0, 300)
}

const readBody = (response: Response<TransportError>, read: Read): Effect.Effect<void, TransportError> => {
  switch (read) {
    case "whole":
      return Effect.asVoid(Body.collect(response.body))
    case "partial":
      return Effect.asVoid(Stream.runHead(Body.toStream(response.body)))
    case "none":
      return Effect.void
    case "slow":
      return Stream.runDrain(Stream.mapEffect(Body.toStream(response.body), () => Effect.sleep(SLOW_READ_PAUSE_MS)))
  }
}

/** Sends request `id` of kind `kind`, reads it as the kind says, and records its outcome in the ledger. */
export const oneRequest = (deps: LoadDeps, rng: Rng, id: number, kind: Kind): Effect.Effect<void> => {
  const client = kind.conn === "keep-alive" ? deps.keepAlive : deps.fresh
  const url = `${deps.url}/${kind.route}`
  const headers = { [ID_HEADER]: String(id) }
  const send = kind.route === "echo" ? client.post(url, ECHO_BODY, { headers }) : client.get(url, { headers })
  // true when the answer carries another request's id
  const exchange = Effect.scoped(Effect.flatMap(send, (r) => Effect.as(readBody(r, kind.read), r.headers.get(ID_HEADER) !== String(id))))
  const traced = Effect.provideService(exchange, ClientTrace, { wroteHeaders: () => deps.ledger.sentOnce(id) })
  // None: interrupted by us (the kind asked for it), at a random moment in its first 60 ms.
  const run = kind.interrupt ? Effect.timeoutOption(traced, 1 + rng.int(60)) : Effect.asSome(traced)
  // disconnect: a request that does not stop when interrupted cannot hold its worker.
  return Effect.map(Effect.exit(Effect.timeoutOption(Effect.disconnect(run), deps.requestGuardMs)), (exit) => {
    const ledger = deps.ledger
    deps.tally.finished++
    if (Exit.isSuccess(exit)) {
      const guarded = exit.value
      if (Option.isNone(guarded)) return ledger.record(id, Outcome.hung)
      if (Option.isNone(guarded.value)) return ledger.record(id, Outcome.interrupted)
      return ledger.record(id, Outcome.ok, guarded.value.value)
    }
    const failure = Cause.failureOption(exit.cause)
    if (Option.isSome(failure)) {
      deps.tally.failure(kind.route, failure.value)
      return ledger.record(id, Outcome.failed)
    }
    if (deps.tally.defects.length < 5) deps.tally.defects.push(`#${id} ${kind.route}: ${Cause.pretty(exit.cause).slice(0, 400)}`)
    return ledger.record(id, Outcome.defect)
  })
}

/** Runs the load until `until` (epoch ms) or the ledger is full: `concurrency` fibers, one request in flight each. */
export const runLoad = (deps: LoadDeps, seed: number, concurrency: number, until: number): Effect.Effect<void> =>
  Effect.forEach(
    Array.from({ length: concurrency }, (_, w) => w),
    (w) =>
      Effect.gen(function*() {
        const rng = new Rng(deriveSeed(seed, w))
        while (Date.now() < until) {
          const kind = pickKind(rng)
          const id = deps.ledger.issue(encodeKind(kind))
          if (id === undefined) return
          yield* oneRequest(deps, rng, id, kind)
        }
      }),
    { concurrency: "unbounded", discard: true }
  )
