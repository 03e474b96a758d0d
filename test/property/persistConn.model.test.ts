/**
 * A client connection (src/transport/PersistConn.ts) driven by random scripts against a model
 * (ARCHITECTURE.md, "Client connection" and invariant 1).
 *
 * Each run is a random sequence of steps over connections on the in-memory pipe, each with a
 * scripted peer and a fake pool (persistConnHarness.ts): requests (written whole, or in parts
 * whose end or failure is a later step, or with their body skipped after a final status),
 * responses (Content-Length, chunked with trailers, to-close, no body, 1xx, whole or in parts
 * sent by later steps, also before the request is written: early responses; 101), protocol
 * errors, body pulls, aborts (`abandon`), the peer's FIN or reset, and timeouts (the fake clock
 * fires the connection's timers). Half the scripts are chaotic, half mostly well-behaved (so
 * connections are reused and bodies handed to the caller). After EVERY step:
 *
 * 1. no socket is closed twice, and the pool hears of each close once;
 * 2. no exchange is released twice; an exchange is finished exactly when it was released, and
 *    only after its head wait was settled;
 * 3. a connection is released "reusable" only when the response was read to its end, the
 *    request written whole, neither side asked to close and the socket is open; released
 *    "close" only closed; an open connection with no exchange in progress is idle and reusable;
 * 4. no body pull dies;
 * 5. progress: once the peer sent a whole response to an exchange waiting for its head, the
 *    exchange has it (or failed).
 *
 * At the end every timer fires and every connection is closed (the Transport shutting down):
 * then each socket was closed exactly once, every exchange released exactly once, every read
 * loop ended and no pull is left running.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, FastCheck as fc, Fiber } from "effect"
import { Exchange, Writing } from "../../src/transport/exchange.js"
import { Call, type Harness, settle, World } from "./persistConnHarness.js"

/** 2000 runs (at least 1000); PROPERTY_RUNS=20000 for a deeper search. */
const RUNS = { numRuns: Math.max(2000, Number(process.env.PROPERTY_RUNS ?? 2000)) }

type Framing = "length" | "chunked" | "to-close" | "no-body" | "upgrade"

type Step =
  | { readonly _tag: "Request"; readonly head: boolean; readonly closeAfter: boolean; readonly inParts: boolean }
  | { readonly _tag: "FinishWrite"; readonly ok: boolean }
  | { readonly _tag: "SkipBody" }
  | { readonly _tag: "Respond"; readonly framing: Framing; readonly size: number; readonly close: boolean; readonly cuts: ReadonlyArray<number> }
  | { readonly _tag: "Informational"; readonly status: 100 | 103 }
  | { readonly _tag: "Garbage"; readonly which: number }
  | { readonly _tag: "More" }
  | { readonly _tag: "Pull"; readonly all: boolean }
  | { readonly _tag: "Abort" }
  | { readonly _tag: "PeerClose"; readonly reset: boolean }
  | { readonly _tag: "Timeout" }

/** `true` about once in `n` times. */
const rarely = (n: number): fc.Arbitrary<boolean> =>
  fc.oneof({ arbitrary: fc.constant(false), weight: n - 1 }, { arbitrary: fc.constant(true), weight: 1 })

/** How often each kind of step comes (0: never). */
interface Weights {
  readonly request: number
  readonly finishWrite: number
  readonly skipBody: number
  readonly respond: number
  readonly framings: ReadonlyArray<Framing>
  /** The fewest cut points in a response (a cut past its end sends it whole). */
  readonly minCuts: number
  /** The largest response body. */
  readonly maxSize: number
  readonly informational: number
  readonly garbage: number
  readonly more: number
  readonly pull: number
  readonly abort: number
  readonly peerClose: number
  readonly timeout: number
}

