import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { canonicalHeaderKey, Headers } from "../../src/domain/Headers.js"

describe("canonicalHeaderKey (Go's CanonicalHeaderKey)", () => {
  it.each([
    ["content-type", "Content-Type"],
    ["x-forwarded-for", "X-Forwarded-For"],
    ["WWW-AUTHENTICATE", "Www-Authenticate"],
    ["accept-encoding", "Accept-Encoding"],
    ["Content-Length", "Content-Length"],
    ["cONTENT-lENGTH", "Content-Length"],
    ["host", "Host"],
    ["x", "X"],
    ["foo_bar", "Foo_bar"],
    ["a--b", "A--B"],
    ["-foo", "-Foo"],
    ["user-agent2", "User-Agent2"],
    ["", ""]
  ])("%j -> %j", (input, expected) => {
    expect(canonicalHeaderKey(input)).toBe(expected)
  })

  it.each(["foo bar", "foo:bar", "héader", "x\r\ny", "content-type\u0100"])(
    "leaves a name with a non-token byte unchanged: %j",
    (name) => {
      expect(canonicalHeaderKey(name)).toBe(name)
    }
  )

  it("returns an already canonical name as the same string", () => {
    const name = "X-Request-Id"
    expect(canonicalHeaderKey(name)).toBe(name)
  })
})

