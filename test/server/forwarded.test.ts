/**
 * Trusted proxy headers (`Handlers.forwarded`): the RFC 7239 parser (a table of hand cases and
 * property tests), the trusted-proxy list (IPs and CIDR blocks, v4 and v6, checked at
 * construction), the chain walk, and the middleware: fields believed only from a listed peer,
 * ignored from any other, a malformed one from a trusted peer answered 400.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, FastCheck as fc } from "effect"
import * as net from "node:net"
import { Headers } from "../../src/domain/Headers.js"
import {
  forwarded,
  forwardedFacts,
  type ForwardedElement,
  parseForwarded,
  parseXForwardedFor,
  TrustedProxies,
  trustedProxies
} from "../../src/server/forwarded.js"
import { ServerRequest } from "../../src/server/ServerRequest.js"
import * as ServerResponse from "../../src/server/ServerResponse.js"
import { rawConnect, startServer } from "./rawClient.js"

const trusted = (entries: ReadonlyArray<string>): TrustedProxies => Either.getOrThrow(trustedProxies(entries))

const parsed = (value: string): ReadonlyArray<ForwardedElement> => Either.getOrThrow(parseForwarded(value))

describe("parseForwarded: hand cases (RFC 7239)", () => {
  const ok: ReadonlyArray<readonly [string, ReadonlyArray<Partial<Record<"for" | "by", string | undefined> & { port: number; host: string; proto: string }>>]> = [
    // §4 examples
    ["for=\"_gazonk\"", [{ for: "_gazonk" }]],
    ["For=\"[2001:db8:cafe::17]:4711\"", [{ for: "2001:db8:cafe::17", port: 4711 }]],
    ["for=192.0.2.60;proto=http;by=203.0.113.43", [{ for: "192.0.2.60", proto: "http", by: "203.0.113.43" }]],
    ["for=192.0.2.43, for=198.51.100.17", [{ for: "192.0.2.43" }, { for: "198.51.100.17" }]],
    // §6 node forms
    ["for=unknown", [{ for: "unknown" }]],
    ["for=UNKNOWN", [{ for: "unknown" }]],
    ["for=\"unknown:8080\"", [{ for: "unknown", port: 8080 }]],
    ["for=\"192.0.2.43:47011\"", [{ for: "192.0.2.43", port: 47011 }]],
    ["for=\"_hidden:_p1\"", [{ for: "_hidden" }]],
    ["for=\"[::1]\"", [{ for: "::1" }]],
    ["for=\"[::ffff:192.0.2.1]:80\"", [{ for: "::ffff:192.0.2.1", port: 80 }]],
    // host and proto
    ["for=192.0.2.1;host=example.com;proto=HTTPS", [{ for: "192.0.2.1", host: "example.com", proto: "https" }]],
    ["host=\"example.com:8443\"", [{ host: "example.com:8443" }]],
    ["host=\"[2001:db8::1]:443\"", [{ host: "[2001:db8::1]:443" }]],
    // whitespace around "," and ";", empty elements and pairs, extensions
    ["  for=192.0.2.1 ;  proto=http ,  for=10.0.0.1  ", [{ for: "192.0.2.1", proto: "http" }, { for: "10.0.0.1" }]],
    ["for=192.0.2.1,,for=10.0.0.1", [{ for: "192.0.2.1" }, { for: "10.0.0.1" }]],
    [";for=192.0.2.1;", [{ for: "192.0.2.1" }]],
    ["for=192.0.2.1;ext=\"a \\\"quoted\\\" thing, with a comma\"", [{ for: "192.0.2.1" }]],
    ["", []]
  ]
  for (const [value, expected] of ok) {
    it(`parses ${JSON.stringify(value)}`, () => {
      const elements = parsed(value)
      expect(elements).toHaveLength(expected.length)
      expected.forEach((e, i) => {
        const el = elements[i]!
        expect(el.for?.name).toBe(e.for)
        expect(el.by?.name).toBe(e.by)
        if (e.port !== undefined) expect(el.for?.port).toBe(e.port)
        expect(el.host).toBe(e.host)
        expect(el.proto).toBe(e.proto)
      })
    })
  }

  const bad: ReadonlyArray<readonly [string, RegExp]> = [
    ["for=[2001:db8::1]", /quoted-string/],
    ["for=192.0.2.1:80", /quoted-string/],
    ["for=\"2001:db8::1\"", /must be in brackets/],
    ["for=\"[2001:db8::1\"", /closing \]/],
    ["for=\"[not-v6]\"", /not an IPv6 address/],
    ["for=192.0.2.256", /not an IPv4 address/],
    ["for=example.com", /not an IPv4 address/],
    ["for=\"192.0.2.1:70000\"", /not a port/],
    ["for=\"192.0.2.1:\"", /not a port/],
    ["for", /no "=" value/],
    ["for=", /empty value/],
    ["for =192.0.2.1", /no "=" value/],
    ["for=192.0.2.1;for=192.0.2.2", /occurs twice/],
    ["for=\"192.0.2.1", /closing quote/],
    ["for=192.0.2.1 proto=http", /unexpected/],
    ["proto=\"h ttp\"", /URI scheme/],
    ["proto=1http", /URI scheme/],
    ["host=\"exa mple.com\"", /not a Host/],
    ["host=\"example.com:80a\"", /not a Host/],
    ["for=\"_\"", /not an IPv4 address/],
    ["for=\"a\u0001\"", /control character/],
    ["@for=1.2.3.4", /unexpected/]
  ]
  for (const [value, reason] of bad) {
    it(`rejects ${JSON.stringify(value)}`, () => {
      const result = parseForwarded(value)
      expect(Either.isLeft(result)).toBe(true)
      if (Either.isLeft(result)) {
        expect(result.left._tag).toBe("InvalidForwarded")
        expect(result.left.field).toBe("Forwarded")
        expect(result.left.reason).toMatch(reason)
      }
    })
  }
})

// ---------------------------------------------------------------------------------------------
// Property tests

const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((b) => b.join("."))
const ipv6 = fc.ipV6()
const obf = fc.stringMatching(/^_[A-Za-z0-9._-]{1,10}$/)
const port = fc.nat(65535)

type NodeSpec = { readonly kind: "v4" | "v6" | "unknown" | "obf"; readonly name: string; readonly port: number | undefined }
const nodeSpec: fc.Arbitrary<NodeSpec> = fc.record({
  kind: fc.constantFrom("v4" as const, "v6" as const, "unknown" as const, "obf" as const),
  v4: ipv4,
  v6: ipv6,
  obf,
  port: fc.option(port, { nil: undefined })
}).map((r) => ({ kind: r.kind, name: r.kind === "v4" ? r.v4 : r.kind === "v6" ? r.v6 : r.kind === "obf" ? r.obf : "unknown", port: r.port }))

/** A node as a proxy writes it: quoted when it holds ":" or "[" (RFC 7239 §6), else a token. */
const nodeText = (n: NodeSpec): string => {
  const name = n.kind === "v6" ? `[${n.name}]` : n.name
  const text = n.port === undefined ? name : `${name}:${n.port}`
  return text.includes(":") || text.includes("[") ? `"${text}"` : text
}

