#!/usr/bin/env node
/**
 * `npm run test:package`: the package as a user gets it. Builds dist/, packs the tarball, installs
 * it with `effect` and `@effect/platform` (our devDependencies' versions, from the npm cache when
 * possible) into fresh temporary projects, and checks:
 *
 *  (e) the tarball holds package.json, README.md, LICENSE, CHANGELOG.md and dist/ only: nothing
 *      of test/, bench/, demo/, src/, and no source map outside dist/;
 *  (a) a plain .mjs consumer starts a Server on port 0, GETs it with the Client, prints the body;
 *  (c) an app's own Transport layer (built with its own effect) is used by the library's Client,
 *      and only one `effect` is installed;
 *      a server-only program (`effect-nethttp/server`) loads neither tough-cookie, nor ws, nor
 *      @effect/platform;
 *  (d) `npx effect-nethttp --help` exits 0, and `npx effect-nethttp get URL` fetches a body;
 *  (b) TypeScript consumers (strict; moduleResolution nodenext, and bundler) pass `tsc --noEmit`
 *      on scripts/package-consumers/consumer.ts and on every ```ts block of README.md
 *      (scripts/extract-readme.mjs), with the repository's TypeScript.
 *
 * Flags: --no-build (use the existing dist/), --keep (leave the temp dir). Bounded: every child
 * process has a timeout, and the whole run is cut at 5 minutes. Temp dirs are removed at the end.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process"
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:http"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const consumers = join(root, "scripts", "package-consumers")
const args = new Set(process.argv.slice(2))
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"))
const tmp = mkdtempSync(join(tmpdir(), "effect-nethttp-package-"))
const npm = process.platform === "win32" ? "npm.cmd" : "npm"
const tsc = join(root, "node_modules", "typescript", "bin", "tsc")
const started = Date.now()
let failures = 0

const cleanup = () => {
  if (!args.has("--keep")) rmSync(tmp, { recursive: true, force: true })
  else console.log(`kept ${tmp}`)
}
const overall = setTimeout(() => {
  console.error("test:package: timed out after 5 minutes")
  cleanup()
  process.exit(1)
}, 5 * 60_000)
overall.unref()

const run = (cmd, argv, cwd, { timeout = 120_000, env } = {}) => {
  const r = spawnSync(cmd, argv, { cwd, encoding: "utf8", timeout, env: { ...process.env, ...env } })
  return { status: r.status, out: (r.stdout ?? "") + (r.stderr ?? ""), stdout: r.stdout ?? "", error: r.error }
}
const check = (name, ok, detail = "") => {
  console.log(`${ok ? "ok  " : "FAIL"} ${name}${detail ? `\n${detail.trimEnd().replace(/^/gm, "     ")}` : ""}`)
  if (!ok) failures++
}
const step = (name, cmd, argv, cwd, options) => {
  const r = run(cmd, argv, cwd, options)
  check(name, r.status === 0, r.status === 0 ? "" : `${cmd} ${argv.join(" ")} -> ${r.status ?? r.error}\n${r.out}`)
  return r
}

try {
  // build and pack
  if (!args.has("--no-build")) {
    const b = step("npm run build", npm, ["run", "build"], root, { timeout: 180_000 })
    if (b.status !== 0) throw new Error("build failed")
  }
  const packed = run(npm, ["pack", "--json", "--pack-destination", tmp], root)
  if (packed.status !== 0) throw new Error(`npm pack failed:\n${packed.out}`)
  const info = JSON.parse(packed.stdout.slice(packed.stdout.indexOf("[")))[0]
  const tarball = join(tmp, info.filename)
  console.log(`packed ${info.filename}: ${info.size} B packed, ${info.unpackedSize} B unpacked, ${info.entryCount} files`)

  // (e) what the tarball holds
  const entries = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" }).split("\n").filter(Boolean)
  const allowedTop = new Set(["package/package.json", "package/README.md", "package/LICENSE", "package/CHANGELOG.md"])
  const stray = entries.filter((e) => !allowedTop.has(e) && !e.startsWith("package/dist/"))
  const forbidden = entries.filter((e) => /(^|\/)(test|tests|bench|demo|src|scripts)\//.test(e.replace(/^package\//, "")) && !e.startsWith("package/dist/"))
  const mapsOutside = entries.filter((e) => e.endsWith(".map") && !e.startsWith("package/dist/"))
  const testFiles = entries.filter((e) => /\.test\.[cm]?[jt]s$/.test(e))
  check("(e) tarball: only package.json, README.md, LICENSE, CHANGELOG.md and dist/", stray.length === 0, stray.join("\n"))
  check("(e) tarball: no test, bench, demo or source map outside dist/", forbidden.length + mapsOutside.length + testFiles.length === 0, [...forbidden, ...mapsOutside, ...testFiles].join("\n"))
  for (const f of ["package/LICENSE", "package/README.md", "package/CHANGELOG.md", "package/dist/index.js", "package/dist/index.d.ts", "package/dist/cli/bin.js"]) {
    check(`(e) tarball has ${f.slice(8)}`, entries.includes(f))
  }
  // every source map in dist carries its sources, so none needs a file outside dist/
  const sourcesInline = (() => {
    const list = execFileSync("tar", ["-xzOf", tarball, "package/dist/index.js.map"], { encoding: "utf8" })
    const map = JSON.parse(list)
    return Array.isArray(map.sourcesContent) && map.sourcesContent.length === map.sources.length
  })()
  check("(e) source maps carry sourcesContent", sourcesInline)

  const peers = [`effect@${pkg.devDependencies.effect}`, `@effect/platform@${pkg.devDependencies["@effect/platform"]}`]
  const install = (dir, extra = []) => {
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }, null, 2))
    return step(`npm install the tarball + ${[...peers, ...extra].join(" ")} in ${dir.slice(tmp.length + 1)}`, npm, ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", tarball, ...peers, ...extra], dir, { timeout: 180_000 })
  }

  // the run-time consumers: (a), (c), server-only, (d)
  const app = join(tmp, "app")
  execFileSync("mkdir", ["-p", app])
  if (install(app).status === 0) {
    for (const f of ["hello.mjs", "own-transport.mjs", "server-only.mjs"]) cpSync(join(consumers, f), join(app, f))
    const a = run(process.execPath, ["hello.mjs"], app, { timeout: 30_000 })
    check("(a) plain .mjs consumer: Server on port 0, GET with the Client, body printed", a.status === 0 && a.stdout.trim() === "hello from /package", a.out)
    const c = run(process.execPath, ["own-transport.mjs"], app, { timeout: 30_000 })
    check("(c) the app's own Transport layer is the one the library's Client uses; one effect", c.status === 0, c.out)
    const s = run(process.execPath, ["server-only.mjs"], app, { timeout: 30_000 })
    const loaded = s.status === 0 ? JSON.parse(s.stdout.trim().split("\n").pop()) : []
    const heavy = loaded.filter((p) => ["tough-cookie", "ws", "@effect/platform"].includes(p))
    check("server-only program loads neither tough-cookie, nor ws, nor @effect/platform", s.status === 0 && heavy.length === 0, `${s.status === 0 ? "" : s.out}loaded: ${loaded.join(", ")}`)
    const help = run("npx", ["--no-install", "effect-nethttp", "--help"], app, { timeout: 30_000 })
    check("(d) npx effect-nethttp --help exits 0", help.status === 0 && help.stdout.includes("Usage:"), help.status === 0 ? "" : help.out)
    // npx effect-nethttp get URL against a node:http server
    const server = createServer((_, res) => res.end("from node:http\n"))
    await new Promise((r) => server.listen(0, "127.0.0.1", r))
    const url = `http://127.0.0.1:${server.address().port}/x`
    const got = await new Promise((resolve) => {
      const child = spawn("npx", ["--no-install", "effect-nethttp", "get", url], { cwd: app })
      let out = ""
      child.stdout.on("data", (d) => (out += d))
      child.stderr.on("data", (d) => (out += d))
      const timer = setTimeout(() => child.kill(), 30_000)
      child.on("close", (code) => { clearTimeout(timer); resolve({ code, out }) })
    })
    server.close()
    check("(d) npx effect-nethttp get URL prints the body", got.code === 0 && got.out.includes("from node:http"), got.out)
  }

  // (b) TypeScript consumers
  const ts = join(tmp, "ts")
  execFileSync("mkdir", ["-p", ts])
  const typesNode = JSON.parse(readFileSync(join(root, "node_modules", "@types", "node", "package.json"), "utf8")).version
  // README's test example imports @effect/vitest (and so vitest): our devDependencies' versions
  const testKit = ["@effect/vitest", "vitest"].map((n) => `${n}@${JSON.parse(readFileSync(join(root, "node_modules", n, "package.json"), "utf8")).version}`)
  if (install(ts, [`@types/node@${typesNode}`, ...testKit]).status === 0) {
    cpSync(join(consumers, "consumer.ts"), join(ts, "src", "consumer.ts"))
    const extract = join(root, "scripts", "extract-readme.mjs")
    let readmeBlocks = 0
    if (existsSync(extract) && existsSync(join(root, "README.md"))) {
      const r = step("extract README.md's ```ts blocks", process.execPath, [extract, join(ts, "src", "readme")], root)
      readmeBlocks = Number(/(\d+)/.exec(r.stdout)?.[1] ?? 0)
    } else {
      // HOOK: scripts/extract-readme.mjs writes one .ts file per ```ts block of README.md into
      // src/readme/; without it only consumer.ts is checked.
      console.log("note: scripts/extract-readme.mjs not found: README blocks not checked")
    }
    const base = {
      target: "ES2022",
      lib: ["ES2022", "DOM"],
      module: "NodeNext",
      moduleResolution: "NodeNext",
      types: ["node"],
      strict: true,
      noEmit: true,
      skipLibCheck: false,
      exactOptionalPropertyTypes: false
    }
    const configs = {
      nodenext: { ...base },
      bundler: { ...base, module: "ESNext", moduleResolution: "bundler" }
    }
    for (const [name, compilerOptions] of Object.entries(configs)) {
      writeFileSync(join(ts, `tsconfig.${name}.json`), JSON.stringify({ compilerOptions, include: ["src"] }, null, 2))
      const r = run(process.execPath, [tsc, "-p", `tsconfig.${name}.json`], ts, { timeout: 120_000 })
      check(`(b) tsc --noEmit, strict, moduleResolution ${name}: consumer.ts + ${readmeBlocks} README block(s)`, r.status === 0, r.out)
    }
  }
} catch (e) {
  check("test:package", false, String(e?.stack ?? e))
} finally {
  cleanup()
}
console.log(`test:package: ${failures === 0 ? "passed" : `${failures} check(s) failed`} in ${((Date.now() - started) / 1000).toFixed(1)} s`)
process.exit(failures === 0 ? 0 : 1)
