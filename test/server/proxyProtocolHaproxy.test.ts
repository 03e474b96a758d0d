/**
 * The Server behind a real HAProxy (Debian's), in `mode tcp` with `send-proxy` (v1) and
 * `send-proxy-v2` (v2, with a CRC32C and an authority TLV), on loopback: the handler sees the
 * address and port of the client's socket at HAProxy, not HAProxy's own; TLS passes through
 * HAProxy with the header in front of it; HTTP/2 prior knowledge (h2c) too.
 *
 * HAProxy is installed once if missing (`apt-get install -y haproxy`, bounded); when it
 * cannot be, every test here is skipped, saying why. Each test starts its own HAProxy in the
 * foreground and stops it by its PID.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, type Scope } from "effect"
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as http2 from "node:http2"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import * as tls from "node:tls"
import type { ServerRequest } from "../../src/server/ServerRequest.js"
import * as ServerResponse from "../../src/server/ServerResponse.js"
import { TEST_CERT, TEST_KEY } from "../../src/testing/testCert.js"
import { startServer } from "./rawClient.js"

/** Why HAProxy cannot be used here, or undefined when it can. */
let unavailable: string | undefined = "not checked yet"
let haproxyVersion = ""

const haproxyBinary = (): string | undefined => {
  for (const dir of ["/usr/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin"]) {
    const candidate = path.join(dir, "haproxy")
    if (fs.existsSync(candidate)) return candidate
  }
  return undefined
}

beforeAll(() => {
  let binary = haproxyBinary()
  if (binary === undefined) {
    try {
      execFileSync("timeout", ["240", "apt-get", "install", "-y", "haproxy"], { stdio: "ignore", timeout: 250_000 })
    } catch (error) {
      unavailable = `Debian's haproxy is not installed and \`apt-get install -y haproxy\` failed (${(error as Error).message.split("\n")[0]})`
      return
    }
    binary = haproxyBinary()
  }
  if (binary === undefined) {
    unavailable = "haproxy is not on this machine after apt-get install"
    return
  }
  try {
    haproxyVersion = execFileSync(binary, ["-v"], { encoding: "utf8", timeout: 10_000 }).split("\n")[0] ?? ""
    unavailable = undefined
  } catch (error) {
    unavailable = `haproxy -v failed: ${(error as Error).message}`
  }
}, 260_000)

/** Every HAProxy started here, until it exited: stopped by PID in afterAll if a test left one. */
const started = new Set<ChildProcess>()

afterAll(() => {
  for (const child of started) if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, "SIGKILL")
})

/** A port free on 127.0.0.1 now (bound, read, released). */
const freePort = Effect.async<number>((resume) => {
  const probe = net.createServer()
  probe.listen(0, "127.0.0.1", () => {
    const address = probe.address() as net.AddressInfo
    probe.close(() => resume(Effect.succeed(address.port)))
  })
})

/** Whether something accepts on 127.0.0.1:`port`. */
const accepts = (port: number) =>
  Effect.async<boolean>((resume) => {
    const socket = net.connect({ host: "127.0.0.1", port })
    socket.on("connect", () => {
      socket.destroy()
      resume(Effect.succeed(true))
    })
    socket.on("error", () => resume(Effect.succeed(false)))
  })

const sleep = (ms: number) => Effect.async<void>((resume) => {
  const t = setTimeout(() => resume(Effect.void), ms)
  return Effect.sync(() => clearTimeout(t))
})

/**
 * HAProxy in the foreground (`-db`) with one `mode tcp` frontend per backend line, each on a
 * free port; stopped by its PID (SIGTERM, then SIGKILL) when the Scope closes. Returns the
 * frontends' ports, in order.
 */
