/**
 * A decompression bomb. Neither server decodes request bodies (ours has no request
 * decompression, only response compression, `compress.ts`; node:http none), so the bomb goes
 * the other way: `GET /bomb` answers 1 MiB of gzip that expands to 1 GiB, and our Client
 * (decoding on, `maxDecodedBodyBytes` 16 MiB) must stop with a typed error: `TransportError`
 * reason `decoded-body-too-large`, having decoded little more than the limit.
 *
 * @module
 */
import { Effect } from "effect"
import { judge } from "../judge.js"
import { getOutcome, type Outcome, withClient } from "../ourClient.js"
import type { Scenario } from "../scenario.js"
import { mib } from "../serverStats.js"
import { describeOutcomes } from "./resets.js"

const LIMIT = 16 * 1024 * 1024

/** The decompression-bomb scenario. */
export const bomb: Scenario = {
  name: "decompression bomb (gzip response, 1 GiB decoded)",
  probeBar: 0.9,
  probeBarWhy: "the server sends 1 MiB per bomb: a few slow answers are allowed, starvation is not",
  recoveryMs: 2_000,
  run: (env) =>
    withClient(
      Effect.gen(function*() {
        const url = `http://127.0.0.1:${env.child.port}/bomb`
        const rssBefore = process.memoryUsage().rss
        const start = Date.now()
        const outcomes: Array<Outcome> = []
        do outcomes.push(...(yield* Effect.forEach(Array.from({ length: env.sizes.bombs }), () => getOutcome(url))))
        while (Date.now() - start < env.sizes.minWindowMs)
        const ms = Date.now() - start
        const rssGrowth = process.memoryUsage().rss - rssBefore
        const stopped = outcomes.filter((o) => o._tag === "Failed" && o.reason === "decoded-body-too-large").length
        return {
          figures: [
            ["bombs read by our Client", String(outcomes.length)],
            ["outcomes", describeOutcomes(outcomes)],
            ["time per bomb", `${Math.round(ms / Math.max(1, outcomes.length))} ms`],
            ["client RSS growth", mib(rssGrowth)]
          ],
          checks: [judge(`our Client: ${outcomes.length} typed decoded-body-too-large failures (limit ${mib(LIMIT)})`, stopped === outcomes.length, describeOutcomes(outcomes))]
        }
      }),
      { maxDecodedBodyBytes: LIMIT }
    )
}
