/**
 * `Data.TaggedError` without a JavaScript stack, for the errors a peer causes: a reset, a
 * truncated body, a malformed message. A server meets them by the thousand under attack (a
 * client resetting half-sent uploads makes three per connection), capturing a stack costs
 * ~6 µs each, and the stack would only show our parser or the fiber scheduler: the facts are
 * the error's fields and its message, and Effect's span trace says where it was met. Go's
 * errors carry no stack either.
 *
 * @module
 */
import { Data } from "effect"

/** The class `Data.TaggedError(tag)` makes. */
type TaggedErrorClass<Tag extends string> = ReturnType<typeof Data.TaggedError<Tag>>

/**
 * `Data.TaggedError(tag)`, whose instances are made with V8's stack capture off
 * (`Error.stackTraceLimit` is 0 while the constructor runs, and restored at once): `stack`
 * holds the name and message only.
 *
 * @internal
 */
export const StacklessTaggedError = <Tag extends string>(tag: Tag): TaggedErrorClass<Tag> => {
  const Base = Data.TaggedError(tag) as unknown as new(args: unknown) => object
  class Stackless extends Base {
    constructor(args: unknown) {
      const limit = Error.stackTraceLimit
      Error.stackTraceLimit = 0
      try {
        super(args)
      } finally {
        Error.stackTraceLimit = limit
      }
    }
  }
  return Stackless as unknown as TaggedErrorClass<Tag>
}

/**
 * `f()` with V8's stack capture off: errors made while it runs (ours or Node's) carry no stack.
 * `Error.stackTraceLimit` is restored before it returns or throws.
 *
 * @internal
 */
export const withoutStackTraces = <A>(f: () => A): A => {
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 0
  try {
    return f()
  } finally {
    Error.stackTraceLimit = limit
  }
}
