/**
 * preconditions.ts as pure functions: `scanETag` against Go's `TestScanETag` (fs_test.go),
 * strong and weak comparison (RFC 9110 §8.8.3.2's table), `checkPreconditions` against the
 * conditional cases of Go's `TestServeContent` (fs_test.go) for GET and HEAD and a few for
 * other methods, `writeNotModified`'s stripping, and HTTP-dates against Go's `parseTimeTests`
 * (header_test.go).
 */
import { describe, expect, it } from "vitest"
import { Headers } from "../../src/domain/Headers.js"
import {
  checkIfModifiedSince,
  checkPreconditions,
  etagStrongMatch,
  etagWeakMatch,
  httpDate,
  modtimeMillis,
  parseHttpTime,
  scanETag,
  writeNotModified
} from "../../src/server/preconditions.js"

describe("entity-tags", () => {
  // Go's TestScanETag; Go answers ("", "") where this answers undefined.
  const scans: ReadonlyArray<readonly [string, string, string] | readonly [string, undefined]> = [
    [`W/"etag-1"`, `W/"etag-1"`, ""],
    [`"etag-2"`, `"etag-2"`, ""],
    [`"etag-1", "etag-2"`, `"etag-1"`, `, "etag-2"`],
    ["", undefined],
    ["W/", undefined],
    [`W/"truc`, undefined],
    [`w/"case-sensitive"`, undefined],
    [`"spaced etag"`, undefined],
    // Leading white space is trimmed; obs-text is allowed, controls are not.
    [`  "x"`, `"x"`, ""],
    ["\"caf\u00e9\"", "\"caf\u00e9\"", ""],
    ["\"x\u0001y\"", undefined]
  ]

  it.each(scans)("scanETag(%j)", (input, etag, remain?: string) => {
    expect(scanETag(input)).toEqual(etag === undefined ? undefined : { etag, remain })
  })

  it("strong and weak comparison (RFC 9110 §8.8.3.2)", () => {
    const table: ReadonlyArray<readonly [string, string, boolean, boolean]> = [
      [`W/"1"`, `W/"1"`, false, true],
      [`W/"1"`, `W/"2"`, false, false],
      [`W/"1"`, `"1"`, false, true],
      [`"1"`, `"1"`, true, true]
    ]
    for (const [a, b, strong, weak] of table) {
      expect(etagStrongMatch(a, b), `${a} ${b}`).toBe(strong)
      expect(etagWeakMatch(a, b), `${a} ${b}`).toBe(weak)
    }
    expect(etagStrongMatch(`"1"`, undefined)).toBe(false)
    expect(etagWeakMatch(`"1"`, undefined)).toBe(false)
  })
})

