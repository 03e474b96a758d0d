/**
 * Whether a tracer is Effect's built-in one, which records nothing: the client and server skip
 * a span (about 10 µs, a whole round trip's budget) when no real tracer is installed.
 *
 * @module
 * @internal
 */
import { Effect, type Tracer } from "effect"

// Effect's built-in tracer, as the default runtime has it.
const nativeTracer: Tracer.Tracer = Effect.runSync(Effect.tracer)

/** Whether `tracer` is Effect's built-in one (spans made with it go nowhere). */
export const isNativeTracer = (tracer: Tracer.Tracer): boolean => tracer === nativeTracer
