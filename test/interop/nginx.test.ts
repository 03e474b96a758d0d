/**
 * Our server behind nginx as a reverse proxy, with docs/nginx.conf as it is documented (only
 * its paths and ports replaced): keep-alive upstream connections reused, request and answer
 * bodies streamed both ways, the client's address through `Handlers.forwarded` with nginx
 * trusted, and a graceful shutdown with `shutdownDelay` losing nothing nginx had sent.
 *
 * Needs Debian's nginx: when it is missing the file tries `apt-get install -y nginx-light`
 * once (as root, bounded to 240 s), and skips with a message when that fails. nginx runs in
 * the foreground with a prefix directory of its own, and is stopped by its PID.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Stream } from "effect"
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process"
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import * as http from "node:http"
import * as net from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll } from "vitest"
import { forwarded, trustedProxies } from "../../src/server/forwarded.js"
import type { Handler } from "../../src/server/Handler.js"
import { health } from "../../src/server/readiness.js"
import type { ServerRequest } from "../../src/server/ServerRequest.js"
import * as ServerResponse from "../../src/server/ServerResponse.js"
import { startServer } from "../server/rawClient.js"

const CONFIG = readFileSync(new URL("../../docs/nginx.conf", import.meta.url), "utf8")

/** The nginx binary, installing Debian's package once if it is missing; undefined when there is none. */
const findNginx = (): string | undefined => {
  const look = () => ["/usr/sbin/nginx", "/usr/bin/nginx"].find((p) => existsSync(p))
  const found = look()
  if (found !== undefined || process.getuid?.() !== 0) return found
  spawnSync("timeout", ["240", "apt-get", "install", "-y", "nginx-light"], { stdio: "ignore", timeout: 250_000 })
  return look()
}

const NGINX = findNginx()
if (NGINX === undefined) console.warn("test/interop/nginx.test.ts: skipped, nginx is not installed and `apt-get install -y nginx-light` failed")

const started = new Set<ChildProcess>()
afterAll(() => {
  // Any nginx a failed test left running: stopped by its PID.
  for (const child of started) if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, "SIGKILL")
})

/** A free loopback port (the OS picks it; nginx binds it right after). */
const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once("error", reject)
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port
      s.close(() => resolve(port))
    })
  })

const waitListening = async (port: number, timeoutMs: number): Promise<boolean> => {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: "127.0.0.1", port })
      socket.once("connect", () => {
        socket.destroy()
        resolve(true)
      })
      socket.once("error", () => resolve(false))
    })
    if (ok) return true
    await new Promise((r) => setTimeout(r, 20))
  }
  return false
}

/** nginx running docs/nginx.conf in front of `upstream`, in the Scope: its port. */
const nginx = (upstream: number) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const prefix = mkdtempSync(join(tmpdir(), "effect-nethttp-nginx-"))
      // nginx's workers may run as another user (nobody, when the tests run as root).
      chmodSync(prefix, 0o755)
      const port = await freePort()
      const conf = join(prefix, "nginx.conf")
      writeFileSync(conf, CONFIG.replaceAll("@PREFIX@", prefix).replaceAll("@LISTEN@", String(port)).replaceAll("@UPSTREAM@", String(upstream)))
      const child = spawn(NGINX!, ["-p", prefix, "-c", conf, "-e", join(prefix, "error.log"), "-g", "daemon off;"], { stdio: "ignore" })
      started.add(child)
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
      if (!(await waitListening(port, 5_000))) {
        const log = existsSync(join(prefix, "error.log")) ? readFileSync(join(prefix, "error.log"), "utf8") : ""
        throw new Error(`nginx did not start: ${log}`)
      }
      return { port, child, prefix, exited }
    }),
    ({ child, exited, prefix }) =>
      Effect.promise(async () => {
        if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, "SIGTERM")
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))])
        if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, "SIGKILL")
        started.delete(child)
        rmSync(prefix, { recursive: true, force: true })
      })
  )

interface Answer {
  readonly status: number
  readonly headers: http.IncomingHttpHeaders
  readonly body: string
}

