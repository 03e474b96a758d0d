/**
 * Test helpers for the Transport: a scripted raw TCP server on 127.0.0.1:0 that parses
 * request heads and bodies minimally and lets each test answer with arbitrary bytes, delay,
 * close or reset; polling with a bound in real time (so it works under the TestClock too);
 * request and response builders.
 */
import { Chunk, Effect, Either, type Scope, Stream, TestClock } from "effect"
import * as net from "node:net"
import * as Body from "../../src/domain/Body.js"
import { Request, type RequestOptions } from "../../src/domain/Request.js"
import type { Response } from "../../src/domain/Response.js"
import { Transport } from "../../src/transport/Transport.js"

// ---------------------------------------------------------------------------------------------
// Time

/** A real-time sleep (a Node timer), unaffected by the TestClock. */
export const realSleep = (ms: number): Effect.Effect<void> =>
  Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, ms)))

/**
 * Polls `predicate` every few real milliseconds until it holds or `timeoutMs` passed; returns
 * whether it held. `predicate` may be an Effect.
 */
export const poll = <R = never>(
  predicate: () => boolean | Effect.Effect<boolean, never, R>,
  timeoutMs = 2000,
  stepMs = 5
): Effect.Effect<boolean, never, R> =>
  Effect.gen(function*() {
    const deadline = Date.now() + timeoutMs
    for (let i = 0; i < 100_000; i++) {
      const r = predicate()
      const ok = typeof r === "boolean" ? r : yield* r
      if (ok) return true
      if (Date.now() >= deadline) return false
      yield* realSleep(stepMs)
    }
    return false
  })

/** As `poll`, but dies with `what` when the predicate never held. */
export const eventually = <R = never>(
  what: string,
  predicate: () => boolean | Effect.Effect<boolean, never, R>,
  timeoutMs = 2000
): Effect.Effect<void, never, R> =>
  Effect.flatMap(poll(predicate, timeoutMs), (ok) => ok ? Effect.void : Effect.die(new Error(`not within ${timeoutMs} ms: ${what}`)))

/**
 * Under the TestClock: waits (yielding, then sleeping a little in real time; bounded) until at
 * least `n` fibers sleep on the TestClock, so that `TestClock.adjust` reaches their timers.
 */
export const awaitSleepers = (n = 1, timeoutMs = 2000): Effect.Effect<void> =>
  Effect.gen(function*() {
    const deadline = Date.now() + timeoutMs
    for (let i = 0; i < 100_000; i++) {
      if (Chunk.size(yield* TestClock.sleeps()) >= n) return
      if (Date.now() >= deadline) return yield* Effect.die(new Error(`no ${n} TestClock sleeper(s) within ${timeoutMs} ms`))
      if (i < 50) yield* Effect.yieldNow()
      else yield* realSleep(2)
    }
  })

// ---------------------------------------------------------------------------------------------
// The scripted server

/** A request as the scripted server parsed it. */
export interface ScriptedRequest {
  /** The connection it arrived on (0-based, in accept order). */
  readonly conn: number
  /** Its number on that connection (0-based). */
  readonly index: number
  readonly method: string
  readonly target: string
  /** Header fields by lower-case name; repeated fields joined with ", ". */
  readonly headers: Readonly<Record<string, string>>
  /** The head as received, with the final CRLFCRLF. */
  readonly rawHead: string
  /** Where the head started in the connection's byte stream. */
  readonly offset: number
  /** The body (de-chunked); complete once `onRequest` runs. */
  body: Buffer
  /** Whether the body is complete. */
  complete: boolean
  /** `Date.now()` when the head, then the whole request, arrived. */
  readonly headAt: number
  completeAt: number
}

/** One accepted connection. */
export interface ScriptedConn {
  readonly index: number
  readonly socket: net.Socket
  /** Requests parsed on this connection, in order (the last may be incomplete). */
  readonly requests: Array<ScriptedRequest>
  /** Parse errors on this connection (a test asserts there are none where it matters). */
  readonly errors: Array<string>
  /** Whether the server-side socket emitted 'close'. */
  closed: boolean
  /** Whether the client ended its side (the server saw end of input). */
  ended: boolean
  /** Every byte received on this connection. */
  readonly received: () => Buffer
  /** The number of body bytes of `request` received so far (raw, framing included). */
  readonly bodyBytesSoFar: (request: ScriptedRequest) => number
  /** Writes bytes (strings as latin1); ignored once the socket is destroyed. */
  readonly write: (data: string | Uint8Array) => void
  /** Stops parsing HTTP: every byte from now on (and any already buffered) goes to `onData`. */
  readonly takeOver: (onData: (data: Buffer) => void) => void
}

