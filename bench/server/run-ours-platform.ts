/**
 * The `ours-platform` peer of `npm run bench:server`: our `NetHttpServer.layer`, serving the
 * router of platform-app.ts exactly as the `effect-platform` peer serves it on NodeHttpServer.
 *
 * @module
 */
import * as NetHttpServer from "../../src/platform/HttpServer.js"
import { servePlatformApp } from "./platform-app.js"
import { HOST, listenPort } from "./runner.js"

servePlatformApp(NetHttpServer.layer({ port: listenPort(), host: HOST }))
