/**
 * detectContentType against Go's `sniff_test.go` (`sniffTests`, every case), the 512-byte
 * window, a few Go edge behaviours, and fast-check properties.
 */
import { FastCheck as fc } from "effect"
import { describe, expect, it } from "vitest"
import { detectContentType, SNIFF_LEN } from "../../src/server/sniff.js"

/** Bytes of a Go string literal written with `\xNN` escapes (one char code = one byte). */
const bin = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0))
/** Bytes of a Go string literal holding non-ASCII characters (Go source is UTF-8). */
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

const concat = (...parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/** Go's `sniffTests`, in order, with Go's descriptions. */
const sniffTests: ReadonlyArray<{ readonly desc: string; readonly data: Uint8Array; readonly contentType: string }> = [
  // Some nonsense.
  { desc: "Empty", data: new Uint8Array(0), contentType: "text/plain; charset=utf-8" },
  { desc: "Binary", data: Uint8Array.of(1, 2, 3), contentType: "application/octet-stream" },

  { desc: "HTML document #1", data: bin(`<HtMl><bOdY>blah blah blah</body></html>`), contentType: "text/html; charset=utf-8" },
  { desc: "HTML document #2", data: bin(`<HTML></HTML>`), contentType: "text/html; charset=utf-8" },
  { desc: "HTML document #3 (leading whitespace)", data: bin(`   <!DOCTYPE HTML>...`), contentType: "text/html; charset=utf-8" },
  { desc: "HTML document #4 (leading CRLF)", data: bin("\r\n<html>..."), contentType: "text/html; charset=utf-8" },

  { desc: "Plain text", data: utf8(`This is not HTML. It has ☃ though.`), contentType: "text/plain; charset=utf-8" },

  { desc: "XML", data: bin("\n<?xml!"), contentType: "text/xml; charset=utf-8" },

  // Image types.
  { desc: "Windows icon", data: bin("\x00\x00\x01\x00"), contentType: "image/x-icon" },
  { desc: "Windows cursor", data: bin("\x00\x00\x02\x00"), contentType: "image/x-icon" },
  { desc: "BMP image", data: bin("BM..."), contentType: "image/bmp" },
  { desc: "GIF 87a", data: bin(`GIF87a`), contentType: "image/gif" },
  { desc: "GIF 89a", data: bin(`GIF89a...`), contentType: "image/gif" },
  { desc: "WEBP image", data: bin("RIFF\x00\x00\x00\x00WEBPVP"), contentType: "image/webp" },
  { desc: "PNG image", data: bin("\x89PNG\x0D\x0A\x1A\x0A"), contentType: "image/png" },
  { desc: "JPEG image", data: bin("\xFF\xD8\xFF"), contentType: "image/jpeg" },

  // Audio types.
  { desc: "MIDI audio", data: bin("MThd\x00\x00\x00\x06\x00\x01"), contentType: "audio/midi" },
  { desc: "MP3 audio/MPEG audio", data: bin("ID3\x03\x00\x00\x00\x00\x0f"), contentType: "audio/mpeg" },
  { desc: "WAV audio #1", data: bin("RIFFb\xb8\x00\x00WAVEfmt \x12\x00\x00\x00\x06"), contentType: "audio/wave" },
  { desc: "WAV audio #2", data: bin("RIFF,\x00\x00\x00WAVEfmt \x12\x00\x00\x00\x06"), contentType: "audio/wave" },
  {
    desc: "AIFF audio #1",
    data: bin("FORM\x00\x00\x00\x00AIFFCOMM\x00\x00\x00\x12\x00\x01\x00\x00\x57\x55\x00\x10\x40\x0d\xf3\x34"),
    contentType: "audio/aiff"
  },

  {
    desc: "OGG audio",
    data: bin(
      "OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x7e\x46\x00\x00\x00\x00\x00\x00\x1f\xf6\xb4\xfc\x01\x1e\x01\x76\x6f\x72"
    ),
    contentType: "application/ogg"
  },
  { desc: "Must not match OGG", data: bin("owow\x00"), contentType: "application/octet-stream" },
  { desc: "Must not match OGG", data: bin("oooS\x00"), contentType: "application/octet-stream" },
  { desc: "Must not match OGG", data: bin("oggS\x00"), contentType: "application/octet-stream" },

  // Video types.
  {
    desc: "MP4 video",
    data: bin("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom<\x06t\xbfmdat"),
    contentType: "video/mp4"
  },
  { desc: "AVI video #1", data: utf8("RIFF,O\n\x00AVI LISTÀ"), contentType: "video/avi" },
  { desc: "AVI video #2", data: utf8("RIFF,\n\x00\x00AVI LISTÀ"), contentType: "video/avi" },

  // Font types.
  // {"MS.FontObject", []byte("\x00\x00")},  (commented out in Go too)
  { desc: "TTF sample  I", data: bin("\x00\x01\x00\x00\x00\x17\x01\x00\x00\x04\x01\x60\x4f"), contentType: "font/ttf" },
  { desc: "TTF sample II", data: bin("\x00\x01\x00\x00\x00\x0e\x00\x80\x00\x03\x00\x60\x46"), contentType: "font/ttf" },

  {
    desc: "OTTO sample  I",
    data: bin("\x4f\x54\x54\x4f\x00\x0e\x00\x80\x00\x03\x00\x60\x42\x41\x53\x45"),
    contentType: "font/otf"
  },

  {
    desc: "woff sample  I",
    data: bin("\x77\x4f\x46\x46\x00\x01\x00\x00\x00\x00\x30\x54\x00\x0d\x00\x00"),
    contentType: "font/woff"
  },
  { desc: "woff2 sample", data: bin("\x77\x4f\x46\x32\x00\x01\x00\x00\x00"), contentType: "font/woff2" },
  { desc: "wasm sample", data: bin("\x00\x61\x73\x6d\x01\x00"), contentType: "application/wasm" },

  // Archive types
  { desc: "RAR v1.5-v4.0", data: bin("Rar!\x1A\x07\x00"), contentType: "application/x-rar-compressed" },
  { desc: "RAR v5+", data: bin("Rar!\x1A\x07\x01\x00"), contentType: "application/x-rar-compressed" },
  { desc: "Incorrect RAR v1.5-v4.0", data: bin("Rar \x1A\x07\x00"), contentType: "application/octet-stream" },
  { desc: "Incorrect RAR v5+", data: bin("Rar \x1A\x07\x01\x00"), contentType: "application/octet-stream" }
]

/** Every string Go's `sniffSignatures` can return, plus the fallback. */
const KNOWN = new Set([
  "text/html; charset=utf-8",
  "text/xml; charset=utf-8",
  "application/pdf",
  "application/postscript",
  "text/plain; charset=utf-16be",
  "text/plain; charset=utf-16le",
  "text/plain; charset=utf-8",
  "image/x-icon",
  "image/bmp",
  "image/gif",
  "image/webp",
  "image/png",
  "image/jpeg",
  "audio/aiff",
  "audio/mpeg",
  "application/ogg",
  "audio/midi",
  "video/avi",
  "audio/wave",
  "video/mp4",
  "video/webm",
  "application/vnd.ms-fontobject",
  "font/ttf",
  "font/otf",
  "font/collection",
  "font/woff",
  "font/woff2",
  "application/x-gzip",
  "application/zip",
  "application/x-rar-compressed",
  "application/wasm",
  "application/octet-stream"
])

describe("detectContentType: Go's sniffTests", () => {
  sniffTests.forEach(({ contentType, data, desc }, i) => {
    it(`#${i} ${desc}`, () => {
      expect(detectContentType(data)).toBe(contentType)
    })
  })
})

describe("detectContentType: the 512-byte window", () => {
  it("SNIFF_LEN is 512", () => {
    expect(SNIFF_LEN).toBe(512)
  })

  it("a binary byte at index 512 or later is not seen", () => {
    const text = new Uint8Array(2048).fill(0x61)
    text[SNIFF_LEN] = 0x00
    text[2000] = 0x01
    expect(detectContentType(text)).toBe("text/plain; charset=utf-8")
    const binary = new Uint8Array(2048).fill(0x61)
    binary[SNIFF_LEN - 1] = 0x00
    expect(detectContentType(binary)).toBe("application/octet-stream")
  })

  it("an HTML signature must end, tag-terminating byte included, inside the window", () => {
    const at = (spaces: number) => concat(new Uint8Array(spaces).fill(0x20), bin("<HTML>"), new Uint8Array(64))
    // "<HTML" at 506..510, ">" at 511: inside.
    expect(detectContentType(at(506))).toBe("text/html; charset=utf-8")
    // ">" would be at 512: cut off, and what is left ("   <HTML") is text.
    expect(detectContentType(at(507))).toBe("text/plain; charset=utf-8")
    expect(detectContentType(at(508))).toBe("text/plain; charset=utf-8")
  })

  it("the same data with anything appended after 512 bytes sniffs the same", () => {
    for (const { data } of sniffTests) {
      const padded = concat(data, new Uint8Array(SNIFF_LEN - data.length).fill(0x20))
      const longer = concat(padded, Uint8Array.of(0x00, 0x01, 0xff), utf8("<html>"))
      expect(detectContentType(longer)).toBe(detectContentType(padded))
    }
  })

  it("an MP4 box larger than the window does not match", () => {
    const box = new Uint8Array(1024)
    box.set(bin("\x00\x00\x02\x04ftypisom\x00\x00\x00\x00mp42"))
    expect(detectContentType(box)).toBe("application/octet-stream")
    // 508 bytes: a multiple of 4 that fits. (0x100 would start with the icon signature, which comes first.)
    box.set(bin("\x00\x00\x01\xFC"))
    expect(detectContentType(box)).toBe("video/mp4")
    // 0x1FE is no multiple of 4.
    box.set(bin("\x00\x00\x01\xFE"))
    expect(detectContentType(box)).toBe("application/octet-stream")
  })
})

describe("detectContentType: Go's edge behaviour", () => {
  it("HTML needs a tag-terminating byte (space or '>') after the tag", () => {
    expect(detectContentType(bin("<HTML "))).toBe("text/html; charset=utf-8")
    expect(detectContentType(bin("<htmlx>"))).toBe("text/plain; charset=utf-8")
    expect(detectContentType(bin("<html"))).toBe("text/plain; charset=utf-8")
    expect(detectContentType(bin("<html\n"))).toBe("text/plain; charset=utf-8")
    expect(detectContentType(bin("<!-- x -->"))).toBe("text/html; charset=utf-8")
    expect(detectContentType(bin("<p>"))).toBe("text/html; charset=utf-8")
  })

  it("leading whitespace is skipped for HTML, XML and text, not for the exact signatures", () => {
    expect(detectContentType(bin("\t\n\x0c\r <b>"))).toBe("text/html; charset=utf-8")
    expect(detectContentType(bin(" <?xml"))).toBe("text/xml; charset=utf-8")
    expect(detectContentType(bin("%PDF-1.7"))).toBe("application/pdf")
    expect(detectContentType(bin(" %PDF-1.7"))).toBe("text/plain; charset=utf-8")
    expect(detectContentType(bin(" GIF89a"))).toBe("text/plain; charset=utf-8")
    // Vertical tab is not whitespace to the sniffer, and is binary.
    expect(detectContentType(bin("\x0b<html>"))).toBe("application/octet-stream")
  })

  it("the UTF BOM signatures need four bytes", () => {
    expect(detectContentType(bin("\xFE\xFF\x00\x41"))).toBe("text/plain; charset=utf-16be")
    expect(detectContentType(bin("\xFF\xFE\x41\x00"))).toBe("text/plain; charset=utf-16le")
    expect(detectContentType(bin("\xEF\xBB\xBFabc"))).toBe("text/plain; charset=utf-8")
    // Two bytes only: no signature, and 0xFE 0xFF are not binary bytes.
    expect(detectContentType(bin("\xFE\xFF"))).toBe("text/plain; charset=utf-8")
  })

  it("ESC and FF are text; other C0 controls are binary", () => {
    expect(detectContentType(bin("a\x1b[0m\x0c"))).toBe("text/plain; charset=utf-8")
    for (const b of [0x00, 0x08, 0x0b, 0x0e, 0x1a, 0x1c, 0x1f]) {
      expect(detectContentType(Uint8Array.of(0x61, b))).toBe("application/octet-stream")
    }
  })

  it("Embedded OpenType: any 34 bytes then LP", () => {
    expect(detectContentType(concat(new Uint8Array(34).fill(0x07), bin("LP")))).toBe("application/vnd.ms-fontobject")
  })

  it("the XML signature is case-sensitive, the HTML ones are not", () => {
    expect(detectContentType(bin("<?XML "))).toBe("text/plain; charset=utf-8")
    expect(detectContentType(bin("<!DOCTYPE html>"))).toBe("text/html; charset=utf-8")
  })

  it("accepts a subarray view (byteOffset other than 0)", () => {
    const buf = concat(bin("xxxx"), bin("GIF89a"))
    expect(detectContentType(buf.subarray(4))).toBe("image/gif")
  })
})

describe("detectContentType: properties", () => {
  const prefixes = [
    ...sniffTests.map((t) => t.data),
    bin("<!DOCTYPE HTML"),
    bin("  <script>"),
    bin("%!PS-Adobe-"),
    bin("\x1F\x8B\x08"),
    bin("PK\x03\x04"),
    bin("ttcf"),
    bin("\x1A\x45\xDF\xA3"),
    bin("\x00\x00\x00\x0cftypmp41")
  ]
  const bytes = fc.oneof(
    fc.uint8Array({ maxLength: 1100 }),
    fc.tuple(fc.constantFrom(...prefixes), fc.uint8Array({ maxLength: 700 })).map(([p, rest]) => concat(p, rest)),
    fc.tuple(fc.constantFrom(...prefixes), fc.array(fc.constantFrom(0x09, 0x0a, 0x20, 0x61, 0x3e), { maxLength: 600 }))
      .map(([p, rest]) => concat(p, Uint8Array.from(rest)))
  )

  it("the result is always one of the table's types", () => {
    fc.assert(
      fc.property(bytes, (data) => {
        expect(KNOWN.has(detectContentType(data))).toBe(true)
      }),
      { numRuns: 500 }
    )
  })

  it("bytes from index 512 on never change the result", () => {
    fc.assert(
      fc.property(bytes, fc.uint8Array({ maxLength: 600 }), (data, tail) => {
        const head = data.subarray(0, SNIFF_LEN)
        const expected = detectContentType(head)
        expect(detectContentType(data)).toBe(expected)
        if (head.length === SNIFF_LEN) expect(detectContentType(concat(head, tail))).toBe(expected)
      }),
      { numRuns: 300 }
    )
  })

  it("text without binary bytes and without a leading '<' or signature is text/plain", () => {
    const printable = fc.array(fc.integer({ min: 0x20, max: 0x7e }).filter((b) => b !== 0x3c), { maxLength: 600 })
      .map((a) => concat(bin("text: "), Uint8Array.from(a)))
    fc.assert(
      fc.property(printable, (data) => {
        expect(detectContentType(data)).toBe("text/plain; charset=utf-8")
      }),
      { numRuns: 200 }
    )
  })
})
