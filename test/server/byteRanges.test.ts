/**
 * byteRanges.ts as pure functions: `parseRange` against Go's `ParseRangeTests`
 * (net/http range_test.go) and the suffix cases of fs_test.go's
 * `TestServeFileRejectsInvalidSuffixLengths`, Content-Range formatting, and the
 * `multipart/byteranges` layout byte for byte with its exact size.
 */
import { describe, expect, it } from "vitest"
import { type ByteRange, contentRange, multipartByteranges, parseRange, sumRangesSize, unsatisfiedContentRange } from "../../src/server/byteRanges.js"

const r = (start: number, length: number): ByteRange => ({ start, length })

describe("parseRange", () => {
  // Go's ParseRangeTests. Where Go's table says nil, Go answers either an error ("invalid",
  // or errNoOverlap: "no-overlap") or no ranges at all ([]): each row says which.
  const cases: ReadonlyArray<readonly [string, number, ReturnType<typeof parseRange>]> = [
    ["", 0, []],
    ["", 1000, []],
    ["foo", 0, "invalid"],
    ["bytes=", 0, []],
    ["bytes=7", 10, "invalid"],
    ["bytes= 7 ", 10, "invalid"],
    ["bytes=1-", 0, "no-overlap"],
    ["bytes=5-4", 10, "invalid"],
    ["bytes=0-2,5-4", 10, "invalid"],
    ["bytes=2-5,4-3", 10, "invalid"],
    ["bytes=--5,4--3", 10, "invalid"],
    ["bytes=A-", 10, "invalid"],
    ["bytes=A- ", 10, "invalid"],
    ["bytes=A-Z", 10, "invalid"],
    ["bytes= -Z", 10, "invalid"],
    ["bytes=5-Z", 10, "invalid"],
    ["bytes=Ran-dom, garbage", 10, "invalid"],
    ["bytes=0x01-0x02", 10, "invalid"],
    ["bytes=         ", 10, []],
    ["bytes= , , ,   ", 10, []],

    ["bytes=0-9", 10, [r(0, 10)]],
    ["bytes=0-", 10, [r(0, 10)]],
    ["bytes=5-", 10, [r(5, 5)]],
    ["bytes=0-20", 10, [r(0, 10)]],
    // A range starting past the end is dropped while another one overlaps (Go since 1.8).
    ["bytes=15-,0-5", 10, [r(0, 6)]],
    ["bytes=1-2,5-", 10, [r(1, 2), r(5, 5)]],
    ["bytes=-2 , 7-", 11, [r(9, 2), r(7, 4)]],
    ["bytes=0-0 ,2-2, 7-", 11, [r(0, 1), r(2, 1), r(7, 4)]],
    ["bytes=-5", 10, [r(5, 5)]],
    ["bytes=-15", 10, [r(0, 10)]],
    ["bytes=0-499", 10000, [r(0, 500)]],
    ["bytes=500-999", 10000, [r(500, 500)]],
    ["bytes=-500", 10000, [r(9500, 500)]],
    ["bytes=9500-", 10000, [r(9500, 500)]],
    ["bytes=0-0,-1", 10000, [r(0, 1), r(9999, 1)]],
    ["bytes=500-600,601-999", 10000, [r(500, 101), r(601, 399)]],
    ["bytes=500-700,601-999", 10000, [r(500, 201), r(601, 399)]],

    // Match Apache laxity:
    ["bytes=   1 -2   ,  4- 5, 7 - 8 , ,,", 11, [r(1, 2), r(4, 2), r(7, 2)]],

    // TestServeFileRejectsInvalidSuffixLengths (golang.org/issue/40940), on a 22-byte file.
    ["bytes=--6", 22, "invalid"],
    ["bytes=--0", 22, "invalid"],
    ["bytes=---0", 22, "invalid"],
    ["bytes=-6", 22, [r(16, 6)]],
    ["bytes=6-", 22, [r(6, 16)]],
    ["bytes=-6-", 22, "invalid"],
    ["bytes=-0", 22, [r(22, 0)]],

    // Go's strconv.ParseInt: a sign is allowed, int64 overflow is not.
    ["bytes=+1-+2", 10, [r(1, 2)]],
    ["bytes=0-9223372036854775807", 10, [r(0, 10)]],
    ["bytes=0-99999999999999999999", 10, "invalid"]
  ]

  it.each(cases)("parseRange(%j, %d)", (s, size, want) => {
    expect(parseRange(s, size)).toEqual(want)
  })
})

describe("Content-Range and sizes", () => {
  it("formats a range, an unsatisfied range, and sums lengths", () => {
    expect(contentRange(r(0, 10), 10)).toBe("bytes 0-9/10")
    expect(contentRange(r(23, 3), 26)).toBe("bytes 23-25/26")
    expect(unsatisfiedContentRange(26)).toBe("bytes */26")
    expect(sumRangesSize([r(0, 21), r(5, 21)])).toBe(42)
    expect(sumRangesSize([])).toBe(0)
  })
})

describe("multipartByteranges", () => {
  const LETTERS = Buffer.from("abcdefghijklmnopqrstuvwxyz")
  /** The body the segments describe, over LETTERS. */
  const assemble = (segments: ReturnType<typeof multipartByteranges>["segments"]): string =>
    Buffer.concat(segments.map((s) => (s instanceof Uint8Array ? s : LETTERS.subarray(s[0], s[1])))).toString("latin1")

  it("lays the parts out as Go's multipart.Writer, the size exact", () => {
    const m = multipartByteranges([r(0, 2), r(5, 2), r(24, 2)], "text/plain; charset=utf-8", 26, "BOUNDARY")
    expect(m.contentType).toBe("multipart/byteranges; boundary=BOUNDARY")
    const body = assemble(m.segments)
    expect(body).toBe(
      "--BOUNDARY\r\nContent-Range: bytes 0-1/26\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nab" +
        "\r\n--BOUNDARY\r\nContent-Range: bytes 5-6/26\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nfg" +
        "\r\n--BOUNDARY\r\nContent-Range: bytes 24-25/26\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nyz" +
        "\r\n--BOUNDARY--\r\n"
    )
    expect(m.size).toBe(body.length)
  })

  it("counts a part header's bytes, not its characters (a non-ASCII type)", () => {
    const m = multipartByteranges([r(0, 1), r(1, 1)], "text/x-é", 26, "b")
    expect(m.size).toBe(Buffer.concat(m.segments.map((s) => (s instanceof Uint8Array ? s : LETTERS.subarray(s[0], s[1])))).length)
  })

  it("draws a new 60-hex-digit boundary for every body unless given one", () => {
    const a = multipartByteranges([r(0, 1), r(2, 1)], "x/y", 26)
    const b = multipartByteranges([r(0, 1), r(2, 1)], "x/y", 26)
    expect(a.contentType).toMatch(/^multipart\/byteranges; boundary=[0-9a-f]{60}$/)
    expect(a.contentType).not.toBe(b.contentType)
  })
})
