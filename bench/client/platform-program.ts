/**
 * The program the `effect-undici` and `ours-platform` runners of `npm run bench:client` run,
 * each over its own `HttpClient` layer: `client.get(url)` then `response.arrayBuffer` (or, for
 * the `-stream` runners, `response.stream` run to its end), in
 * `concurrency` fibers. In @effect/platform 0.97 `HttpClient.get` needs no `Scope` (the request
 * is aborted when its fiber is interrupted), so there is no per-request `Effect.scoped`.
 *
 * @module
 */
import { HttpClient } from "@effect/platform"
import { Effect, type Layer, Stream } from "effect"
import { main, parseArgs } from "./common.js"
import { driveEffect } from "./drive-effect.js"

/**
 * Runs the program through `layer`'s `HttpClient` and reports the figures; `read`: the body
 * through `response.arrayBuffer` (the default) or `response.stream` (its chunks counted).
 */
export const runPlatformClient = (layer: Layer.Layer<HttpClient.HttpClient>, read: "arrayBuffer" | "stream" = "arrayBuffer"): void =>
  main(() => {
    const args = parseArgs()
    const url = args.url.href
    const program = Effect.gen(function*() {
      const client = yield* HttpClient.HttpClient
      const one = Effect.flatMap(
        client.get(url),
        (response) =>
          read === "stream"
            ? Stream.runFold(response.stream, 0, (n, chunk) => n + chunk.byteLength)
            : Effect.map(response.arrayBuffer, (body) => body.byteLength)
      )
      return yield* driveEffect(args, one)
    })
    return Effect.runPromise(program.pipe(Effect.provide(layer)))
  })
