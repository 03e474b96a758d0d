/**
 * FileServer, ServeFile and ServeContent (Go's net/http fs.go) over real sockets: content types
 * (extension, sniffed, the caller's), ranges (single, suffix, multipart, 416, Go's cases where
 * Range is ignored), every conditional field (304/412, If-Range by ETag and by date), index.html
 * and directory listings, Go's redirects, `..`, symbolic links inside and outside the root,
 * errors, HEAD, a large file streamed intact with its handle closed (also when the client goes
 * away mid-body), and the same answers seen by curl and by our own Transport.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Stream } from "effect"
import { execFile } from "node:child_process"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import * as Body from "../../src/domain/Body.js"
import { Request } from "../../src/domain/Request.js"
import { fileServer, serveFile } from "../../src/server/fileServer.js"
import type { Handler } from "../../src/server/Handler.js"
import { stripPrefix } from "../../src/server/handlers.js"
import { serveContent } from "../../src/server/serveContent.js"
import { Transport } from "../../src/transport/Transport.js"
import { get, type RawConn, type RawResponse, rawConnect, realSleep, startServer } from "./rawClient.js"

// ---------------------------------------------------------------------------------------------
// Fixtures

/** The modification time given to every fixture file (with milliseconds, which HTTP dates drop). */
const MTIME = new Date("2024-01-02T03:04:05.678Z")
const MTIME_HTTP = "Tue, 02 Jan 2024 03:04:05 GMT"
const LETTERS = "abcdefghijklmnopqrstuvwxyz"

/** A temporary directory (its real path) removed when the Scope closes. */
const tempDir = Effect.acquireRelease(
  Effect.sync(() => fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "fileserver-")))),
  (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
)

const write = (file: string, data: string | Uint8Array) => {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, data)
  fs.utimesSync(file, MTIME, MTIME)
}

/**
 * `<tmp>/root` served, `<tmp>/secret.txt` and `<tmp>/outside/` beside it (to escape to):
 *
 * root/hello.txt, letters.txt (a-z), page.html, notes.md, noext-html, noext-bin, empty.txt,
 * pdf-noext (100 KiB starting with %PDF-), sub/index.html, list/ (names to sort and escape),
 * link-in.txt -> hello.txt, link-out.txt -> ../secret.txt, linkdir-out -> ../outside.
 */
const tree = Effect.map(tempDir, (tmp) => {
  const root = path.join(tmp, "root")
  write(path.join(tmp, "secret.txt"), "top secret\n")
  write(path.join(tmp, "outside", "file.txt"), "outside\n")
  write(path.join(root, "hello.txt"), "hello, world\n")
  write(path.join(root, "letters.txt"), LETTERS)
  write(path.join(root, "page.html"), "<p>page</p>\n")
  write(path.join(root, "notes.md"), "# notes\n")
  write(path.join(root, "noext-html"), "<html><body>sniff me</body></html>")
  write(path.join(root, "noext-bin"), Buffer.from([0, 1, 2, 3, 0xff, 0xfe]))
  write(path.join(root, "empty.txt"), "")
  write(path.join(root, "pdf-noext"), Buffer.concat([Buffer.from("%PDF-1.7\n"), Buffer.alloc(100 * 1024, 0x41)]))
  write(path.join(root, "sub", "index.html"), "<h1>sub index</h1>\n")
  for (const name of ["b.txt", "a.txt", "<b>&.txt", "c d.txt", "q?.txt", "x:y.txt"]) write(path.join(root, "list", name), name)
  fs.mkdirSync(path.join(root, "list", "dir"))
  fs.utimesSync(path.join(root, "list"), MTIME, MTIME)
  fs.symlinkSync("hello.txt", path.join(root, "link-in.txt"))
  fs.symlinkSync(path.join(tmp, "secret.txt"), path.join(root, "link-out.txt"))
  fs.symlinkSync(path.join(tmp, "outside"), path.join(root, "linkdir-out"))
  return { tmp, root }
})

/** A server with this handler and a raw connection to it. */
const serve = <E>(handler: Handler<E>) =>
  Effect.gen(function*() {
    const server = yield* startServer({ handler })
    const conn = yield* rawConnect(server.port)
    const one = (wire: string) => Effect.flatMap(Effect.zipRight(conn.send(wire), conn.responses(1)), ([r]) => (r === undefined ? Effect.dieMessage(`no response to ${JSON.stringify(wire)}`) : Effect.succeed(r)))
    return { server, conn, one, GET: (p: string, extra = "") => one(get(p, extra)) }
  })

/** The bytes of a raw response body (the raw client keeps them as latin1). */
const bytesOf = (r: RawResponse): Buffer => Buffer.from(r.body, "latin1")

