/**
 * The soak program (run in a child process by `spawn.ts`): our Server and two Clients (a
 * keep-alive Transport with explicit pool limits, and one with keep-alive off) in one
 * process; warm-up load, then the baseline (connections closed, idle, GC), the load proper
 * with random server-side resets of every connection, then the settle period and the final
 * figures. A sampler takes RSS, heap after GC, fds, pool and server stats every
 * `sampleEveryMs`; a watcher checks the pools against their limits every `poolCheckEveryMs`.
 *
 * @module
 */
import { Duration, Effect, Fiber, Logger, LogLevel } from "effect"
import * as path from "node:path"
import * as v8 from "node:v8"
import * as Client from "../../src/transport/Client.js"
import { Transport } from "../../src/transport/Transport.js"
import type { PoolStats, TransportService } from "../../src/transport/transportService.js"
import type { ServerService } from "../../src/server/Server.js"
import { deriveSeed, Rng } from "../fuzz/rng.js"
import { account } from "./accounting.js"
import { byConnAndRoute, byReadAndInterrupt } from "./breakdown.js"
import type { SoakConfig } from "./config.js"
import { Ledger } from "./ledger.js"
import { maxHostConns, poolViolations } from "./limits.js"
import { type LoadDeps, LoadTally, runLoad } from "./load.js"
import type { PoolWatch, Quiet, SoakResult } from "./result.js"
import { fullGc, heapSpaces, memoryNow, openFds, type Sample, type SamplePhase } from "./sample.js"
import { type ServerCounters, soakServer } from "./server.js"

/**
 * For finding what grew: with `SOAK_HEAP_SNAPSHOTS=<dir>` in the environment, heap snapshots
 * are written there at the baseline and at the end (`baseline.heapsnapshot`, `final.heapsnapshot`;
 * compare them in Chrome DevTools' Memory tab). Writing one changes what V8 keeps (it collects
 * all it can), so `SOAK_HEAP_SNAPSHOTS_AT=final` writes the last one only.
 */
const writeHeapSnapshot = (name: string): void => {
  const dir = process.env["SOAK_HEAP_SNAPSHOTS"]
  const at = process.env["SOAK_HEAP_SNAPSHOTS_AT"]
  if (dir !== undefined && dir !== "" && (at === undefined || at === name)) v8.writeHeapSnapshot(path.join(dir, `${name}.heapsnapshot`))
}

/** The warm-up's rounds (see the comment where it runs). */
const WARMUP_ROUNDS = 2

/** How long the soak waits for every connection to close before a measurement. */
const QUIET_MAX_MS = 10_000

class Watch {
  checks = 0
  violations = 0
  readonly examples: Array<string> = []
  maxHostConns = 0
  maxIdle = 0
  maxWaiting = 0
  freshMaxHostConns = 0

  see(ka: PoolStats, fresh: PoolStats, c: SoakConfig): void {
    this.checks += 2
    const bad = [
      ...poolViolations(ka, c.limits),
      ...poolViolations(fresh, { maxConnsPerHost: c.freshMaxConnsPerHost, maxIdleConnsPerHost: 0, maxIdleConns: 0 }).map((v) => `fresh: ${v}`)
    ]
    if (bad.length > 0) {
      this.violations++
      if (this.examples.length < 5) this.examples.push(bad.join("; "))
    }
    this.maxHostConns = Math.max(this.maxHostConns, maxHostConns(ka))
    this.maxIdle = Math.max(this.maxIdle, ka.idle)
    this.maxWaiting = Math.max(this.maxWaiting, ka.waiting)
    this.freshMaxHostConns = Math.max(this.freshMaxHostConns, maxHostConns(fresh))
  }

  result(): PoolWatch {
    const { checks, examples, freshMaxHostConns, maxHostConns, maxIdle, maxWaiting, violations } = this
    return { checks, violations, examples, maxHostConns, maxIdle, maxWaiting, freshMaxHostConns }
  }
}

