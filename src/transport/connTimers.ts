/**
 * The timers a Transport's connections share, each one fiber for all of them (see
 * `deadlineList.ts`): the response head's timeout, the body's inactivity timeout, and the
 * server's keep-alive hint (`Keep-Alive: timeout=N`): an idle connection is closed a margin
 * before the server said it would close it (undici's `keepAliveTimeoutThreshold`), which
 * removes most races where a request goes out on a connection the server is closing. A hint
 * of no more than the margin keeps the connection from being reused at all. Go reads no hint.
 *
 * May touch: its lists; a connection only through `IdleHinted.hintExpired`.
 *
 * @module
 * @internal
 */
import type { Headers } from "../domain/Headers.js"
import { Armed, DeadlineList, type Expirable } from "./deadlineList.js"
import type { Exchange } from "./exchange.js"
import type { RunFork } from "./transportParts.js"

/** At most this many distinct hinted idle timeouts get a list (and a fiber) of their own. */
const MAX_HINT_LISTS = 16

/**
 * A connection whose idle time a server's hint bounds.
 *
 * @internal
 */
export interface IdleHinted {
  /** The hinted idle time ran out: close the connection if it is still idle. */
  hintExpired(): void
}

/**
 * The `timeout` of a `Keep-Alive` field (RFC 2068 §19.7.1.1, still sent by node:http, nginx
 * and Apache) in milliseconds, or undefined when there is none or it does not parse.
 *
 * @internal
 */
export const keepAliveTimeoutMs = (headers: Headers): number | undefined => {
  const value = headers.get("Keep-Alive")
  if (value === undefined) return undefined
  for (const part of value.split(",")) {
    const eq = part.indexOf("=")
    if (eq < 0 || part.slice(0, eq).trim().toLowerCase() !== "timeout") continue
    const text = part.slice(eq + 1).trim()
    if (!/^\d{1,9}$/.test(text)) return undefined
    return Number(text) * 1000
  }
  return undefined
}

/** Fires a hinted idle deadline on its connection. */
class HintExpiry implements Expirable<IdleHinted> {
  expired(node: Armed<IdleHinted>): void {
    node.subject.hintExpired()
  }
}

const HINT_EXPIRY = new HintExpiry()

/**
 * The Transport's per-exchange and per-connection timers (see the module's description).
 *
 * @internal
 */
export class ConnTimers {
  /** The response heads' timeout, if one runs (`responseHeaderTimeout`). */
  readonly heads: DeadlineList<Exchange> | undefined
  /** The bodies' inactivity timeout, if one runs (`bodyTimeout`). */
  readonly bodies: DeadlineList<Exchange> | undefined
  private readonly hinted = new Map<number, DeadlineList<IdleHinted>>()

  constructor(
    responseHeaderTimeoutMs: number,
    bodyTimeoutMs: number,
    /** The margin taken off a server's keep-alive hint (`keepAliveTimeoutThreshold`). */
    readonly hintMarginMs: number,
    /** The Transport's own idle timeout (0: none): a hint only ever shortens it. */
    readonly idleConnTimeoutMs: number,
    private readonly now: () => number,
    private readonly runFork: RunFork
  ) {
    this.heads = responseHeaderTimeoutMs > 0 ? this.start(new DeadlineList<Exchange>(responseHeaderTimeoutMs, now)) : undefined
    this.bodies = bodyTimeoutMs > 0 ? this.start(new DeadlineList<Exchange>(bodyTimeoutMs, now)) : undefined
  }

  private start<T>(list: DeadlineList<T>): DeadlineList<T> {
    this.runFork(list.timer)
    return list
  }

  /**
   * How long a connection may stay idle after a response with keep-alive hint `hintMs`: the
   * hint less the margin; 0 when the connection must not be kept; undefined when the
   * Transport's own idle timeout is as short or there is no hint.
   */
  idleLimit(hintMs: number | undefined): number | undefined {
    if (hintMs === undefined) return undefined
    const limit = hintMs - this.hintMarginMs
    if (!(limit > 0)) return 0
    if (this.idleConnTimeoutMs > 0 && this.idleConnTimeoutMs <= limit) return undefined
    return limit
  }

  /**
   * Arms `node` (a connection gone idle) to expire after `limitMs` (from `idleLimit`); with
   * too many distinct limits in use, the longest one not longer is taken (closing earlier is
   * safe), else the connection is not kept (false).
   */
  armIdle(node: Armed<IdleHinted>, limitMs: number): boolean {
    let list = this.hinted.get(limitMs)
    if (list === undefined) {
      if (this.hinted.size < MAX_HINT_LISTS) {
        list = this.start(new DeadlineList<IdleHinted>(limitMs, this.now))
        this.hinted.set(limitMs, list)
      } else {
        for (const [ms, l] of this.hinted) if (ms <= limitMs && (list === undefined || ms > list.timeoutMs)) list = l
        if (list === undefined) return false
      }
    }
    list.arm(node)
    return true
  }

  /** A node for `conn`'s hinted idle deadline. */
  idleNode(conn: IdleHinted): Armed<IdleHinted> {
    return new Armed<IdleHinted>(HINT_EXPIRY, conn)
  }
}
