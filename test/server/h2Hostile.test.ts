/**
 * Hostile HTTP/2 peers against a server (issue 22, docs/http2-plan.md step 4), run against
 * every server of `h2Servers` (test/server/h2ServerFactory.ts: the `node:http2` reference
 * today; ours too once `OURS_READY` is flipped there). Each attack must end the attacker's
 * session, or be absorbed, within a bounded time, and the server must go on answering a normal
 * client (`GET /` → 200 `hello`), during the attack where it lasts and after it.
 *
 * - rapid reset (CVE-2023-44487): a `node:http2` client opens streams and cancels each at once
 *   (`stream.close(NGHTTP2_CANCEL)`), up to 5000 or 5 s: the session gets a GOAWAY or is closed.
 *   The same written as raw HEADERS + RST_STREAM frames (3000 pairs), by a peer that never
 *   closes its side: a GOAWAY, and where the target promises it (`closesAfterGoaway`, ours),
 *   the connection closed within 2 s.
 * - PING flood and SETTINGS flood (CVE-2019-9512, -9515) from a peer that never reads the
 *   acknowledgements: the session is ended; from a peer that reads them, every frame is acked
 *   or the session is ended.
 * - a SETTINGS frame with 40 entries (over Node's `maxSettings`, 32): GOAWAY or close.
 * - 0-length DATA flood (CVE-2019-9518): 5000 empty DATA frames on an open upload stream: the
 *   session is ended (GOAWAY or close).
 * - HPACK bomb (a 4000-byte field put in the dynamic table, then referenced 10 000 times: 40 MB
 *   decoded from 14 KB) and a header list of 1000 fields: the request is refused (RST_STREAM,
 *   GOAWAY, a close, or a non-200 answer such as 431), never answered 200.
 *
 * The floods are written as hand-built frames on a raw TLS connection offering only h2
 * (test/server/h2Frames.ts). Every loop is bounded in count and time.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, type Scope } from "effect"
import * as http2 from "node:http2"
import * as F from "./h2Frames.js"
import { h2Servers, HELLO, type H2TestServer, UPLOAD_PATH } from "./h2ServerFactory.js"

/** Polls `check` every 5 ms; true once it holds, false after `ms`. */
const within = (check: () => boolean, ms: number): Effect.Effect<boolean> =>
  Effect.async<boolean>((resume) => {
    const start = Date.now()
    if (check()) return resume(Effect.succeed(true))
    const timer = setInterval(() => {
      if (check()) {
        clearInterval(timer)
        resume(Effect.succeed(true))
      } else if (Date.now() - start > ms) {
        clearInterval(timer)
        resume(Effect.succeed(false))
      }
    }, 5)
    return Effect.sync(() => clearInterval(timer))
  })

/** One `GET /` from a fresh, well-behaved `node:http2` client; its session is closed after. At most 5 s. */
const normalGet = (url: string): Effect.Effect<{ status: number; body: string }, Error> =>
  Effect.async<{ status: number; body: string }, Error>((resume) => {
    const session = http2.connect(url, { rejectUnauthorized: false })
    let done = false
    const finish = (effect: Effect.Effect<{ status: number; body: string }, Error>) => {
      if (done) return
      done = true
      session.close()
      resume(effect)
    }
    session.on("error", (error) => finish(Effect.fail(error)))
    const stream = session.request({ ":path": "/" }, { endStream: true })
    let status = 0
    let body = ""
    stream.setEncoding("utf8")
    stream.on("response", (h) => {
      status = Number(h[":status"])
    })
    stream.on("data", (s: string) => {
      body += s
    })
    stream.on("end", () => finish(Effect.succeed({ status, body })))
    stream.on("error", (error) => finish(Effect.fail(error)))
    return Effect.sync(() => session.destroy())
  }).pipe(Effect.timeoutFail({ duration: "5 seconds", onTimeout: () => new Error(`GET ${url}/ not answered within 5 s`) }))

/** The server answers a normal client. */
const stillServes = (server: H2TestServer) =>
  Effect.gen(function*() {
    const answer = yield* normalGet(server.url)
    expect(answer, `server log: ${server.log().join("; ")}`).toEqual({ status: 200, body: HELLO })
  })

/** Writes `total` frames made by `make(i)` in batches of `batch`, yielding between batches, while the connection is open. */
const flood = (raw: F.RawH2, total: number, batch: number, make: (i: number) => Buffer, awaitWrites: boolean) =>
  Effect.gen(function*() {
    const deadline = Date.now() + 5_000
    for (let i = 0; i < total && !raw.closed() && Date.now() < deadline; i += batch) {
      const bytes = Buffer.concat(Array.from({ length: Math.min(batch, total - i) }, (_, k) => make(i + k)))
      if (awaitWrites) yield* raw.write(bytes)
      else {
        raw.socket.write(bytes)
        yield* Effect.sleep(0)
      }
    }
  })

