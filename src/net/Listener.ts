/**
 * Listening for TCP connections, as a Scope-owned resource: the server's accept loop takes
 * connections from `accept`; closing the Scope stops listening and closes what was never
 * accepted.
 *
 * @module
 */
import { Effect, type Scope } from "effect"
import * as net from "node:net"
import { type Conn, fromDuplex } from "./Conn.js"
import { errorCode, errorDetail, ListenError } from "./errors.js"

/** A listening socket. */
export interface Listener {
  /** The bound address: the real port when 0 was asked for. */
  readonly host: string
  readonly port: number
  /** The next connection, waiting for one when none is pending. The caller owns it. */
  readonly accept: Effect.Effect<Conn>
}

/** What to listen on. */
export interface ListenOptions {
  readonly host: string
  /** 0 picks a free port. */
  readonly port: number
  readonly backlog?: number
}

type Resume = (effect: Effect.Effect<Conn>) => void

/** Listens on `host:port` for as long as the Scope is open. */
export const listen = (options: ListenOptions): Effect.Effect<Listener, ListenError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<{ readonly server: net.Server; readonly listener: Listener }, ListenError>((resume) => {
      const pending: Array<net.Socket> = []
      const waiters: Array<Resume> = []
      // allowHalfOpen: a client's FIN ends our reading only; the server still answers.
      const server = net.createServer({ noDelay: true, allowHalfOpen: true }, (socket) => {
        const waiter = waiters.shift()
        if (waiter !== undefined) waiter(Effect.succeed(toConn(socket)))
        else pending.push(socket)
      })
      server.once("error", (error) => {
        const code = errorCode(error)
        resume(Effect.fail(new ListenError({ host: options.host, port: options.port, ...(code === undefined ? {} : { code }), detail: errorDetail(error) })))
      })
      server.listen({ host: options.host, port: options.port, backlog: options.backlog ?? 511 }, () => {
        const address = server.address() as net.AddressInfo
        const accept: Effect.Effect<Conn> = Effect.suspend(() => {
          const socket = pending.shift()
          if (socket !== undefined) return Effect.succeed(toConn(socket))
          return Effect.async<Conn>((resumeAccept) => {
            waiters.push(resumeAccept)
            return Effect.sync(() => {
              const i = waiters.indexOf(resumeAccept)
              if (i >= 0) waiters.splice(i, 1)
            })
          })
        })
        server.on("close", () => {
          for (const socket of pending.splice(0)) socket.destroy()
        })
        resume(Effect.succeed({ server, listener: { host: address.address, port: address.port, accept } }))
      })
    }),
    // Stops listening at once; connections already accepted belong to whoever accepted them
    // (server.close's callback would wait for all of them to end).
    ({ server }) => Effect.sync(() => server.close())
  ).pipe(Effect.map(({ listener }) => listener))

const toConn = (socket: net.Socket): Conn => fromDuplex(socket)
