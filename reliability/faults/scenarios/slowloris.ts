/**
 * Slow loris: connections that send a request line and then one header byte at a time, every
 * second or two, never ending the head. Our `readHeaderTimeout` (a total, not a per-byte
 * timeout) must cut every one; the probe must not starve meanwhile.
 *
 * @module
 */
import { Effect } from "effect"
import type * as net from "node:net"
import { judge } from "../judge.js"
import { quantile } from "../quantile.js"
import type { Scenario } from "../scenario.js"
import { connect, pool, sleep } from "../sockets.js"

/** The slow-loris scenario. */
export const slowloris: Scenario = {
  name: "slowloris",
  probeBar: 0.95,
  probeBarWhy: "slow clients hold connections, not the event loop: a fresh client must be served as usual",
  recoveryMs: 2_000,
  run: (env) =>
    Effect.promise(async () => {
      const n = env.sizes.slowloris
      const tickMs = Math.min(2_000, Math.max(250, env.readHeaderTimeoutMs / 4))
      const sockets: Array<net.Socket> = []
      const cutAfter: Array<number> = []
      let failedConnects = 0
      await pool(n, 50, async () => {
        try {
          const s = await connect(env.child.port)
          const opened = Date.now()
          s.on("close", () => cutAfter.push(Date.now() - opened))
          s.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
          sockets.push(s)
        } catch {
          failedConnects++
        }
      })
      const windowMs = env.readHeaderTimeoutMs + Math.min(2_500, Math.max(500, env.readHeaderTimeoutMs))
      const end = Date.now() + windowMs
      while (Date.now() < end) {
        await sleep(Math.min(tickMs, end - Date.now()))
        for (const s of sockets) if (!s.destroyed) s.write("a")
      }
      const stillOpen = sockets.filter((s) => !s.destroyed && !s.readableEnded).length
      const cut = cutAfter.length
      for (const s of sockets) s.destroy()
      // The reaper checks deadlines every readHeaderTimeout / 10 (at most 1 s): a cut comes a little after the deadline.
      const limitMs = env.readHeaderTimeoutMs + Math.min(1_500, Math.max(300, env.readHeaderTimeoutMs * 0.75))
      const late = cutAfter.filter((ms) => ms > limitMs).length
      return {
        figures: [
          ["connections", String(sockets.length)],
          ["a byte every", `${tickMs} ms`],
          ["window", `${(windowMs / 1000).toFixed(1)} s`],
          ["cut by the server", String(cut)],
          ["cut after (median / max)", cut === 0 ? "-" : `${(quantile(cutAfter, 0.5) / 1000).toFixed(2)} / ${(Math.max(...cutAfter) / 1000).toFixed(2)} s`],
          ["still open at the end", String(stillOpen)]
        ],
        checks: [
          judge(`all ${n} connected`, failedConnects === 0, `${failedConnects} could not connect`),
          judge(`every one cut by readHeaderTimeout (${env.readHeaderTimeoutMs} ms) within ${limitMs} ms`, cut === sockets.length && late === 0, `${cut}/${sockets.length} cut, ${late} after ${limitMs} ms`)
        ]
      }
    })
}
