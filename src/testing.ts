/**
 * `effect-nethttp/testing`: the testing kit — `HttpTest` (a scoped test server on 127.0.0.1:0,
 * Go's httptest), `recordResponse` / `HttpTest.record` (a handler run without a socket, Go's
 * `ResponseRecorder`, on a request from `ServerRequest.make`), fast-check `Arbitraries` for HTTP
 * messages, and a self-signed certificate for TLS tests (`TEST_CERT`, `TEST_KEY`).
 *
 * @since 0.1.0
 * @module
 */
export * as Arbitraries from "./testing/arbitraries.js"
export { HttpTest, type TestServer, type TestServerOptions } from "./testing/HttpTest.js"
export { RecordedInterim, RecordedResponse, recordResponse } from "./server/record.js"
export { TEST_CERT, TEST_KEY } from "./testing/testCert.js"
