/**
 * Go's redirect rules for the Client, as pure functions: which statuses are followed and with
 * which method and body (`redirectBehavior`), which header fields of the first request go to
 * each hop (`makeHeadersCopier`), the Referer (`refererForURL`), and the default policy (stop
 * after 10 redirects).
 *
 * @module
 * @since 0.1.0
 */
import { Data, Effect } from "effect"
import * as Body from "../domain/Body.js"
import { Headers } from "../domain/Headers.js"
import type { Request } from "../domain/Request.js"
import { redacted } from "../domain/redact.js"

/**
 * Why the Client stopped following redirects with an error.
 *
 * @since 0.1.0
 * @category errors
 */
export type RedirectFailure =
  /** The policy's limit (10 by default, as Go) was reached. */
  | "too-many-redirects"
  /** The Location field could not be resolved to an http or https URL. */
  | "invalid-location"
  /** A custom policy refused the redirect. */
  | "refused"

/**
 * Following a redirect failed; the responses so far were released.
 *
 * @since 0.1.0
 * @category errors
 */
export class RedirectError extends Data.TaggedError("RedirectError")<{
  readonly reason: RedirectFailure
  /** The first request's method. */
  readonly method: string
  /** Where the redirect pointed (the Location, resolved when it could be; passwords redacted). */
  readonly url: string
  /** The URLs requested so far, in order (passwords redacted). */
  readonly chain: ReadonlyArray<string>
  /** The status of the last response (the redirect). */
  readonly status: number
  readonly detail: string
}> {
  override get message(): string {
    return `${this.method} ${this.url}: ${this.detail}`
  }
}

/**
 * What a redirect policy decides for the next hop.
 *
 * @since 0.1.0
 * @category policies
 */
export type RedirectDecision =
  /** Send the next request. */
  | "follow"
  /** Return the redirect response itself, its body unread (Go's `ErrUseLastResponse`). */
  | "use-last-response"

/**
 * Go's `Client.CheckRedirect`: called before each redirect is followed with the next request
 * and the requests sent so far (oldest first). It may change nothing; it decides, or fails
 * with a `RedirectError` (the Client fails with it).
 *
 * @since 0.1.0
 * @category policies
 */
export type RedirectPolicy = (
  next: Request<unknown>,
  via: ReadonlyArray<Request<unknown>>
) => Effect.Effect<RedirectDecision, RedirectError>

/**
 * A policy that lets a chain reach `max` requests (the first and `max - 1` redirects) and fails
 * on the redirect after that. Go's default, with 10: "stopped after 10 redirects" once 10
 * requests were sent.
 *
 * @since 0.1.0
 * @category policies
 */
export const limit = (max: number): RedirectPolicy => (next, via) =>
  via.length >= max
    ? Effect.fail(
      new RedirectError({
        reason: "too-many-redirects",
        method: via[0]?.method ?? next.method,
        url: redacted(next.url),
        chain: via.map((r) => redacted(r.url)),
        status: 0,
        detail: `stopped after ${max} redirects`
      })
    )
    : Effect.succeed("follow")

/**
 * Go's `defaultCheckRedirect`: at most 10 redirects.
 *
 * @since 0.1.0
 * @category policies
 */
export const defaultPolicy: RedirectPolicy = limit(10)

/**
 * A policy that never follows: every 3xx is returned as it is.
 *
 * @since 0.1.0
 * @category policies
 */
export const never: RedirectPolicy = () => Effect.succeed("use-last-response")

/**
 * What to do with a response to a request of `method` (Go's `redirectBehavior`).
 *
 * @since 0.1.0
 * @category models
 */
export interface Behavior {
  readonly follow: boolean
  readonly method: string
  readonly includeBody: boolean
}

const NO: Behavior = { follow: false, method: "", includeBody: false }

/**
 * Go's `redirectBehavior`: 301, 302 and 303 are followed with GET (HEAD stays HEAD) and no
 * body; 307 and 308 keep the method and the body, unless the first request has a body that
 * cannot be sent again (then the 3xx is returned as it is). Other statuses are not followed.
 *
 * @since 0.1.0
 * @category utils
 */
export const behavior = (status: number, method: string, first: Request<unknown>): Behavior => {
  switch (status) {
    case 301:
    case 302:
    case 303:
      return { follow: true, method: method === "GET" || method === "HEAD" ? method : "GET", includeBody: false }
    case 307:
    case 308:
      if (!Body.isReplayable(first.body) && Body.contentLength(first.body) !== 0) return NO
      return { follow: true, method, includeBody: true }
    default:
      return NO
  }
}

/** Header fields sent only to the first request's host and port (Go's sensitive headers). */
const SENSITIVE = new Set(["Authorization", "Www-Authenticate", "Cookie", "Cookie2"])

/**
 * The header fields of a hop (Go's `makeHeadersCopier`): the first request's, less the
 * sensitive ones once the chain has left the first request's host and port (`strip`). The
 * framing fields are never copied from them; the writer frames each hop's own body.
 *
 * @since 0.1.0
 * @category utils
 */
export const hopHeaders = (first: Headers, strip: boolean): Headers => {
  const out = Headers.empty()
  for (const [name, value] of first) {
    if (strip && SENSITIVE.has(name)) continue
    out.add(name, value)
  }
  return out
}

/**
 * Go's `refererForURL`: none from https to http (RFC 9110 §10.1.3); else the Referer the first
 * request set, if any; else the previous URL without user info or fragment (RFC 9110 §10.1.3
 * forbids the fragment, which Go keeps).
 *
 * @since 0.1.0
 * @category utils
 */
export const refererFor = (last: URL, next: URL, explicit: string | undefined): string | undefined => {
  if (last.protocol === "https:" && next.protocol === "http:") return undefined
  if (explicit !== undefined && explicit !== "") return explicit
  const u = new URL(last.href)
  u.username = ""
  u.password = ""
  u.hash = ""
  return u.href
}

/**
 * Resolves a Location value against the current URL; undefined when it is not an http(s) URL.
 *
 * @since 0.1.0
 * @category utils
 */
export const resolveLocation = (location: string, base: URL): URL | undefined => {
  try {
    const u = new URL(location, base)
    return u.protocol === "http:" || u.protocol === "https:" ? u : undefined
  } catch {
    return undefined
  }
}

/**
 * Whether `location` is a relative reference (no scheme and no authority), as Go's `!u.IsAbs()`.
 *
 * @since 0.1.0
 * @category guards
 */
export const isRelative = (location: string): boolean => !/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(location)

/**
 * `host:port` of a URL with the scheme's default port filled in, to compare hops by.
 *
 * @since 0.1.0
 * @category utils
 */
export const hostPortOf = (url: URL): string =>
  url.hostname + ":" + (url.port !== "" ? url.port : url.protocol === "https:" ? "443" : "80")
