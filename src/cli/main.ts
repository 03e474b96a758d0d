/**
 * The CLI's entry point (`bin/effect-nethttp.mjs` imports it; `tsx src/cli/main.ts` runs it
 * too): runs {@link run} with the process's arguments and streams, and exits with its code.
 *
 * @module
 */
import { Effect } from "effect"
import { run } from "./cli.js"
import { Stdio } from "./Stdio.js"

// A reader that goes away (`get URL | head`) makes stdout fail with EPIPE: the write that
// fails reports it; without a listener the 'error' event would also crash the process.
process.stdout.on("error", () => {})

void Effect.runPromise(Effect.provide(run(process.argv.slice(2)), Stdio.layer)).then((code) => {
  process.exitCode = code
  // Everything was closed with the program's Scopes; should a handle still keep the event
  // loop alive, do not hang (unref: this timer alone keeps nothing alive).
  setTimeout(() => process.exit(code), 2000).unref()
})