const haproxy = (backends: ReadonlyArray<string>): Effect.Effect<ReadonlyArray<number>, Error, Scope.Scope> =>
  Effect.gen(function*() {
    const ports: Array<number> = []
    for (let i = 0; i < backends.length; i++) ports.push(yield* freePort)
    const config = [
      "global",
      "  maxconn 200",
      "defaults",
      "  mode tcp",
      "  timeout connect 2s",
      "  timeout client 10s",
      "  timeout server 10s",
      ...backends.flatMap((server, i) => [
        `frontend f${i}`,
        `  bind 127.0.0.1:${ports[i]}`,
        `  default_backend b${i}`,
        `backend b${i}`,
        `  server s${i} ${server}`
      ])
    ].join("\n") + "\n"
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "effect-nethttp-haproxy-"))
    const file = path.join(dir, "haproxy.cfg")
    fs.writeFileSync(file, config)
    const output: Array<string> = []
    const child = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const child = spawn(haproxyBinary()!, ["-db", "-f", file], { stdio: ["ignore", "pipe", "pipe"] })
        started.add(child)
        child.stdout?.on("data", (d: Buffer) => output.push(d.toString()))
        child.stderr?.on("data", (d: Buffer) => output.push(d.toString()))
        child.on("exit", () => started.delete(child))
        return child
      }),
      (child) =>
        Effect.async<void>((resume) => {
          fs.rmSync(dir, { recursive: true, force: true })
          if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return resume(Effect.void)
          const kill = setTimeout(() => child.pid !== undefined && process.kill(child.pid, "SIGKILL"), 3_000)
          child.once("exit", () => {
            clearTimeout(kill)
            resume(Effect.void)
          })
          process.kill(child.pid, "SIGTERM")
        })
    )
    // Ready when every frontend accepts (bounded: 100 tries, 5 s).
    for (let attempt = 0; ; attempt++) {
      if (child.exitCode !== null) return yield* Effect.fail(new Error(`haproxy exited (${child.exitCode}): ${output.join("")}`))
      let ready = true
      for (const port of ports) ready = ready && (yield* accepts(port))
      if (ready) break
      if (attempt >= 100) return yield* Effect.fail(new Error(`haproxy did not listen within 5 s: ${output.join("")}`))
      yield* sleep(50)
    }
    return ports
  })

/** What the client learns: its own socket's local port, and the answer's body. */
interface Answer {
  readonly localPort: number
  readonly body: string
}

