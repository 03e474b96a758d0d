/**
 * Proxies from the environment: Go's httpproxy tests (`proxyForURLTests`, `TestUseProxy`,
 * `TestInvalidNoProxy`, `TestAllNoProxy`, `TestFromEnvironment*`) translated, plus curl's
 * ALL_PROXY fallback, CGI, socks5, invalid values, loopback and the per-origin cache.
 */
import { describe, expect, it } from "@effect/vitest"
import {
  InvalidProxy,
  type ProxyChoice,
  proxyConfigFromEnv,
  type ProxyEnvironmentConfig,
  proxyFromEnvironment,
  proxyFunc
} from "../../src/transport/proxyEnvironment.js"

/** An answer as Go's test prints it: the proxy URL, "<nil>", or the error. */
const show = (choice: ProxyChoice): string =>
  choice === undefined ? "<nil>" : choice instanceof InvalidProxy ? `error: ${choice.detail}` : choice.href

const proxyFor = (config: ProxyEnvironmentConfig, url: string): ProxyChoice => {
  const f = proxyFunc(config)
  return f === undefined ? undefined : f(new URL(url))
}

const CGI_REFUSED = "error: refusing to use HTTP_PROXY value in CGI environment; see golang.org/s/cgihttpproxy"

describe("Go's proxyForURLTests", () => {
  // [config, request ("" is http://example.com), want]. WHATWG hrefs of http(s) URLs end in "/".
  const cases: Array<[ProxyEnvironmentConfig, string, string]> = [
    [{ httpProxy: "127.0.0.1:8080" }, "", "http://127.0.0.1:8080/"],
    [{ httpProxy: "cache.corp.example.com:1234" }, "", "http://cache.corp.example.com:1234/"],
    [{ httpProxy: "cache.corp.example.com" }, "", "http://cache.corp.example.com/"],
    // a single label looks like a scheme to url.Parse
    [{ httpProxy: "localhost" }, "", "http://localhost/"],
    [{ httpProxy: "https://cache.corp.example.com" }, "", "https://cache.corp.example.com/"],
    [{ httpProxy: "http://127.0.0.1:8080" }, "", "http://127.0.0.1:8080/"],
    [{ httpProxy: "https://127.0.0.1:8080" }, "", "https://127.0.0.1:8080/"],
    [{ httpProxy: "socks5://127.0.0.1" }, "", "socks5://127.0.0.1"],
    // Go preserves unknown schemes ("foo://host"); here they are invalid (a difference from Go).
    [{ httpProxy: "foo://host" }, "", "error: invalid proxy address: unsupported scheme \"foo\" (want http, https, socks5 or socks5h)"],
    // don't use the secure proxy for http
    [{ httpProxy: "http.proxy.tld", httpsProxy: "secure.proxy.tld" }, "http://insecure.tld/", "http://http.proxy.tld/"],
    // use it for https
    [{ httpProxy: "http.proxy.tld", httpsProxy: "secure.proxy.tld" }, "https://secure.tld/", "http://secure.proxy.tld/"],
    [{ httpProxy: "http.proxy.tld", httpsProxy: "https://secure.proxy.tld" }, "https://secure.tld/", "https://secure.proxy.tld/"],
    [{ httpProxy: "http.proxy.tld" }, "https://secure.tld/", "<nil>"],
    [{ httpProxy: "http.proxy.tld" }, "ftp://insecure.tld/", "<nil>"],
    // Issue 16405: don't use HTTP_PROXY in a CGI environment, where it can be attacker-controlled
    [{ httpProxy: "http://10.1.2.3:8080", cgi: true }, "", CGI_REFUSED],
    // HTTPS_PROXY is still used in a CGI environment (historical behaviour)
    [{ httpsProxy: "https://secure.proxy.tld", cgi: true }, "https://secure.tld/", "https://secure.proxy.tld/"],
    [{}, "", "<nil>"],
    [{ noProxy: "example.com", httpProxy: "proxy" }, "http://example.com/", "<nil>"],
    [{ noProxy: ".example.com", httpProxy: "proxy" }, "http://example.com/", "http://proxy/"],
    [{ noProxy: "ample.com", httpProxy: "proxy" }, "http://example.com/", "http://proxy/"],
    [{ noProxy: "example.com", httpProxy: "proxy" }, "http://foo.example.com/", "<nil>"],
    [{ noProxy: ".foo.com", httpProxy: "proxy" }, "http://example.com/", "http://proxy/"],
    [{ noProxy: ".示例.com", httpProxy: "proxy" }, "http://www.示例.com", "<nil>"],
    [{ noProxy: "xn--fsq092h.com", httpProxy: "proxy" }, "http://www.示例.com", "<nil>"],
    [{ noProxy: "示例.com", httpProxy: "proxy" }, "http://www.xn--fsq092h.com", "<nil>"]
  ]

  it.each(cases)("%j %s → %s", (config, req, want) => {
    const cfg = { ...config }
    const f = proxyFunc(cfg)
    const url = new URL(req === "" ? "http://example.com" : req)
    const got = f === undefined ? undefined : f(url)
    expect(show(got)).toBe(want)
    // Changing the config afterwards does not change the function's answers.
    for (const k of Object.keys(cfg)) delete (cfg as Record<string, unknown>)[k]
    expect(show(f === undefined ? undefined : f(url))).toBe(want)
  })

  it("a zone in a request's IPv6 host cannot reach the proxy function (WHATWG refuses the URL)", () => {
    // Go's last case, http://[1000::%25.example.com]:123 with NO_PROXY=example.com → proxied.
    expect(() => new URL("http://[1000::%25.example.com]:123")).toThrow()
  })
})

