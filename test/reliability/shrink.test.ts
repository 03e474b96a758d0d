/** The shrinker reduces a failing input to a minimal one, within its budget. */
import { describe, expect, it } from "@effect/vitest"
import { shrink } from "../../reliability/fuzz/shrink.js"

const bytes = (s: string) => Buffer.from(s, "latin1")
const text = (b: Uint8Array) => Buffer.from(b).toString("latin1")

describe("shrink", () => {
  it("reduces to the two bytes a predicate needs (an X, later a Y)", () => {
    const fails = (b: Uint8Array) => {
      const s = text(b)
      const x = s.indexOf("X")
      return x >= 0 && s.indexOf("Y", x) > x
    }
    const input = bytes("GET /aXb HTTP/1.1\r\nHost: h\r\nY-Header: v\r\n\r\nbody")
    expect(text(shrink(input, fails))).toBe("XY")
  })

  it("keeps what a parser-like predicate needs, and simplifies the rest", () => {
    // Fails when a line holds a NUL byte after a colon.
    const fails = (b: Uint8Array) => /:[^\n]*\x00/.test(text(b))
    const out = text(shrink(bytes("GET / HTTP/1.1\r\nHost: example\r\nX-Evil: ab\x00cd\r\n\r\n"), fails))
    expect(out).toBe(":\x00")
  })

  it("answers the input itself when nothing smaller fails, and counts a throw as failing", () => {
    expect(text(shrink(bytes("ab"), (b) => b.length === 2 && text(b) === "ab"))).toBe("ab")
    expect(text(shrink(bytes("xxZxx"), (b) => {
      if (text(b).includes("Z")) throw new Error("boom")
      return false
    }))).toBe("Z")
  })

  it("stops at its budget of predicate calls", () => {
    let calls = 0
    shrink(bytes("a".repeat(2000)), () => {
      calls++
      return false
    }, { maxCalls: 50, maxMs: 10_000 })
    expect(calls).toBeLessThanOrEqual(51)
  })
})
