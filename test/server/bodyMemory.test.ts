/**
 * Bounded memory for bodies read whole (ARCHITECTURE.md, the hot path: "a body read whole is
 * gathered into one buffer, never kept as thousands of tiny views"): a 1 MiB body arriving as
 * 1,048,576 one-byte chunks, read with `request.bytes` and with `Body.collect`, must not hold a
 * view per chunk (that took ~120 MB). The chunks come from a fake pull (a million socket writes
 * would take minutes), each a separate allocation as the parser's views of separate reads are;
 * the heap is sampled after a full GC every 128 Ki chunks (gc is exposed at run time with
 * `v8.setFlagsFromString`, as vitest runs without --expose-gc).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, FastCheck as fc, Option, Stream } from "effect"
import * as v8 from "node:v8"
import * as vm from "node:vm"
import * as Body from "../../src/domain/Body.js"
import { ByteGatherer, KEEP_MIN, MAX_PREALLOCATE } from "../../src/domain/ByteGatherer.js"
import type { RequestBodyError } from "../../src/server/errors.js"
import type { ServerRequest } from "../../src/server/ServerRequest.js"
import * as ServerResponse from "../../src/server/ServerResponse.js"
import { rawConnect, startServer } from "./rawClient.js"

v8.setFlagsFromString("--expose-gc")
const gc = vm.runInNewContext("gc") as () => void

const MiB = 1 << 20
const SAMPLE_EVERY = 128 << 10

const used = (): number => {
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}

/**
 * A pull of `total` one-byte chunks, each its own allocation (byte i is i & 255), recording the
 * heap in use (after a full GC) every SAMPLE_EVERY chunks and at the end.
 */
const onebytePull = <E>(total: number, samples: Array<number>): Effect.Effect<Uint8Array, Option.Option<E>> => {
  let i = 0
  return Effect.suspend(() => {
    if (i === total) {
      gc()
      samples.push(used())
      return Effect.fail(Option.none())
    }
    if (i > 0 && i % SAMPLE_EVERY === 0) {
      gc()
      samples.push(used())
    }
    const chunk = new Uint8Array(1)
    chunk[0] = i++ & 255
    return Effect.succeed(chunk)
  })
}

const expectPattern = (bytes: Uint8Array, length: number): void => {
  expect(bytes.length).toBe(length)
  let bad = -1
  for (let i = 0; i < length && bad < 0; i++) if (bytes[i] !== (i & 255)) bad = i
  expect(bad).toBe(-1)
}

const baseline = (): number => {
  gc()
  return used()
}

describe("bodies read whole keep one buffer, not a view per chunk", () => {
  it.live("request.bytes: 1 MiB in one-byte chunks grows the heap by less than 8 MiB", () =>
    Effect.gen(function*() {
      const samples: Array<number> = []
      let before = 0
      let length = -1
      const server = yield* startServer({
        maxBodyBytes: MiB,
        handler: (r: ServerRequest) =>
          Effect.suspend(() => {
            before = baseline()
            return r.withBodyPull(onebytePull<RequestBodyError>(MiB, samples)).bytes
          }).pipe(Effect.map((bytes) => {
            expectPattern(bytes, MiB)
            length = bytes.length
            return ServerResponse.text("ok")
          }))
      })
      const conn = yield* rawConnect(server.port)
      yield* conn.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
      const [r] = yield* conn.responses(1, 60_000)
      expect(r?.status).toBe(200)
      expect(length).toBe(MiB)
      expect(samples.length).toBe(MiB / SAMPLE_EVERY)
      const peak = Math.max(...samples) - before
      expect(peak, `peak growth ${(peak / MiB).toFixed(1)} MiB`).toBeLessThan(8 * MiB)
    }).pipe(Effect.scoped), 120_000)

  it.effect("Body.collect: the same for a stream body read through its pull", () =>
    Effect.gen(function*() {
      const samples: Array<number> = []
      const before = baseline()
      const pull = onebytePull<never>(MiB, samples)
      const bytes = yield* Body.collect(Body.stream(Stream.repeatEffectOption(pull), undefined, pull))
      expectPattern(bytes, MiB)
      const peak = Math.max(...samples) - before
      expect(peak, `peak growth ${(peak / MiB).toFixed(1)} MiB`).toBeLessThan(8 * MiB)
    }), 120_000)

  it.effect("Body.collect: one chunk is returned as it is; several are gathered in order", () =>
    Effect.gen(function*() {
      const one = Buffer.from("only")
      expect(yield* Body.collect(Body.stream(Stream.succeed(one)))).toBe(one)
      const many = yield* Body.collect(Body.stream(Stream.fromIterable(["ab", "", "cd", "e"].map((s) => Buffer.from(s))), 5))
      expect(Buffer.from(many).toString()).toBe("abcde")
      expect((yield* Body.collect(Body.stream(Stream.empty))).length).toBe(0)
    }))
})