describe("checkPreconditions", () => {
  /** Go's `htmlModTime` stand-in: a modification time with milliseconds (HTTP dates drop them). */
  const MODTIME = Date.UTC(2014, 5, 25, 17, 12, 18, 123)
  const MODTIME_HTTP = "Wed, 25 Jun 2014 17:12:18 GMT"

  interface Case {
    readonly etag?: string
    readonly modtime?: number
    readonly request: Record<string, string>
    /** A status when the answer is given now, else the Range field to apply. */
    readonly want: number | { readonly range: string }
  }

  // The conditional cases of Go's TestServeContent, by Go's names.
  const cases: Record<string, Case> = {
    no_conditions: { request: {}, want: { range: "" } },
    not_modified_modtime: { etag: `"foo"`, modtime: MODTIME, request: { "If-Modified-Since": MODTIME_HTTP }, want: 304 },
    not_modified_etag: { etag: `"foo"`, request: { "If-None-Match": `"foo"` }, want: 304 },
    not_modified_etag_no_seek: { etag: `W/"foo"`, request: { "If-None-Match": `"baz", W/"foo"` }, want: 304 },
    if_none_match_mismatch: { etag: `"foo"`, request: { "If-None-Match": `"Foo"` }, want: { range: "" } },
    if_none_match_malformed: { etag: `"foo"`, request: { "If-None-Match": "," }, want: { range: "" } },
    range_good: { etag: `"A"`, request: { Range: "bytes=0-4" }, want: { range: "bytes=0-4" } },
    range_match: { etag: `"A"`, request: { Range: "bytes=0-4", "If-Range": `"A"` }, want: { range: "bytes=0-4" } },
    range_match_weak_etag: { etag: `W/"A"`, request: { Range: "bytes=0-4", "If-Range": `W/"A"` }, want: { range: "" } },
    range_no_match: { etag: `"A"`, request: { Range: "bytes=0-4", "If-Range": `"B"` }, want: { range: "" } },
    range_with_modtime: {
      modtime: Date.UTC(2014, 5, 25, 17, 12, 18),
      request: { Range: "bytes=0-4", "If-Range": MODTIME_HTTP },
      want: { range: "bytes=0-4" }
    },
    range_with_modtime_mismatch: {
      modtime: Date.UTC(2014, 5, 25, 17, 12, 18),
      request: { Range: "bytes=0-4", "If-Range": "Wed, 25 Jun 2014 17:12:19 GMT" },
      want: { range: "" }
    },
    range_with_modtime_nanos: { modtime: MODTIME, request: { Range: "bytes=0-4", "If-Range": MODTIME_HTTP }, want: { range: "bytes=0-4" } },
    ifmatch_matches: { etag: `"A"`, request: { "If-Match": `"Z", "A"` }, want: { range: "" } },
    ifmatch_star: { etag: `"A"`, request: { "If-Match": "*" }, want: { range: "" } },
    ifmatch_failed: { etag: `"A"`, request: { "If-Match": `"B"` }, want: 412 },
    ifmatch_fails_on_weak_etag: { etag: `W/"A"`, request: { "If-Match": `W/"A"` }, want: 412 },
    if_unmodified_since_true: { modtime: MODTIME, request: { "If-Unmodified-Since": MODTIME_HTTP }, want: { range: "" } },
    if_unmodified_since_false: { modtime: MODTIME, request: { "If-Unmodified-Since": "Wed, 25 Jun 2014 17:12:16 GMT" }, want: 412 },
    // And a few of our own: If-Match decides before If-Unmodified-Since; If-None-Match before
    // If-Modified-Since; an If-Range date with no modtime never holds.
    ifmatch_over_unmodified_since: {
      etag: `"A"`,
      modtime: MODTIME,
      request: { "If-Match": `"A"`, "If-Unmodified-Since": "Mon, 01 Jan 2001 00:00:00 GMT" },
      want: { range: "" }
    },
    if_none_match_over_modified_since: {
      etag: `"A"`,
      modtime: MODTIME,
      request: { "If-None-Match": `"B"`, "If-Modified-Since": MODTIME_HTTP },
      want: { range: "" }
    },
    if_range_date_without_modtime: { request: { Range: "bytes=0-1", "If-Range": MODTIME_HTTP }, want: { range: "" } }
  }

  const run = (method: string, c: Case) => {
    const headers = Headers.make(c.etag === undefined ? {} : { ETag: c.etag })
    const pre = checkPreconditions({ method, headers: Headers.make(c.request) }, headers, c.modtime)
    return pre._tag === "Done" ? pre.response.status : { range: pre.range }
  }

  for (const method of ["GET", "HEAD"]) {
    it.each(Object.entries(cases))(`${method} %s`, (_name, c) => {
      expect(run(method, c)).toEqual(c.want)
    })
  }

  it("other methods: a matching If-None-Match is 412; If-Modified-Since and If-Range are not looked at", () => {
    expect(run("POST", { etag: `"A"`, request: { "If-None-Match": `"A"` }, want: 412 })).toBe(412)
    expect(run("PUT", { etag: `"A"`, request: { "If-None-Match": "*" }, want: 412 })).toBe(412)
    expect(run("POST", { modtime: MODTIME, request: { "If-Modified-Since": MODTIME_HTTP }, want: { range: "" } })).toEqual({ range: "" })
    expect(run("POST", { etag: `"A"`, request: { Range: "bytes=0-1", "If-Range": `"B"` }, want: { range: "bytes=0-1" } }))
      .toEqual({ range: "bytes=0-1" })
    expect(run("DELETE", { etag: `"A"`, request: { "If-Match": `"B"` }, want: 412 })).toBe(412)
  })

  it("checkIfModifiedSince compares whole seconds, GET and HEAD only", () => {
    const request = (method: string, ims: string) => ({ method, headers: Headers.make({ "If-Modified-Since": ims }) })
    expect(checkIfModifiedSince(request("GET", MODTIME_HTTP), MODTIME)).toBe("false")
    expect(checkIfModifiedSince(request("GET", "Wed, 25 Jun 2014 17:12:17 GMT"), MODTIME)).toBe("true")
    expect(checkIfModifiedSince(request("GET", "not a date"), MODTIME)).toBe("none")
    expect(checkIfModifiedSince(request("GET", MODTIME_HTTP), undefined)).toBe("none")
    expect(checkIfModifiedSince(request("POST", MODTIME_HTTP), MODTIME)).toBe("none")
  })
})