describe("Go's TestUseProxy", () => {
  const noProxy =
    "foobar.com, .barbaz.net, *.wildcard.io, 192.168.1.1, 192.168.1.2:81, 192.168.1.3:80, 10.0.0.0/30, 2001:db8::52:0:1, [2001:db8::52:0:2]:443, [2001:db8::52:0:3]:80, 2002:db8:a::45/64"
  // [host, proxied]
  const cases: Array<[string, boolean]> = [
    // never proxy localhost
    ["localhost", false],
    ["127.0.0.1", false],
    ["127.0.0.2", false],
    ["[::1]", false],
    ["[::2]", true], // not a loopback address

    ["192.168.1.1", false], // matches exact IPv4
    ["192.168.1.2", true], // ports do not match
    ["192.168.1.3", false], // matches exact IPv4:port
    ["192.168.1.4", true], // no match
    ["10.0.0.2", false], // matches IPv4/CIDR
    ["[2001:db8::52:0:1]", false], // matches exact IPv6
    ["[2001:db8::52:0:2]", true], // ports do not match
    ["[2001:db8::52:0:3]", false], // matches exact [IPv6]:port
    ["[2002:db8:a::123]", false], // matches IPv6/CIDR
    ["[fe80::424b:c8be:1643:a1b6]", true], // no match

    ["barbaz.net", true], // does not match as .barbaz.net
    ["www.barbaz.net", false], // does match as .barbaz.net
    ["foobar.com", false], // does match as foobar.com
    ["www.foobar.com", false], // match because NO_PROXY includes "foobar.com"
    ["foofoobar.com", true], // not match as a part of foobar.com
    ["baz.com", true], // not match as a part of barbaz.com
    ["localhost.net", true], // not match as suffix of address
    ["local.localhost", true], // not match as prefix as address
    ["barbarbaz.net", true], // not match, wrong domain
    ["wildcard.io", true], // does not match as *.wildcard.io
    ["nested.wildcard.io", false], // match as *.wildcard.io
    ["awildcard.io", true] // not a match because of '*'
  ]

  const f = proxyFunc({ httpProxy: "http://proxy.example.org", noProxy })!

  it.each(cases)("%s:80 proxied: %s", (host, proxied) => {
    expect(f(new URL(`http://${host}:80/`)) !== undefined).toBe(proxied)
  })

  const all = proxyFunc({ httpProxy: "http://proxy.example.org", noProxy: "*" })!
  it.each(cases)("NO_PROXY=* (TestAllNoProxy): %s:80 not proxied", (host) => {
    expect(all(new URL(`http://${host}:80/`))).toBeUndefined()
  })

  it("a malformed entry is ignored (TestInvalidNoProxy)", () => {
    const g = proxyFunc({ httpProxy: "proxy", noProxy: ":1" })!
    expect(show(g(new URL("http://example.com:80/")))).toBe("http://proxy/")
  })
})