export interface ScriptOptions {
  /** Called when a connection is accepted. */
  readonly onConnection?: (conn: ScriptedConn) => void
  /** Called when a request head is complete, before its body. */
  readonly onHead?: (request: ScriptedRequest, conn: ScriptedConn) => void
  /** Called when a request (head and body) is complete. */
  readonly onRequest?: (request: ScriptedRequest, conn: ScriptedConn) => void
}

export interface ScriptedServer {
  readonly port: number
  /** `http://127.0.0.1:port` followed by `path`. */
  readonly url: (path?: string) => string
  /** Connections in accept order. */
  readonly conns: Array<ScriptedConn>
  /** Every request on every connection in arrival order. */
  readonly requests: Array<ScriptedRequest>
  /** Connections accepted so far. */
  readonly accepted: () => number
  /** Server-side sockets open now. */
  readonly openSockets: () => number
  /** The most server-side sockets open at the same time. */
  readonly maxOpen: () => number
  /** Waits (bounded) until the server has seen every connection closed, then asserts it. */
  readonly expectAllClosed: (timeoutMs?: number) => Effect.Effect<void>
}

const CRLF = Buffer.from("\r\n")
const CRLFCRLF = Buffer.from("\r\n\r\n")

// Per-connection parsing state.
type State =
  | { readonly tag: "head" }
  | { readonly tag: "length"; remaining: number; readonly request: ScriptedRequest }
  | { readonly tag: "chunked"; readonly request: ScriptedRequest; trailers: boolean }
  | { readonly tag: "raw"; readonly onData: (data: Buffer) => void }
  | { readonly tag: "broken" }

