/**
 * The PROXY protocol parser (HAProxy's proxy-protocol.txt, v1 §2.1 and v2 §2.2), pure: a
 * generated table of valid headers round-tripping from a small encoder here, byte splits not
 * changing the result, random mutations and random bytes never throwing, hand-written
 * malformed headers each refused with its reason, CRC32C, and the trusted-peers list.
 */
import { describe, expect, it } from "@effect/vitest"
import { Either, FastCheck as fc } from "effect"
import {
  crc32c,
  formatIPv6,
  parseIPv6,
  parseProxyHeader,
  type ProxyHeader,
  type ProxyParseResult,
  TrustedPeers,
  V1_MAX_LENGTH,
  V2_SIGNATURE
} from "../../src/net/proxyProtocol.js"

// ---------------------------------------------------------------------------------------
// A small encoder, independent of the parser

const latin1 = (s: string) => Buffer.from(s, "latin1")
const v4Text = (b: Uint8Array) => Array.from(b).join(".")
/** Eight full groups, never compressed: the parser must canonicalize. */
const v6TextLong = (b: Uint8Array) => Array.from({ length: 8 }, (_, i) => ((b[2 * i]! << 8) | b[2 * i + 1]!).toString(16).padStart(4, "0")).join(":")
/** RFC 5952 text by way of the WHATWG URL serializer (the same rules), mapped IPv4 dotted. */
const v6Canonical = (b: Uint8Array): string => {
  if (b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) return `::ffff:${v4Text(b.subarray(12))}`
  return new URL(`http://[${v6TextLong(b)}]/`).hostname.slice(1, -1)
}

interface Tlv {
  readonly type: number
  readonly value: Uint8Array
}

const encodeTlvs = (tlvs: ReadonlyArray<Tlv>): Buffer =>
  Buffer.concat(tlvs.map((t) => Buffer.concat([Buffer.of(t.type, t.value.length >> 8, t.value.length & 0xff), Buffer.from(t.value)])))

/** A v2 header: command 0 LOCAL / 1 PROXY, the family byte, the address block, TLVs, and optionally a CRC32C TLV last. */
const encodeV2 = (command: number, famByte: number, addresses: Uint8Array, tlvs: ReadonlyArray<Tlv>, withCrc = false): Buffer => {
  const body = Buffer.concat([Buffer.from(addresses), encodeTlvs(tlvs), withCrc ? Buffer.of(0x03, 0, 4, 0, 0, 0, 0) : Buffer.alloc(0)])
  const header = Buffer.concat([Buffer.from(V2_SIGNATURE), Buffer.of(0x20 | command, famByte, body.length >> 8, body.length & 0xff), body])
  if (withCrc) header.writeUInt32BE(crc32c(header), header.length - 4)
  return header
}

const ports = (sport: number, dport: number) => Buffer.of(sport >> 8, sport & 0xff, dport >> 8, dport & 0xff)

const isHeader = (r: ProxyParseResult): r is ProxyHeader => r._tag === "ProxyHeader"

// ---------------------------------------------------------------------------------------
// Arbitraries

const port = fc.integer({ min: 0, max: 65535 })
const ipv4 = fc.uint8Array({ minLength: 4, maxLength: 4 })
// Zeros often, so that "::" compression and mapped addresses are met.
const ipv6 = fc.oneof(
  fc.uint8Array({ minLength: 16, maxLength: 16 }),
  fc.array(fc.constantFrom(0, 0, 0, 1, 0xff), { minLength: 16, maxLength: 16 }).map((a) => Uint8Array.from(a)),
  ipv4.map((v4) => Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...v4]))
)
const tlv = fc.record({ type: fc.integer({ min: 0, max: 255 }).filter((t) => t !== 0x03), value: fc.uint8Array({ maxLength: 40 }) })
const tlvs = fc.array(tlv, { maxLength: 4 })
const trailing = fc.uint8Array({ maxLength: 30 })

interface Case {
  readonly bytes: Buffer
  readonly expected: Omit<ProxyHeader, "_tag">
}