describe("NO_PROXY beyond Go's tables", () => {
  const cases: Array<[string, string, boolean]> = [
    // [NO_PROXY, request, proxied]
    ["EXAMPLE.COM", "http://example.com/", false], // entries are lower-cased
    ["  example.com  ,other.org", "http://other.org/", false], // and trimmed
    ["example.com:443", "https://example.com/", false], // the scheme's default port
    ["example.com:443", "http://example.com/", true],
    ["example.com:8080", "http://example.com:8080/", false],
    ["example.com:8080", "http://example.com/", true],
    ["*.example.com", "http://example.com/", true],
    ["*.example.com", "http://a.b.example.com/", false],
    ["10.0.0.0/8", "http://[::ffff:10.1.2.3]/", false], // an IPv4-mapped IPv6 address is IPv4
    ["10.1.2.3", "http://[::ffff:10.1.2.3]/", false],
    ["2001:db8::/32", "http://[2001:DB8:0:0::7]/", false],
    ["2001:db8::/32", "http://[2001:db9::7]/", true],
    ["[2001:db8::1]", "http://[2001:db8::1]/", true], // bracketed without a port: ignored, as Go
    ["192.168.0.1", "http://192.168.000.001/", false], // WHATWG normalizes the request's IPv4
    ["foo.com,*", "http://anything.example/", false],
    ["", "http://example.com/", true],
    [",,", "http://example.com/", true]
  ]

  it.each(cases)("NO_PROXY=%j %s proxied: %s", (noProxy, url, proxied) => {
    const f = proxyFunc({ httpProxy: "proxy", httpsProxy: "proxy", noProxy })!
    expect(f(new URL(url)) !== undefined).toBe(proxied)
  })
})

describe("proxyConfigFromEnv (Go's TestFromEnvironment*)", () => {
  const cases: Array<[string, Record<string, string | undefined>, ProxyEnvironmentConfig]> = [
    [
      "upper case",
      { HTTP_PROXY: "httpproxy", HTTPS_PROXY: "httpsproxy", NO_PROXY: "noproxy", REQUEST_METHOD: "" },
      { httpProxy: "httpproxy", httpsProxy: "httpsproxy", noProxy: "noproxy", cgi: false }
    ],
    [
      "with REQUEST_METHOD",
      { HTTP_PROXY: "httpproxy", HTTPS_PROXY: "httpsproxy", NO_PROXY: "noproxy", REQUEST_METHOD: "PUT" },
      { httpProxy: "httpproxy", httpsProxy: "httpsproxy", noProxy: "noproxy", cgi: true }
    ],
    [
      "lower case",
      { http_proxy: "httpproxy", https_proxy: "httpsproxy", no_proxy: "noproxy", all_proxy: "allproxy" },
      { httpProxy: "httpproxy", httpsProxy: "httpsproxy", noProxy: "noproxy", allProxy: "allproxy", cgi: false }
    ],
    [
      "upper case wins over lower case",
      { HTTP_PROXY: "U", http_proxy: "l", HTTPS_PROXY: "US", https_proxy: "ls", ALL_PROXY: "UA", all_proxy: "la", NO_PROXY: "UN", no_proxy: "ln" },
      { httpProxy: "U", httpsProxy: "US", allProxy: "UA", noProxy: "UN", cgi: false }
    ],
    [
      "an empty upper-case value falls through to lower case",
      { HTTP_PROXY: "", http_proxy: "l", HTTPS_PROXY: "", https_proxy: "ls", NO_PROXY: "", no_proxy: "ln" },
      { httpProxy: "l", httpsProxy: "ls", noProxy: "ln", cgi: false }
    ],
    ["nothing set", { PATH: "/usr/bin", REQUEST_METHOD: undefined }, { cgi: false }]
  ]

  it.each(cases)("%s", (_, env, want) => {
    expect(proxyConfigFromEnv(env)).toStrictEqual(want)
  })
})

