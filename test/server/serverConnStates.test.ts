/**
 * The served connection's named states (src/server/connStates.ts): the transition tables are
 * well formed, and a live server, driven through keep-alive, parking, bodies read and left
 * unread, a stalled upload, a bad request, a handler failure, a hijack and a shutdown, only
 * ever makes moves the tables allow (every `Phase` move goes through `ServerConn.enter`, every
 * `BodyRead` move through `BodyReader.move`; the spies record them).
 */
import { afterEach, beforeEach, describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, TestClock } from "effect"
import { vi } from "vitest"
import { BodyReader } from "../../src/server/bodyReader.js"
import {
  BODY_READ_MOVES,
  BodyRead,
  bodyReadMoveAllowed,
  Phase,
  PHASE_MOVES,
  phaseMoveAllowed
} from "../../src/server/connStates.js"
import { ServerConn } from "../../src/server/ServerConn.js"
import * as ServerResponse from "../../src/server/ServerResponse.js"
import { get, rawConnect, realSleep, startServer } from "./rawClient.js"

const phases = Object.values(Phase)
const bodyReads = Object.values(BodyRead)

/** The states reachable from `start` in `moves`. */
const reachable = (moves: ReadonlyArray<ReadonlyArray<number>>, start: number): Set<number> => {
  const seen = new Set([start])
  const todo = [start]
  while (todo.length > 0) {
    for (const to of moves[todo.pop()!]!) {
      if (!seen.has(to)) {
        seen.add(to)
        todo.push(to)
      }
    }
  }
  return seen
}

describe("the transition tables", () => {
  it("Phase: one row per state, legal targets only, HIJACKED and CLOSED terminal, all reachable", () => {
    expect(phases).toEqual(phases.map((_, i) => i))
    expect(PHASE_MOVES.length).toBe(phases.length)
    for (const row of PHASE_MOVES) for (const to of row) expect(phases).toContain(to)
    expect(PHASE_MOVES[Phase.HIJACKED]).toEqual([])
    expect(PHASE_MOVES[Phase.CLOSED]).toEqual([])
    expect([...reachable(PHASE_MOVES, Phase.WAITING)].sort()).toEqual(phases)
    // Every state but a hijacked one can still close.
    for (const p of phases) if (p !== Phase.HIJACKED) expect(reachable(PHASE_MOVES, p).has(Phase.CLOSED)).toBe(true)
    // A connection parks only from a wait for a head, and is never parked while a request runs.
    for (const p of phases) expect(phaseMoveAllowed(p, Phase.PARKED)).toBe(p === Phase.WAITING || p === Phase.PARKED)
    expect(phaseMoveAllowed(Phase.LINGERING, Phase.WAITING)).toBe(false)
    expect(phaseMoveAllowed(Phase.HIJACKED, Phase.CLOSED)).toBe(false)
  })

  it("BodyRead: one row per state, DONE and FAILED terminal, every state ends in one of them", () => {
    expect(bodyReads).toEqual(bodyReads.map((_, i) => i))
    expect(BODY_READ_MOVES.length).toBe(bodyReads.length)
    for (const row of BODY_READ_MOVES) for (const to of row) expect(bodyReads).toContain(to)
    expect(BODY_READ_MOVES[BodyRead.DONE]).toEqual([])
    expect(BODY_READ_MOVES[BodyRead.FAILED]).toEqual([])
    for (const s of bodyReads) {
      const r = reachable(BODY_READ_MOVES, s)
      expect(r.has(BodyRead.DONE) || r.has(BodyRead.FAILED)).toBe(true)
    }
    expect(bodyReadMoveAllowed(BodyRead.DONE, BodyRead.BODY)).toBe(false)
    expect(bodyReadMoveAllowed(BodyRead.STALLED, BodyRead.PAST_DEADLINE)).toBe(false)
  })
})

