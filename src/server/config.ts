/**
 * The Server's settings, with Go's `http.Server` field names in camelCase, and their
 * defaults. Go's timeouts all default to zero (none), which leaves a server open to
 * slow-loris clients; here every timeout has a safe non-zero default (README, "Differences
 * from Go"). 0 disables a timeout.
 *
 * @module
 */
import { Duration, type Effect } from "effect"
import { DEFAULT_MAX_REQUEST_HEADER_BYTES } from "../domain/http1/Parser.js"
import type { Handler } from "./Handler.js"

/** A connection's state, as Go's `http.ConnState`. */
export type ConnState = "New" | "Active" | "Idle" | "Hijacked" | "Closed"

/** What the `connState` hook learns about a connection. */
export interface ConnInfo {
  /** A number unique within the server, in accept order. */
  readonly id: number
  readonly remoteAddress: string | undefined
  readonly remotePort: number | undefined
}

/** A key and certificate (PEM) for HTTPS. */
export interface TlsOptions {
  readonly key: string | Uint8Array
  readonly cert: string | Uint8Array
}

/** What `Server.layer` takes. */
export interface ServerOptions<E, R> {
  /** The address to listen on, e.g. "127.0.0.1". */
  readonly host: string
  /** The port; 0 picks a free one (read it from the service's `port`). */
  readonly port: number
  /** Answers every request. Its failures and defects become 500 answers. */
  readonly handler: Handler<E, R>
  /** From accepting a connection (or the end of the last response) to the end of a request head. Default 10 s (Go: 0). */
  readonly readHeaderTimeout?: Duration.DurationInput
  /** From the start of a request to the end of its body. Default 60 s (Go: 0). */
  readonly readTimeout?: Duration.DurationInput
  /** From the end of a request head to the end of its response. Default 60 s (Go: 0); long streams need more, or 0. */
  readonly writeTimeout?: Duration.DurationInput
  /** How long a keep-alive connection may wait for its next request. Default 120 s (Go: readTimeout, else none). */
  readonly idleTimeout?: Duration.DurationInput
  /** How long closing the layer's Scope lets in-flight requests finish before interrupting them. Default 10 s. */
  readonly shutdownTimeout?: Duration.DurationInput
  /** The request head limit (request line and header fields) in bytes. Default 1 MiB (Go's DefaultMaxHeaderBytes). */
  readonly maxHeaderBytes?: number
  /** The largest request body accepted; larger ones are answered 413. Default: no limit (Go's). */
  readonly maxBodyBytes?: number
  /** Answer every request with `Connection: close`. Default false. */
  readonly disableKeepAlives?: boolean
  /** Serve HTTPS with this key and certificate (ALPN `http/1.1`). */
  readonly tls?: TlsOptions
  /** Called on every connection state change (Go's `ConnState`), in the connection's fiber. */
  readonly connState?: (info: ConnInfo, state: ConnState) => Effect.Effect<void>
  /** The listen backlog. Default 511. */
  readonly backlog?: number
}

/** The defaults, in milliseconds (see {@link ServerOptions}). */
export const DEFAULTS = {
  readHeaderTimeoutMs: 10_000,
  readTimeoutMs: 60_000,
  writeTimeoutMs: 60_000,
  idleTimeoutMs: 120_000,
  shutdownTimeoutMs: 10_000
} as const

/** Settings with every default filled in, times in milliseconds. */
export interface ResolvedServerConfig {
  readonly readHeaderTimeoutMs: number
  readonly readTimeoutMs: number
  readonly writeTimeoutMs: number
  readonly idleTimeoutMs: number
  readonly shutdownTimeoutMs: number
  readonly maxHeaderBytes: number
  readonly maxBodyBytes: number
  readonly disableKeepAlives: boolean
  readonly connState: ((info: ConnInfo, state: ConnState) => Effect.Effect<void>) | undefined
}

const millis = (d: Duration.DurationInput | undefined, fallback: number): number =>
  d === undefined ? fallback : Math.max(0, Duration.toMillis(Duration.decode(d)))

const positive = (n: number | undefined, fallback: number): number =>
  n === undefined || !Number.isFinite(n) || n <= 0 ? fallback : Math.floor(n)

/** Fills in the defaults. */
export const resolve = <E, R>(options: ServerOptions<E, R>): ResolvedServerConfig => ({
  readHeaderTimeoutMs: millis(options.readHeaderTimeout, DEFAULTS.readHeaderTimeoutMs),
  readTimeoutMs: millis(options.readTimeout, DEFAULTS.readTimeoutMs),
  writeTimeoutMs: millis(options.writeTimeout, DEFAULTS.writeTimeoutMs),
  idleTimeoutMs: millis(options.idleTimeout, DEFAULTS.idleTimeoutMs),
  shutdownTimeoutMs: millis(options.shutdownTimeout, DEFAULTS.shutdownTimeoutMs),
  maxHeaderBytes: positive(options.maxHeaderBytes, DEFAULT_MAX_REQUEST_HEADER_BYTES),
  maxBodyBytes: positive(options.maxBodyBytes, Number.POSITIVE_INFINITY),
  disableKeepAlives: options.disableKeepAlives ?? false,
  connState: options.connState
})
