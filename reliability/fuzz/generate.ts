/**
 * Structure-aware inputs, from the project's fast-check arbitraries: valid requests and their
 * targeted corruptions (the differential test's `cases`), valid and near-valid responses and
 * chunked bodies (`corrupt.ts`), and ServeMux patterns (valid ones and near misses). Generated in batches from a seed, so a
 * run is reproducible.
 *
 * @module
 */
import { FastCheck as fc } from "effect"
import { chunkedBody, serializeBody, serializeResponse, validResponse } from "../../src/testing/arbitraries.js"
import { cases } from "../../test/support/llhttp/corruptions.js"
import { nearValidChunkedBody, nearValidResponse } from "./corrupt.js"
import { serializeWire, type Wire } from "../../test/support/llhttp/wire.js"
import type { TargetName } from "./types.js"

/** One generated input: its bytes, and for requests the request as written. */
export interface GeneratedInput {
  readonly bytes: Uint8Array
  readonly wire?: Wire
}

const segment: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.stringMatching(/^[a-z0-9._~-]{1,6}$/), weight: 6 },
  { arbitrary: fc.constantFrom("{id}", "{name}", "{x}", "{$}", "{rest...}", "{}", "{a b}", "{é}", "{_1}", "{id}x", "%2F", "%zz", "%41", "{", "}", "..."), weight: 3 },
  { arbitrary: fc.string({ unit: "grapheme", maxLength: 4 }), weight: 1 }
)

/** A ServeMux pattern: `[METHOD ][HOST]/[PATH]`, valid most of the time, near misses otherwise. */
export const patternString: fc.Arbitrary<string> = fc
  .tuple(
    fc.option(fc.constantFrom("GET", "POST", "HEAD", "DELETE", "get", "FOO", "G T", "GET\t", ""), { freq: 2 }),
    fc.constantFrom(" ", " ", "\t", "  "),
    fc.option(fc.constantFrom("example.com", "a.b:8080", "{host}", "h"), { freq: 4 }),
    fc.array(segment, { maxLength: 5 }),
    fc.constantFrom("", "", "/", "//")
  )
  .map(([method, sp, host, segments, end]) =>
    (method === null ? "" : method + sp) + (host ?? "") + "/" + segments.join("/") + (segments.length > 0 ? end : "")
  )

const ARBITRARIES: { readonly [K in TargetName]: fc.Arbitrary<GeneratedInput> } = {
  request: cases.map((wire) => ({ bytes: serializeWire(wire), wire })),
  response: fc.oneof(
    { arbitrary: validResponse.map((r) => ({ bytes: serializeResponse(r) })), weight: 2 },
    { arbitrary: nearValidResponse.map((bytes) => ({ bytes })), weight: 1 }
  ),
  chunked: fc.oneof(
    { arbitrary: chunkedBody.map((b) => ({ bytes: serializeBody(b) })), weight: 2 },
    { arbitrary: nearValidChunkedBody.map((bytes) => ({ bytes })), weight: 1 }
  ),
  pattern: patternString.map((s) => ({ bytes: Buffer.from(s, "utf8") }))
}

/** `count` structure-aware inputs for `target`, the same for the same seed. */
export const generateBatch = (target: TargetName, seed: number, count: number): Array<GeneratedInput> =>
  fc.sample(ARBITRARIES[target], { seed, numRuns: count })
