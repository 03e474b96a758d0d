/**
 * The `ours` peer of the client half of `npm run bench:h2`: our `Transport` with HTTP/2 on,
 * trusting the test certificate, each request `roundTripWith(request, read)` as
 * bench/client/run-ours.ts makes it, in `concurrency` fibers (so up to that many streams on
 * the one session the Transport keeps to the origin).
 *
 * Written against issue 22's planned options (`protocols`, `http2`), passed through a variable
 * so that this file compiles before they exist. The upstream speaks h2 only; until our
 * Transport negotiates it, the first request fails (or answers over HTTP/1.1) and the run
 * stops with "ours: our Transport does not speak HTTP/2 yet" and the cause.
 *
 * @module
 */
import { Effect, Either } from "effect"
import * as Body from "../../src/domain/Body.js"
import { Request } from "../../src/domain/Request.js"
import { TEST_CERT } from "../../src/testing/testCert.js"
import { Transport } from "../../src/transport/Transport.js"
import { main, parseArgs } from "../client/common.js"
import { driveEffect } from "../client/drive-effect.js"

const NOT_YET = "ours: our Transport does not speak HTTP/2 yet (issue 22, docs/http2-plan.md steps 5-6)"

main(() => {
  const args = parseArgs()
  const request = Either.getOrThrow(Request.make({ url: args.url.href }))
  const options = {
    tls: { ca: TEST_CERT },
    // Issue 22's planned options.
    protocols: { http1: true, http2: true },
    http2: { strictMaxConcurrentStreams: false }
  }
  const program = Effect.gen(function*() {
    const transport = yield* Transport
    // One request first: it must come back over HTTP/2, or there is nothing to measure.
    const proto = yield* transport.roundTripWith(request, (response) =>
      Effect.as(Body.collect(response.body), response.proto)).pipe(
        Effect.mapError((error) => new Error(`${NOT_YET}: ${error.message}`))
      )
    if (proto !== "HTTP/2.0") return yield* Effect.fail(new Error(`${NOT_YET}: the response came over ${proto}`))
    return yield* driveEffect(
      args,
      transport.roundTripWith(request, (response) => Effect.map(Body.collect(response.body), (bytes) => bytes.length))
    )
  })
  return Effect.runPromise(program.pipe(Effect.provide(Transport.layer(options))))
})
