#!/usr/bin/env node
// Writes every ```ts block of README.md to its own file, so that the examples can be
// type-checked: `node scripts/extract-readme.mjs <outDir> [readmePath]` writes
// `<outDir>/readme-01.ts`, `readme-02.ts`, ... (each block a complete module, exactly as in the
// README, so a diagnostic's line N is the README line `startLine + N - 1`) and prints the count.
//
// A block is compiled when its fence's info string starts with `ts` or `typescript`. A block
// fenced ```ts no-check is shown but not compiled (an explicit opt-out; none today).
//
// Plain Node ESM, no dependencies. `extractBlocks(markdown)` is exported for the test.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

const COMPILED_LANGUAGES = new Set(["ts", "typescript"])
const NO_CHECK = "no-check"

/**
 * The ```ts blocks of a Markdown text, in order: `{ name, startLine, info, code }`, where
 * `startLine` is the 1-based README line of the block's first line of code and `name` the file
 * it is written to. Blocks marked `no-check` are left out.
 *
 * @param {string} markdown
 * @returns {Array<{ name: string, startLine: number, info: string, code: string }>}
 */
export const extractBlocks = (markdown) => {
  const lines = markdown.split(/\r?\n/)
  const blocks = []
  let open = null // { fence, indent, info, startLine, body }
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]
    if (open === null) {
      const m = /^( {0,3})(`{3,}|~{3,})(.*)$/.exec(line)
      if (m === null) continue
      const info = m[3].trim()
      if (m[2][0] === "`" && info.includes("`")) continue // not a fence (CommonMark)
      open = { fence: m[2], indent: m[1].length, info, startLine: i + 2, body: [] }
      continue
    }
    const close = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(line)
    if (close !== null && close[1][0] === open.fence[0] && close[1].length >= open.fence.length) {
      const words = open.info.split(/\s+/)
      if (COMPILED_LANGUAGES.has(words[0]) && !words.includes(NO_CHECK)) {
        blocks.push({ info: open.info, startLine: open.startLine, code: open.body.join("\n") + "\n" })
      }
      open = null
      continue
    }
    // Content lines lose up to the fence's indentation (CommonMark).
    let strip = 0
    while (strip < open.indent && line[strip] === " ") strip++
    open.body.push(line.slice(strip))
  }
  const width = Math.max(2, String(blocks.length).length)
  return blocks.map((b, i) => ({ name: `readme-${String(i + 1).padStart(width, "0")}.ts`, ...b }))
}

const main = (argv) => {
  const [outDir, readmeArg] = argv
  if (outDir === undefined || outDir === "--help" || outDir === "-h") {
    process.stderr.write("usage: node scripts/extract-readme.mjs <outDir> [readmePath]\n")
    process.exit(outDir === undefined ? 2 : 0)
  }
  const readmePath = resolve(readmeArg ?? join(dirname(fileURLToPath(import.meta.url)), "..", "README.md"))
  const blocks = extractBlocks(readFileSync(readmePath, "utf8"))
  mkdirSync(outDir, { recursive: true })
  for (const file of readdirSync(outDir)) {
    if (/^readme-\d+\.ts$/.test(file)) rmSync(join(outDir, file)) // none left from an older README
  }
  for (const block of blocks) writeFileSync(join(outDir, block.name), block.code)
  process.stdout.write(`${blocks.length}\n`)
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2))
}
