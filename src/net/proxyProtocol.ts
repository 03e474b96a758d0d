/**
 * The PROXY protocol, versions 1 and 2 (HAProxy's proxy-protocol.txt, as sent by HAProxy,
 * AWS NLB and nginx): the header an L4 balancer writes at the start of a connection to say
 * whose connection it forwards. A pure, incremental parser over bytes: give it what arrived so
 * far and it answers "need more", the header, or a typed error. Strict: anything the
 * specification does not allow is an error (a receiver must not guess, §2).
 *
 * Also the list of peers a listener trusts to send the header (IP addresses and CIDR ranges).
 * Knows nothing of sockets; `Listener.ts` reads the header from an accepted socket.
 *
 * @module
 */
import { Data, type Duration, Either } from "effect"

/**
 * Why a PROXY header was refused.
 *
 * - `signature`: the bytes begin neither the v1 `PROXY ` line nor the v2 signature
 * - `too-long`: a v1 line without its CRLF within 107 bytes (§2.1)
 * - `syntax`: a v1 line that is not `PROXY <proto> <src> <dst> <sport> <dport>\r\n`
 * - `version`, `command`: a v2 version other than 2, a command other than LOCAL or PROXY (§2.2)
 * - `family`: an address family or transport the receiver cannot take with PROXY (§2.2)
 * - `address`, `port`: an address or port that does not parse, or is out of range
 * - `length`: a v2 address block too short for its family
 * - `tlv`: a v2 TLV running past the header's end (§2.2.7)
 * - `checksum`: a v2 PP2_TYPE_CRC32C that does not match (§2.2.5)
 *
 * @since 0.2.0
 * @category errors
 */
export type ProxyHeaderFailure = "signature" | "too-long" | "syntax" | "version" | "command" | "family" | "address" | "port" | "length" | "tlv" | "checksum"

/**
 * A PROXY protocol header that is malformed: the connection carrying it must be closed.
 *
 * @since 0.2.0
 * @category errors
 */
export class ProxyHeaderError extends Data.TaggedError("ProxyHeaderError")<{
  readonly reason: ProxyHeaderFailure
  /** The header's version when known (1 or 2), else undefined. */
  readonly version: 1 | 2 | undefined
  /** What was wrong, for logs. */
  readonly detail: string
}> {
  override get message(): string {
    return `malformed PROXY protocol${this.version === undefined ? "" : ` v${this.version}`} header (${this.reason}): ${this.detail}`
  }
}

/**
 * An address and port a PROXY header names.
 *
 * @since 0.2.0
 * @category models
 */
export interface ProxyAddress {
  /** An IPv4 address in dotted form, or an IPv6 one in RFC 5952 form ("::ffff:1.2.3.4" for a mapped IPv4). */
  readonly address: string
  readonly port: number
}

/**
 * A parsed PROXY protocol header.
 *
 * @since 0.2.0
 * @category models
 */
export interface ProxyHeader {
  readonly _tag: "ProxyHeader"
  readonly version: 1 | 2
  /**
   * PROXY: the connection is relayed for `source`. LOCAL (v2 only): the balancer's own
   * connection (a health check); the socket's addresses stand.
   */
  readonly command: "PROXY" | "LOCAL"
  /**
   * The forwarded connection's family: TCP4 and TCP6 carry addresses; UNIX (v2, paths, not
   * read) and UNKNOWN (v1 UNKNOWN, v2 UNSPEC, and any LOCAL header) do not, and the socket's
   * own addresses stand.
   */
  readonly family: "TCP4" | "TCP6" | "UNIX" | "UNKNOWN"
  /** The client (TCP4 and TCP6 with PROXY only). */
  readonly source: ProxyAddress | undefined
  /** The address the client connected to, at the balancer (TCP4 and TCP6 with PROXY only). */
  readonly destination: ProxyAddress | undefined
  /** The header's size in bytes: what follows belongs to the protocol it carries. */
  readonly length: number
}

/**
 * More bytes are needed to decide: at least `atLeast` in all (the whole header when its
 * length is known: a v2 header's from its 16th byte; else one more).
 *
 * @since 0.2.0
 * @category models
 */
