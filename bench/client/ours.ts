/**
 * What the two runners of our Transport share: the peer's loop around one way of making a
 * request (`roundTripWith`, or `Effect.scoped` around `roundTrip`).
 *
 * @module
 */
import { Effect, Either } from "effect"
import * as Body from "../../src/domain/Body.js"
import { Request } from "../../src/domain/Request.js"
import type { Response } from "../../src/domain/Response.js"
import type { TransportError } from "../../src/transport/errors.js"
import { Transport, type TransportService } from "../../src/transport/Transport.js"
import { main, parseArgs } from "./common.js"
import { driveEffect } from "./drive-effect.js"

/** Makes one request with `transport`, handing the response to `read` (which yields its body length). */
export type OneRequest = (
  transport: TransportService,
  request: Request,
  read: (response: Response<TransportError>) => Effect.Effect<number, TransportError>
) => Effect.Effect<number, TransportError>

/** Runs the peer: our Transport with default settings, `concurrency` fibers each repeating `one`. */
export const runOurs = (one: OneRequest): void =>
  main(() => {
    const args = parseArgs()
    const request = Either.getOrThrow(Request.make({ url: args.url.href }))
    // As the undici peer: a small body read whole, a large one streamed and counted.
    const streamBody = args.expectedBytes > 64 * 1024
    const read = (response: Response<TransportError>) =>
      streamBody
        ? Body.fold(response.body, 0, (n, chunk) => n + chunk.length)
        : Effect.map(Body.collect(response.body), (bytes) => bytes.length)
    const program = Effect.gen(function*() {
      const transport = yield* Transport
      return yield* driveEffect(args, one(transport, request, read))
    })
    return Effect.runPromise(program.pipe(Effect.provide(Transport.layer({}))))
  })
