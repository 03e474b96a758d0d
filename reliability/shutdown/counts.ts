/**
 * What a server under shutdown counts and prints when it has shut down: the line
 * `counts {json}` on stdout, and `inflight N` when SIGTERM arrives.
 *
 * @module
 */

/** The counts a server under shutdown prints. */
export interface ServerCounts {
  /** Handlers started. */
  readonly started: number
  /** Answers finished writing. */
  readonly answered: number
  /** The `id` query parameters of the requests whose handler started (our client's requests carry one). */
  readonly startedIds: ReadonlyArray<string>
  /** Milliseconds from SIGTERM to the end of the shutdown, as the server measured. */
  readonly shutdownMs: number
}

/** The `counts` line for `c`. */
export const countsLine = (c: ServerCounts): string => `counts ${JSON.stringify(c)}\n`

/** Reads the `counts` line out of a server's output. */
export const parseCounts = (output: string): ServerCounts | undefined => {
  const m = /^counts (\{.*\})$/m.exec(output)
  if (m === null) return undefined
  try {
    return JSON.parse(m[1]!) as ServerCounts
  } catch {
    return undefined
  }
}

/** Requests in flight at SIGTERM, from the `inflight N` line. */
export const parseInflight = (output: string): number | undefined => {
  const m = /^inflight (\d+)$/m.exec(output)
  return m === null ? undefined : Number(m[1])
}

/** The `id` of a query string such as `id=c1-2-3`, if any. */
export const idOf = (query: string | undefined | null): string | undefined => {
  if (query === undefined || query === null) return undefined
  const m = /(?:^|&)id=([^&]*)/.exec(query)
  return m === null ? undefined : m[1]
}
