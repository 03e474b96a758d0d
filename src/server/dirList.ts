/**
 * Go's directory listing (`dirList` in `src/net/http/fs.go`): the entries of a directory as an
 * HTML page, sorted by name as bytes, names HTML-escaped and their links URL-escaped, and the
 * URL-path escaping (`urlPathString`) that the listing and the file server's redirects share.
 *
 * @module
 */
import { Effect } from "effect"
import * as fsp from "node:fs/promises"
import * as Body from "../domain/Body.js"
import { Headers } from "../domain/Headers.js"
import * as Status from "../domain/Status.js"
import { error, htmlEscape } from "./handlers.js"
import { checkIfModifiedSince, httpDate, modtimeMillis, writeNotModified } from "./preconditions.js"
import type { ServerRequest } from "./ServerRequest.js"
import { ServerResponse } from "./ServerResponse.js"

const HEX = "0123456789ABCDEF"

/**
 * Go's `(&url.URL{Path: name}).String()`: the path escaped as `shouldEscape(c, encodePath)`
 * (unreserved and `$&+,/:;=@` kept), and `./` in front when a colon comes before any slash
 * (so the name is not read as a scheme).
 */
export const urlPathString = (name: string): string => {
  let out = ""
  for (const b of Buffer.from(name, "utf8")) {
    const keep = (b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a) || (b >= 0x30 && b <= 0x39) || "-_.~$&+,/:;=@".includes(String.fromCharCode(b))
    out += keep ? String.fromCharCode(b) : "%" + HEX[b >> 4] + HEX[b & 15]
  }
  const colon = out.indexOf(":")
  if (colon >= 0 && !out.slice(0, colon).includes("/")) out = "./" + out
  return out
}

/**
 * Go's `dirList`, after its If-Modified-Since check and Last-Modified: the listing of the
 * directory `dir` (modified at `mtimeMs`, epoch milliseconds), subdirectories with a trailing
 * slash; a directory that cannot be read answers 500 "Error reading directory".
 */
export const dirList = (request: ServerRequest, dir: string, mtimeMs: number): Effect.Effect<ServerResponse> => {
  const modtime = modtimeMillis(new Date(mtimeMs))
  if (checkIfModifiedSince(request, modtime) === "false") return Effect.succeed(writeNotModified(Headers.empty()))
  return Effect.match(Effect.tryPromise(() => fsp.readdir(dir, { withFileTypes: true })), {
    onFailure: () => error("Error reading directory", Status.InternalServerError),
    onSuccess: (entries) => {
      const names = entries.map((e) => (e.isDirectory() ? e.name + "/" : e.name))
      // Go sorts by name as bytes (before adding "/"): compare the UTF-8 encodings.
      const keyed = entries.map((e, i) => ({ key: Buffer.from(e.name, "utf8"), name: names[i]! }))
      keyed.sort((a, b) => Buffer.compare(a.key, b.key))
      let html = "<!doctype html>\n<meta name=\"viewport\" content=\"width=device-width\">\n<pre>\n"
      for (const { name } of keyed) html += `<a href="${urlPathString(name)}">${htmlEscape(name)}</a>\n`
      html += "</pre>\n"
      const headers = Headers.empty()
      if (modtime !== undefined) headers.set("Last-Modified", httpDate(modtime))
      headers.set("Content-Type", "text/html; charset=utf-8")
      return new ServerResponse(Status.OK, headers, Body.text(html), undefined, undefined)
    }
  })
}
