/**
 * The `effect-platform` peer of `npm run bench:server`: @effect/platform-node's
 * `NodeHttpServer.layer` over `http.createServer()`, serving the router of platform-app.ts.
 *
 * @module
 */
import { NodeHttpServer } from "@effect/platform-node"
import * as http from "node:http"
import { servePlatformApp } from "./platform-app.js"
import { HOST, listenPort } from "./runner.js"

servePlatformApp(NodeHttpServer.layer(() => http.createServer(), { port: listenPort(), host: HOST }))