const v1Case: fc.Arbitrary<Case> = fc.oneof(
  fc.tuple(ipv4, ipv4, port, port).map(([s, d, sp, dp]) => {
    const bytes = latin1(`PROXY TCP4 ${v4Text(s)} ${v4Text(d)} ${sp} ${dp}\r\n`)
    return {
      bytes,
      expected: { version: 1, command: "PROXY", family: "TCP4", source: { address: v4Text(s), port: sp }, destination: { address: v4Text(d), port: dp }, length: bytes.length }
    } as const
  }),
  fc.tuple(ipv6, ipv6, port, port, fc.boolean()).map(([s, d, sp, dp, long]) => {
    const text = (b: Uint8Array) => (long ? v6TextLong(b) : v6Canonical(b))
    const bytes = latin1(`PROXY TCP6 ${text(s)} ${text(d)} ${sp} ${dp}\r\n`)
    return {
      bytes,
      expected: { version: 1, command: "PROXY", family: "TCP6", source: { address: v6Canonical(s), port: sp }, destination: { address: v6Canonical(d), port: dp }, length: bytes.length }
    } as const
  }),
  fc.stringMatching(/^[ -~]{0,80}$/).map((rest) => {
    const bytes = latin1(rest === "" ? "PROXY UNKNOWN\r\n" : `PROXY UNKNOWN ${rest}\r\n`)
    return { bytes, expected: { version: 1, command: "PROXY", family: "UNKNOWN", source: undefined, destination: undefined, length: bytes.length } } as const
  })
)

const v2Case: fc.Arbitrary<Case> = fc.oneof(
  fc.tuple(ipv4, ipv4, port, port, tlvs, fc.boolean()).map(([s, d, sp, dp, t, crc]) => {
    const bytes = encodeV2(1, 0x11, Buffer.concat([s, d, ports(sp, dp)]), t, crc)
    return {
      bytes,
      expected: { version: 2, command: "PROXY", family: "TCP4", source: { address: v4Text(s), port: sp }, destination: { address: v4Text(d), port: dp }, length: bytes.length }
    } as const
  }),
  fc.tuple(ipv6, ipv6, port, port, tlvs, fc.boolean()).map(([s, d, sp, dp, t, crc]) => {
    const bytes = encodeV2(1, 0x21, Buffer.concat([s, d, ports(sp, dp)]), t, crc)
    return {
      bytes,
      expected: { version: 2, command: "PROXY", family: "TCP6", source: { address: v6Canonical(s), port: sp }, destination: { address: v6Canonical(d), port: dp }, length: bytes.length }
    } as const
  }),
  fc.tuple(fc.uint8Array({ minLength: 216, maxLength: 216 }), tlvs).map(([paths, t]) => {
    const bytes = encodeV2(1, 0x31, paths, t)
    return { bytes, expected: { version: 2, command: "PROXY", family: "UNIX", source: undefined, destination: undefined, length: bytes.length } } as const
  }),
  tlvs.map((t) => {
    const bytes = encodeV2(1, 0x00, new Uint8Array(0), t)
    return { bytes, expected: { version: 2, command: "PROXY", family: "UNKNOWN", source: undefined, destination: undefined, length: bytes.length } } as const
  }),
  // LOCAL: whatever follows, up to the length, is discarded (§2.2).
  fc.tuple(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 60 })).map(([fam, block]) => {
    const bytes = encodeV2(0, fam, block, [])
    return { bytes, expected: { version: 2, command: "LOCAL", family: "UNKNOWN", source: undefined, destination: undefined, length: bytes.length } } as const
  })
)

const anyCase = fc.oneof(v1Case, v2Case)

// ---------------------------------------------------------------------------------------

