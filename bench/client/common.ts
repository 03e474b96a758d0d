/**
 * What every client runner of `npm run bench:client` shares: its arguments, the measuring
 * window (warm-up, then measure), and the one JSON line it prints.
 *
 * A runner is started as `node <run-<peer>.ts compiled> <url> <concurrency>` (see processes.ts)
 * with `BENCH_SECONDS` (measured seconds, default 3) and `BENCH_WARMUP_SECONDS` (default 1)
 * in its environment. Process start-up and module loading happen before the window opens,
 * so they are never counted.
 *
 * @module
 */

/** The one line a runner prints on stdout, as JSON. */
export interface RunResult {
  /** Requests completed inside the measured window. */
  readonly requests: number
  /** The measured window's length in seconds. */
  readonly seconds: number
  /** Body bytes read inside the measured window. */
  readonly bytes: number
  /** The client process's CPU time (user + system) per request in the window, in µs. */
  readonly cpuMicrosPerRequest: number
}

/** A runner's arguments. */
export interface RunnerArgs {
  /** The absolute URL to GET, e.g. `http://127.0.0.1:41234/small`. */
  readonly url: URL
  /** How many independent request loops run at once. */
  readonly concurrency: number
  /** The body length every response must have; a mismatch aborts the run. */
  readonly expectedBytes: number
  readonly warmupMs: number
  readonly measureMs: number
}

/** The body length the upstream sends for each path it serves. */
export const bodyLengthOf = (path: string): number => {
  switch (path) {
    case "/small":
      return 13
    case "/1m":
    case "/gzip-1m": // decoded
      return 1 << 20
    default:
      throw new Error(`no such bench path: ${path}`)
  }
}

const seconds = (name: string, fallback: number): number => {
  const raw = process.env[name]
  const n = raw === undefined || raw === "" ? fallback : Number(raw)
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${raw}`)
  return n
}

/** The measured seconds per run (`BENCH_SECONDS`, default 3). */
export const measureSeconds = (): number => seconds("BENCH_SECONDS", 3)

/** The warm-up seconds per run (`BENCH_WARMUP_SECONDS`, default 1). */
export const warmupSeconds = (): number => seconds("BENCH_WARMUP_SECONDS", 1)

/** Reads `<url> <concurrency>` from argv and the window from the environment. */
export const parseArgs = (argv: ReadonlyArray<string> = process.argv.slice(2)): RunnerArgs => {
  const [rawUrl, rawConcurrency] = argv
  if (rawUrl === undefined || rawConcurrency === undefined) throw new Error("usage: run-<peer>.ts <url> <concurrency>")
  const url = new URL(rawUrl)
  const concurrency = Number(rawConcurrency)
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) throw new Error(`bad concurrency: ${rawConcurrency}`)
  return {
    url,
    concurrency,
    expectedBytes: bodyLengthOf(url.pathname),
    warmupMs: warmupSeconds() * 1000,
    measureMs: measureSeconds() * 1000
  }
}

/**
 * Counts completed requests inside the window. `open()` starts the warm-up; loops keep going
 * while `running()`, and report every finished response with `record(bytes)`. Responses that
 * finish during the warm-up are not counted; the window closes when the last loop stopped
 * (each loop finishes the request it had in flight, which is counted).
 */
export class Meter {
  private warmEnd = 0
  private end = 0
  private requests = 0
  private bytes = 0
  private cpuStart: NodeJS.CpuUsage | undefined = undefined

  constructor(private readonly args: RunnerArgs) {}

  /** Starts the warm-up now. */
  open(): void {
    const now = performance.now()
    this.warmEnd = now + this.args.warmupMs
    this.end = this.warmEnd + this.args.measureMs
  }

  /** Whether a loop should start another request. */
  running(): boolean {
    return performance.now() < this.end
  }

  /** One response read in full, with this many body bytes. */
  record(bytes: number): void {
    if (bytes !== this.args.expectedBytes) {
      throw new Error(`expected a ${this.args.expectedBytes}-byte body, got ${bytes} bytes`)
    }
    if (performance.now() >= this.warmEnd) {
      this.cpuStart ??= process.cpuUsage()
      this.requests++
      this.bytes += bytes
    }
  }

  /** The figures, taken once every loop stopped. */
  result(): RunResult {
    const cpu = process.cpuUsage(this.cpuStart)
    return {
      requests: this.requests,
      seconds: (performance.now() - this.warmEnd) / 1000,
      bytes: this.bytes,
      cpuMicrosPerRequest: this.requests === 0 ? 0 : (cpu.user + cpu.system) / this.requests
    }
  }
}

/** Prints the result line. */
export const report = (result: RunResult): void => {
  process.stdout.write(JSON.stringify(result) + "\n")
}

/**
 * Runs `concurrency` loops of `one` (a promise-returning request that resolves to the body
 * length) through the window and returns the figures.
 */
export const drivePromises = async (args: RunnerArgs, one: () => Promise<number>): Promise<RunResult> => {
  const meter = new Meter(args)
  const loop = async (): Promise<void> => {
    while (meter.running()) meter.record(await one())
  }
  meter.open()
  await Promise.all(Array.from({ length: args.concurrency }, loop))
  return meter.result()
}

/** Runs a runner's main, printing the result, or the error on stderr with exit code 1. */
export const main = (run: () => Promise<RunResult>): void => {
  run().then(
    (result) => {
      report(result)
      process.exit(0)
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
      process.exit(1)
    }
  )
}
