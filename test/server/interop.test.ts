/**
 * The Server against real peers over 127.0.0.1: node:http's client (keep-alive agent),
 * undici 7 (Agent and Pool) and curl (when /usr/bin/curl exists). Every peer is closed in the
 * test's Scope (agents destroyed, pools closed, curl children killed on interruption), so no
 * socket outlives its test (test/setup/noOpenSockets.ts).
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Stream } from "effect"
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as http from "node:http"
import { Agent, Pool, request as undiciRequest } from "undici"
import type { ConnState } from "../../src/server/config.js"
import type { ServerRequest } from "../../src/server/ServerRequest.js"
import * as ServerResponse from "../../src/server/ServerResponse.js"
import { startServer } from "./rawClient.js"

// ---------------------------------------------------------------------------------------------
// The handler every test serves

const STREAM_CHUNKS = ["alpha ", "beta ", "gamma ", "delta"] as const

/** Echoes how the request arrived in X-Seen-* fields, so a test can check the client's framing. */
const seen = (req: ServerRequest): Record<string, string> => ({
  "X-Seen-Method": req.method,
  "X-Seen-Proto": req.proto,
  "X-Seen-Transfer-Encoding": req.headers.get("Transfer-Encoding") ?? "none",
  "X-Seen-Content-Length": req.contentLength === undefined ? "none" : String(req.contentLength)
})

/**
 * Routes: `/text` a text answer, `/echo` the body back (read with `req.text`), `/collect` the
 * body back (read with `Stream.runCollect(req.body)`), `/json` a JSON body parsed and sent
 * back, `/stream` STREAM_CHUNKS streamed (after the first chunk, waiting for `gate` when one is
 * given), `/slow/N` answers `N` after a few milliseconds.
 */
const makeHandler = (gate?: Deferred.Deferred<void>) => (req: ServerRequest) => {
  const path = req.url.pathname
  if (path === "/echo") return Effect.map(req.text, (t) => ServerResponse.text(t, { headers: seen(req) }))
  if (path === "/collect") {
    return Effect.map(Stream.runCollect(req.body), (chunks) => ServerResponse.bytes(Buffer.concat([...chunks]), { headers: { ...seen(req), "Content-Type": "application/octet-stream" } }))
  }
  if (path === "/json") {
    return Effect.flatMap(req.text, (t) => ServerResponse.json({ method: req.method, received: JSON.parse(t) as unknown }, { headers: seen(req) }))
  }
  if (path === "/stream") {
    const [first, ...rest] = STREAM_CHUNKS
    const body = Stream.make(Buffer.from(first)).pipe(
      Stream.concat(Stream.fromEffect(gate === undefined ? Effect.void : Deferred.await(gate)).pipe(Stream.drain)),
      Stream.concat(Stream.fromIterable(rest).pipe(Stream.mapEffect((s) => Effect.as(Effect.sleep("2 millis"), Buffer.from(s)))))
    )
    return Effect.succeed(ServerResponse.stream(body, { headers: { "Content-Type": "text/plain; charset=utf-8" } }))
  }
  if (path.startsWith("/slow/")) return Effect.as(Effect.sleep("5 millis"), ServerResponse.text(path.slice("/slow/".length)))
  return Effect.succeed(ServerResponse.text(`hello from ${req.method} ${req.target}`, { headers: seen(req) }))
}

const handler = makeHandler()

// ---------------------------------------------------------------------------------------------
// node:http

interface NodeResponse {
  readonly status: number
  readonly headers: http.IncomingHttpHeaders
  readonly body: string
  /** Whether the agent sent this request on a connection it had used before. */
  readonly reusedSocket: boolean
}

/** A keep-alive agent with one socket, destroyed when the Scope closes. */
const keepAliveAgent = Effect.acquireRelease(
  Effect.sync(() => new http.Agent({ keepAlive: true, maxSockets: 1 })),
  (agent) => Effect.sync(() => agent.destroy())
)