type ElementSpec = { readonly for: NodeSpec | undefined; readonly proto: string | undefined; readonly host: string | undefined }
const elementSpec: fc.Arbitrary<ElementSpec> = fc.record({
  for: fc.option(nodeSpec, { nil: undefined }),
  proto: fc.option(fc.constantFrom("http", "https", "HTTPS", "wss", "coap+tcp"), { nil: undefined }),
  host: fc.option(fc.oneof(fc.domain(), fc.tuple(fc.domain(), port).map(([d, p]) => `${d}:${p}`)), { nil: undefined })
}).filter((e) => e.for !== undefined || e.proto !== undefined || e.host !== undefined)

const elementText = (e: ElementSpec, ows: string): string => {
  const pairs: Array<string> = []
  if (e.for !== undefined) pairs.push(`for=${nodeText(e.for)}`)
  if (e.proto !== undefined) pairs.push(`proto=${e.proto}`)
  if (e.host !== undefined) pairs.push(`host="${e.host}"`)
  return pairs.join(`${ows};${ows}`)
}

describe("parseForwarded: properties", () => {
  it("a list of valid elements, however spaced, parses back to what was written", () => {
    fc.assert(
      fc.property(fc.array(elementSpec, { minLength: 1, maxLength: 5 }), fc.constantFrom("", " ", "\t", "  "), (specs, ows) => {
        const elements = parsed(specs.map((s) => elementText(s, ows)).join(`${ows},${ows}`))
        expect(elements).toHaveLength(specs.length)
        specs.forEach((s, i) => {
          const el = elements[i]!
          expect(el.for?.name).toBe(s.for?.name)
          expect(el.for?.port).toBe(s.for?.port)
          expect(el.for?.kind).toBe(s.for === undefined ? undefined : s.for.kind === "v4" || s.for.kind === "v6" ? "ip" : s.for.kind === "obf" ? "obfuscated" : "unknown")
          expect(el.proto).toBe(s.proto?.toLowerCase())
          expect(el.host).toBe(s.host)
        })
      }),
      { numRuns: 300 }
    )
  })

  it("any input gives elements or InvalidForwarded, never a throw", () => {
    const alphabet = fc.constantFrom(..."for=by;host,proto\"[]:_\\ \t.0123456789abcdef".split(""))
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 60 }), fc.array(alphabet, { maxLength: 60 }).map((cs) => cs.join(""))), (value) => {
        const result = parseForwarded(value)
        if (Either.isLeft(result)) expect(result.left._tag).toBe("InvalidForwarded")
      }),
      { numRuns: 500 }
    )
  })

  it("an IPv6 `for` without brackets, or unquoted with them, is rejected", () => {
    fc.assert(
      fc.property(ipv6, (addr) => {
        expect(Either.isLeft(parseForwarded(`for="${addr}"`))).toBe(addr.includes(":"))
        expect(Either.isLeft(parseForwarded(`for=[${addr}]`))).toBe(true)
      }),
      { numRuns: 200 }
    )
  })

  it("X-Forwarded-For: addresses with and without ports parse back in order", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), ipv4, ipv6, fc.option(port, { nil: undefined })), { minLength: 1, maxLength: 6 }), (entries) => {
        const text = entries.map(([v4, a, b, p]) => (v4 ? (p === undefined ? a : `${a}:${p}`) : p === undefined ? b : `[${b}]:${p}`)).join(", ")
        const nodes = Either.getOrThrow(parseXForwardedFor(text))
        expect(nodes.map((n) => n.name)).toEqual(entries.map(([v4, a, b]) => (v4 ? a : b)))
        expect(nodes.map((n) => n.port)).toEqual(entries.map(([, , , p]) => p))
      }),
      { numRuns: 200 }
    )
  })
})

