/**
 * The connection side of a request made by `ServerRequest.make` (internal): its body read
 * from memory or a stream, its trailers given, its interim responses recorded, no connection
 * to hijack. `recordResponse` (record.ts) reads what it recorded.
 *
 * @module
 * @internal
 */
import { Chunk, Effect, Exit, Option, Scope, Stream } from "effect"
import * as Body from "../domain/Body.js"
import { Headers } from "../domain/Headers.js"
import type { RequestHead } from "../domain/http1/MessageHead.js"
import * as Status from "../domain/Status.js"
import { HijackError, InterimResponseError, RequestBodyError } from "./errors.js"
import type { Hijacked, RequestIO } from "./requestIO.js"

/**
 * An interim (1xx) response the handler sent before its final one (Go's
 * `ResponseRecorder` keeps only the final one; Go 1.19+ servers send these from `WriteHeader`).
 *
 * @since 0.1.0
 * @category testing
 */
export class RecordedInterim {
  constructor(
    readonly status: number,
    /** The fields as they go on the wire (Content-Length, Transfer-Encoding and Trailer left out). */
    readonly headers: Headers
  ) {}
}

/**
 * The `RequestIO` of a request made by `ServerRequest.make`: its body read from memory or a
 * stream, its trailers given, its interim responses recorded, no connection to hijack.
 * @internal
 */
export class RecordingIO implements RequestIO {
  readonly interims: Array<RecordedInterim> = []
  /** Set once the final response was started: no interim response after it. */
  finalStarted = false
  /** The client waits for 100 Continue before sending the body (an `Expect: 100-continue`). */
  continuePending: boolean
  bodyDone: boolean
  bodyRead = 0
  bodyError: RequestBodyError | undefined = undefined
  private buffered: Chunk.Chunk<Uint8Array> = Chunk.empty()
  private streamPull: Effect.Effect<Chunk.Chunk<Uint8Array>, Option.Option<RequestBodyError>> | undefined = undefined
  private scope: Scope.CloseableScope | undefined = undefined
  private readonly pullEffect: Effect.Effect<Uint8Array, Option.Option<RequestBodyError>>

  constructor(
    private readonly head: RequestHead,
    body: Body.Body<RequestBodyError>,
    private readonly trailerFields: Headers | undefined
  ) {
    this.bodyDone = head.framing === "none" || head.contentLength === 0
    this.continuePending = !this.bodyDone && head.versionMinor >= 1 && head.headers.get("Expect")?.toLowerCase() === "100-continue"
    const stream = Body.toStream(body)
    this.pullEffect = Effect.suspend(() => this.next(stream))
  }

  get pull(): Effect.Effect<Uint8Array, Option.Option<RequestBodyError>> {
    return this.pullEffect
  }

  private next(stream: Stream.Stream<Uint8Array, RequestBodyError>): Effect.Effect<Uint8Array, Option.Option<RequestBodyError>> {
    if (this.bodyError !== undefined) return Effect.fail(Option.some(this.bodyError))
    if (this.bodyDone) return Effect.fail(Option.none())
    if (this.continuePending) {
      // The server sends 100 Continue on the body's first read (Go's expectContinueReader).
      this.continuePending = false
      this.interims.push(new RecordedInterim(Status.Continue, Headers.empty()))
    }
    const chunk = this.takeBuffered()
    if (chunk !== undefined) return Effect.succeed(chunk)
    if (this.streamPull === undefined) {
      // The stream is started on the first read, in a Scope of its own closed at its end (or
      // by `recordResponse` when the handler leaves it unread).
      return Effect.flatMap(Scope.make(), (scope) => {
        this.scope = scope
        return Effect.flatMap(Scope.extend(Stream.toPull(stream), scope), (pull) => {
          this.streamPull = pull
          return this.next(stream)
        })
      })
    }
    return Effect.matchEffect(this.streamPull, {
      onFailure: (e) => {
        if (Option.isNone(e)) {
          this.bodyDone = true
          return Effect.zipRight(this.close, Effect.fail(Option.none()))
        }
        const error = e.value instanceof RequestBodyError
          ? e.value
          : new RequestBodyError({ reason: "truncated", detail: String(e.value) })
        this.bodyError = error
        return Effect.zipRight(this.close, Effect.fail(Option.some(error)))
      },
      onSuccess: (chunks) => {
        this.buffered = chunks
        return this.next(stream)
      }
    })
  }

  private takeBuffered(): Uint8Array | undefined {
    while (Chunk.isNonEmpty(this.buffered)) {
      const chunk = Chunk.headNonEmpty(this.buffered)
      this.buffered = Chunk.drop(this.buffered, 1)
      if (chunk.length > 0) {
        this.bodyRead += chunk.length
        return chunk
      }
    }
    return undefined
  }

  /** Runs the finalizers of the body's stream, if it was started. */
  get close(): Effect.Effect<void> {
    return Effect.suspend(() => {
      const scope = this.scope
      this.scope = undefined
      return scope === undefined ? Effect.void : Scope.close(scope, Exit.void)
    })
  }

  trailers(): Headers | undefined {
    return this.bodyDone && this.head.framing === "chunked" ? this.trailerFields : undefined
  }

  get hijack(): Effect.Effect<Hijacked, HijackError, Scope.Scope> {
    return Effect.fail(new HijackError({ detail: "no connection" }))
  }

  writeInterim(status: number, headers?: Headers): Effect.Effect<void, InterimResponseError> {
    return Effect.suspend(() => {
      if (this.finalStarted) {
        return Effect.fail(new InterimResponseError({ status, detail: "the final response was started, or the exchange is over" }))
      }
      if (this.head.versionMinor < 1) return Effect.void
      if (status === Status.Continue) {
        if (!this.continuePending) return Effect.void
        this.continuePending = false
      }
      const fields = Headers.empty()
      if (headers !== undefined) {
        for (let i = 0, n = headers.size; i < n; i++) {
          const name = headers.nameAt(i)!
          if (name !== "Content-Length" && name !== "Transfer-Encoding" && name !== "Trailer") fields.add(name, headers.valueAt(i)!)
        }
      }
      this.interims.push(new RecordedInterim(status, fields))
      return Effect.void
    })
  }

  setDeadline(): Effect.Effect<void> {
    return Effect.void
  }
}
