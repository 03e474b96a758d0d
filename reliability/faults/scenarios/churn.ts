/**
 * Connection churn: N connections, each connect, one `GET /` with `Connection: close`, read to
 * the close, as fast as 50 at a time allow. Every exchange must succeed; the fds the
 * scenario runner reads before and after show a leak.
 *
 * @module
 */
import { Effect } from "effect"
import { judge } from "../judge.js"
import type { Scenario } from "../scenario.js"
import { exchange, getRequest, pool, repeatFor } from "../sockets.js"

/** The churn scenario. */
export const churn: Scenario = {
  name: "connection churn",
  probeBar: 0.9,
  probeBarWhy: "the probe competes with 50 busy connections on 2 cores: a few slow answers are allowed, starvation is not",
  recoveryMs: 2_000,
  run: (env) =>
    Effect.promise(async () => {
      const start = Date.now()
      const request = getRequest("/", true)
      const results = await repeatFor(env.sizes.minWindowMs, () => pool(env.sizes.churn, 50, () => exchange(env.child.port, request, { timeoutMs: 5_000 })))
      const n = results.length
      const ms = Date.now() - start
      const ok = results.filter((r) => r.status === 200 && r.closed).length
      const bad = results.find((r) => !(r.status === 200 && r.closed))
      return {
        figures: [
          ["connections", String(n)],
          ["answered and closed", String(ok)],
          ["connections/s", Math.round((n * 1000) / Math.max(1, ms)).toLocaleString("en-US")],
          ["first failure", bad === undefined ? "-" : `${bad.status ?? "no status"}, ${bad.error ?? (bad.closed ? "closed" : "timeout")}`]
        ],
        checks: [judge(`all ${n} answered and closed`, ok === n, `${n - ok} failed; first: ${JSON.stringify(bad)}`)]
      }
    })
}
