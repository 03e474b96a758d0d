#!/usr/bin/env node
/**
 * `node scripts/loaded-modules.mjs SPECIFIER [FROM_DIR]`: imports SPECIFIER (resolved from
 * FROM_DIR, default the working directory) under an ESM resolve hook and prints, one per line,
 * every package that got loaded (by name) — e.g. to check that `effect-nethttp/server` loads
 * neither tough-cookie, nor ws, nor @effect/platform. Prints JSON: { packages: [...] }.
 */
import { register } from "node:module"
import { MessageChannel } from "node:worker_threads"
import { pathToFileURL } from "node:url"
import { join, resolve } from "node:path"

const [specifier, fromDir = process.cwd()] = process.argv.slice(2)
if (specifier === undefined) {
  console.error("usage: node scripts/loaded-modules.mjs SPECIFIER [FROM_DIR]")
  process.exit(2)
}
const urls = new Set()
const { port1, port2 } = new MessageChannel()
port1.on("message", (url) => urls.add(url))
port1.unref()
const hook = `
let port
export function initialize(data) { port = data.port }
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context)
  port.postMessage(result.url)
  return result
}
`
register("data:text/javascript," + encodeURIComponent(hook), { data: { port: port2 }, transferList: [port2] })

const { createRequire } = await import("node:module")
const req = createRequire(join(resolve(fromDir), "noop.js"))
let target = specifier
try {
  target = pathToFileURL(req.resolve(specifier)).href
} catch {
  // ESM-only exports (no "require" condition): resolve relative to FROM_DIR through import.meta.resolve
  target = import.meta.resolve(specifier, pathToFileURL(join(resolve(fromDir), "noop.js")).href)
}
await import(target)
// let the hook thread's last messages arrive
await new Promise((r) => setTimeout(r, 100))
const packages = new Set()
for (const url of urls) {
  const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)
  if (m) packages.add(m[1])
}
console.log(JSON.stringify({ packages: [...packages].sort(), modules: urls.size }))
