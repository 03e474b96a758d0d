/**
 * The world the PersistConn model test drives: client connections over the in-memory pipe
 * (`streamPipe` + `fromDuplex`), each with a scripted peer (the raw other end of the pipe), a
 * fake pool (`ConnOwner`) that records what the connection tells it, a fake clock (timers
 * fire only when the test says so) and a caller per exchange that waits for the head and
 * pulls the body. Every violation of an invariant is recorded as a sentence in `problems`.
 *
 * @internal
 */
import { Cause, Effect, Exit, type Fiber, Option } from "effect"
import type { Duplex } from "node:stream"
import { fromDuplex, type RawConn } from "../../src/net/Conn.js"
import { streamPipe } from "../../src/net/Pipe.js"
import type { WriteBatch } from "../../src/net/WriteBatch.js"
import { type Delivery, type Exchange, type Failure, KeepAlive, Reading, Writing } from "../../src/transport/exchange.js"
import { type ConnOwner, PersistConn } from "../../src/transport/PersistConn.js"
import { ConnTimers } from "../../src/transport/connTimers.js"

/** One exchange as its caller sees it. */
export class Call {
  delivery: Delivery | undefined = undefined
  failure: Failure | undefined = undefined
  /** The body pull in flight, if any. */
  pull: Fiber.RuntimeFiber<Uint8Array, Option.Option<Failure>> | undefined = undefined
  bodyEnded = false
  bodyFailed = false
  releases: Array<"reusable" | "close" | "detached"> = []
  constructor(readonly ex: Exchange) {}
}

/** Writes straight to the Conn (the real batch corks until setImmediate; the model wants each step's bytes now). */
const directWrites = { write: (conn: RawConn, data: Uint8Array | string) => conn.writeNow(data) } as unknown as WriteBatch

/** One client connection with its peer. */
export class Harness {
  readonly client: Duplex
  readonly server: Duplex
  readonly pc: PersistConn
  readonly loop: Fiber.RuntimeFiber<void>
  socketCloses = 0
  ownerCloses = 0
  idleClosed = 0
  calls: Array<Call> = []
  /** Response bytes the peer still has to send (a response streamed in parts). */
  pending: Array<Uint8Array> = []
  serverGone = false
  /** Released "detached" (101): the socket is the caller's, who closes it at the end. */
  detached = false

  constructor(readonly world: World, id: number) {
    const [client, server] = streamPipe()
    this.client = client
    this.server = server
    server.on("data", () => {})
    server.on("error", () => {})
    const real = fromDuplex(client, { address: "pipe", port: 0 })
    // Every way PersistConn may close the socket is counted: the Effect and the synchronous one.
    const countedNow = () => {
      this.socketCloses++
      real.closeNow()
    }
    const counted = Effect.sync(countedNow)
    const conn = new Proxy(real, {
      get: (target, prop) => prop === "close" ? counted : prop === "closeNow" ? countedNow : Reflect.get(target, prop, target)
    })
    const owner: ConnOwner = {
      release: (pc, outcome) => this.released(pc, outcome),
      idleClosed: () => {
        this.idleClosed++
      },
      closed: () => {
        this.ownerCloses++
      },
      after: (_millis, f) => {
        world.timers.push(f)
      }
    }
    this.pc = new PersistConn(id, "http://pipe:80", conn, owner, 3, 8192, world.connTimers, directWrites)
    this.loop = Effect.runFork(this.pc.readLoop)
  }

  /** The exchange in progress from the caller's side (not yet released), if any. */
  get active(): Call | undefined {
    const last = this.calls[this.calls.length - 1]
    return last !== undefined && last.releases.length === 0 ? last : undefined
  }

  get last(): Call | undefined {
    return this.calls[this.calls.length - 1]
  }

  private released(pc: PersistConn, outcome: "reusable" | "close" | "detached"): string | undefined {
    const call = this.last
    if (call === undefined) {
      this.world.problem(`connection ${pc.id} released with no exchange`)
      return undefined
    }
    call.releases.push(outcome)
    const ex = call.ex
    if (call.releases.length > 1) this.world.problem(`an exchange released twice (${call.releases.join(", ")})`)
    if (!ex.finished) this.world.problem("released while the exchange is not finished")
    if (ex.outcome === undefined) this.world.problem("released before the head wait was settled")
    if (outcome === "reusable") {
      const head = ex.head
      if (ex.reading !== Reading.Done) this.world.problem(`reusable with reading ${ex.reading}`)
      if (ex.writing !== Writing.Written) this.world.problem(`reusable with writing ${ex.writing}`)
      if (ex.closeAfter) this.world.problem("reusable though the request asked to close")
      if (head === undefined || !head.keepAlive) this.world.problem("reusable though the response asked to close")
      if (pc.closed) this.world.problem("reusable though the connection is closed")
      if (ex.keepAlive !== KeepAlive.Reusable) this.world.problem(`reusable with keepAlive ${ex.keepAlive}`)
      // A full pool closes what it cannot keep (ConnPool applies PoolState's Close action).
      if (this.world.poolFull) pc.close()
    } else if (outcome === "detached") {
      this.detached = true
      if (ex.head?.status !== 101) this.world.problem("detached without a 101")
      if (ex.reading !== Reading.Done) this.world.problem(`detached with reading ${ex.reading}`)
      if (pc.closed) this.world.problem("detached though the connection is closed")
    } else if (outcome === "close") {
      if (!pc.closed) this.world.problem("released to close but the connection is open")
      if (ex.keepAlive !== KeepAlive.Close) this.world.problem(`close with keepAlive ${ex.keepAlive}`)
    }
    return undefined
  }

