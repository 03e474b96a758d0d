/**
 * Handlers without sockets (issue 19, item 6): `ServerRequest.make` (Go's
 * `httptest.NewRequest`) and `recordResponse` / `HttpTest.record` (Go's `ResponseRecorder`,
 * plus what the server adds), for every kind of response; and a property: for generated
 * requests, the recorded response has the status, body and content fields a real round trip
 * through `HttpTest.server` gets.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Chunk, Duration, Effect, Either, FastCheck as fc, Option, Stream, TestClock } from "effect"
import { Arbitraries, Body, Headers, HttpTest } from "../../src/index.js"
import { RequestBodyError } from "../../src/server/errors.js"
import type { Handler } from "../../src/server/Handler.js"
import { recordResponse } from "../../src/server/record.js"
import { ServerRequest, type ServerRequestInit } from "../../src/server/ServerRequest.js"
import * as ServerResponse from "../../src/server/ServerResponse.js"

const make = (init: ServerRequestInit): ServerRequest => Either.getOrThrow(ServerRequest.make(init))
const bytes = (s: string) => new TextEncoder().encode(s)
const fields = (h: Headers) => [...h]
/** The Date at the TestClock's start. */
const EPOCH = "Thu, 01 Jan 1970 00:00:00 GMT"

const record = <E>(handler: Handler<E>, init: ServerRequestInit = { url: "/" }) => recordResponse(handler, make(init))

