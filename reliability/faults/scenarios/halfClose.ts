/**
 * Half-closes: a keep-alive `GET /` followed at once by the client's FIN (`socket.end()`).
 * The server must still answer (our listener allows half-open connections) and then close.
 *
 * @module
 */
import { Effect } from "effect"
import { judge } from "../judge.js"
import type { Scenario } from "../scenario.js"
import { exchange, getRequest, pool, repeatFor } from "../sockets.js"

/** The half-close scenario. */
export const halfClose: Scenario = {
  name: "half-close after the request",
  probeBar: 0.95,
  probeBarWhy: "half-closed connections cost the server one answer each: a fresh client must be served as usual",
  recoveryMs: 2_000,
  run: (env) =>
    Effect.promise(async () => {
      const results = await repeatFor(env.sizes.minWindowMs, () =>
        pool(env.sizes.halfCloses, 25, () => exchange(env.child.port, getRequest("/", false), { halfClose: true, timeoutMs: 3_000 })))
      const n = results.length
      const answered = results.filter((r) => r.status === 200).length
      const closed = results.filter((r) => r.closed).length
      return {
        figures: [["half-closed requests", String(n)], ["answered 200", String(answered)], ["closed by the server after", String(closed)]],
        checks: env.peer === "ours"
          ? [
            judge(`all ${n} answered`, answered === n, `${answered}/${n} answered`),
            judge(`all ${n} closed by the server`, closed === n, `${closed}/${n} closed within 3 s`)
          ]
          : []
      }
    })
}