/** One `GET /` with `Connection: close` to 127.0.0.1:`port`, plain or TLS (through HAProxy's TCP relay). */
const fetchThrough = (port: number, secure = false) =>
  Effect.async<Answer, Error>((resume) => {
    const plain = net.connect({ host: "127.0.0.1", port })
    let localPort = 0
    let data = ""
    const timer = setTimeout(() => {
      plain.destroy()
      resume(Effect.fail(new Error(`no answer through haproxy; got ${JSON.stringify(data)}`)))
    }, 5_000)
    plain.on("error", (e) => resume(Effect.fail(e)))
    plain.once("connect", () => {
      localPort = plain.localPort!
      const socket = secure ? tls.connect({ socket: plain, ca: TEST_CERT, servername: "localhost", ALPNProtocols: ["http/1.1"] }) : plain
      const send = () => socket.write("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
      if (secure) socket.once("secureConnect", send)
      else send()
      socket.on("error", (e) => resume(Effect.fail(e)))
      socket.on("data", (d: Buffer) => (data += d.toString("latin1")))
      socket.on("end", () => {
        clearTimeout(timer)
        plain.destroy()
        resume(Effect.succeed({ localPort, body: data.split("\r\n\r\n").slice(1).join("\r\n\r\n") }))
      })
    })
    return Effect.sync(() => {
      clearTimeout(timer)
      plain.destroy()
    })
  })

const handler = (request: ServerRequest) =>
  Effect.succeed(ServerResponse.text(`${request.remoteAddress} ${request.remotePort} ${request.localAddress} ${request.localPort} ${request.proto}`))

/** Runs `test` unless HAProxy is unavailable, in which case the test is skipped with the reason. */
const withHaproxy = (test: Effect.Effect<void, unknown, Scope.Scope>) => (ctx: { readonly skip: (note?: string) => void }) => {
  // Skipped here, outside the Effect, so that vitest sees the skip (not a defect).
  if (unavailable !== undefined) ctx.skip(`HAProxy unavailable: ${unavailable}`)
  return Effect.scoped(test)
}

describe("PROXY protocol through HAProxy (mode tcp)", () => {
  it.live("send-proxy (v1) and send-proxy-v2 (with crc32c and authority TLVs): the handler sees the client's socket", (ctx) =>
    withHaproxy(Effect.gen(function*() {
      const server = yield* startServer({ handler, proxyProtocol: { trusted: ["127.0.0.1"] } })
      const [v1, v2] = yield* haproxy([
        `127.0.0.1:${server.port} send-proxy`,
        `127.0.0.1:${server.port} send-proxy-v2 proxy-v2-options crc32c,authority`
      ])
      for (const port of [v1!, v2!]) {
        for (let i = 0; i < 3; i++) {
          const answer = yield* fetchThrough(port)
          // The client's socket at HAProxy, and the frontend it connected to.
          expect(answer.body).toBe(`127.0.0.1 ${answer.localPort} 127.0.0.1 ${port} HTTP/1.1`)
        }
      }
      console.log(`checked against ${haproxyVersion}`)
    }))(ctx))

  it.live("a TLS server behind HAProxy's TCP relay: the header comes before the handshake", (ctx) =>
    withHaproxy(Effect.gen(function*() {
      const server = yield* startServer({ handler, proxyProtocol: { trusted: ["127.0.0.1"] }, tls: { key: TEST_KEY, cert: TEST_CERT } })
      const [v1, v2] = yield* haproxy([`127.0.0.1:${server.port} send-proxy`, `127.0.0.1:${server.port} send-proxy-v2`])
      for (const port of [v1!, v2!]) {
        const answer = yield* fetchThrough(port, true)
        expect(answer.body).toBe(`127.0.0.1 ${answer.localPort} 127.0.0.1 ${port} HTTP/1.1`)
      }
    }))(ctx))

  it.live("h2c through HAProxy with send-proxy-v2", (ctx) =>
    withHaproxy(Effect.gen(function*() {
      const server = yield* startServer({ handler, proxyProtocol: { trusted: ["127.0.0.1"] }, protocols: { unencryptedHTTP2: true } })
      const [port] = yield* haproxy([`127.0.0.1:${server.port} send-proxy-v2`])
      const session = yield* Effect.acquireRelease(
        Effect.sync(() => {
          const session = http2.connect(`http://127.0.0.1:${port}`)
          session.on("error", () => {})
          return session
        }),
        (session) => Effect.sync(() => session.destroy())
      )
      const body = yield* Effect.async<string, Error>((resume) => {
        const stream = session.request({ ":path": "/" })
        let data = ""
        stream.setEncoding("utf8")
        stream.on("data", (d: string) => (data += d))
        stream.on("end", () => resume(Effect.succeed(data)))
        stream.on("error", (e) => resume(Effect.fail(e)))
      }).pipe(Effect.timeoutFail({ duration: "5 seconds", onTimeout: () => new Error("h2c through haproxy: no answer") }))
      expect(body).toBe(`127.0.0.1 ${session.socket.localPort} 127.0.0.1 ${port} HTTP/2.0`)
    }))(ctx))

  it.live("a peer outside `trusted` (HAProxy itself here) is closed: the client gets no answer", (ctx) =>
    withHaproxy(Effect.gen(function*() {
      const server = yield* startServer({ handler, proxyProtocol: { trusted: ["192.0.2.0/24"] } })
      const [port] = yield* haproxy([`127.0.0.1:${server.port} send-proxy-v2`])
      const answer = yield* Effect.either(fetchThrough(port))
      if (answer._tag === "Right") expect(answer.right.body).toBe("")
    }))(ctx))
})
