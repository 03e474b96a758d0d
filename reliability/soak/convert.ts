/**
 * SVG to PNG with whatever converter the machine has: `rsvg-convert` (Debian's
 * `librsvg2-bin`), else a headless Chromium screenshot. Each try is bounded (60 s); when
 * neither works the SVG stays alone and the answer says why (not a failure of the soak).
 *
 * @module
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import { pathToFileURL } from "node:url"

/** How the conversion went. */
export type Conversion =
  | { readonly _tag: "Converted"; readonly tool: string }
  | { readonly _tag: "NotConverted"; readonly reason: string }

const TIMEOUT_MS = 60_000

const svgSize = (svg: string): { readonly width: number; readonly height: number } => {
  const w = /width="(\d+)"/.exec(svg)
  const h = /height="(\d+)"/.exec(svg)
  return { width: Number(w?.[1] ?? 900), height: Number(h?.[1] ?? 700) }
}

const tryRun = (file: string, args: ReadonlyArray<string>): string | undefined => {
  try {
    execFileSync(file, args, { timeout: TIMEOUT_MS, stdio: ["ignore", "ignore", "pipe"] })
    return undefined
  } catch (e) {
    return e instanceof Error ? e.message.split("\n")[0] : String(e)
  }
}

/** Converts `svgFile` to `pngFile`. */
export const svgToPng = (svgFile: string, pngFile: string): Conversion => {
  fs.rmSync(pngFile, { force: true })
  const tried: Array<string> = []
  const rsvg = tryRun("rsvg-convert", ["-b", "white", "-o", pngFile, svgFile])
  if (rsvg === undefined && fs.existsSync(pngFile)) return { _tag: "Converted", tool: "rsvg-convert" }
  tried.push(`rsvg-convert: ${rsvg ?? "no output"}`)
  const { height, width } = svgSize(fs.readFileSync(svgFile, "utf8"))
  for (const chromium of ["chromium", "chromium-browser", "google-chrome"]) {
    const err = tryRun(chromium, [
      "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
      `--window-size=${width},${height}`, `--screenshot=${pngFile}`, pathToFileURL(svgFile).href
    ])
    if (err === undefined && fs.existsSync(pngFile)) return { _tag: "Converted", tool: `${chromium} --headless --screenshot` }
    tried.push(`${chromium}: ${err ?? "no output"}`)
  }
  return { _tag: "NotConverted", reason: tried.join("; ") }
}
