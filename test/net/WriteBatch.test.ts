/**
 * WriteBatch: writes of one turn reach their streams together after the turn (one
 * `setImmediate`), each stream corked once and uncorked once; a stream closed in between does
 * not hold back the others.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { RawConn as Conn } from "../../src/net/Conn.js"
import { rawPipe as pipe } from "../../src/net/Pipe.js"
import { WriteBatch } from "../../src/net/WriteBatch.js"

const received = (conn: Conn): Array<string> => {
  const got: Array<string> = []
  conn.stream.on("data", (chunk: Buffer) => got.push(chunk.toString("latin1")))
  return got
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve))

describe("WriteBatch", () => {
  it("holds the writes of a turn and sends them together after it", async () => {
    const [a, aPeer] = pipe()
    const [b, bPeer] = pipe()
    const gotA = received(aPeer)
    const gotB = received(bPeer)
    const batch = new WriteBatch()
    expect(batch.write(a, "GET /a HTTP/1.1\r\n\r\n")).toBe(true)
    expect(batch.write(b, Buffer.from("GET /b HTTP/1.1\r\n\r\n"))).toBe(true)
    expect(a.stream.writableCorked).toBe(1)
    await Promise.resolve()
    expect([gotA, gotB]).toEqual([[], []])
    await nextTurn()
    expect(gotA.join("")).toBe("GET /a HTTP/1.1\r\n\r\n")
    expect(gotB.join("")).toBe("GET /b HTTP/1.1\r\n\r\n")
    expect([a.stream.writableCorked, b.stream.writableCorked]).toEqual([0, 0])
    // The next turn is a batch of its own.
    batch.write(a, "second")
    expect(gotA.join("")).toBe("GET /a HTTP/1.1\r\n\r\n")
    await nextTurn()
    expect(gotA.join("")).toBe("GET /a HTTP/1.1\r\n\r\nsecond")
    for (const c of [a, aPeer, b, bPeer]) await Effect.runPromise(c.close)
  })

  it("a stream written twice in a turn is corked once; one closed before the flush holds back nothing", async () => {
    const [a, aPeer] = pipe()
    const [b, bPeer] = pipe()
    const gotB = received(bPeer)
    const batch = new WriteBatch()
    batch.write(a, "one")
    batch.write(b, "x")
    batch.write(b, "y")
    expect(b.stream.writableCorked).toBe(1)
    await Effect.runPromise(a.close)
    expect(batch.write(a, "after close")).toBe(false)
    await nextTurn()
    expect(gotB.join("")).toBe("xy")
    expect(b.stream.writableCorked).toBe(0)
    for (const c of [aPeer, b, bPeer]) await Effect.runPromise(c.close)
  })
})