/**
 * One node:http request. `send` writes the body and ends the request (default: `end()`);
 * `onData` sees every body chunk as it arrives. Interruption destroys the request.
 */
const nodeRequest = (
  url: string,
  options: http.RequestOptions,
  send: (req: http.ClientRequest) => void = (req) => req.end(),
  onData?: (chunk: Buffer) => void
): Effect.Effect<NodeResponse, Error> =>
  Effect.async<NodeResponse, Error>((resume) => {
    const req = http.request(url, options, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (chunk: Buffer) => {
        chunks.push(chunk)
        onData?.(chunk)
      })
      res.on("error", (error) => resume(Effect.fail(error)))
      res.on("end", () =>
        resume(Effect.succeed({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString("utf8"),
          reusedSocket: req.reusedSocket
        })))
    })
    req.on("error", (error) => resume(Effect.fail(error)))
    send(req)
    return Effect.sync(() => req.destroy())
  }).pipe(Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => new Error(`node:http request to ${url} timed out`) }))

/** Writes `parts` a few milliseconds apart, then ends the request. */
const writeSlowly = (parts: ReadonlyArray<string>) => (req: http.ClientRequest): void => {
  let i = 0
  const next = () => {
    if (i === parts.length - 1) return void req.end(parts[i])
    req.write(parts[i++])
    setTimeout(next, 5)
  }
  next()
}