/** Parses a `multipart/byteranges` body written as Go's multipart.Writer does. */
const parseMultipart = (body: string, boundary: string) => {
  const pieces = body.split("--" + boundary)
  expect(pieces[0]).toBe("")
  expect(pieces[pieces.length - 1]).toBe("--\r\n")
  return pieces.slice(1, -1).map((piece) => {
    expect(piece.startsWith("\r\n")).toBe(true)
    expect(piece.endsWith("\r\n")).toBe(true)
    const inner = piece.slice(2, -2)
    const blank = inner.indexOf("\r\n\r\n")
    const fields = inner.slice(0, blank).split("\r\n").map((l) => l.split(": ") as [string, string])
    return { fields, data: inner.slice(blank + 4) }
  })
}

/** File descriptors of this process open on files under `dir` (Linux: /proc/self/fd). */
const openFdsUnder = (dir: string): number => {
  let n = 0
  for (const fd of fs.readdirSync("/proc/self/fd")) {
    try {
      if (fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith(dir + path.sep)) n++
    } catch {
      // closed meanwhile
    }
  }
  return n
}

/** Polls `f` every 10 ms (real time) until it holds or `ms` passed; whether it held. */
const eventually = (f: () => boolean, ms = 3_000): Effect.Effect<boolean> =>
  Effect.gen(function*() {
    const deadline = Date.now() + ms
    while (!f()) {
      if (Date.now() > deadline) return false
      yield* realSleep(10)
    }
    return true
  })

const hasProcFd = fs.existsSync("/proc/self/fd")
const hasCurl = fs.existsSync("/usr/bin/curl")
const isRoot = typeof process.getuid === "function" && process.getuid() === 0

/** Runs curl (10 s at most) and gives its stdout: `-i` output, head and body. */
const curl = (args: ReadonlyArray<string>): Effect.Effect<string> =>
  Effect.async<string>((resume) => {
    const child = execFile("/usr/bin/curl", ["-sS", "--max-time", "5", ...args], { timeout: 10_000, encoding: "latin1" }, (err, stdout, stderr) => {
      resume(err === null ? Effect.succeed(stdout) : Effect.dieMessage(`curl failed: ${String(err)} ${stderr}`))
    })
    return Effect.sync(() => child.kill())
  })

/** A curl `-i` output split into status, fields and body. */
const parseCurl = (out: string) => {
  const end = out.indexOf("\r\n\r\n")
  const lines = out.slice(0, end).split("\r\n")
  const fields = new Map(lines.slice(1).map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]))
  return { status: Number(lines[0]!.split(" ")[1]), fields, body: out.slice(end + 4) }
}

// ---------------------------------------------------------------------------------------------

describe("content types", () => {
  it.scoped("by extension (Go's table, then the mime package with charset for text), else sniffed", () =>
    Effect.gen(function*() {
      const { root } = yield* tree
      const { GET } = yield* serve(fileServer(root))
      const cases: ReadonlyArray<readonly [string, string]> = [
        ["/hello.txt", "text/plain; charset=utf-8"],
        ["/page.html", "text/html; charset=utf-8"],
        ["/notes.md", "text/markdown; charset=utf-8"],
        ["/noext-html", "text/html; charset=utf-8"],
        ["/noext-bin", "application/octet-stream"],
        // Larger than one read: streamed, the type sniffed from its first bytes.
        ["/pdf-noext", "application/pdf"]
      ]
      for (const [p, type] of cases) {
        const r = yield* GET(p)
        expect(r.status, p).toBe(200)
        expect(r.header("Content-Type"), p).toBe(type)
        expect(r.header("Accept-Ranges"), p).toBe("bytes")
        expect(r.header("Last-Modified"), p).toBe(MTIME_HTTP)
        expect(Number(r.header("Content-Length")), p).toBe(fs.statSync(path.join(root, p)).size)
        expect(bytesOf(r).equals(fs.readFileSync(path.join(root, p))), p).toBe(true)
      }
    }))

  it.scoped("serveContent keeps a Content-Type the caller set, and sniffs content with no name", () =>
    Effect.gen(function*() {
      const content = Buffer.from("<html>not what it says</html>")
      const { GET } = yield* serve((request) =>
        request.url.pathname === "/custom"
          ? serveContent(request, { name: "x.html", content, headers: { "Content-Type": "application/x-custom" } })
          : serveContent(request, { name: "", content })
      )
      const custom = yield* GET("/custom")
      expect(custom.header("Content-Type")).toBe("application/x-custom")
      expect(custom.body).toBe(content.toString())
      const sniffed = yield* GET("/sniffed")
      expect(sniffed.header("Content-Type")).toBe("text/html; charset=utf-8")
      expect(sniffed.header("Last-Modified")).toBeUndefined()
    }))
})

