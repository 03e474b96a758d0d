/**
 * Server-side cookies (issue 19, item 7): `serializeSetCookie` as Go's `Cookie.String`,
 * `parseCookieHeader` as Go's `readCookies`, `validateCookie` as Go's `Cookie.Valid`, each
 * against rows restated from Go's net/http cookie_test.go (writeSetCookiesTests,
 * readCookiesTests, TestCookieValid, TestCookieSanitizeValue/Path); `request.cookies`,
 * `request.cookie` and `ServerResponse.setCookie`, through `ServerRequest.make` and over a
 * real socket.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, pipe } from "effect"
import { Body, HttpTest } from "../../src/index.js"
import {
  Cookie,
  type CookieField,
  type CookieInit,
  parseCookieHeader,
  serializeSetCookie,
  validateCookie
} from "../../src/domain/Cookie.js"
import { recordResponse } from "../../src/server/record.js"
import { ServerRequest } from "../../src/server/ServerRequest.js"
import * as ServerResponse from "../../src/server/ServerResponse.js"

const at = (year: number, month: number, day: number, h = 0, m = 0, s = 0) => new Date(Date.UTC(year, month - 1, day, h, m, s))

describe("serializeSetCookie (Go's Cookie.String)", () => {
  // [what the row shows, the cookie, the Set-Cookie value Go writes]
  const rows: ReadonlyArray<readonly [string, CookieInit, string]> = [
    ["a plain pair, `$` allowed in a value", { name: "cookie-1", value: "v$1" }, "cookie-1=v$1"],
    ["a positive Max-Age", { name: "cookie-2", value: "two", maxAge: 3600 }, "cookie-2=two; Max-Age=3600"],
    ["a domain's leading dot is not written", { name: "cookie-3", value: "three", domain: ".example.com" }, "cookie-3=three; Domain=example.com"],
    ["a path", { name: "cookie-4", value: "four", path: "/restricted/" }, "cookie-4=four; Path=/restricted/"],
    ["a domain with `;` is dropped (host-only cookie)", { name: "cookie-5", value: "five", domain: "wrong;bad.abc" }, "cookie-5=five"],
    ["a label ending in `-` is dropped", { name: "cookie-6", value: "six", domain: "bad-.abc" }, "cookie-6=six"],
    ["an IPv4 domain is kept", { name: "cookie-7", value: "seven", domain: "127.0.0.1" }, "cookie-7=seven; Domain=127.0.0.1"],
    ["an IPv6 domain is dropped", { name: "cookie-8", value: "eight", domain: "::1" }, "cookie-8=eight"],
    [
      "an expiry in IMF-fixdate",
      { name: "cookie-9", value: "expiring", expires: new Date(1257894000 * 1000) },
      "cookie-9=expiring; Expires=Tue, 10 Nov 2009 23:00:00 GMT"
    ],
    ["an expiry before 1601 is left out", { name: "cookie-10", value: "old", expires: at(1600, 1, 1, 1, 1, 1) }, "cookie-10=old"],
    ["1601 is the first year written", { name: "cookie-11", value: "y1601", expires: at(1601, 1, 1, 1, 1, 1) }, "cookie-11=y1601; Expires=Mon, 01 Jan 1601 01:01:01 GMT"],
    ["SameSite default writes nothing", { name: "cookie-12", value: "s", sameSite: "default" }, "cookie-12=s"],
    ["SameSite lax", { name: "cookie-13", value: "s", sameSite: "lax" }, "cookie-13=s; SameSite=Lax"],
    ["SameSite strict", { name: "cookie-14", value: "s", sameSite: "strict" }, "cookie-14=s; SameSite=Strict"],
    ["SameSite none", { name: "cookie-15", value: "s", sameSite: "none" }, "cookie-15=s; SameSite=None"],
    [
      "partitioned, in Go's attribute order",
      { name: "cookie-16", value: "p", path: "/", secure: true, sameSite: "none", partitioned: true },
      "cookie-16=p; Path=/; Secure; SameSite=None; Partitioned"
    ],
    ["HttpOnly comes before Secure", { name: "cookie-17", value: "f", secure: true, httpOnly: true }, "cookie-17=f; HttpOnly; Secure"],
    ["a negative Max-Age deletes: Max-Age=0", { name: "cookie-18", value: "gone", maxAge: -1 }, "cookie-18=gone; Max-Age=0"],
    [
      "every attribute",
      { name: "all", value: "v", path: "/p", domain: "example.com", expires: new Date(0), maxAge: 60, httpOnly: true, secure: true, sameSite: "lax", partitioned: true },
      "all=v; Path=/p; Domain=example.com; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=60; HttpOnly; Secure; SameSite=Lax; Partitioned"
    ],
    // Values with a space or a comma are written in double quotes (golang/go#7243).
    ["a space inside", { name: "special-1", value: "a z" }, "special-1=\"a z\""],
    ["a leading space", { name: "special-2", value: " z" }, "special-2=\" z\""],
    ["a trailing space", { name: "special-3", value: "a " }, "special-3=\"a \""],
    ["only a space", { name: "special-4", value: " " }, "special-4=\" \""],
    ["a comma inside", { name: "special-5", value: "a,z" }, "special-5=\"a,z\""],
    ["a leading comma", { name: "special-6", value: ",z" }, "special-6=\",z\""],
    ["a trailing comma", { name: "special-7", value: "a," }, "special-7=\"a,\""],
    ["only a comma", { name: "special-8", value: "," }, "special-8=\",\""],
    ["an empty value", { name: "empty-value", value: "" }, "empty-value="],
    ["a value received quoted is written quoted", { name: "quoted", value: "x", quoted: true }, "quoted=\"x\""],
    ["an empty quoted value stays empty", { name: "quoted-empty", value: "", quoted: true }, "quoted-empty="],
    // An invalid name writes no field at all.
    ["an empty name", { name: "" }, ""],
    ["a tab as name", { name: "\t" }, ""],
    ["a CR as name", { name: "\r" }, ""],
    ["a LF inside the name", { name: "a\nb", value: "v" }, ""],
    ["a CR inside the name", { name: "a\rb", value: "v" }, ""]
  ]

  it.each(rows)("%s", (_, init, expected) => {
    expect(serializeSetCookie(Cookie.make(init))).toBe(expected)
    expect(String(Cookie.make(init))).toBe(expected)
  })

  // Go's TestCookieSanitizeValue and TestCookieSanitizePath: bytes that may not appear are dropped.
  it.each([
    ["foo", "foo"],
    ["foo;bar", "foobar"],
    ["foo\\bar", "foobar"],
    ["foo\"bar", "foobar"],
    ["\x00\x7e\x7f\x80", "\x7e"],
    ["\"withquotes\"", "withquotes"],
    ["caf\u00e9", "caf"]
  ])("the value %j is written as %j", (value, written) => {
    expect(serializeSetCookie(Cookie.make({ name: "n", value }))).toBe("n=" + written)
  })

  it.each([
    ["/path", "/path"],
    ["/path with space/", "/path with space/"],
    ["/just;no;semicolon\x00orstuff/", "/justnosemicolonorstuff/"]
  ])("the path %j is written as %j", (path, written) => {
    expect(serializeSetCookie(Cookie.make({ name: "n", value: "v", path }))).toBe("n=v; Path=" + written)
  })
})

describe("parseCookieHeader (Go's readCookies)", () => {
  const pair = (name: string, value: string, quoted = false) => ({ name, value, quoted })
  const parsed = (lines: ReadonlyArray<string>, filter?: string) =>
    parseCookieHeader(lines, filter).map((c) => ({ name: c.name, value: c.value, quoted: c.quoted }))

  // [what the row shows, the Cookie field values, the filter, the cookies Go reads]
  const rows: ReadonlyArray<readonly [string, ReadonlyArray<string>, string | undefined, ReadonlyArray<ReturnType<typeof pair>>]> = [
    ["one pair per field, two fields", ["Cookie-1=v$1", "c2=v2"], undefined, [pair("Cookie-1", "v$1"), pair("c2", "v2")]],
    ["the same, only c2", ["Cookie-1=v$1", "c2=v2"], "c2", [pair("c2", "v2")]],
    ["two pairs in one field", ["Cookie-1=v$1; c2=v2"], undefined, [pair("Cookie-1", "v$1"), pair("c2", "v2")]],
    ["two pairs in one field, only c2", ["Cookie-1=v$1; c2=v2"], "c2", [pair("c2", "v2")]],
    ["quoted values lose their quotes and say so", ["Cookie-1=\"v$1\"; c2=\"v2\""], undefined, [pair("Cookie-1", "v$1", true), pair("c2", "v2", true)]],
    ["a trailing `;` and a mix of quoted and not", ["Cookie-1=\"v$1\"; c2=v2;"], undefined, [pair("Cookie-1", "v$1", true), pair("c2", "v2")]],
    ["an empty field has no cookies", [""], undefined, []],
    ["no field has no cookies", [], undefined, []],
    ["spaces and tabs around pairs are trimmed", ["  \tCookie-1=v$1 ;\t c2=v2  "], undefined, [pair("Cookie-1", "v$1"), pair("c2", "v2")]],
    ["the name is trimmed, the value is not", ["a = b"], undefined, [pair("a", " b")]],
    ["a pair without `=` is a cookie with an empty value", ["alone; x=y"], undefined, [pair("alone", ""), pair("x", "y")]],
    ["an empty quoted value", ["e=\"\""], undefined, [pair("e", "", true)]],
    ["a lone double quote is not a quoted value: skipped", ["q=\"; ok=1"], undefined, [pair("ok", "1")]],
    ["a name that is not a token is skipped", ["bad name=1; b@d=2; ok=3"], undefined, [pair("ok", "3")]],
    ["an empty name is skipped", ["=v; ok=1"], undefined, [pair("ok", "1")]],
    ["a value with `\"` or `\\` inside is skipped", ["a=x\"y; b=x\\y; c=z"], undefined, [pair("c", "z")]],
    ["a value with a non-ASCII character is skipped", ["a=caf\u00e9; b=ok"], undefined, [pair("b", "ok")]],
    ["empty pairs are skipped", [";;a=1;; ;b=2"], undefined, [pair("a", "1"), pair("b", "2")]],
    ["names are case-sensitive and repeat", ["A=1; a=2; A=3"], "A", [pair("A", "1"), pair("A", "3")]]
  ]

  it.each(rows)("%s", (_, lines, filter, expected) => {
    expect(parsed(lines, filter)).toEqual(expected)
  })

  it("reads a single field value given as a string", () => {
    expect(parsed(["a=1; b=2"])).toEqual(parseCookieHeader("a=1; b=2").map((c) => ({ name: c.name, value: c.value, quoted: c.quoted })))
  })
})

describe("validateCookie (Go's Cookie.Valid)", () => {
  // [what the row shows, the cookie, the field refused (undefined: valid), the index]
  const rows: ReadonlyArray<readonly [string, CookieInit, CookieField | undefined, number | undefined]> = [
    ["an empty name", { name: "" }, "name", undefined],
    ["a name that is not a token", { name: "a b", value: "v" }, "name", undefined],
    ["a double quote in the value", { name: "invalid-value", value: "foo\"bar" }, "value", 3],
    ["a semicolon in the path", { name: "invalid-path", path: "/foo;bar/" }, "path", 4],
    ["a port in the domain", { name: "invalid-domain", domain: "example.com:80" }, "domain", undefined],
    ["an expiry before 1601", { name: "invalid-expiry", expires: at(1600, 1, 1) }, "expires", undefined],
    ["an expiry that is no date", { name: "invalid-date", expires: new Date(Number.NaN) }, "expires", undefined],
    ["a fractional Max-Age (not in Go, whose MaxAge is an int)", { name: "fraction", maxAge: 1.5 }, "maxAge", undefined],
    ["partitioned without Secure", { name: "partitioned", partitioned: true }, "partitioned", undefined],
    ["only a name", { name: "valid-empty" }, undefined, undefined],
    ["a value with a space (allowed, written quoted)", { name: "spaced", value: "a b" }, undefined, undefined],
    ["path, domain and expiry", { name: "valid-expires", value: "foo", path: "/bar", domain: "example.com", expires: new Date(0) }, undefined, undefined],
    ["a Max-Age", { name: "valid-max-age", value: "foo", path: "/bar", domain: "example.com", maxAge: 60 }, undefined, undefined],
    ["a negative Max-Age", { name: "valid-delete", maxAge: -1 }, undefined, undefined],
    ["partitioned and Secure", { name: "valid-partitioned", secure: true, partitioned: true }, undefined, undefined],
    [
      "every field",
      { name: "valid-all-fields", value: "foo", path: "/bar", domain: "example.com", expires: new Date(0), maxAge: 0, httpOnly: true, secure: true, sameSite: "strict" },
      undefined,
      undefined
    ]
  ]

  it.each(rows)("%s", (_, init, field, index) => {
    const result = validateCookie(Cookie.make(init))
    if (field === undefined) {
      expect(Either.isRight(result)).toBe(true)
      return
    }
    expect(Either.isLeft(result)).toBe(true)
    if (Either.isLeft(result)) {
      expect(result.left._tag).toBe("InvalidCookie")
      expect(result.left.field).toBe(field)
      expect(result.left.name).toBe(init.name)
      expect(result.left.index).toBe(index)
      expect(result.left.message).toContain(field === "maxAge" ? "Max-Age" : "")
    }
  })
})

describe("ServerResponse.setCookie", () => {
  it("adds a Set-Cookie field per cookie to a copy, data-first or piped", () => {
    const base = ServerResponse.text("hi")
    const one = ServerResponse.setCookie(base, { name: "a", value: "1", httpOnly: true })
    expect(Either.isRight(one)).toBe(true)
    const two = Either.flatMap(one, ServerResponse.setCookie(Cookie.make({ name: "b", value: "x y", path: "/" })))
    const response = Either.getOrThrow(two)
    expect(response.headers.values("Set-Cookie")).toEqual(["a=1; HttpOnly", "b=\"x y\"; Path=/"])
    expect(response.headers.get("Content-Type")).toBe("text/plain; charset=utf-8")
    expect(response.body).toBe(base.body)
    // The original is not changed.
    expect(base.headers.has("Set-Cookie")).toBe(false)
  })

  it("refuses an invalid cookie with the field named", () => {
    const result = pipe(ServerResponse.empty(), ServerResponse.setCookie({ name: "p", partitioned: true }))
    expect(Either.isLeft(result) && result.left.field).toBe("partitioned")
    const bad = ServerResponse.setCookie(ServerResponse.empty(), { name: "v", value: "a;b" })
    expect(Either.isLeft(bad) && bad.left.field).toBe("value")
  })
})

describe("request.cookies", () => {
  it("parses every Cookie field, lazily and once; cookie(name) is the first of that name", () => {
    const request = Either.getOrThrow(ServerRequest.make({
      url: "/",
      headers: [["Cookie", "session=abc; theme=\"dark\""], ["Cookie", "bad name=1; session=second"]]
    }))
    expect(request.cookies.map((c) => [c.name, c.value, c.quoted])).toEqual([
      ["session", "abc", false],
      ["theme", "dark", true],
      ["session", "second", false]
    ])
    expect(request.cookies).toBe(request.cookies)
    expect(request.cookie("session")?.value).toBe("abc")
    expect(request.cookie("missing")).toBeUndefined()
    expect(request.cookie("")).toBeUndefined()
  })

  it("is empty without a Cookie field", () => {
    expect(Either.getOrThrow(ServerRequest.make({ url: "/" })).cookies).toEqual([])
  })

  it.effect("a handler reads a cookie and sets another, recorded without a socket", () =>
    Effect.gen(function*() {
      const request = Either.getOrThrow(ServerRequest.make({ url: "/", headers: { Cookie: "visits=2" } }))
      const recorded = yield* recordResponse(cookieHandler, request)
      expect(recorded.status).toBe(200)
      expect(recorded.text).toBe("visits 2")
      expect(recorded.headers.values("Set-Cookie")).toEqual(["visits=3; Path=/; Max-Age=60; HttpOnly; SameSite=Lax"])
    }))
})

/** Counts visits in a cookie, as a handler would. */
const cookieHandler = (request: ServerRequest) =>
  Effect.gen(function*() {
    const visits = Number(request.cookie("visits")?.value ?? "0")
    const response = ServerResponse.setCookie(ServerResponse.text(`visits ${visits}`), {
      name: "visits",
      value: String(visits + 1),
      path: "/",
      maxAge: 60,
      httpOnly: true,
      sameSite: "lax"
    })
    return yield* response
  })

describe("cookies over a real socket", () => {
  it.effect("the client's Cookie field reaches request.cookies; the handler's Set-Cookie reaches the client", () =>
    Effect.gen(function*() {
      const { client, url } = yield* HttpTest
      const response = yield* client.get(`${url}/`, { headers: { Cookie: "visits=41; other=\"x\"" } })
      expect(response.status).toBe(200)
      expect(new TextDecoder().decode(yield* Body.collect(response.body))).toBe("visits 41")
      expect(response.headers.values("Set-Cookie")).toEqual(["visits=42; Path=/; Max-Age=60; HttpOnly; SameSite=Lax"])
    }).pipe(Effect.scoped, Effect.provide(HttpTest.server(cookieHandler))))
})