describe("TrustedProxies", () => {
  it("rejects a bad entry at construction with InvalidConfig naming it", () => {
    for (const [entries, index] of [[["10.0.0.0/8", "nope"], 1], [["10.0.0.0/33"], 0], [["::1/129"], 0], [["10.0.0.1/-1"], 0], [["1.2.3"], 0], [["10.0.0.0/08"], 0], [[""], 0]] as const) {
      const result = trustedProxies(entries)
      expect(Either.isLeft(result)).toBe(true)
      if (Either.isLeft(result)) {
        expect(result.left._tag).toBe("InvalidConfig")
        expect(result.left.field).toBe(`trusted[${index}]`)
        expect(result.left.value).toBe(entries[index])
      }
    }
  })

  it("matches addresses and CIDR blocks, v4 and v6, and IPv4-mapped addresses as IPv4", () => {
    const t = trusted(["10.0.0.0/8", "127.0.0.1", "fd00::/8", "::1", "192.168.1.128/25", "::ffff:172.16.0.0/108"])
    for (const a of ["10.1.2.3", "127.0.0.1", "::ffff:127.0.0.1", "::ffff:10.9.9.9", "fd12:3456::1", "::1", "192.168.1.200", "172.16.5.5", "::ffff:172.16.0.1", "fe80::1%eth0".replace("fe80::1", "fd00::1")]) {
      expect(t.contains(a), a).toBe(true)
    }
    for (const a of ["11.0.0.1", "127.0.0.2", "::2", "fe00::1", "192.168.1.127", "172.32.0.1", "unknown", "_hidden", "", undefined]) {
      expect(t.contains(a), String(a)).toBe(false)
    }
    expect(trusted([]).contains("127.0.0.1")).toBe(false)
  })

  it("an IPv4 block contains exactly the addresses sharing its prefix (property)", () => {
    const toInt = (a: string) => a.split(".").reduce((n, b) => n * 256 + Number(b), 0)
    fc.assert(
      fc.property(ipv4, ipv4, fc.nat(32), (base, addr, bits) => {
        const expected = bits === 0 || Math.floor(toInt(base) / 2 ** (32 - bits)) === Math.floor(toInt(addr) / 2 ** (32 - bits))
        expect(trusted([`${base}/${bits}`]).contains(addr)).toBe(expected)
      }),
      { numRuns: 500 }
    )
  })

  it("any IPv6 address node accepts is contained in its own /128 and in ::/0, and IPv4 ones are not in ::/0 (property)", () => {
    fc.assert(
      fc.property(ipv6, (addr) => {
        expect(net.isIPv6(addr)).toBe(true)
        const mapped = /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(addr)
        expect(trusted([`${addr}/128`]).contains(addr)).toBe(true)
        expect(trusted(["::/0"]).contains(addr)).toBe(!mapped)
      }),
      { numRuns: 300 }
    )
  })
})