export interface ProxyNeedMore {
  readonly _tag: "NeedMore"
  readonly atLeast: number
}

/**
 * What `parseProxyHeader` answers.
 *
 * @since 0.2.0
 * @category models
 */
export type ProxyParseResult = ProxyHeader | ProxyNeedMore | ProxyHeaderError

/** §2.1: "a receiver ... must not try to read more than 107 bytes" for v1. */
export const V1_MAX_LENGTH = 107

/** §2.2: the v2 signature. */
export const V2_SIGNATURE: Uint8Array = Uint8Array.of(0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a)

const V1_PREFIX = Uint8Array.of(0x50, 0x52, 0x4f, 0x58, 0x59, 0x20) // "PROXY "
const CR = 0x0d
const LF = 0x0a

const needMore = (atLeast: number): ProxyNeedMore => ({ _tag: "NeedMore", atLeast })
const fail = (reason: ProxyHeaderFailure, version: 1 | 2 | undefined, detail: string): ProxyHeaderError =>
  new ProxyHeaderError({ reason, version, detail })

/** Whether `bytes` (all of it, or its first `prefix.length` bytes) agrees with `prefix`. */
const agrees = (bytes: Uint8Array, prefix: Uint8Array): boolean => {
  const n = Math.min(bytes.length, prefix.length)
  for (let i = 0; i < n; i++) if (bytes[i] !== prefix[i]) return false
  return true
}

/**
 * Parses the PROXY header at the start of `bytes`, everything the connection received so far.
 * Pure and total: never throws, whatever the input. Parsing does not depend on how the input
 * arrived: call it again with more bytes after `NeedMore`. The bytes after the header
 * (`length`) belong to the protocol it carries.
 *
 * @since 0.2.0
 * @category parsing
 */
export const parseProxyHeader = (bytes: Uint8Array): ProxyParseResult => {
  if (bytes.length === 0) return needMore(1)
  if (bytes[0] === V1_PREFIX[0]) {
    if (!agrees(bytes, V1_PREFIX)) return fail("signature", undefined, "neither a PROXY v1 line nor the v2 signature")
    return parseV1(bytes)
  }
  if (bytes[0] === V2_SIGNATURE[0]) {
    if (!agrees(bytes, V2_SIGNATURE)) return fail("signature", undefined, "neither a PROXY v1 line nor the v2 signature")
    return parseV2(bytes)
  }
  return fail("signature", undefined, "neither a PROXY v1 line nor the v2 signature")
}

// ---------------------------------------------------------------------------------------
// Version 1 (§2.1)