describe("node:http client", () => {
  it.live("GET: 200 with the text, its Content-Length and Content-Type", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler })
      const agent = yield* keepAliveAgent
      const r = yield* nodeRequest(`${server.url}/text?q=1`, { agent })
      expect(r.status).toBe(200)
      expect(r.body).toBe("hello from GET /text?q=1")
      expect(r.headers["content-length"]).toBe(String(r.body.length))
      expect(r.headers["content-type"]).toBe("text/plain; charset=utf-8")
      expect(r.headers["x-seen-proto"]).toBe("HTTP/1.1")
      expect(r.headers["date"]).toMatch(/ GMT$/)
    }).pipe(Effect.scoped))

  it.live("five sequential requests reuse one keep-alive connection", () =>
    Effect.gen(function*() {
      const states: Array<readonly [number, ConnState]> = []
      const server = yield* startServer({ handler, connState: (info, state) => Effect.sync(() => void states.push([info.id, state])) })
      const agent = yield* keepAliveAgent
      const reused: Array<boolean> = []
      for (let i = 0; i < 5; i++) {
        const r = yield* nodeRequest(`${server.url}/text/${i}`, { agent })
        expect(r.body).toBe(`hello from GET /text/${i}`)
        reused.push(r.reusedSocket)
      }
      expect(reused).toEqual([false, true, true, true, true])
      const stats = yield* server.stats
      expect(stats.accepted).toBe(1)
      expect(stats.connections).toBe(1)
      expect(new Set(states.map(([id]) => id))).toEqual(new Set([1]))
      expect(states[0]).toEqual([1, "New"])
      expect(states.filter(([, s]) => s === "Closed")).toHaveLength(0)
    }).pipe(Effect.scoped))

  it.live("a chunked upload (writes without Content-Length) is echoed back, read with req.text and with req.body", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler })
      const agent = yield* keepAliveAgent
      const parts = ["first,", "second,", "third,", "last"]
      for (const path of ["/echo", "/collect"]) {
        const r = yield* nodeRequest(`${server.url}${path}`, { agent, method: "POST" }, writeSlowly(parts))
        expect(r.status).toBe(200)
        expect(r.body).toBe(parts.join(""))
        expect(r.headers["x-seen-transfer-encoding"]).toBe("chunked")
        expect(r.headers["x-seen-content-length"]).toBe("none")
      }
      expect((yield* server.stats).accepted).toBe(1)
    }).pipe(Effect.scoped))

  it.live("a streamed download is chunked, each chunk flushed as it is produced, and read to its end", () =>
    Effect.gen(function*() {
      const gate = yield* Deferred.make<void>()
      const server = yield* startServer({ handler: makeHandler(gate) })
      const agent = yield* keepAliveAgent
      let first: string | undefined
      const r = yield* nodeRequest(`${server.url}/stream`, { agent }, undefined, (chunk) => {
        // The server produces the second chunk only once the first reached the client.
        if (first !== undefined) return
        first = chunk.toString()
        Deferred.unsafeDone(gate, Exit.void)
      })
      expect(first).toBe(STREAM_CHUNKS[0])
      expect(r.status).toBe(200)
      expect(r.headers["transfer-encoding"]).toBe("chunked")
      expect(r.headers["content-length"]).toBeUndefined()
      expect(r.body).toBe(STREAM_CHUNKS.join(""))
      // The connection is still good after a chunked answer.
      const again = yield* nodeRequest(`${server.url}/text`, { agent })
      expect(again.reusedSocket).toBe(true)
      expect(again.body).toBe("hello from GET /text")
    }).pipe(Effect.scoped))

  it.live("a POST with Content-Length is echoed back", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler })
      const agent = yield* keepAliveAgent
      const body = "x=1&y=" + "z".repeat(10_000)
      const r = yield* nodeRequest(`${server.url}/echo`, {
        agent,
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded", "Content-Length": Buffer.byteLength(body) }
      }, (req) => req.end(body))
      expect(r.status).toBe(200)
      expect(r.body).toBe(body)
      expect(r.headers["x-seen-content-length"]).toBe(String(body.length))
      expect(r.headers["x-seen-transfer-encoding"]).toBe("none")
    }).pipe(Effect.scoped))

  it.live("HEAD: the GET's headers without a body, and the connection stays usable", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler })
      const agent = yield* keepAliveAgent
      const head = yield* nodeRequest(`${server.url}/text`, { agent, method: "HEAD" })
      expect(head.status).toBe(200)
      expect(head.body).toBe("")
      // The length of the body a GET-like answer would have had ("hello from HEAD /text").
      expect(head.headers["content-length"]).toBe(String("hello from HEAD /text".length))
      expect(head.headers["content-type"]).toBe("text/plain; charset=utf-8")
      expect(head.headers["x-seen-method"]).toBe("HEAD")
      const after = yield* nodeRequest(`${server.url}/text`, { agent })
      expect(after.body).toBe("hello from GET /text")
      expect(after.reusedSocket).toBe(true)
      expect((yield* server.stats).accepted).toBe(1)
    }).pipe(Effect.scoped))

  it.live("Expect: 100-continue: node's 'continue' event fires, then the body is sent and echoed", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler })
      const agent = yield* keepAliveAgent
      const body = "sent after 100 Continue"
      let continued = 0
      const r = yield* nodeRequest(`${server.url}/echo`, {
        agent,
        method: "PUT",
        headers: { Expect: "100-continue", "Content-Length": Buffer.byteLength(body) }
      }, (req) =>
        req.on("continue", () => {
          continued++
          req.end(body)
        }))
      expect(continued).toBe(1)
      expect(r.status).toBe(200)
      expect(r.body).toBe(body)
      const after = yield* nodeRequest(`${server.url}/text`, { agent })
      expect(after.reusedSocket).toBe(true)
    }).pipe(Effect.scoped))
})

// ---------------------------------------------------------------------------------------------
// undici

/** An undici Agent, closed when the Scope closes. */
const undiciAgent = Effect.acquireRelease(
  Effect.sync(() => new Agent({ keepAliveTimeout: 10_000 })),
  (agent) => Effect.promise(() => agent.destroy())
)

const promise = <A>(f: () => Promise<A>): Effect.Effect<A, Error> =>
  Effect.tryPromise({ try: f, catch: (e) => (e instanceof Error ? e : new Error(String(e))) }).pipe(
    Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => new Error("undici request timed out") })
  )

