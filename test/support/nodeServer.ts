/**
 * A plain node:net server for tests on 127.0.0.1:0, owned by the test's Scope: `onSocket`
 * handles each accepted connection; release destroys every connection and closes the server.
 */
import { Effect, type Scope } from "effect"
import * as net from "node:net"

/** A running test server: its port and the sockets it accepted, in order. */
export interface NodeServer {
  readonly server: net.Server
  readonly port: number
  readonly sockets: Array<net.Socket>
}

/** Starts a server whose connections go to `onSocket`; a socket error destroys that socket. */
export const nodeServer = (onSocket: (socket: net.Socket) => void): Effect.Effect<NodeServer, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<NodeServer>((resume) => {
      const sockets: Array<net.Socket> = []
      const server = net.createServer((socket) => {
        sockets.push(socket)
        socket.on("error", () => socket.destroy())
        onSocket(socket)
      })
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed({ server, port: (server.address() as net.AddressInfo).port, sockets })))
    }),
    ({ server, sockets }) =>
      Effect.async<void>((resume) => {
        for (const s of sockets) s.destroy()
        server.close(() => resume(Effect.void))
      })
  )
