import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import * as Body from "../../src/domain/Body.js"
import { Headers } from "../../src/domain/Headers.js"
import { Request } from "../../src/domain/Request.js"
import { InvalidStatus } from "../../src/domain/errors.js"
import { Response } from "../../src/domain/Response.js"
import * as Status from "../../src/domain/Status.js"

const right = <A, E>(e: Either.Either<A, E>): A => {
  if (Either.isLeft(e)) throw new Error(`expected Right, got ${String(e.left)}`)
  return e.right
}
const left = <A, E>(e: Either.Either<A, E>): E => {
  if (Either.isRight(e)) throw new Error("expected Left")
  return e.left
}

describe("Response.make", () => {
  it("gives Go's reason phrase, HTTP/1.1, an empty body and no trailers by default", () => {
    const res = right(Response.make({ status: Status.NotFound }))
    expect(res).toBeInstanceOf(Response)
    expect(res.status).toBe(404)
    expect(res.statusText).toBe("Not Found")
    expect(res.proto).toBe("HTTP/1.1")
    expect(res.body._tag).toBe("Empty")
    expect(res.contentLength).toBe(0)
    expect(res.headers.size).toBe(0)
    expect(res.trailers).toBeUndefined()
    expect(res.request).toBeUndefined()
  })

  it("gives an empty reason phrase for a valid code Go does not name", () => {
    expect(right(Response.make({ status: 299 })).statusText).toBe("")
    expect(right(Response.make({ status: 999 })).statusText).toBe("")
  })

  it("takes the fields it is given", () => {
    const req = right(Request.make({ url: "http://example.com/" }))
    const res = right(
      Response.make({
        status: 200,
        statusText: "Fine",
        proto: "HTTP/1.0",
        headers: { "content-type": "text/plain" },
        body: Body.text("hi"),
        trailers: { "x-t": "1" },
        request: req
      })
    )
    expect(res.statusText).toBe("Fine")
    expect(res.proto).toBe("HTTP/1.0")
    expect(res.headers.get("Content-Type")).toBe("text/plain")
    expect(res.contentLength).toBe(2)
    expect(res.trailers?.get("X-T")).toBe("1")
    expect(res.request).toBe(req)
  })

  it("accepts a reason phrase with tabs and obs-text", () => {
    expect(right(Response.make({ status: 200, statusText: "Tout\tva bien, caf\u00e9" })).statusText).toBe(
      "Tout\tva bien, caf\u00e9"
    )
  })

  it("copies the Headers it is given", () => {
    const headers = Headers.make({ A: "1" })
    const res = right(Response.make({ status: 200, headers }))
    headers.set("A", "2")
    expect(res.headers.get("A")).toBe("1")
  })

  it.each([0, 99, 1000, 200.5, -200, Number.NaN])("refuses the status %d with InvalidStatus(code)", (status) => {
    const err = left(Response.make({ status }))
    expect(err).toBeInstanceOf(InvalidStatus)
    if (err._tag === "InvalidStatus") {
      expect(err.part).toBe("code")
      expect(err.status).toBe(status)
    }
  })

  it.each([
    ["OK\r\nSet-Cookie: a=1", 2],
    ["O\nK", 1],
    ["\u0000", 0],
    ["fine\u007f", 4],
    ["\u0100", 0]
  ])("refuses the reason phrase %j with InvalidStatus(reason)", (statusText, index) => {
    const err = left(Response.make({ status: 200, statusText }))
    expect(err._tag).toBe("InvalidStatus")
    if (err._tag === "InvalidStatus") {
      expect(err.part).toBe("reason")
      expect(err.statusText).toBe(statusText)
      expect(err.index).toBe(index)
    }
  })

  it("refuses invalid header and trailer fields with InvalidHeader", () => {
    const h = left(Response.make({ status: 200, headers: { Location: "/a\r\n" } }))
    expect(h._tag === "InvalidHeader" && h.name === "Location" && h.part === "value").toBe(true)
    const t = left(Response.make({ status: 200, trailers: [["bad:name", "v"]] }))
    expect(t._tag === "InvalidHeader" && t.part === "name").toBe(true)
  })
})

describe("Response copies", () => {
  it("withHeaders replaces the headers, validates, and leaves the original alone", () => {
    const res = right(Response.make({ status: 201, headers: { A: "1" } }))
    const next = right(res.withHeaders({ Location: "/items/1" }))
    expect(next.status).toBe(201)
    expect(next.headers.get("Location")).toBe("/items/1")
    expect(next.headers.has("A")).toBe(false)
    expect(res.headers.get("A")).toBe("1")
    expect(left(res.withHeaders({ "X-Bad": "\r" }))._tag).toBe("InvalidHeader")
  })

  it("withBody replaces the body and gives the copy its own headers", () => {
    const res = right(Response.make({ status: 200, headers: { A: "1" } }))
    const next = res.withBody(Body.text("abc"))
    expect(next.contentLength).toBe(3)
    expect(next.statusText).toBe("OK")
    expect(res.body._tag).toBe("Empty")
    next.headers.set("A", "2")
    expect(res.headers.get("A")).toBe("1")
  })
})
