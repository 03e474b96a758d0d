/**
 * Half-closes: a keep-alive `GET /` followed at once by the client's FIN (`socket.end()`).
 * The server must still answer (our listener allows half-open connections) and then close.
 * And mid-body: a `POST /upload` announcing 1,000 bytes sends 500 and its FIN: the body is cut
 * short, the client's fault, so ours must answer 400 (README, Server: "400 for a body
 * malformed or cut short"), never a 500.
 *
 * @module
 */
import { Effect } from "effect"
import { judge } from "../judge.js"
import type { Scenario } from "../scenario.js"
import { exchange, getRequest, pool, repeatFor } from "../sockets.js"

const MID_BODY = "POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n" + "x".repeat(500)

/** The half-close scenario. */
export const halfClose: Scenario = {
  name: "half-close (after the request, mid-body)",
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
      const cut = await pool(env.sizes.halfCloses, 25, () => exchange(env.child.port, MID_BODY, { halfClose: true, timeoutMs: 3_000 }))
      const statuses = new Map<string, number>()
      for (const r of cut) {
        const k = r.status === undefined ? (r.closed ? "closed without an answer" : "no answer in 3 s") : String(r.status)
        statuses.set(k, (statuses.get(k) ?? 0) + 1)
      }
      const summary = [...statuses].map(([k, m]) => `${m} × ${k}`).join(", ")
      return {
        figures: [
          ["half-closed requests", String(n)],
          ["answered 200", String(answered)],
          ["closed by the server after", String(closed)],
          ["half-closed mid-body (500 of 1,000 bytes)", String(cut.length)],
          ["their answers", summary]
        ],
        checks: [
          judge(`all ${n} answered`, answered === n, `${answered}/${n} answered`),
          judge(`all ${n} closed by the server`, closed === n, `${closed}/${n} closed within 3 s`),
          judge(`every body cut short by a FIN answered 400 (${cut.length})`, statuses.get("400") === cut.length, summary)
        ]
      }
    })
}
