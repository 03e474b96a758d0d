/**
 * Settings are checked when a Layer is built (issue 19, item 4): every numeric setting of the
 * Transport, the Server and the Client, with a table of values that make no sense (each fails
 * with `InvalidConfig` naming its field) and the edge values that do (0, and a negative where
 * Go gives it a meaning), with what they resolve to.
 */
import { describe, expect, it } from "vitest"
import { Duration, Effect, Either, Exit } from "effect"
import { InvalidConfig } from "../../src/domain/configErrors.js"
import { DEFAULT_MAX_REQUEST_HEADER_BYTES, DEFAULT_MAX_RESPONSE_HEADER_BYTES } from "../../src/domain/http1/Parser.js"
import { validateClientConfig } from "../../src/transport/clientConfig.js"
import { dialTimeoutMs, resolve, type TransportConfig, validateTransportConfig } from "../../src/transport/config.js"
import type { Handler } from "../../src/server/Handler.js"
import { resolve as resolveServer, type ServerOptions, validateServerOptions } from "../../src/server/config.js"

/** The InvalidConfig of a Left, or a test failure. */
const leftOf = <A>(result: Either.Either<A, InvalidConfig>): InvalidConfig => {
  if (Either.isRight(result)) throw new Error(`expected InvalidConfig, got ${JSON.stringify(result.right)}`)
  expect(result.left).toBeInstanceOf(InvalidConfig)
  return result.left
}

const rightOf = <A>(result: Either.Either<A, InvalidConfig>): A => {
  if (Either.isLeft(result)) throw new Error(`expected a valid config, got ${result.left.message}`)
  return result.right
}

/** Values that are never a count (nor a byte size). */
const notACount: ReadonlyArray<number> = [-1, -100, 1.5, 0.1, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]
/** Values that are never a duration; a negative one is added where Go gives it no meaning. */
const notADuration: ReadonlyArray<Duration.DurationInput> = [
  Number.NaN,
  "ten seconds" as Duration.DurationInput,
  "10 parsecs" as Duration.DurationInput,
  "" as Duration.DurationInput,
  [Number.NaN, 0],
  [0, Number.NEGATIVE_INFINITY]
]
const negativeDurations: ReadonlyArray<Duration.DurationInput> = [-1, Number.NEGATIVE_INFINITY, -1n, "-1 seconds", "-0.5 millis", [-1, 0]]

const show = (v: unknown) => (typeof v === "bigint" ? `${v}n` : Array.isArray(v) ? `[${v.join(", ")}]` : JSON.stringify(v) ?? String(v))
const cases = <A>(values: ReadonlyArray<A>) => values.map((v) => [show(v), v] as const)

