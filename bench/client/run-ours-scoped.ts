/**
 * The `ours-scoped` peer of `npm run bench:client`: our `Transport` (default settings), each
 * request `Effect.scoped(roundTrip(request) then Body.collect(body))`, in `concurrency` fibers:
 * what `Effect.scoped` costs on top of `roundTripWith` (the `ours` peer).
 *
 * @module
 */
import { Effect, Either } from "effect"
import * as Body from "../../src/domain/Body.js"
import { Request } from "../../src/domain/Request.js"
import { Transport } from "../../src/transport/Transport.js"
import { main, parseArgs } from "./common.js"
import { driveEffect } from "./drive-effect.js"

main(() => {
  const args = parseArgs()
  const request = Either.getOrThrow(Request.make({ url: args.url.href }))
  const program = Effect.gen(function*() {
    const transport = yield* Transport
    const one = Effect.scoped(
      Effect.flatMap(transport.roundTrip(request), (response) =>
        Effect.map(Body.collect(response.body), (body) => body.length))
    )
    return yield* driveEffect(args, one)
  })
  return Effect.runPromise(program.pipe(Effect.provide(Transport.layer({}))))
})