describe("ServerRequest.make", () => {
  it("builds the head a client would send: Host, origin-form target, framing", () => {
    const r = make({ method: "POST", url: "http://example.org:8080/a/b?x=1&y", headers: { "X-One": "1" }, body: "hello" })
    expect(r.method).toBe("POST")
    expect(r.target).toBe("/a/b?x=1&y")
    expect(r.host).toBe("example.org:8080")
    expect(r.path).toBe("/a/b")
    expect(r.rawQuery).toBe("x=1&y")
    expect(r.url.href).toBe("http://example.org:8080/a/b?x=1&y")
    expect(r.proto).toBe("HTTP/1.1")
    expect(fields(r.headers)).toEqual([["Host", "example.org:8080"], ["X-One", "1"], ["Content-Length", "5"]])
    expect(r.contentLength).toBe(5)
    expect(r.head.framing).toBe("length")
    expect(r.remoteAddress).toBe("192.0.2.1")
    expect(r.remotePort).toBe(1234)
    expect(r.tls).toBeUndefined()
  })

  it("a path is relative to http://example.com, as Go's httptest.NewRequest", () => {
    const r = make({ url: "/search?q=a%20b" })
    expect(r.method).toBe("GET")
    expect(r.host).toBe("example.com")
    expect(r.target).toBe("/search?q=a%20b")
    expect(r.head.framing).toBe("none")
    expect(r.headers.get("Content-Length")).toBeUndefined()
  })

  it("a Host field names the host; framing fields given are replaced by the body's", () => {
    const r = make({ url: "/", headers: { Host: "virtual.test", "Content-Length": "99", "Transfer-Encoding": "gzip" }, body: "abc" })
    expect(r.host).toBe("virtual.test")
    expect(fields(r.headers)).toEqual([["Host", "virtual.test"], ["Content-Length", "3"]])
  })

  it("framing as Go's client: Content-Length 0 for an empty POST, chunked for a stream of unknown length or trailers", () => {
    expect(make({ method: "POST", url: "/" }).headers.get("Content-Length")).toBe("0")
    expect(make({ method: "DELETE", url: "/" }).head.framing).toBe("none")
    const streamed = make({ method: "PUT", url: "/", body: Stream.make(bytes("a"), bytes("b")) })
    expect(streamed.head.framing).toBe("chunked")
    expect(streamed.headers.get("Transfer-Encoding")).toBe("chunked")
    expect(streamed.contentLength).toBeUndefined()
    expect(make({ method: "PUT", url: "/", body: Body.stream(Stream.make(bytes("ab")), 2) }).headers.get("Content-Length")).toBe("2")
    expect(make({ method: "PUT", url: "/", body: "x", trailers: { "X-T": "1" } }).head.framing).toBe("chunked")
  })

  it("https: the scheme and Go's default TLS facts", () => {
    const r = make({ url: "https://secure.test/x" })
    expect(r.scheme).toBe("https")
    expect(r.url.href).toBe("https://secure.test/x")
    expect(r.tls?.handshakeComplete).toBe(true)
    expect(r.tls?.servername).toBe("secure.test")
  })

  it("HTTP/1.0 and Connection decide keep-alive", () => {
    expect(make({ url: "/" }).head.keepAlive).toBe(true)
    expect(make({ url: "/", headers: { Connection: "close" } }).head.keepAlive).toBe(false)
    expect(make({ url: "/", proto: "HTTP/1.0" }).head.keepAlive).toBe(false)
    expect(make({ url: "/", proto: "HTTP/1.0", headers: { Connection: "keep-alive" } }).head.keepAlive).toBe(true)
  })

  it("refuses what Request.make refuses, with the same tagged errors", () => {
    const left = (init: ServerRequestInit) => Either.flip(ServerRequest.make(init)).pipe(Either.getOrThrow)
    expect(left({ method: "GE T", url: "/" })).toMatchObject({ _tag: "InvalidMethod", method: "GE T" })
    expect(left({ url: "ftp://example.com/" })).toMatchObject({ _tag: "InvalidUrl", reason: "unsupported-scheme" })
    expect(left({ url: "/a\nb" })).toMatchObject({ _tag: "InvalidUrl", url: "/a\nb", reason: "invalid-character" })
    expect(left({ url: "/", headers: { "X-Bad": "a\r\nb" } })).toMatchObject({ _tag: "InvalidHeader", name: "X-Bad", part: "value" })
    expect(left({ url: "/", trailers: { "Bad Name": "x" } })).toMatchObject({ _tag: "InvalidHeader", part: "name" })
  })

  it.effect("the body reads as given, in chunks; trailers once it ended; hijack has no connection", () =>
    Effect.gen(function*() {
      const r = make({ method: "POST", url: "/", body: Stream.make(bytes("ab"), bytes(""), bytes("cd")), trailers: { "X-Sum": "4" } })
      expect(r.trailers).toBeUndefined()
      const chunks = yield* Stream.runCollect(r.body)
      expect(Chunk.toReadonlyArray(chunks).map((c) => new TextDecoder().decode(c))).toEqual(["ab", "cd"])
      expect(r.trailers?.get("X-Sum")).toBe("4")
      expect(yield* Effect.either(r.pull)).toEqual(Either.left(Option.none()))
      const hijack = yield* Effect.scoped(Effect.flip(r.hijack))
      expect(hijack).toMatchObject({ _tag: "HijackError", detail: "no connection" })
      expect(yield* make({ method: "POST", url: "/", body: "whole" }).text).toBe("whole")
    }))
})

