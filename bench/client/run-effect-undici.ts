/**
 * The `effect-undici` peer of `npm run bench:client`: @effect/platform's `HttpClient` over
 * undici (`NodeHttpClient.layerUndici`, an undici `Agent` with its defaults), running the
 * program of platform-program.ts.
 *
 * @module
 */
import { NodeHttpClient } from "@effect/platform-node"
import { runPlatformClient } from "./platform-program.js"

runPlatformClient(NodeHttpClient.layerUndici)
