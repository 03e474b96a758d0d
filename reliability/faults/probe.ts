/**
 * The normal client of the faults part: one `GET /` at a time on a fresh connection (node:http,
 * no agent), every `intervalMs`, each with a `timeoutMs` limit, recording every sample. A
 * scenario reads the samples of its own window; `recover` waits for the server to answer
 * again after it.
 *
 * @module
 */
import * as http from "node:http"
import type { ProbeSample } from "./judge.js"

/**
 * One request to `http://127.0.0.1:<port>/`, resolved with its sample (never rejects): on a
 * fresh connection, or through `agent` (a kept-alive one).
 */
export const probeOnce = (port: number, timeoutMs: number, agent: http.Agent | false = false): Promise<ProbeSample> =>
  new Promise((resolve) => {
    const at = Date.now()
    let settled = false
    const done = (ok: boolean, error?: string) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      if (!ok || agent === false) req.destroy()
      resolve(error === undefined ? { at, ok, ms: Date.now() - at } : { at, ok, ms: Date.now() - at, error })
    }
    const req = http.get({ host: "127.0.0.1", port, path: "/", agent }, (res) => {
      res.resume()
      res.on("end", () => done(res.statusCode === 200, res.statusCode === 200 ? undefined : `status ${res.statusCode}`))
      res.on("error", (e) => done(false, e.message))
    })
    req.on("error", (e) => done(false, (e as NodeJS.ErrnoException).code ?? e.message))
    const timer = setTimeout(() => done(false, `no answer within ${timeoutMs} ms`), timeoutMs)
  })

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** Where to read a probe's samples from later. */
export interface ProbeMark {
  readonly fresh: number
  readonly kept: number
}

/**
 * The probe loops over one server, running until `stop`: the judged one on a fresh connection
 * per request (so accepting is measured too), and beside it one on a kept-alive connection
 * (so a slow answer can be told apart from a slow accept).
 */
export class Probe {
  private readonly fresh: Array<ProbeSample> = []
  private readonly kept: Array<ProbeSample> = []
  private running = true
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  private readonly loops: Promise<[void, void]>

  constructor(readonly port: number, readonly intervalMs = 100, readonly timeoutMs = 1_000) {
    this.loops = Promise.all([this.run(this.fresh, false), this.run(this.kept, this.agent)])
  }

  private async run(into: Array<ProbeSample>, agent: http.Agent | false): Promise<void> {
    while (this.running) {
      const start = Date.now()
      into.push(await probeOnce(this.port, this.timeoutMs, agent))
      await sleep(Math.max(0, this.intervalMs - (Date.now() - start)))
    }
  }

  /** The position to read samples from later. */
  mark(): ProbeMark {
    return { fresh: this.fresh.length, kept: this.kept.length }
  }

  /** The fresh-connection samples sent since `mark` (those completed so far). */
  since(mark: ProbeMark): ReadonlyArray<ProbeSample> {
    return this.fresh.slice(mark.fresh)
  }

  /** The kept-alive samples sent since `mark`. */
  keptSince(mark: ProbeMark): ReadonlyArray<ProbeSample> {
    return this.kept.slice(mark.kept)
  }

  /** Stops the loops once their requests in progress end, and closes the kept-alive connection. */
  async stop(): Promise<void> {
    this.running = false
    await this.loops
    this.agent.destroy()
  }
}

/**
 * Waits for `consecutive` successful probe requests in a row (sent back to back, 50 ms apart),
 * for at most `limitMs`: the time it took from the call to the first of them, or undefined.
 */
export const recover = async (port: number, limitMs: number, consecutive = 3, timeoutMs = 1_000): Promise<number | undefined> => {
  const start = Date.now()
  let streakStart: number | undefined
  let streak = 0
  while (Date.now() - start < limitMs) {
    const s = await probeOnce(port, Math.min(timeoutMs, Math.max(50, limitMs - (Date.now() - start))))
    if (s.ok) {
      streakStart ??= s.at
      if (++streak >= consecutive) return streakStart - start
    } else {
      streak = 0
      streakStart = undefined
    }
    await sleep(50)
  }
  return undefined
}