describe("recordResponse: every kind of response", () => {
  it.effect("text: the handler's Content-Type, then Date and Content-Length", () =>
    Effect.gen(function*() {
      const r = yield* record(() => Effect.succeed(ServerResponse.text("hello")))
      expect(r.status).toBe(200)
      expect(r.statusText).toBe("OK")
      expect(fields(r.headers)).toEqual([["Content-Type", "text/plain; charset=utf-8"], ["Date", EPOCH], ["Content-Length", "5"]])
      expect(r.text).toBe("hello")
      expect(r.trailers).toBeUndefined()
      expect(r.interim).toEqual([])
      expect(r.close).toBe(false)
      expect(r.aborted).toBe(false)
      expect(r.cause).toBeUndefined()
    }))

  it.effect("the Date is the Clock's", () =>
    Effect.gen(function*() {
      yield* TestClock.adjust(Duration.seconds(1_700_000_000))
      const r = yield* record(() => Effect.succeed(ServerResponse.empty()))
      expect(r.headers.get("Date")).toBe("Tue, 14 Nov 2023 22:13:20 GMT")
    }))

  it.effect("html and json", () =>
    Effect.gen(function*() {
      const html = yield* record(() => Effect.succeed(ServerResponse.html("<p>hi</p>")))
      expect(html.headers.get("Content-Type")).toBe("text/html; charset=utf-8")
      expect(html.text).toBe("<p>hi</p>")
      const json = yield* record(() => ServerResponse.json({ a: [1, 2] }, { status: 201 }))
      expect(json.status).toBe(201)
      expect(json.statusText).toBe("Created")
      expect(json.headers.get("Content-Type")).toBe("application/json")
      expect(JSON.parse(json.text)).toEqual({ a: [1, 2] })
    }))

  it.effect("bytes: the Content-Type is sniffed from the body (Go's DetectContentType)", () =>
    Effect.gen(function*() {
      const page = yield* record(() => Effect.succeed(ServerResponse.bytes(bytes("<!DOCTYPE html><html>"))))
      expect(page.headers.get("Content-Type")).toBe("text/html; charset=utf-8")
      const png = yield* record(() => Effect.succeed(ServerResponse.bytes(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]))))
      expect(png.headers.get("Content-Type")).toBe("image/png")
      expect(png.headers.get("Content-Length")).toBe("9")
    }))

  it.effect("a stream of unknown length: chunked, sniffed from its first chunk, the chunks joined", () =>
    Effect.gen(function*() {
      const r = yield* record(() => Effect.succeed(ServerResponse.stream(Stream.make(bytes("<html>"), bytes("a"), bytes("b")))))
      expect(fields(r.headers)).toEqual([["Date", EPOCH], ["Content-Type", "text/html; charset=utf-8"], ["Transfer-Encoding", "chunked"]])
      expect(r.text).toBe("<html>ab")
      const sized = yield* record(() => Effect.succeed(ServerResponse.stream(Stream.make(bytes("ab"), bytes("c")), { length: 3 })))
      expect(sized.headers.get("Content-Length")).toBe("3")
      expect(sized.text).toBe("abc")
    }))

  it.effect("empty, 204 and a status page", () =>
    Effect.gen(function*() {
      const empty = yield* record(() => Effect.succeed(ServerResponse.empty()))
      expect(fields(empty.headers)).toEqual([["Date", EPOCH], ["Content-Length", "0"]])
      const noContent = yield* record(() => Effect.succeed(ServerResponse.empty({ status: 204 })))
      expect(fields(noContent.headers)).toEqual([["Date", EPOCH]])
      const notFound = yield* record(() => Effect.succeed(ServerResponse.status(404)))
      expect(notFound.status).toBe(404)
      expect(notFound.statusText).toBe("Not Found")
      expect(notFound.text).toBe("Not Found\n")
      const teapot = yield* record(() => Effect.succeed(ServerResponse.text("short", { status: 418, statusText: "I'm a teapot, really" })))
      expect(teapot.statusText).toBe("I'm a teapot, really")
    }))

  it.effect("a redirect", () =>
    Effect.gen(function*() {
      const r = yield* record(() => Effect.succeed(ServerResponse.redirect("/elsewhere", 301)))
      expect(r.status).toBe(301)
      expect(r.headers.get("Location")).toBe("/elsewhere")
      expect(r.body.length).toBe(0)
    }))

  it.effect("trailers: announced, chunked, sent after the body (a bytes body too)", () =>
    Effect.gen(function*() {
      const trailers = { names: ["X-Checksum"], values: Effect.sync(() => Headers.make({ "X-Checksum": "abc" })) }
      const streamed = yield* record(() => Effect.succeed(ServerResponse.stream(Stream.make(bytes("data")), { trailers })))
      expect(streamed.headers.get("Transfer-Encoding")).toBe("chunked")
      expect(streamed.headers.get("Trailer")).toBe("X-Checksum")
      expect(streamed.text).toBe("data")
      expect(streamed.trailers?.get("X-Checksum")).toBe("abc")
      const inMemory = yield* record(() => Effect.succeed(ServerResponse.text("data", { trailers })))
      expect(inMemory.headers.get("Content-Length")).toBeUndefined()
      expect(inMemory.headers.get("Transfer-Encoding")).toBe("chunked")
      expect(inMemory.trailers?.get("X-Checksum")).toBe("abc")
      // HTTP/1.0 has no chunked coding: no trailers.
      const old = yield* record(() => Effect.succeed(ServerResponse.text("data", { trailers })), { url: "/", proto: "HTTP/1.0" })
      expect(old.trailers).toBeUndefined()
      expect(old.headers.get("Content-Length")).toBe("4")
    }))

  it.effect("304: no body, no Content-Type, no framing fields", () =>
    Effect.gen(function*() {
      const r = yield* record(() => Effect.succeed(ServerResponse.text("ignored", { status: 304, headers: { ETag: "\"v1\"" } })))
      expect(r.status).toBe(304)
      expect(fields(r.headers)).toEqual([["Etag", "\"v1\""], ["Date", EPOCH]])
      expect(r.body.length).toBe(0)
    }))

  it.effect("HEAD: the fields of the GET answer, no body; a stream body is not run", () =>
    Effect.gen(function*() {
      const text = yield* record(() => Effect.succeed(ServerResponse.text("hello")), { method: "HEAD", url: "/" })
      expect(text.headers.get("Content-Length")).toBe("5")
      expect(text.body.length).toBe(0)
      const endless = yield* record(() => Effect.succeed(ServerResponse.stream(Stream.die("must not run"))), { method: "HEAD", url: "/" })
      expect(endless.status).toBe(200)
      expect(endless.body.length).toBe(0)
      expect(endless.cause).toBeUndefined()
    }))

  it.effect("full duplex: a streamed answer reads the request body as it goes (an echo)", () =>
    Effect.gen(function*() {
      const parts = ["one,", "two,", "three"]
      const echo: Handler<RequestBodyError> = (request) =>
        Effect.succeed(ServerResponse.stream(request.body, { headers: { "Content-Type": "application/octet-stream" } }))
      const r = yield* record(echo, { method: "POST", url: "/echo", body: Stream.fromIterable(parts.map(bytes)) })
      expect(r.status).toBe(200)
      expect(r.headers.get("Transfer-Encoding")).toBe("chunked")
      expect(r.text).toBe(parts.join(""))
      expect(r.close).toBe(false)
    }))

  it.effect("a failing handler and a defect: the server's 500, the connection closed", () =>
    Effect.gen(function*() {
      const failed = yield* record(() => Effect.fail("boom"))
      expect(failed.status).toBe(500)
      expect(fields(failed.headers)).toEqual([
        ["Content-Type", "text/plain; charset=utf-8"],
        ["Connection", "close"],
        ["Content-Length", "25"]
      ])
      expect(failed.text).toBe("500 Internal Server Error")
      expect(failed.close).toBe(true)
      expect(failed.cause !== undefined && Cause.failureOption(failed.cause)).toEqual(Option.some("boom"))
      const died = yield* record(() => Effect.die(new Error("bug")))
      expect(died.status).toBe(500)
      expect(died.cause !== undefined && Cause.isDie(died.cause)).toBe(true)
      const badStatus = yield* record(() => Effect.succeed(ServerResponse.text("x", { status: 1000 })))
      expect(badStatus.status).toBe(500)
      expect(badStatus.cause !== undefined && Cause.pretty(badStatus.cause)).toContain("InvalidStatusError")
    }))

  it.effect("a RequestBodyError let through: 400 for a body cut short, 413 too large, 408 stalled", () =>
    Effect.gen(function*() {
      const cut = Stream.concat(Stream.make(bytes("par")), Stream.fail(new RequestBodyError({ reason: "truncated", detail: "unexpected EOF" })))
      const readAll: Handler<RequestBodyError> = (request) => Effect.map(request.text, (t) => ServerResponse.text(t))
      const r = yield* record(readAll, { method: "POST", url: "/", body: cut })
      expect(r.status).toBe(400)
      expect(r.text).toBe("400 Bad Request: unexpected EOF")
      expect(r.close).toBe(true)
      const tooLarge = yield* record(() => Effect.fail(new RequestBodyError({ reason: "too-large", detail: "over" })))
      expect(tooLarge.status).toBe(413)
      const stalled = yield* record(() => Effect.fail(new RequestBodyError({ reason: "timeout", detail: "slow" })))
      expect(stalled.status).toBe(408)
      const consumed = yield* record(() => Effect.fail(new RequestBodyError({ reason: "consumed", detail: "gone" })))
      expect(consumed.status).toBe(500)
    }))

  it.effect("a streamed answer that fails after its head: aborted, the body so far", () =>
    Effect.gen(function*() {
      const r = yield* record(() => Effect.succeed(ServerResponse.stream(Stream.concat(Stream.make(bytes("begun")), Stream.fail("lost")))))
      expect(r.status).toBe(200)
      expect(r.text).toBe("begun")
      expect(r.aborted).toBe(true)
      expect(r.close).toBe(true)
      const long = yield* record(() => Effect.succeed(ServerResponse.stream(Stream.make(bytes("abcdef")), { length: 3 })))
      expect(long.text).toBe("abc")
      expect(long.aborted).toBe(true)
    }))

  it.effect("interim responses: 103 Early Hints recorded in order; none to HTTP/1.0; 100 on the first read of an Expect body", () =>
    Effect.gen(function*() {
      const hints: Handler<unknown> = (request) =>
        Effect.gen(function*() {
          yield* request.writeInterim(103, { Link: "</style.css>; rel=preload; as=style" })
          yield* request.writeInterim(103, { Link: "</app.js>; rel=preload; as=script" })
          return ServerResponse.text("page")
        })
      const r = yield* record(hints)
      expect(r.interim.map((i) => [i.status, i.headers.get("Link")])).toEqual([
        [103, "</style.css>; rel=preload; as=style"],
        [103, "</app.js>; rel=preload; as=script"]
      ])
      expect(r.text).toBe("page")
      expect((yield* record(hints, { url: "/", proto: "HTTP/1.0" })).interim).toEqual([])
      const refused = yield* record((request) => Effect.map(Effect.flip(request.writeInterim(101)), (e) => ServerResponse.text(e._tag)))
      expect(refused.text).toBe("InterimResponseError")

      const upload: Handler<RequestBodyError> = (request) => Effect.map(request.text, (t) => ServerResponse.text(t.toUpperCase()))
      const expect100 = yield* record(upload, { method: "PUT", url: "/", headers: { Expect: "100-continue" }, body: "abc" })
      expect(expect100.interim.map((i) => i.status)).toEqual([100])
      expect(expect100.text).toBe("ABC")
      // Not read: no 100, and the connection closes (the client still waits to send it).
      const unread = yield* record(() => Effect.succeed(ServerResponse.empty()), { method: "PUT", url: "/", headers: { Expect: "100-continue" }, body: "abc" })
      expect(unread.interim).toEqual([])
      expect(unread.close).toBe(true)
    }))

  it.effect("the connection fields: close asked, HTTP/1.0 keep-alive, and a stream to HTTP/1.0 read until close", () =>
    Effect.gen(function*() {
      const ok = () => Effect.succeed(ServerResponse.text("x"))
      const asked = yield* record(ok, { url: "/", headers: { Connection: "close" } })
      expect(asked.headers.get("Connection")).toBe("close")
      expect(asked.close).toBe(true)
      const kept = yield* record(ok, { url: "/", proto: "HTTP/1.0", headers: { Connection: "keep-alive" } })
      expect(kept.headers.get("Connection")).toBe("keep-alive")
      expect(kept.close).toBe(false)
      const streamed = yield* record(() => Effect.succeed(ServerResponse.stream(Stream.make(bytes("a"), bytes("b")))), { url: "/", proto: "HTTP/1.0" })
      expect(streamed.headers.get("Transfer-Encoding")).toBeUndefined()
      expect(streamed.headers.get("Connection")).toBe("close")
      expect(streamed.text).toBe("ab")
      expect(streamed.close).toBe(true)
    }))

  it.effect("the requests the serve loop refuses before the handler: a bad Host, a bad escape", () =>
    Effect.gen(function*() {
      const never = () => Effect.die("the handler must not run")
      const badHost = yield* record(never, { url: "/", headers: { Host: "a b" } })
      expect(badHost.status).toBe(400)
      expect(badHost.text).toBe("400 Bad Request: malformed Host header")
      const expectation = yield* record(never, { url: "/", headers: { Expect: "something-else" } })
      expect(expectation.status).toBe(417)
    }))

  it.effect("HttpTest.record is recordResponse", () =>
    Effect.gen(function*() {
      const r = yield* HttpTest.record(() => Effect.succeed(ServerResponse.text("same")), make({ url: "/" }))
      expect(r.text).toBe("same")
      expect(r.headers.get("Date")).toBe(EPOCH)
    }))
})