describe("ALL_PROXY (curl's rule)", () => {
  const cases: Array<[Record<string, string>, string, string]> = [
    [{ ALL_PROXY: "all.proxy:3128" }, "http://example.com/", "http://all.proxy:3128/"],
    [{ ALL_PROXY: "all.proxy:3128" }, "https://example.com/", "http://all.proxy:3128/"],
    [{ all_proxy: "socks5h://all.proxy:1080" }, "https://example.com/", "socks5h://all.proxy:1080"],
    [{ ALL_PROXY: "all.proxy", HTTP_PROXY: "http.proxy" }, "http://example.com/", "http://http.proxy/"],
    [{ ALL_PROXY: "all.proxy", HTTP_PROXY: "http.proxy" }, "https://example.com/", "http://all.proxy/"],
    [{ ALL_PROXY: "all.proxy", HTTPS_PROXY: "https.proxy" }, "https://example.com/", "http://https.proxy/"],
    [{ ALL_PROXY: "all.proxy", HTTPS_PROXY: "https.proxy" }, "http://example.com/", "http://all.proxy/"],
    [{ ALL_PROXY: "all.proxy" }, "ftp://example.com/", "<nil>"],
    [{ ALL_PROXY: "all.proxy", NO_PROXY: "example.com" }, "https://www.example.com/", "<nil>"],
    // In CGI, ALL_PROXY still applies (only HTTP_PROXY comes from a request header) ...
    [{ ALL_PROXY: "all.proxy", REQUEST_METHOD: "GET" }, "http://example.com/", "http://all.proxy/"],
    // ... but a set HTTP_PROXY is refused for http requests rather than skipped.
    [{ ALL_PROXY: "all.proxy", HTTP_PROXY: "evil:1", REQUEST_METHOD: "GET" }, "http://example.com/", CGI_REFUSED]
  ]

  it.each(cases)("%j %s → %s", (env, url, want) => {
    expect(show(proxyFromEnvironment(env)!(new URL(url)))).toBe(want)
  })
})

describe("CGI (REQUEST_METHOD set)", () => {
  const env = { HTTP_PROXY: "http://evil.example:8080", HTTPS_PROXY: "https.proxy", REQUEST_METHOD: "POST" }

  it("HTTP_PROXY is refused for http requests, even to NO_PROXY hosts or loopback, as Go", () => {
    const f = proxyFromEnvironment({ ...env, NO_PROXY: "example.com" })!
    for (const url of ["http://example.com/", "http://other.example/", "http://127.0.0.1/"]) {
      const got = f(new URL(url))
      expect(got).toBeInstanceOf(InvalidProxy)
      expect(got).toMatchObject({ _tag: "InvalidProxy", variable: "HTTP_PROXY", value: "http://evil.example:8080" })
    }
  })

  it("HTTPS_PROXY still applies to https requests", () => {
    expect(show(proxyFromEnvironment(env)!(new URL("https://example.com/")))).toBe("http://https.proxy/")
  })

  it("without REQUEST_METHOD, HTTP_PROXY is used", () => {
    expect(show(proxyFromEnvironment({ ...env, REQUEST_METHOD: "" })!(new URL("http://example.com/")))).toBe(
      "http://evil.example:8080/"
    )
  })
})

describe("proxy values", () => {
  const valid: Array<[string, string]> = [
    ["socks5://127.0.0.1:1080", "socks5://127.0.0.1:1080"],
    ["socks5h://proxy.example:1080", "socks5h://proxy.example:1080"],
    ["SOCKS5://proxy.example", "socks5://proxy.example"],
    ["HTTP://Proxy.Example:3128", "http://proxy.example:3128/"],
    ["user:pa%20ss@proxy:3128", "http://user:pa%20ss@proxy:3128/"],
    ["http://user:secret@proxy:3128/path", "http://user:secret@proxy:3128/path"],
    ["[::1]:3128", "http://[::1]:3128/"],
    ["proxy:", "http://proxy/"]
  ]

  it.each(valid)("%j → %s", (value, want) => {
    const got = proxyFor({ httpProxy: value }, "http://example.com/")
    expect(got).toBeInstanceOf(URL)
    expect(show(got)).toBe(want)
  })

  // [value, the value as the error shows it, the detail]
  const invalid: Array<[string, string, string]> = [
    ["foo://host", "foo://host", "invalid proxy address: unsupported scheme \"foo\" (want http, https, socks5 or socks5h)"],
    ["ftp://user:secret@host/x@y", "ftp://user:xxxxx@host/x@y", "invalid proxy address: unsupported scheme \"ftp\" (want http, https, socks5 or socks5h)"],
    ["http://user:secret@proxy:99999", "http://user:xxxxx@proxy:99999", "invalid proxy address: unparseable"],
    ["proxy:port", "proxy:port", "invalid proxy address: unparseable"],
    ["http://", "http://", "invalid proxy address: unparseable"],
    ["socks5://", "socks5://", "invalid proxy address: no host"],
    ["socks5://:1080", "socks5://:1080", "invalid proxy address: unparseable"],
    ["http://pro xy", "http://pro xy", "invalid proxy address: invalid character at index 10"],
    ["proxy:3128\n", "proxy:3128\n", "invalid proxy address: invalid character at index 10"],
    [" proxy", " proxy", "invalid proxy address: invalid character at index 0"]
  ]

  it.each(invalid)("%j → InvalidProxy", (value, shown, detail) => {
    const got = proxyFor({ httpsProxy: value }, "https://example.com/")
    expect(got).toBeInstanceOf(InvalidProxy)
    expect(got).toMatchObject({ _tag: "InvalidProxy", variable: "HTTPS_PROXY", value: shown, detail })
    expect((got as InvalidProxy).message).toBe(`${detail} (HTTPS_PROXY=${JSON.stringify(shown)})`)
  })

  it("an invalid value is reported only for requests it would apply to", () => {
    const f = proxyFunc({ httpProxy: "foo://bar", httpsProxy: "https.proxy", noProxy: "internal" })!
    expect(f(new URL("http://example.com/"))).toMatchObject({ _tag: "InvalidProxy", variable: "HTTP_PROXY" })
    expect(f(new URL("http://internal/"))).toBeUndefined()
    expect(f(new URL("http://localhost/"))).toBeUndefined()
    expect(show(f(new URL("https://example.com/")))).toBe("http://https.proxy/")
  })

  it("an invalid ALL_PROXY is named as ALL_PROXY", () => {
    expect(proxyFor({ allProxy: "gopher://x" }, "http://example.com/")).toMatchObject({ variable: "ALL_PROXY" })
  })
})

