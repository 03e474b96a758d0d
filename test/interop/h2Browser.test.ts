/**
 * HTTP/2 as real clients speak it (issue 22, docs/http2-plan.md step 4), against every server
 * of `h2Servers` (test/server/h2ServerFactory.ts: the `node:http2` reference today; ours too
 * once `OURS_READY` is flipped there, serving the files with `fileServer`).
 *
 * - Headless Chromium (Debian's `chromium`) loads, over https, a page with 20 images served from
 *   a directory; a script in the page, on `load`, writes every performance entry's
 *   `nextHopProtocol` into the DOM, which `--dump-dom` prints: the navigation and all 20 images
 *   must say "h2". Chromium runs with this machine's working flags (/work/.library/env/machines/
 *   node.md), a fresh `--user-data-dir`, `--ignore-certificate-errors` (the test certificate),
 *   and is killed (its process group, by PID) past 60 s.
 * - curl: `curl --http2 -k` over TLS and `curl --http2-prior-knowledge` over cleartext (h2c)
 *   both report `%{http_version}` 2 and get the body.
 *
 * nghttp (Debian's nghttp2-client) fetches three streams at once and its frame log is read.
 * A missing tool is installed with apt-get when running as root (`chromium`, `curl`), else the
 * test is skipped with a message saying which tool and how to install it. Chromium that is
 * present but cannot start here skips too, with its first stderr lines.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { h2Servers, HELLO } from "../server/h2ServerFactory.js"

/** The path of `command`, installing Debian `pkg` when missing and root; or why it is not there. */
const findOrInstall = (command: string, pkg: string): { readonly path: string } | { readonly skip: string } => {
  const which = () => {
    const out = spawnSync("sh", ["-c", `command -v ${command}`], { encoding: "utf8" })
    return out.status === 0 ? out.stdout.trim() : undefined
  }
  const found = which()
  if (found !== undefined) return { path: found }
  if (process.getuid?.() !== 0) return { skip: `${command} not found and not root: install it with \`sudo apt-get install -y ${pkg}\`` }
  process.stderr.write(`${command} not found; running apt-get install -y ${pkg}\n`)
  // Bounded well inside CI's 10 minutes (a slow mirror skips the test instead).
  spawnSync("apt-get", ["install", "-y", pkg], { stdio: "ignore", timeout: 4 * 60 * 1000 })
  const installed = which()
  return installed !== undefined ? { path: installed } : { skip: `apt-get install -y ${pkg} did not install ${command} (try apt-get update first)` }
}

const chromium = findOrInstall("chromium", "chromium")
const curl = findOrInstall("curl", "curl")
const nghttp = findOrInstall("nghttp", "nghttp2-client")
if ("skip" in chromium) process.stderr.write(`h2Browser: Chromium tests skipped: ${chromium.skip}\n`)
if ("skip" in nghttp) process.stderr.write(`h2Browser: nghttp tests skipped: ${nghttp.skip}\n`)
if ("skip" in curl) process.stderr.write(`h2Browser: curl tests skipped: ${curl.skip}\n`)

const IMAGES = 20

/** A 1x1 transparent PNG. */
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=", "base64")

