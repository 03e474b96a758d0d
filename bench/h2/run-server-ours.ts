/**
 * The `ours` peer of the server half of `npm run bench:h2`: our `Server` over TLS (the test
 * certificate) with HTTP/2 on, answering every request with `ServerResponse.text("Hello, World!")`,
 * written as a user would write it.
 *
 * Written against the planned options of issue 22 (`protocols`, `http2`). They are passed
 * through a variable, not a literal, so that this file compiles before they exist; until the
 * Server speaks h2 it serves HTTP/1.1 over TLS, and bench/h2.ts's probe (ALPN must choose h2)
 * reports "ours does not speak HTTP/2 yet" instead of measuring it.
 *
 * @module
 */
import { Effect } from "effect"
import { Server } from "../../src/server/Server.js"
import * as ServerResponse from "../../src/server/ServerResponse.js"
import { TEST_CERT, TEST_KEY } from "../../src/testing/testCert.js"

const port = Number(process.env.PORT ?? 0)

const options = {
  host: "127.0.0.1",
  port,
  tls: { key: TEST_KEY, cert: TEST_CERT },
  handler: () => Effect.succeed(ServerResponse.text("Hello, World!")),
  // Issue 22's planned options (h2 is to be on by default for TLS once it is done).
  protocols: { http1: true, http2: true },
  http2: { maxConcurrentStreams: 250 }
}

const program = Effect.gen(function*() {
  const server = yield* Server
  console.log(`listening ${server.url}`)
  yield* Effect.never
}).pipe(Effect.provide(Server.layer(options)))

Effect.runFork(program)
