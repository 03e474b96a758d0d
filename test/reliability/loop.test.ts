/**
 * The fuzz loop on a target that misbehaves: the failure is counted, reported, shrunk and
 * saved (into a temporary directory), and a run is bounded by its count and its time.
 */
import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { loadRegressions } from "../../reliability/fuzz/corpus.js"
import { fuzz } from "../../reliability/fuzz/loop.js"
import { checkInput, type FuzzTarget, requestTarget } from "../../reliability/fuzz/targets.js"

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "reliability-test-"))

/** The request target, except that it throws on any input holding a NUL byte. */
const throwsOnNul: FuzzTarget = {
  name: "request",
  checks: ["no-exception"],
  check: (input, mode, obs, wire) => {
    if (input.includes(0)) throw new TypeError("NUL reached the parser")
    return requestTarget.check(input, mode, obs, wire)
  }
}

const CORPUS = [Buffer.from("GET / HTTP/1.1\r\nHost: h\r\n\r\n", "latin1")]

describe("the fuzz loop", () => {
  it("reports a target that throws as a failure, and saves the input shrunk", () => {
    const dir = tempDir()
    try {
      const stats = fuzz({
        target: throwsOnNul,
        seed: 3,
        count: 600,
        timeMs: 20_000,
        corpus: CORPUS,
        regressionsRoot: dir,
        shrinkBudget: { maxCalls: 2_000, maxMs: 2_000 }
      })
      expect(stats.inputs).toBe(600)
      expect(stats.failedByCheck["no-exception"]).toBeGreaterThan(0)
      const f = stats.failures[0]!
      expect(f.check).toBe("no-exception")
      expect(f.detail).toContain("NUL reached the parser")
      // Shrunk to the one byte that matters, and saved where the replay test looks.
      expect(f.input).toBe("\\x00")
      expect(f.file).toBeDefined()
      expect(fs.existsSync(f.file!)).toBe(true)
      const saved = loadRegressions("request", dir)
      expect(saved.map((r) => Buffer.from(r.bytes).toString("hex"))).toContain("00")
      expect(saved.every((r) => r.file.startsWith("no-exception-"))).toBe(true)
      // The saved input replays as a failure of the same check.
      expect(checkInput(throwsOnNul, saved[0]!.bytes, "thorough", { errorTag: undefined, differential: undefined })?.check).toBe("no-exception")
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it("passes on the real request parser, and stops at its count or its time limit", () => {
    const byCount = fuzz({ target: requestTarget, seed: 9, count: 300, timeMs: 20_000, corpus: CORPUS, regressionsRoot: undefined })
    expect(byCount.inputs).toBe(300)
    expect(byCount.stoppedBy).toBe("count")
    expect(byCount.failures).toEqual([])
    expect(Object.keys(byCount.errorTags).length).toBeGreaterThan(0)
    const byTime = fuzz({ target: requestTarget, seed: 9, count: 1e9, timeMs: 50, corpus: CORPUS, regressionsRoot: undefined })
    expect(byTime.stoppedBy).toBe("time")
    expect(byTime.inputs).toBeLessThan(1e9)
  })
})
