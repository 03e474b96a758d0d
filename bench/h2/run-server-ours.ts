/**
 * The `ours` peer of the server half of `npm run bench:h2`: our `Server` over TLS (the test
 * certificate), answering every request with `ServerResponse.text("Hello, World!")`, written as
 * README shows it: HTTP/2 is on by default over TLS, nothing to set.
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
  handler: () => Effect.succeed(ServerResponse.text("Hello, World!"))
}

const program = Effect.gen(function*() {
  const server = yield* Server
  console.log(`listening ${server.url}`)
  yield* Effect.never
}).pipe(Effect.provide(Server.layer(options)))

Effect.runFork(program)
