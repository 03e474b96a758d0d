/**
 * An HTTP proxy for tests on 127.0.0.1:0, owned by the test's Scope, built on node:http:
 * CONNECT opens a TCP tunnel to a loopback target (RFC 9110 §9.3.6), and absolute-form
 * requests (RFC 9112 §3.2.2) are forwarded with node:http and their responses streamed back.
 * It records every request as received and counts the connections it accepted.
 */
import { Effect, type Scope } from "effect"
import * as http from "node:http"
import * as https from "node:https"
import * as net from "node:net"

/** A canned answer to CONNECT instead of a tunnel. */
export interface HttpProxyReply {
  readonly status: number
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: string
}

/** How the test proxy behaves. */
export interface HttpProxyOptions {
  /** The exact `Proxy-Authorization` value required (e.g. "Basic dXNlcjpwYXNz"); 407 otherwise. */
  readonly proxyAuthorization?: string
  /** Answer every CONNECT with this instead of opening a tunnel (after the auth check). */
  readonly connectReply?: HttpProxyReply
  /** Serve over TLS with this key and certificate (an `https://` proxy). */
  readonly tls?: { readonly key: string; readonly cert: string }
}

/** One request as the proxy received it. */
export interface HttpProxyRecord {
  readonly method: string
  /** The request target exactly as received (`req.url`): "host:port" for CONNECT, absolute-form otherwise. */
  readonly url: string
  /** Every header field as received, in order, names in their original case; repeated fields repeat. */
  readonly headers: ReadonlyArray<readonly [string, string]>
}

/** A running test proxy. */
export interface HttpProxy {
  readonly host: "127.0.0.1"
  readonly port: number
  /** "http://127.0.0.1:PORT" (https with `tls`) */
  readonly url: string
  /** Every request received, in order. */
  readonly requests: Array<HttpProxyRecord>
  /** How many client connections (sockets) the proxy accepted. */
  readonly accepted: () => number
}

// Hop-by-hop fields (RFC 9110 §7.6.1) a proxy does not forward.
const HOP_BY_HOP = new Set([
  "connection",
  "proxy-connection",
  "keep-alive",
  "proxy-authorization",
  "proxy-authenticate",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade"
])

const pairs = (raw: ReadonlyArray<string>): Array<readonly [string, string]> => {
  const out: Array<readonly [string, string]> = []
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!, raw[i + 1]!])
  return out
}

const isLoopbackHost = (host: string): boolean => {
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host
  return bare === "localhost" || bare.startsWith("127.") || bare === "::1"
}

/** "host:port" of a CONNECT target, or undefined. */
const splitTarget = (target: string): { host: string; port: number } | undefined => {
  const colon = target.lastIndexOf(":")
  if (colon <= 0) return undefined
  const port = Number(target.slice(colon + 1))
  if (!Number.isInteger(port) || port < 1 || port > 65535) return undefined
  const host = target.slice(0, colon)
  return { host: host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host, port }
}