describe("forwardedFacts: the chain walk", () => {
  const proxies = trusted(["10.0.0.0/8", "192.0.2.1"])
  const facts = (fields: ReadonlyArray<readonly [string, string]>) => Either.getOrThrow(forwardedFacts(Headers.make(fields), proxies))

  it("walks Forwarded from the nearest proxy back, skipping trusted ones", () => {
    expect(facts([["Forwarded", "for=203.0.113.7;proto=https;host=shop.example, for=10.1.1.1, for=192.0.2.1"]])).toEqual({
      remoteAddress: "203.0.113.7",
      remotePort: undefined,
      scheme: "https",
      host: "shop.example"
    })
    // a forged leftmost element is not the client: the first untrusted from the right is
    expect(facts([["Forwarded", "for=6.6.6.6;host=evil, for=203.0.113.7;proto=http, for=10.1.1.1"]])).toMatchObject({ remoteAddress: "203.0.113.7", scheme: "http" })
    // all trusted: the leftmost
    expect(facts([["Forwarded", "for=10.0.0.5, for=10.0.0.6"]])).toMatchObject({ remoteAddress: "10.0.0.5" })
    // several field lines are one list
    expect(facts([["Forwarded", "for=\"[2001:db8::7]:4711\""], ["Forwarded", "for=10.1.1.1"]])).toMatchObject({ remoteAddress: "2001:db8::7", remotePort: 4711 })
    // unknown and obfuscated stop the walk and are the client as written
    expect(facts([["Forwarded", "for=1.1.1.1, for=unknown, for=10.0.0.1"]])).toMatchObject({ remoteAddress: "unknown" })
    expect(facts([["Forwarded", "for=_hidden;proto=https"]])).toMatchObject({ remoteAddress: "_hidden", scheme: "https" })
    // no `for`: the address stays the peer's
    expect(facts([["Forwarded", "proto=https;host=a.example"]])).toEqual({ scheme: "https", host: "a.example" })
    // an unknown scheme changes nothing
    expect(facts([["Forwarded", "for=1.2.3.4;proto=coap"]])).toEqual({ remoteAddress: "1.2.3.4", remotePort: undefined })
  })

  it("Forwarded wins over X-Forwarded-*", () => {
    expect(facts([["Forwarded", "for=1.2.3.4"], ["X-Forwarded-For", "5.6.7.8"], ["X-Forwarded-Proto", "https"]])).toEqual({ remoteAddress: "1.2.3.4", remotePort: undefined })
  })

  it("X-Forwarded-For walks from the right; -Proto and -Host take their last entry", () => {
    expect(facts([["X-Forwarded-For", "6.6.6.6, 203.0.113.9, 10.2.2.2"], ["X-Forwarded-Proto", "http, https"], ["X-Forwarded-Host", "a.example:8443"]])).toEqual({
      remoteAddress: "203.0.113.9",
      remotePort: undefined,
      scheme: "https",
      host: "a.example:8443"
    })
    expect(facts([["X-Forwarded-For", "[2001:db8::9]:555"]])).toMatchObject({ remoteAddress: "2001:db8::9", remotePort: 555 })
    expect(facts([["X-Forwarded-For", "2001:db8::9"]])).toMatchObject({ remoteAddress: "2001:db8::9" })
    expect(facts([["X-Forwarded-Proto", "https"]])).toEqual({ scheme: "https" })
    expect(facts([])).toEqual({})
  })

  it("a malformed field is InvalidForwarded naming it", () => {
    for (const [name, value] of [["X-Forwarded-For", "1.2.3.4, not-an-ip"], ["X-Forwarded-Proto", "ht tp"], ["X-Forwarded-Host", "a b"], ["Forwarded", "for=[::1]"]] as const) {
      const result = forwardedFacts(Headers.make([[name, value]]), proxies)
      expect(Either.isLeft(result), name).toBe(true)
      if (Either.isLeft(result)) expect(result.left.field).toBe(name)
    }
  })
})