describe("ranges", () => {
  it.scoped("a single range, a suffix, an open end, an end past the content", () =>
    Effect.gen(function*() {
      const { root } = yield* tree
      const { GET } = yield* serve(fileServer(root))
      const cases: ReadonlyArray<readonly [string, string, string]> = [
        ["bytes=0-4", "abcde", "bytes 0-4/26"],
        ["bytes=-3", "xyz", "bytes 23-25/26"],
        ["bytes=20-", "uvwxyz", "bytes 20-25/26"],
        ["bytes=24-100", "yz", "bytes 24-25/26"],
        ["bytes=-100", LETTERS, "bytes 0-25/26"],
        ["bytes= 3 - 3 ", "d", "bytes 3-3/26"],
        // Ranges starting past the end are dropped while another one overlaps.
        ["bytes=50-60, 1-2", "bc", "bytes 1-2/26"]
      ]
      for (const [range, body, contentRange] of cases) {
        const r = yield* GET("/letters.txt", `Range: ${range}\r\n`)
        expect(r.status, range).toBe(206)
        expect(r.body, range).toBe(body)
        expect(r.header("Content-Range"), range).toBe(contentRange)
        expect(r.header("Content-Length"), range).toBe(String(body.length))
        expect(r.header("Content-Type"), range).toBe("text/plain; charset=utf-8")
      }
    }))

  it.scoped("several ranges: multipart/byteranges with Go's part fields, the length exact", () =>
    Effect.gen(function*() {
      const { root } = yield* tree
      const { GET } = yield* serve(fileServer(root))
      const r = yield* GET("/letters.txt", "Range: bytes=0-1,5-6,-2\r\n")
      expect(r.status).toBe(206)
      const type = r.header("Content-Type")!
      const m = /^multipart\/byteranges; boundary=([0-9a-f]{60})$/.exec(type)
      expect(m).not.toBeNull()
      const boundary = m![1]!
      expect(r.header("Content-Range")).toBeUndefined()
      expect(Number(r.header("Content-Length"))).toBe(r.body.length)
      const parts = parseMultipart(r.body, boundary)
      expect(parts).toEqual([
        { fields: [["Content-Range", "bytes 0-1/26"], ["Content-Type", "text/plain; charset=utf-8"]], data: "ab" },
        { fields: [["Content-Range", "bytes 5-6/26"], ["Content-Type", "text/plain; charset=utf-8"]], data: "fg" },
        { fields: [["Content-Range", "bytes 24-25/26"], ["Content-Type", "text/plain; charset=utf-8"]], data: "yz" }
      ])
      // Byte for byte Go's layout: no CRLF before the first delimiter, CRLF before the others.
      expect(r.body.startsWith(`--${boundary}\r\nContent-Range: bytes 0-1/26\r\n`)).toBe(true)
      expect(r.body.endsWith(`yz\r\n--${boundary}--\r\n`)).toBe(true)
      // A new boundary for every answer.
      const again = yield* GET("/letters.txt", "Range: bytes=0-1,5-6\r\n")
      expect(again.header("Content-Type")).not.toBe(type)
    }))

  it.scoped("several ranges of a large (streamed) file, each part's bytes intact", () =>
    Effect.gen(function*() {
      const { root } = yield* tree
      const big = crypto.randomBytes(300 * 1024)
      write(path.join(root, "big.bin"), big)
      const { GET } = yield* serve(fileServer(root))
      const r = yield* GET("/big.bin", "Range: bytes=10-70000, 200000-200009, -5\r\n")
      expect(r.status).toBe(206)
      const boundary = r.header("Content-Type")!.split("boundary=")[1]!
      expect(Number(r.header("Content-Length"))).toBe(r.body.length)
      const parts = parseMultipart(r.body, boundary)
      expect(parts.map((p) => p.fields[0]![1])).toEqual([`bytes 10-70000/${big.length}`, `bytes 200000-200009/${big.length}`, `bytes ${big.length - 5}-${big.length - 1}/${big.length}`])
      expect(parts.map((p) => p.fields[1]![1])).toEqual(["application/octet-stream", "application/octet-stream", "application/octet-stream"])
      expect(Buffer.from(parts[0]!.data, "latin1").equals(big.subarray(10, 70001))).toBe(true)
      expect(Buffer.from(parts[1]!.data, "latin1").equals(big.subarray(200000, 200010))).toBe(true)
      expect(Buffer.from(parts[2]!.data, "latin1").equals(big.subarray(big.length - 5))).toBe(true)
    }))

  it.scoped("416: nothing overlaps (with bytes */size), or the field is invalid (without)", () =>
    Effect.gen(function*() {
      const { root } = yield* tree
      const { GET } = yield* serve(fileServer(root))
      const none = yield* GET("/letters.txt", "Range: bytes=26-30\r\n")
      expect(none.status).toBe(416)
      expect(none.header("Content-Range")).toBe("bytes */26")
      expect(none.body).toBe("invalid range: failed to overlap\n")
      expect(none.header("Last-Modified")).toBeUndefined() // Go 1.23's serveError drops it
      for (const bad of ["items=0-1", "bytes=5-2", "bytes=abc", "bytes=1", "bytes=--1", "bytes=-", "bytes=0-1,x"]) {
        const r = yield* GET("/letters.txt", `Range: ${bad}\r\n`)
        expect(r.status, bad).toBe(416)
        expect(r.body, bad).toBe("invalid range\n")
        expect(r.header("Content-Range"), bad).toBeUndefined()
        expect(r.header("X-Content-Type-Options"), bad).toBe("nosniff")
      }
    }))

  it.scoped("Go ignores Range: ranges larger in sum than the content, an empty list, an empty file", () =>
    Effect.gen(function*() {
      const { root } = yield* tree
      const { GET } = yield* serve(fileServer(root))
      const sum = yield* GET("/letters.txt", "Range: bytes=0-20,5-25\r\n")
      expect(sum.status).toBe(200)
      expect(sum.body).toBe(LETTERS)
      expect(sum.header("Content-Range")).toBeUndefined()
      const emptyList = yield* GET("/letters.txt", "Range: bytes= , \r\n")
      expect(emptyList.status).toBe(200)
      expect(emptyList.body).toBe(LETTERS)
      const emptyFile = yield* GET("/empty.txt", "Range: bytes=0-10\r\n")
      expect(emptyFile.status).toBe(200)
      expect(emptyFile.header("Content-Length")).toBe("0")
    }))
})

