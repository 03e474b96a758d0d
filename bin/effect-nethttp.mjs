#!/usr/bin/env node
/**
 * `effect-nethttp`: the CLI (src/cli/main.ts), run from its TypeScript sources through tsx's
 * ESM loader (tsx is a dependency of the development install, `npm install` / `npm ci`).
 * The project's tsconfig.json is used whatever the working directory.
 */
import { register } from "tsx/esm/api"
import { fileURLToPath } from "node:url"

register({ tsconfig: fileURLToPath(new URL("../tsconfig.json", import.meta.url)) })
await import(new URL("../src/cli/main.ts", import.meta.url).href)
