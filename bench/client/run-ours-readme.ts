/**
 * The `ours-readme` peer of `npm run bench:client`: each request made exactly as README's Client
 * example makes it: `Response.text(client.get(url))` (or `Response.bytes` for the 1 MiB body)
 * with the `Client` of `Client.layerDefault`, in `concurrency` fibers. No Transport method and
 * no Scope handling of our own: the static reader supplies and closes the response's Scope.
 *
 * @module
 */
import { Effect } from "effect"
import { Response } from "../../src/domain/Response.js"
import { Client } from "../../src/transport/Client.js"
import { main, parseArgs } from "./common.js"
import { driveEffect } from "./drive-effect.js"

main(() => {
  const args = parseArgs()
  const url = args.url.href
  const program = Effect.gen(function*() {
    const client = yield* Client
    const one = args.expectedBytes > 64 * 1024
      ? Effect.map(Response.bytes(client.get(url)), (bytes) => bytes.length)
      : Effect.map(Response.text(client.get(url)), (text) => text.length)
    return yield* driveEffect(args, one)
  })
  return Effect.runPromise(program.pipe(Effect.provide(Client.layerDefault)))
})