describe("conditional requests", () => {
  const content = Buffer.from(LETTERS)
  const etagServer = serve((request) =>
    serveContent(request, { name: "letters.txt", content, modtime: MTIME, headers: { ETag: "\"v1\"", "Cache-Control": "max-age=60" } })
  )
  const before = "Mon, 01 Jan 2024 00:00:00 GMT"
  const after = "Wed, 03 Jan 2024 00:00:00 GMT"

  it.scoped("If-Match (strong comparison, *, lists) and If-Unmodified-Since: 412 when false", () =>
    Effect.gen(function*() {
      const { GET, one } = yield* etagServer
      const cases: ReadonlyArray<readonly [string, number]> = [
        ["If-Match: \"v1\"", 200],
        ["If-Match: \"x\", \"v1\"", 200],
        ["If-Match: *", 200],
        ["If-Match: \"x\"", 412],
        ["If-Match: W/\"v1\"", 412], // weak never matches strongly
        [`If-Unmodified-Since: ${after}`, 200],
        [`If-Unmodified-Since: ${MTIME_HTTP}`, 200], // the same second (modtime truncated)
        [`If-Unmodified-Since: ${before}`, 412],
        [`If-Unmodified-Since: not a date`, 200],
        // If-Match decides; If-Unmodified-Since is then not looked at.
        [`If-Match: "v1"\r\nIf-Unmodified-Since: ${before}`, 200]
      ]
      for (const [field, status] of cases) {
        const r = yield* GET("/", field + "\r\n")
        expect(r.status, field).toBe(status)
        if (status === 412) {
          expect(r.body, field).toBe("")
          expect(r.header("Etag"), field).toBe("\"v1\"")
        } else expect(r.body, field).toBe(LETTERS)
      }
      const put = yield* one("PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nIf-Match: \"nope\"\r\n\r\n")
      expect(put.status).toBe(412)
    }))

  it.scoped("If-None-Match (weak comparison): 304 for GET and HEAD without representation fields, 412 otherwise", () =>
    Effect.gen(function*() {
      const { GET, one, conn } = yield* etagServer
      for (const field of ["If-None-Match: \"v1\"", "If-None-Match: W/\"v1\"", "If-None-Match: \"a\", \"v1\"", "If-None-Match: *"]) {
        const r = yield* GET("/", field + "\r\n")
        expect(r.status, field).toBe(304)
        expect(r.body, field).toBe("")
        expect(r.header("Etag"), field).toBe("\"v1\"")
        expect(r.header("Cache-Control"), field).toBe("max-age=60")
        expect(r.header("Content-Type"), field).toBeUndefined()
        expect(r.header("Content-Length"), field).toBeUndefined()
        expect(r.header("Last-Modified"), field).toBeUndefined() // dropped when there is an ETag
      }
      const miss = yield* GET("/", "If-None-Match: \"v2\"\r\n")
      expect(miss.status).toBe(200)
      // If-None-Match present: If-Modified-Since is not looked at.
      const both = yield* GET("/", `If-None-Match: "v2"\r\nIf-Modified-Since: ${after}\r\n`)
      expect(both.status).toBe(200)
      const post = yield* one("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nIf-None-Match: \"v1\"\r\n\r\n")
      expect(post.status).toBe(412)
      const from = conn.received().length
      yield* conn.send("HEAD / HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"v1\"\r\n\r\n")
      expect(yield* conn.until((s) => s.endsWith("\r\n\r\n") && s.length > from)).toBe(true)
      const headAnswer = conn.received().slice(from)
      expect(headAnswer.startsWith("HTTP/1.1 304 Not Modified\r\n")).toBe(true)
      expect(headAnswer).toContain("Etag: \"v1\"\r\n")
      expect(headAnswer).not.toContain("Content-Type")
    }))

  it.scoped("If-Modified-Since: 304 when not modified since (keeping Last-Modified without an ETag), ignored for POST", () =>
    Effect.gen(function*() {
      const { root } = yield* tree
      const { GET, one } = yield* serve(fileServer(root))
      const same = yield* GET("/letters.txt", `If-Modified-Since: ${MTIME_HTTP}\r\n`)
      expect(same.status).toBe(304)
      expect(same.header("Last-Modified")).toBe(MTIME_HTTP)
      expect(same.header("Content-Type")).toBeUndefined()
      expect((yield* GET("/letters.txt", `If-Modified-Since: ${after}\r\n`)).status).toBe(304)
      // RFC 850 and asctime dates are accepted too, as Go's ParseTime.
      expect((yield* GET("/letters.txt", "If-Modified-Since: Wednesday, 03-Jan-24 00:00:00 GMT\r\n")).status).toBe(304)
      expect((yield* GET("/letters.txt", "If-Modified-Since: Wed Jan  3 00:00:00 2024\r\n")).status).toBe(304)
      const older = yield* GET("/letters.txt", `If-Modified-Since: ${before}\r\n`)
      expect(older.status).toBe(200)
      expect(older.body).toBe(LETTERS)
      expect((yield* GET("/letters.txt", "If-Modified-Since: yesterday\r\n")).status).toBe(200)
      const post = yield* one(`POST /letters.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nIf-Modified-Since: ${after}\r\n\r\n`)
      expect(post.status).toBe(200)
      // A directory listing answers If-Modified-Since too.
      expect((yield* GET("/list/", `If-Modified-Since: ${after}\r\n`)).status).toBe(304)
    }))

  it.scoped("If-Range: Range applies for a strongly matching ETag or the exact date, else the whole content", () =>
    Effect.gen(function*() {
      const { GET } = yield* etagServer
      const cases: ReadonlyArray<readonly [string, number, string]> = [
        ["If-Range: \"v1\"", 206, "abc"],
        ["If-Range: \"v0\"", 200, LETTERS],
        ["If-Range: W/\"v1\"", 200, LETTERS],
        [`If-Range: ${MTIME_HTTP}`, 206, "abc"],
        [`If-Range: ${before}`, 200, LETTERS],
        ["If-Range: garbage", 200, LETTERS]
      ]
      for (const [field, status, body] of cases) {
        const r = yield* GET("/", `Range: bytes=0-2\r\n${field}\r\n`)
        expect(r.status, field).toBe(status)
        expect(r.body, field).toBe(body)
      }
    }))

  it.scoped("an error answer drops the caller's Cache-Control, ETag and Last-Modified (Go 1.23 serveError)", () =>
    Effect.gen(function*() {
      const { GET } = yield* etagServer
      const r = yield* GET("/", "Range: bytes=100-\r\n")
      expect(r.status).toBe(416)
      expect(r.header("Content-Range")).toBe("bytes */26")
      expect(r.header("Etag")).toBeUndefined()
      expect(r.header("Cache-Control")).toBeUndefined()
      expect(r.header("Last-Modified")).toBeUndefined()
      expect(r.header("Content-Type")).toBe("text/plain; charset=utf-8")
    }))
})

