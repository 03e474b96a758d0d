import { describe, expect, it } from "@effect/vitest"
import * as Status from "../../src/domain/Status.js"

describe("Status", () => {
  it("has Go's constants", () => {
    expect(Status.Continue).toBe(100)
    expect(Status.EarlyHints).toBe(103)
    expect(Status.OK).toBe(200)
    expect(Status.NonAuthoritativeInfo).toBe(203)
    expect(Status.IMUsed).toBe(226)
    expect(Status.PermanentRedirect).toBe(308)
    expect(Status.NotFound).toBe(404)
    expect(Status.ProxyAuthRequired).toBe(407)
    expect(Status.RequestURITooLong).toBe(414)
    expect(Status.Teapot).toBe(418)
    expect(Status.TooEarly).toBe(425)
    expect(Status.UnavailableForLegalReasons).toBe(451)
    expect(Status.HTTPVersionNotSupported).toBe(505)
    expect(Status.NetworkAuthenticationRequired).toBe(511)
  })

  it("names the 62 codes Go's net/http names, in increasing order, each with a phrase", () => {
    expect(Status.all).toHaveLength(62)
    expect([...Status.all].sort((a, b) => a - b)).toEqual(Status.all)
    for (const code of Status.all) expect(Status.statusText(code)).not.toBe("")
    // Go leaves 306 (unused), 419, 420, 427, 430 and 509 unnamed.
    for (const code of [306, 419, 420, 427, 430, 509]) expect(Status.all).not.toContain(code)
  })

  describe("statusText (Go's http.StatusText)", () => {
    it.each([
      [100, "Continue"],
      [101, "Switching Protocols"],
      [103, "Early Hints"],
      [200, "OK"],
      [203, "Non-Authoritative Information"],
      [207, "Multi-Status"],
      [226, "IM Used"],
      [302, "Found"],
      [304, "Not Modified"],
      [307, "Temporary Redirect"],
      [407, "Proxy Authentication Required"],
      [413, "Request Entity Too Large"],
      [414, "Request URI Too Long"],
      [416, "Requested Range Not Satisfiable"],
      [418, "I'm a teapot"],
      [422, "Unprocessable Entity"],
      [425, "Too Early"],
      [431, "Request Header Fields Too Large"],
      [451, "Unavailable For Legal Reasons"],
      [500, "Internal Server Error"],
      [505, "HTTP Version Not Supported"],
      [511, "Network Authentication Required"]
    ])("%i -> %j", (code, text) => {
      expect(Status.statusText(code)).toBe(text)
    })

    it.each([0, 99, 199, 299, 306, 600, 999, 200.5, -1, Number.NaN])("is empty for the unknown code %d", (code) => {
      expect(Status.statusText(code)).toBe("")
    })
  })

  it("isValidCode accepts three-digit integers only (Go's WriteHeader range)", () => {
    expect([100, 200, 599, 999].every(Status.isValidCode)).toBe(true)
    expect([0, 99, 1000, 200.5, -200, Number.NaN, Infinity].some(Status.isValidCode)).toBe(false)
  })

  it("classifies codes by their first digit", () => {
    const classes = (code: number) =>
      [Status.isInformational, Status.isSuccess, Status.isRedirect, Status.isClientError, Status.isServerError]
        .map((p) => (p(code) ? 1 : 0))
        .join("")
    expect(classes(100)).toBe("10000")
    expect(classes(199)).toBe("10000")
    expect(classes(200)).toBe("01000")
    expect(classes(299)).toBe("01000")
    expect(classes(304)).toBe("00100")
    expect(classes(400)).toBe("00010")
    expect(classes(499)).toBe("00010")
    expect(classes(500)).toBe("00001")
    expect(classes(599)).toBe("00001")
    expect(classes(99)).toBe("00000")
    expect(classes(600)).toBe("00000")
  })

  it("bodyAllowed is false for 1xx, 204 and 304 only (Go's bodyAllowedForStatus)", () => {
    for (const code of [100, 101, 103, 150, 199, 204, 304]) expect(Status.bodyAllowed(code)).toBe(false)
    for (const code of [200, 201, 205, 206, 300, 301, 303, 307, 400, 404, 500]) expect(Status.bodyAllowed(code)).toBe(true)
  })
})
