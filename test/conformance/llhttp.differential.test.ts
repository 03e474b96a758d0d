/**
 * (d) Differential test of our request parser against llhttp, the parser inside Node's own
 * `http` module (reached through `_http_common`'s `HTTPParser`, in its default strict mode).
 *
 * Over generated requests (valid ones from `src/testing/arbitraries.ts`, and near-valid ones
 * with one targeted corruption each), both parsers must agree on whether the input is
 * accepted, and for accepted input on the method, target, version, header fields (names
 * compared case-insensitively: llhttp keeps the case sent, we canonicalize), values, body
 * bytes and trailers.
 *
 * Except for the DELIBERATE_DIFFERENCES (test/support/llhttp/deliberateDifferences.ts, with the
 * table and the reason for each). Each is recognized by an exact predicate over
 * the request as written, and then either
 * - "adjust": we accept something llhttp refuses, and treat it exactly like a rewritten
 *   request llhttp does accept: llhttp gets the rewrite, and everything is compared still; or
 * - "verdict": we decide otherwise than llhttp and no rewrite makes the two comparable: our
 *   exact answer (accepted, or which error) is asserted, and llhttp's is not compared.
 * Nothing else is skipped. The explicit examples at the end show each difference concretely.
 */
import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import { cases } from "../support/llhttp/corruptions.js"
import { DELIBERATE_DIFFERENCES } from "../support/llhttp/deliberateDifferences.js"
import { comparable, judge } from "../support/llhttp/judge.js"
import { type Msg, type Outcome, runLlhttp, runOurs } from "../support/llhttp/run.js"
import { serializeWire, type Wire, type WireBody, type WireField } from "../support/llhttp/wire.js"

// The request model, both runners, the corruptions and the table of deliberate differences
// live in test/support/llhttp/, shared with the reliability fuzzer (reliability/).

// ---------------------------------------------------------------------------------------------
// The property

const NUM_RUNS = 4000

describe("(d) differential against llhttp", () => {
  it(`agrees with llhttp on ${NUM_RUNS} valid and near-valid requests, deliberate differences aside`, () => {
    const seen = new Map<string, number>()
    let plain = 0
    fc.assert(
      fc.property(cases, (w) => {
        const j = judge(w)
        for (const id of j.differences) seen.set(id, (seen.get(id) ?? 0) + 1)
        if (j.differences.length === 0) plain++
        const input = serializeWire(w).toString("latin1")
        if (j.kind === "verdict") {
          expect(j.expected, `our answer to ${JSON.stringify(input)} (${j.differences})`).toContain(j.actual)
        } else if (j.kind === "disagree") {
          expect({ input, differences: j.differences, ...comparable(j.ours) }).toEqual({
            input,
            differences: j.differences,
            llhttpInput: j.llhttpInput,
            ...comparable(j.theirs)
          })
        }
      }),
      { numRuns: NUM_RUNS }
    )
    // Every difference of the table showed up, and most requests were compared untouched.
    for (const d of DELIBERATE_DIFFERENCES) expect(seen.get(d.id) ?? 0, d.id).toBeGreaterThan(0)
    expect(plain).toBeGreaterThan(NUM_RUNS / 4)
  })

  // Prints every disagreement class with an example, instead of failing on the first one:
  // EXPLORE=20000 npx vitest run test/conformance (for a new llhttp, or new corruptions).
  it.skipIf(process.env.EXPLORE === undefined)("explore: list the disagreements by class", () => {
    const seen = new Map<string, { n: number; example: string; detail: string }>()
    fc.assert(
      fc.property(cases, (w) => {
        const j = judge(w)
        if (j.kind === "agree") return
        const key = j.kind === "verdict"
          ? `${w.corruption} [${j.differences}] expected ${j.expected}, got ${j.actual}`
          : `${w.corruption} [${j.differences}] ours=${j.ours.accepted ? "accept" : j.ours.error} llhttp=${j.theirs.accepted ? "accept" : j.theirs.error}`
        const e = seen.get(key)
        if (e) e.n++
        else {
          seen.set(key, {
            n: 1,
            example: JSON.stringify(serializeWire(w).toString("latin1")),
            detail: j.kind === "disagree" ? `ours=${JSON.stringify(j.ours.messages)}\n\tllhttp=${JSON.stringify(j.theirs.messages)}` : ""
          })
        }
      }),
      { numRuns: Number(process.env.EXPLORE) }
    )
    for (const [k, v] of [...seen].sort()) console.log(`${v.n}\t${k}\n\t${v.example}\n\t${v.detail}`)
  })
})

// ---------------------------------------------------------------------------------------------
// Each deliberate difference, concretely

const field = (name: string, value: string, before = " ", after = ""): WireField => ({ name, value, before, after })

