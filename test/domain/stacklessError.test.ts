/**
 * The errors a peer causes are made without a JavaScript stack (`StacklessTaggedError`): the
 * stack is the name and message only, the fields and `_tag` are as `Data.TaggedError` makes
 * them, and `Error.stackTraceLimit` is left as it was.
 */
import { describe, expect, it } from "@effect/vitest"
import { Data, Effect, Exit } from "effect"
import { MalformedMessage } from "../../src/domain/errors.js"
import { StacklessTaggedError } from "../../src/domain/stacklessError.js"
import { ConnError } from "../../src/net/errors.js"
import { RequestBodyError } from "../../src/server/errors.js"

describe("StacklessTaggedError", () => {
  it("the errors a peer causes carry their facts and message, and no stack frames", () => {
    const before = Error.stackTraceLimit
    const errors = [
      new MalformedMessage({ kind: "request", reason: "unexpected-eof", offset: 7, detail: "input ended inside the message" }),
      new RequestBodyError({ reason: "truncated", detail: "the client closed the connection before the body ended" }),
      new ConnError({ op: "read", code: "ECONNRESET", detail: "read ECONNRESET" })
    ]
    expect(Error.stackTraceLimit).toBe(before)
    for (const e of errors) {
      expect(e).toBeInstanceOf(Error)
      expect(e.stack).not.toContain("\n    at ")
      expect(e.stack).toContain(e.message)
    }
    expect(errors.map((e) => e._tag)).toEqual(["MalformedMessage", "RequestBodyError", "ConnError"])
    expect(errors[0]!.message).toBe("malformed HTTP request: input ended inside the message (unexpected-eof at byte 7)")
    expect((errors[2] as ConnError).code).toBe("ECONNRESET")
    // A Data.TaggedError made beside them still has its stack.
    class Other extends Data.TaggedError("Other")<{ readonly n: number }> {}
    expect(new Other({ n: 1 }).stack).toContain("\n    at ")
  })

  it("is yieldable, structurally equal and catchable by tag, as Data.TaggedError", () => {
    class Boom extends StacklessTaggedError("Boom")<{ readonly n: number }> {}
    expect(new Boom({ n: 1 })).toEqual(new Boom({ n: 1 }))
    const exit = Effect.runSyncExit(Effect.gen(function*() {
      return yield* new Boom({ n: 2 })
    }))
    expect(Exit.isFailure(exit) && exit.cause._tag === "Fail" && (exit.cause.error as Boom).n).toBe(2)
    const caught = Effect.runSync(Effect.catchTag(new Boom({ n: 3 }), "Boom", (e) => Effect.succeed(e.n)))
    expect(caught).toBe(3)
  })

  it("restores Error.stackTraceLimit as it was, whatever it was", () => {
    const before = Error.stackTraceLimit
    try {
      Error.stackTraceLimit = 25
      new ConnError({ op: "write", code: "EPIPE", detail: "x" })
      expect(Error.stackTraceLimit).toBe(25)
    } finally {
      Error.stackTraceLimit = before
    }
  })
})