const steps = (w: Weights): fc.Arbitrary<Step> =>
  fc.oneof(
    ...[
      { weight: w.request, arbitrary: fc.record({ _tag: fc.constant("Request" as const), head: rarely(5), closeAfter: rarely(5), inParts: rarely(3) }) },
      { weight: w.finishWrite, arbitrary: fc.record({ _tag: fc.constant("FinishWrite" as const), ok: fc.oneof({ arbitrary: fc.constant(true), weight: 4 }, { arbitrary: fc.constant(false), weight: 1 }) }) },
      { weight: w.skipBody, arbitrary: fc.constant({ _tag: "SkipBody" as const }) },
      {
        weight: w.respond,
        arbitrary: fc.record({
          _tag: fc.constant("Respond" as const),
          framing: fc.constantFrom(...w.framings),
          size: fc.integer({ min: 0, max: w.maxSize }),
          close: rarely(5),
          cuts: fc.array(fc.integer({ min: 1, max: 120 }), { minLength: w.minCuts, maxLength: 3 })
        })
      },
      { weight: w.informational, arbitrary: fc.record({ _tag: fc.constant("Informational" as const), status: fc.constantFrom<100 | 103>(100, 103) }) },
      { weight: w.garbage, arbitrary: fc.record({ _tag: fc.constant("Garbage" as const), which: fc.integer({ min: 0, max: 2 }) }) },
      { weight: w.more, arbitrary: fc.constant({ _tag: "More" as const }) },
      { weight: w.pull, arbitrary: fc.record({ _tag: fc.constant("Pull" as const), all: fc.oneof({ arbitrary: fc.constant(true), weight: 1 }, { arbitrary: fc.constant(false), weight: 1 }) }) },
      { weight: w.abort, arbitrary: fc.constant({ _tag: "Abort" as const }) },
      { weight: w.peerClose, arbitrary: fc.record({ _tag: fc.constant("PeerClose" as const), reset: fc.boolean() }) },
      { weight: w.timeout, arbitrary: fc.constant({ _tag: "Timeout" as const }) }
    ].filter((c) => c.weight > 0) as Array<fc.WeightedArbitrary<Step>>
  )

/** Everything goes: errors, closes, aborts and timeouts as often as responses. */
const chaotic = steps({
  request: 6,
  finishWrite: 3,
  skipBody: 2,
  respond: 6,
  framings: ["length", "length", "length", "chunked", "chunked", "to-close", "no-body", "upgrade"],
  minCuts: 0,
  maxSize: 40,
  informational: 1,
  garbage: 1,
  more: 4,
  pull: 5,
  abort: 1,
  peerClose: 1,
  timeout: 2
})

/** Mostly well-behaved peers and callers, so that connections get reused many times over. */
const orderly = steps({
  request: 6,
  finishWrite: 3,
  skipBody: 2,
  respond: 5,
  framings: ["length", "length", "chunked", "no-body"],
  minCuts: 1,
  maxSize: 200,
  informational: 1,
  garbage: 0,
  more: 5,
  pull: 6,
  abort: 0,
  peerClose: 0,
  timeout: 1
})

const latin1 = (s: string): Uint8Array => Buffer.from(s, "latin1")

const REQUEST_HEAD = "GET / HTTP/1.1\r\nHost: pipe\r\n\r\n"

