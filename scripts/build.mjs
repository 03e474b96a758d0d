#!/usr/bin/env node
/**
 * `npm run build`: compiles src/ (without the demo, src/main.ts) into dist/ with
 * tsconfig.build.json — ES modules, .d.ts files, declaration maps and source maps (with the
 * sources inlined, so no map needs a file outside dist/) — then writes the CLI's executable
 * entry dist/cli/bin.js (`#!/usr/bin/env node`, mode 755), the package's `bin`.
 */
import { spawnSync } from "node:child_process"
import { chmodSync, rmSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const dist = join(root, "dist")
rmSync(dist, { recursive: true, force: true })

const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc")
const result = spawnSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json")], { stdio: "inherit", cwd: root })
if (result.status !== 0) process.exit(result.status ?? 1)

const bin = join(dist, "cli", "bin.js")
writeFileSync(
  bin,
  `#!/usr/bin/env node
// The effect-nethttp command (the package's "bin"): runs the compiled CLI with plain node.
import "./main.js"
`
)
chmodSync(bin, 0o755)
console.log("built dist/ (bin: dist/cli/bin.js)")
