/**
 * Compiles the server runners of `npm run bench:server` the way bench/client compiles its
 * runners: one JavaScript file per runner in bench/.build (gitignored), our sources bundled in
 * and packages left to node_modules, as a user's build would ship it. Every peer is then
 * started as plain `node <file>`, so none is measured through tsx's loader (whose keepNames
 * `__name` wrapping slows closures created at run time, see bench/client/processes.ts).
 *
 * @module
 */
import * as esbuild from "esbuild"
import * as path from "node:path"
import { repoRoot } from "../client/processes.js"

const buildDir = path.join(repoRoot, "bench", ".build")

const built = new Map<string, string>()

/**
 * The compiled file of `script` (relative to the repository root), built once per harness
 * run. Throws esbuild's error (e.g. an unresolved import) when it does not compile.
 */
export const compiled = (script: string): string => {
  const existing = built.get(script)
  if (existing !== undefined) return existing
  const out = path.join(buildDir, script.replace(/[\/]/g, "_").replace(/\.ts$/, ".mjs"))
  esbuild.buildSync({
    entryPoints: [path.join(repoRoot, script)],
    outfile: out,
    bundle: true,
    packages: "external",
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "silent"
  })
  built.set(script, out)
  return out
}