const parseV1 = (bytes: Uint8Array): ProxyParseResult => {
  // The CR is at most the 106th byte, so that the LF ends the line within 107.
  const limit = Math.min(bytes.length, V1_MAX_LENGTH - 1)
  let end = -1
  for (let i = V1_PREFIX.length; i < limit; i++) {
    const b = bytes[i]!
    if (b === CR) {
      if (i + 1 >= bytes.length) return needMore(i + 2)
      if (bytes[i + 1] !== LF) return fail("syntax", 1, "a CR not followed by LF")
      end = i
      break
    }
    if (b === LF) return fail("syntax", 1, "a bare LF")
  }
  if (end < 0) {
    if (bytes.length >= V1_MAX_LENGTH - 1) return fail("too-long", 1, `no CRLF within ${V1_MAX_LENGTH} bytes`)
    return needMore(bytes.length + 1)
  }
  const length = end + 2
  // Only US-ASCII is allowed on the line.
  let line = ""
  for (let i = V1_PREFIX.length; i < end; i++) {
    const b = bytes[i]!
    if (b < 0x20 || b > 0x7e) return fail("syntax", 1, `a byte 0x${b.toString(16).padStart(2, "0")} in the line`)
    line += String.fromCharCode(b)
  }
  // §2.1: "PROXY UNKNOWN" may be followed by anything up to the CRLF, which is ignored.
  if (line === "UNKNOWN" || line.startsWith("UNKNOWN ")) {
    return { _tag: "ProxyHeader", version: 1, command: "PROXY", family: "UNKNOWN", source: undefined, destination: undefined, length }
  }
  const fields = line.split(" ")
  if (fields.length !== 5) return fail("syntax", 1, `${fields.length} fields after PROXY where 5 are expected (single spaces)`)
  const [proto, src, dst, sport, dport] = fields as [string, string, string, string, string]
  let family: "TCP4" | "TCP6"
  let source: string | undefined
  let destination: string | undefined
  if (proto === "TCP4") {
    family = "TCP4"
    source = canonicalIPv4(src)
    destination = canonicalIPv4(dst)
  } else if (proto === "TCP6") {
    family = "TCP6"
    source = canonicalIPv6(src)
    destination = canonicalIPv6(dst)
  } else return fail("family", 1, `protocol ${JSON.stringify(proto)} (TCP4, TCP6 or UNKNOWN)`)
  if (source === undefined) return fail("address", 1, `source ${JSON.stringify(src)} is not an ${family} address`)
  if (destination === undefined) return fail("address", 1, `destination ${JSON.stringify(dst)} is not an ${family} address`)
  const sourcePort = parsePort(sport)
  if (sourcePort === undefined) return fail("port", 1, `source port ${JSON.stringify(sport)} (0 to 65535, no leading zeros)`)
  const destinationPort = parsePort(dport)
  if (destinationPort === undefined) return fail("port", 1, `destination port ${JSON.stringify(dport)} (0 to 65535, no leading zeros)`)
  return {
    _tag: "ProxyHeader",
    version: 1,
    command: "PROXY",
    family,
    source: { address: source, port: sourcePort },
    destination: { address: destination, port: destinationPort },
    length
  }
}

/** A decimal port, 0 to 65535, without sign or leading zeros. */
const parsePort = (text: string): number | undefined => {
  if (text.length === 0 || text.length > 5 || (text.length > 1 && text.charCodeAt(0) === 0x30)) return undefined
  let n = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i) - 0x30
    if (c < 0 || c > 9) return undefined
    n = n * 10 + c
  }
  return n <= 65535 ? n : undefined
}

// ---------------------------------------------------------------------------------------
// Version 2 (§2.2)

/** The fixed part: signature, version and command, family and transport, length. */
const V2_FIXED = 16
const PP2_TYPE_CRC32C = 0x03

const parseV2 = (bytes: Uint8Array): ProxyParseResult => {
  if (bytes.length < V2_FIXED) {
    // Judge the 13th and 14th bytes as soon as they are here.
    if (bytes.length > 12) {
      const early = checkVersionCommand(bytes[12]!)
      if (early !== undefined) return early
    }
    return needMore(V2_FIXED)
  }
  const verCmd = bytes[12]!
  const bad = checkVersionCommand(verCmd)
  if (bad !== undefined) return bad
  const command = (verCmd & 0x0f) === 0 ? "LOCAL" : "PROXY"
  const famByte = bytes[13]!
  const addressLength = (bytes[14]! << 8) | bytes[15]!
  const length = V2_FIXED + addressLength
  if (bytes.length < length) return needMore(length)
  // §2.2: with LOCAL, "the receiver must accept this connection as valid and must use the
  // real connection endpoints and discard the protocol block including the family".
  if (command === "LOCAL") {
    return { _tag: "ProxyHeader", version: 2, command, family: "UNKNOWN", source: undefined, destination: undefined, length }
  }
  const family = famByte >> 4
  const transport = famByte & 0x0f
  // UNSPEC (0x00): "the receiver is free to accept the connection anyway and use the real
  // endpoint addresses"; any other transport than STREAM is not a connection this server takes.
  if (transport > 0x2) return fail("family", 2, `transport 0x${transport.toString(16)} (UNSPEC 0x0, STREAM 0x1 or DGRAM 0x2)`)
  if (family === 0x0) {
    const tlv = checkTlvs(bytes, V2_FIXED, length)
    if (tlv !== undefined) return tlv
    return { _tag: "ProxyHeader", version: 2, command, family: "UNKNOWN", source: undefined, destination: undefined, length }
  }
  if (transport !== 0x1) return fail("family", 2, `transport 0x${transport.toString(16)} (only STREAM, 0x1, is served)`)
  const need = family === 0x1 ? 12 : family === 0x2 ? 36 : family === 0x3 ? 216 : -1
  if (need < 0) return fail("family", 2, `address family 0x${family.toString(16)} with the PROXY command`)
  if (addressLength < need) return fail("length", 2, `an address block of ${addressLength} bytes where the family needs ${need}`)
  const tlv = checkTlvs(bytes, V2_FIXED + need, length)
  if (tlv !== undefined) return tlv
  if (family === 0x3) {
    return { _tag: "ProxyHeader", version: 2, command, family: "UNIX", source: undefined, destination: undefined, length }
  }
  const at = V2_FIXED
  if (family === 0x1) {
    return {
      _tag: "ProxyHeader",
      version: 2,
      command,
      family: "TCP4",
      source: { address: formatIPv4(bytes, at), port: (bytes[at + 8]! << 8) | bytes[at + 9]! },
      destination: { address: formatIPv4(bytes, at + 4), port: (bytes[at + 10]! << 8) | bytes[at + 11]! },
      length
    }
  }
  return {
    _tag: "ProxyHeader",
    version: 2,
    command,
    family: "TCP6",
    source: { address: formatIPv6(bytes.subarray(at, at + 16)), port: (bytes[at + 32]! << 8) | bytes[at + 33]! },
    destination: { address: formatIPv6(bytes.subarray(at + 16, at + 32)), port: (bytes[at + 34]! << 8) | bytes[at + 35]! },
    length
  }
}

