/**
 * What the benchmark orchestrators (bench/client.ts, bench/server.ts) share: the repository
 * root, compiling a runner script once with esbuild, selecting peers and cases from the
 * environment, and killing every child process when the orchestrator ends.
 *
 * @module
 */
import { spawnSync } from "node:child_process"
import * as esbuild from "esbuild"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

/** The repository root: children run from here, so that packages resolve from node_modules. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")

/** Where the compiled scripts go (gitignored). */
const buildDir = path.join(repoRoot, "bench", ".build")

const built = new Map<string, string>()

/**
 * Compiles `script` (relative to the repository root) to one JavaScript file, once per
 * orchestrator run: our sources bundled in and packages left to node_modules, as a user's
 * build would ship it. Running TypeScript through tsx instead wraps every function created at
 * run time in esbuild's `__name` (keepNames), which made our per-request closures twice as
 * slow and would measure the loader, not the code. Throws esbuild's error when it fails.
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

/** The entries of `all` named in the comma list `env` (all of them when unset). */
export const select = <A extends { readonly name: string }>(all: ReadonlyArray<A>, env: string | undefined, what: string): ReadonlyArray<A> => {
  if (env === undefined || env.trim() === "") return all
  const names = env.split(",").map((s) => s.trim()).filter((s) => s !== "")
  const unknown = names.filter((n) => !all.some((a) => a.name === n))
  if (unknown.length > 0) throw new Error(`unknown ${what}: ${unknown.join(", ")} (known: ${all.map((a) => a.name).join(", ")})`)
  return all.filter((a) => names.includes(a.name))
}

/**
 * For a benchmark that runs in one process: unless this process is already the child (`flag`
 * is "1" in its environment), runs `script` compiled (see `compiled`) in a child process with
 * `flag` set, and exits with its status. Call it first, at the script's top level.
 */
export const runCompiledChild = (script: string, flag: string): void => {
  if (process.env[flag] === "1") return
  const child = spawnSync(process.execPath, [compiled(script)], {
    cwd: repoRoot,
    stdio: "inherit",
    env: { ...process.env, [flag]: "1" }
  })
  if (child.error !== undefined) throw child.error
  process.exit(child.status ?? 1)
}

/** A positive number from the environment variable `name`, or `fallback` when it is unset. */
export const positiveFromEnv = (name: string, fallback: number): number => {
  const n = Number(process.env[name] ?? fallback)
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number`)
  return n
}

/** `BENCH_ROUNDS` (default 3), checked. */
export const roundsFromEnv = (): number => {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3)
  if (!Number.isSafeInteger(rounds) || rounds < 1) throw new Error(`BENCH_ROUNDS must be a positive integer`)
  return rounds
}

/** Runs `killAll` when the orchestrator exits or is interrupted (then exits with 130). */
export const killOnExit = (killAll: () => void): void => {
  process.on("exit", killAll)
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      killAll()
      process.exit(130)
    })
  }
}
