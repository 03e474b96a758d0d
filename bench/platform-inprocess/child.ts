/**
 * One measurement of `npm run bench:platform-inprocess` (a child process per peer and round):
 * the HttpRouter app of bench/server/platform-app.ts on the peer's `HttpServer` layer (`PEER`:
 * `ours-platform`, our `NetHttpServer.layer`; `effect-platform`, `NodeHttpServer.layer`; or
 * `ours`, our `Server` with README's hello handler, the floor under `ours-platform`), driven
 * by client-worker.ts in a worker thread. Prints one line: `result <requests> <server CPU µs>
 * <seconds>`, the server's CPU being the process's minus the client thread's.
 *
 * @module
 */
import { HttpRouter, HttpServer, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { Effect, type Layer } from "effect"
import * as http from "node:http"
import { Worker } from "node:worker_threads"
import * as NetHttpServer from "../../src/platform/HttpServer.js"
import { Server } from "../../src/server/Server.js"
import * as ServerResponse from "../../src/server/ServerResponse.js"
import { BODY, HOST } from "../server/runner.js"

const peer = process.env.PEER
const layer: Layer.Layer<HttpServer.HttpServer, unknown> = peer === "ours-platform"
  ? NetHttpServer.layer({ port: 0, host: HOST })
  : NodeHttpServer.layer(() => http.createServer(), { port: 0, host: HOST })
const router = HttpRouter.empty.pipe(HttpRouter.get("/", HttpServerResponse.text(BODY)))

const measure = (port: number): Promise<string> =>
  new Promise((resolve, reject) => {
    const worker = new Worker(process.env.CLIENT_WORKER!, {
      workerData: {
        port,
        concurrency: Number(process.env.BENCH_CONCURRENCY ?? 50),
        warmupMs: Number(process.env.BENCH_WARMUP_SECONDS ?? 1) * 1000,
        measureMs: Number(process.env.BENCH_SECONDS ?? 2) * 1000
      }
    })
    let c0 = process.cpuUsage()
    let t0 = performance.now()
    worker.on("message", (m: { phase: string; requests?: number; clientCpuMicros?: number }) => {
      if (m.phase === "start") {
        c0 = process.cpuUsage()
        t0 = performance.now()
        return
      }
      const c = process.cpuUsage(c0)
      const seconds = (performance.now() - t0) / 1000
      resolve(`result ${m.requests} ${c.user + c.system - m.clientCpuMicros!} ${seconds.toFixed(3)}`)
      void worker.terminate()
    })
    worker.on("error", reject)
  })

if (peer !== "ours-platform" && peer !== "effect-platform" && peer !== "ours") throw new Error(`PEER must be ours-platform, effect-platform or ours, got ${peer}`)

// `ours`: our Server under the app's layers, README's hello handler: the floor under ours-platform.
if (peer === "ours") {
  Effect.runFork(Effect.gen(function*() {
    const server = yield* Server
    console.log(yield* Effect.promise(() => measure(server.port)))
    process.exit(0)
  }).pipe(Effect.provide(Server.layer({ host: HOST, port: 0, handler: () => Effect.succeed(ServerResponse.text(BODY)) }))))
} else Effect.runFork(Effect.gen(function*() {
  yield* HttpServer.serveEffect(router)
  const { address } = yield* HttpServer.HttpServer
  if (address._tag !== "TcpAddress") return yield* Effect.dieMessage("not a TCP address")
  const line = yield* Effect.promise(() => measure(address.port))
  console.log(line)
  process.exit(0)
}).pipe(Effect.scoped, Effect.provide(layer)))
