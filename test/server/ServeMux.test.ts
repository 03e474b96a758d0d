/**
 * ServeMux: Go 1.22's pattern syntax, precedence and conflict rules as tables written from
 * Go's documentation, and the mux's own answers (404, 405 with Allow, the 307 redirects,
 * OPTIONS *) and route Layers, over real sockets.
 */
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Either, Exit, Layer } from "effect"
import { Mux, PatternConflict, ServeMux } from "../../src/server/ServeMux.js"
import type { ServerRequest } from "../../src/server/ServerRequest.js"
import * as ServerResponse from "../../src/server/ServerResponse.js"
import { Server } from "../../src/server/Server.js"
import { get, rawConnect, startServer } from "./rawClient.js"

const named = (name: string) => (r: ServerRequest) => Effect.succeed(ServerResponse.text(`${name} ${r.pattern}`))

const mux = (patterns: ReadonlyArray<string>) => Either.getOrThrow(Mux.make(patterns.map((p) => [p, named(p)] as const)))

describe("patterns", () => {
  const invalid: ReadonlyArray<readonly [string, string]> = [
    ["", "empty pattern"],
    ["GET", "missing /"],
    ["a b c", "missing /"],
    ["G@T /", "invalid method"],
    ["/{x", "entire segment"],
    ["/a{x}", "entire segment"],
    ["/{x}/{x}", "duplicate wildcard"],
    ["/{x...}/b", "not at end"],
    ["/a/{$}/b", "not at end"],
    ["/{}", "empty wildcard"],
    ["/{1x}", "bad wildcard name"],
    ["{x}/a", "host contains"]
  ]
  for (const [pattern, detail] of invalid) {
    it(`refuses ${JSON.stringify(pattern)} (${detail})`, () => {
      const r = Mux.make([[pattern, named(pattern)]])
      expect(Either.isLeft(r)).toBe(true)
      if (Either.isLeft(r)) {
        expect(r.left._tag).toBe("InvalidPattern")
        expect(r.left.message).toContain(detail)
      }
    })
  }
})

describe("precedence (most specific wins)", () => {
  const table: ReadonlyArray<readonly [ReadonlyArray<string>, string, string, string, string | undefined]> = [
    // patterns, method, host, path, winner
    [["/", "/index.html"], "GET", "x", "/index.html", "/index.html"],
    [["/", "/index.html"], "GET", "x", "/other", "/"],
    [["/images/", "/images/thumbnails/"], "GET", "x", "/images/thumbnails/a.png", "/images/thumbnails/"],
    [["/images/", "/images/thumbnails/"], "GET", "x", "/images/a.png", "/images/"],
    [["GET /a", "/a"], "GET", "x", "/a", "GET /a"],
    [["GET /a", "/a"], "POST", "x", "/a", "/a"],
    // GET also serves HEAD; an exact HEAD pattern beats GET for HEAD.
    [["GET /a"], "HEAD", "x", "/a", "GET /a"],
    [["GET /a", "HEAD /a"], "HEAD", "x", "/a", "HEAD /a"],
    [["GET /a", "HEAD /a"], "GET", "x", "/a", "GET /a"],
    [["/posts/{id}", "/posts/latest"], "GET", "x", "/posts/latest", "/posts/latest"],
    [["/posts/{id}", "/posts/latest"], "GET", "x", "/posts/42", "/posts/{id}"],
    [["/a/{$}", "/a/"], "GET", "x", "/a/", "/a/{$}"],
    [["/a/{$}", "/a/"], "GET", "x", "/a/b", "/a/"],
    [["/{rest...}", "/a/b"], "GET", "x", "/a/b", "/a/b"],
    [["/{rest...}", "/a/b"], "GET", "x", "/a/c", "/{rest...}"],
    // A host pattern beats a host-less one, whatever the path.
    [["example.com/", "/a"], "GET", "example.com", "/a", "example.com/"],
    [["example.com/", "/a"], "GET", "other.com", "/a", "/a"],
    [["/{$}"], "GET", "x", "/", "/{$}"],
    [["/{$}"], "GET", "x", "/a", undefined],
    [["/a/{x}"], "GET", "x", "/a/", undefined],
    // Segments match after unescaping: an escaped "/" stays inside its segment.
    [["/a%2Fb", "/a/{x}"], "GET", "x", "/a/b", "/a/{x}"],
    [["/a%2Fb", "/a/{x}"], "GET", "x", "/a%2Fb", "/a%2Fb"],
    [["/100%25", "/{x}"], "GET", "x", "/100%25", "/100%25"],
    [["/%41", "/{x}"], "GET", "x", "/%2541", "/{x}"],
    [["/%41", "/{x}"], "GET", "x", "/A", "/%41"]
  ]
  for (const [patterns, method, host, path, winner] of table) {
    it(`${patterns.join(" + ")}: ${method} ${host}${path} → ${winner ?? "none"}`, () => {
      const m = mux(patterns)
      expect(m.match(method, host, path)?.pattern).toBe(winner)
      // find, with its whole-path shortcut for literal routes, dispatches to the same pattern.
      const found = m.find(method, host, path)
      expect(found._tag === "Found" ? found.pattern : undefined).toBe(winner)
    })
  }
})