const rawResponse = (reply: HttpProxyReply): string => {
  const body = reply.body ?? ""
  const headers = Object.entries(reply.headers ?? {}).map(([name, value]) => `${name}: ${value}\r\n`).join("")
  const reason = http.STATUS_CODES[reply.status] ?? "Status"
  return `HTTP/1.1 ${reply.status} ${reason}\r\n${headers}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
}

const PROXY_AUTH_REQUIRED: HttpProxyReply = {
  status: 407,
  headers: { "Proxy-Authenticate": "Basic realm=\"test\"" },
  body: "proxy authentication required"
}

/** An HTTP proxy on 127.0.0.1:0; closing the Scope closes it and every socket it accepted or opened. */
export const httpProxy = (options: HttpProxyOptions = {}): Effect.Effect<HttpProxy, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<{ server: http.Server; agent: http.Agent; sockets: Set<net.Socket>; info: HttpProxy }>((resume) => {
      const sockets = new Set<net.Socket>()
      const requests: Array<HttpProxyRecord> = []
      let accepted = 0
      // Upstream connections are not reused: each forwarded request has its own, closed after it.
      const agent = new http.Agent({ keepAlive: false })
      const track = (socket: net.Socket) => {
        sockets.add(socket)
        socket.on("close", () => sockets.delete(socket))
      }
      const authorized = (req: http.IncomingMessage): boolean =>
        options.proxyAuthorization === undefined || req.headers["proxy-authorization"] === options.proxyAuthorization
      const record = (req: http.IncomingMessage) =>
        requests.push({ method: req.method ?? "", url: req.url ?? "", headers: pairs(req.rawHeaders) })

      const server: http.Server = options.tls === undefined ? http.createServer() : https.createServer({ key: options.tls.key, cert: options.tls.cert })
      server.on("connection", (socket: net.Socket) => {
        accepted++
        track(socket)
      })

      // CONNECT: a tunnel, or the configured answer.
      server.on("connect", (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
        record(req)
        client.on("error", () => client.destroy())
        const answer = (reply: HttpProxyReply) => client.end(rawResponse(reply), "latin1")
        if (!authorized(req)) return answer(PROXY_AUTH_REQUIRED)
        if (options.connectReply !== undefined) return answer(options.connectReply)
        const target = splitTarget(req.url ?? "")
        if (target === undefined) return answer({ status: 400, body: "bad CONNECT target" })
        if (!isLoopbackHost(target.host)) return answer({ status: 403, body: "only loopback targets" })
        const upstream = net.connect({ host: target.host, port: target.port })
        track(upstream)
        let established = false
        upstream.on("error", () => {
          upstream.destroy()
          if (established) client.destroy()
          else if (!client.destroyed) answer({ status: 502, body: "dial failed" })
        })
        upstream.once("connect", () => {
          established = true
          client.write("HTTP/1.1 200 Connection established\r\n\r\n")
          if (head.length > 0) upstream.write(head)
          client.pipe(upstream)
          upstream.pipe(client)
          client.on("close", () => upstream.destroy())
          upstream.on("close", () => client.destroy())
        })
      })

      // Absolute-form requests: forwarded, the response streamed back.
      server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
        record(req)
        const send = (reply: HttpProxyReply) => {
          res.writeHead(reply.status, { ...reply.headers, "Content-Length": Buffer.byteLength(reply.body ?? "") })
          res.end(reply.body ?? "")
        }
        if (!authorized(req)) return send(PROXY_AUTH_REQUIRED)
        let url: URL
        try {
          url = new URL(req.url ?? "")
        } catch {
          return send({ status: 400, body: "not an absolute-form request" })
        }
        if (url.protocol !== "http:") return send({ status: 400, body: "only http: targets" })
        if (!isLoopbackHost(url.hostname)) return send({ status: 403, body: "only loopback targets" })
        const headers: Array<string> = []
        for (const [name, value] of pairs(req.rawHeaders)) {
          if (!HOP_BY_HOP.has(name.toLowerCase())) headers.push(name, value)
        }
        const upstream = http.request({
          agent,
          host: url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname,
          port: url.port === "" ? 80 : Number(url.port),
          method: req.method ?? "GET",
          path: `${url.pathname}${url.search}`,
          headers
        })
        upstream.on("socket", (socket) => track(socket as net.Socket))
        upstream.on("error", () => {
          if (!res.headersSent) send({ status: 502, body: "upstream failed" })
          else res.destroy()
        })
        upstream.on("response", (response) => {
          const back: Array<string> = []
          for (const [name, value] of pairs(response.rawHeaders)) {
            if (!HOP_BY_HOP.has(name.toLowerCase())) back.push(name, value)
          }
          res.writeHead(response.statusCode ?? 502, response.statusMessage, back)
          response.pipe(res)
        })
        req.pipe(upstream)
      })

      server.listen(0, "127.0.0.1", () => {
        const port = (server.address() as net.AddressInfo).port
        resume(Effect.succeed({
          server,
          agent,
          sockets,
          info: { host: "127.0.0.1", port, url: `${options.tls === undefined ? "http" : "https"}://127.0.0.1:${port}`, requests, accepted: () => accepted }
        }))
      })
    }),
    ({ agent, server, sockets }) =>
      Effect.async<void>((resume) => {
        for (const socket of sockets) socket.destroy()
        agent.destroy()
        server.close(() => resume(Effect.void))
        server.closeAllConnections()
      })
  ).pipe(Effect.map(({ info }) => info))
