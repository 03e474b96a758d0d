/**
 * The kinds of request the soak mixes: which connection (a keep-alive Transport or one with
 * keep-alive off), which route of the soak server, how the body is read, and whether the
 * request is interrupted at a random moment. A kind packs into one byte for the ledger.
 *
 * @module
 */
import type { Rng } from "../fuzz/rng.js"

/** Which Transport sends the request. */
export const CONNS = ["keep-alive", "fresh"] as const
/** A value of {@link CONNS}. */
export type Conn = (typeof CONNS)[number]

/**
 * The soak server's routes: a small answer, 1 MiB, a streamed answer with pauses, one that
 * resets its connection half the time (hijack and close), a slow one, and a POST echoing the
 * length of its body (not replayable, so never retried).
 */
export const ROUTES = ["small", "big", "stream", "reset", "slow", "echo"] as const
/** A value of {@link ROUTES}. */
export type Route = (typeof ROUTES)[number]

/** How the client reads the body: whole, the first chunk then the Scope closed, not at all, or slowly (a pause between chunks). */
export const READS = ["whole", "partial", "none", "slow"] as const
/** A value of {@link READS}. */
export type Read = (typeof READS)[number]

/** One kind of request. */
export interface Kind {
  readonly conn: Conn
  readonly route: Route
  readonly read: Read
  /** Interrupted (Effect.timeout) at a random moment. */
  readonly interrupt: boolean
}

/** The kind as one byte. */
export const encodeKind = (k: Kind): number =>
  ((CONNS.indexOf(k.conn) * ROUTES.length + ROUTES.indexOf(k.route)) * READS.length + READS.indexOf(k.read)) * 2 + (k.interrupt ? 1 : 0)

/** The kind of a byte made by {@link encodeKind}. */
export const decodeKind = (code: number): Kind => {
  const interrupt = (code & 1) === 1
  let rest = code >> 1
  const read = READS[rest % READS.length]!
  rest = Math.floor(rest / READS.length)
  const route = ROUTES[rest % ROUTES.length]!
  const conn = CONNS[Math.floor(rest / ROUTES.length)]!
  return { conn, route, read, interrupt }
}

/** The request's method: POST for `echo` (with a body and no Idempotency-Key), GET otherwise. */
export const methodOf = (route: Route): "GET" | "POST" => (route === "echo" ? "POST" : "GET")

/**
 * Whether the Transport may send this kind of request more than once: its retry rule
 * (src/transport/retry.ts, ARCHITECTURE.md "Retries") retries only on a reused connection
 * (so never with keep-alive off) and only a replayable request (GET here; the POST is not).
 */
export const retryAllowed = (k: Kind): boolean => k.conn === "keep-alive" && methodOf(k.route) === "GET"

/** A random kind: 3 in 4 keep-alive; routes weighted towards the small answer; 1 in 10 interrupted. */
export const pickKind = (rng: Rng): Kind => {
  const r = rng.int(100)
  const route: Route = r < 35 ? "small" : r < 45 ? "big" : r < 60 ? "stream" : r < 70 ? "reset" : r < 80 ? "slow" : "echo"
  return {
    conn: rng.chance(0.75) ? "keep-alive" : "fresh",
    route,
    read: rng.pick(READS),
    interrupt: rng.chance(0.1)
  }
}
