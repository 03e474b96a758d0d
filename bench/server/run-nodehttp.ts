/**
 * The `node:http` peer of `npm run bench:server`: `http.createServer` answering every request
 * with 200, `Content-Type: text/plain; charset=utf-8` and the 13-byte body `Hello, World!`
 * with a Content-Length, so connections stay alive (Node's HTTP/1.1 default).
 *
 * @module
 */
import type { AddressInfo } from "node:net"
import { announce, HOST, listenPort, nodeHelloServer } from "./runner.js"

const server = nodeHelloServer()
server.listen(listenPort(), HOST, () => announce((server.address() as AddressInfo).port))
