/**
 * A URL as errors, logs and traces show it (Go's `url.URL.Redacted`): the password, if any,
 * replaced, so that a secret in a URL's user info never reaches an error message.
 *
 * @module
 * @internal
 */

/** The URL's text with its password, if any, replaced by `xxxxx` (as Go's `url.Redacted`). */
export const redacted = (url: URL): string => {
  if (url.password === "") return url.href
  const copy = new URL(url.href)
  copy.password = "xxxxx"
  return copy.href
}
