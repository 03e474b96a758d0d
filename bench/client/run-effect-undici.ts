/**
 * The `effect-undici` peer of `npm run bench:client`: @effect/platform's `HttpClient` over
 * undici (`NodeHttpClient.layerUndici`, an undici `Agent` with its defaults), `client.get(url)`
 * then `response.arrayBuffer`, in `concurrency` fibers.
 *
 * In @effect/platform 0.97 `HttpClient.get` needs no `Scope` (the request is aborted when its
 * fiber is interrupted), so there is no per-request `Effect.scoped` here.
 *
 * @module
 */
import { HttpClient } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { Effect } from "effect"
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
  return Effect.runPromise(program.pipe(Effect.provide(NodeHttpClient.layerUndici)))
})
