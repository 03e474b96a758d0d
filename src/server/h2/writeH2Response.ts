/**
 * Writing a response on an HTTP/2 stream, as Go's `http2responseWriter` does: `:status`, the
 * handler's fields under lower-case names (RFC 9113 §8.2.1) without the connection-specific
 * ones (RFC 9113 §8.2.2: Connection, Keep-Alive, Proxy-Connection, Transfer-Encoding, Upgrade;
 * `Connection: close` asks for the connection's graceful close, as Go's `startGracefulShutdown`),
 * `date` and a sniffed `content-type` when the handler set none, `content-length` when the body's
 * length is known; the body whole (`end`) or chunk by chunk with the stream's backpressure
 * (flow control: a client that does not read stops us); trailers as a last HEADERS frame.
 * A body that breaks its declared Content-Length resets the stream (Go: "handler wrote more
 * than declared Content-Length").
 *
 * May touch: one `ServerHttp2Stream`'s writes; nothing of the session.
 *
 * @module
 * @internal
 */
import { Effect } from "effect"
import type * as http2 from "node:http2"
import { constants } from "node:http2"
import * as Body from "../../domain/Body.js"
import type { Headers } from "../../domain/Headers.js"
import { addField, H2Fields } from "../../domain/h2Fields.js"
import { sanitizeFieldValue } from "../../domain/http1/writer.js"
import * as Status from "../../domain/Status.js"
import { valueHasToken } from "../../domain/tokenList.js"
import { drainOrClose } from "../../net/drainOrClose.js"
import { ConnError } from "../../net/errors.js"
import { cannedText } from "../cannedReplies.js"
import { declaredLength } from "../responseWriter.js"
import type { ServerResponse } from "../ServerResponse.js"
import { detectContentType, SNIFF_LEN } from "../sniff.js"

/**
 * What writing a response needs of its stream's exchange.
 *
 * @internal
 */
export interface H2ResponseTarget {
  readonly stream: http2.ServerHttp2Stream
  readonly method: string
  /** The `date` value for now. */
  date(): string
  /** The final head is going out: no `100 Continue` after it. */
  headSent(): void
  /** The handler answered `Connection: close`: close the connection gracefully after this stream (GOAWAY). */
  closeAfter(): void
  /** A write waits for the client's flow-control window since this clock reading (-1: none waits); the write deadline judges it. */
  writeWaitSince: number
  /** The clock now (epoch ms). */
  now(): number
  /** Resets the stream with `code` (RST_STREAM), as the server's own decision. */
  reset(code: number): void
}

const VOID = Effect.void


/** The handler's fields with what `planResponse` would add, for `status`. */
class Planned {
  readonly fields = new H2Fields()
  declared: number | undefined = undefined
  hasType = false
  hasEncoding = false
  close = false

  constructor(response: ServerResponse<unknown>, date: string) {
    const status = response.status
    const fields = this.fields
    fields[":status"] = status
    const headers = response.headers
    let hasDate = false
    let lengths = 0
    let lengthValue: string | undefined = undefined
    for (let i = 0, n = headers.size; i < n; i++) {
      const name = headers.nameAt(i)!
      const value = sanitizeFieldValue(headers.valueAt(i)!)
      switch (name) {
        case "Connection":
          if (valueHasToken(value, "close")) this.close = true
          continue
        case "Keep-Alive":
        case "Proxy-Connection":
        case "Transfer-Encoding":
        case "Upgrade":
          continue
        case "Content-Length":
          lengths++
          lengthValue = value
          continue
        case "Date":
          hasDate = true
          break
        case "Content-Type":
          this.hasType = true
          if (status === Status.NotModified) continue
          break
        case "Content-Encoding":
          if (value !== "") this.hasEncoding = true
          break
      }
      addField(fields, name, value)
    }
    if (!hasDate) fields["date"] = date
    // Go: a Content-Length that parses frames the body; 1xx and 204 carry none (RFC 9110 §8.6).
    if (lengths === 1 && status !== Status.NoContent && !Status.isInformational(status)) this.declared = declaredLength(lengthValue!)
  }

  /** Adds `content-type` sniffed from the first bytes, when the handler set none and the body is not encoded. */
  sniff(first: Uint8Array): void {
    if (this.hasType || this.hasEncoding || first.length === 0) return
    this.fields["content-type"] = detectContentType(first.length > SNIFF_LEN ? first.subarray(0, SNIFF_LEN) : first)
  }
}

