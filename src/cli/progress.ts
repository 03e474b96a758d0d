/**
 * The download progress bar's text, as pure functions of what was received and when: a bar
 * with percentage, bytes and rate when the size is known, a spinner with bytes and rate when
 * it is not, and the summary line printed at the end.
 *
 * @module
 */

/** What the progress line shows at one moment. */
export interface ProgressSnapshot {
  /** Bytes received so far. */
  readonly received: number
  /** The expected size (Content-Length), or undefined when unknown. */
  readonly total: number | undefined
  /** Milliseconds since the download started. */
  readonly elapsedMs: number
  /** A counter that turns the spinner, one step per redraw. */
  readonly frame: number
}

/** The spinner's frames (ASCII, so that any terminal shows them). */
export const SPINNER = ["|", "/", "-", "\\"] as const

/** The width of the bar between its brackets. */
export const BAR_WIDTH = 24

const UNITS = ["KiB", "MiB", "GiB", "TiB"] as const

/**
 * A byte count for people: `512 B`, `1.5 KiB`, `12.3 MiB`, `1.02 GiB` (binary units, three
 * significant digits).
 */
export const formatBytes = (n: number): string => {
  if (!Number.isFinite(n) || n < 1024) return `${Math.max(0, Math.round(Number.isFinite(n) ? n : 0))} B`
  let value = n
  let unit = -1
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024
    unit++
  }
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2
  return `${value.toFixed(digits)} ${UNITS[unit]}`
}

/** Bytes per second from a count and a time, 0 for no time at all. */
export const rateOf = (bytes: number, elapsedMs: number): number => (elapsedMs <= 0 ? 0 : (bytes * 1000) / elapsedMs)

/** A rate for people: `3.40 MiB/s`. */
export const formatRate = (bytesPerSecond: number): string => `${formatBytes(bytesPerSecond)}/s`

/** A duration for people: `42 ms`, `1.25 s`, `2m05s`. */
export const formatElapsed = (ms: number): string => {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`
  const s = Math.round(ms / 1000)
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`
}

/** The whole percentage of `received` out of `total`, clamped to 0..100 (an empty body is 100). */
export const percentOf = (received: number, total: number): number =>
  total <= 0 ? 100 : Math.max(0, Math.min(100, Math.floor((received * 100) / total)))

/** The bar itself, `[=========>          ]`, for a percentage. */
export const renderBar = (percent: number, width: number = BAR_WIDTH): string => {
  const filled = Math.round((Math.max(0, Math.min(100, percent)) * width) / 100)
  const body = filled >= width ? "=".repeat(width) : "=".repeat(filled) + (filled > 0 ? ">" : " ") + " ".repeat(width - filled - 1)
  return `[${body}]`
}

/**
 * The progress line (no line ending). Known size:
 * `[=========>              ]  40%  1.00 MiB / 2.50 MiB  3.40 MiB/s`; unknown:
 * `/ 1.00 MiB  3.40 MiB/s`.
 */
export const renderProgress = (s: ProgressSnapshot): string => {
  const rate = formatRate(rateOf(s.received, s.elapsedMs))
  if (s.total === undefined) return `${SPINNER[s.frame % SPINNER.length]} ${formatBytes(s.received)}  ${rate}`
  const percent = percentOf(s.received, s.total)
  return `${renderBar(percent)} ${String(percent).padStart(3)}%  ${formatBytes(s.received)} / ${formatBytes(s.total)}  ${rate}`
}

/**
 * The line printed when the download ended: `downloaded 1048576 bytes (1.00 MiB) in 0.12 s,
 * 8.33 MiB/s to out.bin`; `incomplete` when it stopped early.
 */
export const renderSummary = (received: number, elapsedMs: number, destination: string, complete = true): string =>
  `${complete ? "downloaded" : "incomplete:"} ${received} bytes (${formatBytes(received)}) in ${formatElapsed(elapsedMs)}, ` +
  `${formatRate(rateOf(received, elapsedMs))} to ${destination}`
