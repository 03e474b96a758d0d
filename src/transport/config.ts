/**
 * The Transport's settings, with Go's `Transport` field names in camelCase, and their
 * defaults (Go's `DefaultTransport`, except `maxIdleConnsPerHost`).
 *
 * @module
 */
import { Duration } from "effect"
import { DEFAULT_MAX_RESPONSE_HEADER_BYTES } from "../domain/http1/Parser.js"

/** What `Transport.layer` takes; every field is optional. */
export interface TransportConfig {
  /** Idle connections kept across all hosts; 0 means no limit. Default 100 (Go's DefaultTransport). */
  readonly maxIdleConns?: number
  /**
   * Idle connections kept per host. Default 100, NOT Go's 2 (`DefaultMaxIdleConnsPerHost`):
   * with 2, a client running 50 requests at a time to one host closes 48 connections after
   * every wave and dials them again, the most-cited pitfall of Go's client. 0 keeps none.
   */
  readonly maxIdleConnsPerHost?: number
  /** Connections per host counting dialing, active and idle; 0 means no limit (Go's default). */
  readonly maxConnsPerHost?: number
  /** How long a connection may stay idle before it is closed; 0 means forever. Default 90 s. */
  readonly idleConnTimeout?: Duration.DurationInput
  /** How long to wait for a response head once the request is written; 0 means no limit (Go's default). */
  readonly responseHeaderTimeout?: Duration.DurationInput
  /** How long a request with `Expect: 100-continue` waits for 100 before sending its body. Default 1 s. */
  readonly expectContinueTimeout?: Duration.DurationInput
  /** Send `Connection: close` and use every connection once. Default false. */
  readonly disableKeepAlives?: boolean
  /** Do not ask for gzip (no transparent decompression). Default false. */
  readonly disableCompression?: boolean
  /** The response head limit in bytes. Default 10 MiB (Go's default). */
  readonly maxResponseHeaderBytes?: number
  /** How long a TCP connect may take. Default 30 s (Go's DefaultTransport dialer). Ignored by `layerWithDialer`. */
  readonly dialTimeout?: Duration.DurationInput
  /** Informational (1xx) responses skipped before a final one; more fail the round trip. Default 5 (Go's). */
  readonly max1xxResponses?: number
}

/** A `TransportConfig` with every default filled in, times in milliseconds. */
export interface ResolvedConfig {
  readonly maxIdleConns: number
  readonly maxIdleConnsPerHost: number
  readonly maxConnsPerHost: number
  readonly idleConnTimeoutMs: number
  readonly responseHeaderTimeoutMs: number
  readonly expectContinueTimeoutMs: number
  readonly disableKeepAlives: boolean
  readonly disableCompression: boolean
  readonly maxResponseHeaderBytes: number
  readonly dialTimeoutMs: number
  readonly max1xxResponses: number
}

/** The default for `maxIdleConnsPerHost` (see {@link TransportConfig.maxIdleConnsPerHost}). */
export const DEFAULT_MAX_IDLE_CONNS_PER_HOST = 100

const millis = (d: Duration.DurationInput | undefined, fallback: number): number =>
  d === undefined ? fallback : Duration.toMillis(Duration.decode(d))

const count = (n: number | undefined, fallback: number): number =>
  n === undefined || !Number.isFinite(n) || n < 0 ? fallback : Math.floor(n)

/** Fills in the defaults. Negative or non-finite counts take the default. */
export const resolve = (config: TransportConfig = {}): ResolvedConfig => ({
  maxIdleConns: count(config.maxIdleConns, 100),
  maxIdleConnsPerHost: count(config.maxIdleConnsPerHost, DEFAULT_MAX_IDLE_CONNS_PER_HOST),
  maxConnsPerHost: count(config.maxConnsPerHost, 0),
  idleConnTimeoutMs: millis(config.idleConnTimeout, 90_000),
  responseHeaderTimeoutMs: millis(config.responseHeaderTimeout, 0),
  expectContinueTimeoutMs: millis(config.expectContinueTimeout, 1_000),
  disableKeepAlives: config.disableKeepAlives ?? false,
  disableCompression: config.disableCompression ?? false,
  maxResponseHeaderBytes: count(config.maxResponseHeaderBytes, DEFAULT_MAX_RESPONSE_HEADER_BYTES),
  dialTimeoutMs: millis(config.dialTimeout, 30_000),
  max1xxResponses: count(config.max1xxResponses, 5)
})