describe("loopback is never proxied, even without NO_PROXY", () => {
  const hosts = ["127.0.0.1", "127.5.5.5", "[::1]", "localhost", "LOCALHOST", "[::ffff:127.0.0.1]", "0x7f.1", "[0:0:0:0:0:0:0:1]"]
  const f = proxyFunc({ httpProxy: "proxy", httpsProxy: "proxy" })!

  it.each(hosts)("%s", (host) => {
    for (const url of [`http://${host}/`, `https://${host}/`, `http://${host}:8080/x`]) expect(f(new URL(url))).toBeUndefined()
  })

  // Go's rule is exactly "localhost" and loopback IPs: other names are proxied.
  it.each(["foo.localhost", "localhost.", "127.0.0.1.nip.io", "[::2]", "128.0.0.1"])("%s is proxied (as Go)", (host) => {
    expect(f(new URL(`http://${host}/`))).toBeInstanceOf(URL)
  })
})

describe("proxyFunc returns undefined when no proxy is set", () => {
  const cases: Array<[string, ProxyEnvironmentConfig]> = [
    ["empty config", {}],
    ["empty strings", { httpProxy: "", httpsProxy: "", allProxy: "" }],
    ["only NO_PROXY and CGI", { noProxy: "example.com", cgi: true }]
  ]
  it.each(cases)("%s", (_, config) => {
    expect(proxyFunc(config)).toBeUndefined()
  })

  it("from an environment without proxy variables", () => {
    expect(proxyFromEnvironment({ PATH: "/bin", HTTP_PROXY: "", no_proxy: "x" })).toBeUndefined()
  })
})

describe("the per-origin cache", () => {
  it("returns the same answer on repeated calls and for every path of an origin", () => {
    const f = proxyFunc({ httpProxy: "http://proxy:3128", noProxy: "direct.example" })!
    const a = f(new URL("http://example.com/a"))
    expect(a).toBeInstanceOf(URL)
    expect(f(new URL("http://example.com/a"))).toBe(a)
    expect(f(new URL("http://example.com:80/b?q=1"))).toBe(a)
    expect(f(new URL("http://direct.example/"))).toBeUndefined()
    expect(f(new URL("http://direct.example/again"))).toBeUndefined()
  })

  it("keys on scheme and port too", () => {
    const f = proxyFunc({ httpProxy: "proxy", httpsProxy: "proxy", noProxy: "example.com:443" })!
    expect(f(new URL("https://example.com/"))).toBeUndefined()
    expect(f(new URL("http://example.com/"))).toBeInstanceOf(URL)
    expect(f(new URL("http://example.com:443/"))).toBeUndefined()
    expect(f(new URL("https://example.com:8443/"))).toBeInstanceOf(URL)
  })

  it("stays correct past its bound (1024 origins)", () => {
    const f = proxyFunc({ httpProxy: "proxy", noProxy: ".direct" })!
    for (let i = 0; i < 3000; i++) {
      const proxied = i % 3 !== 0
      const host = proxied ? `h${i}.example` : `h${i}.direct`
      expect(f(new URL(`http://${host}/`)) !== undefined).toBe(proxied)
    }
    expect(f(new URL("http://h1.example/"))).toBeInstanceOf(URL)
    expect(f(new URL("http://h3.direct/"))).toBeUndefined()
  })
})
