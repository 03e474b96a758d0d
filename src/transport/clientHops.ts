/**
 * The Client's hops (Go's `Client.send` and the redirect loop of `Client.do`): each hop sent
 * through the Transport with cookies from the jar and Basic authorization from the URL, the
 * jar fed with Set-Cookie, redirects followed by Go's rules (`redirect.ts`) under the
 * request's policy, each redirect's body drained a little and released, and the final
 * response's hop Scope closed as soon as nothing needs it. Touches the Transport and the jar
 * only; the timeout and the verbs are elsewhere (`clientTimeout.ts`, `clientCalls.ts`).
 *
 * @module
 * @internal
 */
import { Effect, Exit, Option, type Scope, Stream } from "effect"
import * as Body from "../domain/Body.js"
import { LazyScope } from "../domain/lazyScope.js"
import { readTaking } from "../domain/readers.js"
import { Request } from "../domain/Request.js"
import type { Response } from "../domain/Response.js"
import type { ClientError } from "./clientService.js"
import type { CookieJarService } from "./CookieJar.js"
import type { TransportError } from "./errors.js"
import * as Redirect from "./redirect.js"
import { withBody } from "./rebody.js"
import { redacted } from "../domain/redact.js"
import { basicAuthFromUrl } from "./route.js"
import type { TransportService } from "./transportService.js"
import { isUpgrade } from "./UpgradeResponse.js"

/** How much of a redirect's body is read so that its connection can be reused (Go's maxBodySlurpSize). */
const DRAIN_LIMIT = 2 << 10

/**
 * The hops of one Client: its Transport and its jar. A hop's Scope (a `LazyScope` forked from
 * the caller's) is made only when its response needs one (a body still arriving, an upgrade).
 *
 * @internal
 */
export class Hops {
  constructor(readonly transport: TransportService, readonly jar: CookieJarService | undefined) {}

  /**
   * A static reader's way in (see readers' `ReadIn`): `read` runs inside the first hop's round
   * trip, as `roundTripWith`'s use. A redirect continues through the loop from that first
   * response (whose body, if still arriving, the Transport releases once the whole read is
   * done, as it would at the end of `roundTripWith`).
   */
  readFollowing<E, A, E2, R2>(
    request: Request<E>,
    policy: Redirect.RedirectPolicy,
    read: (body: Body.Body<TransportError>) => Effect.Effect<A, E2, R2>
  ): Effect.Effect<A, ClientError | E | E2, R2> {
    return this.sendWith(request, (response) =>
      Redirect.behavior(response.status, request.method, request as Request<unknown>).follow
        ? readTaking((outer) => this.redirects(request, outer, policy, response, new LazyScope(outer)), read)
        : read(response.body))
  }

  /** One hop: cookies and Basic authorization added, Set-Cookie stored (Go's `Client.send`). */
  send<E>(hop: Request<E>, scope: LazyScope): Effect.Effect<Response<TransportError>, TransportError | E> {
    const jar = this.jar
    if (jar === undefined) return this.transport.roundTripIn(withCredentials(hop, undefined), scope.get)
    return Effect.flatMap(jar.cookieHeader(hop.url), (cookies) => {
      const request = withCredentials(hop, cookies)
      return Effect.tap(this.transport.roundTripIn(request, scope.get), (response) => storeCookies(jar, request, response))
    })
  }

  /**
   * `send` with the response handed to `use` inside the round trip (`roundTripWith`): the
   * Scope a body still arriving needs is the Transport's, closed once `use` is done.
   */
  sendWith<E, A, E2, R2>(
    hop: Request<E>,
    use: (response: Response<TransportError>) => Effect.Effect<A, E2, R2>
  ): Effect.Effect<A, TransportError | E | E2, R2> {
    const jar = this.jar
    if (jar === undefined) return this.transport.roundTripWith(withCredentials(hop, undefined), use)
    return Effect.flatMap(jar.cookieHeader(hop.url), (cookies) => {
      const request = withCredentials(hop, cookies)
      return this.transport.roundTripWith(request, (response) => Effect.zipRight(storeCookies(jar, request, response), use(response)))
    })
  }