/** One request through nginx (a connection of its own, closed after), bounded to 10 s. */
const request = (port: number, path: string, options: { readonly method?: string; readonly headers?: http.OutgoingHttpHeaders; readonly localAddress?: string } = {}) =>
  Effect.async<Answer, Error>((resume) => {
    const req = http.request({ host: "127.0.0.1", port, path, method: options.method ?? "GET", headers: options.headers, agent: false, localAddress: options.localAddress })
    const timer = setTimeout(() => req.destroy(new Error(`no answer to ${path} in 10 s`)), 10_000)
    req.once("error", (e) => {
      clearTimeout(timer)
      resume(Effect.fail(e))
    })
    req.once("response", (res) => {
      const parts: Array<Buffer> = []
      res.on("data", (b: Buffer) => parts.push(b))
      res.once("end", () => {
        clearTimeout(timer)
        resume(Effect.succeed({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString("utf8") }))
      })
      res.once("error", (e) => {
        clearTimeout(timer)
        resume(Effect.fail(e))
      })
    })
    req.end()
    return Effect.sync(() => {
      clearTimeout(timer)
      req.destroy()
    })
  })

/** A promise with its resolver, to hand a moment between the client and the handler. */
const gate = () => {
  let open!: () => void
  const opened = new Promise<void>((resolve) => {
    open = resolve
  })
  return { open, opened }
}

