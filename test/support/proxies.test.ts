/**
 * The test proxies themselves, checked with Node's own clients: the HTTP proxy forwarding
 * absolute-form requests (node:http through it, keep-alive on the client side), tunnelling a
 * raw CONNECT, asking for Proxy-Authorization, canned CONNECT answers; the SOCKS5 server
 * refusing names that are not loopback without resolving them.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as http from "node:http"
import * as net from "node:net"
import { httpProxy } from "./httpProxy.js"
import { socks5Server } from "./socks5Server.js"

/** An HTTP origin on 127.0.0.1:0 that answers with what it saw. */
const origin = Effect.acquireRelease(
  Effect.async<{ server: http.Server; port: number }>((resume) => {
    const server = http.createServer((req, res) => {
      res.setHeader("X-Seen-Url", req.url ?? "")
      res.setHeader("X-Seen-Rep", String(req.headers["x-rep"] ?? ""))
      res.end(`hello from ${req.method} ${req.url}`)
    })
    server.listen(0, "127.0.0.1", () => resume(Effect.succeed({ server, port: (server.address() as net.AddressInfo).port })))
  }),
  ({ server }) =>
    Effect.async<void>((resume) => {
      server.close(() => resume(Effect.void))
      server.closeAllConnections()
    })
)

/** A TCP echo server on 127.0.0.1:0. */
const echo = Effect.acquireRelease(
  Effect.async<{ server: net.Server; port: number; sockets: Set<net.Socket> }>((resume) => {
    const sockets = new Set<net.Socket>()
    const server = net.createServer((socket) => {
      sockets.add(socket)
      socket.on("error", () => socket.destroy())
      socket.pipe(socket)
    })
    server.listen(0, "127.0.0.1", () => resume(Effect.succeed({ server, port: (server.address() as net.AddressInfo).port, sockets })))
  }),
  ({ server, sockets }) =>
    Effect.async<void>((resume) => {
      for (const s of sockets) s.destroy()
      server.close(() => resume(Effect.void))
    })
)

/** A GET through the proxy in absolute form with node:http; the status, headers and body. */
const get = (agent: http.Agent, proxyPort: number, target: string, headers: http.OutgoingHttpHeaders = {}) =>
  Effect.async<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resume) => {
    const req = http.request({ agent, host: "127.0.0.1", port: proxyPort, path: target, headers })
    req.on("error", (error) => resume(Effect.die(error)))
    req.on("response", (res) => {
      let body = ""
      res.setEncoding("latin1")
      res.on("data", (chunk: string) => (body += chunk))
      res.on("end", () => resume(Effect.succeed({ status: res.statusCode ?? 0, headers: res.headers, body })))
    })
    req.end()
  })

/** A raw socket that sent `request` and read until CRLFCRLF: the socket, the head and any bytes after it. */
const rawConnect = (port: number, request: string) =>
  Effect.acquireRelease(
    Effect.async<{ socket: net.Socket; head: string; rest: string }>((resume) => {
      const socket = net.connect({ host: "127.0.0.1", port })
      let seen = ""
      socket.setEncoding("latin1")
      const onData = (chunk: string) => {
        seen += chunk
        const end = seen.indexOf("\r\n\r\n")
        if (end < 0) return
        socket.off("data", onData)
        socket.pause()
        resume(Effect.succeed({ socket, head: seen.slice(0, end + 4), rest: seen.slice(end + 4) }))
      }
      socket.on("data", onData)
      socket.on("error", (error) => resume(Effect.die(error)))
      socket.write(request)
    }),
    ({ socket }) => Effect.sync(() => socket.destroy())
  )

/** Reads `length` characters (latin1) from a paused socket set to latin1, bounded in time. */
const readString = (socket: net.Socket, length: number, already = "") =>
  Effect.async<string>((resume) => {
    let seen = already
    if (seen.length >= length) return resume(Effect.succeed(seen))
    const timer = setTimeout(() => resume(Effect.succeed(seen)), 2_000)
    const onData = (chunk: string) => {
      seen += chunk
      if (seen.length < length) return
      clearTimeout(timer)
      socket.off("data", onData)
      resume(Effect.succeed(seen))
    }
    socket.on("data", onData)
    socket.resume()
  })