describe("Transport settings", () => {
  const counts = ["maxIdleConns", "maxConnsPerHost", "maxResponseHeaderBytes", "max1xxResponses"] as const
  const durations = ["idleConnTimeout", "responseHeaderTimeout", "expectContinueTimeout", "dialTimeout", "tlsHandshakeTimeout"] as const
  const base: TransportConfig = { proxy: "none" }

  for (const field of counts) {
    it.each(cases(notACount))(`${field} = %s fails naming the field`, (_, value) => {
      const e = leftOf(validateTransportConfig({ ...base, [field]: value }))
      expect(e).toMatchObject({ _tag: "InvalidConfig", component: "Transport", field })
      expect(Object.is(e.value, value)).toBe(true)
      expect(e.message).toContain(`Transport setting ${field}`)
    })
  }

  it.each(cases([1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]))(
    "maxIdleConnsPerHost = %s fails naming the field",
    (_, value) => {
      expect(leftOf(validateTransportConfig({ ...base, maxIdleConnsPerHost: value }))).toMatchObject({ component: "Transport", field: "maxIdleConnsPerHost" })
    }
  )

  for (const field of durations) {
    it.each(cases([...notADuration, ...negativeDurations]))(`${field} = %s fails naming the field`, (_, value) => {
      const e = leftOf(validateTransportConfig({ ...base, [field]: value }))
      expect(e).toMatchObject({ _tag: "InvalidConfig", component: "Transport", field })
      expect(e.message).toContain(field)
    })
  }

  it("reports the first bad field in declaration order", () => {
    expect(leftOf(validateTransportConfig({ ...base, maxIdleConns: -1, dialTimeout: "bad" as Duration.DurationInput })).field).toBe("maxIdleConns")
  })

  it.each([
    ["maxIdleConns = 0: no limit", { maxIdleConns: 0 }, { maxIdleConns: 0 }],
    ["maxIdleConnsPerHost = 0: keeps none", { maxIdleConnsPerHost: 0 }, { maxIdleConnsPerHost: 0 }],
    ["maxIdleConnsPerHost = -1: keeps none (Go's meaning)", { maxIdleConnsPerHost: -1 }, { maxIdleConnsPerHost: 0 }],
    ["maxIdleConnsPerHost = -1000: keeps none", { maxIdleConnsPerHost: -1000 }, { maxIdleConnsPerHost: 0 }],
    ["maxIdleConnsPerHost unset: 100", {}, { maxIdleConnsPerHost: 100 }],
    ["maxConnsPerHost = 0: no limit", { maxConnsPerHost: 0 }, { maxConnsPerHost: 0 }],
    ["maxResponseHeaderBytes = 0: the default (Go's meaning)", { maxResponseHeaderBytes: 0 }, { maxResponseHeaderBytes: DEFAULT_MAX_RESPONSE_HEADER_BYTES }],
    ["maxResponseHeaderBytes = 1", { maxResponseHeaderBytes: 1 }, { maxResponseHeaderBytes: 1 }],
    ["max1xxResponses = 0: none allowed", { max1xxResponses: 0 }, { max1xxResponses: 0 }],
    ["idleConnTimeout = 0: forever", { idleConnTimeout: 0 }, { idleConnTimeoutMs: 0 }],
    ["idleConnTimeout = Duration.infinity: forever", { idleConnTimeout: Duration.infinity }, { idleConnTimeoutMs: Number.POSITIVE_INFINITY }],
    ["responseHeaderTimeout = \"0 seconds\": no limit", { responseHeaderTimeout: "0 seconds" }, { responseHeaderTimeoutMs: 0 }],
    ["expectContinueTimeout = 0: body at once", { expectContinueTimeout: 0 }, { expectContinueTimeoutMs: 0 }],
    ["dialTimeout = 0: no limit", { dialTimeout: 0 }, { dialTimeoutMs: 0 }],
    ["dialTimeout = \"1.5 seconds\"", { dialTimeout: "1.5 seconds" }, { dialTimeoutMs: 1500 }],
    ["tlsHandshakeTimeout = [2, 0]", { tlsHandshakeTimeout: [2, 0] }, { tlsHandshakeTimeoutMs: 2000 }],
    ["tlsHandshakeTimeout = 2.5 (ms)", { tlsHandshakeTimeout: 2.5 }, { tlsHandshakeTimeoutMs: 2.5 }],
    ["tlsHandshakeTimeout = 0n", { tlsHandshakeTimeout: 0n }, { tlsHandshakeTimeoutMs: 0 }]
  ] as ReadonlyArray<readonly [string, TransportConfig, object]>)("%s", (_, config, expected) => {
    expect(rightOf(validateTransportConfig({ ...base, ...config }))).toMatchObject(expected)
  })

  it("a valid config resolves as resolve does; the defaults are unchanged", () => {
    const config: TransportConfig = { ...base, maxIdleConns: 7, maxConnsPerHost: 3, idleConnTimeout: "5 seconds", max1xxResponses: 2 }
    const { proxy: _p, ...validated } = rightOf(validateTransportConfig(config))
    const { proxy: _q, ...resolved } = resolve(config)
    expect(validated).toEqual(resolved)
    expect(rightOf(validateTransportConfig(base))).toMatchObject({
      maxIdleConns: 100,
      maxIdleConnsPerHost: 100,
      maxConnsPerHost: 0,
      idleConnTimeoutMs: 90_000,
      responseHeaderTimeoutMs: 300_000,
      bodyTimeoutMs: 300_000,
      expectContinueTimeoutMs: 1_000,
      maxResponseHeaderBytes: DEFAULT_MAX_RESPONSE_HEADER_BYTES,
      dialTimeoutMs: 30_000,
      max1xxResponses: Number.POSITIVE_INFINITY,
      tlsHandshakeTimeoutMs: 10_000
    })
  })

  it("dialTimeoutMs never throws (the Layer's validation reports the bad value)", () => {
    expect(dialTimeoutMs({ dialTimeout: "bad" as Duration.DurationInput })).toBe(30_000)
    expect(() => dialTimeoutMs({ dialTimeout: Number.NaN })).not.toThrow()
  })

  it("the result is an Effect: a Layer can yield it and fail with InvalidConfig", () => {
    const exit = Effect.runSyncExit(Effect.gen(function*() {
      return yield* validateTransportConfig({ ...base, maxConnsPerHost: -1 })
    }))
    expect(Exit.isFailure(exit)).toBe(true)
    if (Exit.isFailure(exit)) expect(exit.cause).toMatchObject({ _tag: "Fail", error: { _tag: "InvalidConfig", field: "maxConnsPerHost" } })
  })
})

