/**
 * The named states of a served connection (in the spirit of hyper's `proto/h1/conn.rs`
 * `Reading`/`Writing`/`KeepAlive`): what the serve loop is doing (`Phase`) and where the
 * current request's body is (`BodyRead`). Small integer constants, not objects, so the hot
 * path compares numbers and allocates nothing; the tables below are the only legal moves, and
 * `test/server/serverConnStates.test.ts` holds the code to them.
 *
 * `Phase`, one per connection (keep-alive is WAITING again after WRITING; idle without a fiber
 * is PARKED; a connection the handler took over, or handed to HTTP/2 at its first bytes, is
 * HIJACKED, which the serve loop never leaves):
 *
 * | from      | to                                                            |
 * |-----------|---------------------------------------------------------------|
 * | WAITING   | PARKED (idle, fiber given up), HANDLING (a head), WRITING (a canned 4xx), HIJACKED (HTTP/2 chosen), CLOSED |
 * | PARKED    | WAITING (input, its end, or a close woke it), CLOSED           |
 * | HANDLING  | WRITING (the handler answered or failed), HIJACKED, CLOSED     |
 * | WRITING   | WAITING (keep-alive), LINGERING (closing after the reply), CLOSED |
 * | LINGERING | CLOSED                                                        |
 * | HIJACKED  | (none: the connection belongs to the handler's Scope)         |
 * | CLOSED    | (none)                                                        |
 *
 * `BodyRead`, per request (reset when a head arrives):
 *
 * | from          | to                                                       |
 * |---------------|----------------------------------------------------------|
 * | BODY          | DONE (read to its end), FAILED, STALLED, PAST_DEADLINE   |
 * | STALLED       | FAILED (the next read reports it), DONE (drained whole)  |
 * | PAST_DEADLINE | FAILED (the next read reports it), DONE (drained whole)  |
 * | DONE          | (none)                                                   |
 * | FAILED        | (none)                                                   |
 *
 * May touch: nothing; pure values.
 *
 * @module
 * @internal
 */

/**
 * What the serve loop is doing. Ordered so that `phase >= HIJACKED` means "input is no longer
 * ours to parse".
 *
 * @internal
 */
export const Phase = {
  /** Waiting for a request head, with a fiber (the first request, or keep-alive). */
  WAITING: 0,
  /** Waiting for a request head with no fiber at all; the next input starts one. */
  PARKED: 1,
  /** The handler runs; the body may be read. */
  HANDLING: 2,
  /** The response (or a canned reply) is being written. */
  WRITING: 3,
  /** The handler took the connection over (terminal for the serve loop). */
  HIJACKED: 4,
  /** Our side ended; waiting a little for the client's close. */
  LINGERING: 5,
  /** Closed. */
  CLOSED: 6
} as const

/**
 * A `Phase` value.
 *
 * @internal
 */
export type Phase = typeof Phase[keyof typeof Phase]

/**
 * Where the current request's body is.
 *
 * @internal
 */
export const BodyRead = {
  /** Body bytes are still to come. */
  BODY: 0,
  /** No byte came for the read timeout while a read waited; the next read fails "timeout". */
  STALLED: 1,
  /** The body's total deadline passed; the next read fails "timeout". */
  PAST_DEADLINE: 2,
  /** No body, or read to its end (its trailers are known). */
  DONE: 3,
  /** The read failed (the connection's `bodyError` says why). */
  FAILED: 4
} as const

/**
 * A `BodyRead` value.
 *
 * @internal
 */
export type BodyRead = typeof BodyRead[keyof typeof BodyRead]

/**
 * The legal moves of `Phase`, indexed by the phase moved from.
 *
 * @internal
 */
export const PHASE_MOVES: ReadonlyArray<ReadonlyArray<Phase>> = [
  /* WAITING */ [Phase.PARKED, Phase.HANDLING, Phase.WRITING, Phase.HIJACKED, Phase.CLOSED],
  /* PARKED */ [Phase.WAITING, Phase.CLOSED],
  /* HANDLING */ [Phase.WRITING, Phase.HIJACKED, Phase.CLOSED],
  /* WRITING */ [Phase.WAITING, Phase.LINGERING, Phase.CLOSED],
  /* HIJACKED */ [],
  /* LINGERING */ [Phase.CLOSED],
  /* CLOSED */ []
]

/**
 * The legal moves of `BodyRead`, indexed by the state moved from (a new request's head resets
 * it to BODY or DONE whatever it was).
 *
 * @internal
 */
export const BODY_READ_MOVES: ReadonlyArray<ReadonlyArray<BodyRead>> = [
  /* BODY */ [BodyRead.DONE, BodyRead.FAILED, BodyRead.STALLED, BodyRead.PAST_DEADLINE],
  /* STALLED */ [BodyRead.FAILED, BodyRead.DONE],
  /* PAST_DEADLINE */ [BodyRead.FAILED, BodyRead.DONE],
  /* DONE */ [],
  /* FAILED */ []
]

/**
 * Whether `from` may move to `to` (staying put is always allowed).
 *
 * @internal
 */
export const phaseMoveAllowed = (from: Phase, to: Phase): boolean => from === to || PHASE_MOVES[from]!.includes(to)

/**
 * Whether the body's read state `from` may move to `to` (staying put is always allowed).
 *
 * @internal
 */
export const bodyReadMoveAllowed = (from: BodyRead, to: BodyRead): boolean => from === to || BODY_READ_MOVES[from]!.includes(to)
