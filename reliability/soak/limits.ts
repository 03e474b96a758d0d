/**
 * The pool-limit check: a snapshot of a Transport's pool (`Transport.stats`) against the
 * limits it was given (ARCHITECTURE.md invariant 2: per host dialing + active + idle ≤
 * MaxConnsPerHost, idle per host ≤ MaxIdleConnsPerHost, idle overall ≤ MaxIdleConns).
 *
 * @module
 */
import type { PoolStats } from "../../src/transport/transportService.js"
import type { PoolLimits } from "./config.js"

/** What a snapshot broke, one line each (empty: within the limits). */
export const poolViolations = (stats: PoolStats, limits: PoolLimits): Array<string> => {
  const out: Array<string> = []
  if (stats.idle > limits.maxIdleConns) out.push(`idle ${stats.idle} > maxIdleConns ${limits.maxIdleConns}`)
  for (const [key, h] of Object.entries(stats.hosts)) {
    const conns = h.dialing + h.active + h.idle
    if (conns > limits.maxConnsPerHost) {
      out.push(`${key}: dialing ${h.dialing} + active ${h.active} + idle ${h.idle} = ${conns} > maxConnsPerHost ${limits.maxConnsPerHost}`)
    }
    if (h.idle > limits.maxIdleConnsPerHost) out.push(`${key}: idle ${h.idle} > maxIdleConnsPerHost ${limits.maxIdleConnsPerHost}`)
  }
  return out
}

/** The largest per-host connection count (dialing + active + idle) of a snapshot. */
export const maxHostConns = (stats: PoolStats): number =>
  Object.values(stats.hosts).reduce((m, h) => Math.max(m, h.dialing + h.active + h.idle), 0)