  /** Reads a little of a redirect's body, so a small one frees its connection, then releases it. */
  release(response: Response<TransportError>, scope: LazyScope): Effect.Effect<void> {
    const length = response.contentLength
    const drain = length === undefined || length <= DRAIN_LIMIT
      ? Effect.ignore(Stream.runFoldWhile(Body.toStream(response.body), 0, (n) => n <= DRAIN_LIMIT, (n, chunk) => n + chunk.length))
      : Effect.void
    return Effect.zipRight(drain, scope.close(Exit.void))
  }

  /**
   * The response the loop ends with. Its hop Scope is closed as soon as nothing needs it (at
   * once for a body that arrived whole, at the end of a streamed body), so that a long-lived
   * caller Scope does not collect one per request; an upgraded connection keeps it.
   */
  settle(response: Response<TransportError>, scope: LazyScope): Effect.Effect<Response<TransportError>> {
    if (isUpgrade(response)) return Effect.succeed(response)
    const body = response.body
    if (body._tag !== "Stream") return scope.made === undefined ? Effect.succeed(response) : Effect.as(scope.close(Exit.void), response)
    const done = scope.close(Exit.void)
    const pull = body.pull
    const ending = pull === undefined ? undefined : Effect.tapError(pull, () => done)
    const stream = ending === undefined ? Stream.ensuring(body.stream, done) : Stream.repeatEffectOption(ending)
    const release = body.release === undefined ? done : Effect.zipRight(body.release, done)
    return Effect.succeed(withBody(response, Body.stream(stream, body.length, ending, release)))
  }

  /** One hop in its own Scope (see `follow`), the Scope closed if the hop fails. */
  hop<E>(request: Request<E>, scope: LazyScope): Effect.Effect<Response<TransportError>, TransportError | E> {
    return Effect.onError(this.send(request, scope), (cause) => scope.close(Exit.failCause(cause)))
  }

  /**
   * Go's `Client.do`: the redirect loop. A hop whose body is still arriving gets a Scope of its
   * own inside `outer` (made only then), so a redirect's body can be released early. The first
   * hop runs without the loop's state, which only a redirect needs.
   */
  follow<E>(first: Request<E>, outer: Effect.Effect<Scope.Scope>, policy: Redirect.RedirectPolicy): Effect.Effect<Response<TransportError>, ClientError | E> {
    // Suspended: `execute`'s effect may be built once and run many times (a retry), and each
    // run needs a hop Scope of its own.
    return Effect.suspend(() => this.firstHop(first, outer, policy))
  }

  private firstHop<E>(first: Request<E>, outer: Effect.Effect<Scope.Scope>, policy: Redirect.RedirectPolicy): Effect.Effect<Response<TransportError>, ClientError | E> {
    const scope = new LazyScope(outer)
    // As `hop`, without its uninterruptible region: a hop failing after its Scope was made
    // (a middleware's failure) closes it here; one interrupted just after leaves it to the
    // caller's Scope, which holds every response's Scope (a static reader closes it at once).
    return Effect.matchCauseEffect(this.send(first, scope), {
      onFailure: (cause) => scope.made === undefined ? Effect.failCause(cause) : Effect.zipRight(scope.close(Exit.failCause(cause)), Effect.failCause(cause)),
      onSuccess: (response) =>
        Redirect.behavior(response.status, first.method, first as Request<unknown>).follow
          ? this.redirects(first, outer, policy, response, scope)
          : this.settle(response, scope)
    })
  }

