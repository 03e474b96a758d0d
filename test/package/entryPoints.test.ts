/**
 * The package's entry points (package.json `exports`): `.` is everything, and each entry point
 * by job exports the same bindings `.` does; a server-only program's static import graph
 * reaches neither tough-cookie, nor ws, nor @effect/platform (npm run test:package checks the
 * same on the built package, at run time).
 */
import { describe, expect, it } from "vitest"
import { readFileSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import * as All from "../../src/index.js"
import * as ClientEntry from "../../src/client.js"
import * as PlatformEntry from "../../src/platform.js"
import * as ServerEntry from "../../src/server.js"
import * as TestingEntry from "../../src/testing.js"

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..")

/** The bare (package) specifiers reached by static imports from `entry`, following relative ones. */
const packagesReached = (entry: string): Set<string> => {
  const seen = new Set<string>()
  const packages = new Set<string>()
  const visit = (file: string) => {
    if (seen.has(file)) return
    seen.add(file)
    const source = readFileSync(file, "utf8")
    // static imports and re-exports; `import type` is erased, so it does not count
    for (const m of source.matchAll(/^(?:import|export)\s+(?!type\s)[^"'`;]*?\s*from\s+"([^"]+)"|^import\s+"([^"]+)"/gm)) {
      const spec = m[1] ?? m[2]!
      if (spec.startsWith(".")) visit(resolve(dirname(file), spec.replace(/\.js$/, ".ts")))
      else if (!spec.startsWith("node:")) packages.add(spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!)
    }
  }
  visit(join(root, entry))
  return packages
}

describe("package entry points", () => {
  it.each([
    ["client", ClientEntry],
    ["server", ServerEntry],
    ["platform", PlatformEntry],
    ["testing", TestingEntry]
  ] as const)("effect-nethttp/%s exports what effect-nethttp exports, the same values", (_, entry) => {
    for (const [name, value] of Object.entries(entry)) {
      expect(name in All, name).toBe(true)
      expect((All as Record<string, unknown>)[name], name).toBe(value)
    }
  })

  it("the server entry point loads neither tough-cookie, nor ws, nor @effect/platform", () => {
    const reached = packagesReached("src/server.ts")
    expect([...reached].sort()).toEqual(["effect", "mime"])
  })

  it("the client entry point does not load the server's or the platform's packages", () => {
    const reached = packagesReached("src/client.ts")
    expect(reached.has("@effect/platform")).toBe(false)
    expect(reached.has("ws")).toBe(false)
    expect(reached.has("mime")).toBe(false)
  })

  it("the package.json exports name these entry points, with types and import conditions", () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"))
    for (const [sub, file] of [[".", "index"], ["./client", "client"], ["./server", "server"], ["./platform", "platform"], ["./testing", "testing"]]) {
      expect(pkg.exports[sub!]).toMatchObject({ types: `./dist/${file}.d.ts`, import: `./dist/${file}.js` })
    }
    expect(pkg.peerDependencies).toHaveProperty("effect")
    expect(pkg.peerDependencies).toHaveProperty("@effect/platform")
    expect(pkg.dependencies).not.toHaveProperty("effect")
    expect(pkg.dependencies).not.toHaveProperty("@effect/platform")
  })
})