/** The bytes of a response to `method`, as the peer sends them. */
const response = (s: Extract<Step, { _tag: "Respond" }>, method: string): Uint8Array => {
  const body = "b".repeat(s.size)
  const close = s.close ? "Connection: close\r\n" : ""
  const withBody = method !== "HEAD"
  switch (s.framing) {
    case "length":
      return latin1(`HTTP/1.1 200 OK\r\nContent-Length: ${s.size}\r\n${close}\r\n${withBody ? body : ""}`)
    case "chunked": {
      if (!withBody) return latin1(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n${close}\r\n`)
      const half = Math.floor(s.size / 2)
      const chunks = [body.slice(0, half), body.slice(half)].filter((c) => c.length > 0)
      const encoded = chunks.map((c) => `${c.length.toString(16)}\r\n${c}\r\n`).join("")
      return latin1(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-T\r\n${close}\r\n${encoded}0\r\nX-T: 1\r\n\r\n`)
    }
    case "to-close":
      return latin1(`HTTP/1.1 200 OK\r\n\r\n${withBody ? body : ""}`)
    case "no-body":
      return latin1(`HTTP/1.1 204 No Content\r\n${close}\r\n`)
    case "upgrade":
      return latin1(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: x\r\n\r\n${body}`)
  }
}

const GARBAGE = [
  "HTTP/1.1 2x0 OK\r\n\r\n",
  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
  "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx"
]

/** Splits `bytes` at the cut points (offsets into it, clamped). */
const split = (bytes: Uint8Array, cuts: ReadonlyArray<number>): Array<Uint8Array> => {
  const at = [...new Set(cuts.map((c) => Math.min(c, bytes.length)))].filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b)
  const parts: Array<Uint8Array> = []
  let from = 0
  for (const c of at) {
    parts.push(bytes.subarray(from, c))
    from = c
  }
  parts.push(bytes.subarray(from))
  return parts
}

/** The caller starts an exchange on the newest connection (a new one when it is closed), as the pool hands out idle ones only. */
const request = (w: World, s: Extract<Step, { _tag: "Request" }>): void => {
  const prev = w.newest
  if (prev !== undefined && !prev.pc.closed && !prev.detached && prev.active !== undefined) return
  const h = w.current()
  const ex = new Exchange(s.head ? "HEAD" : "GET", s.closeAfter, undefined)
  const call = new Call(ex)
  ex.resume = (outcome) => {
    Effect.runSync(Effect.match(outcome, {
      onSuccess: (d) => {
        call.delivery = d
      },
      onFailure: (f) => {
        call.failure = f
      }
    }))
  }
  h.calls.push(call)
  if (!h.pc.begin(ex)) return
  if (!s.inParts) return h.pc.writeWhole(ex, REQUEST_HEAD.replace("GET", ex.method))
  ex.wroteSome = true
  h.pc.conn.writeNow(`${ex.method} / HTTP/1.1\r\nHost: pipe\r\n`)
}

/** The writer of a request in parts ends it: written, failed, or its body skipped after a final status. */
const endWrite = (w: World, s: Extract<Step, { _tag: "FinishWrite" | "SkipBody" }>): void => {
  const h = w.newest
  const call = h?.active
  if (h === undefined || call === undefined) return
  const ex = call.ex
  if (ex.writing !== Writing.Writing) return
  if (s._tag === "SkipBody") {
    if (ex.continueAnswer !== false) return // only after a final status came instead of 100 Continue
    ex.bodySkipped = true
    return h.pc.wrote(ex)
  }
  if (!s.ok) return h.pc.writeFailed(ex, new Error("the write failed"), false)
  h.pc.conn.writeNow("\r\n")
  h.pc.wrote(ex)
}

/**
 * The peer sends `bytes`. Progress: when they end what it had to send and an exchange in
 * progress waits for its head, the returned check (made once the I/O settled) wants it
 * delivered or failed.
 */
const peerSends = (w: World, h: Harness, bytes: Uint8Array): (() => void) | void => {
  const waiting = h.active
  const whole = h.pending.length === 0 && !h.serverGone && waiting !== undefined && waiting.ex.wroteSome
  h.send(bytes)
  if (!whole) return
  return () => {
    if (waiting.delivery === undefined && waiting.failure === undefined) w.problem("a response sent whole, but the exchange still waits for its head")
  }
}

/** The caller pulls the body of a streamed response, or gives the exchange up. */
const caller = (w: World, s: Extract<Step, { _tag: "Pull" | "Abort" }>): void => {
  const h = w.newest
  const call = h?.last
  if (h === undefined || call === undefined) return
  if (s._tag === "Pull") {
    if (call.delivery?._tag !== "Streaming" || call.pull !== undefined || call.bodyEnded || call.bodyFailed) return
    return h.pull(call, s.all ? 20 : 1)
  }
  if (call.bodyEnded) return
  // The caller's body stream is interrupted first, then the exchange given up (RoundTripper's order).
  const pull = call.pull
  if (pull !== undefined) Effect.runFork(Fiber.interrupt(pull))
  h.pc.abandon(call.ex)
}

/**
 * Runs one step on the world; steps that do not apply now do nothing. May return a check to
 * make once the step's I/O has settled.
 */
const apply = (w: World, s: Step): (() => void) | void => {
  const h = w.newest
  switch (s._tag) {
    case "Request":
      return request(w, s)
    case "FinishWrite":
    case "SkipBody":
      return endWrite(w, s)
    case "Respond": {
      if (h === undefined) return
      const parts = split(response(s, h.last?.ex.method ?? "GET"), s.cuts)
      h.pending.push(...parts.slice(1))
      return peerSends(w, h, parts[0]!)
    }
    case "Informational":
      return h?.send(latin1(s.status === 100 ? "HTTP/1.1 100 Continue\r\n\r\n" : "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"))
    case "Garbage":
      return h?.send(latin1(GARBAGE[s.which]!))
    case "More": {
      const next = h?.pending.shift()
      if (h === undefined || next === undefined) return
      return peerSends(w, h, next)
    }
    case "Pull":
    case "Abort":
      return caller(w, s)
    case "PeerClose": {
      if (h === undefined || h.serverGone) return
      h.serverGone = true
      if (s.reset) h.server.destroy()
      else h.server.end()
      return
    }
    case "Timeout":
      return w.fireTimer()
  }
}

/** The Transport shutting down: every timer fires, every connection closes, every pull ends. */
const shutdown = async (w: World): Promise<void> => {
  for (let i = 0; i < 20 && w.timers.length > 0; i++) w.timers.shift()!()
  w.fireTimer()
  // A 101's socket is closed by its caller's Scope (RoundTripper); the others by the Transport.
  for (const h of w.conns) {
    if (h.detached) Effect.runSync(h.pc.conn.close)
    else h.pc.close()
  }
  await settle()
  for (const h of w.conns) {
    for (const call of h.calls) if (call.pull !== undefined) await Effect.runPromise(Fiber.interrupt(call.pull))
    h.server.destroy()
  }
  await settle()
}

const endState = (w: World): void => {
  for (const h of w.conns) {
    if (h.socketCloses !== 1) w.problem(`connection ${h.pc.id}: socket closed ${h.socketCloses} times`)
    if (h.ownerCloses !== (h.detached ? 0 : 1)) w.problem(`connection ${h.pc.id}: owner told of ${h.ownerCloses} closes`)
    if (h.loop.unsafePoll() === null) w.problem(`connection ${h.pc.id}: read loop still running`)
    if (!h.client.destroyed) w.problem(`connection ${h.pc.id}: stream not destroyed`)
    for (const call of h.calls) {
      if (call.releases.length !== 1) w.problem(`an exchange released ${call.releases.length} times`)
      if (call.delivery === undefined && call.failure === undefined) w.problem("an exchange's head wait never settled")
      if (call.pull !== undefined) w.problem("a body pull left running")
    }
  }
}

const run = async (poolFull: boolean, headerTimeout: boolean, steps: ReadonlyArray<Step>): Promise<Array<string>> => {
  const w = new World(poolFull, headerTimeout ? 1000 : 0)
  try {
    for (const s of steps) {
      const after = apply(w, s)
      await settle()
      after?.()
      w.check()
      if (w.problems.length > 0) return [`after ${s._tag}:`, ...w.problems]
    }
    await shutdown(w)
    w.check()
    endState(w)
    return w.problems
  } finally {
    for (const h of w.conns) {
      h.client.destroy()
      h.server.destroy()
    }
  }
}

const script = fc.tuple(
  fc.boolean(),
  fc.boolean(),
  fc.oneof(fc.array(chaotic, { minLength: 1, maxLength: 40, size: "max" }), fc.array(orderly, { minLength: 1, maxLength: 40, size: "max" }))
)

describe("PersistConn against a model", () => {
  it("keeps its invariants over random scripts of requests, responses, aborts, closes and timeouts", async () => {
    const started = Date.now()
    await fc.assert(
      fc.asyncProperty(script, async ([poolFull, headerTimeout, steps]) => {
        const problems = await run(poolFull, headerTimeout, steps)
        expect(problems.join("\n")).toBe("")
      }),
      RUNS
    )
    expect(Date.now() - started).toBeLessThan(60_000)
  }, 90_000)
})
