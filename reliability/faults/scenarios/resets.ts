/**
 * Resets mid-body, both ways. Client to server: a POST announcing 1,000,000 bytes sends half
 * and resets the connection (`socket.resetAndDestroy()`): the server must drop the request
 * and the connection and go on. Server to client: `GET /cut` announces 1 MiB and the server
 * cuts the connection after 256 KiB: our Client reading it must fail with a typed error
 * (`TransportError`, phase `reading-body`), never succeed, never die.
 *
 * @module
 */
import { Effect } from "effect"
import { judge } from "../judge.js"
import { getOutcome, type Outcome, withClient } from "../ourClient.js"
import type { Scenario } from "../scenario.js"
import { connect, pool, repeatFor, sleep } from "../sockets.js"

const HALF = Buffer.alloc(500_000, 0x61)

/** Client → server: half a body, then RST. */
export const resetClientToServer: Scenario = {
  name: "reset mid-body (client → server)",
  probeBar: 0.95,
  probeBarWhy: "a reset costs the server one connection: a fresh client must be served as usual",
  recoveryMs: 2_000,
  run: (env) =>
    Effect.promise(async () => {
      const results = await repeatFor(env.sizes.minWindowMs, () =>
        pool(env.sizes.resets, 25, async () => {
          try {
            const s = await connect(env.child.port)
            s.write("POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000000\r\n\r\n")
            await new Promise<void>((resolve) => s.write(HALF, () => resolve()))
            await sleep(5)
            s.resetAndDestroy()
            return true
          } catch {
            return false
          }
        }))
      const sent = results.filter((ok) => ok).length
      const failed = results.length - sent
      return {
        figures: [["resets sent after 500,000 of 1,000,000 body bytes", String(sent)], ["failed to connect", String(failed)]],
        checks: [judge(`all ${results.length} sent`, failed === 0, `${sent} sent, ${failed} could not connect`)]
      }
    })
}

/** Our Client's outcomes counted by kind ("20 × TransportError reading-body/malformed"). */
export const describeOutcomes = (outcomes: ReadonlyArray<Outcome>): string => {
  const by = new Map<string, number>()
  for (const o of outcomes) {
    const k = o._tag === "Ok" ? `ok ${o.status} (${o.bytes} bytes)` : o._tag === "Failed" ? o.error : `defect: ${o.cause}`
    by.set(k, (by.get(k) ?? 0) + 1)
  }
  return [...by].map(([k, n]) => `${n} × ${k}`).join("; ")
}

/** Server → client: the answer cut mid-body; our Client reads it. */
export const resetServerToClient: Scenario = {
  name: "reset mid-body (server → client)",
  probeBar: 0.95,
  probeBarWhy: "cutting its own answers costs the server nothing: a fresh client must be served as usual",
  recoveryMs: 2_000,
  run: (env) =>
    withClient(Effect.gen(function*() {
      const url = `http://127.0.0.1:${env.child.port}/cut`
      const start = Date.now()
      const outcomes: Array<Outcome> = []
      do outcomes.push(...(yield* Effect.forEach(Array.from({ length: env.sizes.cuts }), () => getOutcome(url), { concurrency: 5 })))
      while (Date.now() - start < env.sizes.minWindowMs)
      const typed = outcomes.filter((o) => o._tag === "Failed" && o.phase === "reading-body").length
      return {
        figures: [["cut answers read by our Client", String(outcomes.length)], ["outcomes", describeOutcomes(outcomes)]],
        // The client is ours whichever server cut: the check holds for both peers.
        checks: [judge(`our Client: ${outcomes.length} typed reading-body failures`, typed === outcomes.length, describeOutcomes(outcomes))]
      }
    }))
}
