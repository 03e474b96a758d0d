/**
 * Our client's share of the load under shutdown: `workers` fibers, each sending `GET
 * /work?id=<prefix>-<worker>-<n>` one after the other on a Client of its own (at most
 * `workers` connections), until `stop` is set; every request's id and outcome is kept.
 *
 * @module
 */
import { Effect, Ref } from "effect"
import { getOutcome, type Outcome, withClient } from "../faults/ourClient.js"

/** One request of our client and how it ended. */
export interface Sent {
  readonly id: string
  readonly outcome: Outcome
}

/** Drives `url` until `stop` holds true; the requests sent. */
export const drive = (url: string, workers: number, prefix: string, stop: Ref.Ref<boolean>): Effect.Effect<Array<Sent>> =>
  withClient(
    Effect.gen(function*() {
      const sent: Array<Sent> = []
      yield* Effect.forEach(Array.from({ length: workers }, (_, w) => w), (w) =>
        Effect.gen(function*() {
          let n = 0
          while (!(yield* Ref.get(stop))) {
            const id = `${prefix}-${w}-${n++}`
            const outcome = yield* getOutcome(`${url}/work?id=${id}`)
            sent.push({ id, outcome })
            // A refused connection fails at once: do not spin.
            if (outcome._tag !== "Ok") yield* Effect.sleep(10)
          }
        }), { concurrency: "unbounded", discard: true })
      return sent
    }),
    { maxConnsPerHost: workers, timeout: "15 seconds" }
  )