describe("ServerRequest.withForwarded", () => {
  it("replaces only the facts given, keeps the route, the body and the connection's other facts", () => {
    const base = Either.getOrThrow(ServerRequest.make({ url: "http://internal/items/7?x=1", remoteAddress: "10.0.0.1", remotePort: 999, localAddress: "10.0.0.2", localPort: 80 }))
      .withRoute("GET /items/{id}", new Map([["id", "7"]]))
    const onlyScheme = base.withForwarded({ scheme: "https" })
    expect(onlyScheme.remoteAddress).toBe("10.0.0.1")
    expect(onlyScheme.remotePort).toBe(999)
    expect(onlyScheme.url.href).toBe("https://internal/items/7?x=1")
    expect(onlyScheme.conn).toBe(base.conn)
    const client = base.withForwarded({ remoteAddress: "198.51.100.1" })
    expect(client.remoteAddress).toBe("198.51.100.1")
    expect(client.remotePort).toBeUndefined()
    expect(client.localAddress).toBe("10.0.0.2")
    expect(client.localPort).toBe(80)
    expect(client.pathValue("id")).toBe("7")
    expect(client.pattern).toBe("GET /items/{id}")
    expect(client.url.href).toBe("http://internal/items/7?x=1")
    expect(client.tls).toBeUndefined()
    // the original is untouched
    expect(base.remoteAddress).toBe("10.0.0.1")
    expect(base.url.href).toBe("http://internal/items/7?x=1")
  })
})

