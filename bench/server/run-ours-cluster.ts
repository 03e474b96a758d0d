/**
 * The `ours` peers of `npm run bench:cluster`: our `Server` with the hello handler written as
 * the README writes it, run in `CLUSTER_WORKERS` (2) worker processes by `Cluster.runMain`
 * (this file is the primary and the workers). The primary prints `listening
 * http://127.0.0.1:<port>` once every worker is ready; SIGTERM stops them gracefully.
 *
 * @module
 */
import { Effect } from "effect"
import { Cluster, Server, ServerResponse } from "../../src/server.js"

const workers = Number(process.env.CLUSTER_WORKERS ?? 2)
const port = Number(process.env.PORT ?? 0)

const ServerLive = Server.layer({ host: "127.0.0.1", port, handler: () => Effect.succeed(ServerResponse.text("Hello, World!")) })

Cluster.runMain(ServerLive, {
  workers,
  onPrimary: (primary) =>
    Effect.gen(function*() {
      // Bounded: 20 s at most, then the harness reports no listening line.
      for (let i = 0; i < 400; i++) {
        const ready = (yield* primary.workers).filter((w) => w.ready)
        if (ready.length >= workers) {
          yield* Effect.sync(() => process.stdout.write(`listening ${ready[0]!.url}\n`))
          return
        }
        yield* Effect.sleep(50)
      }
    })
})
