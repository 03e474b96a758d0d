/**
 * The progress bar's text (pure), the status line's redraws, and the meter's pace on the
 * TestClock; the trace and access log lines.
 */
import { it as effectIt } from "@effect/vitest"
import { Duration, Effect, TestClock } from "effect"
import { describe, expect, it } from "vitest"
import { formatAccessLog } from "../../src/cli/accessLog.js"
import { describe as describeError, ExitCode, exitCodeOf, Interrupted, StatusError } from "../../src/cli/errors.js"
import { showsProgress } from "../../src/cli/get.js"
import {
  formatBytes,
  formatElapsed,
  formatRate,
  percentOf,
  renderBar,
  renderProgress,
  renderSummary
} from "../../src/cli/progress.js"
import { makeProgressMeter } from "../../src/cli/progressMeter.js"
import { makeStatusLine } from "../../src/cli/statusLine.js"
import { formatGotConn, formatTraceLine } from "../../src/cli/trace.js"
import { TransportError } from "../../src/transport/errors.js"

describe("progress text", () => {
  it("bytes in binary units, three significant digits", () => {
    expect(formatBytes(0)).toBe("0 B")
    expect(formatBytes(1023)).toBe("1023 B")
    expect(formatBytes(1024)).toBe("1.00 KiB")
    expect(formatBytes(1536)).toBe("1.50 KiB")
    expect(formatBytes(300_000)).toBe("293 KiB")
    expect(formatBytes(12.3 * 1024 * 1024)).toBe("12.3 MiB")
    expect(formatBytes(1024 ** 3)).toBe("1.00 GiB")
    expect(formatRate(2 * 1024 * 1024)).toBe("2.00 MiB/s")
  })

  it("elapsed times", () => {
    expect(formatElapsed(42.4)).toBe("42 ms")
    expect(formatElapsed(1250)).toBe("1.25 s")
    expect(formatElapsed(125_000)).toBe("2m05s")
  })

  it("percentages are whole, clamped, and 100 for an empty body", () => {
    expect(percentOf(0, 10)).toBe(0)
    expect(percentOf(999, 1000)).toBe(99)
    expect(percentOf(20, 10)).toBe(100)
    expect(percentOf(0, 0)).toBe(100)
  })

  it("the bar keeps its width", () => {
    for (const p of [0, 1, 50, 99, 100]) expect(renderBar(p, 10)).toHaveLength(12)
    expect(renderBar(0, 10)).toBe("[          ]")
    expect(renderBar(50, 10)).toBe("[=====>    ]")
    expect(renderBar(100, 10)).toBe("[==========]")
  })

  it("a known size: bar, percentage, bytes of total, rate", () => {
    expect(renderProgress({ received: 1024 * 1024, total: 4 * 1024 * 1024, elapsedMs: 500, frame: 0 }))
      .toBe("[======>                 ]  25%  1.00 MiB / 4.00 MiB  2.00 MiB/s")
  })

  it("an unknown size: a turning spinner, bytes, rate", () => {
    const at = (frame: number) => renderProgress({ received: 2048, total: undefined, elapsedMs: 1000, frame })
    expect(at(0)).toBe("| 2.00 KiB  2.00 KiB/s")
    expect([at(1), at(2), at(3), at(4)].map((s) => s[0])).toEqual(["/", "-", "\\", "|"])
  })

  it("no time yet: a rate of 0", () => {
    expect(renderProgress({ received: 10, total: undefined, elapsedMs: 0, frame: 0 })).toBe("| 10 B  0 B/s")
  })

  it("the summary line", () => {
    expect(renderSummary(300_000, 120, "out.bin")).toBe("downloaded 300000 bytes (293 KiB) in 120 ms, 2.38 MiB/s to out.bin")
    expect(renderSummary(10, 2000, "stdout", false)).toBe("incomplete: 10 bytes (10 B) in 2.00 s, 5 B/s to stdout")
  })

  it("when a bar is shown", () => {
    expect(showsProgress({ output: "f" }, { outIsTTY: false, errIsTTY: false })).toBe(true)
    expect(showsProgress({ output: undefined }, { outIsTTY: false, errIsTTY: true })).toBe(true)
    expect(showsProgress({ output: undefined }, { outIsTTY: true, errIsTTY: true })).toBe(false)
    expect(showsProgress({ output: undefined }, { outIsTTY: false, errIsTTY: false })).toBe(false)
  })
})

