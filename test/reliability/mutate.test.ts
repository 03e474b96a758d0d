/**
 * The fuzzer's mutators and random source are deterministic for a seed, so that a run (and a
 * failure it found) can be replayed.
 */
import { describe, expect, it } from "@effect/vitest"
import { MAX_INPUT_BYTES, mutate, mutateOnce, MUTATIONS } from "../../reliability/fuzz/mutate.js"
import { deriveSeed, Rng } from "../../reliability/fuzz/rng.js"

const SEED_INPUT = Buffer.from("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc", "latin1")
const OTHER = Buffer.from("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "latin1")

const run = (seed: number, n: number): Array<string> => {
  const rng = new Rng(seed)
  const out: Array<string> = []
  for (let i = 0; i < n; i++) out.push(Buffer.from(mutate(SEED_INPUT, rng, [OTHER])).toString("hex"))
  return out
}

describe("mutators", () => {
  it("give the same mutations for the same seed, and others for another seed", () => {
    expect(run(42, 300)).toEqual(run(42, 300))
    expect(run(42, 300)).not.toEqual(run(43, 300))
  })

  it("each kind is deterministic for a seed and leaves its input untouched", () => {
    for (const kind of MUTATIONS) {
      const before = Buffer.from(SEED_INPUT)
      const a = Buffer.from(mutateOnce(SEED_INPUT, kind, new Rng(7), [OTHER]))
      const b = Buffer.from(mutateOnce(SEED_INPUT, kind, new Rng(7), [OTHER]))
      expect(a.equals(b), kind).toBe(true)
      expect(Buffer.from(SEED_INPUT).equals(before), kind).toBe(true)
    }
  })

  it("change the input most of the time, and never grow it past the cap", () => {
    const rng = new Rng(1)
    let changed = 0
    let big: Uint8Array = new Uint8Array(MAX_INPUT_BYTES - 2).fill(0x61)
    for (let i = 0; i < 500; i++) {
      const m = mutate(SEED_INPUT, rng, [OTHER])
      if (!Buffer.from(m).equals(SEED_INPUT)) changed++
      big = mutateOnce(big, "duplicate", rng, [])
      expect(big.length).toBeLessThanOrEqual(MAX_INPUT_BYTES)
    }
    expect(changed).toBeGreaterThan(450)
  })

  it("derived seeds differ per index and repeat per base", () => {
    const seeds = Array.from({ length: 100 }, (_, i) => deriveSeed(5, i))
    expect(new Set(seeds).size).toBe(100)
    expect(seeds).toEqual(Array.from({ length: 100 }, (_, i) => deriveSeed(5, i)))
  })
})
