import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import * as Method from "../../src/domain/Method.js"

const standard = [
  Method.GET,
  Method.HEAD,
  Method.POST,
  Method.PUT,
  Method.PATCH,
  Method.DELETE,
  Method.CONNECT,
  Method.OPTIONS,
  Method.TRACE
]

describe("Method", () => {
  it("has Go's standard method constants", () => {
    expect(standard).toEqual(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE"])
  })

  describe("isValidMethod / validateMethod (a token, RFC 9110 §9.1)", () => {
    it.each([...standard, "PROPFIND", "M-SEARCH", "get", "X!#$%&'*+-.^_`|~9"])("accepts %j", (m) => {
      expect(Method.isValidMethod(m)).toBe(true)
      expect(Method.validateMethod(m)).toEqual(Either.right(m))
    })

    it.each(["", "GET ", " GET", "GE T", "GET\r\n", "G(ET)", "GÉT", "GET/1", "a,b", "\u0000"])("refuses %j", (m) => {
      expect(Method.isValidMethod(m)).toBe(false)
      const r = Method.validateMethod(m)
      expect(Either.isLeft(r)).toBe(true)
      if (Either.isLeft(r)) {
        expect(r.left._tag).toBe("InvalidMethod")
        expect(r.left.method).toBe(m)
      }
    })
  })

  describe("isSafe (RFC 9110 §9.2.1)", () => {
    it("is true exactly for GET, HEAD, OPTIONS and TRACE", () => {
      expect(standard.filter(Method.isSafe)).toEqual(["GET", "HEAD", "OPTIONS", "TRACE"])
    })

    it("is case-sensitive and false for extension methods", () => {
      expect(Method.isSafe("get")).toBe(false)
      expect(Method.isSafe("Head")).toBe(false)
      expect(Method.isSafe("PROPFIND")).toBe(false)
    })
  })

  describe("isIdempotent (RFC 9110 §9.2.2)", () => {
    it("is true for the safe methods, PUT and DELETE", () => {
      expect(standard.filter(Method.isIdempotent)).toEqual(["GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"])
    })

    it("is false for POST, PATCH, CONNECT and lower-case methods", () => {
      for (const m of ["POST", "PATCH", "CONNECT", "put", "delete"]) expect(Method.isIdempotent(m)).toBe(false)
    })

    it("every safe method is idempotent", () => {
      for (const m of standard) if (Method.isSafe(m)) expect(Method.isIdempotent(m)).toBe(true)
    })
  })
})
