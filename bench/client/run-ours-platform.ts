/**
 * The `ours-platform` peer of `npm run bench:client`: @effect/platform's `HttpClient` over our
 * Transport (`NetHttpClient.layer` over `Transport.layer({ proxy: "none" })`), the same program
 * as the `effect-undici` peer: `client.get(url)` then `response.arrayBuffer`, in `concurrency`
 * fibers, with no per-request `Effect.scoped`.
 *
 * @module
 */
import { HttpClient } from "@effect/platform"
import { Effect, Layer } from "effect"
import * as NetHttpClient from "../../src/platform/HttpClient.js"
import { Transport } from "../../src/transport/Transport.js"
import { main, parseArgs } from "./common.js"
import { driveEffect } from "./drive-effect.js"

main(() => {
  const args = parseArgs()
  const url = args.url.href
  const program = Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    const one = Effect.flatMap(client.get(url), (response) => Effect.map(response.arrayBuffer, (body) => body.byteLength))
    return yield* driveEffect(args, one)
  })
  const layer = NetHttpClient.layer.pipe(Layer.provide(Transport.layer({ proxy: "none" })))
  return Effect.runPromise(program.pipe(Effect.provide(layer)))
})
