/**
 * `Transport.roundTripIn`: the response's Scope comes from the given effect, run only when the
 * response needs one (a body still arriving); a body that arrived with its head needs none.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Scope } from "effect"
import * as Body from "../../src/domain/Body.js"
import { Transport } from "../../src/transport/Transport.js"
import { eventually, pseudoRandom, request, response, scriptedServer } from "./scripted.js"

/** A Scope source counting how often it is asked, handing out `scope`. */
const counted = (scope: Scope.Scope) => {
  const asked = { n: 0 }
  return { asked, get: Effect.sync(() => (asked.n++, scope)) }
}

describe("roundTripIn", () => {
  it.live("a body that arrived whole needs no Scope (the effect is never run)", () =>
    Effect.gen(function*() {
      const server = yield* scriptedServer({ onRequest: (_req, conn) => conn.write(response("hello")) })
      yield* Effect.gen(function*() {
        const transport = yield* Transport
        const never = Effect.dieMessage("no Scope should be asked for")
        for (let i = 0; i < 3; i++) {
          const r = yield* transport.roundTripIn(request({ url: server.url("/") }), never)
          expect(r.status).toBe(200)
          expect(r.body._tag).toBe("Bytes")
          expect(Buffer.from(yield* Body.collect(r.body)).toString()).toBe("hello")
        }
        expect(server.accepted()).toBe(1)
      }).pipe(Effect.provide(Transport.layer()))
      yield* server.expectAllClosed()
    }).pipe(Effect.scoped))

  it.live("a streamed body lives in the Scope from the effect: read to EOF the connection is reused", () =>
    Effect.gen(function*() {
      const big = pseudoRandom(512 << 10)
      const server = yield* scriptedServer({ onRequest: (_req, conn) => conn.write(response(big)) })
      yield* Effect.gen(function*() {
        const transport = yield* Transport
        const scope = yield* Scope.make()
        const source = counted(scope)
        const r = yield* transport.roundTripIn(request({ url: server.url("/") }), source.get)
        expect(r.body._tag).toBe("Stream")
        expect(source.asked.n).toBe(1)
        const bytes = yield* Body.collect(r.body)
        expect(Buffer.from(bytes).equals(big)).toBe(true)
        yield* Scope.close(scope, Exit.void)
        const again = yield* transport.roundTripIn(request({ url: server.url("/") }), counted(yield* Scope.make()).get)
        expect((yield* Body.collect(again.body)).length).toBe(big.length)
        expect(server.accepted()).toBe(1)
      }).pipe(Effect.provide(Transport.layer()))
      yield* server.expectAllClosed()
    }).pipe(Effect.scoped))

  it.live("closing the Scope from the effect before EOF closes the connection", () =>
    Effect.gen(function*() {
      const big = pseudoRandom(512 << 10)
      const server = yield* scriptedServer({ onRequest: (_req, conn) => conn.write(response(big)) })
      yield* Effect.gen(function*() {
        const transport = yield* Transport
        const scope = yield* Scope.make()
        const source = counted(scope)
        const r = yield* transport.roundTripIn(request({ url: server.url("/") }), source.get)
        expect(r.body._tag).toBe("Stream")
        expect(source.asked.n).toBe(1)
        expect(server.openSockets()).toBe(1)
        yield* Scope.close(scope, Exit.void)
        yield* eventually("the unread connection closed", () => server.openSockets() === 0)
        const stats = yield* transport.stats
        expect(stats.idle).toBe(0)
        expect(stats.active).toBe(0)
      }).pipe(Effect.provide(Transport.layer()))
      yield* server.expectAllClosed()
    }).pipe(Effect.scoped))
})
