/**
 * `Parser.releaseIdle` (issue 17): between messages with nothing buffered it drops what only
 * parsing needs; parsing goes on the same afterwards, and it does nothing mid-message.
 */
import { describe, expect, it } from "vitest"
import { Event, Parser } from "../../../src/domain/http1/Parser.js"
import type { RequestHead } from "../../../src/domain/http1/MessageHead.js"

const GET = "GET /a HTTP/1.1\r\nHost: x\r\nUser-Agent: t\r\n\r\n"
const POST = "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"

/** Feeds `input` and collects the events (and heads' targets, bodies) until NeedMore. */
const drain = (p: Parser<RequestHead>, input?: string): Array<string> => {
  if (input !== undefined) p.feed(Buffer.from(input, "latin1"))
  const out: Array<string> = []
  for (;;) {
    const ev = p.next()
    if (ev === Event.NeedMore) return out
    if (ev === Event.Head) out.push(`head ${p.head.method} ${p.head.target} ${p.head.headers.get("Host")}`)
    else if (ev === Event.Body) out.push(`body ${p.chunk.toString("latin1")}`)
    else if (ev === Event.End) out.push("end")
    else return [...out, `event ${ev}`]
  }
}

describe("Parser.releaseIdle", () => {
  it("between messages: the next messages parse as without it, split or whole", () => {
    const p = Parser.request()
    expect(drain(p, GET)).toEqual(["head GET /a x", "end"])
    p.releaseIdle()
    expect(p.head).toBeUndefined()
    expect(p.buffered).toBe(0)
    // The third head uses the field memo (from the second head on); split across feeds.
    expect(drain(p, GET)).toEqual(["head GET /a x", "end"])
    p.releaseIdle()
    expect(drain(p, POST.slice(0, 20))).toEqual([])
    p.releaseIdle() // mid-head: does nothing
    const headEnd = POST.indexOf("\r\n\r\n") + 4
    expect(drain(p, POST.slice(20, headEnd + 2))).toEqual(["head POST /b x", "body he"])
    p.releaseIdle() // mid-body: does nothing
    expect(drain(p, POST.slice(headEnd + 2))).toEqual(["body llo", "end"])
    p.releaseIdle()
    expect(drain(p, GET + GET)).toEqual(["head GET /a x", "end", "head GET /a x", "end"])
  })

  it("keeps buffered input (a pipelined request not parsed yet)", () => {
    const p = Parser.request()
    p.feed(Buffer.from(GET + "GET /c HT", "latin1"))
    expect(p.next()).toBe(Event.Head)
    expect(p.next()).toBe(Event.End)
    p.releaseIdle()
    expect(p.buffered).toBe(9)
    expect(drain(p, "TP/1.1\r\nHost: y\r\n\r\n")).toEqual(["head GET /c y", "end"])
  })

  it("error offsets count the bytes before the release", () => {
    const p = Parser.request()
    drain(p, GET)
    p.releaseIdle()
    expect(drain(p, "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n")).toEqual(["event 4"])
    expect(p.error?._tag).toBe("MalformedMessage")
    const other = Parser.request()
    drain(other, GET)
    drain(other, "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n")
    expect(p.error).toEqual(other.error)
  })
})