/** §2.2: the high nibble is the version (2), the low one the command (0 LOCAL, 1 PROXY). */
const checkVersionCommand = (verCmd: number): ProxyHeaderError | undefined => {
  if (verCmd >> 4 !== 2) return fail("version", 2, `version ${verCmd >> 4} in the signature's 13th byte (2 expected)`)
  if ((verCmd & 0x0f) > 1) return fail("command", 2, `command 0x${(verCmd & 0x0f).toString(16)} (LOCAL 0x0 or PROXY 0x1)`)
  return undefined
}

/**
 * §2.2.7: the bytes from `from` to `end` are TLVs (type, 2-byte length, value), each within
 * the header; a PP2_TYPE_CRC32C is checked (§2.2.5). Their contents are otherwise skipped.
 */
const checkTlvs = (bytes: Uint8Array, from: number, end: number): ProxyHeaderError | undefined => {
  let at = from
  // Bounded: every step moves at least 3 bytes forward.
  while (at < end) {
    if (end - at < 3) return fail("tlv", 2, `${end - at} bytes left at offset ${at}, less than a TLV's type and length`)
    const type = bytes[at]!
    const size = (bytes[at + 1]! << 8) | bytes[at + 2]!
    if (at + 3 + size > end) return fail("tlv", 2, `TLV 0x${type.toString(16)} of ${size} bytes at offset ${at} runs past the header's end (${end})`)
    if (type === PP2_TYPE_CRC32C) {
      if (size !== 4) return fail("tlv", 2, `a CRC32C TLV of ${size} bytes (4 expected)`)
      const given = ((bytes[at + 3]! << 24) | (bytes[at + 4]! << 16) | (bytes[at + 5]! << 8) | bytes[at + 6]!) >>> 0
      const computed = crc32c(bytes.subarray(0, end), at + 3)
      if (given !== computed) return fail("checksum", 2, `CRC32C 0x${given.toString(16)} where the header's is 0x${computed.toString(16)}`)
    }
    at += 3 + size
  }
  return undefined
}

let CRC32C_TABLE: Uint32Array | undefined = undefined

/** CRC32c (Castagnoli) of `bytes`, with the 4 bytes at `zeroAt` read as zeros (§2.2.5). */
export const crc32c = (bytes: Uint8Array, zeroAt = -1): number => {
  const table = CRC32C_TABLE ??= makeCrc32cTable()
  let crc = 0xffffffff
  for (let i = 0; i < bytes.length; i++) {
    const b = zeroAt >= 0 && i >= zeroAt && i < zeroAt + 4 ? 0 : bytes[i]!
    crc = table[(crc ^ b) & 0xff]! ^ (crc >>> 8)
  }
  return (crc ^ 0xffffffff) >>> 0
}

