/**
 * The servers the faults part runs its scenarios against, and their settings per mode.
 *
 * @module
 */
import type { Mode } from "../part.js"
import type { Peer } from "./scenario.js"

/** One server under test: its child script and environment. */
export interface PeerSpec {
  readonly peer: Peer
  readonly script: string
  readonly env: Readonly<Record<string, string>>
  /** What its settings are, for the report. */
  readonly settings: string
}

/** Our readHeaderTimeout per mode: 2 s in the quick run so slow loris fits in seconds, the default 10 s in the full run. */
export const ourReadHeaderTimeoutMs = (mode: Mode): number => (mode === "quick" ? 2_000 : 10_000)

/** Ours, then node:http. */
export const peers = (mode: Mode): ReadonlyArray<PeerSpec> => [
  {
    peer: "ours",
    script: "reliability/faults/server-ours.ts",
    env: mode === "quick" ? { FAULTS_READ_HEADER_TIMEOUT_MS: String(ourReadHeaderTimeoutMs(mode)) } : {},
    settings: `our Server with its defaults (idleTimeout 120 s, readTimeout 60 s, no maxBodyBytes)` +
      (mode === "quick" ? ", readHeaderTimeout shortened to 2 s (default 10 s) so slow loris fits in the quick run" : ", readHeaderTimeout 10 s (the default)") +
      "; POST /upload under handlers.maxBytes 1 MiB"
  },
  {
    peer: "node:http",
    script: "reliability/faults/server-node.ts",
    env: {},
    settings: "node:http createServer with its defaults (headersTimeout 60 s checked every 30 s, requestTimeout 300 s, keepAliveTimeout 5 s, no 'error' listener); POST /upload counting to 1 MiB by hand"
  }
]
