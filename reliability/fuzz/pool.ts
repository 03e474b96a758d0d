/**
 * A pool of worker threads running fuzz tasks: each worker takes the next task when it is
 * done with one. Workers are scoped resources (terminated when the pool's scope closes, also
 * on interruption); a worker that dies is replaced, and its task is reported as failed.
 *
 * @module
 */
import { Effect } from "effect"
import { Worker } from "node:worker_threads"
import type { FuzzReply, FuzzTask } from "./worker.js"

/** The worker's module, in TypeScript. */
const WORKER_URL = new URL("./worker.ts", import.meta.url)

/**
 * The worker's bootstrap: tsx's loader is registered in the main thread only, so each worker
 * registers it (tsx's ESM API) before importing the TypeScript module.
 */
const BOOTSTRAP = `import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))})` +
  `.then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER_URL.href)}) })`

/** A worker's answer, or the reason it gave none (it died). */
type Answer = { readonly reply: FuzzReply; readonly died: boolean }

const ask = (worker: Worker, task: FuzzTask): Effect.Effect<Answer> =>
  Effect.async<Answer>((resume) => {
    const cleanup = () => {
      worker.off("message", onMessage)
      worker.off("error", onError)
      worker.off("exit", onExit)
    }
    const onMessage = (reply: FuzzReply) => {
      cleanup()
      resume(Effect.succeed({ reply, died: false }))
    }
    const onError = (e: unknown) => {
      cleanup()
      const error = e instanceof Error ? (e.stack ?? e.message) : String(e)
      resume(Effect.succeed({ reply: { id: task.id, ok: false, error: `worker died: ${error}` }, died: true }))
    }
    const onExit = (code: number) => {
      cleanup()
      resume(Effect.succeed({ reply: { id: task.id, ok: false, error: `worker exited with code ${code}` }, died: true }))
    }
    worker.on("message", onMessage)
    worker.on("error", onError)
    worker.on("exit", onExit)
    worker.postMessage(task)
    return Effect.sync(cleanup)
  })

const acquireWorker = Effect.acquireRelease(
  Effect.sync(() => new Worker(BOOTSTRAP, { eval: true })),
  (w) => Effect.promise(() => w.terminate())
)

/**
 * Runs every task on `workers` threads; `prepare` is applied to a task as it is handed out
 * (to give it the time that is left). The replies come in completion order.
 */
export const runPool = (
  tasks: ReadonlyArray<FuzzTask>,
  workers: number,
  prepare: (task: FuzzTask) => FuzzTask = (t) => t
): Effect.Effect<Array<FuzzReply>> =>
  Effect.suspend(() => {
    const queue = tasks.slice()
    const replies: Array<FuzzReply> = []
    // One worker's life: tasks until the queue is empty or the worker dies.
    const session = Effect.scoped(
      Effect.gen(function*() {
        const worker = yield* acquireWorker
        while (queue.length > 0) {
          const { died, reply } = yield* ask(worker, prepare(queue.shift()!))
          replies.push(reply)
          if (died) return
        }
      })
    )
    const lane = Effect.gen(function*() {
      while (queue.length > 0) yield* session
    })
    return Effect.all(Array.from({ length: Math.max(1, workers) }, () => lane), { concurrency: "unbounded", discard: true }).pipe(
      Effect.as(replies)
    )
  })
