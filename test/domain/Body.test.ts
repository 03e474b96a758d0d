import { describe, expect, it } from "@effect/vitest"
import { Chunk, Deferred, Effect, Either, Exit, Fiber, Option, Stream } from "effect"
import * as Body from "../../src/domain/Body.js"

const u8 = (s: string) => new TextEncoder().encode(s)
const decode = (chunks: Chunk.Chunk<Uint8Array>) => Buffer.concat([...chunks]).toString("utf8")
const collect = <E>(body: Body.Body<E>) => Effect.map(Stream.runCollect(Body.toStream(body)), decode)

class ReadFailed {
  readonly _tag = "ReadFailed"
}

describe("Body", () => {
  describe("constructors", () => {
    it("empty, bytes and text carry their tags and bytes", () => {
      expect(Body.empty._tag).toBe("Empty")
      const b = Body.bytes(u8("abc"))
      expect(b._tag).toBe("Bytes")
      expect(b.bytes).toEqual(u8("abc"))
      const t = Body.text("héllo €")
      expect(t._tag).toBe("Bytes")
      expect(Buffer.from(t.bytes).toString("utf8")).toBe("héllo €")
      expect(t.bytes.byteLength).toBe(10) // é is 2 bytes, € is 3
    })

    it("stream and rewindable keep a known length and drop a meaningless one", () => {
      const s = Stream.make(u8("x"))
      expect(Body.stream(s, 1).length).toBe(1)
      expect(Body.stream(s).length).toBeUndefined()
      expect(Body.stream(s, -1).length).toBeUndefined() // Go's "unknown"
      expect(Body.stream(s, 1.5).length).toBeUndefined()
      expect(Body.stream(s, Number.NaN).length).toBeUndefined()
      expect(Body.rewindable(() => s, 0).length).toBe(0)
      expect(Body.rewindable(Effect.succeed(s)).length).toBeUndefined()
    })
  })

  describe("contentLength", () => {
    it("is 0 for Empty and the byte length for Bytes", () => {
      expect(Body.contentLength(Body.empty)).toBe(0)
      expect(Body.contentLength(Body.bytes(new Uint8Array(7)))).toBe(7)
      expect(Body.contentLength(Body.text("€"))).toBe(3)
      expect(Body.contentLength(Body.text(""))).toBe(0)
    })

    it("is the given length for Stream and Rewindable, undefined when unknown", () => {
      const s = Stream.make(u8("hello"))
      expect(Body.contentLength(Body.stream(s, 5))).toBe(5)
      expect(Body.contentLength(Body.stream(s))).toBeUndefined()
      expect(Body.contentLength(Body.rewindable(() => s, 5))).toBe(5)
      expect(Body.contentLength(Body.rewindable(() => s))).toBeUndefined()
    })
  })

  it("isReplayable: Empty, Bytes and Rewindable are, Stream is not", () => {
    const s = Stream.make(u8("x"))
    expect(Body.isReplayable(Body.empty)).toBe(true)
    expect(Body.isReplayable(Body.text("x"))).toBe(true)
    expect(Body.isReplayable(Body.rewindable(() => s))).toBe(true)
    expect(Body.isReplayable(Body.stream(s, 1))).toBe(false)
  })

  describe("rewind", () => {
    it("gives Empty and Bytes back as they are", () => {
      const b = Body.text("abc")
      expect(Body.rewind(Body.empty)).toEqual(Option.some(Body.empty))
      const r = Body.rewind(b)
      expect(Option.isSome(r) && r.value === b).toBe(true)
    })

    it("gives none for a one-shot Stream", () => {
      expect(Option.isNone(Body.rewind(Body.stream(Stream.make(u8("x")), 1)))).toBe(true)
    })

    it.effect("gives a new Rewindable whose stream is produced afresh and yields the same bytes", () =>
      Effect.gen(function*() {
        let produced = 0
        const body = Body.rewindable(() => {
          produced++
          return Stream.make(u8("hello, "), u8("world"))
        }, 12)
        expect(produced).toBe(0) // building a body runs nothing

        const first = yield* collect(body)
        expect(first).toBe("hello, world")
        expect(produced).toBe(1)

        const again = Body.rewind(body)
        expect(Option.isSome(again)).toBe(true)
        const next = Option.getOrThrow(again)
        expect(next).not.toBe(body)
        expect(next._tag).toBe("Rewindable")
        expect(Body.contentLength(next)).toBe(12)
        expect(Body.isReplayable(next)).toBe(true)

        const second = yield* collect(next)
        expect(second).toBe(first)
        expect(produced).toBe(2)
      }))

    it.effect("works with an Effect producer too", () =>
      Effect.gen(function*() {
        let produced = 0
        const body = Body.rewindable(
          Effect.sync(() => {
            produced++
            return Stream.fromIterable([u8("a"), u8("b"), u8("c")])
          })
        )
        expect(yield* collect(body)).toBe("abc")
        expect(yield* collect(Option.getOrThrow(Body.rewind(body)))).toBe("abc")
        expect(produced).toBe(2)
      }))

    it.effect("a fresh stream does not see what a consumed one-shot source already gave", () =>
      Effect.gen(function*() {
        // A source that can be read once, like a socket: the Rewindable re-creates it each time.
        const makeSource = () => {
          const parts = [u8("one"), u8("two")]
          return Stream.repeatEffectOption(
            Effect.suspend(() => {
              const next = parts.shift()
              return next === undefined ? Effect.fail(Option.none()) : Effect.succeed(next)
            })
          )
        }
        const body = Body.rewindable(makeSource)
        expect(yield* collect(body)).toBe("onetwo")
        expect(yield* collect(Option.getOrThrow(Body.rewind(body)))).toBe("onetwo")
      }))
  })

  describe("toStream", () => {
    it.effect("yields nothing for Empty and the bytes for Bytes", () =>
      Effect.gen(function*() {
        expect(Chunk.size(yield* Stream.runCollect(Body.toStream(Body.empty)))).toBe(0)
        expect(Chunk.size(yield* Stream.runCollect(Body.toStream(Body.bytes(new Uint8Array(0)))))).toBe(0)
        expect(yield* collect(Body.text("payload"))).toBe("payload")
      }))

    it.effect("passes a stream's error through with its type", () =>
      Effect.gen(function*() {
        const failing: Body.Body<ReadFailed> = Body.stream(
          Stream.concat(Stream.make(u8("partial")), Stream.fail(new ReadFailed()))
        )
        const result = yield* Effect.either(Stream.runCollect(Body.toStream(failing)))
        expect(Either.isLeft(result)).toBe(true)
        if (Either.isLeft(result)) expect(result.left).toBeInstanceOf(ReadFailed)

        const failingMake: Body.Body<ReadFailed> = Body.rewindable(Effect.fail(new ReadFailed()))
        const result2 = yield* Effect.either(Stream.runCollect(Body.toStream(failingMake)))
        expect(Either.isLeft(result2) && result2.left._tag === "ReadFailed").toBe(true)
      }))
  })

  describe("forEachChunk (the Stream run without a forked fiber)", () => {
    const seen = <E>(body: Body.Body<E>) =>
      Effect.suspend(() => {
        const chunks: Array<string> = []
        return Effect.as(Body.forEachChunk(body, (c) => Effect.sync(() => void chunks.push(Buffer.from(c).toString()))), chunks)
      })

    it.effect("every chunk in order, for every kind of body; nothing runs before the effect does", () =>
      Effect.gen(function*() {
        let called = 0
        const lazy = Body.forEachChunk(Body.text("x"), () => Effect.sync(() => void called++))
        expect(called).toBe(0)
        yield* lazy
        expect(called).toBe(1)
        expect(yield* seen(Body.empty)).toEqual([])
        expect(yield* seen(Body.text("one"))).toEqual(["one"])
        expect(yield* seen(Body.stream(Stream.make(u8("a"), u8("b"), u8("c"))))).toEqual(["a", "b", "c"])
        expect(yield* seen(Body.stream(Stream.concat(Stream.succeed(u8("a")), Stream.fromIterable([u8("b"), u8("c")]))))).toEqual(["a", "b", "c"])
        const rewindable = Body.rewindable(() => Stream.make(u8("r1"), u8("r2")))
        expect(yield* seen(rewindable)).toEqual(["r1", "r2"])
        expect(yield* seen(rewindable)).toEqual(["r1", "r2"])
        let left = 2
        const pull = Effect.suspend(() => (left-- > 0 ? Effect.succeed(u8(`p${left}`)) : Effect.fail(Option.none())))
        expect(yield* seen(Body.stream(Stream.die("the stream is not run when there is a pull"), undefined, pull))).toEqual(["p1", "p0"])
      }))

    it.effect("the stream's failure and f's failure come out typed; the stream's finalizer runs on success and on both failures", () =>
      Effect.gen(function*() {
        let finalized = 0
        const body = (tail: Stream.Stream<Uint8Array, ReadFailed>) =>
          Body.stream(Stream.concat(Stream.make(u8("a")), tail).pipe(Stream.ensuring(Effect.sync(() => void finalized++))))
        expect(yield* seen(body(Stream.empty))).toEqual(["a"])
        expect(finalized).toBe(1)
        const failed = yield* Effect.either(seen(body(Stream.fail(new ReadFailed()))))
        expect(Either.isLeft(failed) && failed.left instanceof ReadFailed).toBe(true)
        expect(finalized).toBe(2)
        const refused = yield* Effect.either(Body.forEachChunk(body(Stream.empty), () => Effect.fail("refused" as const)))
        expect(refused).toEqual(Either.left("refused"))
        expect(finalized).toBe(3)
      }))

    it.effect("interrupted while the stream waits: its finalizer runs and the fiber ends interrupted", () =>
      Effect.gen(function*() {
        const waiting = yield* Deferred.make<void>()
        const finalized = yield* Deferred.make<void>()
        const stream = Stream.concat(Stream.make(u8("a")), Stream.never).pipe(Stream.ensuring(Deferred.succeed(finalized, undefined)))
        const fiber = yield* Effect.fork(Body.forEachChunk(Body.stream(stream), () => Deferred.succeed(waiting, undefined)))
        yield* Deferred.await(waiting)
        const exit = yield* Fiber.interrupt(fiber)
        expect(Exit.isInterrupted(exit)).toBe(true)
        expect(yield* Deferred.isDone(finalized)).toBe(true)
      }))

    it.effect("fold reads a plain stream (no pull) through it, and a rewindable's make once per fold", () =>
      Effect.gen(function*() {
        let made = 0
        const body = Body.rewindable(() => {
          made++
          return Stream.make(u8("ab"), u8("c"))
        })
        expect(yield* Body.fold(body, "", (s, c) => s + Buffer.from(c).toString())).toBe("abc")
        expect(yield* Body.fold(body, 0, (n, c) => n + c.length)).toBe(3)
        expect(made).toBe(2)
        expect(Buffer.from(yield* Body.collect(Body.stream(Stream.make(u8("x"), u8("yz"))))).toString()).toBe("xyz")
      }))
  })
})
