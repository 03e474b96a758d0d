/**
 * The CLI as one Effect: parse the arguments, run the command, and turn every outcome into an
 * exit code, printing a failure as one line on stderr (never a stack trace).
 *
 * @module
 */
import { Cause, Effect, Either } from "effect"
import { parseArgs } from "./args.js"
import { type CliError, describe, ExitCode, exitCodeOf, messageOf } from "./errors.js"
import { runGet } from "./get.js"
import { runServe } from "./serve.js"
import { Stdio } from "./Stdio.js"
import { USAGE } from "./usage.js"

/** Runs the CLI with `argv` (the arguments after the program's name); gives the exit code. */
export const run = (argv: ReadonlyArray<string>): Effect.Effect<number, never, Stdio> =>
  Effect.gen(function*() {
    const stdio = yield* Stdio
    const fail = (line: string, code: number) => Effect.sync(() => {
      stdio.err.write(line + "\n")
      return code
    })
    const parsed = parseArgs(argv)
    if (Either.isLeft(parsed)) return yield* fail(describe(parsed.left), exitCodeOf(parsed.left))
    const command = parsed.right
    const ran: Effect.Effect<number, CliError, Stdio> = command._tag === "Help"
      ? Effect.sync(() => {
        // --help asked for it: stdout, success; no arguments at all: stderr, a usage error.
        ;(command.explicit ? stdio.out : stdio.err).write(USAGE)
        return command.explicit ? ExitCode.ok : ExitCode.usage
      })
      : Effect.as(command._tag === "Get" ? runGet(command) : runServe(command), ExitCode.ok)
    return yield* ran.pipe(
      Effect.catchAll((error) => fail(describe(error), exitCodeOf(error))),
      // A defect is a bug of ours: still one line, not a stack trace.
      Effect.catchAllCause((cause) => fail(`effect-nethttp: internal error: ${messageOf(Cause.squash(cause))}`, ExitCode.failure))
    )
  })
