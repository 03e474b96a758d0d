/**
 * The fuzz targets' checks on known inputs: they pass on good and bad messages alike, and the
 * parser's one documented split dependence is recognized exactly, not more.
 */
import { describe, expect, it } from "@effect/vitest"
import { checkInput, isDocumentedSplitException, TARGETS } from "../../reliability/fuzz/targets.js"
import type { Observation } from "../../reliability/fuzz/types.js"

const obs = (): Observation => ({ errorTag: undefined, differential: undefined })
const bytes = (s: string) => Buffer.from(s, "latin1")

describe("fuzz targets", () => {
  it("pass on valid and malformed inputs, and note the error tag", () => {
    const ok = obs()
    expect(checkInput(TARGETS.request, bytes("GET / HTTP/1.1\r\nHost: h\r\n\r\n"), "thorough", ok)).toBeUndefined()
    expect(ok.errorTag).toBeUndefined()
    expect(ok.differential).toEqual({ kind: "agree" })
    const bad = obs()
    expect(checkInput(TARGETS.request, bytes("GET / HTTP/1.1\r\nHo(st: h\r\n\r\n"), "thorough", bad)).toBeUndefined()
    expect(bad.errorTag).toBe("MalformedMessage:invalid-header-name")
    const pattern = obs()
    expect(checkInput(TARGETS.pattern, bytes("/{a}/{a}"), "fast", pattern)).toBeUndefined()
    expect(pattern.errorTag).toBe("InvalidPattern:duplicate wildcard name")
    expect(checkInput(TARGETS.chunked, bytes("3\r\nabc\r\n0\r\n\r\n"), "thorough", obs())).toBeUndefined()
    expect(checkInput(TARGETS.response, bytes("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx"), "thorough", obs())).toBeUndefined()
  })

  it("recognize the documented split dependence of long unended lines, and nothing else", () => {
    // 1118 bytes: small limits (1 input in 13), a bad name byte, then a long line never ended.
    const long = bytes("GET / HTTP/1.1\r\nX(" + "a".repeat(1100))
    const o = obs()
    expect(checkInput(TARGETS.request, long, "thorough", o)).toBeUndefined()
    expect(o.documentedSplitException).toBe(true)
    const whole = "X MalformedMessage:invalid-header-name 17\n"
    const split = "X HeaderTooLarge 96\n"
    expect(isDocumentedSplitException(long, whole, split)).toBe(true)
    // A short line, a line ended, other events before the error, or two byte errors: not this.
    expect(isDocumentedSplitException(bytes("GET / HTTP/1.1\r\nX(aaa"), whole, split)).toBe(false)
    expect(isDocumentedSplitException(bytes("GET / HTTP/1.1\r\nX(" + "a".repeat(1100) + "\r\n"), whole, split)).toBe(false)
    expect(isDocumentedSplitException(long, "H GET /\n" + whole, split)).toBe(false)
    expect(isDocumentedSplitException(long, whole, "X MalformedMessage:invalid-header-name 18\n")).toBe(false)
  })
})
