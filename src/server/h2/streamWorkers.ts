/**
 * The fibers that run an HTTP/2 connection's stream handlers. Go starts a goroutine per
 * stream; a fiber per stream costs its making and ending (fiber refs, metrics, scope) and most
 * handlers finish at once, so here fibers are kept and reused: a worker runs one stream's
 * handler and answer, then takes the next queued stream, or waits (suspended, holding no
 * stack) until the connection hands it one. A stream gets a new worker only when every worker
 * is busy (its handler suspended): streams still run concurrently, at most `limit` at once.
 *
 * A stream the client resets while its handler runs retires its worker: the worker is
 * interrupted (the handler with it, as Go cancels the request's context) and never takes
 * another stream, so the interruption cannot reach a later one.
 *
 * May touch: the workers' fibers; the streams only through `WorkItem`.
 *
 * @module
 * @internal
 */
import { type Cause, Effect, type Fiber, type FiberId } from "effect"

/**
 * What a worker runs.
 *
 * @internal
 */
export interface WorkItem {
  /** The handler's Effect (run by the worker, its outcome handed to `answer` or `failed`). */
  start(): Effect.Effect<unknown, unknown>
  /** The handler succeeded: what is left to run, or undefined when the answer went out at once. */
  answer(value: unknown): Effect.Effect<void> | undefined
  /** The handler failed: the answer to it. */
  failed(cause: Cause.Cause<unknown>): Effect.Effect<void>
  /** The worker running it, while one does. */
  worker: Worker | undefined
}

const VOID = Effect.void

/**
 * One reusable fiber.
 *
 * @internal
 */
export class Worker {
  fiber: Fiber.RuntimeFiber<void, never> | undefined = undefined
  current: WorkItem | undefined = undefined
  /** Interrupted for its stream: takes no other. */
  retired = false
  /** Resumes the worker's wait with its next run, while it waits. */
  private wake: ((next: Effect.Effect<void>) => void) | undefined = undefined
  /** The run of `current`, then the next. */
  readonly loop: Effect.Effect<void>
  private readonly after: Effect.Effect<void>
  private readonly wait: Effect.Effect<void>

  constructor(private readonly pool: StreamWorkers<WorkItem>) {
    // The continuations are the worker's, made once: a stream costs no closure of its own here.
    this.loop = Effect.matchCauseEffect(Effect.suspend(() => this.current!.start()), {
      onSuccess: (value) => {
        const rest = this.current!.answer(value)
        return rest === undefined ? this.next() : Effect.zipRight(rest, this.after)
      },
      onFailure: (cause) => Effect.zipRight(this.current!.failed(cause), this.after)
    })
    this.after = Effect.suspend(() => this.next())
    this.wait = Effect.async<void>((resume) => {
      this.wake = resume
    })
  }

  private next(): Effect.Effect<void> {
    const done = this.current
    this.current = undefined
    if (done !== undefined) done.worker = undefined
    if (this.retired) return VOID
    const item = this.pool.finished()
    if (item !== undefined) {
      this.assign(item)
      return this.loop
    }
    return this.pool.park(this) ? this.wait : VOID
  }

  assign(item: WorkItem): void {
    this.current = item
    item.worker = this
  }

  /** Gives a parked worker `item` to run. */
  resume(item: WorkItem): void {
    this.assign(item)
    const wake = this.wake!
    this.wake = undefined
    wake(this.loop)
  }
}

/**
 * The workers of one connection.
 *
 * @internal
 */
export class StreamWorkers<A extends WorkItem> {
  private readonly parked: Array<Worker> = []
  private readonly all = new Set<Worker>()
  /** Streams being run now (by workers not retired). */
  running = 0
  private readonly queue: Array<A> = []

  /**
   * @param fork starts a fiber on the server's runtime (with the connection's services).
   * @param limit the most streams run at once (the rest queue).
   * @param keepParked the most workers kept waiting when the connection is quiet.
   */
  constructor(
    private readonly fork: (effect: Effect.Effect<void>) => Fiber.RuntimeFiber<void, never>,
    private readonly limit: number,
    private readonly keepParked: number
  ) {}

  /** Streams waiting for a worker. */
  get queued(): number {
    return this.queue.length
  }

  /** Runs `item` now (a parked worker, or a new one) when fewer than `limit` run, else queues it. */
  submit(item: A): void {
    if (this.running >= this.limit) {
      this.queue.push(item)
      return
    }
    this.start(item)
  }

  private start(item: WorkItem): void {
    this.running++
    const parked = this.parked.pop()
    if (parked !== undefined) return parked.resume(item)
    const worker = new Worker(this as unknown as StreamWorkers<WorkItem>)
    worker.assign(item)
    this.all.add(worker)
    // The fiber may run its first stream to its end (and park) inside `fork`.
    worker.fiber = this.fork(Effect.onExit(worker.loop, () => Effect.sync(() => this.ended(worker))))
  }

  /** `item` will not run (its stream closed while queued). */
  drop(item: A): void {
    const i = this.queue.indexOf(item)
    if (i >= 0) this.queue.splice(i, 1)
  }

  /** A worker finished its stream: the next queued one, counted as running, or undefined. */
  finished(): WorkItem | undefined {
    const next = this.queue.shift()
    if (next === undefined) this.running--
    return next
  }

  /** Whether `worker` is to wait for another stream (else its fiber ends). */
  park(worker: Worker): boolean {
    if (this.parked.length >= this.keepParked) return false
    this.parked.push(worker)
    return true
  }

  /** Interrupts the worker running `item` (its stream was reset); the worker takes no other stream. */
  interrupt(item: WorkItem, by: FiberId.FiberId): void {
    const worker = item.worker
    if (worker === undefined || worker.retired) return
    worker.retired = true
    this.running--
    worker.fiber?.unsafeInterruptAsFork(by)
    this.startQueued()
  }

  /** Interrupts every worker (the connection ended). */
  interruptAll(by: FiberId.FiberId): void {
    this.queue.length = 0
    for (const worker of this.all) {
      worker.retired = true
      worker.fiber?.unsafeInterruptAsFork(by)
    }
  }

  private ended(worker: Worker): void {
    this.all.delete(worker)
    const i = this.parked.indexOf(worker)
    if (i >= 0) this.parked.splice(i, 1)
    // Ended with a stream in hand (a defect, or interrupted without being retired first).
    if (worker.current !== undefined && !worker.retired) {
      worker.current.worker = undefined
      worker.current = undefined
      this.running--
    }
    this.startQueued()
  }

  private startQueued(): void {
    while (this.running < this.limit && this.queue.length > 0) this.start(this.queue.shift()!)
  }
}