  /** The rest of the redirect loop, from the first hop's response (a redirect). */
  redirects<E>(
    first: Request<E>,
    outer: Effect.Effect<Scope.Scope>,
    policy: Redirect.RedirectPolicy,
    firstResponse: Response<TransportError>,
    firstScope: LazyScope
  ): Effect.Effect<Response<TransportError>, ClientError | E> {
    const hops = this
    const jar = this.jar
    return Effect.gen(function*() {
      const via: Array<Request<unknown>> = [first as Request<unknown>]
      const firstHostPort = Redirect.hostPortOf(first.url)
      let strip = false
      let request: Request<E> = first
      let response = firstResponse
      let scope = firstScope
      // Go's makeHeadersCopier with a jar: cookies of the first request's Cookie field that a
      // redirect response sets again are dropped (the jar sends their new values).
      let firstCookies = jar === undefined ? undefined : first.headers.get("Cookie")
      for (;;) {
        const b = Redirect.behavior(response.status, request.method, first as Request<unknown>)
        if (!b.follow) return yield* hops.settle(response, scope)
        const location = response.headers.get("Location")
        // A 3xx without a Location is returned as it is (Go: issues 17773 and 49281).
        if (location === undefined || location === "") return yield* hops.settle(response, scope)
        const chain = () => via.map((r) => redacted(r.url))
        const url = Redirect.resolveLocation(location, request.url)
        if (url === undefined) {
          yield* hops.release(response, scope)
          return yield* Effect.fail(
            new Redirect.RedirectError({
              reason: "invalid-location",
              method: first.method,
              url: location,
              chain: chain(),
              status: response.status,
              detail: `failed to parse Location header ${JSON.stringify(location)}`
            })
          )
        }
        if (!strip && Redirect.hostPortOf(url) !== firstHostPort) strip = true
        if (firstCookies !== undefined && response.headers.has("Set-Cookie")) {
          firstCookies = withoutCookiesSetBy(firstCookies, response.headers.values("Set-Cookie"))
        }
        const headers = Redirect.hopHeaders(first.headers, strip)
        if (jar !== undefined && !strip && firstCookies !== first.headers.get("Cookie")) {
          headers.delete("Cookie")
          if (firstCookies !== undefined && firstCookies !== "") headers.set("Cookie", firstCookies)
        }
        // Go's refererForURL: a Referer the first request set is kept, but never sent from
        // https to http.
        const referer = Redirect.refererFor(request.url, url, first.headers.get("Referer"))
        if (referer !== undefined) headers.set("Referer", referer)
        else headers.delete("Referer")
        // A custom Host survives a relative redirect (Go: issue 22233).
        const host = request.host !== request.url.host && Redirect.isRelative(location) ? request.host : url.host
        let body: Body.Body<E> = Body.empty
        if (b.includeBody) {
          const again = Body.rewind(first.body)
          if (Option.isSome(again)) body = again.value
        }
        const next = new Request<E>({ method: b.method, url, headers, body, host, proto: "HTTP/1.1", trailers: undefined })
        const decision = yield* Effect.onError(
          policy(next as Request<unknown>, via.slice()),
          () => hops.release(response, scope)
        ).pipe(Effect.mapError((e) => e.status === 0 ? new Redirect.RedirectError({ ...e, status: response.status }) : e))
        if (decision === "use-last-response") return yield* hops.settle(response, scope)
        yield* hops.release(response, scope)
        request = next
        scope = new LazyScope(outer)
        via.push(request as Request<unknown>)
        response = yield* hops.hop(request, scope)
      }
    })
  }
}

/** `hop` with Basic authorization from its URL's user info and the jar's `cookies` added, unless it has neither to add. */
const withCredentials = <E>(hop: Request<E>, cookies: string | undefined): Request<E> => {
  const auth = hop.headers.has("Authorization") ? undefined : basicAuthFromUrl(hop.url)
  return auth === undefined && cookies === undefined ? hop : withAdded(hop, auth, cookies)
}

/** The response's Set-Cookie fields into the jar. */
const storeCookies = (jar: CookieJarService, request: Request<unknown>, response: Response<TransportError>): Effect.Effect<void> =>
  response.headers.has("Set-Cookie") ? jar.setCookies(request.url, response.headers.values("Set-Cookie")) : Effect.void

/** `request` with Authorization (`auth`) and cookies (`cookies`, after any Cookie it has) added to a copy of its header fields. */
const withAdded = <E>(request: Request<E>, auth: string | undefined, cookies: string | undefined): Request<E> => {
  const headers = request.headers.clone()
  if (auth !== undefined) headers.set("Authorization", auth)
  if (cookies !== undefined) {
    const existing = headers.get("Cookie")
    headers.set("Cookie", existing === undefined || existing === "" ? cookies : existing + "; " + cookies)
  }
  return new Request<E>({
    method: request.method,
    url: request.url,
    headers,
    body: request.body,
    host: request.host,
    proto: request.proto,
    trailers: request.trailers
  })
}

/** `cookies` (a Cookie field value) without the cookies whose names the Set-Cookie values set. */
const withoutCookiesSetBy = (cookies: string, setCookies: ReadonlyArray<string>): string => {
  const set = new Set(setCookies.map((v) => v.slice(0, Math.max(0, v.indexOf("="))).trim()))
  return cookies
    .split(";")
    .map((c) => c.trim())
    .filter((c) => c !== "" && !set.has(c.slice(0, Math.max(0, c.indexOf("="))).trim()))
    .sort()
    .join("; ")
}
