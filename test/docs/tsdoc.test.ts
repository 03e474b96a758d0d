/**
 * API reference check (issue 18, item 5): every export of the public surface carries TSDoc
 * with `@since` and `@category`, as Effect's own packages do.
 *
 * The public surface is what the package's entry points export (src/index.ts and, when they
 * exist, the entry points by job). Re-exports are followed to their declarations, and for
 * `export * as X` namespaces every export of the module is checked, plus an `@since` on the
 * module's own comment.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import ts from "typescript"
import { describe, expect, it } from "vitest"

const root = path.resolve(__dirname, "../..")
const entryPoints = ["index", "client", "server", "platform", "testing"]
  .map((name) => path.join(root, "src", `${name}.ts`))
  .filter((file) => fs.existsSync(file))

/** Every source file: with `noResolve`, imports bind only within these, which keeps it fast. */
const sourceFiles = (dir: string): Array<string> =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(file)
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [file] : []
  })

const compilerOptions: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  types: [],
  noLib: true,
  noResolve: true,
  noEmit: true,
  skipLibCheck: true
}

const tagNames = (node: ts.Node): Set<string> => new Set(ts.getJSDocTags(node).map((tag) => tag.tagName.text))

const hasTags = (node: ts.Node): boolean => {
  const tags = tagNames(node)
  return tags.has("since") && tags.has("category")
}

const isTypeOnly = (decl: ts.Declaration): boolean =>
  ts.isInterfaceDeclaration(decl) || ts.isTypeAliasDeclaration(decl)

const isModuleFile = (symbol: ts.Symbol): ts.SourceFile | undefined => {
  const decl = symbol.declarations?.[0]
  return decl !== undefined && ts.isSourceFile(decl) ? decl : undefined
}

/** The tags of a file's `@module` comment (the leading JSDoc comment with a `@module` tag). */
const moduleTags = (file: ts.SourceFile): Set<string> => {
  for (const range of ts.getLeadingCommentRanges(file.text, 0) ?? []) {
    const text = file.text.slice(range.pos, range.end)
    if (!text.startsWith("/**")) continue
    const tags = new Set([...text.matchAll(/@(\w+)/g)].map((m) => m[1]!))
    if (tags.has("module")) return tags
  }
  return new Set()
}

const where = (decl: ts.Node): string => {
  const file = decl.getSourceFile()
  const { line } = file.getLineAndCharacterOfPosition(decl.getStart())
  return `${path.relative(root, file.fileName)}:${line + 1}`
}

/**
 * Whether a symbol's declarations carry both tags. A class documents both its value and its
 * type; otherwise the value side (const, function, enum) and the type side (interface, type
 * alias) of a name are documented separately, so each needs a tagged declaration.
 */
const documented = (decls: ReadonlyArray<ts.Declaration>): boolean => {
  if (decls.some((d) => ts.isClassDeclaration(d) && hasTags(d))) return true
  const values = decls.filter((d) => !isTypeOnly(d))
  const types = decls.filter(isTypeOnly)
  return (values.length === 0 || values.some(hasTags)) && (types.length === 0 || types.some(hasTags))
}

const collectMissing = (): { readonly checked: number; readonly missing: ReadonlyArray<string> } => {
  const program = ts.createProgram([...new Set([...entryPoints, ...sourceFiles(path.join(root, "src"))])], compilerOptions)
  const checker = program.getTypeChecker()
  const seen = new Set<ts.Symbol>()
  const seenModules = new Set<ts.Symbol>()
  const missing = new Set<string>()
  let checked = 0

  const visitModule = (moduleSymbol: ts.Symbol, prefix: string): void => {
    if (seenModules.has(moduleSymbol)) return
    seenModules.add(moduleSymbol)
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const name = `${prefix}${exported.name}`
      const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported
      const file = isModuleFile(target)
      if (file !== undefined) {
        // `export * as Name from "./module.js"`: the namespace's module comment and its exports.
        if (!seenModules.has(target) && !moduleTags(file).has("since")) {
          missing.add(`${name} (module comment, @since) ${path.relative(root, file.fileName)}`)
        }
        visitModule(target, `${name}.`)
        continue
      }
      if (seen.has(target)) continue
      seen.add(target)
      const decls = (target.declarations ?? []).filter((d) => !d.getSourceFile().isDeclarationFile)
      if (decls.length === 0) continue
      checked++
      if (!documented(decls)) missing.add(`${name} ${where(decls[0]!)}`)
    }
  }

  for (const entry of entryPoints) {
    const source = program.getSourceFile(entry)
    if (source === undefined) throw new Error(`entry point not in the program: ${entry}`)
    const moduleSymbol = checker.getSymbolAtLocation(source)
    if (moduleSymbol === undefined) throw new Error(`entry point is not a module: ${entry}`)
    visitModule(moduleSymbol, "")
  }
  return { checked, missing: [...missing].sort() }
}

describe("TSDoc of the public surface", () => {
  it("every export has @since and @category", () => {
    const { checked, missing } = collectMissing()
    expect(checked).toBeGreaterThan(100)
    expect(missing).toEqual([])
  })
})
