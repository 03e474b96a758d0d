/**
 * File-descriptor exhaustion: the server runs under `ulimit -n 256` (in its own shell) and 400
 * connections are opened and held without a request, until the server's descriptors run out.
 * While they are spent no new client can be served (the probe has no bar then); the server
 * must live, and answer again once the connections close.
 *
 * What happens at the limit, on Linux: libuv meets EMFILE in its accept and answers it with
 * its "EMFILE trick" (`uv__emfile_trick`): it frees a reserved descriptor, accepts the waiting
 * connections and closes them at once, and does not report the error to Node. So neither
 * server's accept callback sees EMFILE, our accept loop's backoff (5 ms doubling to 1 s) is not
 * reached and nothing is logged; "closed by the server while held" counts the connections
 * libuv dropped. The EMFILE lines are counted all the same, in case a platform reports it.
 *
 * @module
 */
import { Effect } from "effect"
import type * as net from "node:net"
import { fdCount } from "../child.js"
import { judge } from "../judge.js"
import type { Scenario } from "../scenario.js"
import { connect, pool, sleep } from "../sockets.js"

/** The ulimit the server runs under. */
export const FD_LIMIT = 256

const emfileLines = (output: string): number => output.split("\n").filter((l) => l.includes("EMFILE")).length

/** The fd-exhaustion scenario. */
export const fdExhaustion: Scenario = {
  name: `fd exhaustion (ulimit -n ${FD_LIMIT})`,
  probeBar: 0,
  probeBarWhy: "while every descriptor is spent the server cannot accept the probe's connection; what counts is that it lives and recovers",
  recoveryMs: 5_000,
  fdLimit: FD_LIMIT,
  run: (env) =>
    Effect.promise(async () => {
      const n = env.sizes.fdConnections
      const emfileBefore = emfileLines(env.child.output())
      const sockets: Array<net.Socket> = []
      let failed = 0
      let closedByServer = 0
      let holding = true
      await pool(n, 100, async () => {
        try {
          const s = await connect(env.child.port, 3_000)
          s.once("close", () => {
            if (holding) closedByServer++
          })
          sockets.push(s)
        } catch {
          failed++
        }
      })
      let peak = fdCount(env.child.pid) ?? 0
      const end = Date.now() + env.sizes.fdHoldMs
      while (Date.now() < end) {
        await sleep(100)
        peak = Math.max(peak, fdCount(env.child.pid) ?? 0)
      }
      holding = false
      for (const s of sockets) s.destroy()
      await sleep(300)
      const emfile = emfileLines(env.child.output()) - emfileBefore
      const lastLine = env.child.output().split("\n").filter((l) => l.includes("EMFILE")).pop()
      return {
        figures: [
          ["connections opened (held)", `${sockets.length} (${failed} failed)`],
          ["server fds at the peak", `${peak} (limit ${FD_LIMIT})`],
          ["closed by the server while held", String(closedByServer)],
          ["EMFILE lines logged", lastLine === undefined ? String(emfile) : `${emfile} (last: ${lastLine.trim().slice(0, 160)})`]
        ],
        checks: [judge(`the descriptors ran out (fds reached ${FD_LIMIT - 10} or more)`, peak >= FD_LIMIT - 10, `fds peaked at ${peak}: the scenario did not exhaust them`)]
      }
    })
}