describe("PROXY protocol parser: generated valid headers", () => {
  it("v1 and v2 headers round-trip from the encoder, with what follows left alone", () => {
    fc.assert(
      fc.property(anyCase, trailing, ({ bytes, expected }, after) => {
        const result = parseProxyHeader(Buffer.concat([bytes, after]))
        expect(result).toEqual({ _tag: "ProxyHeader", ...expected })
      }),
      { numRuns: 400 }
    )
  })

  it("every proper prefix of a header needs more (never an error), and the answer does not depend on the split", () => {
    fc.assert(
      fc.property(anyCase, trailing, fc.array(fc.nat(), { maxLength: 6 }), ({ bytes, expected }, after, cuts) => {
        const all = Buffer.concat([bytes, after])
        // Feed the input as it would arrive, in chunks cut at random points, re-parsing what arrived so far.
        const points = [...new Set(cuts.map((c) => c % (all.length + 1)))].sort((a, b) => a - b)
        let last: ProxyParseResult | undefined
        for (const p of [...points, all.length]) {
          last = parseProxyHeader(all.subarray(0, p))
          if (p < bytes.length) {
            expect(last._tag).toBe("NeedMore")
            if (last._tag === "NeedMore") {
              expect(last.atLeast).toBeGreaterThan(p)
              expect(last.atLeast).toBeLessThanOrEqual(bytes.length)
            }
          } else expect(last).toEqual({ _tag: "ProxyHeader", ...expected })
        }
        for (let p = 0; p < bytes.length; p++) expect(parseProxyHeader(bytes.subarray(0, p))._tag).toBe("NeedMore")
      }),
      { numRuns: 200 }
    )
  })

  it("random mutations of valid headers never throw: a header, need-more or a typed error", () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant("cut" as const), at: fc.nat(), value: fc.constant(0) }),
      fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) })
    )
    fc.assert(
      fc.property(anyCase, fc.array(mutation, { minLength: 1, maxLength: 4 }), ({ bytes }, mutations) => {
        let b = Buffer.from(bytes)
        for (const m of mutations) {
          const at = m.at % (b.length + 1)
          if (m.kind === "flip" && at < b.length) b[at] = m.value
          else if (m.kind === "cut") b = b.subarray(0, at)
          else if (m.kind === "insert") b = Buffer.concat([b.subarray(0, at), Buffer.of(m.value), b.subarray(at)])
        }
        const result = parseProxyHeader(b)
        expect(["ProxyHeader", "NeedMore", "ProxyHeaderError"]).toContain(result._tag)
        if (isHeader(result)) expect(result.length).toBeLessThanOrEqual(b.length)
        if (result._tag === "NeedMore") expect(result.atLeast).toBeGreaterThan(b.length)
      }),
      { numRuns: 1000 }
    )
  })

  it("random bytes never throw, and bytes that begin no header are refused at once", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        const result = parseProxyHeader(b)
        expect(["ProxyHeader", "NeedMore", "ProxyHeaderError"]).toContain(result._tag)
      }),
      { numRuns: 1000 }
    )
    expect(parseProxyHeader(latin1("G"))._tag).toBe("ProxyHeaderError")
    expect(parseProxyHeader(latin1("GET / HTTP/1.1\r\n\r\n"))).toMatchObject({ _tag: "ProxyHeaderError", reason: "signature" })
    expect(parseProxyHeader(latin1("PRI * HTTP/2.0\r\n"))).toMatchObject({ _tag: "ProxyHeaderError", reason: "signature" })
    expect(parseProxyHeader(Buffer.of(0x16, 0x03, 0x01))).toMatchObject({ _tag: "ProxyHeaderError", reason: "signature" })
  })
})

// ---------------------------------------------------------------------------------------

const v4Block = Buffer.concat([Buffer.of(10, 0, 0, 1, 10, 0, 0, 2), ports(1234, 80)])

