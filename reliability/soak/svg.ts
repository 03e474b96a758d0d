/**
 * The soak's plot as an SVG written by hand: three panels over one time axis (RSS, heap after
 * GC, open fds), each with its y-axis labelled, the load's start and stop marked by dashed
 * lines (the stop labelled "load stops"), and the baseline of heap and fds drawn as a dotted
 * line. No dependency; `convert.ts` turns it into a PNG when a converter is there.
 *
 * @module
 */

/** One point of the plot. */
export interface PlotPoint {
  /** Seconds since the start. */
  readonly t: number
  readonly rssMiB: number
  readonly heapMiB: number
  readonly fds: number
}

/** What the plot shows. */
export interface PlotInput {
  readonly title: string
  readonly points: ReadonlyArray<PlotPoint>
  /** Seconds since the start when the load started and stopped. */
  readonly loadStart: number
  readonly loadStop: number
  /** Baselines drawn as dotted lines (heap in MiB, fds). */
  readonly baseline?: { readonly heapMiB: number; readonly fds: number }
}

const WIDTH = 900
const PANEL_HEIGHT = 180
const TOP = 40
const GAP = 30
const LEFT = 80
const RIGHT = 20
const BOTTOM = 50

/** The SVG's height for three panels. */
const HEIGHT = TOP + 3 * PANEL_HEIGHT + 2 * GAP + BOTTOM

const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")

const num = (n: number): string => (Number.isFinite(n) ? (Math.round(n * 10) / 10).toString() : "0")

/** Round tick values covering [lo, hi]: about `n` of them, at 1, 2 or 5 times a power of ten. */
export const ticks = (lo: number, hi: number, n = 5): Array<number> => {
  const span = hi - lo
  if (!(span > 0)) return [lo]
  const raw = span / n
  const pow = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow
  const out: Array<number> = []
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)))
  return out
}

const label = (v: number): string => (Math.abs(v) >= 100 || Number.isInteger(v) ? v.toFixed(0) : v.toFixed(1))

interface Series {
  readonly id: string
  readonly name: string
  readonly unit: string
  readonly color: string
  readonly values: ReadonlyArray<number>
  readonly baseline: number | undefined
}

/** The SVG document. */
export const renderSvg = (input: PlotInput): string => {
  const pts = input.points
  const tMax = Math.max(1, input.loadStop, ...pts.map((p) => p.t))
  const plotW = WIDTH - LEFT - RIGHT
  const x = (t: number) => LEFT + (t / tMax) * plotW
  const series: Array<Series> = [
    { id: "series-rss", name: "RSS", unit: "MiB", color: "#1f77b4", values: pts.map((p) => p.rssMiB), baseline: undefined },
    { id: "series-heap", name: "heap after GC", unit: "MiB", color: "#d62728", values: pts.map((p) => p.heapMiB), baseline: input.baseline?.heapMiB },
    { id: "series-fds", name: "open fds", unit: "fds", color: "#2ca02c", values: pts.map((p) => p.fds), baseline: input.baseline?.fds }
  ]
  const out: Array<string> = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(input.title)}</text>`
  ]
  const xTicks = ticks(0, tMax, 10)
  series.forEach((s, i) => {
    const top = TOP + i * (PANEL_HEIGHT + GAP)
    const bottom = top + PANEL_HEIGHT
    const all = s.baseline === undefined ? s.values : [...s.values, s.baseline]
    let lo = Math.min(...all, Infinity)
    let hi = Math.max(...all, -Infinity)
    if (!Number.isFinite(lo)) (lo = 0), (hi = 1)
    const pad = Math.max((hi - lo) * 0.1, hi * 0.02, 0.5)
    lo = Math.max(0, lo - pad)
    hi = hi + pad
    const y = (v: number) => bottom - ((v - lo) / (hi - lo)) * PANEL_HEIGHT
    out.push(`<g id="panel-${s.id.slice(7)}">`)
    out.push(`<rect x="${LEFT}" y="${top}" width="${plotW}" height="${PANEL_HEIGHT}" fill="none" stroke="#888"/>`)
    for (const v of ticks(lo, hi, 5)) {
      if (v < lo || v > hi) continue
      out.push(`<line x1="${LEFT - 4}" y1="${num(y(v))}" x2="${LEFT + plotW}" y2="${num(y(v))}" stroke="#eee"/>`)
      out.push(`<text x="${LEFT - 6}" y="${num(y(v) + 4)}" text-anchor="end">${label(v)}</text>`)
    }
    for (const t of xTicks) out.push(`<line x1="${num(x(t))}" y1="${bottom}" x2="${num(x(t))}" y2="${bottom + 4}" stroke="#888"/>`)
    out.push(`<text transform="translate(${LEFT - 50},${top + PANEL_HEIGHT / 2}) rotate(-90)" text-anchor="middle">${esc(`${s.name} (${s.unit})`)}</text>`)
    if (s.baseline !== undefined) {
      out.push(`<line class="baseline" x1="${LEFT}" y1="${num(y(s.baseline))}" x2="${LEFT + plotW}" y2="${num(y(s.baseline))}" stroke="${s.color}" stroke-dasharray="2,3" stroke-opacity="0.7"/>`)
      out.push(`<text x="${LEFT + plotW - 4}" y="${num(y(s.baseline) - 4)}" text-anchor="end" fill="${s.color}">baseline ${label(s.baseline)}</text>`)
    }
    const line = pts.map((p, k) => `${num(x(p.t))},${num(y(s.values[k]!))}`).join(" ")
    out.push(`<polyline id="${s.id}" fill="none" stroke="${s.color}" stroke-width="2" points="${line}"/>`)
    for (const [k, p] of pts.entries()) out.push(`<circle cx="${num(x(p.t))}" cy="${num(y(s.values[k]!))}" r="2.5" fill="${s.color}"/>`)
    out.push(`<text x="${LEFT + 6}" y="${top + 16}" fill="${s.color}" font-weight="bold">${esc(s.name)}</text>`)
    out.push(`</g>`)
  })
  const top = TOP
  const bottom = TOP + 3 * PANEL_HEIGHT + 2 * GAP
  out.push(`<line id="load-start" x1="${num(x(input.loadStart))}" y1="${top}" x2="${num(x(input.loadStart))}" y2="${bottom}" stroke="#555" stroke-dasharray="6,4"/>`)
  out.push(`<text x="${num(x(input.loadStart) + 4)}" y="${top - 4}">load starts</text>`)
  out.push(`<line id="load-stop" x1="${num(x(input.loadStop))}" y1="${top}" x2="${num(x(input.loadStop))}" y2="${bottom}" stroke="#000" stroke-width="1.5" stroke-dasharray="6,4"/>`)
  out.push(`<text x="${num(x(input.loadStop) - 4)}" y="${top - 4}" text-anchor="end" font-weight="bold">load stops</text>`)
  for (const t of xTicks) out.push(`<text x="${num(x(t))}" y="${bottom + 18}" text-anchor="middle">${label(t)}</text>`)
  out.push(`<text x="${LEFT + plotW / 2}" y="${bottom + 38}" text-anchor="middle">time since the soak started (s)</text>`)
  out.push(`</svg>`)
  return out.join("\n") + "\n"
}
