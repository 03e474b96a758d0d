/**
 * The CLI's argument parser: commands, options in both spellings, and the usage errors.
 */
import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { type Command, parseArgs, parseDuration, parseHeader, parsePort, parseUrl } from "../../src/cli/args.js"
import { describe as describeError, exitCodeOf } from "../../src/cli/errors.js"

const ok = (argv: ReadonlyArray<string>): Command => {
  const parsed = parseArgs(argv)
  if (Either.isLeft(parsed)) throw new Error(`unexpected usage error: ${parsed.left.detail}`)
  return parsed.right
}

const usage = (argv: ReadonlyArray<string>): string => {
  const parsed = parseArgs(argv)
  if (Either.isRight(parsed)) throw new Error(`expected a usage error, got ${parsed.right._tag}`)
  expect(exitCodeOf(parsed.left)).toBe(2)
  return parsed.left.detail
}

describe("parseArgs", () => {
  it("no arguments: the usage, not asked for", () => {
    expect(ok([])).toEqual({ _tag: "Help", explicit: false })
  })

  it("--help, -h and help anywhere: the usage", () => {
    for (const argv of [["--help"], ["-h"], ["help"], ["get", "--help"], ["get", "http://x/", "-h"], ["serve", "-h"]]) {
      expect(ok(argv)).toEqual({ _tag: "Help", explicit: true })
    }
  })

  it("get with every option, in both spellings", () => {
    const a = ok(["get", "http://example.com/a?b=1", "-o", "out.bin", "--trace", "-H", "Accept: text/plain", "-H", "X-A:  b c ", "--timeout", "30s"])
    const b = ok(["get", "--output=out.bin", "--header=Accept: text/plain", "--header", "X-A:b c", "--timeout=30s", "--trace", "http://example.com/a?b=1"])
    for (const c of [a, b]) {
      expect(c._tag).toBe("Get")
      if (c._tag !== "Get") return
      expect(c.url.href).toBe("http://example.com/a?b=1")
      expect(c.output).toBe("out.bin")
      expect(c.trace).toBe(true)
      expect(c.headers).toEqual([["Accept", "text/plain"], ["X-A", "b c"]])
      expect(c.timeoutMs).toBe(30_000)
    }
  })

  it("get defaults: stdout, no trace, no fields, no timeout", () => {
    expect(ok(["get", "https://example.com"])).toMatchObject({ _tag: "Get", output: undefined, trace: false, headers: [], timeoutMs: undefined })
  })

  it("-- ends the options", () => {
    const c = ok(["get", "--", "http://example.com/-o"])
    expect(c._tag === "Get" && c.url.pathname).toBe("/-o")
  })

  it("serve: defaults, --port, -p, --host", () => {
    expect(ok(["serve", "."])).toEqual({ _tag: "Serve", dir: ".", host: "127.0.0.1", port: 8080 })
    expect(ok(["serve", "public", "--port", "0", "--host", "0.0.0.0"])).toEqual({ _tag: "Serve", dir: "public", host: "0.0.0.0", port: 0 })
    expect(ok(["serve", "-p", "9000", "public"])).toEqual({ _tag: "Serve", dir: "public", host: "127.0.0.1", port: 9000 })
    expect(ok(["serve", "--port=65535", "public"])).toMatchObject({ port: 65535 })
  })

  it("usage errors say what is wrong", () => {
    expect(usage(["fetch", "http://x/"])).toContain(`unknown command "fetch"`)
    expect(usage(["--verbose"])).toContain("unknown option --verbose")
    expect(usage(["get"])).toBe("get: missing URL")
    expect(usage(["get", "http://x/", "http://y/"])).toContain(`unexpected argument "http://y/"`)
    expect(usage(["get", "http://x/", "--bogus"])).toBe("get: unknown option --bogus")
    expect(usage(["get", "http://x/", "-o"])).toBe("-o needs a value")
    expect(usage(["get", "http://x/", "--timeout", "soon"])).toContain("invalid --timeout")
    expect(usage(["get", "http://x/", "-H", "no colon"])).toContain(`expected "Name: value"`)
    expect(usage(["get", "http://x/", "--trace=yes"])).toBe("--trace takes no value")
    expect(usage(["get", "ftp://x/"])).toContain(`unsupported scheme "ftp"`)
    expect(usage(["serve"])).toBe("serve: missing DIR")
    expect(usage(["serve", ".", "--port", "70000"])).toContain("invalid port")
    expect(usage(["serve", ".", "--port", "-1"])).toContain("invalid port")
    expect(usage(["serve", ".", "--port"])).toBe("--port needs a value")
    expect(usage(["serve", ".", "--trace"])).toBe("serve: unknown option --trace")
  })

  it("a usage error is printed as one line pointing at --help", () => {
    const parsed = parseArgs(["get"])
    expect(Either.isLeft(parsed) && describeError(parsed.left)).toBe("effect-nethttp: get: missing URL (see effect-nethttp --help)")
  })
})

describe("parseDuration", () => {
  it("Go's forms and bare seconds", () => {
    expect(parseDuration("500ms")).toBe(500)
    expect(parseDuration("30s")).toBe(30_000)
    expect(parseDuration("2m")).toBe(120_000)
    expect(parseDuration("1h30m")).toBe(5_400_000)
    expect(parseDuration("1.5s")).toBe(1500)
    expect(parseDuration("10")).toBe(10_000)
    expect(parseDuration("0")).toBe(0)
  })

  it("refuses anything else", () => {
    for (const s of ["", "s", "10x", "-1s", "1s2", "1 s", "ms10"]) expect(parseDuration(s), s).toBeUndefined()
  })
})

describe("parseHeader", () => {
  it("splits at the first colon and trims the value", () => {
    expect(parseHeader("Authorization: Bearer a:b")).toEqual(Either.right(["Authorization", "Bearer a:b"]))
    expect(parseHeader("X-Empty:")).toEqual(Either.right(["X-Empty", ""]))
  })

  it("refuses bad names and control characters", () => {
    expect(Either.isLeft(parseHeader(": v"))).toBe(true)
    expect(Either.isLeft(parseHeader("Bad Name: v"))).toBe(true)
    expect(Either.isLeft(parseHeader("X-A: a\r\nX-B: b"))).toBe(true)
  })
})

describe("parseUrl and parsePort", () => {
  it("assumes http:// without a scheme", () => {
    expect(Either.map(parseUrl("localhost:8080/x"), (u) => u.href)).toEqual(Either.right("http://localhost:8080/x"))
    expect(Either.map(parseUrl("https://example.com"), (u) => u.href)).toEqual(Either.right("https://example.com/"))
    expect(Either.isLeft(parseUrl("http://"))).toBe(true)
  })

  it("ports are 0 to 65535", () => {
    expect(parsePort("0")).toEqual(Either.right(0))
    expect(Either.isLeft(parsePort("65536"))).toBe(true)
    expect(Either.isLeft(parsePort("8o"))).toBe(true)
  })
})
