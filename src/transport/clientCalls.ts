/**
 * What a Client's methods return: `do` and the verbs as effects (Effectable classes) that make
 * their request when run, and that the static readers of `Response` can run in the cheaper
 * ways of `readers.ts` (`ScopeIn`: the Scope given as an effect; `ReadIn`: the read inside the
 * round trip). Builds a `ClientService` from `execute` (`fromExecuteReading`). Touches nothing
 * but the `execute` and the read path it is given.
 *
 * @module
 * @internal
 */
import { Effect, Either, type Scope } from "effect"
import * as Effectable from "effect/Effectable"
import * as Body from "../domain/Body.js"
import type { InvalidHeader, InvalidMethod, InvalidUrl } from "../domain/errors.js"
import type { HeadersInput } from "../domain/Headers.js"
import { ReadIn, type ReadTaker, ScopeIn, type ScopeTaker } from "../domain/readers.js"
import { makeRequest, type Request, type RequestOptions, UrlCache } from "../domain/Request.js"
import type { Response } from "../domain/Response.js"
import type { ClientBodyInit, ClientError, ClientRequestInit, ClientRequestOptions, ClientService, Execute } from "./clientService.js"
import type { TransportError } from "./errors.js"

/**
 * The read inside the round trip that `make`'s Client offers the static readers (`ReadIn`):
 * `accepts` says whether a request with these options can take it.
 */
export interface ReadPath {
  readonly accepts: (options: ClientRequestOptions | undefined) => boolean
  readonly run: <E, A, E2, R2>(
    request: Request<E>,
    options: ClientRequestOptions | undefined,
    read: (body: Body.Body<TransportError>) => Effect.Effect<A, E2, R2>
  ) => Effect.Effect<A, ClientError | E | E2, R2>
}

/**
 * A ClientService from `execute`, with `make`'s read path; a Client built from another
 * `execute` (middleware) has none, since its reads must go through that `execute`.
 *
 * @internal
 */
export const fromExecuteReading = (execute: Execute, closeIdleConnections: Effect.Effect<void>, reading: ReadPath | undefined): ClientService => {
  // The verbs' URL texts, each parsed once (a Client sends to the same few again and again).
  const urls = new UrlCache()
  return {
    execute,
    do: (request, options) => new DoCall(execute, reading, request, options),
    get: (url, init) => new VerbCall<never>(execute, reading, urls, "GET", url, undefined, init),
    head: (url, init) => new VerbCall<never>(execute, reading, urls, "HEAD", url, undefined, init),
    delete: (url, init) => new VerbCall<never>(execute, reading, urls, "DELETE", url, undefined, init),
    options: (url, init) => new VerbCall<never>(execute, reading, urls, "OPTIONS", url, undefined, init),
    post: (url, body, init) => new VerbCall(execute, reading, urls, "POST", url, body, init),
    put: (url, body, init) => new VerbCall(execute, reading, urls, "PUT", url, body, init),
    patch: (url, body, init) => new VerbCall(execute, reading, urls, "PATCH", url, body, init),
    closeIdleConnections
  }
}

/**
 * What `do` returns: an effect needing a Scope from the context, which the static readers of
 * `Response` can run with a Scope of their own instead, made only if the response needs one
 * (`ScopeIn`). A class, not a closure over an object literal, so that V8 never pretenures it.
 */
class DoCall<E> extends Effectable.Class<Response<TransportError>, ClientError | E, Scope.Scope>
  implements ScopeTaker<Response<TransportError>, ClientError | E>, ReadTaker<TransportError, ClientError | E>
{
  constructor(
    readonly execute: Execute,
    readonly reading: ReadPath | undefined,
    readonly request: Request<E>,
    readonly options: ClientRequestOptions | undefined
  ) {
    super()
  }

  commit(): Effect.Effect<Response<TransportError>, ClientError | E, Scope.Scope> {
    return this.execute(this.request, Effect.scope, this.options)
  }

  [ScopeIn]<R>(scope: Effect.Effect<Scope.Scope, never, R>): Effect.Effect<Response<TransportError>, ClientError | E, R> {
    return this.execute(this.request, scope, this.options)
  }

  [ReadIn]<A, E3, R3>(read: (body: Body.Body<TransportError>) => Effect.Effect<A, E3, R3>): Effect.Effect<A, ClientError | E | E3, R3> | undefined {
    const reading = this.reading
    return reading === undefined || !reading.accepts(this.options) ? undefined : reading.run(this.request, this.options, read)
  }
}

/** What the verbs return: the request made when it runs, then as `DoCall`. */
class VerbCall<E> extends Effectable.Class<Response<TransportError>, ClientError | E, Scope.Scope>
  implements ScopeTaker<Response<TransportError>, ClientError | E>, ReadTaker<TransportError, ClientError | E>
{
  constructor(
    readonly execute: Execute,
    readonly reading: ReadPath | undefined,
    readonly urls: UrlCache,
    readonly method: string,
    readonly url: string | URL,
    readonly body: ClientBodyInit<E> | undefined,
    readonly init: ClientRequestInit | undefined
  ) {
    super()
  }

  commit(): Effect.Effect<Response<TransportError>, ClientError | E, Scope.Scope> {
    return this[ScopeIn](Effect.scope)
  }

  // Called when the effect runs (by `commit`, or by a reader inside its own run), never when it
  // is built: each run makes its request anew, with no `Effect.suspend` of its own.
  [ScopeIn]<R>(scope: Effect.Effect<Scope.Scope, never, R>): Effect.Effect<Response<TransportError>, ClientError | E, R> {
    const made = this.request()
    return Either.isLeft(made) ? Effect.fail(made.left) : this.execute(made.right, scope, this.init)
  }

  // As `[ScopeIn]`, for a static reader (see `ReadIn`).
  [ReadIn]<A, E3, R3>(read: (body: Body.Body<TransportError>) => Effect.Effect<A, E3, R3>): Effect.Effect<A, ClientError | E | E3, R3> | undefined {
    const reading = this.reading
    if (reading === undefined || !reading.accepts(this.init)) return undefined
    const made = this.request()
    return Either.isLeft(made) ? Effect.fail(made.left) : reading.run(made.right, this.init, read)
  }

  private request(): Either.Either<Request<E>, InvalidUrl | InvalidMethod | InvalidHeader> {
    const body = this.body
    const init = this.init
    const made = makeRequest<E>(
      new VerbOptions<E>(
        this.method,
        this.url,
        init?.headers,
        body === undefined ? undefined : typeof body === "string" ? Body.text(body) : body instanceof Uint8Array ? Body.bytes(body) : body
      ),
      this.urls
    )
    if (Either.isRight(made) && init?.contentType !== undefined) made.right.headers.set("Content-Type", init.contentType)
    return made
  }
}

/** A verb's `RequestOptions` (a class: see `DoCall`). */
class VerbOptions<E> implements RequestOptions<E> {
  constructor(
    readonly method: string,
    readonly url: string | URL,
    readonly headers: HeadersInput | undefined,
    readonly body: Body.Body<E> | undefined
  ) {}
}