describe("ByteGatherer", () => {
  it("keeps a single chunk without copying; gathers more into exactly their bytes", () => {
    const g = new ByteGatherer()
    expect(g.result().length).toBe(0)
    const first = new Uint8Array([1, 2])
    g.push(first)
    expect(g.result()).toBe(first)
    g.push(new Uint8Array(0))
    expect(g.result()).toBe(first)
    g.push(new Uint8Array([3]))
    expect([...g.result()]).toEqual([1, 2, 3])
    expect(g.size).toBe(3)
  })

  it("a declared length sizes the buffer, but at most MAX_PREALLOCATE before the bytes come", () => {
    const small = new ByteGatherer(10)
    small.push(new Uint8Array(1))
    small.push(new Uint8Array(1))
    expect((small.result() as Buffer).buffer.byteLength).toBeGreaterThanOrEqual(2)
    expect(small.result().byteOffset + 10).toBeLessThanOrEqual((small.result() as Buffer).buffer.byteLength)

    // A lying Content-Length of 1 GiB: two bytes allocate no more than the cap.
    const huge = new ByteGatherer(1 << 30)
    huge.push(new Uint8Array(1))
    huge.push(new Uint8Array(1))
    expect(huge.result().length).toBe(2)
    expect((huge.result() as Buffer).buffer.byteLength).toBeLessThanOrEqual(MAX_PREALLOCATE)

    // Growth stops at the declared length.
    const exact = new ByteGatherer(100_000)
    for (let i = 0; i < 100; i++) exact.push(new Uint8Array(1000).fill(i))
    const out = exact.result()
    expect(out.length).toBe(100_000)
    expect(out[99_999]).toBe(99)
    expect((out as Buffer).buffer.byteLength).toBe(100_000)

    // More bytes than declared still arrive whole.
    const over = new ByteGatherer(3)
    for (let i = 0; i < 10; i++) over.push(new Uint8Array([i, i]))
    expect([...over.result()]).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9])
  })

  it("keepLarge: large chunks are kept as they are until the end, then everything is copied once", () => {
    const g = new ByteGatherer(1_000_000, true)
    const large = Array.from({ length: 4 }, (_, i) => Buffer.alloc(64 << 10, 0x61 + i))
    for (const [i, chunk] of large.entries()) {
      const small = Buffer.from([0x30 + i])
      g.push(chunk)
      g.push(small)
      // The caller may not reuse a chunk under keepLarge; here the small ones are reused to show they were copied.
      small[0] = 0
    }
    // Nothing of the large chunks was copied while gathering: only the one-byte ones were.
    expect(g.size).toBe(4 * (64 << 10) + 4)
    const out = g.result()
    const expected = Buffer.concat(large.flatMap((chunk, i) => [chunk, Buffer.from([0x30 + i])]))
    expect(Buffer.from(out).equals(expected)).toBe(true)
    expect(g.result()).toBe(out)
    // A large chunk alone is returned as it is.
    const one = new ByteGatherer(-1, true)
    one.push(large[0]!)
    expect(one.result()).toBe(large[0])
  })

  it("property: whatever the chunk sizes, hint and mode, the result is the chunks' bytes in order", () => {
    const chunk = fc.oneof(
      fc.integer({ min: 0, max: 40 }),
      fc.integer({ min: KEEP_MIN - 2, max: KEEP_MIN + 2 }),
      fc.integer({ min: 0, max: 3 * KEEP_MIN })
    )
    fc.assert(
      fc.property(fc.array(chunk, { maxLength: 12 }), fc.integer({ min: -1, max: 200_000 }), fc.boolean(), (sizes, hint, keepLarge) => {
        const g = new ByteGatherer(hint, keepLarge)
        const chunks = sizes.map((n, i) => Buffer.alloc(n, i + 1))
        let expectedSize = 0
        for (const c of chunks) {
          g.push(c)
          expectedSize += c.length
          expect(g.size).toBe(expectedSize)
        }
        expect(Buffer.from(g.result()).equals(Buffer.concat(chunks))).toBe(true)
      }),
      { numRuns: 300 }
    )
  })
})

describe("a body sent in many small writes", () => {
  it.live("2,000 writes of 64 bytes arrive whole through request.bytes (Content-Length and chunked)", () =>
    Effect.gen(function*() {
      const piece = (i: number) => Buffer.alloc(64, 0x41 + (i % 26))
      const expected = Buffer.concat(Array.from({ length: 2000 }, (_, i) => piece(i)))
      const server = yield* startServer({
        handler: (r: ServerRequest) =>
          Effect.map(r.bytes, (b) => ServerResponse.text(`${b.length} ${Buffer.from(b).equals(expected)}`))
      })
      const conn = yield* rawConnect(server.port)
      yield* conn.send(`POST /length HTTP/1.1\r\nHost: x\r\nContent-Length: ${expected.length}\r\n\r\n`)
      for (let i = 0; i < 2000; i++) {
        yield* conn.send(piece(i))
        if (i % 100 === 99) yield* Effect.sleep("1 millis")
      }
      yield* conn.send(`POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n`)
      for (let i = 0; i < 2000; i++) {
        yield* conn.send(Buffer.concat([Buffer.from("40\r\n"), piece(i), Buffer.from("\r\n")]))
        if (i % 100 === 99) yield* Effect.sleep("1 millis")
      }
      yield* conn.send("0\r\n\r\n")
      const responses = yield* conn.responses(2, 20_000)
      expect(responses.map((r) => r.body)).toEqual([`${expected.length} true`, `${expected.length} true`])
    }).pipe(Effect.scoped))
})
