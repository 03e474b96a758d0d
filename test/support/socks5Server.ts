/**
 * A SOCKS5 server (RFC 1928, with RFC 1929 username/password) for tests, on 127.0.0.1:0,
 * owned by the test's Scope. It connects only to loopback targets (anything else gets REP 2,
 * "connection not allowed by ruleset") and pipes bytes both ways. It records every CONNECT
 * and counts the connections it accepted. Its own parsing is independent of
 * src/net/handshakeReader.ts, so it can check the client.
 */
import { Effect, type Scope } from "effect"
import * as net from "node:net"

/** How the test server behaves. */
export interface Socks5ServerOptions {
  /** Require RFC 1929 authentication with these credentials (method 0x02 only). */
  readonly auth?: { readonly username: string; readonly password: string }
  /** Answer every CONNECT with this REP code (a failure) instead of connecting. */
  readonly reply?: number
  /** Answer the method selection with 0xFF (no acceptable methods) and close. */
  readonly noAcceptableMethod?: boolean
  /** Close the connection at this point of the handshake, without answering. */
  readonly closeAt?: "greeting" | "request" | "mid-reply"
  /** Write every reply one byte at a time, a few milliseconds apart. */
  readonly oneByteChunks?: boolean
  /** The address type of BND.ADDR in a success reply (default: IPv4). */
  readonly boundAddressType?: "ipv4" | "ipv6" | "domain"
  /** Bytes written right after a success reply, before the client sent anything. */
  readonly afterReply?: Uint8Array
}

/** One CONNECT request as received. */
export interface Socks5ConnectRecord {
  /** The methods the client offered. */
  readonly methods: ReadonlyArray<number>
  /** The username the client authenticated with, if it did. */
  readonly username: string | undefined
  readonly password: string | undefined
  /** ATYP: 1 IPv4, 3 domain name, 4 IPv6. */
  readonly addressType: number
  /** The address as text (an IPv6 one in full, uncompressed, lowercase form). */
  readonly host: string
  readonly port: number
  /** The request's bytes exactly as received (VER CMD RSV ATYP DST.ADDR DST.PORT). */
  readonly raw: Buffer
}

/** A running test SOCKS5 server. */
export interface Socks5Server {
  readonly host: "127.0.0.1"
  readonly port: number
  /** Every CONNECT received, in order. */
  readonly connects: Array<Socks5ConnectRecord>
  /** How many client connections the server accepted. */
  readonly accepted: () => number
}

/** Reads exact byte counts from a socket's 'data' events (promise-based, for the server side). */
class ByteQueue {
  private buffer: Buffer = Buffer.alloc(0)
  private waiter: (() => void) | undefined
  private done = false

  constructor(socket: net.Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk])
      this.waiter?.()
    })
    const end = () => {
      this.done = true
      this.waiter?.()
    }
    socket.on("end", end)
    socket.on("close", end)
  }

  async read(n: number): Promise<Buffer> {
    while (this.buffer.length < n) {
      if (this.done) throw new Error("end of input")
      await new Promise<void>((resolve) => (this.waiter = resolve))
      this.waiter = undefined
    }
    const out = this.buffer.subarray(0, n)
    this.buffer = this.buffer.subarray(n)
    return out
  }

  /** Whatever arrived and was not read. */
  rest(): Buffer {
    const out = this.buffer
    this.buffer = Buffer.alloc(0)
    return out
  }
}

const isLoopbackIp = (ip: string): boolean =>
  ip.startsWith("127.") || ip === "::1" || ip.startsWith("::ffff:127.")

const ipv6Text = (bytes: Buffer): string => {
  const groups: Array<string> = []
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16))
  return groups.join(":")
}

const replyCodeOf = (error: unknown): number => {
  const code = typeof error === "object" && error !== null && "code" in error ? error.code : undefined
  return code === "ECONNREFUSED" ? 5 : code === "ENETUNREACH" ? 3 : code === "EHOSTUNREACH" ? 4 : 1
}

