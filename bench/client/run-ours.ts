/**
 * The `ours` peer of `npm run bench:client`: our `Transport` (default settings), each request
 * `roundTripWith(request, (response) => Body.collect(response.body))`, in `concurrency` fibers.
 * (`run-ours-scoped.ts` measures the same with `Effect.scoped` around `roundTrip`.)
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
  // As the undici peer: a small body read whole, a large one streamed and counted.
  const streamBody = args.expectedBytes > 64 * 1024
  const read = <E>(body: Body.Body<E>) =>
    streamBody
      ? Body.fold(body, 0, (n, chunk) => n + chunk.length)
      : Effect.map(Body.collect(body), (bytes) => bytes.length)
  const program = Effect.gen(function*() {
    const transport = yield* Transport
    const one = transport.roundTripWith(request, (response) => read(response.body))
    return yield* driveEffect(args, one)
  })
  return Effect.runPromise(program.pipe(Effect.provide(Transport.layer({}))))
})