describe("undici", () => {
  it.live("GET", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler })
      const dispatcher = yield* undiciAgent
      const r = yield* promise(async () => {
        const res = await undiciRequest(`${server.url}/text`, { dispatcher })
        return { status: res.statusCode, headers: res.headers, body: await res.body.text() }
      })
      expect(r.status).toBe(200)
      expect(r.body).toBe("hello from GET /text")
      expect(r.headers["content-type"]).toBe("text/plain; charset=utf-8")
      expect(r.headers["content-length"]).toBe(String(r.body.length))
    }).pipe(Effect.scoped))

  it.live("POST JSON is parsed by the handler and sent back as JSON", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler })
      const dispatcher = yield* undiciAgent
      const payload = { name: "gopher", tags: ["a", "β", "😀"], nested: { n: 42, ok: true, none: null } }
      const r = yield* promise(async () => {
        const res = await undiciRequest(`${server.url}/json`, {
          dispatcher,
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(payload)
        })
        return { status: res.statusCode, headers: res.headers, body: await res.body.json() }
      })
      expect(r.status).toBe(200)
      expect(r.headers["content-type"]).toBe("application/json")
      expect(r.headers["x-seen-content-length"]).toBe(String(Buffer.byteLength(JSON.stringify(payload))))
      expect(r.body).toEqual({ method: "POST", received: payload })
    }).pipe(Effect.scoped))

  it.live("a chunked upload from an async iterable body is echoed back", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler })
      const dispatcher = yield* undiciAgent
      const parts = ["one;", "two;", "three;", "four"]
      async function* produce() {
        for (const p of parts) {
          await new Promise((resolve) => setTimeout(resolve, 5))
          yield Buffer.from(p)
        }
      }
      const r = yield* promise(async () => {
        const res = await undiciRequest(`${server.url}/collect`, {
          dispatcher,
          method: "POST",
          // undici takes any (async) iterable as a body; its types only list Readable.
          body: produce() as unknown as NonNullable<Parameters<typeof undiciRequest>[1]>["body"]
        })
        return { status: res.statusCode, headers: res.headers, body: await res.body.text() }
      })
      expect(r.status).toBe(200)
      expect(r.body).toBe(parts.join(""))
      expect(r.headers["x-seen-transfer-encoding"]).toBe("chunked")
      expect(r.headers["x-seen-content-length"]).toBe("none")
    }).pipe(Effect.scoped))

  it.live("a streamed download arrives chunk by chunk and in full", () =>
    Effect.gen(function*() {
      const gate = yield* Deferred.make<void>()
      const server = yield* startServer({ handler: makeHandler(gate) })
      const dispatcher = yield* undiciAgent
      const r = yield* promise(async () => {
        const res = await undiciRequest(`${server.url}/stream`, { dispatcher })
        const received: Array<string> = []
        let firstBeforeGate: string | undefined
        for await (const chunk of res.body) {
          const s = Buffer.from(chunk as Uint8Array).toString()
          if (received.length === 0) {
            firstBeforeGate = s
            Deferred.unsafeDone(gate, Exit.void)
          }
          received.push(s)
        }
        return { status: res.statusCode, headers: res.headers, firstBeforeGate, body: received.join("") }
      })
      expect(r.status).toBe(200)
      expect(r.headers["transfer-encoding"]).toBe("chunked")
      expect(r.firstBeforeGate).toBe(STREAM_CHUNKS[0])
      expect(r.body).toBe(STREAM_CHUNKS.join(""))
    }).pipe(Effect.scoped))

  it.live("50 concurrent requests through a Pool of 10 connections are all answered correctly", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler })
      const pool = yield* Effect.acquireRelease(
        Effect.sync(() => new Pool(server.url, { connections: 10 })),
        (p) => Effect.promise(() => p.destroy())
      )
      const bodies = yield* promise(() =>
        Promise.all(Array.from({ length: 50 }, async (_, i) => {
          const res = await pool.request({ path: `/slow/${i}`, method: "GET" })
          return `${res.statusCode} ${await res.body.text()}`
        }))
      )
      expect(bodies).toEqual(Array.from({ length: 50 }, (_, i) => `200 ${i}`))
      const stats = yield* server.stats
      expect(stats.accepted).toBeGreaterThan(1)
      expect(stats.accepted).toBeLessThanOrEqual(10)
    }).pipe(Effect.scoped))
})

