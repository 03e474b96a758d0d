/**
 * The `node:http` peer of `npm run bench:cluster`: `http.createServer` with the same answer as
 * run-nodehttp.ts, in `CLUSTER_WORKERS` (2) worker processes under `node:cluster` (default
 * scheduling, as ours). The primary prints `listening http://127.0.0.1:<port>` once every
 * worker listens, and on SIGTERM disconnects them (each closes its server) and exits.
 *
 * @module
 */
import cluster from "node:cluster"
import { announce, HOST, listenPort, nodeHelloServer } from "./runner.js"

const workers = Number(process.env.CLUSTER_WORKERS ?? 2)

if (cluster.isPrimary) {
  let listening = 0
  cluster.on("listening", (_worker, address) => {
    if (++listening === workers) announce(address.port)
  })
  for (let i = 0; i < workers; i++) cluster.fork()
  process.on("SIGTERM", () => cluster.disconnect(() => process.exit(0)))
} else {
  nodeHelloServer().listen(listenPort(), HOST)
}
