import { describe, expect, it } from "@effect/vitest"
import { encodeMultipart, newBoundary } from "../../src/platform/multipart.js"

const decode = (bytes: Uint8Array): string => Buffer.from(bytes).toString("latin1")

describe("multipart (the client's form encoder)", () => {
  it("encodes text fields in one part, with names escaped and line breaks as CRLF", () => {
    const form = new FormData()
    form.append("a\"b\nc", "x\ny")
    form.append("plain", "z")
    const encoded = encodeMultipart(form, "B")
    expect(encoded.hasBlobs).toBe(false)
    expect(encoded.contentType).toBe("multipart/form-data; boundary=B")
    const text = decode(encoded.bytes())
    expect(text).toBe(
      "--B\r\nContent-Disposition: form-data; name=\"a%22b%0D%0Ac\"\r\n\r\nx\r\ny\r\n" +
        "--B\r\nContent-Disposition: form-data; name=\"plain\"\r\n\r\nz\r\n" +
        "--B--\r\n"
    )
    expect(encoded.length).toBe(Buffer.byteLength(text, "latin1"))
  })

  it("keeps File parts as Blobs and counts their size in the length", () => {
    const form = new FormData()
    form.append("f", new File(["hello"], "h.txt", { type: "text/plain" }))
    const encoded = encodeMultipart(form, "B")
    expect(encoded.hasBlobs).toBe(true)
    expect(encoded.parts.length).toBe(3)
    expect(encoded.parts[1]).toBeInstanceOf(Blob)
    const head = decode(encoded.parts[0] as Uint8Array)
    expect(head).toBe("--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"h.txt\"\r\nContent-Type: text/plain\r\n\r\n")
    const tail = decode(encoded.parts[2] as Uint8Array)
    expect(tail).toBe("\r\n--B--\r\n")
    expect(encoded.length).toBe(head.length + 5 + tail.length)
  })

  it("makes a new random boundary each time", () => {
    expect(newBoundary()).toMatch(/^----EffectNetHttpFormBoundary[0-9a-f]{32}$/)
    expect(newBoundary()).not.toBe(newBoundary())
  })
})