// ---------------------------------------------------------------------------------------------
// curl

const CURL = "/usr/bin/curl"
const hasCurl = fs.existsSync(CURL)

interface CurlResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** Runs curl (at most 15 s; killed on interruption), `stdin` written to its input. */
const curl = (args: ReadonlyArray<string>, stdin?: string): Effect.Effect<CurlResult, Error> =>
  Effect.async<CurlResult, Error>((resume) => {
    const child = execFile(CURL, ["--max-time", "10", ...args], { timeout: 15_000, encoding: "utf8" }, (error, stdout, stderr) => {
      if (error !== null && typeof error.code !== "number") return resume(Effect.fail(new Error(`curl failed: ${error.message}\n${stderr}`)))
      resume(Effect.succeed({ code: error === null ? 0 : Number(error.code), stdout, stderr }))
    })
    if (stdin !== undefined) child.stdin?.end(stdin)
    else child.stdin?.end()
    return Effect.sync(() => void child.kill("SIGKILL"))
  })

describe("curl", () => {
  it.live.skipIf(!hasCurl)("curl -s -i GET", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler })
      const r = yield* curl(["-s", "-i", `${server.url}/text`])
      expect(r.code).toBe(0)
      const [head, body] = r.stdout.split("\r\n\r\n")
      expect(head).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
      expect(head).toContain("Content-Type: text/plain; charset=utf-8\r\n")
      expect(head).toContain(`Content-Length: ${"hello from GET /text".length}`)
      expect(body).toBe("hello from GET /text")
    }).pipe(Effect.scoped))

  it.live.skipIf(!hasCurl)("curl --data-binary @- with Transfer-Encoding: chunked uploads chunked, echoed back", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler })
      const input = "line one\nline two\n" + "0123456789".repeat(2_000)
      const r = yield* curl(["-s", "-i", "-H", "Transfer-Encoding: chunked", "-H", "Content-Type: text/plain", "--data-binary", "@-", `${server.url}/echo`], input)
      expect(r.code).toBe(0)
      const split = r.stdout.indexOf("\r\n\r\n")
      const head = r.stdout.slice(0, split)
      expect(head).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
      expect(head).toContain("X-Seen-Transfer-Encoding: chunked\r\n")
      expect(head).toContain("X-Seen-Content-Length: none\r\n")
      expect(head).toContain("X-Seen-Method: POST\r\n")
      expect(r.stdout.slice(split + 4)).toBe(input)
    }).pipe(Effect.scoped))

  it.live.skipIf(!hasCurl)("curl --http1.0: answered, then the connection is closed", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler })
      const r = yield* curl(["-s", "-i", "-v", "--http1.0", `${server.url}/text`])
      expect(r.code).toBe(0)
      expect(r.stderr).toContain("> GET /text HTTP/1.0")
      const [head, body] = r.stdout.split("\r\n\r\n")
      expect(head).toMatch(/^HTTP\/1\.[01] 200 OK\r\n/)
      expect(head).toContain("X-Seen-Proto: HTTP/1.0\r\n")
      expect(head).toContain(`Content-Length: ${"hello from GET /text".length}`)
      expect(head).toContain("Connection: close\r\n")
      expect(body).toBe("hello from GET /text")
      expect(r.stderr).not.toContain("left intact")
    }).pipe(Effect.scoped))

  it.live.skipIf(!hasCurl)("two URLs in one curl invocation share one connection", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler })
      const r = yield* curl(["-s", "-v", `${server.url}/text/1`, `${server.url}/text/2`])
      expect(r.code).toBe(0)
      expect(r.stdout).toBe("hello from GET /text/1hello from GET /text/2")
      expect(r.stderr).toMatch(/Re-using existing connection/)
      expect((yield* server.stats).accepted).toBe(1)
    }).pipe(Effect.scoped))
})