const makeCrc32cTable = (): Uint32Array => {
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1
    table[n] = c >>> 0
  }
  return table
}

// ---------------------------------------------------------------------------------------
// IP addresses

const formatIPv4 = (bytes: Uint8Array, at: number): string => `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`

/** The 4 bytes of a dotted IPv4 address (four decimals 0 to 255, no leading zeros), or undefined. */
export const parseIPv4 = (text: string): Uint8Array | undefined => {
  const parts = text.split(".")
  if (parts.length !== 4) return undefined
  const out = new Uint8Array(4)
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!
    if (p.length === 0 || p.length > 3 || (p.length > 1 && p.charCodeAt(0) === 0x30)) return undefined
    let n = 0
    for (let j = 0; j < p.length; j++) {
      const c = p.charCodeAt(j) - 0x30
      if (c < 0 || c > 9) return undefined
      n = n * 10 + c
    }
    if (n > 255) return undefined
    out[i] = n
  }
  return out
}

/** The 16 bytes of an IPv6 address in RFC 4291 §2.2 text form (no zone), or undefined. */
export const parseIPv6 = (text: string): Uint8Array | undefined => {
  if (text.length < 2 || text.length > 45) return undefined
  const out = new Uint8Array(16)
  let tail = text
  let v4: Uint8Array | undefined = undefined
  const lastColon = text.lastIndexOf(":")
  if (lastColon >= 0 && text.indexOf(".", lastColon) > 0) {
    v4 = parseIPv4(text.slice(lastColon + 1))
    if (v4 === undefined) return undefined
    tail = text.slice(0, lastColon + 1) + "0:0"
  }
  const double = tail.indexOf("::")
  if (double >= 0 && tail.indexOf("::", double + 1) >= 0) return undefined
  const groupsOf = (s: string): Array<number> | undefined => {
    if (s === "") return []
    const out: Array<number> = []
    for (const g of s.split(":")) {
      if (g.length === 0 || g.length > 4 || !/^[0-9a-fA-F]+$/.test(g)) return undefined
      out.push(parseInt(g, 16))
    }
    return out
  }
  let groups: Array<number>
  if (double >= 0) {
    const head = groupsOf(tail.slice(0, double))
    const rest = groupsOf(tail.slice(double + 2))
    if (head === undefined || rest === undefined || head.length + rest.length > 7) return undefined
    groups = [...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest]
  } else {
    const all = groupsOf(tail)
    if (all === undefined || all.length !== 8) return undefined
    groups = all
  }
  for (let i = 0; i < 8; i++) {
    out[2 * i] = groups[i]! >> 8
    out[2 * i + 1] = groups[i]! & 0xff
  }
  if (v4 !== undefined) out.set(v4, 12)
  return out
}

const isMappedIPv4 = (b: Uint8Array): boolean => {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false
  return b[10] === 0xff && b[11] === 0xff
}

/** RFC 5952 text for 16 bytes: lower case, the longest run of 2+ zero groups as "::", a mapped IPv4 as "::ffff:a.b.c.d". */
export const formatIPv6 = (b: Uint8Array): string => {
  if (isMappedIPv4(b)) return `::ffff:${formatIPv4(b, 12)}`
  const groups: Array<number> = []
  for (let i = 0; i < 8; i++) groups.push((b[2 * i]! << 8) | b[2 * i + 1]!)
  let bestStart = -1
  let bestLength = 1
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLength) {
      bestStart = i
      bestLength = j - i
    }
    i = j
  }
  const hex = (from: number, to: number) => groups.slice(from, to).map((g) => g.toString(16)).join(":")
  if (bestStart < 0) return hex(0, 8)
  return `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}`
}

const canonicalIPv4 = (text: string): string | undefined => (parseIPv4(text) === undefined ? undefined : text)

