/**
 * Streamed answers on one keep-alive connection: the serve loop must not keep anything per
 * answer once it is out. A handler around the body's writes that also wrapped "what comes
 * next" (the next request) stayed on the connection fiber's stack for every later request:
 * about 2.8 KB per streamed answer, held until the connection closed (found by the
 * reliability suite's profile of a one-chunk `ServerResponse.stream` under wrk). The heap is
 * sampled after a full GC by the handler itself at two points of a run of pipelined
 * requests; the bodies, the stream finalizers and the order are checked too.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Scope, Stream } from "effect"
import * as net from "node:net"
import * as v8 from "node:v8"
import * as vm from "node:vm"
import type { ServerRequest } from "../../src/server/ServerRequest.js"
import * as ServerResponse from "../../src/server/ServerResponse.js"
import { startServer } from "./rawClient.js"

v8.setFlagsFromString("--expose-gc")
const gc = vm.runInNewContext("gc") as () => void

const MiB = 1 << 20
const REQUESTS = 3000
const FIRST_SAMPLE = 500

const heapAfterGc = (): number => {
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

/**
 * A client that keeps nothing of what it read but the bodies' ids (the test's raw client keeps
 * every response, which would hide a leak of the server's under its own growth): sends `text`,
 * then reads until `count` chunked answers ended, and yields the ids they carried in order.
 */
const exchange = (socket: net.Socket, text: string, count: number): Effect.Effect<Array<string>> =>
  Effect.async<Array<string>>((resume) => {
    let received = ""
    const onData = (data: Buffer) => {
      received += data.toString("latin1")
      const ids = [...received.matchAll(/answer \r\n[0-9a-f]+\r\n([^\r]*)\r\n0\r\n\r\n/g)].map((m) => m[1]!)
      if (ids.length < count) return
      socket.off("data", onData)
      resume(Effect.succeed(ids))
    }
    socket.on("data", onData)
    socket.write(text)
    return Effect.sync(() => void socket.off("data", onData))
  }).pipe(Effect.timeoutTo({ duration: "60 seconds", onTimeout: () => [], onSuccess: (ids) => ids }))

const connect = (port: number): Effect.Effect<net.Socket, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<net.Socket>((resume) => {
      const socket = net.connect({ host: "127.0.0.1", port }, () => resume(Effect.succeed(socket)))
    }),
    (socket) => Effect.sync(() => socket.destroy())
  )

describe("streamed answers on one keep-alive connection", () => {
  it.live(`${REQUESTS} pipelined streamed answers: all in order, every finalizer run, the heap flat after the first ${FIRST_SAMPLE}`, () =>
    Effect.gen(function*() {
      const samples = new Map<number, number>()
      let finalized = 0
      let served = 0
      const server = yield* startServer({
        handler: (r: ServerRequest) =>
          Effect.sync(() => {
            const n = ++served
            if (n === FIRST_SAMPLE || n === REQUESTS) samples.set(n, heapAfterGc())
            const id = r.url.searchParams.get("i") ?? "?"
            // Two chunks in one tick and a finalizer: the path of a streamed answer, Scope and all.
            return ServerResponse.stream(
              Stream.make(Buffer.from(`answer `), Buffer.from(id)).pipe(Stream.ensuring(Effect.sync(() => void finalized++)))
            )
          })
      })
      const socket = yield* connect(server.port)
      const batch = 250
      let answered = 0
      let wrong: string | undefined = undefined
      for (let from = 0; from < REQUESTS; from += batch) {
        let requests = ""
        for (let i = from; i < from + batch; i++) requests += `GET /?i=${i} HTTP/1.1\r\nHost: x\r\n\r\n`
        const ids = yield* exchange(socket, requests, batch)
        for (let i = 0; i < ids.length; i++) if (ids[i] !== String(from + i)) wrong ??= `answer ${from + i} carried ${ids[i]}`
        answered += ids.length
      }
      expect(answered).toBe(REQUESTS)
      expect(wrong).toBeUndefined()
      expect(finalized).toBe(REQUESTS)
      const growth = samples.get(REQUESTS)! - samples.get(FIRST_SAMPLE)!
      // A leak of ~2.8 KB an answer would be ~7 MiB here.
      expect(growth, `heap growth over ${REQUESTS - FIRST_SAMPLE} answers: ${(growth / MiB).toFixed(2)} MiB`).toBeLessThan(2 * MiB)
    }).pipe(Effect.scoped), 120_000)
})
