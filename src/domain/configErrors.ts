/**
 * The error a Layer fails with when one of its settings is out of range, and the pure checks
 * behind it, shared by the Transport, the Client and the Server (which never import each
 * other).
 *
 * @module
 */
import { Data, Duration, Either } from "effect"

/**
 * Which part of the library a setting belongs to.
 *
 * @since 0.1.0
 * @category errors
 */
export type ConfigComponent = "Transport" | "Client" | "Server" | "Dialer" | "Cluster"

/**
 * A setting that makes no sense: a negative count where a negative means nothing, a fraction
 * where a whole number is needed, NaN, a number past its range, a duration that does not
 * parse. Building the Layer fails with it (Go would run on with the value and misbehave
 * later; here nothing is coerced in silence).
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidConfig extends Data.TaggedError("InvalidConfig")<{
  /** The Layer whose settings are wrong. */
  readonly component: ConfigComponent
  /** The setting's name, as written in the config object (e.g. `"maxIdleConnsPerHost"`). */
  readonly field: string
  /** The value given. */
  readonly value: unknown
  /** What is wrong with it and what is accepted instead. */
  readonly reason: string
}> {
  override get message(): string {
    return `invalid ${this.component} setting ${this.field} = ${show(this.value)}: ${this.reason}`
  }
}

const show = (value: unknown): string => {
  if (typeof value === "string") return JSON.stringify(value)
  if (typeof value === "bigint") return `${value}n`
  if (Array.isArray(value)) return `[${value.map(show).join(", ")}]`
  if (Duration.isDuration(value)) return `Duration(${Duration.format(value)})`
  return String(value)
}

/**
 * The largest delay a JavaScript timer takes (about 24.8 days); Effect's clock treats longer
 * ones as infinite.
 *
 * @internal
 */
export const MAX_TIMER_MILLIS = 2 ** 31 - 1

/** @internal */
export type Check<A> = Either.Either<A, InvalidConfig>

/**
 * A whole number in `[min, max]` (`max` defaults to `Number.MAX_SAFE_INTEGER`), or undefined
 * (not set). NaN, fractions and infinities fail.
 *
 * @internal
 */
export const checkInteger = (
  component: ConfigComponent,
  field: string,
  value: number | undefined,
  min: number,
  max: number = Number.MAX_SAFE_INTEGER,
  meaning: string = "a whole number"
): Check<number | undefined> => {
  if (value === undefined) return Either.right(undefined)
  const fail = (reason: string) => Either.left(new InvalidConfig({ component, field, value, reason }))
  if (typeof value !== "number" || Number.isNaN(value)) return fail(`expected ${meaning}, got ${typeof value === "number" ? "NaN" : typeof value}`)
  const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`
  if (!Number.isFinite(value)) return fail(`expected ${meaning} ${range}, got an infinity`)
  if (!Number.isInteger(value)) return fail(`expected ${meaning}, got a fraction`)
  if (value < min) return fail(min === 0 ? `expected ${meaning} >= 0, got a negative number` : `expected ${meaning} ${range}`)
  if (value > max) return fail(`expected ${meaning} ${range}`)
  return Either.right(value)
}

/**
 * Whether a `DurationInput` is written as a negative amount (`-1`, `-1n`, `"-1 seconds"`,
 * `[-1, 0]`). A decoded `Duration` is never negative (Effect clamps to zero), so a check must
 * look at the input.
 *
 * @internal
 */
export const isNegativeDurationInput = (input: Duration.DurationInput): boolean => {
  if (typeof input === "number") return input < 0
  if (typeof input === "bigint") return input < 0n
  if (typeof input === "string") {
    const amount = /^\s*(-?\d+(?:\.\d+)?)\s/.exec(input)
    return amount !== null && Number(amount[1]) < 0
  }
  if (Array.isArray(input)) return input[0] * 1e9 + input[1] < 0
  return false
}

/**
 * A duration in milliseconds, or undefined (not set). Fails on what `Duration.decode` would
 * throw on, silently turn into zero (NaN, a negative amount) or cannot mean: a string that
 * does not parse, NaN anywhere, a negative amount (unless `negative` says what it means: then
 * it answers `negative`). Infinity is accepted (Effect's `Duration.infinity`: never).
 *
 * @internal
 */
export const checkDuration = (
  component: ConfigComponent,
  field: string,
  value: Duration.DurationInput | undefined,
  negative?: number
): Check<number | undefined> => {
  if (value === undefined) return Either.right(undefined)
  const fail = (reason: string) => Either.left(new InvalidConfig({ component, field, value, reason }))
  if (typeof value === "number" && Number.isNaN(value)) return fail("expected a duration, got NaN")
  if (Array.isArray(value) && value.some((n) => typeof n !== "number" || Number.isNaN(n) || n === Number.NEGATIVE_INFINITY)) {
    return fail("expected a duration [seconds, nanos] of two numbers")
  }
  if (isNegativeDurationInput(value)) {
    return negative === undefined ? fail("expected a duration >= 0, got a negative one") : Either.right(negative)
  }
  let decoded: Duration.Duration
  try {
    decoded = Duration.decode(value)
  } catch (e) {
    return fail(`not a duration (${e instanceof Error ? e.message : String(e)}); write e.g. "10 seconds", 10000 (ms) or Duration.seconds(10)`)
  }
  const ms = Duration.toMillis(decoded)
  if (Number.isNaN(ms)) return fail("expected a duration, got NaN")
  return Either.right(ms)
}