describe("Server options", () => {
  const handler = (() => Effect.die("unused")) as unknown as Handler<never, never>
  const base: ServerOptions<never, never> = { host: "127.0.0.1", port: 0, handler }
  const requestTimeouts = ["readHeaderTimeout", "readTimeout", "readTotalTimeout", "writeTimeout", "writeTotalTimeout", "idleTimeout"] as const

  it.each(cases([-1, 1.5, Number.NaN, 65536, 70000, Number.POSITIVE_INFINITY]))("port = %s fails naming the field", (_, port) => {
    expect(leftOf(validateServerOptions({ ...base, port }))).toMatchObject({ component: "Server", field: "port" })
  })

  it.each(cases([-1, 1.5, Number.NaN, 65536, Number.POSITIVE_INFINITY]))("backlog = %s fails naming the field", (_, backlog) => {
    expect(leftOf(validateServerOptions({ ...base, backlog }))).toMatchObject({ component: "Server", field: "backlog" })
  })

  it.each(cases(notACount))("maxHeaderBytes = %s fails naming the field", (_, maxHeaderBytes) => {
    expect(leftOf(validateServerOptions({ ...base, maxHeaderBytes }))).toMatchObject({ component: "Server", field: "maxHeaderBytes" })
  })

  it.each(cases([-1, 1.5, Number.NaN, Number.NEGATIVE_INFINITY]))("maxBodyBytes = %s fails naming the field", (_, maxBodyBytes) => {
    expect(leftOf(validateServerOptions({ ...base, maxBodyBytes }))).toMatchObject({ component: "Server", field: "maxBodyBytes" })
  })

  for (const field of requestTimeouts) {
    it.each(cases(notADuration))(`${field} = %s fails naming the field`, (_, value) => {
      const e = leftOf(validateServerOptions({ ...base, [field]: value }))
      expect(e).toMatchObject({ _tag: "InvalidConfig", component: "Server", field })
      expect(e.message).toContain(`Server setting ${field}`)
    })
  }

  it.each(cases([...notADuration, ...negativeDurations]))("shutdownTimeout = %s fails naming the field", (_, shutdownTimeout) => {
    expect(leftOf(validateServerOptions({ ...base, shutdownTimeout }))).toMatchObject({ component: "Server", field: "shutdownTimeout" })
  })

  it.each(cases([...notADuration, ...negativeDurations]))("shutdownDelay = %s fails naming the field", (_, shutdownDelay) => {
    expect(leftOf(validateServerOptions({ ...base, shutdownDelay }))).toMatchObject({ component: "Server", field: "shutdownDelay" })
  })

  for (const field of requestTimeouts.filter((f) => f !== "idleTimeout")) {
    it.each(cases(negativeDurations))(`${field} = %s: no timeout (Go's meaning of a negative one)`, (_, value) => {
      expect(rightOf(validateServerOptions({ ...base, [field]: value }))).toMatchObject({ [`${field}Ms`]: 0 })
    })
  }

  it.each(cases(negativeDurations))("idleTimeout = %s: no idle timeout (Go's meaning)", (_, idleTimeout) => {
    expect(rightOf(validateServerOptions({ ...base, idleTimeout })).idleTimeoutMs).toBe(Number.POSITIVE_INFINITY)
  })

  it.each([
    ["port = 0: a free port", { port: 0 }, {}],
    ["port = 65535", { port: 65535 }, {}],
    ["backlog = 0", { backlog: 0 }, {}],
    ["backlog = 65535", { backlog: 65535 }, {}],
    ["maxHeaderBytes = 0: the default (Go's meaning)", { maxHeaderBytes: 0 }, { maxHeaderBytes: DEFAULT_MAX_REQUEST_HEADER_BYTES }],
    ["maxHeaderBytes = 1", { maxHeaderBytes: 1 }, { maxHeaderBytes: 1 }],
    ["maxBodyBytes = 0: no limit", { maxBodyBytes: 0 }, { maxBodyBytes: Number.POSITIVE_INFINITY }],
    ["maxBodyBytes = Infinity: no limit", { maxBodyBytes: Number.POSITIVE_INFINITY }, { maxBodyBytes: Number.POSITIVE_INFINITY }],
    ["maxBodyBytes = 10", { maxBodyBytes: 10 }, { maxBodyBytes: 10 }],
    ["readHeaderTimeout = 0: none", { readHeaderTimeout: 0 }, { readHeaderTimeoutMs: 0 }],
    ["readTimeout = \"0 seconds\": none", { readTimeout: "0 seconds" }, { readTimeoutMs: 0 }],
    ["writeTimeout = Duration.infinity: none", { writeTimeout: Duration.infinity }, { writeTimeoutMs: Number.POSITIVE_INFINITY }],
    ["idleTimeout = 0: readHeaderTimeout applies", { idleTimeout: 0 }, { idleTimeoutMs: 0 }],
    ["shutdownTimeout = 0: interrupt at once", { shutdownTimeout: 0 }, { shutdownTimeoutMs: 0 }],
    ["shutdownTimeout = \"2 seconds\"", { shutdownTimeout: "2 seconds" }, { shutdownTimeoutMs: 2000 }],
    ["shutdownDelay = \"5 seconds\"", { shutdownDelay: "5 seconds" }, { shutdownDelayMs: 5000 }]
  ] as ReadonlyArray<readonly [string, Partial<ServerOptions<never, never>>, object]>)("%s", (_, options, expected) => {
    expect(rightOf(validateServerOptions({ ...base, ...options }))).toMatchObject(expected)
  })

  it("valid options resolve as resolve does; the defaults are unchanged", () => {
    const options = { ...base, readTimeout: "5 seconds", maxBodyBytes: 1024, backlog: 128 } as const
    expect(rightOf(validateServerOptions(options))).toEqual(resolveServer(options))
    expect(rightOf(validateServerOptions(base))).toMatchObject({
      readHeaderTimeoutMs: 10_000,
      readTimeoutMs: 60_000,
      readTotalTimeoutMs: 0,
      writeTimeoutMs: 60_000,
      writeTotalTimeoutMs: 0,
      idleTimeoutMs: 120_000,
      shutdownTimeoutMs: 10_000,
      shutdownDelayMs: 0,
      maxHeaderBytes: DEFAULT_MAX_REQUEST_HEADER_BYTES,
      maxBodyBytes: Number.POSITIVE_INFINITY
    })
  })
})