describe("writeNotModified", () => {
  it("drops representation metadata, and Last-Modified when there is an ETag", () => {
    const fields = { "Content-Type": "text/plain", "Content-Length": "3", "Content-Encoding": "gzip", "Last-Modified": "x", "Cache-Control": "max-age=1" }
    const withETag = writeNotModified(Headers.make({ ...fields, ETag: `"a"` }))
    expect(withETag.status).toBe(304)
    expect(withETag.headers.toRecord()).toEqual({ "Cache-Control": ["max-age=1"], Etag: [`"a"`] })
    const without = writeNotModified(Headers.make(fields))
    expect(without.headers.toRecord()).toEqual({ "Last-Modified": ["x"], "Cache-Control": ["max-age=1"] })
  })
})

describe("HTTP-dates", () => {
  // Go's parseTimeTests (header_test.go): every accepted format means 1994-11-06 08:49:37 UTC.
  const expected = Date.UTC(1994, 10, 6, 8, 49, 37) / 1000
  const dates: ReadonlyArray<readonly [string, number | undefined]> = [
    ["", undefined],
    ["invalid", undefined],
    ["1994-11-06T08:49:37Z00:00", undefined],
    ["Sun, 06 Nov 1994 08:49:37 GMT", expected],
    ["Sunday, 06-Nov-94 08:49:37 GMT", expected],
    ["Sun Nov  6 08:49:37 1994", expected],
    // Two-digit RFC 850 years as Go's "06": 69..99 are 19xx, 00..68 20xx.
    ["Thursday, 01-Jan-70 00:00:00 GMT", 0],
    ["Sunday, 01-Jan-68 00:00:00 GMT", Date.UTC(2068, 0, 1) / 1000],
    // Out-of-range fields and another zone are refused.
    ["Mon, 30 Feb 2015 00:00:00 GMT", undefined],
    ["Sun, 06 Nov 1994 24:00:00 GMT", undefined],
    ["Sun, 06 Nov 1994 08:49:37 UTC", undefined]
  ]

  it.each(dates)("parseHttpTime(%j)", (text, want) => {
    expect(parseHttpTime(text)).toBe(want)
  })

  it("httpDate writes Go's TimeFormat to the second; modtimeMillis treats the epoch and invalid dates as unknown", () => {
    expect(httpDate(expected * 1000 + 999)).toBe("Sun, 06 Nov 1994 08:49:37 GMT")
    expect(parseHttpTime(httpDate(expected * 1000))).toBe(expected)
    expect(modtimeMillis(undefined)).toBeUndefined()
    expect(modtimeMillis(new Date(0))).toBeUndefined()
    expect(modtimeMillis(new Date(Number.NaN))).toBeUndefined()
    expect(modtimeMillis(new Date(1234))).toBe(1234)
  })
})