describe("a live server moves only as the tables allow", () => {
  const phaseMoves: Array<[number, number]> = []
  const bodyMoves: Array<[number, number]> = []

  beforeEach(() => {
    phaseMoves.length = 0
    bodyMoves.length = 0
    type WithPhase = { phase: number }
    type WithRead = { read: number }
    vi.spyOn(ServerConn.prototype as unknown as { enter: (to: number) => void }, "enter").mockImplementation(function(this: WithPhase, to: number) {
      phaseMoves.push([this.phase, to])
      this.phase = to
    })
    vi.spyOn(BodyReader.prototype as unknown as { move: (to: number) => void }, "move").mockImplementation(function(this: WithRead, to: number) {
      bodyMoves.push([this.read, to])
      this.read = to
    })
  })
  afterEach(() => {
    vi.restoreAllMocks()
  })

  const illegal = () => ({
    phase: phaseMoves.filter(([from, to]) => !phaseMoveAllowed(from as Phase, to as Phase)),
    body: bodyMoves.filter(([from, to]) => !bodyReadMoveAllowed(from as BodyRead, to as BodyRead))
  })

  it.scoped("keep-alive, parking, bodies read and unread, a bad request, a failure, a hijack, a shutdown", () =>
    Effect.gen(function*() {
      const server = yield* startServer({
        handler: (req): Effect.Effect<ServerResponse.ServerResponse<unknown>, unknown> => {
          switch (req.target) {
            case "/read":
              return Effect.map(req.text, (t) => ServerResponse.text(`read ${t}`))
            case "/fail":
              return Effect.fail("boom")
            case "/hijack":
              return Effect.scoped(Effect.as(Effect.orDie(req.hijack), ServerResponse.empty()))
            case "/stream":
              return Effect.succeed(ServerResponse.text("streamed"))
            default:
              return Effect.succeed(ServerResponse.text("ok"))
          }
        }
      })
      const a = yield* rawConnect(server.port)
      yield* a.send(get("/") + "POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
      expect((yield* a.responses(2)).map((r) => r.body)).toEqual(["ok", "read abc"])
      // An unread body is drained after the answer.
      yield* a.send("POST /unread HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc" + get("/after"))
      expect((yield* a.responses(2)).map((r) => r.body)).toEqual(["ok", "ok"])
      // Park, then wake.
      yield* TestClock.adjust("3 seconds")
      yield* realSleep(20)
      yield* a.send(get("/woken"))
      expect((yield* a.responses(1))[0]?.body).toBe("ok")

      const b = yield* rawConnect(server.port)
      yield* b.send(get("/fail"))
      expect((yield* b.responses(1))[0]?.status).toBe(500)
      expect(yield* b.closed()).toBe(true)
      // The server lingers for our close (on the TestClock): give it.
      yield* b.destroy

      const c = yield* rawConnect(server.port)
      yield* c.send("BAD\r\n\r\n")
      expect((yield* c.responses(1))[0]?.status).toBe(400)
      yield* c.destroy

      const d = yield* rawConnect(server.port)
      yield* d.send(get("/hijack"))
      expect(yield* d.closed()).toBe(true)

      yield* server.shutdown("1 second")
      expect(yield* a.closed()).toBe(true)
      yield* realSleep(20)

      const seen = new Set(phaseMoves.map(([from, to]) => `${from}>${to}`))
      for (const move of [[Phase.WAITING, Phase.HANDLING], [Phase.HANDLING, Phase.WRITING], [Phase.WRITING, Phase.WAITING], [Phase.WAITING, Phase.PARKED], [Phase.PARKED, Phase.WAITING], [Phase.HANDLING, Phase.HIJACKED], [Phase.WAITING, Phase.WRITING]]) {
        expect(seen, `${move[0]}>${move[1]} was not seen`).toContain(`${move[0]}>${move[1]}`)
      }
      expect(bodyMoves).toContainEqual([BodyRead.BODY, BodyRead.DONE])
      expect(illegal()).toEqual({ phase: [], body: [] })
    }))

  it.scoped("a stalled upload: BODY to STALLED to FAILED, then the connection lingers and closes", () =>
    Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      const server = yield* startServer({
        readTimeout: "5 seconds",
        handler: (req) => Effect.zipRight(Deferred.succeed(started, undefined), Effect.map(req.text, (t) => ServerResponse.text(t)))
      })
      const c = yield* rawConnect(server.port)
      yield* c.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\na")
      yield* Deferred.await(started)
      yield* realSleep(20)
      for (let i = 0; i < 3 && !c.isEnded(); i++) {
        yield* TestClock.adjust("10 seconds")
        yield* realSleep(20)
      }
      expect((yield* c.responses(1))[0]?.status).toBe(408)
      expect(yield* c.closed()).toBe(true)
      yield* c.destroy
      expect(bodyMoves).toContainEqual([BodyRead.BODY, BodyRead.STALLED])
      expect(bodyMoves).toContainEqual([BodyRead.STALLED, BodyRead.FAILED])
      expect(phaseMoves).toContainEqual([Phase.WRITING, Phase.LINGERING])
      expect(illegal()).toEqual({ phase: [], body: [] })
    }))
  it.scoped("after Connection: close the server lingers for the client's close, and closes by itself once the linger ran out (on the TestClock, judged by the reaper)", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler: () => Effect.succeed(ServerResponse.text("bye")) })
      const open = Effect.map(server.stats, (s) => s.connections)
      // A client that closes: the connection ends with its close, without the clock moving.
      const quick = yield* rawConnect(server.port)
      yield* quick.send(get("/", "Connection: close\r\n"))
      expect((yield* quick.responses(1))[0]?.body).toBe("bye")
      expect(yield* quick.closed()).toBe(true)
      yield* quick.destroy
      for (let i = 0; i < 50 && (yield* open) > 0; i++) yield* realSleep(10)
      expect(yield* open).toBe(0)
      // A client that never closes: our side ended (FIN), the connection stays open while the
      // linger runs, and the reaper closes it once it ran out.
      const stuck = yield* rawConnect(server.port)
      yield* stuck.send(get("/", "Connection: close\r\n"))
      expect((yield* stuck.responses(1))[0]?.body).toBe("bye")
      expect(yield* stuck.closed()).toBe(true)
      yield* realSleep(30)
      expect(yield* open).toBe(1)
      yield* TestClock.adjust("200 millis")
      yield* realSleep(20)
      expect(yield* open).toBe(1)
      for (let i = 0; i < 10 && (yield* open) > 0; i++) {
        yield* TestClock.adjust("1 second")
        yield* realSleep(20)
      }
      expect(yield* open).toBe(0)
    }))
})
