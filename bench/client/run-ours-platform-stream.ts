/**
 * The `ours-platform-stream` peer of `npm run bench:client`: as `ours-platform`, reading the
 * body through `response.stream` instead of `response.arrayBuffer`.
 *
 * @module
 */
import { Layer } from "effect"
import * as NetHttpClient from "../../src/platform/HttpClient.js"
import { Transport } from "../../src/transport/Transport.js"
import { runPlatformClient } from "./platform-program.js"

runPlatformClient(NetHttpClient.layer.pipe(Layer.provide(Layer.orDie(Transport.layer({ proxy: "none" })))), "stream")