describe("Client settings", () => {
  it.each(cases([...notADuration, ...negativeDurations]))("timeout = %s fails naming the field", (_, timeout) => {
    const e = leftOf(validateClientConfig({ timeout }))
    expect(e).toMatchObject({ _tag: "InvalidConfig", component: "Client", field: "timeout" })
    expect(e.message).toContain("Client setting timeout")
  })

  it.each([
    ["unset: no limit", {}, 0],
    ["0: no limit", { timeout: 0 }, 0],
    ["\"0 seconds\": no limit", { timeout: "0 seconds" }, 0],
    ["Duration.infinity: no limit", { timeout: Duration.infinity }, Number.POSITIVE_INFINITY],
    ["\"10 seconds\"", { timeout: "10 seconds" }, 10_000],
    ["Duration.millis(250)", { timeout: Duration.millis(250) }, 250]
  ] as const)("timeout %s", (_, config, ms) => {
    expect(rightOf(validateClientConfig(config)).timeoutMs).toBe(ms)
  })
  it("no config at all is valid", () => {
    expect(rightOf(validateClientConfig()).timeoutMs).toBe(0)
  })
})

describe("InvalidConfig", () => {
  it("says which component, field and value, and why", () => {
    const e = new InvalidConfig({ component: "Transport", field: "maxIdleConns", value: -1, reason: "expected a whole number >= 0, got a negative number" })
    expect(e.message).toBe("invalid Transport setting maxIdleConns = -1: expected a whole number >= 0, got a negative number")
    expect(e._tag).toBe("InvalidConfig")
  })
  it("shows strings quoted and durations formatted", () => {
    expect(leftOf(validateClientConfig({ timeout: "soon" as Duration.DurationInput })).message).toContain("timeout = \"soon\": not a duration")
  })
})
