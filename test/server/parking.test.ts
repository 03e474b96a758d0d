/**
 * An idle keep-alive connection gives up its fiber (it "parks") once the reaper saw it idle for
 * a whole tick; input, the client's close, an idle timeout or a shutdown brings it back.
 * Everything here runs on the TestClock, whose ticks drive the reaper.
 */
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Exit, Fiber, Option, TestClock } from "effect"
import * as ServerResponse from "../../src/server/ServerResponse.js"
import { get, rawConnect, realSleep, startServer } from "./rawClient.js"

/** A service a connContext hook provides. */
class ConnTag extends Context.Tag("test/ConnTag")<ConnTag, { readonly id: number }>() {}

/** Enough reaper ticks (1 s each with these settings) for an idle connection to park. */
const parkTime = "3 seconds"

describe("parked connections", () => {
  it.scoped("serve the next request, and pipelined ones, after parking", () =>
    Effect.gen(function*() {
      let fibers = 0
      const server = yield* startServer({
        handler: (req) => Effect.sync(() => ServerResponse.text(`${req.target} ${++fibers}`))
      })
      const c = yield* rawConnect(server.port)
      yield* c.send(get("/a"))
      expect((yield* c.responses(1))[0]?.body).toBe("/a 1")
      yield* TestClock.adjust(parkTime)
      yield* realSleep(20)
      yield* c.send(get("/b") + get("/c"))
      const rs = yield* c.responses(2)
      expect(rs.map((r) => r.body)).toEqual(["/b 2", "/c 3"])
      // A head split across a park: its first bytes keep the connection from parking again.
      yield* TestClock.adjust(parkTime)
      yield* realSleep(20)
      yield* c.send("GET /d HTTP/1.1\r\n")
      yield* realSleep(20)
      yield* TestClock.adjust("1 second")
      yield* c.send("Host: x\r\n\r\n")
      expect((yield* c.responses(1))[0]?.body).toBe("/d 4")
      expect((yield* server.stats).accepted).toBe(1)
    }))

  it.scoped("a parked connection is closed by its idle timeout, and by the client", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ idleTimeout: "5 seconds", handler: () => Effect.succeed(ServerResponse.text("ok")) })
      const a = yield* rawConnect(server.port)
      const b = yield* rawConnect(server.port)
      yield* a.send(get("/"))
      yield* b.send(get("/"))
      yield* a.responses(1)
      yield* b.responses(1)
      yield* TestClock.adjust(parkTime)
      yield* realSleep(20)
      yield* b.destroy
      for (let i = 0; i < 200 && (yield* server.stats).connections !== 1; i++) yield* realSleep(5)
      expect((yield* server.stats).connections).toBe(1)
      yield* TestClock.adjust(parkTime)
      expect(yield* a.closed()).toBe(true)
      for (let i = 0; i < 200 && (yield* server.stats).connections !== 0; i++) yield* realSleep(5)
      expect((yield* server.stats).connections).toBe(0)
    }))

  it.scoped("a shutdown closes parked connections at once and succeeds", () =>
    Effect.gen(function*() {
      const server = yield* startServer({ handler: () => Effect.succeed(ServerResponse.text("ok")) })
      const c = yield* rawConnect(server.port)
      yield* c.send(get("/"))
      yield* c.responses(1)
      yield* TestClock.adjust(parkTime)
      yield* realSleep(20)
      const shutdown = yield* Effect.fork(server.shutdown("5 seconds"))
      expect(yield* c.closed()).toBe(true)
      const exit = yield* Fiber.await(shutdown)
      expect(Exit.isSuccess(exit)).toBe(true)
    }))

  it.scoped("connContext's services reach handlers after a park", () =>
    Effect.gen(function*() {
      const server = yield* startServer({
        connContext: (info) => Effect.succeed(Context.make(ConnTag, { id: info.id })),
        handler: () =>
          Effect.map(Effect.serviceOption(ConnTag), (conn) => ServerResponse.text(Option.match(conn, { onNone: () => "none", onSome: (c) => `conn ${c.id}` })))
      })
      const c = yield* rawConnect(server.port)
      yield* c.send(get("/"))
      expect((yield* c.responses(1))[0]?.body).toBe("conn 1")
      yield* TestClock.adjust(parkTime)
      yield* realSleep(20)
      yield* c.send(get("/"))
      expect((yield* c.responses(1))[0]?.body).toBe("conn 1")
    }))
})
