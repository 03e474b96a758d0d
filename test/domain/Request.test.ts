import { describe, expect, it } from "@effect/vitest"
import { Either, Stream } from "effect"
import * as Body from "../../src/domain/Body.js"
import { Headers } from "../../src/domain/Headers.js"
import { InvalidUrl } from "../../src/domain/errors.js"
import { Request } from "../../src/domain/Request.js"

const right = <A, E>(e: Either.Either<A, E>): A => {
  if (Either.isLeft(e)) throw new Error(`expected Right, got ${String(e.left)}`)
  return e.right
}
const left = <A, E>(e: Either.Either<A, E>): E => {
  if (Either.isRight(e)) throw new Error("expected Left")
  return e.left
}

describe("Request.make", () => {
  it("defaults to GET, an empty body, HTTP/1.1, the URL's host and no trailers", () => {
    const req = right(Request.make({ url: "http://example.com/a?b=c" }))
    expect(req).toBeInstanceOf(Request)
    expect(req.method).toBe("GET")
    expect(req.url.href).toBe("http://example.com/a?b=c")
    expect(req.host).toBe("example.com")
    expect(req.proto).toBe("HTTP/1.1")
    expect(req.body._tag).toBe("Empty")
    expect(req.contentLength).toBe(0)
    expect(req.headers.size).toBe(0)
    expect(req.trailers).toBeUndefined()
  })

  it("keeps a non-default port in the host and drops the default one (WHATWG URL)", () => {
    expect(right(Request.make({ url: "http://example.com:8080/" })).host).toBe("example.com:8080")
    expect(right(Request.make({ url: "https://example.com:443/" })).host).toBe("example.com")
    expect(right(Request.make({ url: "http://[::1]:3000/" })).host).toBe("[::1]:3000")
  })

  it("takes the method, headers, body and trailers it is given", () => {
    const req = right(
      Request.make({
        method: "POST",
        url: "https://api.example.com/items",
        headers: { "content-type": "application/json" },
        body: Body.text("{}"),
        trailers: { "x-checksum": "abc" }
      })
    )
    expect(req.method).toBe("POST")
    expect(req.headers.get("Content-Type")).toBe("application/json")
    expect(req.contentLength).toBe(2)
    expect(req.trailers?.get("X-Checksum")).toBe("abc")
  })

  it("accepts extension methods, case preserved", () => {
    expect(right(Request.make({ method: "PROPFIND", url: "http://h/" })).method).toBe("PROPFIND")
    expect(right(Request.make({ method: "get", url: "http://h/" })).method).toBe("get")
  })

  it("copies a URL object and Headers it is given, so the caller's changes do not leak in", () => {
    const url = new URL("http://example.com/x")
    const headers = Headers.make({ A: "1" })
    const req = right(Request.make({ url, headers }))
    url.pathname = "/changed"
    headers.set("A", "2")
    expect(req.url.pathname).toBe("/x")
    expect(req.headers.get("A")).toBe("1")
  })

  it.each(["", "GET /", "GE\nT", "(GET)"])("refuses the method %j with InvalidMethod", (method) => {
    const err = left(Request.make({ method, url: "http://example.com/" }))
    expect(err._tag).toBe("InvalidMethod")
    if (err._tag === "InvalidMethod") expect(err.method).toBe(method)
  })

  it.each([
    ["not a url", "unparseable"],
    ["/relative/path", "unparseable"],
    ["http://exa mple.com/", "unparseable"],
    ["ftp://example.com/file", "unsupported-scheme"],
    ["file:///etc/passwd", "unsupported-scheme"],
    ["http://example.com/\r\nX-Injected: 1", "invalid-character"],
    ["http://exa\tmple.com/", "invalid-character"],
    ["http://example.com/\u007f", "invalid-character"],
    [" http://example.com/", "invalid-character"],
    ["http://example.com/ ", "invalid-character"]
  ])("refuses the URL %j with InvalidUrl(%s)", (url, reason) => {
    const err = left(Request.make({ url }))
    expect(err).toBeInstanceOf(InvalidUrl)
    if (err._tag === "InvalidUrl") {
      expect(err.reason).toBe(reason)
      expect(err.url).toBe(url)
    }
  })

  it("accepts a space inside the path, percent-encoded (as Go's url.Parse does)", () => {
    expect(right(Request.make({ url: "http://example.com/a b" })).url.pathname).toBe("/a%20b")
  })

  it("refuses a URL object with another scheme", () => {
    const err = left(Request.make({ url: new URL("ws://example.com/") }))
    expect(err._tag === "InvalidUrl" && err.reason === "unsupported-scheme" && err.url === "ws://example.com/").toBe(
      true
    )
  })

  it("refuses invalid header and trailer fields with InvalidHeader", () => {
    const h = left(Request.make({ url: "http://h/", headers: { "X-A": "x\r\nEvil: 1" } }))
    expect(h._tag === "InvalidHeader" && h.name === "X-A" && h.part === "value").toBe(true)
    const n = left(Request.make({ url: "http://h/", headers: [["bad name", "v"]] }))
    expect(n._tag === "InvalidHeader" && n.part === "name").toBe(true)
    const t = left(Request.make({ url: "http://h/", trailers: { "X-T": "\u0000" } }))
    expect(t._tag === "InvalidHeader" && t.name === "X-T").toBe(true)
  })

  it("reports the method first when several things are wrong", () => {
    expect(left(Request.make({ method: "B A D", url: "nope", headers: { "a b": "c" } }))._tag).toBe("InvalidMethod")
    expect(left(Request.make({ url: "nope", headers: { "a b": "c" } }))._tag).toBe("InvalidUrl")
  })
})