/** Runs a soak; `log` gets progress lines. */
export const runSoak = (config: SoakConfig, log: (line: string) => void): Effect.Effect<SoakResult, unknown> =>
  Effect.scoped(Effect.gen(function*() {
    const t0 = Date.now()
    const now = () => Date.now() - t0
    const ledger = new Ledger(config.maxRequests)
    const counters: ServerCounters = { hijackResets: 0, unknownIds: 0 }
    const server: ServerService = yield* soakServer(ledger, deriveSeed(config.seed, 10_000), counters)
    const { limits } = config
    const kaTransport: TransportService = yield* Transport.make({ ...limits, proxy: "none" })
    const freshTransport: TransportService = yield* Transport.make({ disableKeepAlives: true, maxConnsPerHost: config.freshMaxConnsPerHost, proxy: "none" })
    const tally = new LoadTally()
    const deps: LoadDeps = {
      keepAlive: yield* Client.make(kaTransport),
      fresh: yield* Client.make(freshTransport),
      url: server.url,
      ledger,
      tally,
      requestGuardMs: config.requestGuardMs
    }
    const samples: Array<Sample> = []
    let phase: SamplePhase = "warm-up"
    const sample = (p: SamplePhase) =>
      Effect.gen(function*() {
        const ka = yield* kaTransport.stats
        const fresh = yield* freshTransport.stats
        const s = yield* server.stats
        const { heap, rss } = memoryNow()
        const out: Sample = {
          t: now(), phase: p, rss, heap, fds: openFds(), requests: tally.finished,
          pool: { idle: ka.idle, active: ka.active, dialing: ka.dialing, waiting: ka.waiting, open: ka.open, dials: ka.dials, reuses: ka.reuses, freshOpen: fresh.open, freshDials: fresh.dials },
          server: { connections: s.connections, idle: s.idle, accepted: s.accepted },
          ...(p === "baseline" || p === "final" ? { spaces: heapSpaces() } : {})
        }
        samples.push(out)
        return out
      })
    const sampler = yield* Effect.fork(Effect.forever(Effect.zipRight(Effect.sleep(config.sampleEveryMs), Effect.suspend(() => sample(phase)))))
    const watch = new Watch()
    const watcher = yield* Effect.fork(Effect.forever(Effect.zipRight(
      Effect.sleep(config.poolCheckEveryMs),
      Effect.flatMap(Effect.zip(kaTransport.stats, freshTransport.stats), ([ka, fresh]) => Effect.sync(() => watch.see(ka, fresh, config)))
    )))

    /** Closes idle connections and waits (bounded) until neither side has one open. */
    const quiet: Effect.Effect<Quiet> = Effect.gen(function*() {
      const start = Date.now()
      let left = ""
      while (Date.now() - start < QUIET_MAX_MS) {
        yield* kaTransport.closeIdleConnections
        yield* freshTransport.closeIdleConnections
        const ka = yield* kaTransport.stats
        const fresh = yield* freshTransport.stats
        const s = yield* server.stats
        if (ka.open === 0 && fresh.open === 0 && s.connections === 0) return { reached: true, waitedMs: Date.now() - start, left: "" }
        left = `client open ${ka.open} (active ${ka.active}, idle ${ka.idle}), fresh open ${fresh.open}, server connections ${s.connections}`
        yield* Effect.sleep(50)
      }
      return { reached: false, waitedMs: Date.now() - start, left }
    })

    let closeConnections = 0
    const resetRng = new Rng(deriveSeed(config.seed, 2))
    /** Resets every connection (`Server.closeConnections`) at random moments until `until`. */
    const resetUntil = (until: number) =>
      Effect.gen(function*() {
        while (Date.now() < until) {
          yield* Effect.sleep(Math.min(Math.max(0, until - Date.now()), Math.round(config.resetEveryMs * (0.5 + resetRng.next() / 4294967296))))
          if (Date.now() >= until) return
          yield* Effect.timeoutOption(server.closeConnections, Duration.seconds(5))
          closeConnections++
        }
      })

    log(`server ${server.url}; warm-up ${config.warmupMs / 1000} s, load ${config.loadMs / 1000} s, settle ${config.settleMs / 1000} s, ${config.concurrency} in flight`)
    // The warm-up runs the same mix, resets included, so that the code of every path is
    // compiled and every cache filled before the baseline; in two rounds with the
    // connections closed and a GC between them, as before the baseline, so that what is
    // made only on the first such quiet moment is made before the baseline too.
    for (let round = 0; round < WARMUP_ROUNDS; round++) {
      if (round > 0) {
        yield* quiet
        memoryNow()
      }
      const warmUntil = Date.now() + config.warmupMs / WARMUP_ROUNDS
      const warmResets = yield* Effect.fork(resetUntil(warmUntil))
      yield* runLoad(deps, deriveSeed(config.seed, 1 + 100 * round), config.concurrency, warmUntil)
      yield* Fiber.interrupt(warmResets)
    }
    const warmResetCount = closeConnections
    const quietBeforeBaseline = yield* quiet
    phase = "baseline"
    const baseline = yield* sample("baseline")
    writeHeapSnapshot("baseline")
    log(`baseline (after ${tally.finished} warm-up requests): heap ${(baseline.heap / 2 ** 20).toFixed(1)} MiB, fds ${baseline.fds}, rss ${(baseline.rss / 2 ** 20).toFixed(1)} MiB`)

    phase = "load"
    const loadStartMs = now()
    const before = tally.finished
    const until = Date.now() + config.loadMs
    const resets = yield* Effect.fork(resetUntil(until))
    const progress = yield* Effect.fork(Effect.forever(Effect.zipRight(
      Effect.sleep(Math.max(config.sampleEveryMs, 10_000)),
      Effect.sync(() => log(`${((now() - loadStartMs) / 1000).toFixed(0)} s: ${tally.finished - before} requests, ${samples.at(-1) === undefined ? "" : `heap ${(samples.at(-1)!.heap / 2 ** 20).toFixed(1)} MiB, fds ${samples.at(-1)!.fds}`}`))
    )))
    yield* runLoad(deps, deriveSeed(config.seed, 3), config.concurrency, until)
    const loadEndMs = now()
    yield* Fiber.interrupt(resets)
    yield* Fiber.interrupt(progress)
    const loadRequests = tally.finished - before
    log(`load stopped: ${loadRequests} requests in ${((loadEndMs - loadStartMs) / 1000).toFixed(1)} s`)

    phase = "settle"
    const quietAfterLoad = yield* quiet
    yield* Effect.sleep(Math.max(0, config.settleMs - quietAfterLoad.waitedMs))
    yield* quiet
    phase = "final"
    const final = yield* sample("final")
    writeHeapSnapshot("final")
    yield* Fiber.interrupt(sampler)
    yield* Fiber.interrupt(watcher)
    log(`final: heap ${(final.heap / 2 ** 20).toFixed(1)} MiB, fds ${final.fds}, rss ${(final.rss / 2 ** 20).toFixed(1)} MiB`)
    const stats = yield* server.stats
    return {
      config,
      gcExposed: fullGc(),
      elapsedMs: now(),
      loadStartMs,
      loadEndMs,
      samples: [...samples].sort((a, b) => a.t - b.t),
      baseline,
      final,
      quietBeforeBaseline,
      quietAfterLoad,
      loadRequests,
      requestsPerSecond: loadRequests / Math.max(0.001, (loadEndMs - loadStartMs) / 1000),
      accounting: account(ledger),
      byConnAndRoute: byConnAndRoute(ledger),
      byReadAndInterrupt: byReadAndInterrupt(ledger),
      failures: [...tally.failures].map(([key, n]) => {
        const [route, label] = key.split("|") as [string, string]
        return [route, label, n, tally.details.get(key) ?? ""] as const
      }).sort((a, b) => b[2] - a[2]),
      defects: tally.defects,
      pool: watch.result(),
      server: { hijackResets: counters.hijackResets, closeConnections: closeConnections - warmResetCount, unknownIds: counters.unknownIds, accepted: stats.accepted }
    } satisfies SoakResult
  })).pipe(Logger.withMinimumLogLevel(LogLevel.None))