/**
 * A handler with several kinds of answer, chosen from the request: a target with "s" streams,
 * "e" is empty, "n" a 404, "f" fails; the rest answer JSON with what the request held.
 */
const varied: Handler<string | RequestBodyError> = (request) =>
  Effect.gen(function*() {
    const body = yield* request.bytes
    const facts = JSON.stringify({ method: request.method, target: request.target, length: body.length, x: request.headers.get("X-Test") ?? null })
    const pick = request.path.charAt(1)
    if (pick === "s") return ServerResponse.stream(Stream.make(bytes(facts.slice(0, 5)), bytes(facts.slice(5))))
    if (pick === "e") return ServerResponse.empty({ status: 204 })
    if (pick === "n") return ServerResponse.status(404)
    if (pick === "f") return yield* Effect.fail("failed on purpose")
    return ServerResponse.unsafeJson(JSON.parse(facts))
  })

describe("recordResponse against a real round trip", () => {
  it.effect("property: for generated requests, status, body and content fields agree with HttpTest.server", () =>
    Effect.gen(function*() {
      const { client, url } = yield* HttpTest
      const targets = fc.constantFrom("/s", "/e", "/n", "/f", "/j", "/stream?q=1", "/x/y")
      const sample = fc.sample(fc.tuple(Arbitraries.request(url), targets), { numRuns: 30, seed: 19 })
      for (const [generated, target] of sample) {
        const href = url + target
        const init: ServerRequestInit = {
          method: generated.method,
          url: href,
          headers: generated.headers,
          body: generated.body._tag === "Bytes" ? generated.body.bytes : undefined
        }
        const recorded = yield* recordResponse(varied, make(init))
        const sent = Either.getOrThrow(generated.withUrl(href))
        const real = yield* Effect.scoped(Effect.flatMap(client.do(sent), (response) =>
          Effect.map(Body.collect(response.body), (body) => ({ response, body }))))
        const label = `${generated.method} ${target}`
        expect(recorded.status, label).toBe(real.response.status)
        expect(new TextDecoder().decode(recorded.body), label).toBe(new TextDecoder().decode(real.body))
        for (const name of ["Content-Type", "Content-Length", "Transfer-Encoding"]) {
          expect(recorded.headers.get(name), `${label}: ${name}`).toBe(real.response.headers.get(name))
        }
      }
    }).pipe(Effect.scoped, Effect.provide(HttpTest.server(varied))))
})