/** Trailer fields as `node:http2` takes them. */
const trailerFields = (headers: Headers): H2Fields => {
  const out = new H2Fields()
  for (let i = 0, n = headers.size; i < n; i++) addField(out, headers.nameAt(i)!, sanitizeFieldValue(headers.valueAt(i)!))
  return out
}

/** `stream.respond`, which throws on a field `node:http2` refuses (a name with a space, say): then a ConnError. */
const respondNow = (stream: http2.ServerHttp2Stream, fields: H2Fields, endStream: boolean, waitForTrailers: boolean): ConnError | undefined => {
  if (stream.destroyed || stream.closed) return new ConnError({ op: "write", code: "closed", detail: "the stream was reset by the client" })
  try {
    stream.respond(fields, { endStream, waitForTrailers })
    return undefined
  } catch (error) {
    return new ConnError({ op: "write", code: "ERR_HTTP2_INVALID_HEADER", detail: String((error as Error)?.message ?? error) })
  }
}

/** Sends `trailers` when the stream asks for them (`waitForTrailers`). */
const onWantTrailers = (t: H2ResponseTarget, trailers: Effect.Effect<Headers, unknown>): void => {
  const stream = t.stream
  stream.once("wantTrailers", () => {
    // Trailers are computed by the time the body ended (they are an Effect over state the body filled).
    Effect.runCallback(trailers, {
      onExit: (exit) => {
        if (stream.destroyed) return
        if (exit._tag === "Success") {
          try {
            stream.sendTrailers(trailerFields(exit.value))
            return
          } catch {
            // refused fields: reset below
          }
        }
        t.reset(constants.NGHTTP2_INTERNAL_ERROR)
      }
    })
  })
}

/**
 * Writes `response` on the target's stream; completes when the last bytes were handed to the
 * stream. Fails with a `ConnError` when the stream was reset or a field refused before the
 * head went out (the caller answers 500 if it still can); a failure after the head resets the
 * stream.
 *
 * @internal
 */
export const respondH2 = (t: H2ResponseTarget, response: ServerResponse<unknown>): Effect.Effect<void, ConnError> => {
  const stream = t.stream
  const plan = new Planned(response, t.date())
  if (plan.close) t.closeAfter()
  const status = response.status
  const sendBody = Status.bodyAllowed(status) && t.method !== "HEAD"
  const body = response.body
  const trailers = sendBody ? response.trailers : undefined
  if (body._tag === "Empty" || body._tag === "Bytes" || !sendBody) {
    const bytes = body._tag === "Bytes" ? body.bytes : undefined
    const n = bytes === undefined ? 0 : bytes.length
    if (Status.bodyAllowed(status)) {
      if (plan.declared === undefined) {
        if (body._tag === "Empty" || body._tag === "Bytes") plan.fields["content-length"] = n
      } else plan.fields["content-length"] = plan.declared
      if (bytes !== undefined) plan.sniff(bytes)
    }
    const mismatch = sendBody && plan.declared !== undefined && plan.declared !== n && (body._tag === "Bytes" || body._tag === "Empty")
    t.headSent()
    const withTrailers = trailers !== undefined && !mismatch
    const end = !withTrailers && (!sendBody || n === 0)
    const refused = respondNow(stream, plan.fields, end, withTrailers)
    if (refused !== undefined) return Effect.fail(refused)
    if (withTrailers) onWantTrailers(t, trailers)
    if (mismatch) {
      t.reset(constants.NGHTTP2_INTERNAL_ERROR)
      return Effect.logError(`effect-nethttp server: the response body has ${n} bytes, not the ${plan.declared} its Content-Length announced; the stream was reset`)
    }
    if (!end) stream.end(bytes)
    return VOID
  }
  return writeStream(t, plan, body, trailers)
}

