/**
 * `effect-nethttp get URL`: a GET through the `Client` (Go's redirect rules, proxies from the
 * environment, TLS verification on), the body written to stdout or a file with a progress bar
 * on stderr, connection events traced with `--trace`.
 *
 * @module
 */
import { Effect, Exit, Layer, Stream } from "effect"
import type { InvalidConfig } from "../domain/configErrors.js"
import * as Body from "../domain/Body.js"
import { Client } from "../transport/Client.js"
import { ClientTrace } from "../transport/ClientTrace.js"
import * as Redirect from "../transport/redirect.js"
import { redacted } from "../domain/redact.js"
import { Transport } from "../transport/Transport.js"
import type { GetCommand } from "./args.js"
import { type CliError, Interrupted, StatusError } from "./errors.js"
import { type BodySink, fileSink, streamSink } from "./output.js"
import { makeProgressMeter, type ProgressMeter } from "./progressMeter.js"
import { awaitSignal } from "./signals.js"
import { makeStatusLine, type StatusLine } from "./statusLine.js"
import { Stdio, type StdioService } from "./Stdio.js"
import { makeTracer, type Tracer } from "./trace.js"

/**
 * Whether `get` shows a progress bar: when the body goes to a file, or when stderr is a
 * terminal and the body does not go to one (a bar would be drawn into the body's text).
 */
export const showsProgress = (command: Pick<GetCommand, "output">, stdio: Pick<StdioService, "outIsTTY" | "errIsTTY">): boolean =>
  command.output !== undefined || (stdio.errIsTTY && !stdio.outIsTTY)

/** The Client for a command: its timeout, Go's redirect policy, the default Transport; traced when asked. */
const clientLayer = (command: GetCommand, tracer: Tracer | undefined): Layer.Layer<Client, InvalidConfig> => {
  const transport = tracer === undefined
    ? Transport.layerDefault
    : Layer.effect(Transport, Effect.map(Transport, tracer.transport)).pipe(Layer.provide(Transport.layerDefault))
  return Client.layer({
    ...(command.timeoutMs === undefined || command.timeoutMs <= 0 ? {} : { timeout: command.timeoutMs }),
    checkRedirect: tracer === undefined ? Redirect.defaultPolicy : tracer.policy(Redirect.defaultPolicy)
  }).pipe(Layer.provide(transport))
}

/**
 * Copies the body into the sink and closes it, counting the bytes on the meter; the meter ends
 * with the copy, whatever its end. Gives the number of bytes.
 */
const copyBody = <E>(body: Body.Body<E>, sink: BodySink, meter: ProgressMeter | undefined) =>
  Stream.runFoldEffect(Body.toStream(body), 0, (n, chunk) =>
    Effect.as(Effect.zipRight(sink.write(chunk), Effect.sync(() => meter?.add(chunk.length))), n + chunk.length)).pipe(
      Effect.zipLeft(sink.close),
      Effect.onExit((exit) => (meter === undefined ? Effect.void : meter.finish(Exit.isSuccess(exit))))
    )

const download = (command: GetCommand, stdio: StdioService, status: StatusLine, tracer: Tracer | undefined): Effect.Effect<void, CliError, Client> =>
  Effect.scoped(Effect.gen(function*() {
    const client = yield* Client
    const response = yield* client.get(command.url, { headers: command.headers })
    const sink = command.output === undefined ? streamSink("stdout", stdio.out) : yield* fileSink(command.output)
    const meter = showsProgress(command, stdio)
      ? yield* makeProgressMeter({ total: response.contentLength, destination: sink.name, status, tty: stdio.errIsTTY })
      : undefined
    const bytes = yield* copyBody(response.body, sink, meter)
    tracer?.event(`body done, ${bytes} bytes`)
    if (response.status < 200 || response.status > 299) {
      const url = response.request === undefined ? command.url : response.request.url
      return yield* Effect.fail(
        new StatusError({
          method: "GET",
          url: redacted(url),
          statusLine: `${response.proto} ${response.status}${response.statusText === "" ? "" : " " + response.statusText}`,
          status: response.status
        })
      )
    }
  }))

/**
 * Runs `get`: the body to stdout or `-o FILE`; fails with the request's error, a
 * `StatusError` after writing the body of a non-2xx answer, an `OutputError`, or `Interrupted`
 * when SIGINT or SIGTERM arrives first (the download is stopped, its connection closed).
 */
export const runGet = (command: GetCommand): Effect.Effect<void, CliError, Stdio> =>
  Effect.gen(function*() {
    const stdio = yield* Stdio
    const status = makeStatusLine((text) => stdio.err.write(text), stdio.errIsTTY)
    const tracer = command.trace ? makeTracer(status.print, () => performance.now()) : undefined
    const traced = download(command, stdio, status, tracer).pipe(
      tracer === undefined ? (e) => e : Effect.provideService(ClientTrace, tracer.hooks),
      Effect.provide(clientLayer(command, tracer))
    )
    const signalled = Effect.flatMap(awaitSignal, (signal) => Effect.fail(new Interrupted({ signal })))
    yield* Effect.raceFirst(traced, signalled).pipe(Effect.ensuring(Effect.sync(() => status.clear())))
  })
