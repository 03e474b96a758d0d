/**
 * What happened to every request, by id: its kind, how often the client sent it (the trace's
 * `wroteHeaders`), how often the server's handler started on it, and the outcomes the client
 * recorded. Kept in typed arrays allocated before the baseline is taken, so that the ledger
 * itself does not grow the heap being measured (their bytes are outside the V8 heap).
 *
 * @module
 */

/** What the client recorded for a request. */
export const Outcome = {
  /** Nothing recorded (yet). */
  none: 0,
  /** A response arrived (and was read as the kind says). */
  ok: 1,
  /** A typed failure (a `TransportError` or another tagged error of the Client). */
  failed: 2,
  /** Interrupted by the soak itself at a random moment (the kind asked for it). */
  interrupted: 3,
  /** A defect: a bug. */
  defect: 4,
  /** Still unfinished after the guard time: interrupted and counted as lost. */
  hung: 5
} as const
/** A value of {@link Outcome}. */
export type Outcome = (typeof Outcome)[keyof typeof Outcome]

/** The names of the outcomes, by value. */
export const OUTCOME_NAMES: ReadonlyArray<string> = ["none", "ok", "failed", "interrupted", "defect", "hung"]

/** A read-only view of a ledger: what the accounting (`accounting.ts`) works on. */
export interface LedgerView {
  /** Ids 0 .. issued-1 were handed out. */
  readonly issued: number
  /** The kind of each request (`kinds.ts`'s `encodeKind`). */
  readonly kind: Uint8Array
  /** How often the client wrote the request's head (attempts, retries included). */
  readonly sent: Uint8Array
  /** How often the server's handler started on it. */
  readonly starts: Uint8Array
  /** How many outcomes the client recorded for it (1 when all is well). */
  readonly recorded: Uint8Array
  /** The (last) outcome recorded. */
  readonly outcome: Uint8Array
  /** 1 when a response arrived carrying another request's id. */
  readonly misrouted: Uint8Array
}

const bump = (a: Uint8Array, i: number): void => {
  if (a[i]! < 255) a[i] = a[i]! + 1
}

/** The ledger of a soak run, sized for `capacity` requests. */
export class Ledger implements LedgerView {
  issued = 0
  readonly kind: Uint8Array
  readonly sent: Uint8Array
  readonly starts: Uint8Array
  readonly recorded: Uint8Array
  readonly outcome: Uint8Array
  readonly misrouted: Uint8Array

  constructor(readonly capacity: number) {
    this.kind = new Uint8Array(capacity)
    this.sent = new Uint8Array(capacity)
    this.starts = new Uint8Array(capacity)
    this.recorded = new Uint8Array(capacity)
    this.outcome = new Uint8Array(capacity)
    this.misrouted = new Uint8Array(capacity)
  }

  /** A new id for a request of this kind; undefined when the ledger is full. */
  issue(kind: number): number | undefined {
    if (this.issued >= this.capacity) return undefined
    const id = this.issued++
    this.kind[id] = kind
    return id
  }

  /** The client wrote the request's head (once per attempt). */
  sentOnce(id: number): void {
    if (id >= 0 && id < this.issued) bump(this.sent, id)
  }

  /** The server's handler started on request `id` (ids it never issued are ignored: the server counts them apart). */
  started(id: number): boolean {
    if (!(id >= 0 && id < this.issued)) return false
    bump(this.starts, id)
    return true
  }

  /** The client's outcome for `id`. */
  record(id: number, outcome: Outcome, misrouted = false): void {
    bump(this.recorded, id)
    this.outcome[id] = outcome
    if (misrouted) this.misrouted[id] = 1
  }
}