describe("Handlers.forwarded", () => {
  const proxies = trusted(["127.0.0.1", "10.0.0.0/8"])
  const seen: Array<ServerRequest> = []
  const handler = forwarded((request: ServerRequest) => {
    seen.push(request)
    return Effect.succeed(ServerResponse.text(`${request.remoteAddress} ${request.remotePort} ${request.url.href}`))
  }, proxies)
  const make = (remoteAddress: string, headers: Record<string, string>) =>
    Either.getOrThrow(ServerRequest.make({ url: "http://internal:8080/p?q=1", remoteAddress, remotePort: 4000, headers }))

  it.effect("from a trusted peer: the client's address, port, scheme and host", () =>
    Effect.gen(function*() {
      seen.length = 0
      yield* handler(make("10.9.8.7", { Forwarded: "for=\"198.51.100.4:6000\";proto=https;host=www.example", "X-Forwarded-For": "9.9.9.9" }))
      const r = seen[0]!
      expect(r.remoteAddress).toBe("198.51.100.4")
      expect(r.remotePort).toBe(6000)
      expect(r.scheme).toBe("https")
      expect(r.host).toBe("www.example")
      expect(r.url.href).toBe("https://www.example/p?q=1")
      expect(r.conn.remoteAddress).toBe("198.51.100.4")
      expect(r.conn.id).toBe(0)
      // the fields themselves are kept
      expect(r.headers.get("Forwarded")).toContain("198.51.100.4")
    }))

  it.effect("from an untrusted peer: the fields are ignored and the request is handed on unchanged", () =>
    Effect.gen(function*() {
      seen.length = 0
      const cases: ReadonlyArray<Record<string, string>> = [
        { Forwarded: "for=198.51.100.4;proto=https;host=www.example" },
        { "X-Forwarded-For": "198.51.100.4", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "www.example" },
        { Forwarded: "for=[::1]" } // malformed, but from nobody we trust: not even read
      ]
      for (const headers of cases) {
        const request = make("203.0.113.50", headers)
        const response = yield* handler(request)
        expect(response.status).toBe(200)
        const r = seen[seen.length - 1]!
        expect(r).toBe(request)
        expect(r.remoteAddress).toBe("203.0.113.50")
        expect(r.remotePort).toBe(4000)
        expect(r.url.href).toBe("http://internal:8080/p?q=1")
      }
    }))

  it.effect("ignored by a property too: no field value from an untrusted peer changes the request", () =>
    Effect.gen(function*() {
      const values = fc.sample(fc.oneof(fc.string({ maxLength: 40 }), ipv4, elementSpec.map((e) => elementText(e, ""))), 60)
      for (const v of values) {
        const request = make("198.18.0.1", { Forwarded: v.replace(/[\r\n\0]/g, ""), "X-Forwarded-For": "1.1.1.1" })
        yield* handler(request)
        expect(seen[seen.length - 1]).toBe(request)
      }
    }))

  it.effect("a malformed field from a trusted peer is answered 400 naming the fault, the handler not run", () =>
    Effect.gen(function*() {
      seen.length = 0
      const response = yield* handler(make("127.0.0.1", { Forwarded: "for=2001:db8::1" }))
      expect(response.status).toBe(400)
      expect(seen).toHaveLength(0)
      const text = new TextDecoder().decode(response.body._tag === "Bytes" ? response.body.bytes : new Uint8Array())
      expect(text).toContain("malformed Forwarded header field")
      expect(text).toContain("quoted-string")
    }))

  it.scoped("over a real socket: trusted 127.0.0.1 passes X-Forwarded-For on; an empty list trusts nobody", () =>
    Effect.gen(function*() {
      const show = (r: ServerRequest) => Effect.succeed(ServerResponse.text(`${r.remoteAddress}|${r.url.protocol}|${r.host}`))
      const on = yield* startServer({ handler: forwarded(show, trusted(["127.0.0.1", "::ffff:127.0.0.1"])) })
      const off = yield* startServer({ handler: forwarded(show, trusted([])) })
      const ask = "GET / HTTP/1.1\r\nHost: backend\r\nX-Forwarded-For: 198.51.100.23\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: shop.example\r\n\r\n"
      const a = yield* rawConnect(on.port)
      yield* a.send(ask)
      expect((yield* a.responses(1))[0]!.body).toBe("198.51.100.23|https:|shop.example")
      const b = yield* rawConnect(off.port)
      yield* b.send(ask)
      expect((yield* b.responses(1))[0]!.body).toBe("127.0.0.1|http:|backend")
    }))
})
