/**
 * The CLI end to end: `node bin/effect-nethttp.mjs ...` as a child process against servers on
 * 127.0.0.1 in this process (get) or in the child (serve). The children run concurrently: each
 * costs about a second of tsx and Effect start-up.
 */
import * as fs from "node:fs/promises"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { runCli, startCli, waitFor } from "./spawnCli.js"

const BIG = Buffer.alloc(300_000)
for (let i = 0; i < BIG.length; i++) BIG[i] = (i * 31 + (i >> 8)) & 0xff

let server: http.Server
let base = ""
let dir = ""

beforeAll(async () => {
  server = http.createServer((req, res) => {
    switch (req.url) {
      case "/hello":
        res.setHeader("Content-Type", "text/plain")
        res.end(`hello ${req.headers["x-name"] ?? "world"}\n`)
        return
      case "/big":
        // Known size, sent in pieces.
        res.setHeader("Content-Length", BIG.length)
        for (let at = 0; at < BIG.length; at += 65_536) res.write(BIG.subarray(at, at + 65_536))
        res.end()
        return
      case "/redirect":
        res.statusCode = 302
        res.setHeader("Location", "/hello")
        res.end()
        return
      default:
        res.statusCode = 404
        res.end("not here\n")
    }
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "effect-nethttp-cli-"))
  await fs.writeFile(path.join(dir, "a.txt"), "file a\n")
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  await fs.rm(dir, { recursive: true, force: true })
})

/** No stack trace in a CLI's stderr. */
const noStack = (stderr: string) => expect(stderr).not.toMatch(/^\s+at /m)

// Generous bounds: each child is killed after 60 s (spawnCli), a loaded machine is slow to start them.
describe.concurrent("effect-nethttp get", { timeout: 90_000 }, () => {
  it("writes the body to stdout, with -H fields sent", async () => {
    const r = await runCli(["get", `${base}/hello`, "-H", "X-Name: cli"])
    expect(r.stderr).toBe("")
    expect(r.stdout.toString()).toBe("hello cli\n")
    expect(r.code).toBe(0)
  })

  it("-o FILE writes the file and ends the progress with the final size", async () => {
    const file = path.join(dir, "big.bin")
    const r = await runCli(["get", `${base}/big`, "-o", file])
    expect(r.code).toBe(0)
    expect(r.stdout.length).toBe(0)
    expect(Buffer.compare(await fs.readFile(file), BIG)).toBe(0)
    expect(r.stderr).toContain(`downloaded 300000 bytes (293 KiB)`)
    expect(r.stderr).toContain(`to ${file}`)
    expect(r.stderr.endsWith("\n")).toBe(true)
  })

  it("--trace prints the connection events and follows a redirect", async () => {
    const r = await runCli(["get", "--trace", `${base}/redirect`])
    expect(r.code).toBe(0)
    expect(r.stdout.toString()).toBe("hello world\n")
    const hostPort = base.slice("http://".length)
    const lines = r.stderr.split("\n")
    const event = (re: RegExp) => lines.findIndex((l) => /^\*\s+\d+\.\d ms {2}/.test(l) && re.test(l))
    const connect = event(new RegExp(`connectDone tcp ${hostPort}$`))
    const got = event(/gotConn reused=false wasIdle=false/)
    const first = event(/gotFirstResponseByte/)
    const hop = event(/response HTTP\/1\.1 302 Found {2}Location: \/hello/)
    const redirect = event(new RegExp(`redirect 302 -> ${base}/hello`))
    const reused = event(/gotConn reused=true wasIdle=true/)
    const final = event(/response HTTP\/1\.1 200 OK/)
    expect(event(new RegExp(`connectStart tcp ${hostPort}`))).toBeGreaterThanOrEqual(0)
    expect([connect, got, first, hop, redirect, reused, final].every((i) => i >= 0), r.stderr).toBe(true)
    expect(connect < got && got < first && first < hop && hop < redirect && redirect < reused && reused < final, r.stderr).toBe(true)
  })

  it("a refused connection: exit 1 and one readable line, no stack trace", async () => {
    const r = await runCli(["get", "http://127.0.0.1:1/"])
    expect(r.code).toBe(1)
    expect(r.stdout.length).toBe(0)
    expect(r.stderr).toMatch(/^effect-nethttp: GET http:\/\/127\.0\.0\.1:1\/: dial: .*ECONNREFUSED.* \(refused\)\n$/)
    noStack(r.stderr)
  })

  it("bad usage: exit 2", async () => {
    const r = await runCli(["get", "--bogus", `${base}/hello`])
    expect(r.code).toBe(2)
    expect(r.stdout.length).toBe(0)
    expect(r.stderr).toBe("effect-nethttp: get: unknown option --bogus (see effect-nethttp --help)\n")
  })

  it("a 404: the body is written, the status line on stderr, exit 1", async () => {
    const r = await runCli(["get", `${base}/missing`])
    expect(r.code).toBe(1)
    expect(r.stdout.toString()).toBe("not here\n")
    expect(r.stderr).toBe(`effect-nethttp: GET ${base}/missing: HTTP/1.1 404 Not Found\n`)
  })

  it("--help prints the usage on stdout", async () => {
    const r = await runCli(["--help"])
    expect(r.code).toBe(0)
    expect(r.stdout.toString()).toMatch(/^Usage:$/m)
    expect(r.stdout.toString()).toContain("effect-nethttp get URL")
  })
})

describe("effect-nethttp serve", { timeout: 90_000 }, () => {
  it("serves DIR on port 0, logs each request, and exits 0 on SIGTERM", async () => {
    const cli = startCli(["serve", dir, "--port", "0"])
    try {
      const url = await waitFor(() => /on (http:\/\/127\.0\.0\.1:\d+)\//.exec(cli.stdoutText())?.[1], 60_000, "the server's URL")
      const body = await new Promise<{ status: number | undefined; text: string }>((resolve, reject) => {
        // agent: false and Connection: close, so no socket stays open here.
        http.get(`${url}/a.txt`, { agent: false, headers: { Connection: "close" } }, (res) => {
          const parts: Array<Buffer> = []
          res.on("data", (b: Buffer) => parts.push(b))
          res.on("end", () => resolve({ status: res.statusCode, text: Buffer.concat(parts).toString() }))
          res.on("error", reject)
        }).on("error", reject)
      })
      expect(body).toEqual({ status: 200, text: "file a\n" })
      const line = await waitFor(() => /^.* 127\.0\.0\.1 "GET \/a\.txt HTTP\/1\.1" 200 7 \d+\.\dms$/m.exec(cli.stdoutText())?.[0], 20_000, "the access log line")
      expect(line).toMatch(/^\d{4}-\d\d-\d\dT/)
      cli.child.kill("SIGTERM")
      const r = await cli.done
      expect(r.code).toBe(0)
      expect(r.stderr).toContain("SIGTERM: shutting down")
      noStack(r.stderr)
    } finally {
      if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill("SIGKILL")
    }
  })
})
