/**
 * The IPC messages between the primary and its workers (over `node:cluster`'s channel). Every
 * message is a plain object whose `effectNethttp` field names its kind, so a program's own
 * messages on the same channel are told apart and left alone.
 *
 * @module
 * @internal
 */
import type { ServerStats } from "../Server.js"

/**
 * Primary → worker: stop gracefully (close the layer's Scope), then exit.
 *
 * @internal
 */
export interface ShutdownMessage {
  readonly effectNethttp: "shutdown"
}

/**
 * Primary → worker: answer with a `StatsReply` carrying `id`.
 *
 * @internal
 */
export interface StatsRequest {
  readonly effectNethttp: "stats"
  readonly id: number
}

/**
 * Worker → primary: the layer is built (the server listens).
 *
 * @internal
 */
export interface ReadyMessage {
  readonly effectNethttp: "ready"
  /** The `Server`'s url when the layer provides one. */
  readonly url: string | null
}

/**
 * Worker → primary: the answer to `StatsRequest` `id`; `stats` null when the layer builds no `Server`.
 *
 * @internal
 */
export interface StatsReply {
  readonly effectNethttp: "stats-reply"
  readonly id: number
  readonly stats: ServerStats | null
}

/**
 * Worker → primary: the graceful shutdown ended; `interrupted` requests were cut at its deadline.
 *
 * @internal
 */
export interface StoppedMessage {
  readonly effectNethttp: "stopped"
  readonly interrupted: number
}

/**
 * What a worker receives.
 *
 * @internal
 */
export type ToWorker = ShutdownMessage | StatsRequest

/**
 * What the primary receives.
 *
 * @internal
 */
export type ToPrimary = ReadyMessage | StatsReply | StoppedMessage

const kind = (message: unknown): unknown =>
  typeof message === "object" && message !== null ? (message as { readonly effectNethttp?: unknown }).effectNethttp : undefined

const isNumber = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x)

/**
 * The message as one of ours for a worker, or undefined.
 *
 * @internal
 */
export const toWorker = (message: unknown): ToWorker | undefined => {
  switch (kind(message)) {
    case "shutdown":
      return { effectNethttp: "shutdown" }
    case "stats": {
      const id = (message as { readonly id?: unknown }).id
      return isNumber(id) ? { effectNethttp: "stats", id } : undefined
    }
    default:
      return undefined
  }
}

/**
 * The message as one of ours for the primary, or undefined.
 *
 * @internal
 */
export const toPrimary = (message: unknown): ToPrimary | undefined => {
  const m = message as { readonly id?: unknown; readonly url?: unknown; readonly stats?: unknown; readonly interrupted?: unknown }
  switch (kind(message)) {
    case "ready":
      return { effectNethttp: "ready", url: typeof m.url === "string" ? m.url : null }
    case "stats-reply":
      return isNumber(m.id)
        ? { effectNethttp: "stats-reply", id: m.id, stats: typeof m.stats === "object" && m.stats !== null ? (m.stats as ServerStats) : null }
        : undefined
    case "stopped":
      return { effectNethttp: "stopped", interrupted: isNumber(m.interrupted) ? m.interrupted : 0 }
    default:
      return undefined
  }
}
