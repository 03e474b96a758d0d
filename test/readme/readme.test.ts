/**
 * README.md's TypeScript examples compile: every ```ts block is extracted by
 * scripts/extract-readme.mjs (as `npm run test:package` does for the built package) and
 * type-checked here against the sources, with `effect-nethttp` and its subpaths mapped to
 * src/ through `paths`, so that no build is needed. A failure lists each diagnostic at its
 * README line.
 */
import { execFileSync } from "node:child_process"
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import ts from "typescript"
import { afterAll, describe, expect, it } from "vitest"

const root = fileURLToPath(new URL("../..", import.meta.url))
const readmePath = join(root, "README.md")
const readme = readFileSync(readmePath, "utf8")

interface Block {
  readonly name: string
  readonly startLine: number
  readonly info: string
  readonly code: string
}

const script = join(root, "scripts", "extract-readme.mjs")
const { extractBlocks } = (await import(pathToFileURL(script).href)) as {
  readonly extractBlocks: (markdown: string) => ReadonlyArray<Block>
}

/**
 * The package's entry points (`exports` in package.json: `.`, `./client`, `./server`, ...) and
 * the sources they are built from: `./dist/client.d.ts` comes from `src/client.ts`.
 */
const entryPoints = (): ReadonlyArray<readonly [string, string]> => {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    readonly name: string
    readonly exports: Record<string, string | { readonly types?: string }>
  }
  return Object.entries(pkg.exports).flatMap(([subpath, target]) => {
    const types = typeof target === "string" ? undefined : target.types
    if (types === undefined || !types.startsWith("./dist/")) return [] // ./package.json
    const source = `src/${types.slice("./dist/".length).replace(/\.d\.ts$/, ".ts")}`
    return [[subpath === "." ? pkg.name : `${pkg.name}/${subpath.slice(2)}`, source] as const]
  })
}

const INSTALL_LINE = "npm install effect-nethttp effect @effect/platform"

// Inside the repository (node_modules/.cache is git-ignored), so that `effect`,
// `@effect/platform`, `@effect/vitest` and `@types/node` resolve from its node_modules.
const outDir = join(root, "node_modules", ".cache", `readme-check-${process.pid}-${Date.now()}`)
afterAll(() => rmSync(outDir, { recursive: true, force: true }))

describe("README.md", () => {
  it("quick start begins with the install line", () => {
    const lines = readme.split(/\r?\n/)
    const heading = lines.findIndex((line) => /^##\s+Quick start\s*$/i.test(line))
    expect(heading, "a `## Quick start` section").toBeGreaterThanOrEqual(0)
    const rest = lines.slice(heading + 1)
    const first = rest.findIndex((line) => line.trim() !== "")
    expect(rest[first], "the quick start opens with a code block").toMatch(/^```(sh|bash|shell)?\s*$/)
    expect(rest[first + 1]?.trim()).toBe(INSTALL_LINE)
  })

  it("every ts block type-checks against the sources", () => {
    const blocks = extractBlocks(readme)
    expect(blocks.length).toBeGreaterThan(0)

    // The script's command line, as `npm run test:package` runs it: it prints the count.
    const printed = execFileSync(process.execPath, [script, outDir, readmePath], { encoding: "utf8" })
    expect(printed.trim()).toBe(String(blocks.length))
    // A consumer's package: ES modules, as `npm run test:package`'s projects are.
    writeFileSync(join(outDir, "package.json"), JSON.stringify({ type: "module", private: true }))
    const byFile = new Map<string, Block>()
    for (const block of blocks) {
      const file = join(outDir, block.name)
      expect(readFileSync(file, "utf8")).toBe(block.code)
      byFile.set(resolve(file), block)
    }

    const paths: Record<string, Array<string>> = {}
    for (const [specifier, source] of entryPoints()) {
      const file = join(root, source)
      expect(existsSync(file), `${specifier}'s source ${source}`).toBe(true)
      paths[specifier] = [file]
    }
    // The entry points the README's quick start names.
    expect(Object.keys(paths)).toEqual(expect.arrayContaining(
      ["effect-nethttp", "effect-nethttp/client", "effect-nethttp/server", "effect-nethttp/platform", "effect-nethttp/testing"]
    ))

    const options: ts.CompilerOptions = {
      strict: true,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      lib: ["lib.es2022.d.ts"],
      types: ["node"],
      skipLibCheck: true,
      noEmit: true,
      esModuleInterop: true,
      paths
    }
    const program = ts.createProgram([...byFile.keys()], options)
    // The blocks' own diagnostics (the sources are `npm run typecheck`'s), which also keeps the
    // checker from checking every source file's bodies.
    const diagnostics = [
      ...program.getOptionsDiagnostics(),
      ...program.getGlobalDiagnostics(),
      ...[...byFile.keys()].flatMap((file) => {
        const source = program.getSourceFile(file)
        if (source === undefined) throw new Error(`${file} is not in the program`)
        return [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]
      })
    ]

    const report = diagnostics.map((d) => {
      const message = ts.flattenDiagnosticMessageText(d.messageText, "\n")
      if (d.file === undefined || d.start === undefined) return `TS${d.code}: ${message}`
      const { line, character } = d.file.getLineAndCharacterOfPosition(d.start)
      const block = byFile.get(resolve(d.file.fileName))
      if (block !== undefined) {
        return `README.md:${block.startLine + line}:${character + 1} (${block.name}) TS${d.code}: ${message}`
      }
      return `${d.file.fileName}:${line + 1}:${character + 1} TS${d.code}: ${message}`
    })
    expect(report.length, `README.md's examples do not compile:\n${report.join("\n")}\n`).toBe(0)
  }, 60_000)
})
