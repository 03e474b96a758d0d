/**
 * The `effect-undici-stream` peer of `npm run bench:client`: as `effect-undici`, reading the
 * body through `response.stream` instead of `response.arrayBuffer`.
 *
 * @module
 */
import { NodeHttpClient } from "@effect/platform-node"
import { runPlatformClient } from "./platform-program.js"

runPlatformClient(NodeHttpClient.layerUndici, "stream")