describe("Request copies", () => {
  const base = () =>
    right(Request.make({ method: "PUT", url: "http://example.com/a", headers: { A: "1" }, body: Body.text("x") }))

  it("withHeaders replaces the headers and keeps the rest", () => {
    const req = base()
    const next = right(req.withHeaders({ B: "2" }))
    expect(next.headers.has("A")).toBe(false)
    expect(next.headers.get("B")).toBe("2")
    expect(next.method).toBe("PUT")
    expect(next.body).toBe(req.body)
    expect(req.headers.get("A")).toBe("1")
    expect(req.headers.has("B")).toBe(false)
  })

  it("withHeaders validates", () => {
    expect(left(base().withHeaders({ B: "\n" }))._tag).toBe("InvalidHeader")
  })

  it("withBody replaces the body and gives the copy its own headers", () => {
    const req = base()
    const body = Body.stream(Stream.make(new Uint8Array(3)), 3)
    const next = req.withBody(body)
    expect(next.body).toBe(body)
    expect(next.contentLength).toBe(3)
    expect(req.body._tag).toBe("Bytes")
    next.headers.set("A", "changed")
    expect(req.headers.get("A")).toBe("1")
    expect(next.url).toBe(req.url)
  })

  it("withUrl changes the URL and the Host, and validates", () => {
    const req = base()
    const next = right(req.withUrl("https://other.example:8443/b"))
    expect(next.url.href).toBe("https://other.example:8443/b")
    expect(next.host).toBe("other.example:8443")
    expect(next.method).toBe("PUT")
    expect(next.headers.get("A")).toBe("1")
    expect(req.url.href).toBe("http://example.com/a")
    expect(req.host).toBe("example.com")
    const err = left(req.withUrl("mailto:someone@example.com"))
    expect(err.reason).toBe("unsupported-scheme")
  })

  it("the constructor takes a Host different from the URL's (a server's view, or Go's req.Host)", () => {
    const req = new Request({
      method: "GET",
      url: new URL("http://10.0.0.1/"),
      headers: Headers.empty(),
      body: Body.empty,
      host: "virtual.example",
      proto: "HTTP/1.0",
      trailers: undefined
    })
    expect(req.host).toBe("virtual.example")
    expect(req.proto).toBe("HTTP/1.0")
    expect(req.withBody(Body.text("y")).host).toBe("virtual.example")
  })
})