/** A request to write, from a few parts; the rest is a plain GET / HTTP/1.1 with a Host. */
const req = (parts: Partial<Wire>): Wire => ({
  corruption: "example",
  prefix: "",
  method: "GET",
  target: "/",
  version: "HTTP/1.1",
  sp1: " ",
  sp2: " ",
  fields: [field("Host", "example.com")],
  body: { kind: "raw", bytes: Buffer.alloc(0) },
  bareLf: -1,
  ...parts
})

const raw = (text: string): WireBody => ({ kind: "raw", bytes: Buffer.from(text, "latin1") })

const chunked = (
  chunks: ReadonlyArray<readonly [size: string, ext: string, data: string]>,
  last: readonly [size: string, ext: string] = ["0", ""],
  trailers: ReadonlyArray<WireField> = []
): WireBody => ({
  kind: "chunked",
  chunks: chunks.map(([size, ext, data]) => ({ size, ext, data: Buffer.from(data, "latin1") })),
  last: { size: last[0], ext: last[1] },
  trailers
})

const TE = field("Transfer-Encoding", "chunked")

interface Example {
  readonly id: string
  readonly request: Wire
  /** "accepted", or our error. */
  readonly ours: string
  /** "accepted", or llhttp's error code. */
  readonly llhttp: string
  /** For accepted requests: fields of our report of the message. */
  readonly oursReports?: Partial<Msg>
}

const EXAMPLES: ReadonlyArray<Example> = [
  { id: "extension-method", request: req({ method: "FOO" }), ours: "accepted", llhttp: "HPE_INVALID_METHOD", oursReports: { method: "FOO" } },
  { id: "extension-method", request: req({ method: "get" }), ours: "accepted", llhttp: "HPE_INVALID_METHOD", oursReports: { method: "get" } },
  {
    id: "duplicate-equal-cl",
    request: req({ method: "POST", fields: [field("Content-Length", "3"), field("Content-Length", "3")], body: raw("abc") }),
    ours: "accepted",
    llhttp: "HPE_UNEXPECTED_CONTENT_LENGTH",
    oursReports: { body: Buffer.from("abc").toString("hex") }
  },
  {
    id: "htab-ows-framing",
    request: req({ method: "POST", fields: [field("Content-Length", "3", " ", "\t")], body: raw("abc") }),
    ours: "accepted",
    llhttp: "HPE_INVALID_CONTENT_LENGTH",
    oursReports: { headers: [["content-length", "3"]], body: Buffer.from("abc").toString("hex") }
  },
  {
    id: "htab-ows-framing",
    request: req({ method: "POST", fields: [field("Transfer-Encoding", "chunked", "\t", "\t")], body: chunked([["3", "", "abc"]]) }),
    ours: "accepted",
    llhttp: "HPE_INVALID_TRANSFER_ENCODING"
  },
  {
    id: "te-empty-elements",
    request: req({ method: "POST", fields: [field("Transfer-Encoding", "chunked,")], body: chunked([["3", "", "abc"]]) }),
    ours: "accepted",
    llhttp: "HPE_INVALID_TRANSFER_ENCODING",
    oursReports: { body: Buffer.from("abc").toString("hex") }
  },
  {
    id: "chunk-bws",
    request: req({ method: "POST", fields: [TE], body: chunked([["3", " ; a = b", "abc"], ["1", "\t;x", "d"]]) }),
    ours: "accepted",
    llhttp: "HPE_INVALID_CHUNK_SIZE",
    oursReports: { body: Buffer.from("abcd").toString("hex") }
  },
  {
    id: "chunk-bws",
    request: req({ method: "POST", fields: [TE], body: chunked([["3", ';a= "b"', "abc"]]) }),
    ours: "accepted",
    llhttp: "HPE_STRICT"
  },
  {
    id: "obs-text-target",
    request: req({ target: "/caf\xe9?q=\xff" }),
    ours: "accepted",
    llhttp: "HPE_INVALID_URL",
    oursReports: { target: "/caf%E9?q=%FF" }
  },
  { id: "http-1x-minor", request: req({ version: "HTTP/1.2" }), ours: "accepted", llhttp: "HPE_INVALID_VERSION", oursReports: { version: "1.2" } },
  {
    id: "trailer-framing-fields",
    request: req({ method: "POST", fields: [TE], body: chunked([["3", "", "abc"]], ["0", ""], [field("Content-Length", "5")]) }),
    ours: "accepted",
    llhttp: "HPE_INVALID_CONTENT_LENGTH",
    oursReports: { body: Buffer.from("abc").toString("hex"), trailers: [["content-length", "5"]] }
  },
  {
    id: "trailer-framing-fields",
    request: req({ method: "POST", fields: [TE], body: chunked([["3", "", "abc"]], ["0", ""], [field("Transfer-Encoding", "chunked")]) }),
    ours: "accepted",
    llhttp: "HPE_INVALID_TRANSFER_ENCODING"
  },
  { id: "asterisk-not-options", request: req({ target: "*" }), ours: "MalformedMessage:invalid-target", llhttp: "accepted" },
  {
    id: "te-on-http10",
    request: req({ method: "POST", version: "HTTP/1.0", fields: [TE], body: chunked([["3", "", "abc"]]) }),
    ours: "MalformedMessage:transfer-encoding-on-http10",
    llhttp: "accepted"
  },
  {
    id: "te-other-codings",
    request: req({ method: "POST", fields: [field("Transfer-Encoding", "gzip, chunked")], body: chunked([["3", "", "abc"]]) }),
    ours: "UnsupportedTransferEncoding",
    llhttp: "accepted"
  },
  { id: "version-major", request: req({ version: "HTTP/2.0" }), ours: "UnsupportedVersion", llhttp: "accepted" },
  { id: "version-major", request: req({ version: "HTTP/0.9" }), ours: "UnsupportedVersion", llhttp: "accepted" },
  { id: "request-line-spaces", request: req({ sp1: "  " }), ours: "MalformedMessage:invalid-target", llhttp: "accepted" },
  { id: "request-line-spaces", request: req({ sp2: "  " }), ours: "MalformedMessage:invalid-version", llhttp: "accepted" },
  {
    id: "chunk-ext-empty",
    request: req({ method: "POST", fields: [TE], body: chunked([["3", ";=b", "abc"]]) }),
    ours: "MalformedMessage:invalid-chunk-extension",
    llhttp: "accepted"
  },
  {
    id: "chunk-ext-empty",
    request: req({ method: "POST", fields: [TE], body: chunked([["3", ";a=", "abc"]]) }),
    ours: "MalformedMessage:invalid-chunk-extension",
    llhttp: "accepted"
  },
  {
    id: "chunk-size-digits",
    request: req({ method: "POST", fields: [TE], body: chunked([["00000000000000003", "", "abc"]]) }),
    ours: "MalformedMessage:chunk-size-too-large",
    llhttp: "accepted"
  },
  { id: "bare-cr-lf-before-line", request: req({ prefix: "\n" }), ours: "MalformedMessage:invalid-method", llhttp: "accepted" },
  { id: "bare-cr-lf-before-line", request: req({ prefix: "\r\n\r" }), ours: "MalformedMessage:invalid-method", llhttp: "accepted" },
  { id: "http09-request-line", request: req({ sp2: "", version: "" }), ours: "MalformedMessage:invalid-target", llhttp: "accepted" },
  {
    id: "opaque-absolute-target",
    request: req({ target: "example.com:80" }),
    ours: "accepted",
    llhttp: "HPE_INVALID_URL",
    oursReports: { target: "example.com:80" }
  }
]

