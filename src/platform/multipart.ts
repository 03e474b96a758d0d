/**
 * The client's `multipart/form-data` encoder (RFC 7578, with the WHATWG algorithm's escaping,
 * as undici's): a `FormData` as its parts in order, with the total length known in advance.
 * String fields are encoded at once; File and Blob parts are kept as Blobs, for the caller to
 * stream when the body is sent. Pure: no effects, no I/O, no requests.
 *
 * @module
 */
import { randomBytes } from "node:crypto"

const textEncoder = new TextEncoder()

// The WHATWG multipart/form-data encoding (as undici's): names and filenames escaped, line
// breaks in names and string values normalized to CRLF.
const escapeQuoted = (s: string): string => s.replace(/\n/g, "%0A").replace(/\r/g, "%0D").replace(/"/g, "%22")
const normalizeLinefeeds = (s: string): string => s.replace(/\r?\n|\r/g, "\r\n")

/**
 * An encoded form: its parts in order (encoded bytes, and the Blobs of File parts), their
 * total length, and the Content-Type naming the boundary.
 *
 * @internal
 */
export class MultipartForm {
  constructor(
    readonly parts: ReadonlyArray<Uint8Array | Blob>,
    readonly length: number,
    /** Some part is a Blob, to be streamed when the body is sent. */
    readonly hasBlobs: boolean,
    /** `multipart/form-data; boundary=...` */
    readonly contentType: string
  ) {}

  /** The whole body in one buffer; only for a form without Blobs. */
  bytes(): Uint8Array {
    const parts = this.parts as ReadonlyArray<Uint8Array>
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts)
  }
}

/**
 * A new random boundary.
 *
 * @internal
 */
export const newBoundary = (): string => "----EffectNetHttpFormBoundary" + randomBytes(16).toString("hex")

/**
 * `form` as a multipart/form-data body (RFC 7578). Its length is known in advance: string
 * fields are encoded now, File parts are kept as their Blobs.
 *
 * @internal
 */
export const encodeMultipart = (form: FormData, boundary: string = newBoundary()): MultipartForm => {
  const parts: Array<Uint8Array | Blob> = []
  let text = ""
  let length = 0
  let blobs = false
  const flush = () => {
    if (text === "") return
    const bytes = textEncoder.encode(text)
    parts.push(bytes)
    length += bytes.length
    text = ""
  }
  form.forEach((value, name) => {
    text += `--${boundary}\r\nContent-Disposition: form-data; name="${escapeQuoted(normalizeLinefeeds(name))}"`
    if (typeof value === "string") {
      text += `\r\n\r\n${normalizeLinefeeds(value)}\r\n`
      return
    }
    const file = value as Blob & { readonly name?: string }
    text += `; filename="${escapeQuoted(file.name ?? "blob")}"\r\nContent-Type: ${file.type || "application/octet-stream"}\r\n\r\n`
    flush()
    parts.push(file)
    length += file.size
    blobs = true
    text += "\r\n"
  })
  text += `--${boundary}--\r\n`
  flush()
  return new MultipartForm(parts, length, blobs, `multipart/form-data; boundary=${boundary}`)
}