describe.skipIf(NGINX === undefined)("behind nginx (docs/nginx.conf)", () => {
  it("the documented config passes nginx -t", () => {
    const prefix = mkdtempSync(join(tmpdir(), "effect-nethttp-nginx-t-"))
    try {
      const conf = join(prefix, "nginx.conf")
      writeFileSync(conf, CONFIG.replaceAll("@PREFIX@", prefix).replaceAll("@LISTEN@", "8080").replaceAll("@UPSTREAM@", "8081"))
      execFileSync(NGINX!, ["-t", "-q", "-p", prefix, "-c", conf, "-e", join(prefix, "error.log")], { timeout: 10_000 })
    } finally {
      rmSync(prefix, { recursive: true, force: true })
    }
  })

  it.scopedLive("many sequential requests reuse the keep-alive upstream connections", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler: (r: ServerRequest) => Effect.succeed(ServerResponse.text(`hello ${r.target}`)) })
      const proxy = yield* nginx(server.port)
      for (let i = 0; i < 40; i++) {
        const answer = yield* request(proxy.port, `/n${i}`)
        expect(answer.status).toBe(200)
        expect(answer.body).toBe(`hello /n${i}`)
      }
      const stats = yield* server.stats
      // One worker, one request at a time: one upstream connection, kept (a few at most).
      expect(stats.accepted).toBeLessThanOrEqual(2)
    }))

  it.scopedLive("a streamed request body reaches the handler before the client ends it; a streamed answer reaches the client before the handler ends it", () =>
    Effect.gen(function*() {
      const firstPieceIn = gate()
      const firstPieceOut = gate()
      const handler: Handler = (r) =>
        r.url.pathname === "/upload"
          ? Effect.map(
            Stream.runFold(Stream.tap(r.body, () => Effect.sync(firstPieceIn.open)), "", (acc, b) => acc + Buffer.from(b).toString("utf8")).pipe(Effect.orDie),
            (text) => ServerResponse.text(`got ${text}`)
          )
          : Effect.succeed(ServerResponse.stream(Stream.concat(
            Stream.make("first piece;").pipe(Stream.encodeText),
            Stream.fromEffect(Effect.promise(() => firstPieceOut.opened)).pipe(Stream.as("last piece"), Stream.encodeText)
          )))
      const server = yield* startServer({ handler })
      const proxy = yield* nginx(server.port)

      // Upload: the second piece is written only once the handler has the first.
      const uploaded = yield* Effect.async<Answer, Error>((resume) => {
        const req = http.request({ host: "127.0.0.1", port: proxy.port, path: "/upload", method: "POST", agent: false, headers: { "Transfer-Encoding": "chunked" } })
        const timer = setTimeout(() => req.destroy(new Error("the upload did not stream through nginx in 10 s")), 10_000)
        req.once("error", (e) => {
          clearTimeout(timer)
          resume(Effect.fail(e))
        })
        req.once("response", (res) => {
          const parts: Array<Buffer> = []
          res.on("data", (b: Buffer) => parts.push(b))
          res.once("end", () => {
            clearTimeout(timer)
            resume(Effect.succeed({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString() }))
          })
        })
        req.write("one,")
        void firstPieceIn.opened.then(() => req.end("two"))
        return Effect.sync(() => req.destroy())
      })
      expect(uploaded.status).toBe(200)
      expect(uploaded.body).toBe("got one,two")

      // Download: the client tells the handler to end only once the first piece arrived.
      const downloaded = yield* Effect.async<Answer, Error>((resume) => {
        const req = http.request({ host: "127.0.0.1", port: proxy.port, path: "/download", agent: false })
        const timer = setTimeout(() => req.destroy(new Error("the answer did not stream through nginx in 10 s")), 10_000)
        req.once("error", (e) => {
          clearTimeout(timer)
          resume(Effect.fail(e))
        })
        req.once("response", (res) => {
          let text = ""
          res.on("data", (b: Buffer) => {
            text += b.toString()
            if (text.includes("first piece;")) firstPieceOut.open()
          })
          res.once("end", () => {
            clearTimeout(timer)
            resume(Effect.succeed({ status: res.statusCode ?? 0, headers: res.headers, body: text }))
          })
        })
        req.end()
        return Effect.sync(() => req.destroy())
      })
      expect(downloaded.status).toBe(200)
      expect(downloaded.body).toBe("first piece;last piece")
    }))

  it.scopedLive("Handlers.forwarded with nginx trusted: the handler sees the client's address, not nginx's", () =>
    Effect.gen(function*() {
      const show = (r: ServerRequest) =>
        Effect.succeed(ServerResponse.text(JSON.stringify({ remoteAddress: r.remoteAddress, scheme: r.scheme, host: r.host, forwarded: r.headers.get("Forwarded") ?? null })))
      const trusted = yield* trustedProxies(["127.0.0.1"])
      const server = yield* startServer({ handler: forwarded(show, trusted) })
      const proxy = yield* nginx(server.port)
      // The client on another loopback address than nginx's (127.0.0.1), and a forged field.
      const answer = yield* request(proxy.port, "/who", { localAddress: "127.0.0.2", headers: { "X-Forwarded-For": "6.6.6.6", Forwarded: "for=6.6.6.6", Host: "shop.example" } })
      expect(answer.status).toBe(200)
      const seen = JSON.parse(answer.body) as { remoteAddress: string; scheme: string; host: string; forwarded: string }
      expect(seen.remoteAddress).toBe("127.0.0.2")
      expect(seen.scheme).toBe("http")
      expect(seen.host).toBe("shop.example")
      expect(seen.forwarded).toBe("for=127.0.0.2;proto=http;host=\"shop.example\"")
      // Not trusting nginx: the handler sees nginx.
      const plain = yield* startServer({ handler: forwarded(show, yield* trustedProxies([])) })
      const proxy2 = yield* nginx(plain.port)
      const direct = JSON.parse((yield* request(proxy2.port, "/who", { localAddress: "127.0.0.2" })).body) as { remoteAddress: string }
      expect(direct.remoteAddress).toBe("127.0.0.1")
    }))

  it.scopedLive("a graceful shutdown with shutdownDelay behind nginx loses no request nginx had sent", () =>
    Effect.gen(function*() {
      const handler: Handler = (r) =>
        r.url.pathname === "/healthz"
          ? health(r)
          : Effect.as(Effect.sleep("150 millis"), ServerResponse.text(`done ${r.target}`))
      const server = yield* startServer({ handler, shutdownDelay: "1500 millis", shutdownTimeout: "5 seconds" })
      const proxy = yield* nginx(server.port)
      expect((yield* request(proxy.port, "/healthz")).status).toBe(200)
      // Requests in flight when the shutdown begins.
      const inFlight = yield* Effect.forkAll(Array.from({ length: 6 }, (_, i) => request(proxy.port, `/early${i}`)))
      yield* Effect.sleep("50 millis")
      const t0 = Date.now()
      const stopping = yield* Effect.fork(server.shutdown())
      // During the delay: the readiness probe fails, new requests are still served.
      const probe = yield* request(proxy.port, "/healthz")
      expect(probe.status).toBe(503)
      const during: Array<Answer> = []
      for (let i = 0; i < 20 && Date.now() - t0 < 450; i++) during.push(yield* request(proxy.port, `/during${i}`))
      expect(during.length).toBeGreaterThan(0)
      for (const [i, a] of during.entries()) {
        expect(a.status).toBe(200)
        expect(a.body).toBe(`done /during${i}`)
      }
      const early = yield* Fiber.join(inFlight)
      early.forEach((a, i) => {
        expect(a.status).toBe(200)
        expect(a.body).toBe(`done /early${i}`)
      })
      expect(Exit.isSuccess(yield* Fiber.await(stopping))).toBe(true)
      // After the drain nothing listens: nginx answers 502 itself.
      expect((yield* request(proxy.port, "/after")).status).toBe(502)
    }))
})