/** The session was ended by the server: a GOAWAY came, or the connection closed. */
const ended = (raw: F.RawH2): boolean => raw.goaway() !== undefined || raw.closed()

const describeEnd = (raw: F.RawH2): string => {
  const g = raw.goaway()
  return g === undefined
    ? (raw.closed() ? "closed without a GOAWAY" : "still open")
    : `GOAWAY ${F.ERROR_NAMES[g.code] ?? g.code} (last stream ${g.lastStreamId})${raw.closed() ? ", closed" : ""}`
}

/** The request header block of `POST /upload` (the handler reads the body before answering). */
const uploadBlock = Buffer.concat([F.indexed(3), F.indexed(7), F.literalIndexedName(4, UPLOAD_PATH), F.literalIndexedName(1, "127.0.0.1")])

/** What the rapid-reset client saw. */
interface ResetOutcome {
  readonly sent: number
  readonly goaway: { readonly code: number; readonly lastStreamId: number } | undefined
  readonly sessionError: string | undefined
  readonly closed: boolean
}

/**
 * A `node:http2` client that opens a stream (`GET /`) and cancels it at once, in batches of 100
 * per tick, until 5000 were sent, the session ends, or 5 s passed; then waits up to 2 s for the
 * server's reaction and destroys the session.
 */
const rapidReset = (url: string): Effect.Effect<ResetOutcome> =>
  Effect.async<ResetOutcome>((resume) => {
    const session = http2.connect(url, { rejectUnauthorized: false })
    let sent = 0
    let goaway: ResetOutcome["goaway"]
    let sessionError: string | undefined
    let closed = false
    let reported = false
    const report = () => {
      if (reported) return
      reported = true
      clearTimeout(grace)
      session.destroy()
      resume(Effect.succeed({ sent, goaway, sessionError, closed }))
    }
    let grace: NodeJS.Timeout | undefined
    session.on("goaway", (code: number, lastStreamId: number) => {
      goaway ??= { code, lastStreamId }
    })
    session.on("error", (error: NodeJS.ErrnoException) => {
      sessionError ??= `${error.code ?? ""} ${error.message}`
    })
    session.on("close", () => {
      closed = true
      report()
    })
    session.on("connect", () => {
      const deadline = Date.now() + 5_000
      const batch = () => {
        for (let k = 0; k < 100 && sent < 5_000; k++) {
          if (session.closed || session.destroyed || goaway !== undefined) return
          let stream: http2.ClientHttp2Stream
          try {
            stream = session.request({ ":path": "/" }, { endStream: true })
          } catch {
            return // ERR_HTTP2_GOAWAY_SESSION / INVALID_SESSION: the session is over
          }
          sent++
          stream.on("error", () => undefined)
          stream.close(http2.constants.NGHTTP2_CANCEL)
        }
        if (sent < 5_000 && Date.now() < deadline && goaway === undefined) setImmediate(batch)
        else grace = setTimeout(report, 2_000)
      }
      batch()
    })
    return Effect.sync(() => session.destroy())
  })

