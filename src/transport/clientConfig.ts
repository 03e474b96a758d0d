/**
 * The check of the Client's settings, run when its Layer is built.
 *
 * @module
 */
import { Either } from "effect"
import { checkDuration, type InvalidConfig } from "../domain/configErrors.js"
import type { ClientConfig } from "./clientService.js"

/**
 * A `ClientConfig`'s numeric settings, checked, in milliseconds.
 *
 * @since 0.1.0
 * @category models
 */
export interface ResolvedClientConfig {
  /** The total time limit of a request; 0 means none (Go's `Client.Timeout` of zero). */
  readonly timeoutMs: number
}

/**
 * Checks `config.timeout`: a duration `Duration.decode` reads, not negative and not NaN
 * (0 means no limit, `Duration.infinity` too). Fails with `InvalidConfig` naming the field.
 * Pure and synchronous; an `Either` is an Effect, so a Layer can `yield*` it.
 *
 * @since 0.1.0
 * @category constructors
 */
export const validateClientConfig = (config: ClientConfig = {}): Either.Either<ResolvedClientConfig, InvalidConfig> =>
  Either.map(checkDuration("Client", "timeout", config.timeout), (ms) => ({ timeoutMs: ms ?? 0 }))
