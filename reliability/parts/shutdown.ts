/**
 * Part 4 of the suite: shutdown under load. Our server and node:http (its usual graceful
 * pattern), each in a child process, are driven by wrk (40 connections) and our Client (10)
 * through a handler that takes 20 ms, and sent SIGTERM a few seconds in. Checked for ours:
 * exit code 0 within `shutdownTimeout` (10 s) + 2 s; answers written = handlers started;
 * every request of our client whose handler started got its answer (ids matched), its other
 * failures typed; wrk's answers + ours = the server's. node:http's figures are for comparison.
 *
 * @module
 */
import { Effect } from "effect"
import type { Part, PartContext, PartOutcome } from "../part.js"
import { runShutdownOnce, type ShutdownRunResult } from "../shutdown/runOnce.js"
import { findWrk } from "../shutdown/wrk.js"

const SERVERS = [
  { peer: "ours", script: "reliability/shutdown/server-ours.ts" },
  { peer: "node:http", script: "reliability/shutdown/server-node.ts" }
] as const

const verdict = (r: ShutdownRunResult): string => {
  const failed = r.checks.filter((c) => !c.passed)
  return failed.length === 0 ? "all pass" : `${failed.length} fail: ${failed.map((c) => `${c.name.replace(`${r.label}: `, "")} (${c.reason ?? ""})`).join("; ")}`
}

const run = (ctx: PartContext): Effect.Effect<PartOutcome> =>
  Effect.gen(function*() {
    // wrk is installed when missing (as root); without it our client drives all 50 connections.
    const wrk = findWrk()
    if (wrk === undefined) ctx.log("shutdown: wrk not found and not installable (`apt-get install -y wrk`): our client drives every connection")
    const start = Date.now()
    const sigtermAfterMs = ctx.mode === "quick" ? 3_000 : 5_000
    const results: Array<{ readonly peer: string; readonly result: ShutdownRunResult }> = []
    for (let i = 0; i < ctx.budget.count; i++) {
      for (const s of SERVERS) {
        const label = `${s.peer} run ${i + 1}`
        const result = yield* runShutdownOnce({
          label,
          script: s.script,
          wrk,
          sigtermAfterMs,
          shutdownTimeoutMs: 10_000,
          marginMs: 2_000,
          wrkConnections: 40,
          clientConnections: 10,
          idPrefix: `r${i + 1}`
        })
        ctx.log(`${label}: ${result.figures.map(([k, v]) => `${k}: ${v}`).join("; ")}; ${verdict(result)}`)
        results.push({ peer: s.peer, result })
      }
    }
    const ours = results.filter((r) => r.peer === "ours")
    const node = results.filter((r) => r.peer !== "ours")
    const clean = (rs: typeof results) => rs.filter((r) => r.result.checks.every((c) => c.passed)).length
    return {
      checks: ours.flatMap((r) => r.result.checks),
      summary: `${ctx.budget.count} run(s) per server in ${((Date.now() - start) / 1000).toFixed(1)} s; ours: ${clean(ours)}/${ours.length} clean, node:http: ${clean(node)}/${node.length} would pass the same checks`,
      tables: [{
        title: `Shutdown under load: SIGTERM ${sigtermAfterMs / 1000} s into wrk (40 connections) + our Client (10), handler 20 ms`,
        columns: ["run", "exit", "in flight at SIGTERM", "handlers started / answered", "wrk", "our client", "checks (node:http: for comparison only)"],
        rows: results.map(({ result: r }) => [r.label, ...r.figures.map(([, v]) => v), verdict(r)])
      }],
      notes: [
        "ours: our Server with its defaults (shutdownTimeout 10 s); SIGTERM interrupts the main fiber, closing the Server's Scope is the graceful shutdown. " +
          "node:http: on SIGTERM server.close() + server.closeIdleConnections(), server.closeAllConnections() after 10 s. Each prints its counts once shut down and ends by itself.",
        "Answers are counted by the server when the last byte of the answer was handed to the socket (ours: the end of the streamed body; node:http: res.end's callback). " +
          "wrk is stopped with SIGINT once the server has exited; its socket errors are the connections refused or closed by the shutdown.",
        "Request rates are not comparable between the two: ours answers through a streamed body (its end is what counts the answer), and a streamed answer costs our " +
          "server about 0.35 ms of CPU against about 0.013 ms for a bytes body (measured with wrk on one connection), so ours serves fewer requests in the same seconds.",
        "Our client's requests carry an id the server logs when their handler starts; a request whose handler started but which did not get its answer is lost."
      ]
    }
  })

/** The shutdown-under-load part. */
export const shutdownPart: Part = {
  name: "shutdown",
  description: "SIGTERM while wrk and our Client drive 50 connections, against our server and node:http: every request whose handler " +
    "started is answered, the process exits within its shutdown timeout with code 0.",
  unit: "runs per server",
  quick: { count: 1, timeMs: 30_000 },
  full: { count: 3, timeMs: 3 * 60_000 },
  run
}