for (const target of h2Servers) {
  describe(`hostile HTTP/2 peers against ${target.name}`, () => {
    const withServer = <A, E>(body: (server: H2TestServer) => Effect.Effect<A, E, Scope.Scope>) =>
      Effect.flatMap(target.make(), body)

    it.scopedLive("rapid reset: 5000 HEADERS + RST_STREAM(CANCEL) end in a GOAWAY or a close; a normal client is served meanwhile and after", () =>
      withServer((server) =>
        Effect.gen(function*() {
          const [outcome, during] = yield* Effect.all(
            [rapidReset(server.url), Effect.delay(normalGet(server.url), "20 millis")],
            { concurrency: "unbounded" }
          )
          expect(during, "a normal client during the attack").toEqual({ status: 200, body: HELLO })
          const why = `sent ${outcome.sent}, goaway ${JSON.stringify(outcome.goaway)}, error ${outcome.sessionError}; server log: ${server.log().join("; ")}`
          // Ended by the server: a GOAWAY, or closed before the attacker finished its 5000.
          expect(outcome.goaway !== undefined || (outcome.closed && outcome.sent < 5_000), why).toBe(true)
          // Not NO_ERROR: a graceful GOAWAY would let the attacker's open streams run on.
          if (outcome.goaway !== undefined) expect(outcome.goaway.code, why).not.toBe(http2.constants.NGHTTP2_NO_ERROR)
          yield* stillServes(server)
        })
      ), 20_000)

    it.scopedLive("raw rapid reset: 3000 HEADERS + RST_STREAM(CANCEL) pairs written as frames end in a GOAWAY (not NO_ERROR); then the connection is closed (where the server promises it); the server stays up", () =>
      withServer((server) =>
        Effect.gen(function*() {
          const raw = yield* F.rawH2(server.port)
          const rst = Buffer.from([0, 0, 0, http2.constants.NGHTTP2_CANCEL])
          yield* flood(raw, 3_000, 100, (i) => {
            const id = 1 + 2 * i
            return Buffer.concat([F.headers(id, F.getBlock("127.0.0.1"), true), F.frame(F.FrameType.RST_STREAM, 0, id, rst)])
          }, true)
          expect(yield* within(() => ended(raw), 5_000), `${describeEnd(raw)}; server log: ${server.log().join("; ")}`).toBe(true)
          const g = raw.goaway()
          if (g !== undefined) expect(g.code, describeEnd(raw)).not.toBe(http2.constants.NGHTTP2_NO_ERROR)
          const closed = yield* within(() => raw.closed(), 2_000)
          if (target.closesAfterGoaway) expect(closed, `2 s after the GOAWAY: ${describeEnd(raw)}`).toBe(true)
          else if (!closed) process.stderr.write(`h2Hostile (${target.name}): after ${describeEnd(raw)} the connection is still open 2 s later (recorded, not required of this server)\n`)
          yield* stillServes(server)
        })
      ), 20_000)

    it.scopedLive("PING flood from a peer that never reads the ACKs: 20 000 PINGs end the session; the server stays up", () =>
      withServer((server) =>
        Effect.gen(function*() {
          const raw = yield* F.rawH2(server.port)
          raw.socket.pause()
          yield* flood(raw, 20_000, 100, F.ping, false)
          const gone = yield* within(() => raw.closed(), 5_000)
          raw.socket.resume()
          yield* within(() => ended(raw), 1_000)
          expect(gone || ended(raw), `${describeEnd(raw)}; server log: ${server.log().join("; ")}`).toBe(true)
          yield* stillServes(server)
        })
      ), 20_000)

    it.scopedLive("PING flood from a peer that reads: 20 000 PINGs are all acked or the session ends; the server stays up", () =>
      withServer((server) =>
        Effect.gen(function*() {
          const raw = yield* F.rawH2(server.port)
          yield* flood(raw, 20_000, 100, F.ping, true)
          const acks = () => raw.frames.filter((f) => f.type === F.FrameType.PING && (f.flags & F.Flag.ACK) !== 0).length
          yield* within(() => acks() === 20_000 || ended(raw), 5_000)
          expect(acks() === 20_000 || ended(raw), `${acks()} acks, ${describeEnd(raw)}`).toBe(true)
          yield* stillServes(server)
        })
      ), 20_000)

    it.scopedLive("SETTINGS flood from a peer that never reads the ACKs: 100 000 empty SETTINGS end the session; the server stays up", () =>
      withServer((server) =>
        Effect.gen(function*() {
          const raw = yield* F.rawH2(server.port)
          raw.socket.pause()
          yield* flood(raw, 100_000, 1_000, () => F.settings(), false)
          const gone = yield* within(() => raw.closed(), 5_000)
          raw.socket.resume()
          yield* within(() => ended(raw), 1_000)
          expect(gone || ended(raw), `${describeEnd(raw)}; server log: ${server.log().join("; ")}`).toBe(true)
          yield* stillServes(server)
        })
      ), 20_000)

    it.scopedLive("a SETTINGS frame with 40 entries (over maxSettings 32) ends the session; the server stays up", () =>
      withServer((server) =>
        Effect.gen(function*() {
          const raw = yield* F.rawH2(server.port)
          yield* raw.write(F.settings(Array.from({ length: 40 }, () => [0x4, 65_535] as const)))
          expect(yield* within(() => ended(raw), 5_000), describeEnd(raw)).toBe(true)
          const g = raw.goaway()
          if (g !== undefined) expect(g.code, describeEnd(raw)).not.toBe(http2.constants.NGHTTP2_NO_ERROR)
          yield* stillServes(server)
        })
      ), 20_000)

    it.scopedLive("0-length DATA flood: 5000 empty DATA frames on an open upload stream end the session; the server stays up", () =>
      withServer((server) =>
        Effect.gen(function*() {
          const raw = yield* F.rawH2(server.port)
          yield* raw.write(F.headers(1, uploadBlock, false))
          yield* flood(raw, 5_000, 100, () => F.frame(F.FrameType.DATA, 0, 1), true)
          expect(yield* within(() => ended(raw), 5_000), `${describeEnd(raw)}; server log: ${server.log().join("; ")}`).toBe(true)
          yield* stillServes(server)
        })
      ), 20_000)

    it.scopedLive("a few empty DATA frames are no flood: 100 of them, then the body, and the upload is answered", () =>
      withServer((server) =>
        Effect.gen(function*() {
          const raw = yield* F.rawH2(server.port)
          yield* raw.write(F.headers(1, uploadBlock, false))
          yield* flood(raw, 100, 100, () => F.frame(F.FrameType.DATA, 0, 1), true)
          yield* raw.write(F.frame(F.FrameType.DATA, F.Flag.END_STREAM, 1, Buffer.from("abc")))
          const answered = () => raw.frames.some((f) => f.type === F.FrameType.DATA && f.streamId === 1 && (f.flags & F.Flag.END_STREAM) !== 0)
          expect(yield* within(answered, 5_000), describeEnd(raw)).toBe(true)
          const data = raw.frames.filter((f) => f.type === F.FrameType.DATA && f.streamId === 1)
          expect(Buffer.concat(data.map((f) => f.payload)).toString()).toBe("3")
          expect(raw.goaway()).toBeUndefined()
        })
      ), 20_000)

    /** The stream was refused: reset, GOAWAY, closed, or answered with a status other than 200 (HPACK 0x88 is `:status: 200`). */
    const refused = (raw: F.RawH2, streamId: number): boolean =>
      raw.resets().length > 0 || ended(raw) ||
      raw.frames.some((f) => f.type === F.FrameType.HEADERS && f.streamId === streamId && f.payload[0] !== 0x88)
    const answered200 = (raw: F.RawH2, streamId: number): boolean =>
      raw.frames.some((f) => f.type === F.FrameType.HEADERS && f.streamId === streamId && f.payload[0] === 0x88)
    const describeRefusal = (raw: F.RawH2): string =>
      `resets ${raw.resets().map((c) => F.ERROR_NAMES[c] ?? c).join(",") || "none"}, ${describeEnd(raw)}, frames ${raw.frames.map((f) => f.type).join(",")}`

    it.scopedLive("HPACK bomb: a 4000-byte field referenced 10 000 times (40 MB decoded) is refused, never answered 200; the server stays up", () =>
      withServer((server) =>
        Effect.gen(function*() {
          const raw = yield* F.rawH2(server.port)
          const block = F.getBlock("127.0.0.1", F.literalIndexed("x-bomb", "a".repeat(4_000)), ...Array.from({ length: 10_000 }, () => F.indexed(62)))
          expect(block.length).toBeLessThan(16_384) // one HEADERS frame within the default SETTINGS_MAX_FRAME_SIZE
          yield* raw.write(F.headers(1, block, true))
          expect(yield* within(() => refused(raw, 1), 5_000), describeRefusal(raw)).toBe(true)
          expect(answered200(raw, 1), describeRefusal(raw)).toBe(false)
          yield* stillServes(server)
        })
      ), 20_000)

    it.scopedLive(
      target.limitsFieldCount
        ? "a header list of 1000 fields is refused, never answered 200; the server stays up"
        : "a header list of 1000 small fields is judged by its size, as Go: answered 200; the server stays up",
      () =>
      withServer((server) =>
        Effect.gen(function*() {
          const raw = yield* F.rawH2(server.port)
          const block = F.getBlock("127.0.0.1", ...Array.from({ length: 1_000 }, (_, i) => F.literal(`x-field-${i}`, "v")))
          expect(block.length).toBeLessThan(16_384)
          yield* raw.write(F.headers(1, block, true))
          if (target.limitsFieldCount) {
            expect(yield* within(() => refused(raw, 1), 5_000), describeRefusal(raw)).toBe(true)
            expect(answered200(raw, 1), describeRefusal(raw)).toBe(false)
          } else {
            expect(yield* within(() => answered200(raw, 1), 5_000), describeRefusal(raw)).toBe(true)
          }
          yield* stillServes(server)
        })
      ), 20_000)

    it.scopedLive("the raw peer itself is well-formed: a plain GET / on it is answered 200 hello", () =>
      withServer((server) =>
        Effect.gen(function*() {
          const raw = yield* F.rawH2(server.port)
          expect(raw.alpn).toBe("h2")
          yield* raw.write(F.headers(1, F.getBlock("127.0.0.1"), true))
          const done = () => raw.frames.some((f) => f.type === F.FrameType.DATA && f.streamId === 1 && (f.flags & F.Flag.END_STREAM) !== 0)
          expect(yield* within(done, 5_000), describeEnd(raw)).toBe(true)
          expect(answered200(raw, 1)).toBe(true)
          const data = raw.frames.filter((f) => f.type === F.FrameType.DATA && f.streamId === 1)
          expect(Buffer.concat(data.map((f) => f.payload)).toString()).toBe(HELLO)
        })
      ), 20_000)
  })
}