describe("status line", () => {
  it("on a terminal: redraws with CR and clears with ESC [ K", () => {
    let out = ""
    const s = makeStatusLine((t) => (out += t), true)
    s.show("50%")
    s.show("100%")
    s.print("done")
    expect(out).toBe("\r50%\x1b[K\r100%\x1b[K\r\x1b[Kdone\n")
  })

  it("elsewhere: pads over a longer previous line with spaces", () => {
    let out = ""
    const s = makeStatusLine((t) => (out += t), false)
    s.show("abcdef")
    s.show("xy")
    s.print("line")
    s.print("next")
    expect(out).toBe("\rabcdef\rxy    \r  \rline\nnext\n")
  })
})

describe("progress meter", () => {
  effectIt.scoped("redraws at most once per 100 ms and ends with the summary", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      const status = { show: (t: string) => lines.push(`show ${t}`), print: (t: string) => lines.push(`print ${t}`), clear: () => {} }
      const meter = yield* makeProgressMeter({ total: 1000, destination: "out.bin", status, tty: false })
      for (let i = 0; i < 10; i++) {
        meter.add(50)
        yield* TestClock.adjust(Duration.millis(25))
      }
      // 250 ms: two redraws, at 100 and 200 ms, whatever the number of chunks.
      expect(lines).toEqual([
        "show [=====>                  ]  20%  200 B / 1000 B  1.95 KiB/s",
        "show [==========>             ]  40%  400 B / 1000 B  1.95 KiB/s"
      ])
      yield* TestClock.adjust(Duration.millis(500))
      // The last bytes drawn at 300 ms, then nothing new (not a terminal): no redraw.
      expect(lines).toHaveLength(3)
      expect(lines[2]).toBe("show [============>           ]  50%  500 B / 1000 B  1.63 KiB/s")
      yield* meter.finish(true)
      yield* TestClock.adjust(Duration.millis(500))
      expect(lines).toHaveLength(4)
      expect(lines[3]).toBe("print downloaded 500 bytes (500 B) in 750 ms, 667 B/s to out.bin")
    }))
})

describe("trace and log lines", () => {
  it("a trace line: elapsed ms right-aligned, then the event", () => {
    expect(formatTraceLine(3.14159, "gotFirstResponseByte")).toBe("*      3.1 ms  gotFirstResponseByte")
    expect(formatGotConn({ reused: true, wasIdle: true, idleTimeMs: 12, connId: 3, protocol: "http/1.1" })).toBe("gotConn reused=true wasIdle=true idle=12ms conn=3")
  })

  it("an access log line", () => {
    const entry = {
      time: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)),
      remoteAddress: "127.0.0.1",
      method: "GET",
      target: "/a.txt",
      proto: "HTTP/1.1",
      status: 200,
      bytes: 7,
      durationMs: 1.25
    }
    expect(formatAccessLog(entry)).toBe(`2026-01-02T03:04:05.006Z 127.0.0.1 "GET /a.txt HTTP/1.1" 200 7 1.3ms`)
    expect(formatAccessLog({ ...entry, target: `/"x"`, remoteAddress: undefined })).toBe(`2026-01-02T03:04:05.006Z - "GET /\\"x\\" HTTP/1.1" 200 7 1.3ms`)
  })

  it("failures: one line each, with their exit codes", () => {
    const refused = new TransportError({ phase: "dial", reason: "refused", reused: false, method: "GET", url: "http://127.0.0.1:1/", detail: "dial 127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1" })
    expect(describeError(refused)).toBe("effect-nethttp: GET http://127.0.0.1:1/: dial: dial 127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1 (refused)")
    expect(exitCodeOf(refused)).toBe(ExitCode.failure)
    const status = new StatusError({ method: "GET", url: "http://x/", statusLine: "HTTP/1.1 404 Not Found", status: 404 })
    expect(describeError(status)).toBe("effect-nethttp: GET http://x/: HTTP/1.1 404 Not Found")
    expect(exitCodeOf(new Interrupted({ signal: "SIGINT" }))).toBe(130)
  })
})
