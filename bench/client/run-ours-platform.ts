/**
 * The `ours-platform` peer of `npm run bench:client`: @effect/platform's `HttpClient` over our
 * Transport (`NetHttpClient.layer` over `Transport.layer({ proxy: "none" })`), running the same
 * program as the `effect-undici` peer (platform-program.ts).
 *
 * @module
 */
import { Layer } from "effect"
import * as NetHttpClient from "../../src/platform/HttpClient.js"
import { Transport } from "../../src/transport/Transport.js"
import { runPlatformClient } from "./platform-program.js"

runPlatformClient(NetHttpClient.layer.pipe(Layer.provide(Layer.orDie(Transport.layer({ proxy: "none" })))))