describe("Headers", () => {
  it("stores fields under canonical names and looks them up in any case", () => {
    const h = Headers.make({ "content-type": "text/plain" })
    expect(h.get("Content-Type")).toBe("text/plain")
    expect(h.get("CONTENT-TYPE")).toBe("text/plain")
    expect(h.has("content-type")).toBe(true)
    expect(h.names()).toEqual(["Content-Type"])
    expect(h.get("Accept")).toBeUndefined()
    expect(h.has("Accept")).toBe(false)
  })

  it("keeps several values of one name in the order added; get gives the first", () => {
    const h = Headers.empty().add("Accept", "a").add("x-other", "o").add("accept", "b").add("ACCEPT", "c")
    expect(h.values("Accept")).toEqual(["a", "b", "c"])
    expect(h.get("accept")).toBe("a")
    expect(h.size).toBe(4)
    expect([...h]).toEqual([
      ["Accept", "a"],
      ["X-Other", "o"],
      ["Accept", "b"],
      ["Accept", "c"]
    ])
    expect(h.names()).toEqual(["Accept", "X-Other"])
  })

  it("values of an absent name is an empty list", () => {
    expect(Headers.empty().values("Accept")).toEqual([])
  })

  it("set replaces every value of the name, where the first one was", () => {
    const h = Headers.empty().add("A", "1").add("B", "2").add("a", "3")
    h.set("a", "x")
    expect(h.values("A")).toEqual(["x"])
    expect([...h]).toEqual([
      ["A", "x"],
      ["B", "2"]
    ])
    h.set("C", "new")
    expect([...h].at(-1)).toEqual(["C", "new"])
  })

  it("delete removes every value of the name and nothing else", () => {
    const h = Headers.empty().add("A", "1").add("B", "2").add("A", "3").add("C", "4")
    h.delete("a")
    expect(h.has("A")).toBe(false)
    expect([...h]).toEqual([
      ["B", "2"],
      ["C", "4"]
    ])
    h.delete("absent")
    expect(h.size).toBe(2)
  })

  it("makes headers from a record with array values, and from pairs", () => {
    const fromRecord = Headers.make({ "set-cookie": ["a=1", "b=2"], host: "example.com" })
    expect(fromRecord.values("Set-Cookie")).toEqual(["a=1", "b=2"])
    expect(fromRecord.get("Host")).toBe("example.com")
    const fromPairs = Headers.make([
      ["x-a", "1"],
      ["x-a", "2"]
    ])
    expect(fromPairs.values("X-A")).toEqual(["1", "2"])
    const fromMap = Headers.make(new Map([["x-b", "3"]]))
    expect(fromMap.get("X-B")).toBe("3")
  })

  it("clone and make(headers) give independent copies", () => {
    const h = Headers.make({ A: "1" })
    const c = h.clone()
    const m = Headers.make(h)
    c.add("A", "2")
    m.set("A", "3")
    expect(h.values("A")).toEqual(["1"])
    expect(c.values("A")).toEqual(["1", "2"])
    expect(m.values("A")).toEqual(["3"])
  })

  it("toRecord groups the values under each name, like Go's map[string][]string", () => {
    const h = Headers.empty().add("a", "1").add("b", "2").add("a", "3")
    expect(h.toRecord()).toEqual({ A: ["1", "3"], B: ["2"] })
  })

  it("forEach, nameAt and valueAt visit the fields in order", () => {
    const h = Headers.empty().add("a", "1").add("b", "2")
    const seen: Array<string> = []
    h.forEach((v, n) => seen.push(`${n}=${v}`))
    expect(seen).toEqual(["A=1", "B=2"])
    expect([h.nameAt(1), h.valueAt(1), h.nameAt(2)]).toEqual(["B", "2", undefined])
  })

  describe("validate", () => {
    it("accepts ordinary fields, tabs, and obs-text (bytes 0x80-0xFF)", () => {
      const h = Headers.make({ "Content-Type": "text/plain; charset=utf-8", "X-Tab": "a\tb", "X-Latin1": "caf\u00e9" })
      expect(h.validate()).toBeUndefined()
    })

    it.each([
      ["CR", "a\rb", 1],
      ["LF", "ab\n", 2],
      ["NUL", "\u0000", 0],
      ["DEL", "x\u007f", 1],
      ["another control", "\u0001", 0],
      ["a character above 0xFF", "ok\u0100", 2],
      ["an emoji", "\u{1F600}", 0]
    ])("refuses a value with %s", (_what, value, index) => {
      const invalid = Headers.make({ "X-Bad": value }).validate()
      expect(invalid?._tag).toBe("InvalidHeader")
      expect(invalid?.name).toBe("X-Bad")
      expect(invalid?.part).toBe("value")
      expect(invalid?.index).toBe(index)
    })

    it.each([
      ["foo bar", 3],
      ["", 0],
      ["x:y", 1],
      ["h\u00e9", 1],
      ["a\r\nb", 1],
      ["(comment)", 0]
    ])("refuses the name %j", (name, index) => {
      const invalid = Headers.empty().add(name, "v").validate()
      expect(invalid?.part).toBe("name")
      expect(invalid?.name).toBe(name)
      expect(invalid?.index).toBe(index)
    })

    it("reports the first invalid field", () => {
      const invalid = Headers.empty().add("Good", "ok").add("First", "\n").add("bad name", "x").validate()
      expect(invalid?.name).toBe("First")
      expect(invalid?.part).toBe("value")
    })
  })

  describe("Headers.validated", () => {
    it("gives Right with the headers when every field is valid", () => {
      const r = Headers.validated({ accept: "*/*" })
      expect(Either.isRight(r)).toBe(true)
      if (Either.isRight(r)) expect(r.right.get("Accept")).toBe("*/*")
    })

    it("gives Left(InvalidHeader) for an injected CRLF", () => {
      const r = Headers.validated({ "X-Evil": "a\r\nSet-Cookie: x=1" })
      expect(Either.isLeft(r)).toBe(true)
      if (Either.isLeft(r)) {
        expect(r.left._tag).toBe("InvalidHeader")
        expect(r.left.part).toBe("value")
        expect(r.left.index).toBe(1)
      }
    })

    it("gives Left(InvalidHeader) for a bad name", () => {
      const r = Headers.validated([["foo bar", "x"]])
      expect(Either.isLeft(r) && r.left.part === "name").toBe(true)
    })
  })
})