/** A streamed body: the head with the first chunk (sniffed), then every chunk as the client takes them. */
const writeStream = (
  t: H2ResponseTarget,
  plan: Planned,
  body: Body.StreamBody<unknown> | Body.RewindableBody<unknown>,
  trailers: Effect.Effect<Headers, unknown> | undefined
): Effect.Effect<void, ConnError> => {
  // A stream of known length (`ServerResponse.stream(s, { length })`) is framed by it, as the handler's Content-Length.
  if (plan.declared === undefined) plan.declared = Body.contentLength(body)
  const out = new StreamOut(t, plan, trailers)
  return Effect.matchCauseEffect(Body.forEachChunk(body, out.write), {
    onFailure: (cause) => {
      if (!out.started) return Effect.failCause(cause) as Effect.Effect<never, ConnError>
      t.reset(constants.NGHTTP2_INTERNAL_ERROR)
      return Effect.logError("effect-nethttp server: response body failed; the stream was reset", cause)
    },
    onSuccess: () => out.finish()
  })
}

/** A streamed body on its way out. */
class StreamOut {
  started = false
  written = 0
  constructor(private readonly t: H2ResponseTarget, private readonly plan: Planned, private readonly trailers: Effect.Effect<Headers, unknown> | undefined) {}

  private start(first: Uint8Array | undefined): ConnError | undefined {
    this.started = true
    const plan = this.plan
    if (plan.declared !== undefined) plan.fields["content-length"] = plan.declared
    if (first !== undefined) plan.sniff(first)
    this.t.headSent()
    const refused = respondNow(this.t.stream, plan.fields, false, this.trailers !== undefined)
    if (refused === undefined && this.trailers !== undefined) onWantTrailers(this.t, this.trailers)
    return refused
  }

  readonly write = (chunk: Uint8Array): Effect.Effect<void, ConnError> => {
    if (!this.started) {
      const refused = this.start(chunk)
      if (refused !== undefined) return Effect.fail(refused)
    }
    if (chunk.length === 0) return VOID
    const stream = this.t.stream
    const declared = this.plan.declared
    if (declared !== undefined && this.written + chunk.length > declared) {
      this.t.reset(constants.NGHTTP2_INTERNAL_ERROR)
      return Effect.fail(new ConnError({ op: "write", code: "ERR_CONTENT_LENGTH", detail: `the response body is longer than its announced ${declared} bytes; the stream was reset` }))
    }
    this.written += chunk.length
    if (stream.destroyed) return Effect.fail(resetError)
    return stream.write(chunk) ? VOID : drained(this.t)
  }

  finish(): Effect.Effect<void, ConnError> {
    if (!this.started) {
      const refused = this.start(undefined)
      if (refused !== undefined) return Effect.fail(refused)
    }
    const stream = this.t.stream
    const declared = this.plan.declared
    if (declared !== undefined && this.written !== declared) {
      this.t.reset(constants.NGHTTP2_INTERNAL_ERROR)
      return Effect.logError(`effect-nethttp server: the response body had ${this.written} bytes, not the ${declared} announced; the stream was reset`)
    }
    if (!stream.destroyed) stream.end()
    return VOID
  }
}

const resetError = new ConnError({ op: "write", code: "closed", detail: "the stream was reset by the client" })

/** Waits until the stream takes more (the client's flow-control window opened), or fails when it closes first; the write deadline judges the wait. */
const drained = (t: H2ResponseTarget): Effect.Effect<void, ConnError> =>
  Effect.suspend(() => {
    t.writeWaitSince = t.now()
    return Effect.flatMap(drainOrClose(t.stream), (took) => {
      t.writeWaitSince = -1
      return took ? VOID : Effect.fail(resetError)
    }).pipe(Effect.onInterrupt(() => Effect.sync(() => void (t.writeWaitSince = -1))))
  })

/**
 * The text answer the server writes itself on a stream (a handler's failure, a request it
 * refuses): `status`, text/plain, `<code> <reason>[: detail]`.
 *
 * @internal
 */
export const cannedH2 = (t: H2ResponseTarget, status: number, detail?: string): void => {
  const text = cannedText(status, detail)
  const fields = new H2Fields()
  fields[":status"] = status
  fields["content-type"] = "text/plain; charset=utf-8"
  fields["content-length"] = Buffer.byteLength(text)
  fields["date"] = t.date()
  t.headSent()
  // HEAD: the GET's fields, no content (RFC 9110 §9.3.2).
  const head = t.method === "HEAD"
  if (respondNow(t.stream, fields, head, false) !== undefined) return
  if (!head) t.stream.end(text)
}