/** Hand-written malformed headers, each with the reason it must be refused for. */
const malformed: ReadonlyArray<readonly [string, Uint8Array, string]> = [
  ["v1: lower-case proxy", latin1("proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n"), "signature"],
  ["v1: PROXY without its space", latin1("PROXYTCP4 1.2.3.4 5.6.7.8 1 2\r\n"), "signature"],
  ["v1: no CRLF within 107 bytes", latin1(`PROXY UNKNOWN ${"x".repeat(100)}`), "too-long"],
  ["v1: a 108-byte line", latin1(`PROXY UNKNOWN ${"x".repeat(V1_MAX_LENGTH - 16 + 1)}\r\n`), "too-long"],
  ["v1: bare LF", latin1("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n"), "syntax"],
  ["v1: CR without LF", latin1("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX"), "syntax"],
  ["v1: two spaces", latin1("PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n"), "syntax"],
  ["v1: a missing port", latin1("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n"), "syntax"],
  ["v1: an extra field", latin1("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n"), "syntax"],
  ["v1: a tab", latin1("PROXY TCP4\t1.2.3.4 5.6.7.8 1 2\r\n"), "syntax"],
  ["v1: a non-ASCII byte", Buffer.concat([latin1("PROXY TCP4 1.2.3.4 5.6.7.8 1 2"), Buffer.of(0xe9), latin1("\r\n")]), "syntax"],
  ["v1: empty after PROXY", latin1("PROXY \r\n"), "syntax"],
  ["v1: UDP4", latin1("PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n"), "family"],
  ["v1: tcp4 in lower case", latin1("PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n"), "family"],
  ["v1: IPv4 octet out of range", latin1("PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n"), "address"],
  ["v1: IPv4 with a leading zero", latin1("PROXY TCP4 1.2.3.04 5.6.7.8 1 2\r\n"), "address"],
  ["v1: IPv4 of three parts", latin1("PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n"), "address"],
  ["v1: IPv6 under TCP4", latin1("PROXY TCP4 ::1 5.6.7.8 1 2\r\n"), "address"],
  ["v1: IPv4 under TCP6", latin1("PROXY TCP6 1.2.3.4 ::1 1 2\r\n"), "address"],
  ["v1: IPv6 with two ::", latin1("PROXY TCP6 1::2::3 ::1 1 2\r\n"), "address"],
  ["v1: IPv6 with a zone", latin1("PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n"), "address"],
  ["v1: IPv6 of nine groups", latin1("PROXY TCP6 1:2:3:4:5:6:7:8:9 ::1 1 2\r\n"), "address"],
  ["v1: IPv6 group of five digits", latin1("PROXY TCP6 12345:: ::1 1 2\r\n"), "address"],
  ["v1: destination address bad", latin1("PROXY TCP4 1.2.3.4 5.6.7 1 2\r\n"), "address"],
  ["v1: port 65536", latin1("PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n"), "port"],
  ["v1: port with a leading zero", latin1("PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n"), "port"],
  ["v1: negative port", latin1("PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n"), "port"],
  ["v1: port with a sign", latin1("PROXY TCP4 1.2.3.4 5.6.7.8 1 +2\r\n"), "port"],
  ["v1: hex port", latin1("PROXY TCP4 1.2.3.4 5.6.7.8 1 0x50\r\n"), "port"],
  ["v1: six-digit port", latin1("PROXY TCP4 1.2.3.4 5.6.7.8 1 100000\r\n"), "port"],
  ["v2: bad signature", Buffer.concat([Buffer.from(V2_SIGNATURE.subarray(0, 11)), Buffer.of(0x0b, 0x21, 0x11, 0, 12), v4Block]), "signature"],
  ["v2: version 1", encodeV2(1, 0x11, v4Block, []).fill(0x11, 12, 13), "version"],
  ["v2: version 3", encodeV2(1, 0x11, v4Block, []).fill(0x31, 12, 13), "version"],
  ["v2: command 2", encodeV2(1, 0x11, v4Block, []).fill(0x22, 12, 13), "command"],
  ["v2: command refused before the length is in", Buffer.concat([Buffer.from(V2_SIGNATURE), Buffer.of(0x2f)]), "command"],
  ["v2: unknown family 0x4 with PROXY", encodeV2(1, 0x41, v4Block, []), "family"],
  ["v2: TCP4 over DGRAM", encodeV2(1, 0x12, v4Block, []), "family"],
  ["v2: unknown transport 0x3", encodeV2(1, 0x13, v4Block, []), "family"],
  ["v2: TCP4 block of 11 bytes", encodeV2(1, 0x11, v4Block.subarray(0, 11), []), "length"],
  ["v2: TCP6 with a TCP4 block", encodeV2(1, 0x21, v4Block, []), "length"],
  ["v2: UNIX block too short", encodeV2(1, 0x31, new Uint8Array(100), []), "length"],
  ["v2: TLV running past the end", Buffer.concat([Buffer.from(V2_SIGNATURE), Buffer.of(0x21, 0x11, 0, 16), v4Block, Buffer.of(0x01, 0, 2, 0x61)]), "tlv"],
  ["v2: a TLV cut in its length", Buffer.concat([Buffer.from(V2_SIGNATURE), Buffer.of(0x21, 0x11, 0, 14), v4Block, Buffer.of(0x01, 0)]), "tlv"],
  ["v2: one stray byte after the TLVs", Buffer.concat([Buffer.from(V2_SIGNATURE), Buffer.of(0x21, 0x11, 0, 13), v4Block, Buffer.of(0x04)]), "tlv"],
  ["v2: CRC32C wrong", (() => {
    const b = encodeV2(1, 0x11, v4Block, [], true)
    b[b.length - 1] = b[b.length - 1]! ^ 1
    return b
  })(), "checksum"],
  ["v2: CRC32C of 2 bytes", encodeV2(1, 0x11, v4Block, [{ type: 0x03, value: Uint8Array.of(1, 2) }]), "tlv"]
]

