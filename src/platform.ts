/**
 * `effect-nethttp/platform`: adapters to `@effect/platform` — an `HttpClient.HttpClient` layer
 * over our `Transport` (`NetHttpClient`), an `HttpServer.HttpServer` layer over our `Server`
 * (`NetHttpServer`), and both together (`NetHttpPlatform`).
 *
 * @since 0.1.0
 * @module
 */
export * as NetHttpClient from "./platform/HttpClient.js"
export * as NetHttpServer from "./platform/HttpServer.js"
export * as NetHttpPlatform from "./platform/HttpPlatform.js"