/** A raw TCP server on 127.0.0.1:0 for the test's Scope; its release destroys every socket. */
export const scriptedServer = (options: ScriptOptions = {}): Effect.Effect<ScriptedServer, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<{ server: net.Server; api: ScriptedServer }>((resume) => {
      const conns: Array<ScriptedConn> = []
      const requests: Array<ScriptedRequest> = []
      let open = 0
      let maxOpen = 0

      const server = net.createServer((socket) => {
        open++
        if (open > maxOpen) maxOpen = open
        const received: Array<Buffer> = []
        let receivedBytes = 0
        let pending: Buffer = Buffer.alloc(0) // unparsed input
        let consumed = 0 // bytes of the stream before `pending`
        let state: State = { tag: "head" }
        const conn: ScriptedConn = {
          index: conns.length,
          socket,
          requests: [],
          errors: [],
          closed: false,
          ended: false,
          received: () => Buffer.concat(received),
          bodyBytesSoFar: (request) => receivedBytes - request.offset - Buffer.byteLength(request.rawHead, "latin1"),
          write: (data) => {
            if (!socket.destroyed && socket.writable) socket.write(typeof data === "string" ? Buffer.from(data, "latin1") : data)
          },
          takeOver: (onData) => {
            state = { tag: "raw", onData }
            if (pending.length > 0) {
              const rest = pending
              pending = Buffer.alloc(0)
              onData(rest)
            }
          }
        }
        conns.push(conn)
        socket.on("error", () => {}) // resets and EPIPE are part of the scripts
        socket.on("end", () => {
          conn.ended = true
        })
        socket.on("close", () => {
          conn.closed = true
          open--
        })

        const fail = (message: string) => {
          conn.errors.push(message)
          state = { tag: "broken" }
        }

        const finish = (request: ScriptedRequest) => {
          request.complete = true
          request.completeAt = Date.now()
          state = { tag: "head" }
          options.onRequest?.(request, conn)
        }

        // Parses as much of `pending` as it can.
        const parse = () => {
          for (let guard = 0; guard < 100_000; guard++) {
            const s = state
            switch (s.tag) {
              case "broken":
                return
              case "raw": {
                if (pending.length === 0) return
                const rest = pending
                pending = Buffer.alloc(0)
                s.onData(rest)
                return
              }
              case "head": {
                const end = pending.indexOf(CRLFCRLF)
                if (end < 0) return
                const rawHead = pending.subarray(0, end + 4).toString("latin1")
                const lines = rawHead.slice(0, -4).split("\r\n")
                const [method, target] = lines[0]!.split(" ")
                const headers: Record<string, string> = {}
                for (const line of lines.slice(1)) {
                  const colon = line.indexOf(":")
                  if (colon <= 0) return fail(`bad header line ${JSON.stringify(line)}`)
                  const name = line.slice(0, colon).toLowerCase()
                  const value = line.slice(colon + 1).trim()
                  headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`
                }
                const request: ScriptedRequest = {
                  conn: conn.index,
                  index: conn.requests.length,
                  method: method ?? "",
                  target: target ?? "",
                  headers,
                  rawHead,
                  offset: consumed,
                  body: Buffer.alloc(0),
                  complete: false,
                  headAt: Date.now(),
                  completeAt: 0
                }
                pending = pending.subarray(end + 4)
                consumed += end + 4
                conn.requests.push(request)
                requests.push(request)
                const te = headers["transfer-encoding"]
                const cl = headers["content-length"]
                if (te !== undefined) {
                  if (te.toLowerCase() !== "chunked") return fail(`transfer-encoding ${te}`)
                  state = { tag: "chunked", request, trailers: false }
                } else if (cl !== undefined) {
                  const n = Number(cl)
                  if (!Number.isSafeInteger(n) || n < 0) return fail(`content-length ${cl}`)
                  state = { tag: "length", remaining: n, request }
                }
                options.onHead?.(request, conn)
                if (state.tag === "head") finish(request) // no body
                else if (state.tag === "length" && state.remaining === 0) finish(request)
                break
              }
              case "length": {
                if (pending.length === 0) return
                const n = Math.min(s.remaining, pending.length)
                s.request.body = Buffer.concat([s.request.body, pending.subarray(0, n)])
                pending = pending.subarray(n)
                consumed += n
                s.remaining -= n
                if (s.remaining === 0) finish(s.request)
                break
              }
              case "chunked": {
                if (s.trailers) {
                  // Trailer section: lines until an empty one.
                  const eol = pending.indexOf(CRLF)
                  if (eol < 0) return
                  pending = pending.subarray(eol + 2)
                  consumed += eol + 2
                  if (eol === 0) finish(s.request)
                  break
                }
                const eol = pending.indexOf(CRLF)
                if (eol < 0) return
                const sizeLine = pending.subarray(0, eol).toString("latin1")
                const size = parseInt(sizeLine.split(";")[0]!.trim(), 16)
                if (!Number.isFinite(size) || !/^[0-9a-fA-F]+/.test(sizeLine)) {
                  return fail(`bad chunk size line ${JSON.stringify(sizeLine.slice(0, 80))}`)
                }
                if (size === 0) {
                  pending = pending.subarray(eol + 2)
                  consumed += eol + 2
                  s.trailers = true
                  break
                }
                if (pending.length < eol + 2 + size + 2) return
                if (pending[eol + 2 + size] !== 0x0d || pending[eol + 3 + size] !== 0x0a) return fail("chunk not followed by CRLF")
                s.request.body = Buffer.concat([s.request.body, pending.subarray(eol + 2, eol + 2 + size)])
                pending = pending.subarray(eol + 4 + size)
                consumed += eol + 4 + size
                break
              }
            }
          }
        }

        socket.on("data", (chunk: Buffer) => {
          received.push(chunk)
          receivedBytes += chunk.length
          pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
          parse()
        })
        options.onConnection?.(conn)
      })

      server.listen(0, "127.0.0.1", () => {
        const port = (server.address() as net.AddressInfo).port
        const api: ScriptedServer = {
          port,
          url: (path = "/") => `http://127.0.0.1:${port}${path}`,
          conns,
          requests,
          accepted: () => conns.length,
          openSockets: () => open,
          maxOpen: () => maxOpen,
          expectAllClosed: (timeoutMs = 2000) =>
            Effect.flatMap(poll(() => open === 0, timeoutMs), (ok) =>
              ok
                ? Effect.void
                : Effect.die(
                  new Error(
                    `server still sees ${open} open connection(s) after ${timeoutMs} ms: ${
                      conns.filter((c) => !c.closed).map((c) => `#${c.index}${c.ended ? " (client ended)" : ""}`).join(", ")
                    }`
                  )
                ))
        }
        resume(Effect.succeed({ server, api }))
      })
    }),
    ({ api, server }) =>
      Effect.async<void>((resume) => {
        for (const c of api.conns) c.socket.destroy()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ api }) => api))

// ---------------------------------------------------------------------------------------------
// Responses

/** A response with a Content-Length (unless `headers` has Content-Length or Transfer-Encoding). */
export const response = (
  body: string | Uint8Array = "",
  headers: Readonly<Record<string, string>> = {},
  status = 200,
  reason = "OK"
): Buffer => {
  const bytes = typeof body === "string" ? Buffer.from(body, "latin1") : Buffer.from(body)
  const names = Object.keys(headers).map((k) => k.toLowerCase())
  let head = `HTTP/1.1 ${status} ${reason}\r\n`
  for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`
  if (!names.includes("content-length") && !names.includes("transfer-encoding")) head += `Content-Length: ${bytes.length}\r\n`
  return Buffer.concat([Buffer.from(head + "\r\n", "latin1"), bytes])
}

/** A head only, as written (no Content-Length added). */
export const head = (headers: Readonly<Record<string, string>> = {}, status = 200, reason = "OK"): Buffer => {
  let s = `HTTP/1.1 ${status} ${reason}\r\n`
  for (const [k, v] of Object.entries(headers)) s += `${k}: ${v}\r\n`
  return Buffer.from(s + "\r\n", "latin1")
}

/** One chunk of a chunked body. */
export const chunk = (data: string | Uint8Array): Buffer => {
  const bytes = typeof data === "string" ? Buffer.from(data, "latin1") : Buffer.from(data)
  return Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`, "latin1"), bytes, CRLF])
}

/** The last chunk, without trailers. */
export const lastChunk = Buffer.from("0\r\n\r\n", "latin1")

/** A chunked response of these parts. */
export const chunkedResponse = (parts: ReadonlyArray<string | Uint8Array>, headers: Readonly<Record<string, string>> = {}): Buffer =>
  Buffer.concat([head({ ...headers, "Transfer-Encoding": "chunked" }), ...parts.map(chunk), lastChunk])

// ---------------------------------------------------------------------------------------------
// Requests

/** `Request.make`, dying on an invalid request (tests build valid ones). */
export const request = <E = never>(options: RequestOptions<E>): Request<E> =>
  Either.getOrThrowWith(Request.make(options), (e) => new Error(`invalid test request: ${String(e)}`))

/** Deterministic pseudo-random bytes. */
export const pseudoRandom = (n: number, seed = 1): Buffer => {
  const out = Buffer.alloc(n)
  let x = seed >>> 0 || 1
  for (let i = 0; i < n; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}

/** What `fetch` returns: the head and the whole body. */
export interface Fetched {
  readonly response: Response<unknown>
  readonly status: number
  readonly body: Buffer
  readonly text: string
}

/** A round trip whose body is read to the end, in its own Scope. */
export const fetch = <E>(req: Request<E>) =>
  Effect.gen(function*() {
    const transport = yield* Transport
    const response = yield* transport.roundTrip(req)
    const body = Buffer.from(yield* Body.collect(response.body))
    return { response, status: response.status, body, text: body.toString("latin1") } satisfies Fetched
  }).pipe(Effect.scoped)

/** A GET of `url` read to the end. */
export const get = (url: string, headers?: Readonly<Record<string, string>>) => fetch(request({ url, ...(headers ? { headers } : {}) }))

/** A stream of these parts, with `delayMs` of real time before every part after the first. */
export const slowStream = (parts: ReadonlyArray<Uint8Array>, delayMs: number): Stream.Stream<Uint8Array> =>
  Stream.fromIterable(parts.map((p, i) => ({ p, i }))).pipe(
    Stream.mapEffect(({ i, p }) => (i === 0 ? Effect.succeed(p) : Effect.as(realSleep(delayMs), p)))
  )
