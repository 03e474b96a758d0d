/**
 * Byte mutations of an input, as a fuzzer makes them: flip a bit, overwrite a byte, insert a
 * byte that matters to HTTP/1.1 (CR, LF, NUL, 0x80+, SP, HTAB, ":", ";") or a token that
 * changes framing, delete or duplicate a range, splice in part of another corpus entry.
 * Deterministic for a given `Rng` state.
 *
 * @module
 */
import type { Rng } from "./rng.js"

/** Inputs grow no larger than this (bytes), so that every input stays cheap to check. */
export const MAX_INPUT_BYTES = 4096

/** Single bytes that matter to HTTP/1.1's grammar. */
export const SPECIAL_BYTES: ReadonlyArray<number> = [
  0x0d, 0x0a, 0x00, 0x80, 0xff, 0xe9, 0x20, 0x09, 0x3a, 0x3b, 0x2c, 0x3d, 0x22, 0x5c, 0x7f, 0x30, 0x2d
]

/** Byte strings that change how a message is delimited or read (smuggling material). */
export const SPECIAL_TOKENS: ReadonlyArray<Uint8Array> = [
  "\r\n", "\n", "\r", "\r\n\r\n", "\r\n ", "\r\n\t", ": ", "0\r\n\r\n", "Transfer-Encoding: chunked\r\n",
  "Content-Length: 0\r\n", "Content-Length: 5\r\n", "chunked", ", chunked", "ffffffffffffffff", "HTTP/1.1",
  "HTTP/1.0", "Connection: close\r\n", "Upgrade: websocket\r\nConnection: upgrade\r\n", ";ext=\"v\"", "\"", "%00", " HTTP/1.1\r\n"
].map((s) => Buffer.from(s, "latin1"))

/** The kinds of mutation, by name (for tests and reports). */
export const MUTATIONS = ["flip", "set", "insert-byte", "insert-token", "delete", "duplicate", "splice", "swap"] as const

/** One of `MUTATIONS`. */
export type Mutation = (typeof MUTATIONS)[number]

const cap = (b: Uint8Array): Uint8Array => (b.length > MAX_INPUT_BYTES ? b.subarray(0, MAX_INPUT_BYTES) : b)

const insert = (b: Uint8Array, at: number, ins: Uint8Array): Uint8Array => {
  const out = new Uint8Array(b.length + ins.length)
  out.set(b.subarray(0, at), 0)
  out.set(ins, at)
  out.set(b.subarray(at), at + ins.length)
  return cap(out)
}

/** A range [from, to) of `b`, short most of the time. */
const range = (b: Uint8Array, rng: Rng): readonly [number, number] => {
  const from = rng.int(b.length + 1)
  const max = b.length - from
  const len = rng.chance(0.8) ? rng.int(Math.min(max, 8) + 1) : rng.int(max + 1)
  return [from, from + len]
}

/** `input` with the mutation `kind` applied once; `others` are the corpus entries to splice from. */
export const mutateOnce = (input: Uint8Array, kind: Mutation, rng: Rng, others: ReadonlyArray<Uint8Array>): Uint8Array => {
  const n = input.length
  switch (kind) {
    case "flip": {
      if (n === 0) return input
      const out = new Uint8Array(input) // a copy (Buffer.prototype.slice would be a view)
      const i = rng.int(n)
      out[i] = out[i]! ^ (1 << rng.int(8))
      return out
    }
    case "set": {
      if (n === 0) return input
      const out = new Uint8Array(input) // a copy (Buffer.prototype.slice would be a view)
      out[rng.int(n)] = rng.chance(0.5) ? rng.pick(SPECIAL_BYTES) : rng.int(256)
      return out
    }
    case "insert-byte": {
      const b = rng.chance(0.85) ? rng.pick(SPECIAL_BYTES) : 0x80 + rng.int(128)
      return insert(input, rng.int(n + 1), Uint8Array.of(b))
    }
    case "insert-token":
      return insert(input, rng.int(n + 1), rng.pick(SPECIAL_TOKENS))
    case "delete": {
      const [from, to] = range(input, rng)
      const out = new Uint8Array(n - (to - from))
      out.set(input.subarray(0, from), 0)
      out.set(input.subarray(to), from)
      return out
    }
    case "duplicate": {
      const [from, to] = range(input, rng)
      return insert(input, to, input.slice(from, to))
    }
    case "splice": {
      if (others.length === 0) return input
      const other = rng.pick(others)
      const [from, to] = range(other, rng)
      const at = rng.int(n + 1)
      // Either insert the other's range, or replace our tail with it (two messages crossed).
      if (rng.chance(0.5)) return insert(input, at, other.slice(from, to))
      const out = new Uint8Array(at + other.length - from)
      out.set(input.subarray(0, at), 0)
      out.set(other.subarray(from), at)
      return cap(out)
    }
    case "swap": {
      if (n < 2) return input
      const out = new Uint8Array(input) // a copy (Buffer.prototype.slice would be a view)
      const i = rng.int(n)
      const j = rng.int(n)
      const t = out[i]!
      out[i] = out[j]!
      out[j] = t
      return out
    }
  }
}

/** `input` with 1 to `max` random mutations applied in turn. */
export const mutate = (input: Uint8Array, rng: Rng, others: ReadonlyArray<Uint8Array>, max = 4): Uint8Array => {
  let out = input
  const count = 1 + rng.int(max)
  for (let i = 0; i < count; i++) out = mutateOnce(out, rng.pick(MUTATIONS), rng, others)
  return out
}
