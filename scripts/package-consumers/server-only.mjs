// A server-only program: prints the packages that importing effect-nethttp/server loaded
// (the test fails if tough-cookie, ws or @effect/platform is among them).
import { register } from "node:module"
import { MessageChannel } from "node:worker_threads"

const urls = new Set()
const { port1, port2 } = new MessageChannel()
port1.on("message", (url) => urls.add(url))
port1.unref()
const hook = `let port
export function initialize(data) { port = data.port }
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context)
  port.postMessage(result.url)
  return result
}`
register("data:text/javascript," + encodeURIComponent(hook), { data: { port: port2 }, transferList: [port2] })
await import("effect-nethttp/server")
await new Promise((r) => setTimeout(r, 100))
const packages = new Set()
for (const url of urls) {
  const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)
  if (m) packages.add(m[1])
}
console.log(JSON.stringify([...packages].sort()))
