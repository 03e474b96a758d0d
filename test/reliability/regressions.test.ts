/**
 * Every input in the reliability corpus replays through the fuzzer's checks (thorough mode:
 * split at every point and byte by byte, and against llhttp where both accept): the seeds of
 * reliability/corpus/<target>/*.bin, and the failures the fuzzer found and saved in
 * reliability/corpus/<target>/regressions/, so that a fixed defect stays fixed.
 *
 * A regression whose defect is still open is listed in OPEN_DEFECTS and runs as `it.fails`.
 */
import { describe, expect, it } from "@effect/vitest"
import { loadCorpus, loadRegressions } from "../../reliability/fuzz/corpus.js"
import { checkInput, TARGETS } from "../../reliability/fuzz/targets.js"
import { escapeBytes, TARGET_NAMES, type TargetName } from "../../reliability/fuzz/types.js"

/** Regression files (`<target>/<file>`) of defects not fixed yet, with what is wrong. */
const OPEN_DEFECTS: Readonly<Record<string, string>> = {}

const replay = (target: TargetName, bytes: Uint8Array) =>
  checkInput(TARGETS[target], bytes, "thorough", { errorTag: undefined, differential: undefined })

describe("reliability corpus", () => {
  for (const target of TARGET_NAMES) {
    it(`${target}: every seed passes every check`, () => {
      const seeds = loadCorpus(target)
      expect(seeds.length).toBeGreaterThan(0)
      for (const bytes of seeds) expect(replay(target, bytes), escapeBytes(bytes)).toBeUndefined()
    })
  }
})

describe("reliability regressions", () => {
  const all = TARGET_NAMES.flatMap((target) => loadRegressions(target).map((r) => ({ target, ...r })))
  it("every open defect names a regression file that exists", () => {
    const files = new Set(all.map((r) => `${r.target}/${r.file}`))
    for (const key of Object.keys(OPEN_DEFECTS)) expect(files.has(key), key).toBe(true)
  })
  for (const { bytes, file, target } of all) {
    const key = `${target}/${file}`
    const test = OPEN_DEFECTS[key] === undefined ? it : it.fails
    test(`${key}: ${escapeBytes(bytes).slice(0, 120)}`, () => {
      expect(replay(target, bytes), OPEN_DEFECTS[key] ?? "").toBeUndefined()
    })
  }
})
