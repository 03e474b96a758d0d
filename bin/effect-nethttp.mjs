#!/usr/bin/env node
/**
 * `npm run cli -- ARGS`: the `effect-nethttp` command run from its TypeScript sources
 * (src/cli/main.ts) through tsx's ESM loader — for development in this repository, no build
 * needed (tsx is a dev dependency). The published package's `bin` is the compiled
 * dist/cli/bin.js instead (written by `npm run build`), which runs with plain node.
 * The project's tsconfig.json is used whatever the working directory.
 */
import { register } from "tsx/esm/api"
import { fileURLToPath } from "node:url"

register({ tsconfig: fileURLToPath(new URL("../tsconfig.json", import.meta.url)) })
await import(new URL("../src/cli/main.ts", import.meta.url).href)
