/**
 * `get --trace`: the connection events of every hop (Go's `httptrace` hooks from
 * `ClientTrace`), each request and response line, and each redirect followed, printed as one
 * line each with the milliseconds since the start:
 *
 * ```
 * *      0.4 ms  request GET http://127.0.0.1:8080/a
 * *      0.6 ms  getConn 127.0.0.1:8080
 * *      0.9 ms  connectStart tcp 127.0.0.1:8080
 * *      1.8 ms  connectDone tcp 127.0.0.1:8080
 * *      2.0 ms  gotConn reused=false wasIdle=false conn=1
 * *      2.3 ms  wroteRequest
 * *      3.1 ms  gotFirstResponseByte
 * *      3.3 ms  response HTTP/1.1 302 Found  Location: /b
 * *      3.5 ms  redirect 302 -> http://127.0.0.1:8080/b
 * ```
 *
 * The hooks see the Transport's events; the request and response lines come from a wrapper
 * around the Transport (`Transport.wrap`: every hop goes through its one primitive), the
 * redirect lines from a wrapper around the redirect policy.
 *
 * @module
 */
import { Effect } from "effect"
import type { Request } from "../domain/Request.js"
import type { Response } from "../domain/Response.js"
import type { ClientTraceHooks, GotConnInfo } from "../transport/ClientTrace.js"
import type { RedirectPolicy } from "../transport/redirect.js"
import { wrap } from "../transport/roundTrip.js"
import type { TransportService } from "../transport/Transport.js"
import { redacted } from "../domain/redact.js"

/** One trace line: `*` and the time since the start, right-aligned, then the event. */
export const formatTraceLine = (elapsedMs: number, event: string): string =>
  `* ${Math.max(0, elapsedMs).toFixed(1).padStart(8)} ms  ${event}`

/** The `gotConn` event's text. */
export const formatGotConn = (info: GotConnInfo): string =>
  `gotConn reused=${info.reused} wasIdle=${info.wasIdle}${info.wasIdle ? ` idle=${info.idleTimeMs}ms` : ""} conn=${info.connId}${info.protocol === "h2" ? " h2" : ""}`

/** A response's line: `response HTTP/1.1 302 Found  Location: /b` (the Location only on a 3xx). */
export const formatResponse = (response: Pick<Response<unknown>, "proto" | "status" | "statusText" | "headers">): string => {
  const head = `response ${response.proto} ${response.status}${response.statusText === "" ? "" : " " + response.statusText}`
  const location = response.status >= 300 && response.status < 400 ? response.headers.get("Location") : undefined
  return location === undefined ? head : `${head}  Location: ${location}`
}

const failed = (what: string, error: string | undefined): string => (error === undefined ? what : `${what} error=${JSON.stringify(error)}`)

/** Prints trace events; build one per command with {@link makeTracer}. */
export interface Tracer {
  /** The hooks to provide as the `ClientTrace` service. */
  readonly hooks: ClientTraceHooks
  /** The Transport with every hop's request and response line traced. */
  readonly transport: (inner: TransportService) => TransportService
  /** The redirect policy with every redirect followed traced. */
  readonly policy: (inner: RedirectPolicy) => RedirectPolicy
  /** Prints an event of the caller's (e.g. the end of the body). */
  readonly event: (text: string) => void
}

/**
 * A tracer printing with `print` (one line, no line ending); `now` gives milliseconds
 * (e.g. `performance.now`), and times are counted from the tracer's creation.
 */
export const makeTracer = (print: (line: string) => void, now: () => number): Tracer => {
  const start = now()
  const emit = (event: string): void => print(formatTraceLine(now() - start, event))
  // The last response seen, for the redirect line (the policy is not told the status).
  let lastStatus = 0

  const hooks: ClientTraceHooks = {
    getConn: (hostPort) => emit(`getConn ${hostPort}`),
    connectStart: (network, addr) => emit(`connectStart ${network} ${addr}`),
    connectDone: (network, addr, error) => emit(failed(`connectDone ${network} ${addr}`, error)),
    tlsHandshakeStart: () => emit("tlsHandshakeStart"),
    tlsHandshakeDone: (error) => emit(failed("tlsHandshakeDone", error)),
    gotConn: (info) => emit(formatGotConn(info)),
    wroteHeaders: () => emit("wroteHeaders"),
    wroteRequest: (error) => emit(failed("wroteRequest", error)),
    gotFirstResponseByte: () => emit("gotFirstResponseByte"),
    got100Continue: () => emit("got100Continue"),
    got1xxResponse: (status) => emit(`got1xxResponse ${status}`),
    putIdleConn: (error) => emit(error === undefined ? "putIdleConn" : `putIdleConn not kept: ${error}`)
  }

  const sent = <E>(request: Request<E>): void => emit(`request ${request.method} ${redacted(request.url)}`)
  const received = (response: Response<unknown>): void => {
    lastStatus = response.status
    emit(formatResponse(response))
  }

  // Every hop goes through the Transport's one primitive, whatever method the caller used.
  const transport = (inner: TransportService): TransportService =>
    wrap(inner, (next) => (request, scope) =>
      Effect.suspend(() => {
        sent(request)
        return Effect.tap(next(request, scope), (response) => Effect.sync(() => received(response)))
      }))

  const policy = (inner: RedirectPolicy): RedirectPolicy => (next, via) =>
    Effect.tap(inner(next, via), (decision) =>
      Effect.sync(() => {
        if (decision === "follow") emit(`redirect ${lastStatus} -> ${redacted(next.url)}`)
      }))

  return { hooks, transport, policy, event: emit }
}
