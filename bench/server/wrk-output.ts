/**
 * Reads the figures out of `wrk --latency` output: requests per second, the latency
 * percentiles of its "Latency Distribution" block (in milliseconds), and the error counts.
 *
 * The lines it reads look like:
 *
 * ```text
 *   Latency Distribution
 *      50%  611.00us
 *      75%    1.02ms
 *      90%    1.50ms
 *      99%    3.01s
 *   240000 requests in 3.00s, 30.00MB read
 *   Socket errors: connect 0, read 2, write 0, timeout 0
 *   Non-2xx or 3xx responses: 5
 * Requests/sec:  80000.00
 * ```
 *
 * @module
 */

/** The latency percentiles wrk's `--latency` prints, in milliseconds. */
export interface Latency {
  readonly p50: number
  readonly p75: number
  readonly p90: number
  readonly p99: number
}

/** One wrk run's figures. */
export interface WrkResult {
  readonly requestsPerSecond: number
  /** Requests completed in the run. */
  readonly requests: number
  readonly latencyMs: Latency
  /** Socket errors (connect + read + write + timeout). */
  readonly socketErrors: number
  /** Responses whose status was not 2xx or 3xx. */
  readonly non2xx3xx: number
}

const UNIT_MS: Readonly<Record<string, number>> = { us: 1e-3, ms: 1, s: 1e3, m: 60e3, h: 3600e3 }

/** A wrk duration (`611.00us`, `1.02ms`, `3.01s`, ...) in milliseconds. */
export const durationMs = (text: string): number => {
  const match = /^(\d+(?:\.\d+)?)(us|ms|s|m|h)$/.exec(text.trim())
  if (match === null) throw new Error(`not a wrk duration: ${JSON.stringify(text)}`)
  return Number(match[1]) * UNIT_MS[match[2]!]!
}

const percentile = (output: string, p: number): number => {
  const match = new RegExp(`^\\s*${p}(?:\\.0+)?%\\s+(\\S+)\\s*$`, "m").exec(output)
  if (match === null) throw new Error(`no ${p}% latency line in wrk's output (was it run with --latency?)`)
  return durationMs(match[1]!)
}

/** Parses wrk's output; throws when a figure is missing. */
export const parseWrk = (output: string): WrkResult => {
  const rps = /^Requests\/sec:\s+(\d+(?:\.\d+)?)\s*$/m.exec(output)
  if (rps === null) throw new Error("no Requests/sec line in wrk's output")
  const requests = /^\s*(\d+) requests in /m.exec(output)
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output)
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(output)
  return {
    requestsPerSecond: Number(rps[1]),
    requests: requests === null ? 0 : Number(requests[1]),
    latencyMs: { p50: percentile(output, 50), p75: percentile(output, 75), p90: percentile(output, 90), p99: percentile(output, 99) },
    socketErrors: socket === null ? 0 : socket.slice(1, 5).reduce((sum, n) => sum + Number(n), 0),
    non2xx3xx: non2xx === null ? 0 : Number(non2xx[1])
  }
}