describe("httpProxy", () => {
  it.live("forwards absolute-form requests from node:http over one kept-alive client connection; records them raw", () =>
    Effect.gen(function*() {
      const { port } = yield* origin
      const proxy = yield* httpProxy()
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
      yield* Effect.addFinalizer(() => Effect.sync(() => agent.destroy()))
      const target = `http://127.0.0.1:${port}/a/b?c=d`
      const first = yield* get(agent, proxy.port, target, { "X-Rep": ["one", "two"] })
      expect(first.status).toBe(200)
      expect(first.body).toBe("hello from GET /a/b?c=d")
      expect(first.headers["x-seen-url"]).toBe("/a/b?c=d")
      expect(first.headers["x-seen-rep"]).toBe("one, two")
      const second = yield* get(agent, proxy.port, `http://127.0.0.1:${port}/again`)
      expect(second.body).toBe("hello from GET /again")
      expect(proxy.accepted()).toBe(1)
      expect(proxy.requests.map((r) => [r.method, r.url])).toEqual([["GET", target], ["GET", `http://127.0.0.1:${port}/again`]])
      expect(proxy.requests[0]!.headers.filter(([name]) => name === "X-Rep")).toEqual([["X-Rep", "one"], ["X-Rep", "two"]])
    }).pipe(Effect.scoped))

  it.live("a raw CONNECT opens a tunnel: 200 Connection established, then bytes both ways", () =>
    Effect.gen(function*() {
      const target = yield* echo
      const proxy = yield* httpProxy()
      const authority = `127.0.0.1:${target.port}`
      const { head, rest, socket } = yield* rawConnect(proxy.port, `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`)
      expect(head).toBe("HTTP/1.1 200 Connection established\r\n\r\n")
      expect(rest).toBe("")
      socket.write("through the tunnel")
      expect(yield* readString(socket, "through the tunnel".length)).toBe("through the tunnel")
      expect(proxy.requests[0]).toEqual({ method: "CONNECT", url: authority, headers: [["Host", authority]] })
    }).pipe(Effect.scoped))

  it.live("with proxyAuthorization: 407 and Proxy-Authenticate when absent or wrong, the tunnel when right", () =>
    Effect.gen(function*() {
      const target = yield* echo
      const proxy = yield* httpProxy({ proxyAuthorization: "Basic dTpw" })
      const agent = new http.Agent({ keepAlive: false })
      yield* Effect.addFinalizer(() => Effect.sync(() => agent.destroy()))
      const denied = yield* get(agent, proxy.port, `http://127.0.0.1:${target.port}/`)
      expect(denied.status).toBe(407)
      expect(denied.headers["proxy-authenticate"]).toBe("Basic realm=\"test\"")
      const authority = `127.0.0.1:${target.port}`
      const wrong = yield* rawConnect(proxy.port, `CONNECT ${authority} HTTP/1.1\r\nProxy-Authorization: Basic eDp5\r\n\r\n`)
      expect(wrong.head).toMatch(/^HTTP\/1\.1 407 Proxy Authentication Required\r\n/)
      expect(wrong.head).toContain("Proxy-Authenticate: Basic realm=\"test\"\r\n")
      const right = yield* rawConnect(proxy.port, `CONNECT ${authority} HTTP/1.1\r\nProxy-Authorization: Basic dTpw\r\n\r\n`)
      expect(right.head).toBe("HTTP/1.1 200 Connection established\r\n\r\n")
      right.socket.write("ok")
      expect(yield* readString(right.socket, 2)).toBe("ok")
      expect(proxy.requests.map((r) => r.method)).toEqual(["GET", "CONNECT", "CONNECT"])
    }).pipe(Effect.scoped))

  it.live("connectReply answers CONNECT with a canned status and body; non-loopback targets get 403", () =>
    Effect.gen(function*() {
      const proxy = yield* httpProxy({ connectReply: { status: 407, headers: { "Proxy-Authenticate": "Basic realm=\"x\"" }, body: "nope" } })
      const answer = yield* rawConnect(proxy.port, "CONNECT 127.0.0.1:1 HTTP/1.1\r\n\r\n")
      expect(answer.head).toBe("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"x\"\r\nContent-Length: 4\r\n\r\n")
      expect(yield* readString(answer.socket, 4, answer.rest)).toBe("nope")
      const open = yield* httpProxy()
      const far = yield* rawConnect(open.port, "CONNECT 192.0.2.1:443 HTTP/1.1\r\n\r\n")
      expect(far.head).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/)
    }).pipe(Effect.scoped))
})

describe("socks5Server", () => {
  it.live("refuses a domain name that is not localhost with REP 2, without resolving it; counts connections", () =>
    Effect.gen(function*() {
      const proxy = yield* socks5Server()
      const { socket } = yield* Effect.acquireRelease(
        Effect.async<{ socket: net.Socket }>((resume) => {
          const socket = net.connect({ host: "127.0.0.1", port: proxy.port })
          socket.on("error", (error) => resume(Effect.die(error)))
          socket.once("connect", () => resume(Effect.succeed({ socket })))
        }),
        ({ socket }) => Effect.sync(() => socket.destroy())
      )
      const reply = yield* Effect.async<Buffer>((resume) => {
        let seen = Buffer.alloc(0)
        socket.on("data", (chunk: Buffer) => {
          seen = Buffer.concat([seen, chunk])
          if (seen.length >= 12) resume(Effect.succeed(seen))
        })
        // Greeting, then CONNECT example.com:80, in one write.
        socket.write(Buffer.from([5, 1, 0, 5, 1, 0, 3, 11, ...Buffer.from("example.com"), 0, 80]))
      })
      expect([...reply.subarray(0, 4)]).toEqual([5, 0, 5, 2])
      expect(proxy.connects).toHaveLength(1)
      expect(proxy.connects[0]).toMatchObject({ addressType: 3, host: "example.com", port: 80 })
      expect(proxy.accepted()).toBe(1)
    }).pipe(Effect.scoped))
})