/** The page: 20 images, and on `load` every performance entry's protocol written into `#result`. */
const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>h2</title></head><body>
${Array.from({ length: IMAGES }, (_, i) => `<img src="/img/${i}.png" width="1" height="1">`).join("\n")}
<pre id="result">pending</pre>
<script>
addEventListener("load", () => {
  const entries = performance.getEntriesByType("navigation").concat(performance.getEntriesByType("resource"))
  document.getElementById("result").textContent = "RESULT" + JSON.stringify(entries.map((e) => [e.name, e.nextHopProtocol])) + "END"
})
</script>
</body></html>
`

/** A temporary directory with the page and its images; removed when the Scope closes. */
const site = Effect.acquireRelease(
  Effect.sync(() => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "h2-site-"))
    fs.mkdirSync(path.join(dir, "img"))
    fs.writeFileSync(path.join(dir, "index.html"), PAGE)
    for (let i = 0; i < IMAGES; i++) fs.writeFileSync(path.join(dir, "img", `${i}.png`), PNG)
    return dir
  }),
  (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
)

interface Ran {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
  readonly timedOut: boolean
}

/** Runs `file args` in its own process group, killing the group (by PID) past `ms`; interruption kills it too. */
const run = (file: string, args: ReadonlyArray<string>, ms: number): Effect.Effect<Ran> =>
  Effect.async<Ran>((resume) => {
    const child = spawn(file, args, { detached: true, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    let timedOut = false
    const killGroup = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL")
      } catch {
        // already gone
      }
    }
    child.stdout.setEncoding("utf8").on("data", (s: string) => {
      stdout += s
    })
    child.stderr.setEncoding("utf8").on("data", (s: string) => {
      if (stderr.length < 64 * 1024) stderr += s
    })
    const timer = setTimeout(() => {
      timedOut = true
      killGroup()
    }, ms)
    child.on("error", (error) => {
      stderr += error.message
    })
    child.on("close", (code) => {
      clearTimeout(timer)
      killGroup() // Chromium's helpers, if any outlived the browser
      resume(Effect.succeed({ code, stdout, stderr, timedOut }))
    })
    return Effect.sync(() => {
      clearTimeout(timer)
      killGroup()
    })
  })

/** A fresh Chromium profile directory, removed when the Scope closes. */
const profile = Effect.acquireRelease(
  Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "h2-chromium-"))),
  (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 }))
)

const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--ignore-certificate-errors"
]

for (const target of h2Servers) {
  describe(`HTTP/2 with real clients against ${target.name}`, () => {
    it.scopedLive.skipIf("skip" in chromium)(`Chromium loads a page with ${IMAGES} images over h2: every entry's nextHopProtocol is "h2"`, (ctx) =>
      Effect.gen(function*() {
        const root = yield* site
        const server = yield* target.make({ root })
        const userData = yield* profile
        const ran = yield* run((chromium as { path: string }).path, [
          ...CHROMIUM_FLAGS,
          `--user-data-dir=${userData}`,
          "--virtual-time-budget=10000",
          "--dump-dom",
          // "/", not "/index.html": Go's FileServer (and ours) redirects …/index.html to ./
          `${server.url}/`
        ], 60_000)
        const match = /<pre id="result">RESULT(.*?)END<\/pre>/s.exec(ran.stdout)
        if (match === null && !ran.stdout.includes("<pre")) {
          // Chromium did not render anything: it cannot run here.
          const why = ran.stderr.split("\n").filter((l) => l.trim() !== "" && !l.includes("dbus")).slice(0, 5).join(" | ")
          process.stderr.write(`h2Browser: Chromium could not load the page (exit ${ran.code}${ran.timedOut ? ", killed after 60 s" : ""}): ${why}\n`)
          ctx.skip()
          return
        }
        expect(match, `the page's script did not write its result: ${ran.stdout.slice(0, 500)}`).not.toBeNull()
        const entries = JSON.parse(match![1]!.replace(/&quot;/g, "\"").replace(/&amp;/g, "&")) as Array<[string, string]>
        const images = entries.filter(([name]) => /\/img\/\d+\.png$/.test(name))
        expect(images.length, JSON.stringify(entries)).toBe(IMAGES)
        expect(entries[0]?.[0], "the navigation entry comes first").toBe(`${server.url}/`)
        for (const [name, protocol] of entries) expect(protocol, name).toBe("h2")
      }), 120_000)

    it.scopedLive.skipIf("skip" in curl)("curl --http2 -k over TLS: %{http_version} is 2, the body is hello", () =>
      Effect.gen(function*() {
        const server = yield* target.make()
        const ran = yield* run((curl as { path: string }).path, ["--http2", "-k", "-s", "--max-time", "10", "-w", "\\n%{http_version}", `${server.url}/`], 20_000)
        expect(ran.code, ran.stderr).toBe(0)
        expect(ran.stdout).toBe(`${HELLO}\n2`)
      }), 30_000)

    it.scopedLive.skipIf("skip" in curl)("curl --http2-prior-knowledge over cleartext (h2c): %{http_version} is 2, the body is hello", () =>
      Effect.gen(function*() {
        const server = yield* target.make({ h2c: true })
        expect(server.url.startsWith("http://")).toBe(true)
        const ran = yield* run((curl as { path: string }).path, ["--http2-prior-knowledge", "-s", "--max-time", "10", "-w", "\\n%{http_version}", `${server.url}/`], 20_000)
        expect(ran.code, ran.stderr).toBe(0)
        expect(ran.stdout).toBe(`${HELLO}\n2`)
      }), 30_000)

    it.scopedLive.skipIf("skip" in nghttp)("nghttp (nghttp2's own client) fetches 3 streams at once over TLS; SETTINGS, HEADERS, DATA and a clean end", () =>
      Effect.gen(function*() {
        const server = yield* target.make()
        // -n: discard the bodies; -v: frames; -m 3: the same URL three times, concurrently.
        const ran = yield* run((nghttp as { path: string }).path, ["-nv", "-m", "3", "-t", "10", `${server.url}/`], 20_000)
        expect(ran.code, ran.stderr + ran.stdout.slice(-2000)).toBe(0)
        expect(ran.stdout).toMatch(/recv SETTINGS frame/)
        expect((ran.stdout.match(/recv \(stream_id=\d+\) :status: 200/g) ?? []).length).toBe(3)
        expect((ran.stdout.match(/recv DATA frame <length=\d+, flags=0x01/g) ?? []).length).toBe(3)
        expect(ran.stdout).not.toMatch(/RST_STREAM|PROTOCOL_ERROR/)
      }), 30_000)
  })
}