describe("conflicts", () => {
  const table: ReadonlyArray<readonly [string, string, string]> = [
    ["/a/{x}", "/{y}/b", "/a/b"],
    ["GET /a", "GET /a", "/a"],
    ["/a", "/a", "/a"],
    ["GET /{x}", "/a", "/a"],
    ["/{x}/b", "/a/{y}", "/a/b"],
    ["/a/{x}", "/a/{y}", "/a/x"],
    ["h.com/a/{x}", "h.com/{y}/b", "/a/b"]
  ]
  for (const [p1, p2, example] of table) {
    it(`${JSON.stringify(p1)} and ${JSON.stringify(p2)} conflict, for example on ${example}`, () => {
      const r = Mux.make([[p1, named(p1)], [p2, named(p2)]])
      expect(Either.isLeft(r)).toBe(true)
      if (Either.isLeft(r)) {
        expect(r.left).toBeInstanceOf(PatternConflict)
        const c = r.left as PatternConflict
        expect([c.pattern, c.other]).toEqual([p2, p1])
        expect(c.examplePath).toBe(example)
        expect(c.message).toContain(p1)
        expect(c.message).toContain(p2)
      }
    })
  }
  const fine: ReadonlyArray<readonly [string, string]> = [
    ["GET /a", "POST /a"],
    ["GET /a", "HEAD /a"],
    ["example.com/a/{x}", "/{y}/b"],
    ["a.com/", "b.com/"],
    ["/a/", "/a/{$}"],
    ["/a/{x}", "/a/b"],
    ["/{x}/", "/a/{y...}"]
  ]
  for (const [p1, p2] of fine) {
    it(`${JSON.stringify(p1)} and ${JSON.stringify(p2)} do not conflict`, () => {
      expect(Either.isRight(Mux.make([[p1, named(p1)], [p2, named(p2)]]))).toBe(true)
    })
  }
})

describe("answers over sockets", () => {
  const routes = [
    ["GET /items/{id}", (r: ServerRequest) => Effect.succeed(ServerResponse.text(`item ${r.pathValue("id")} via ${r.pattern}`))],
    ["POST /items/{id}", named("post")],
    ["/tree/", named("tree")],
    ["/files/{path...}", (r: ServerRequest) => Effect.succeed(ServerResponse.text(`file ${r.pathValue("path")}`))],
    ["example.com/", named("host")]
  ] as const

  it.live("wildcards unescaped, 404, 405 with Allow, 307 redirects keeping the query, host without port, OPTIONS *", () =>
    Effect.gen(function*() {
      const m = Either.getOrThrow(Mux.make(routes))
      const server = yield* startServer({ handler: m.handler })
      const c = yield* rawConnect(server.port)
      yield* c.send(
        get("/items/a%2Fb") + get("/nope") + "DELETE /items/1 HTTP/1.1\r\nHost: x\r\n\r\n" + get("/tree?q=1") +
          get("/a/../items/7?x=y") + get("//items/8") + get("/files/x/y%20z") + "GET /q HTTP/1.1\r\nHost: example.com:8080\r\n\r\n" +
          "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n"
      )
      const rs = yield* c.responses(9)
      expect(rs.map((r) => r.status)).toEqual([200, 404, 405, 307, 307, 307, 200, 200, 200])
      expect(rs[0]!.body).toBe("item a/b via GET /items/{id}")
      expect(rs[1]!.body).toBe("404 page not found\n")
      expect(rs[1]!.header("X-Content-Type-Options")).toBe("nosniff")
      expect(rs[2]!.header("Allow")).toBe("GET, HEAD, POST")
      expect(rs[3]!.header("Location")).toBe("/tree/?q=1")
      expect(rs[4]!.header("Location")).toBe("/items/7?x=y")
      expect(rs[5]!.header("Location")).toBe("/items/8")
      expect(rs[6]!.body).toBe("file x/y z")
      expect(rs[7]!.body).toBe("host example.com/")
      expect(rs[8]!.header("Content-Length")).toBe("0")
    }).pipe(Effect.scoped))
})

class Greeting extends Context.Tag("test/Greeting")<Greeting, string>() {}

describe("route Layers", () => {
  it.live("several Layers contribute routes, with their own requirements; the merged mux is served", () =>
    Effect.gen(function*() {
      const a = ServeMux.routes([["GET /a", () => Effect.map(Greeting, (g) => ServerResponse.text(`${g} from a`))]]).pipe(Layer.provide(Layer.succeed(Greeting, "hello")))
      const b = ServeMux.routes([["GET /b", named("b")]])
      const ctx = yield* Layer.build(ServeMux.serve({ host: "127.0.0.1", port: 0 }).pipe(Layer.provide(ServeMux.layer(a, b))))
      const server = Context.get(ctx, Server)
      const c = yield* rawConnect(server.port)
      yield* c.send(get("/a") + get("/b"))
      const rs = yield* c.responses(2)
      expect(rs.map((r) => r.body)).toEqual(["hello from a", "b GET /b"])
    }).pipe(Effect.scoped))

  it.effect("a conflict between two Layers fails the mux Layer with PatternConflict", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Effect.scoped(Layer.build(ServeMux.layer(ServeMux.routes([["/x/{a}", named("1")]]), ServeMux.routes([["/{b}/y", named("2")]])))))
      expect(Exit.isFailure(exit)).toBe(true)
      if (Exit.isFailure(exit)) expect(String(exit.cause)).toContain("PatternConflict")
    }))

  it("the builder collects routes and checks them once", () => {
    const built = ServeMux.builder().handle("GET /", named("root")).handle("GET /x", named("x")).build()
    expect(Either.isRight(built) && built.right.patterns).toEqual(["GET /x", "GET /"])
    expect(Either.isLeft(ServeMux.builder().handle("/a", named("1")).handle("/a", named("2")).build())).toBe(true)
  })
})