const answer = (o: Outcome): string => (o.accepted ? "accepted" : o.error!)

describe("(d) the deliberate differences, one example each", () => {
  it("every entry of DELIBERATE_DIFFERENCES has an example, and every example an entry", () => {
    expect([...new Set(EXAMPLES.map((e) => e.id))].sort()).toEqual(DELIBERATE_DIFFERENCES.map((d) => d.id).sort())
  })

  it.each(EXAMPLES.map((e) => [e.id, JSON.stringify(serializeWire(e.request).toString("latin1")), e] as const))(
    "%s: %s",
    (id, _text, e) => {
      const bytes = serializeWire(e.request)
      // The property recognizes it as exactly this difference.
      expect(DELIBERATE_DIFFERENCES.filter((d) => d.applies(e.request)).map((d) => d.id)).toEqual([id])
      const ours = runOurs(bytes)
      expect(answer(ours)).toBe(e.ours)
      expect(answer(runLlhttp(bytes))).toBe(e.llhttp)
      if (e.oursReports !== undefined) expect(ours.messages[0]).toMatchObject(e.oursReports)
    }
  )

  it("Transfer-Encoding: chunked with a parameter is refused by both (RFC 9112 §7.1; Go answers 501)", () => {
    const request = req({ method: "POST", fields: [field("Transfer-Encoding", "chunked;q=1")], body: chunked([["3", "", "abc"]]) })
    expect(DELIBERATE_DIFFERENCES.filter((d) => d.applies(request))).toEqual([])
    expect(answer(runOurs(serializeWire(request)))).toBe("UnsupportedTransferEncoding")
    expect(answer(runLlhttp(serializeWire(request)))).toBe("HPE_INVALID_TRANSFER_ENCODING")
  })
})
