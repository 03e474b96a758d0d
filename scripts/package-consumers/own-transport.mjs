// (c) The app provides its own Transport layer, built with its own copy of effect, and the
// library's Client uses it: one Effect instance, so the app's Tag/Layer is the library's.
import { Context, Effect, Layer, Ref } from "effect"
import { Body, Client, Server, ServerResponse, Transport } from "effect-nethttp"
import { createRequire } from "node:module"
import { existsSync, readdirSync } from "node:fs"
import { join } from "node:path"

// Only one effect installed, and the library resolves the same one the app does.
const require = createRequire(import.meta.url)
const appEffect = import.meta.resolve("effect")
const libEffect = import.meta.resolve("effect", import.meta.resolve("effect-nethttp"))
if (appEffect !== libEffect) throw new Error(`two effect copies: ${appEffect} vs ${libEffect}`)
const copies = []
const walk = (dir) => {
  if (!existsSync(dir)) return
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue
    const path = join(dir, entry.name)
    if (entry.name === "effect" && existsSync(join(path, "package.json"))) copies.push(path)
    if (entry.name.startsWith("@")) walk(path)
    else walk(join(path, "node_modules"))
  }
}
walk(join(process.cwd(), "node_modules"))
if (copies.length !== 1) throw new Error(`expected one effect in node_modules, found ${copies.join(", ")}`)
void require

// The app's Transport: the library's default Transport, wrapped (Go's RoundTripper
// composition) to count round trips, built with the app's Layer/Effect.
class Calls extends Context.Tag("app/Calls")() {}
const CountingTransport = Layer.effect(
  Transport,
  Effect.gen(function*() {
    const inner = yield* Transport
    const calls = yield* Calls
    const counted = (f) => (...args) => Effect.zipRight(Ref.update(calls, (n) => n + 1), f.apply(inner, args))
    return Object.assign(Object.create(inner), {
      roundTrip: counted(inner.roundTrip),
      roundTripWith: counted(inner.roundTripWith),
      roundTripIn: counted(inner.roundTripIn)
    })
  })
).pipe(Layer.provide(Transport.layer()))

const CallsLive = Layer.effect(Calls, Ref.make(0))
const ServerLive = Server.layer({ host: "127.0.0.1", port: 0, handler: () => Effect.succeed(ServerResponse.text("ok")) })
const ClientLive = Client.layer().pipe(Layer.provide(CountingTransport))

const program = Effect.gen(function*() {
  const server = yield* Server
  const client = yield* Client
  const response = yield* client.get(`${server.url}/`)
  const body = new TextDecoder().decode(yield* Body.collect(response.body))
  const n = yield* Ref.get(yield* Calls)
  if (body !== "ok" || n < 1) throw new Error(`the Client did not use the app's Transport (body ${body}, calls ${n})`)
  console.log(`own transport: ${n} round trip(s) through the app's layer; one effect at ${copies[0]}`)
})

await Effect.runPromise(
  program.pipe(Effect.scoped, Effect.provide(Layer.mergeAll(ServerLive, ClientLive.pipe(Layer.provideMerge(CallsLive)))))
)
