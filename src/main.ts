/**
 * `npm start`: until the server exists, a short tour of what the project offers so far. It
 * parses a request and a chunked response with the HTTP/1.1 codec and prints what came out.
 *
 * @module
 */
import { Console, Effect } from "effect"
import { Headers } from "./domain/Headers.js"
import { Event, Parser } from "./domain/http1/Parser.js"
import { encodeChunk, encodeLastChunk, encodeRequest, requestFraming } from "./domain/http1/writer.js"

const request = encodeRequest(
  {
    method: "POST",
    target: "/greet?lang=en",
    host: "127.0.0.1:8080",
    headers: Headers.make({ "content-type": "text/plain", "x-trace-id": "42" }),
    framing: requestFraming("POST", 5)
  },
  Buffer.from("hello")
)

const response = Buffer.concat([
  Buffer.from("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: Server-Timing\r\n\r\n"),
  encodeChunk(Buffer.from("chunked ")),
  encodeChunk(Buffer.from("body")),
  encodeLastChunk(Headers.make({ "server-timing": "total;dur=1" }))
])

/** Feeds `bytes` to `parser` one byte at a time (as a slow network might) and describes the events. */
const describe = (parser: Parser, bytes: Buffer): Array<string> => {
  const lines: Array<string> = []
  let body = ""
  for (let i = 0; i < bytes.length; i++) {
    parser.feed(bytes.subarray(i, i + 1))
    for (let ev = parser.next(); ev !== Event.NeedMore; ev = parser.next()) {
      if (ev === Event.Head) {
        const h = parser.head
        lines.push("head    " + ("method" in h ? `${h.method} ${h.target} ${h.proto}` : `${h.proto} ${h.status} ${h.reason}`))
        for (const [k, v] of h.headers) lines.push(`        ${k}: ${v}`)
        lines.push(`framing ${h.framing}, keep-alive ${h.keepAlive}`)
      } else if (ev === Event.Body) body += parser.chunk.toString("latin1")
      else if (ev === Event.End) {
        lines.push(`body    ${JSON.stringify(body)}`)
        if (parser.trailers !== undefined) lines.push(`trailer ${JSON.stringify(parser.trailers.toRecord())}`)
      } else if (ev === Event.Error) {
        lines.push(`error   ${parser.error?.message}`)
        return lines
      } else break
    }
  }
  return lines
}

const program = Effect.gen(function*() {
  yield* Console.log("effect-nethttp: Go's net/http as an Effect-native HTTP/1.1 stack (work in progress)\n")
  yield* Console.log("Available now: domain values (Headers, Method, Status, Body, Request, Response, typed errors)")
  yield* Console.log("and a strict, incremental HTTP/1.1 codec (src/domain/http1). Coming: Transport, Client, Server, ServeMux.\n")
  yield* Console.log("A request written by our writer, parsed back one byte at a time:")
  for (const line of describe(Parser.request(), request)) yield* Console.log("  " + line)
  yield* Console.log("\nA chunked response with a trailer:")
  for (const line of describe(Parser.response(), response)) yield* Console.log("  " + line)
  yield* Console.log("\nA request that smuggles a body with both Transfer-Encoding and Content-Length:")
  const smuggle = Buffer.from("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
  for (const line of describe(Parser.request(), smuggle)) yield* Console.log("  " + line)
})

Effect.runPromise(program).catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
