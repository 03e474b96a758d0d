/**
 * The corpus kept in the repository: `reliability/corpus/<target>/*.bin` (real messages, the
 * seeds of mutation) and `reliability/corpus/<target>/regressions/*.bin` (failing inputs the
 * fuzzer found, shrunk; replayed by test/reliability/regressions.test.ts).
 *
 * @module
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { fnv1a } from "./hash.js"
import type { CheckName, TargetName } from "./types.js"

/** The corpus directory in the repository. */
export const CORPUS_DIR: string = fileURLToPath(new URL("../corpus/", import.meta.url))

/** The seed inputs of `target` in `dir` (default: the repository's corpus), sorted by file name. */
export const loadCorpus = (target: TargetName, dir: string = CORPUS_DIR): Array<Uint8Array> => {
  const d = path.join(dir, target)
  if (!fs.existsSync(d)) return []
  return fs
    .readdirSync(d)
    .filter((f) => f.endsWith(".bin"))
    .sort()
    .map((f) => new Uint8Array(fs.readFileSync(path.join(d, f))))
}

/** Where `target`'s regressions go under `dir`. */
export const regressionsDir = (target: TargetName, dir: string = CORPUS_DIR): string => path.join(dir, target, "regressions")

/** The regression files of `target` under `dir`: names and bytes. */
export const loadRegressions = (
  target: TargetName,
  dir: string = CORPUS_DIR
): Array<{ readonly file: string; readonly bytes: Uint8Array }> => {
  const d = regressionsDir(target, dir)
  if (!fs.existsSync(d)) return []
  return fs
    .readdirSync(d)
    .filter((f) => f.endsWith(".bin"))
    .sort()
    .map((file) => ({ file, bytes: new Uint8Array(fs.readFileSync(path.join(d, file))) }))
}

/**
 * Writes a failing input as `<check>-<hash>.bin` into `target`'s regressions under `dir`
 * (the same input always gets the same name) and returns the path.
 */
export const saveRegression = (target: TargetName, check: CheckName, bytes: Uint8Array, dir: string = CORPUS_DIR): string => {
  const d = regressionsDir(target, dir)
  fs.mkdirSync(d, { recursive: true })
  const file = path.join(d, `${check}-${fnv1a(bytes).toString(16).padStart(8, "0")}.bin`)
  fs.writeFileSync(file, bytes)
  return file
}