const canonicalIPv6 = (text: string): string | undefined => {
  const bytes = parseIPv6(text)
  return bytes === undefined ? undefined : formatIPv6(bytes)
}

// ---------------------------------------------------------------------------------------
// Trusted peers

/** One trusted range: the network's bytes (4 or 16) and its prefix length. */
interface Range {
  readonly bytes: Uint8Array
  readonly prefix: number
}

/**
 * The peers trusted to send a PROXY header: IPv4 and IPv6 addresses and CIDR ranges. An IPv4
 * peer seen as an IPv4-mapped IPv6 address (a dual-stack listener's "::ffff:10.0.0.1") is
 * judged as the IPv4 address.
 *
 * @since 0.2.0
 * @category models
 */
export class TrustedPeers {
  private constructor(private readonly v4: ReadonlyArray<Range>, private readonly v6: ReadonlyArray<Range>) {}

  /**
   * The trusted peers in `entries` ("127.0.0.1", "10.0.0.0/8", "::1", "fd00::/8"), or the
   * first entry that does not parse, with why.
   */
  static parse(entries: ReadonlyArray<string>): Either.Either<TrustedPeers, { readonly entry: unknown; readonly reason: string }> {
    if (!Array.isArray(entries)) return Either.left({ entry: entries, reason: "a list of IP addresses and CIDR ranges" })
    const v4: Array<Range> = []
    const v6: Array<Range> = []
    for (const entry of entries as ReadonlyArray<unknown>) {
      if (typeof entry !== "string") return Either.left({ entry, reason: "an IP address or CIDR range (a string)" })
      const slash = entry.indexOf("/")
      const text = slash < 0 ? entry : entry.slice(0, slash)
      const bytes = parseIPv4(text) ?? parseIPv6(text)
      if (bytes === undefined) return Either.left({ entry, reason: "not an IPv4 or IPv6 address (CIDR: address/prefix)" })
      const max = bytes.length * 8
      let prefix = max
      if (slash >= 0) {
        const p = entry.slice(slash + 1)
        if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > max) return Either.left({ entry, reason: `a prefix length from 0 to ${max}` })
        prefix = Number(p)
      }
      if (bytes.length === 16 && isMappedIPv4(bytes) && prefix >= 96) v4.push({ bytes: bytes.slice(12), prefix: prefix - 96 })
      else (bytes.length === 4 ? v4 : v6).push({ bytes, prefix })
    }
    return Either.right(new TrustedPeers(v4, v6))
  }

  /** Whether `address` (a socket's remote address) is trusted; false when it does not parse. */
  includes(address: string | undefined): boolean {
    if (address === undefined) return false
    let bytes = parseIPv4(address)
    if (bytes === undefined) {
      const six = parseIPv6(address)
      if (six === undefined) return false
      bytes = isMappedIPv4(six) ? six.subarray(12) : six
    }
    for (const range of bytes.length === 4 ? this.v4 : this.v6) if (inRange(bytes, range)) return true
    return false
  }
}

const inRange = (bytes: Uint8Array, range: Range): boolean => {
  let bits = range.prefix
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff
    if ((bytes[i]! & mask) !== (range.bytes[i]! & mask)) return false
  }
  return true
}

/**
 * PROXY protocol on a listener: who may send the header, and how long it may take.
 *
 * @since 0.2.0
 * @category models
 */
export interface ProxyProtocolOptions {
  /**
   * The peers allowed to connect: IPv4 and IPv6 addresses and CIDR ranges ("127.0.0.1",
   * "10.0.0.0/8", "::1", "fd00::/8"). A connection from any other address is closed at once,
   * unread; one from a trusted peer must begin with a PROXY v1 or v2 header, else it is
   * closed too. Not consulted on a Unix socket listener (its peers have no address; the
   * socket file's permissions decide who connects).
   */
  readonly trusted: ReadonlyArray<string>
  /**
   * How long the header may take to arrive, from the accept, on the Effect Clock. A server's
   * default is its `readHeaderTimeout` (whose own count starts after the header); `listen`'s
   * is 10 s. 0 or a negative duration: no limit.
   */
  readonly timeout?: Duration.DurationInput
}