/** A SOCKS5 server on 127.0.0.1:0; closing the Scope closes it and every socket it touched. */
export const socks5Server = (options: Socks5ServerOptions = {}): Effect.Effect<Socks5Server, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<{ server: net.Server; sockets: Set<net.Socket>; info: Socks5Server }>((resume) => {
      const sockets = new Set<net.Socket>()
      const connects: Array<Socks5ConnectRecord> = []
      let accepted = 0
      const track = (socket: net.Socket) => {
        sockets.add(socket)
        socket.on("close", () => sockets.delete(socket))
        socket.on("error", () => socket.destroy())
      }

      const send = async (socket: net.Socket, data: Buffer): Promise<void> => {
        if (!options.oneByteChunks) {
          socket.write(data)
          return
        }
        for (let i = 0; i < data.length && i < 1024; i++) {
          if (socket.destroyed) return
          socket.write(data.subarray(i, i + 1))
          await new Promise((resolve) => setTimeout(resolve, 2))
        }
      }

      const handle = async (client: net.Socket): Promise<void> => {
        const input = new ByteQueue(client)
        const greeting = await input.read(2)
        if (greeting[0] !== 5) return void client.destroy()
        const methods = [...(await input.read(greeting[1]!))]
        if (options.closeAt === "greeting") return void client.destroy()
        const wanted = options.auth === undefined ? 0x00 : 0x02
        if (options.noAcceptableMethod || !methods.includes(wanted)) {
          await send(client, Buffer.from([5, 0xff]))
          return void client.end()
        }
        await send(client, Buffer.from([5, wanted]))
        let username: string | undefined
        let password: string | undefined
        if (wanted === 0x02) {
          const [version, ulen] = await input.read(2)
          if (version !== 1) return void client.destroy()
          username = (await input.read(ulen!)).toString("utf8")
          const plen = (await input.read(1))[0]!
          password = (await input.read(plen)).toString("utf8")
          const ok = username === options.auth!.username && password === options.auth!.password
          await send(client, Buffer.from([1, ok ? 0 : 1]))
          if (!ok) return void client.end()
        }
        const head = await input.read(4)
        let address: Buffer
        let host: string
        switch (head[3]) {
          case 1:
            address = await input.read(4)
            host = [...address].join(".")
            break
          case 4:
            address = await input.read(16)
            host = ipv6Text(address)
            break
          case 3: {
            const length = await input.read(1)
            const name = await input.read(length[0]!)
            address = Buffer.concat([length, name])
            host = name.toString("utf8")
            break
          }
          default:
            return void client.destroy()
        }
        const portBytes = await input.read(2)
        const port = portBytes.readUInt16BE(0)
        connects.push({ methods, username, password, addressType: head[3]!, host, port, raw: Buffer.concat([head, address, portBytes]) })
        if (options.closeAt === "request") return void client.destroy()

        const fail = async (rep: number) => {
          await send(client, Buffer.from([5, rep, 0, 1, 0, 0, 0, 0, 0, 0]))
          client.end()
        }
        if (head[1] !== 1) return fail(7)
        if (options.reply !== undefined) return fail(options.reply)
        const allowed = head[3] === 3 ? host === "localhost" : isLoopbackIp(host === "0:0:0:0:0:0:0:1" ? "::1" : host)
        if (!allowed) return fail(2)

        const upstream = net.connect({ host: head[3] === 4 ? `${host}` : host, port })
        track(upstream)
        const connected = await new Promise<unknown>((resolve) => {
          upstream.once("connect", () => resolve(undefined))
          upstream.once("error", (error) => resolve(error))
        })
        if (connected !== undefined) return fail(replyCodeOf(connected))
        if (!isLoopbackIp(upstream.remoteAddress ?? "")) {
          upstream.destroy()
          return fail(2)
        }
        if (options.closeAt === "mid-reply") {
          await send(client, Buffer.from([5, 0, 0]))
          upstream.destroy()
          return void client.destroy()
        }
        const bound = options.boundAddressType === "domain"
          ? Buffer.from([3, 9, ...Buffer.from("localhost")])
          : options.boundAddressType === "ipv6"
          ? Buffer.from([4, ...Buffer.alloc(15), 1])
          : Buffer.from([1, ...(upstream.localAddress ?? "127.0.0.1").split(".").map(Number)])
        const boundPort = Buffer.alloc(2)
        boundPort.writeUInt16BE(upstream.localPort ?? 0)
        const reply = Buffer.concat([Buffer.from([5, 0, 0]), bound, boundPort])
        await send(client, options.afterReply === undefined ? reply : Buffer.concat([reply, options.afterReply]))
        // The tunnel: bytes the client sent early first, then both ways as they come.
        client.removeAllListeners("data")
        const early = input.rest()
        if (early.length > 0) upstream.write(early)
        client.pipe(upstream)
        upstream.pipe(client)
      }

      const server = net.createServer((client) => {
        accepted++
        track(client)
        client.setNoDelay(true)
        handle(client).catch(() => client.destroy())
      })
      server.listen(0, "127.0.0.1", () => {
        resume(Effect.succeed({
          server,
          sockets,
          info: { host: "127.0.0.1", port: (server.address() as net.AddressInfo).port, connects, accepted: () => accepted }
        }))
      })
    }),
    ({ server, sockets }) =>
      Effect.async<void>((resume) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ info }) => info))
