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

/** One request to `http://127.0.0.1:<port>/`, resolved with its sample (never rejects). */
export const probeOnce = (port: number, timeoutMs: number): Promise<ProbeSample> =>
  new Promise((resolve) => {
    const at = Date.now()
    let settled = false
    const done = (ok: boolean, error?: string) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      req.destroy()
      resolve(error === undefined ? { at, ok, ms: Date.now() - at } : { at, ok, ms: Date.now() - at, error })
    }
    const req = http.get({ host: "127.0.0.1", port, path: "/", agent: false }, (res) => {
      res.resume()
      res.on("end", () => done(res.statusCode === 200, res.statusCode === 200 ? undefined : `status ${res.statusCode}`))
      res.on("error", (e) => done(false, e.message))
    })
    req.on("error", (e) => done(false, (e as NodeJS.ErrnoException).code ?? e.message))
    const timer = setTimeout(() => done(false, `no answer within ${timeoutMs} ms`), timeoutMs)
  })

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** The probe loop over one server, running until `stop`. */
export class Probe {
  private readonly samples: Array<ProbeSample> = []
  private running = true
  private readonly loop: Promise<void>
  private port: number

  constructor(port: number, readonly intervalMs = 100, readonly timeoutMs = 1_000) {
    this.port = port
    this.loop = this.run()
  }

  private async run(): Promise<void> {
    while (this.running) {
      const start = Date.now()
      this.samples.push(await probeOnce(this.port, this.timeoutMs))
      await sleep(Math.max(0, this.intervalMs - (Date.now() - start)))
    }
  }

  /** Points the probe at another server (same loop). */
  retarget(port: number): void {
    this.port = port
  }

  /** The position to read samples from later. */
  mark(): number {
    return this.samples.length
  }

  /** The samples sent since `mark` (those completed so far). */
  since(mark: number): ReadonlyArray<ProbeSample> {
    return this.samples.slice(mark)
  }

  /** Stops the loop once the request in progress ends. */
  async stop(): Promise<void> {
    this.running = false
    await this.loop
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
