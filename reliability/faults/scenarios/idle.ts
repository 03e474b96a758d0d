/**
 * Idle keep-alive connections: N connections each make one request, read the answer and stay
 * open, held for a while. The probe must work throughout; the server's memory per idle
 * connection is read from `/stats` (RSS and heap before and after opening them).
 *
 * @module
 */
import { Effect } from "effect"
import type * as net from "node:net"
import { judge } from "../judge.js"
import type { Scenario } from "../scenario.js"
import { serverStats } from "../serverStats.js"
import { connect, getRequest, pool, sleep } from "../sockets.js"

/** Sends one keep-alive GET on `s` and resolves when its answer's first bytes arrive (false after 5 s). */
const oneRequest = (s: net.Socket): Promise<boolean> =>
  new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), 5_000)
    s.once("data", (b: Buffer) => {
      clearTimeout(timer)
      resolve(b.subarray(0, 12).toString("latin1") === "HTTP/1.1 200")
    })
    s.write(getRequest("/", false))
  })

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`

/** The idle-connections scenario. */
export const idle: Scenario = {
  name: "idle connections",
  probeBar: 0.95,
  probeBarWhy: "idle connections cost memory, not work: a fresh client must be served as usual",
  recoveryMs: 2_000,
  run: (env) =>
    Effect.promise(async () => {
      const n = env.sizes.idle
      const before = await serverStats(env.child.port)
      const sockets: Array<net.Socket> = []
      let answered = 0
      let failed = 0
      await pool(n, 100, async () => {
        try {
          const s = await connect(env.child.port)
          sockets.push(s)
          if (await oneRequest(s)) answered++
        } catch {
          failed++
        }
      })
      await sleep(200)
      const during = await serverStats(env.child.port)
      await sleep(env.sizes.idleHoldMs)
      const held = sockets.filter((s) => !s.destroyed && !s.readableEnded).length
      const atEnd = await serverStats(env.child.port)
      for (const s of sockets) s.destroy()
      const perConn = (f: (s: NonNullable<typeof before>) => number) =>
        before === undefined || during === undefined || sockets.length === 0 ? "-" : kib((f(during) - f(before)) / sockets.length)
      return {
        figures: [
          ["connections", String(sockets.length)],
          ["answered", String(answered)],
          ["held", `${(env.sizes.idleHoldMs / 1000).toFixed(1)} s`],
          ["still open at the end", String(held)],
          ["server's connections (start of hold / end)", `${during?.connections ?? "?"} / ${atEnd?.connections ?? "?"}`],
          ["RSS per idle connection", perConn((s) => s.rss)],
          ["heap per idle connection", perConn((s) => s.heapUsed)]
        ],
        checks: [
          judge(`all ${n} connected and answered`, failed === 0 && answered === n, `${failed} could not connect, ${answered}/${n} answered`),
          judge("every one still open after the hold (idleTimeout 120 s)", held === sockets.length, `${held}/${sockets.length} open`)
        ]
      }
    })
}