  /** The peer writes `bytes` (ignored once it is gone, as a closed socket would). */
  send(bytes: Uint8Array): void {
    if (this.serverGone || this.server.destroyed || this.server.writableEnded) return
    this.server.write(bytes)
  }

  /** Pulls the body of `call` in its own fiber, up to `chunks` chunks one after the other (the next once the last arrived). */
  pull(call: Call, chunks: number): void {
    const fiber = Effect.runFork(this.pc.pullBody(call.ex))
    call.pull = fiber
    fiber.addObserver((exit) => {
      if (call.pull === fiber) call.pull = undefined
      if (Exit.isSuccess(exit)) {
        if (chunks > 1 && call.pull === undefined) this.pull(call, chunks - 1)
        return
      }
      if (Cause.isDie(exit.cause)) this.world.problem(`a body pull died: ${Cause.pretty(exit.cause)}`)
      const failure = Cause.failureOption(exit.cause)
      if (Option.isNone(failure)) return // interrupted
      if (Option.isNone(failure.value)) call.bodyEnded = true
      else call.bodyFailed = true
    })
  }

  /** Checks what must hold after every step. */
  check(): void {
    const w = this.world
    const pc = this.pc
    if (this.socketCloses > 1) w.problem(`socket closed ${this.socketCloses} times`)
    if (this.ownerCloses > 1) w.problem(`owner told of the close ${this.ownerCloses} times`)
    if (!this.detached && pc.closed !== (this.socketCloses === 1)) w.problem(`pc.closed ${pc.closed} but socket closes ${this.socketCloses}`)
    if (pc.closed !== (this.ownerCloses === 1)) w.problem(`pc.closed ${pc.closed} but owner closes ${this.ownerCloses}`)
    if (this.detached && (pc.closed || this.loop.unsafePoll() === null)) w.problem("a detached connection still has its read loop, or was closed by it")
    for (const call of this.calls) {
      const ex = call.ex
      if (ex.finished !== (call.releases.length === 1)) w.problem(`finished ${ex.finished} with ${call.releases.length} releases`)
      if (ex.reading === Reading.Failed && ex.bodyFailure === undefined) w.problem("body failed without a failure")
      if (ex.keepAlive === KeepAlive.Reusable && (ex.reading !== Reading.Done || ex.writing !== Writing.Written)) {
        w.problem("reusable exchange not read or not written whole")
      }
    }
    const last = this.last
    // An open connection with no exchange in progress is idle: its last exchange left it reusable.
    if (!pc.closed && !this.detached && last !== undefined && last.releases.length > 0 && last.releases[0] !== "reusable") {
      w.problem(`open connection after a ${last.releases[0]} release`)
    }
    if (!pc.closed && last !== undefined && last.releases.length > 0 && pc.ex !== undefined) w.problem("idle connection holds an exchange")
  }
}

/** All connections of one run, the fake clock, and the problems found. */
export class World {
  readonly conns: Array<Harness> = []
  timers: Array<() => void> = []
  readonly problems: Array<string> = []
  private nextId = 1
  /** The fake clock the deadline lists read (`passTime` moves it). */
  now = 0
  /** The head's timeout (when the run has one) and the body's; their timers are fired by `fireTimer`, not fibers. */
  readonly connTimers: ConnTimers

  constructor(readonly poolFull: boolean, readonly responseHeaderTimeoutMs: number) {
    this.connTimers = new ConnTimers(responseHeaderTimeoutMs, 2000, 2000, 0, () => this.now, () => undefined)
  }

  /** A timer fires: the first pending `after`, else time passes until every armed deadline is due. */
  fireTimer(): void {
    const f = this.timers.shift()
    if (f !== undefined) return f()
    this.now += 10_000
    this.connTimers.heads?.expireDue()
    this.connTimers.bodies?.expireDue()
  }

  problem(text: string): void {
    this.problems.push(text)
  }

  /** The connection to use now: the newest while it is open, else a new one. */
  current(): Harness {
    const h = this.conns[this.conns.length - 1]
    if (h !== undefined && !h.pc.closed && !h.detached) return h
    const fresh = new Harness(this, this.nextId++)
    this.conns.push(fresh)
    return fresh
  }

  /** The newest connection, if any. */
  get newest(): Harness | undefined {
    return this.conns[this.conns.length - 1]
  }

  check(): void {
    for (const h of this.conns) h.check()
  }
}

/** Lets the pipe's and the fibers' callbacks run: a bounded number of turns of the event loop. */
export const settle = async (turns = 2): Promise<void> => {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}