describe("serveContent", () => {
  it.scoped("streamed content: read per range, not run for HEAD, Content-Encoding leaves the length unknown but for a range", () =>
    Effect.gen(function*() {
      const data = Buffer.from(LETTERS.repeat(10))
      const reads: Array<readonly [number, number]> = []
      const read = (start: number, end: number) => {
        reads.push([start, end])
        // In uneven chunks, to show nothing depends on chunk boundaries.
        const chunks: Array<Uint8Array> = []
        for (let i = start; i < end; i += 7) chunks.push(data.subarray(i, Math.min(end, i + 7)))
        return Stream.fromIterable(chunks)
      }
      const { GET, conn, server } = yield* serve((request) =>
        request.url.pathname === "/gz"
          ? serveContent(request, { name: "a.txt", size: data.length, read, headers: { "Content-Encoding": "gzip" } })
          : serveContent(request, { name: "a.txt", size: data.length, read })
      )
      const whole = yield* GET("/")
      expect(whole.body).toBe(data.toString())
      expect(whole.header("Content-Length")).toBe(String(data.length))
      const ranged = yield* GET("/", "Range: bytes=3-9,250-\r\n")
      const parts = parseMultipart(ranged.body, ranged.header("Content-Type")!.split("boundary=")[1]!)
      expect(parts.map((p) => p.data)).toEqual([data.subarray(3, 10).toString(), data.subarray(250).toString()])
      expect(reads).toEqual([[0, 260], [3, 10], [250, 260]])
      const gz = yield* rawGet(conn, "/gz")
      expect(gz.raw).toContain("Transfer-Encoding: chunked\r\n")
      expect(gz.raw).not.toContain("Content-Length")
      expect(gz.body).toBe(data.toString())
      const gzRange = yield* rawGet(conn, "/gz", "Range: bytes=0-1\r\n")
      expect(gzRange.raw).toContain("Content-Length: 2\r\n")
      expect(gzRange.body).toBe("ab")
      expect(reads.length).toBe(5)
      // HEAD (on a connection of its own: the raw parser cannot frame HEAD answers) runs no read.
      const head = yield* rawConnect(server.port)
      yield* head.send("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
      expect(yield* head.until((s) => s.endsWith("\r\n\r\n"))).toBe(true)
      expect(head.received()).toContain("Content-Length: 260\r\n")
      yield* realSleep(30)
      expect(reads.length).toBe(5)
    }))

  it.scoped("a read that fails while sniffing answers 500", () =>
    Effect.gen(function*() {
      const { GET } = yield* serve((request) => serveContent(request, { name: "", size: 10, read: () => Stream.fail("disk on fire") }))
      const r = yield* GET("/")
      expect(r.status).toBe(500)
    }))
})

/** The raw text of the next response on `conn` to a GET (HEAD-safe: read until a full message). */
const rawGet = (conn: RawConn, p: string, extra = "") =>
  Effect.gen(function*() {
    const from = conn.received().length
    yield* conn.send(get(p, extra))
    const [r] = yield* conn.responses(1)
    expect(r).toBeDefined()
    return { raw: conn.received().slice(from), body: r!.body }
  })

describe("directories and redirects", () => {
  it.scoped("index.html for a directory; Go's listing otherwise: sorted, names escaped, hrefs URL-escaped", () =>
    Effect.gen(function*() {
      const { root } = yield* tree
      const { GET } = yield* serve(fileServer(root))
      const index = yield* GET("/sub/")
      expect(index.status).toBe(200)
      expect(index.body).toBe("<h1>sub index</h1>\n")
      expect(index.header("Content-Type")).toBe("text/html; charset=utf-8")
      const list = yield* GET("/list/")
      expect(list.status).toBe(200)
      expect(list.header("Content-Type")).toBe("text/html; charset=utf-8")
      expect(list.header("Last-Modified")).toBe(MTIME_HTTP)
      expect(list.body).toBe(
        "<!doctype html>\n<meta name=\"viewport\" content=\"width=device-width\">\n<pre>\n" +
          "<a href=\"%3Cb%3E&.txt\">&lt;b&gt;&amp;.txt</a>\n" +
          "<a href=\"a.txt\">a.txt</a>\n" +
          "<a href=\"b.txt\">b.txt</a>\n" +
          "<a href=\"c%20d.txt\">c d.txt</a>\n" +
          "<a href=\"dir/\">dir/</a>\n" +
          "<a href=\"q%3F.txt\">q?.txt</a>\n" +
          "<a href=\"./x:y.txt\">x:y.txt</a>\n" +
          "</pre>\n"
      )
      // The escaped names lead to the files.
      expect((yield* GET("/list/%3Cb%3E&.txt")).body).toBe("<b>&.txt")
      expect((yield* GET("/list/q%3F.txt")).body).toBe("q?.txt")
    }))

  it.scoped("301s as Go's localRedirect: a directory to its slash, /index.html to ./, a file away from its slash, query kept", () =>
    Effect.gen(function*() {
      const { root } = yield* tree
      fs.mkdirSync(path.join(root, "my dir"))
      const { GET } = yield* serve(fileServer(root))
      const cases: ReadonlyArray<readonly [string, string]> = [
        // Names in the Location are escaped (Go writes them decoded).
        ["/my%20dir", "my%20dir/"],
        ["/list/q%3F.txt/", "../q%3F.txt"],
        ["/list/x:y.txt/", "../x:y.txt"],
        ["/sub", "sub/"],
        ["/sub?x=1&y", "sub/?x=1&y"],
        ["/sub/index.html", "./"],
        ["/index.html", "./"],
        ["/sub/index.html?q", "./?q"],
        ["/hello.txt/", "../hello.txt"],
        ["/list/dir", "dir/"]
      ]
      for (const [target, location] of cases) {
        const r = yield* GET(target)
        expect(r.status, target).toBe(301)
        expect(r.header("Location"), target).toBe(location)
      }
    }))

  it.scoped("under stripPrefix the relative redirects still land inside the prefix", () =>
    Effect.gen(function*() {
      const { root } = yield* tree
      const { GET } = yield* serve(stripPrefix("/files", fileServer(root)))
      expect((yield* GET("/files/hello.txt")).body).toBe("hello, world\n")
      const r = yield* GET("/files/sub")
      expect(r.status).toBe(301)
      expect(new URL(r.header("Location")!, "http://x/files/sub").pathname).toBe("/files/sub/")
      expect((yield* GET("/files/sub/")).body).toBe("<h1>sub index</h1>\n")
    }))
})

describe("paths, links and errors", () => {
  it.scoped("FileServer cleans `..` away (never above the root); ServeFile refuses a path with `..` (400)", () =>
    Effect.gen(function*() {
      const { root } = yield* tree
      const files = yield* serve(fileServer(root))
      for (const target of ["/../secret.txt", "/..%2fsecret.txt", "/a/../../secret.txt", "/%2e%2e/secret.txt"]) {
        const r = yield* files.GET(target)
        expect(r.status, target).toBe(404)
        expect(r.body, target).toBe("404 page not found\n")
      }
      expect((yield* files.GET("/sub/../hello.txt")).body).toBe("hello, world\n")
      const single = yield* serve((request) => serveFile(request, path.join(root, "hello.txt")))
      for (const target of ["/a/../b", "/..%2fsecret", "/x/..", "/a\\..\\b"]) {
        const r = yield* single.GET(target)
        expect(r.status, target).toBe(400)
        expect(r.body, target).toBe("invalid URL path\n")
      }
      expect((yield* single.GET("/a..b/c")).body).toBe("hello, world\n")
    }))

  it.scoped("symbolic links: followed inside the root, 404 when they lead outside it", () =>
    Effect.gen(function*() {
      const { root } = yield* tree
      const { GET } = yield* serve(fileServer(root))
      const inside = yield* GET("/link-in.txt")
      expect(inside.status).toBe(200)
      expect(inside.body).toBe("hello, world\n")
      for (const target of ["/link-out.txt", "/linkdir-out/", "/linkdir-out/file.txt", "/linkdir-out"]) {
        const r = yield* GET(target)
        expect(r.status, target).toBe(404)
        expect(r.body, target).not.toContain("secret")
      }
    }))

  it.scoped("not found, a file used as a directory, NUL, a bad escape; 404/400 with Go's texts", () =>
    Effect.gen(function*() {
      const { root } = yield* tree
      const { GET } = yield* serve(fileServer(root))
      const cases: ReadonlyArray<readonly [string, number, string]> = [
        ["/missing.txt", 404, "404 page not found\n"],
        ["/hello.txt/more", 404, "404 page not found\n"],
        ["/hello.txt%00.png", 404, "404 page not found\n"]
      ]
      for (const [target, status, body] of cases) {
        const r = yield* GET(target)
        expect(r.status, target).toBe(status)
        expect(r.body, target).toBe(body)
        expect(r.header("X-Content-Type-Options"), target).toBe("nosniff")
      }
      // A bad escape never reaches the FileServer: the server answers 400 first (Go's readRequest).
      const bad = yield* GET("/%zz")
      expect(bad.status).toBe(400)
      expect(bad.body).toBe("400 Bad Request: invalid URI escape")
      // A root that does not exist.
      const gone = yield* serve(fileServer(path.join(root, "nope")))
      expect((yield* gone.GET("/")).status).toBe(404)
    }))

  it.scoped.skipIf(isRoot)("a file the server may not read: 403 Forbidden", () =>
    Effect.gen(function*() {
      const { root } = yield* tree
      fs.chmodSync(path.join(root, "hello.txt"), 0o000)
      const { GET } = yield* serve(fileServer(root))
      const r = yield* GET("/hello.txt")
      expect(r.status).toBe(403)
      expect(r.body).toBe("403 Forbidden\n")
    }))

  it.scoped("serveFile: a file, a directory (redirect to its slash, then its listing or index)", () =>
    Effect.gen(function*() {
      const { root } = yield* tree
      const { GET } = yield* serve((request) =>
        serveFile(request, request.url.pathname.startsWith("/dir") ? path.join(root, "list") : path.join(root, "page.html"))
      )
      const page = yield* GET("/anything/at/all")
      expect(page.body).toBe("<p>page</p>\n")
      expect(page.header("Content-Type")).toBe("text/html; charset=utf-8")
      // ServeFile does not redirect a file requested with a slash (Go's redirect=false).
      expect((yield* GET("/anything/")).status).toBe(200)
      expect((yield* GET("/x/index.html")).header("Location")).toBe("./")
      const dir = yield* GET("/dir")
      expect(dir.status).toBe(301)
      expect(dir.header("Location")).toBe("dir/")
      expect((yield* GET("/dir/")).body).toContain("<a href=\"a.txt\">a.txt</a>\n")
    }))
})

describe("HEAD and large files", () => {
  it.scoped("HEAD: the same fields, no body", () =>
    Effect.gen(function*() {
      const { root } = yield* tree
      write(path.join(root, "big.bin"), crypto.randomBytes(200 * 1024))
      const { conn } = yield* serve(fileServer(root))
      yield* conn.send("HEAD /big.bin HTTP/1.1\r\nHost: x\r\n\r\nHEAD /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n")
      expect(yield* conn.until((s) => s.split("\r\n\r\n").length === 3)).toBe(true)
      yield* realSleep(30)
      const [big, small, rest] = conn.received().split("\r\n\r\n").map((h) => h + "\r\n")
      expect(big).toContain("HTTP/1.1 200 OK\r\n")
      expect(big).toContain(`Content-Length: ${200 * 1024}\r\n`)
      expect(big).toContain("Content-Type: application/octet-stream\r\n")
      expect(small).toContain("Content-Length: 13\r\n")
      expect(small).toContain("Content-Type: text/plain; charset=utf-8\r\n")
      expect(small).toContain(`Last-Modified: ${MTIME_HTTP}\r\n`)
      expect(rest).toBe("\r\n") // nothing after the second head
      yield* realSleep(30)
      expect(conn.received().endsWith("\r\n\r\n")).toBe(true)
    }))

  it.scoped.skipIf(!hasProcFd)("a 1 MiB random file streams intact, and its handle is closed afterwards", () =>
    Effect.gen(function*() {
      const { root } = yield* tree
      const big = crypto.randomBytes(1024 * 1024)
      write(path.join(root, "big.bin"), big)
      const { GET } = yield* serve(fileServer(root))
      const r = yield* GET("/big.bin")
      expect(r.status).toBe(200)
      expect(r.header("Content-Length")).toBe(String(big.length))
      expect(bytesOf(r).equals(big)).toBe(true)
      expect(yield* eventually(() => openFdsUnder(root) === 0)).toBe(true)
    }))

  it.scoped.skipIf(!hasProcFd)("a client that goes away mid-body: the file handle is closed (the stream is interrupted)", () =>
    Effect.gen(function*() {
      const { root } = yield* tree
      write(path.join(root, "huge.bin"), Buffer.alloc(32 * 1024 * 1024, 7))
      const server = yield* startServer({ handler: fileServer(root) })
      const socket = yield* Effect.acquireRelease(
        Effect.async<net.Socket>((resume) => {
          const s = net.connect({ host: "127.0.0.1", port: server.port }, () => resume(Effect.succeed(s)))
        }),
        (s) => Effect.sync(() => s.destroy())
      )
      let received = 0
      socket.on("data", (chunk: Buffer) => {
        received += chunk.length
        socket.pause() // stop reading: the server's writes back up, its stream waits mid-file
      })
      socket.write(get("/huge.bin"))
      expect(yield* eventually(() => received > 0 && openFdsUnder(root) === 1)).toBe(true)
      socket.destroy()
      expect(yield* eventually(() => openFdsUnder(root) === 0)).toBe(true)
      expect(received).toBeLessThan(32 * 1024 * 1024)
    }))
})

describe("interop", () => {
  it.scoped("our Transport: a whole 1 MiB file and a range of it", () =>
    Effect.gen(function*() {
      const { root } = yield* tree
      const big = crypto.randomBytes(1024 * 1024)
      write(path.join(root, "big.bin"), big)
      const server = yield* startServer({ handler: fileServer(root) })
      const fetch = (headers: Record<string, string>) =>
        Effect.gen(function*() {
          const transport = yield* Transport
          const request = Either.getOrThrow(Request.make({ url: `${server.url}/big.bin`, headers }))
          const response = yield* transport.roundTrip(request)
          return { response, body: Buffer.from(yield* Body.collect(response.body)) }
        }).pipe(Effect.scoped)
      yield* Effect.gen(function*() {
        const whole = yield* fetch({})
        expect(whole.response.status).toBe(200)
        expect(whole.body.equals(big)).toBe(true)
        const part = yield* fetch({ Range: "bytes=100000-299999" })
        expect(part.response.status).toBe(206)
        expect(part.response.headers.get("Content-Range")).toBe(`bytes 100000-299999/${big.length}`)
        expect(part.body.equals(big.subarray(100000, 300000))).toBe(true)
        const notModified = yield* fetch({ "If-Modified-Since": MTIME_HTTP })
        expect(notModified.response.status).toBe(304)
        expect(notModified.body.length).toBe(0)
      }).pipe(Effect.provide(Transport.layer()))
    }))

  it.scoped.skipIf(!hasCurl)("curl: a range, several ranges, and conditional requests", () =>
    Effect.gen(function*() {
      const { root } = yield* tree
      const server = yield* startServer({
        handler: (request) =>
          request.url.pathname === "/etag"
            ? serveContent(request, { name: "e.txt", content: Buffer.from(LETTERS), modtime: MTIME, headers: { ETag: "\"v1\"" } })
            : fileServer(root)(request)
      })
      const range = parseCurl(yield* curl(["-i", "-r", "2-5", `${server.url}/letters.txt`]))
      expect(range.status).toBe(206)
      expect(range.fields.get("content-range")).toBe("bytes 2-5/26")
      expect(range.body).toBe("cdef")
      const multi = parseCurl(yield* curl(["-i", "-r", "0-0,25-25", `${server.url}/letters.txt`]))
      expect(multi.status).toBe(206)
      const boundary = multi.fields.get("content-type")!.split("boundary=")[1]!
      expect(parseMultipart(multi.body, boundary).map((p) => p.data)).toEqual(["a", "z"])
      // -z sends If-Modified-Since with the given date.
      const ims = parseCurl(yield* curl(["-i", "-z", MTIME_HTTP, `${server.url}/letters.txt`]))
      expect(ims.status).toBe(304)
      expect(ims.body).toBe("")
      const inm = parseCurl(yield* curl(["-i", "-H", "If-None-Match: \"v1\"", `${server.url}/etag`]))
      expect(inm.status).toBe(304)
      expect(inm.fields.get("etag")).toBe("\"v1\"")
      const ifRange = parseCurl(yield* curl(["-i", "-r", "0-1", "-H", "If-Range: \"stale\"", `${server.url}/etag`]))
      expect(ifRange.status).toBe(200)
      expect(ifRange.body).toBe(LETTERS)
      const unsatisfiable = parseCurl(yield* curl(["-i", "-r", "40-50", `${server.url}/letters.txt`]))
      expect(unsatisfiable.status).toBe(416)
      expect(unsatisfiable.fields.get("content-range")).toBe("bytes */26")
    }))
})