describe("PROXY protocol parser: malformed headers", () => {
  for (const [name, bytes, reason] of malformed) {
    it(name, () => {
      const result = parseProxyHeader(bytes)
      expect(result).toMatchObject({ _tag: "ProxyHeaderError", reason })
      if (result._tag === "ProxyHeaderError") expect(result.message).toContain(reason)
    })
  }

  it("v2: a length beyond the buffer needs more, up to the length it announces", () => {
    const header = Buffer.concat([Buffer.from(V2_SIGNATURE), Buffer.of(0x21, 0x11, 0xff, 0xff), v4Block])
    expect(parseProxyHeader(header)).toEqual({ _tag: "NeedMore", atLeast: 16 + 0xffff })
  })

  it("v1: a header cut before its CRLF needs more", () => {
    expect(parseProxyHeader(latin1("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r"))).toEqual({ _tag: "NeedMore", atLeast: 32 })
    expect(parseProxyHeader(latin1("PROX"))._tag).toBe("NeedMore")
    expect(parseProxyHeader(new Uint8Array(0))._tag).toBe("NeedMore")
  })

  it("the 107-byte v1 line is the longest accepted", () => {
    const longest = latin1(`PROXY UNKNOWN ${"x".repeat(V1_MAX_LENGTH - 16)}\r\n`)
    expect(longest.length).toBe(V1_MAX_LENGTH)
    expect(parseProxyHeader(longest)).toMatchObject({ _tag: "ProxyHeader", family: "UNKNOWN", length: 107 })
  })

  it("HAProxy's own examples parse", () => {
    expect(parseProxyHeader(latin1("PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n"))).toMatchObject({
      source: { address: "255.255.255.255", port: 65535 },
      length: 56
    })
    expect(parseProxyHeader(latin1("PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n"))).toMatchObject({
      family: "TCP6",
      length: 104
    })
    expect(parseProxyHeader(latin1("PROXY TCP6 2001:DB8:0:0:0:0:0:1 ::ffff:192.0.2.1 1 2\r\n"))).toMatchObject({
      source: { address: "2001:db8::1" },
      destination: { address: "::ffff:192.0.2.1" }
    })
  })
})

describe("PROXY protocol: CRC32C, IPv6 text, trusted peers", () => {
  it("CRC32C of the standard check string", () => {
    expect(crc32c(latin1("123456789"))).toBe(0xe3069283)
  })

  it("IPv6 text parses and prints in RFC 5952 form", () => {
    const cases: ReadonlyArray<readonly [string, string | undefined]> = [
      ["::", "::"],
      ["::1", "::1"],
      ["1::", "1::"],
      ["2001:0db8:0000:0000:0001:0000:0000:0001", "2001:db8::1:0:0:1"],
      ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
      ["::ffff:10.0.0.1", "::ffff:10.0.0.1"],
      ["1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"],
      [":1", undefined],
      ["1:", undefined],
      ["1:::2", undefined],
      ["::ffff:1.2.3", undefined],
      ["", undefined]
    ]
    for (const [text, printed] of cases) {
      const bytes = parseIPv6(text)
      expect(bytes === undefined ? undefined : formatIPv6(bytes), text).toBe(printed)
    }
  })

  it("trusted peers: addresses and CIDR ranges, IPv4 and IPv6, mapped IPv4 judged as IPv4", () => {
    const peers = Either.getOrThrow(TrustedPeers.parse(["127.0.0.1", "10.0.0.0/8", "::1", "fd00::/8", "192.168.1.7/31"]))
    const yes = ["127.0.0.1", "::ffff:127.0.0.1", "10.255.0.3", "::ffff:10.1.2.3", "::1", "fd12::5", "192.168.1.6", "192.168.1.7"]
    const no = ["127.0.0.2", "11.0.0.1", "::2", "fe00::1", "192.168.1.8", "", "localhost", undefined]
    for (const a of yes) expect(peers.includes(a), a).toBe(true)
    for (const a of no) expect(peers.includes(a), String(a)).toBe(false)
    const all = Either.getOrThrow(TrustedPeers.parse(["0.0.0.0/0", "::/0"]))
    expect(all.includes("8.8.8.8") && all.includes("2001:db8::1")).toBe(true)
    expect(Either.getOrThrow(TrustedPeers.parse([])).includes("127.0.0.1")).toBe(false)
  })

  it("trusted peers: bad entries are named", () => {
    for (const bad of ["localhost", "10.0.0.0/33", "::1/129", "10.0.0.0/", "10.0.0.0/08", "1.2.3.4/-1", "300.0.0.1", "10.0.0.0/8/8"]) {
      const parsed = TrustedPeers.parse([bad])
      expect(Either.isLeft(parsed), bad).toBe(true)
      if (Either.isLeft(parsed)) expect(parsed.left.entry).toBe(bad)
    }
    expect(Either.isLeft(TrustedPeers.parse([42 as unknown as string]))).toBe(true)
    expect(Either.isLeft(TrustedPeers.parse("127.0.0.1" as unknown as ReadonlyArray<string>))).toBe(true)
  })
})
