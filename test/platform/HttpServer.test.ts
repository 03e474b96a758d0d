/**
 * `NetHttpServer` (our `HttpServer.HttpServer` layer over `Server`) against
 * @effect/platform-node's `NodeHttpServer`: every case runs the same @effect/platform app on
 * both servers (a `describe.each` over the two layers) and talks to it with stock clients
 * (`NodeHttpClient.layerUndici`, `node:http`, `node:net`, `ws`), covering what the platform's
 * own HttpServer tests cover — routers, schemas, multipart, files, cookies, tracing, client
 * aborts, middleware, HttpApi — and the body kinds, HEAD, streaming both ways, backpressure and
 * WebSocket upgrades.
 *
 * Where the stock server behaves otherwise a case says so with a per-server expectation (the
 * `ServerCase` flags): stock writes the default reason phrase whatever `statusText` says, ends a
 * response cleanly when its body stream fails after the head (ours cuts the connection, so the
 * client cannot take a broken body as whole), destroys the connection instead of answering when
 * a body exceeds `MaxBodySize`, and does not enforce the multipart size limits in these versions.
 *
 * A last group covers what only our layer does (nothing served, Config, a file byte range, the
 * server's own body limit, the client-abort FiberId).
 */
import {
  Cookies,
  Etag,
  FileSystem,
  HttpApi,
  HttpApiBuilder,
  HttpApiEndpoint,
  HttpApiError,
  HttpApiGroup,
  HttpBody,
  HttpClient,
  HttpClientRequest,
  HttpClientResponse,
  HttpLayerRouter,
  HttpMiddleware,
  HttpMultiplex,
  HttpPlatform,
  HttpRouter,
  HttpServer,
  HttpServerError,
  HttpServerRequest,
  HttpServerRespondable,
  HttpServerResponse,
  Multipart,
  Socket,
  UrlParams
} from "@effect/platform"
import { NodeContext, NodeHttpClient, NodeHttpServer } from "@effect/platform-node"
import { assert, describe, expect, it } from "@effect/vitest"
import { Cause, Chunk, Config, ConfigProvider, Deferred, Duration, Effect, Exit, Fiber, HashMap, HashSet, Layer, Logger, Option, Ref, Schema, Stream, Tracer } from "effect"
import * as NodeBuffer from "node:buffer"
import * as fs from "node:fs"
import * as http from "node:http"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { Readable } from "node:stream"
import { afterAll } from "vitest"
import { WebSocket } from "ws"
import * as NetHttpServer from "../../src/platform/HttpServer.js"

// ---------------------------------------------------------------------------------------------
// The two servers

interface ServerCase {
  readonly name: string
  readonly layer: () => Layer.Layer<HttpServer.HttpServer | HttpPlatform.HttpPlatform | Etag.Generator, unknown>
  /** Whether `statusText` reaches the status line (stock writes the default reason phrase). */
  readonly sendsStatusText: boolean
  /** Whether a body stream failing after the head cuts the connection (stock ends the body cleanly). */
  readonly cutsFailedStreams: boolean
  /**
   * Whether a body over `MaxBodySize` is answered (the app's RequestError response); stock
   * destroys the request's socket when its read fails, so the client gets no answer.
   */
  readonly answersOverMaxBodySize: boolean
  /**
   * Whether `Multipart.withMaxFileSize`/`withMaxFieldSize` hold: stock's node:stream multipart
   * parser (platform-node-shared over multipasta/node) lets both through in these versions.
   */
  readonly enforcesMultipartLimits: boolean
}

const SERVERS: ReadonlyArray<ServerCase> = [
  {
    name: "NodeHttpServer",
    layer: () => NodeHttpServer.layer(() => http.createServer(), { port: 0, host: "127.0.0.1" }),
    sendsStatusText: false,
    cutsFailedStreams: false,
    answersOverMaxBodySize: false,
    enforcesMultipartLimits: false
  },
  {
    name: "NetHttpServer",
    layer: () => NetHttpServer.layer({ port: 0, host: "127.0.0.1" }),
    sendsStatusText: true,
    cutsFailedStreams: true,
    answersOverMaxBodySize: true,
    enforcesMultipartLimits: true
  }
]

/** The server, a client with its URL prepended (undici, closed with the test), and NodeContext. */
const testLayer = (server: ServerCase) =>
  HttpServer.layerTestClient.pipe(
    Layer.provide(NodeHttpClient.layerUndici),
    Layer.provideMerge(server.layer()),
    Layer.provideMerge(NodeContext.layer)
  )

/** Runs a test with `layer`, the test's own Scope (served apps, clients, sockets) closing before the layer's. */
const withLayer = <ROut, LE>(layer: Layer.Layer<ROut, LE>) => <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.provide(Effect.scoped(self), layer)

/**
 * A FormData as a request body, encoded by the runtime's `Response` (undici 7's client cannot
 * encode the runtime's own FormData objects).
 */
const formBody = (form: FormData): Effect.Effect<HttpBody.HttpBody> =>
  Effect.promise(async () => {
    const encoded = new Response(form)
    return HttpBody.uint8Array(new Uint8Array(await encoded.arrayBuffer()), encoded.headers.get("content-type")!)
  })

/** The port the test's server listens on. */
const serverPort = Effect.map(HttpServer.HttpServer, (server) => (server.address as HttpServer.TcpAddress).port)

// ---------------------------------------------------------------------------------------------
// Stock clients for what the Effect client does not show (reason phrases, HEAD framing, raw bytes)

interface NodeResponse {
  readonly status: number
  readonly statusMessage: string
  readonly headers: http.IncomingHttpHeaders
  readonly body: string
}

/** One request with node:http on a connection of its own (closed afterwards). */
const nodeRequest = (
  port: number,
  options: { readonly method?: string; readonly path?: string; readonly headers?: http.OutgoingHttpHeaders | ReadonlyArray<string>; readonly body?: string }
): Effect.Effect<NodeResponse, Error> =>
  Effect.async<NodeResponse, Error>((resume) => {
    const req = http.request({
      host: "127.0.0.1",
      port,
      method: options.method ?? "GET",
      path: options.path ?? "/",
      headers: options.headers as http.OutgoingHttpHeaders,
      agent: false
    }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (c: Buffer) => chunks.push(c))
      res.on("end", () => resume(Effect.succeed({ status: res.statusCode!, statusMessage: res.statusMessage ?? "", headers: res.headers, body: Buffer.concat(chunks).toString("utf8") })))
      res.on("error", (e) => resume(Effect.fail(e)))
    })
    req.on("error", (e) => resume(Effect.fail(e)))
    req.end(options.body)
    return Effect.sync(() => req.destroy())
  })

/** Opens a raw TCP connection, closed with the Scope. */
const rawConnect = (port: number) =>
  Effect.acquireRelease(
    Effect.async<net.Socket, Error>((resume) => {
      const socket = net.connect({ host: "127.0.0.1", port }, () => resume(Effect.succeed(socket)))
      socket.on("error", (e) => resume(Effect.fail(e)))
    }),
    (socket) => Effect.sync(() => socket.destroy())
  )

/** A WebSocket client, closed with the Scope. */
const wsConnect = (url: string) =>
  Effect.acquireRelease(
    Effect.async<WebSocket, Error>((resume) => {
      const ws = new WebSocket(url)
      ws.once("open", () => resume(Effect.succeed(ws)))
      ws.once("error", (e) => resume(Effect.fail(e)))
    }),
    (ws) =>
      Effect.async<void>((resume) => {
        if (ws.readyState === WebSocket.CLOSED) return resume(Effect.void)
        ws.once("close", () => resume(Effect.void))
        ws.close(1000)
      }).pipe(Effect.timeoutTo({ duration: "2 seconds", onSuccess: () => undefined, onTimeout: () => ws.terminate() }))
  )

const nextMessage = (ws: WebSocket): Effect.Effect<string> =>
  Effect.async<string>((resume) => {
    ws.once("message", (data) => resume(Effect.succeed(String(data))))
  })

// ---------------------------------------------------------------------------------------------
// Fixtures

const fixtures = fs.mkdtempSync(path.join(os.tmpdir(), "nethttp-platform-"))
const textFile = path.join(fixtures, "text.txt")
fs.writeFileSync(textFile, "lorem ipsum dolar sit amet\n")
const bigFile = path.join(fixtures, "big.bin")
const bigContent = Buffer.alloc(3 * 1024 * 1024 + 123, 0)
for (let i = 0; i < bigContent.length; i++) bigContent[i] = (i * 31) & 0xff
fs.writeFileSync(bigFile, bigContent)
afterAll(() => fs.rmSync(fixtures, { recursive: true, force: true }))

const Todo = Schema.Struct({ id: Schema.Number, title: Schema.String })
const IdParams = Schema.Struct({ id: Schema.NumberFromString })
const todoResponse = HttpServerResponse.schemaJson(Todo)

class User extends Schema.Class<User>("User")({ id: Schema.Number, name: Schema.String }) {}

const Api = HttpApi.make("api").add(
  HttpApiGroup.make("users")
    .add(
      HttpApiEndpoint.get("getUser", "/users/:id")
        .setPath(Schema.Struct({ id: Schema.NumberFromString }))
        .addSuccess(User)
        .addError(HttpApiError.NotFound)
    )
    .add(
      HttpApiEndpoint.post("createUser", "/users")
        .setPayload(Schema.Struct({ name: Schema.NonEmptyString }))
        .addSuccess(User, { status: 201 })
    )
)

const UsersLive = HttpApiBuilder.group(Api, "users", (handlers) =>
  handlers
    .handle("getUser", ({ path }) => path.id === 1 ? Effect.succeed(new User({ id: 1, name: "Ada" })) : Effect.fail(new HttpApiError.NotFound()))
    .handle("createUser", ({ payload }) => Effect.succeed(new User({ id: 2, name: payload.name }))))

// ---------------------------------------------------------------------------------------------

describe.each(SERVERS)("$name", (server) => {
  const provide = withLayer(testLayer(server))

  // --- routers and schemas -------------------------------------------------------------------

  it.scopedLive("schema params and a schema JSON response", () =>
    Effect.gen(function*() {
      yield* HttpRouter.empty.pipe(
        HttpRouter.get("/todos/:id", Effect.flatMap(HttpRouter.schemaParams(IdParams), ({ id }) => todoResponse({ id, title: "test" }))),
        HttpServer.serveEffect()
      )
      const todo = yield* HttpClient.get("/todos/1").pipe(Effect.flatMap(HttpClientResponse.schemaBodyJson(Todo)))
      expect(todo).toEqual({ id: 1, title: "test" })
    }).pipe(provide))

  it.scopedLive("HttpLayerRouter", () =>
    Effect.gen(function*() {
      const handler = yield* HttpLayerRouter.toHttpEffect(HttpLayerRouter.use(Effect.fnUntraced(function*(router) {
        yield* router.add("GET", "/todos/:id", Effect.flatMap(HttpLayerRouter.schemaParams(IdParams), ({ id }) => todoResponse({ id, title: "test" })))
      })))
      yield* HttpServer.serveEffect(handler)
      const todo = yield* HttpClient.get("/todos/1").pipe(Effect.flatMap(HttpClientResponse.schemaBodyJson(Todo)))
      expect(todo).toEqual({ id: 1, title: "test" })
    }).pipe(provide))

  it.scopedLive("HttpLayerRouter prefixed", () =>
    Effect.gen(function*() {
      const handler = yield* HttpLayerRouter.toHttpEffect(HttpLayerRouter.use(Effect.fnUntraced(function*(root) {
        const router = root.prefixed("/todos")
        yield* router.add("GET", "/:id", Effect.flatMap(HttpLayerRouter.schemaParams(IdParams), ({ id }) => todoResponse({ id, title: "test" })))
        yield* router.addAll([HttpLayerRouter.route("GET", "/", Effect.succeed(HttpServerResponse.text("root")))])
      })))
      yield* HttpServer.serveEffect(handler)
      expect(yield* HttpClient.get("/todos/1").pipe(Effect.flatMap(HttpClientResponse.schemaBodyJson(Todo)))).toEqual({ id: 1, title: "test" })
      expect(yield* HttpClient.get("/todos").pipe(Effect.flatMap((r) => r.text))).toEqual("root")
    }).pipe(provide))

  it.scopedLive("HttpApi: path schema, payload schema, typed errors", () =>
    Effect.gen(function*() {
      const client = yield* HttpClient.HttpClient
      const ok = yield* client.get("/users/1")
      expect(ok.status).toEqual(200)
      expect(yield* HttpClientResponse.schemaBodyJson(User)(ok)).toEqual(new User({ id: 1, name: "Ada" }))
      const missing = yield* client.get("/users/7")
      expect(missing.status).toEqual(404)
      const badPath = yield* client.get("/users/abc")
      expect(badPath.status).toEqual(400)
      const created = yield* client.post("/users", { body: HttpBody.unsafeJson({ name: "Grace" }) })
      expect(created.status).toEqual(201)
      expect(yield* HttpClientResponse.schemaBodyJson(User)(created)).toEqual(new User({ id: 2, name: "Grace" }))
      const invalid = yield* client.post("/users", { body: HttpBody.unsafeJson({ name: "" }) })
      expect(invalid.status).toEqual(400)
    }).pipe(
      withLayer(
        HttpApiBuilder.serve().pipe(
          Layer.provide(HttpApiBuilder.api(Api).pipe(Layer.provide(UsersLive))),
          Layer.provideMerge(testLayer(server))
        )
      )
    ))

  it.scopedLive("served as a Layer: HttpLayerRouter.serve with middleware, and HttpServer.serve", () =>
    Effect.gen(function*() {
      const client = yield* HttpClient.HttpClient
      const res = yield* client.get("/layer/7", { headers: { "x-forwarded-for": "198.51.100.1" } })
      expect(yield* res.json).toEqual({ id: "7", remote: "198.51.100.1" })
      expect((yield* client.get("/nope")).status).toEqual(404)
    }).pipe(
      withLayer(
        HttpLayerRouter.serve(
          HttpLayerRouter.use((router) =>
            router.add(
              "GET",
              "/layer/:id",
              Effect.gen(function*() {
                const { params } = yield* HttpLayerRouter.RouteContext
                const request = yield* HttpServerRequest.HttpServerRequest
                return HttpServerResponse.unsafeJson({ id: params.id, remote: Option.getOrNull(request.remoteAddress) })
              })
            )
          ),
          { disableListenLog: true, disableLogger: true, middleware: HttpMiddleware.xForwardedHeaders }
        ).pipe(Layer.provideMerge(testLayer(server)))
      )
    ))

  it.scopedLive("schemaBodyJson", () =>
    Effect.gen(function*() {
      yield* HttpRouter.empty.pipe(
        HttpRouter.post("/todos", Effect.flatMap(HttpServerRequest.schemaBodyJson(Todo), (todo) => todoResponse({ ...todo, title: todo.title.toUpperCase() }))),
        HttpServer.serveEffect()
      )
      const client = yield* HttpClient.HttpClient
      const todo = yield* client.post("/todos", { body: HttpBody.unsafeJson({ id: 3, title: "shout" }) }).pipe(Effect.flatMap(HttpClientResponse.schemaBodyJson(Todo)))
      expect(todo).toEqual({ id: 3, title: "SHOUT" })
      const invalid = yield* client.post("/todos", { body: HttpBody.unsafeJson({ id: "x" }) })
      expect(invalid.status).toEqual(400)
      const notJson = yield* client.post("/todos", { body: HttpBody.text("{", "application/json") })
      expect(notJson.status).toEqual(400)
    }).pipe(provide))

  it.scopedLive("schemaBodyUrlParams, and its error caught by the router", () =>
    Effect.gen(function*() {
      const decode = HttpServerRequest.schemaBodyUrlParams(Schema.Struct({ id: Schema.NumberFromString, title: Schema.String }))
      yield* HttpRouter.empty.pipe(
        HttpRouter.post("/todos", Effect.flatMap(decode, ({ id, title }) => todoResponse({ id, title }))),
        HttpRouter.get("/todos", Effect.flatMap(decode, ({ id, title }) => todoResponse({ id, title }))),
        HttpRouter.catchTag("ParseError", (error) => HttpServerResponse.unsafeJson({ error }, { status: 400 })),
        HttpServer.serveEffect()
      )
      const todo = yield* HttpClientRequest.post("/todos").pipe(
        HttpClientRequest.bodyUrlParams({ id: "1", title: "test" }),
        HttpClient.execute,
        Effect.flatMap(HttpClientResponse.schemaBodyJson(Todo))
      )
      expect(todo).toEqual({ id: 1, title: "test" })
      expect((yield* HttpClient.get("/todos")).status).toEqual(400)
    }).pipe(provide))

  it.scopedLive("mount", () =>
    Effect.gen(function*() {
      const child = HttpRouter.empty.pipe(
        HttpRouter.get("/", Effect.map(HttpServerRequest.HttpServerRequest, (r) => HttpServerResponse.text(r.url))),
        HttpRouter.get("/:id", Effect.map(HttpServerRequest.HttpServerRequest, (r) => HttpServerResponse.text(r.url)))
      )
      yield* HttpRouter.empty.pipe(HttpRouter.mount("/child", child), HttpServer.serveEffect())
      const client = yield* HttpClient.HttpClient
      expect(yield* client.get("/child/1").pipe(Effect.flatMap((r) => r.text))).toEqual("/1")
      expect(yield* client.get("/child").pipe(Effect.flatMap((r) => r.text))).toEqual("/")
    }).pipe(provide))

  it.scopedLive("mountApp: paths, a query, a trailing slash, a near miss", () =>
    Effect.gen(function*() {
      const child = HttpRouter.empty.pipe(
        HttpRouter.get("/", Effect.map(HttpServerRequest.HttpServerRequest, (r) => HttpServerResponse.text(r.url))),
        HttpRouter.get("/:id", Effect.map(HttpServerRequest.HttpServerRequest, (r) => HttpServerResponse.text(r.url)))
      )
      yield* HttpRouter.empty.pipe(HttpRouter.mountApp("/child", child), HttpServer.serveEffect())
      const client = yield* HttpClient.HttpClient
      expect(yield* client.get("/child/1").pipe(Effect.flatMap((r) => r.text))).toEqual("/1")
      expect(yield* client.get("/child").pipe(Effect.flatMap((r) => r.text))).toEqual("/")
      expect(yield* client.get("/child?foo=bar").pipe(Effect.flatMap((r) => r.text))).toEqual("?foo=bar")
      expect(yield* client.get("/child/").pipe(Effect.flatMap((r) => r.text))).toEqual("/")
      expect((yield* client.get("/child1/", { urlParams: { foo: "bar" } })).status).toEqual(404)
    }).pipe(provide))

  it.scopedLive("mountApp with includePrefix", () =>
    Effect.gen(function*() {
      const child = HttpRouter.empty.pipe(
        HttpRouter.get("/child/", Effect.map(HttpServerRequest.HttpServerRequest, (r) => HttpServerResponse.text(r.url))),
        HttpRouter.get("/child/:id", Effect.map(HttpServerRequest.HttpServerRequest, (r) => HttpServerResponse.text(r.url)))
      )
      yield* HttpRouter.empty.pipe(HttpRouter.mountApp("/child", child, { includePrefix: true }), HttpServer.serveEffect())
      const client = yield* HttpClient.HttpClient
      expect(yield* client.get("/child/1").pipe(Effect.flatMap((r) => r.text))).toEqual("/child/1")
      expect(yield* client.get("/child").pipe(Effect.flatMap((r) => r.text))).toEqual("/child")
    }).pipe(provide))

  it.scopedLive("concat and concatAll", () =>
    Effect.gen(function*() {
      const a = HttpRouter.empty.pipe(HttpRouter.get("/a", HttpServerResponse.text("a")), HttpRouter.mountApp("/ma", HttpServerResponse.text("ma")))
      const b = HttpRouter.empty.pipe(HttpRouter.get("/b", HttpServerResponse.text("b")), HttpRouter.mountApp("/mb", HttpServerResponse.text("mb")))
      yield* HttpRouter.concatAll(a, b).pipe(HttpServer.serveEffect())
      const texts = yield* Effect.forEach(["/a", "/ma", "/b", "/mb"], (p) => HttpClient.get(p).pipe(Effect.flatMap((r) => r.text)), { concurrency: "unbounded" })
      expect(texts).toEqual(["a", "ma", "b", "mb"])
    }).pipe(provide))

  it.scopedLive("router config: maxParamLength", () =>
    Effect.gen(function*() {
      yield* HttpRouter.empty.pipe(HttpRouter.get("/:param", HttpServerResponse.empty()), HttpServer.serveEffect())
      expect((yield* HttpClient.get("/123456")).status).toEqual(404)
      expect((yield* HttpClient.get("/12345")).status).toEqual(204)
    }).pipe(provide, HttpRouter.withRouterConfig({ maxParamLength: 5 })))

  it.scopedLive("multiplex by host", () =>
    Effect.gen(function*() {
      yield* HttpMultiplex.empty.pipe(
        HttpMultiplex.hostExact("a.example.com", HttpServerResponse.text("A")),
        HttpMultiplex.hostStartsWith("b.", HttpServerResponse.text("B")),
        HttpMultiplex.hostRegex(/^c\.example/, HttpServerResponse.text("C")),
        HttpServer.serveEffect()
      )
      const client = yield* HttpClient.HttpClient
      const at = (host: string) => client.execute(HttpClientRequest.get("/").pipe(HttpClientRequest.setHeader("host", host))).pipe(Effect.flatMap((r) => r.text))
      expect(yield* at("a.example.com")).toEqual("A")
      expect(yield* at("b.example.com")).toEqual("B")
      expect(yield* at("b.org")).toEqual("B")
      expect(yield* at("c.example.com")).toEqual("C")
    }).pipe(provide))

  // --- errors --------------------------------------------------------------------------------

  it.scopedLive("404 from an empty router", () =>
    Effect.gen(function*() {
      yield* HttpRouter.empty.pipe(HttpServer.serveEffect())
      expect((yield* HttpClient.get("/home")).status).toEqual(404)
    }).pipe(provide))

  it.scopedLive("a Respondable error with a schema body", () =>
    Effect.gen(function*() {
      class CustomError extends Schema.TaggedError<CustomError>()("CustomError", { name: Schema.String }) {
        [HttpServerRespondable.symbol]() {
          return HttpServerResponse.schemaJson(CustomError)(this, { status: 599 })
        }
      }
      yield* HttpRouter.empty.pipe(HttpRouter.get("/home", new CustomError({ name: "test" })), HttpServer.serveEffect())
      const res = yield* HttpClient.get("/home")
      expect(res.status).toEqual(599)
      expect(yield* HttpClientResponse.schemaBodyJson(CustomError)(res)).toEqual(new CustomError({ name: "test" }))
    }).pipe(provide))

  it.scopedLive("a Respondable success value", () =>
    Effect.gen(function*() {
      class Named extends Schema.Class<Named>("Named")({ name: Schema.String }) {
        [HttpServerRespondable.symbol]() {
          return HttpServerResponse.schemaJson(Named)(this)
        }
      }
      yield* HttpRouter.empty.pipe(HttpRouter.get("/user", Effect.succeed(new Named({ name: "test" }))), HttpServer.serveEffect())
      expect(yield* HttpClient.get("/user").pipe(Effect.flatMap(HttpClientResponse.schemaBodyJson(Named)))).toEqual(new Named({ name: "test" }))
    }).pipe(provide))

  it.scopedLive("a failing middleware answers 500; a defect answers 500", () =>
    Effect.gen(function*() {
      yield* HttpRouter.empty.pipe(
        HttpRouter.get("/", HttpServerResponse.empty()),
        HttpServer.serveEffect(() => Effect.fail("boom"))
      )
      expect((yield* HttpClient.get("/")).status).toEqual(500)
    }).pipe(provide))

  it.scopedLive("a defect in a route answers 500, and the server goes on", () =>
    Effect.gen(function*() {
      yield* HttpRouter.empty.pipe(
        HttpRouter.get("/die", Effect.die(new Error("bug"))),
        HttpRouter.get("/ok", HttpServerResponse.text("ok")),
        HttpServer.serveEffect()
      )
      expect((yield* HttpClient.get("/die")).status).toEqual(500)
      expect(yield* HttpClient.get("/ok").pipe(Effect.flatMap((r) => r.text))).toEqual("ok")
    }).pipe(provide))

  // --- request bodies ------------------------------------------------------------------------

  it.scopedLive("multipart: a file and its content type, persisted", () =>
    Effect.gen(function*() {
      yield* HttpRouter.empty.pipe(
        HttpRouter.post(
          "/upload",
          Effect.gen(function*() {
            const request = yield* HttpServerRequest.HttpServerRequest
            const formData = yield* request.multipart
            const part = formData.file
            assert(typeof part !== "string")
            const file = part[0]
            assert(typeof file !== "string")
            const fs = yield* FileSystem.FileSystem
            const content = yield* fs.readFileString(file.path)
            return yield* HttpServerResponse.json({ name: path.basename(file.path), contentType: file.contentType, content })
          })
        ),
        HttpServer.serveEffect()
      )
      const formData = new FormData()
      formData.append("file", new Blob(["test"], { type: "text/plain" }), "test.txt")
      const result = yield* HttpClient.post("/upload", { body: (yield* formBody(formData)) }).pipe(Effect.flatMap((r) => r.json))
      expect(result).toEqual({ name: "test.txt", contentType: "text/plain", content: "test" })
    }).pipe(provide))

  it.scopedLive("schemaBodyForm: files and fields", () =>
    Effect.gen(function*() {
      yield* HttpRouter.empty.pipe(
        HttpRouter.post(
          "/upload",
          Effect.gen(function*() {
            const form = yield* HttpServerRequest.schemaBodyForm(Schema.Struct({ file: Multipart.FilesSchema, test: Schema.String }))
            return yield* HttpServerResponse.json({ files: form.file.length, test: form.test })
          })
        ),
        HttpServer.serveEffect()
      )
      const formData = new FormData()
      formData.append("file", new Blob(["test"], { type: "text/plain" }), "test.txt")
      formData.append("file", new Blob(["more"], { type: "text/plain" }), "more.txt")
      formData.append("test", "value")
      expect(yield* HttpClient.post("/upload", { body: (yield* formBody(formData)) }).pipe(Effect.flatMap((r) => r.json))).toEqual({ files: 2, test: "value" })
    }).pipe(provide))

  it.scopedLive("multipart limits: withMaxFileSize", () =>
    Effect.gen(function*() {
      yield* HttpRouter.empty.pipe(
        HttpRouter.post("/upload", Effect.flatMap(HttpServerRequest.HttpServerRequest, (r) => r.multipart).pipe(Effect.as(HttpServerResponse.empty()))),
        Effect.catchTag("MultipartError", (e) => e.reason === "FileTooLarge" ? HttpServerResponse.empty({ status: 413 }) : Effect.fail(e)),
        HttpServer.serveEffect(),
        // multipasta counts a part's header lines against the limit too.
        Multipart.withMaxFileSize(Option.some(1000))
      )
      const client = yield* HttpClient.HttpClient
      const big = new FormData()
      big.append("file", new Blob([new Uint8Array(5000)], { type: "text/plain" }), "test.txt")
      expect((yield* client.post("/upload", { body: yield* formBody(big) })).status).toEqual(server.enforcesMultipartLimits ? 413 : 204)
      const small = new FormData()
      small.append("file", new Blob([new Uint8Array(100)], { type: "text/plain" }), "test.txt")
      expect((yield* client.post("/upload", { body: yield* formBody(small) })).status).toEqual(204)
    }).pipe(provide))

  it.scopedLive("multipart limits: withMaxFieldSize", () =>
    Effect.gen(function*() {
      yield* HttpRouter.empty.pipe(
        HttpRouter.post("/upload", Effect.flatMap(HttpServerRequest.HttpServerRequest, (r) => r.multipart).pipe(Effect.as(HttpServerResponse.empty()))),
        Effect.catchTag("MultipartError", (e) => e.reason === "FieldTooLarge" ? HttpServerResponse.empty({ status: 413 }) : Effect.fail(e)),
        HttpServer.serveEffect(),
        Multipart.withMaxFieldSize(100)
      )
      const client = yield* HttpClient.HttpClient
      const big = new FormData()
      big.append("field", "x".repeat(1000))
      expect((yield* client.post("/upload", { body: yield* formBody(big) })).status).toEqual(server.enforcesMultipartLimits ? 413 : 204)
      const small = new FormData()
      small.append("field", "x")
      expect((yield* client.post("/upload", { body: yield* formBody(small) })).status).toEqual(204)
    }).pipe(provide))

  it.scopedLive("multipartStream: parts as they arrive", () =>
    Effect.gen(function*() {
      yield* HttpRouter.empty.pipe(
        HttpRouter.post(
          "/parts",
          Effect.gen(function*() {
            const request = yield* HttpServerRequest.HttpServerRequest
            const parts = yield* request.multipartStream.pipe(
              Stream.mapEffect((part) =>
                part._tag === "Field"
                  ? Effect.succeed(`field ${part.key}=${part.value}`)
                  : Stream.runFold(part.content, 0, (n, c) => n + c.length).pipe(Effect.map((n) => `file ${part.key} ${part.name} ${n}`))
              ),
              Stream.runCollect
            )
            return HttpServerResponse.text(Chunk.join(parts, "\n"))
          })
        ),
        HttpServer.serveEffect()
      )
      const formData = new FormData()
      formData.append("a", "1")
      formData.append("upload", new Blob([new Uint8Array(70_000)], { type: "application/octet-stream" }), "zeros.bin")
      formData.append("b", "2")
      const text = yield* HttpClient.post("/parts", { body: (yield* formBody(formData)) }).pipe(Effect.flatMap((r) => r.text))
      expect(text).toEqual("field a=1\nfile upload zeros.bin 70000\nfield b=2")
    }).pipe(provide))

  it.scopedLive("schemaBodyFormJson: a multipart field, a multipart file, a url-encoded field", () =>
    Effect.gen(function*() {
      yield* HttpRouter.empty.pipe(
        HttpRouter.post(
          "/upload",
          Effect.map(HttpServerRequest.schemaBodyFormJson(Schema.Struct({ test: Schema.String }))("json"), (r) => HttpServerResponse.text(r.test))
        ),
        HttpServer.serveEffect()
      )
      const client = yield* HttpClient.HttpClient
      const field = new FormData()
      field.append("json", JSON.stringify({ test: "field" }))
      expect(yield* client.post("/upload", { body: yield* formBody(field) }).pipe(Effect.flatMap((r) => r.text))).toEqual("field")
      const file = new FormData()
      file.append("json", new Blob([JSON.stringify({ test: "file" })], { type: "application/json" }), "test.json")
      expect(yield* client.post("/upload", { body: yield* formBody(file) }).pipe(Effect.flatMap((r) => r.text))).toEqual("file")
      const urlEncoded = HttpBody.urlParams(UrlParams.fromInput({ json: JSON.stringify({ test: "url" }) }))
      expect(yield* client.post("/upload", { body: urlEncoded }).pipe(Effect.flatMap((r) => r.text))).toEqual("url")
    }).pipe(provide))

  it.scopedLive("text, json, arrayBuffer and urlParamsBody share one read of the body", () =>
    Effect.gen(function*() {
      yield* HttpRouter.empty.pipe(
        HttpRouter.post(
          "/twice",
          Effect.gen(function*() {
            const request = yield* HttpServerRequest.HttpServerRequest
            const text = yield* request.text
            const json = yield* request.json
            return yield* HttpServerResponse.json({ text, json })
          })
        ),
        HttpRouter.post(
          "/empty",
          Effect.flatMap(HttpServerRequest.HttpServerRequest, (r) => Effect.map(r.json, (json) => HttpServerResponse.unsafeJson({ json })))
        ),
        HttpRouter.post(
          "/bytes",
          Effect.flatMap(HttpServerRequest.HttpServerRequest, (r) => Effect.map(r.arrayBuffer, (ab) => HttpServerResponse.text(`${ab.byteLength} ${new Uint8Array(ab)[0]}`)))
        ),
        HttpRouter.post(
          "/params",
          Effect.flatMap(HttpServerRequest.HttpServerRequest, (r) => Effect.map(r.urlParamsBody, (p) => HttpServerResponse.unsafeJson(p)))
        ),
        HttpServer.serveEffect()
      )
      const client = yield* HttpClient.HttpClient
      expect(yield* client.post("/twice", { body: HttpBody.text("[1,2]", "application/json") }).pipe(Effect.flatMap((r) => r.json))).toEqual({ text: "[1,2]", json: [1, 2] })
      expect(yield* client.post("/empty").pipe(Effect.flatMap((r) => r.json))).toEqual({ json: null })
      expect(yield* client.post("/bytes", { body: HttpBody.uint8Array(new Uint8Array([7, 8, 9])) }).pipe(Effect.flatMap((r) => r.text))).toEqual("3 7")
      expect(yield* client.post("/params", { body: HttpBody.urlParams(UrlParams.fromInput({ a: "1", b: ["2", "3"] })) }).pipe(Effect.flatMap((r) => r.json))).toEqual([["a", "1"], ["b", "2"], ["b", "3"]])
    }).pipe(provide))

  it.scopedLive("a streamed request body (chunked, 1 MiB) read as a stream", () =>
    Effect.gen(function*() {
      yield* HttpRouter.empty.pipe(
        HttpRouter.post(
          "/count",
          Effect.gen(function*() {
            const request = yield* HttpServerRequest.HttpServerRequest
            const [chunks, bytes, sum] = yield* Stream.runFold(request.stream, [0, 0, 0] as [number, number, number], ([c, n, s], chunk): [number, number, number] => {
              let t = s
              for (const b of chunk) t = (t + b) % 65521
              return [c + 1, n + chunk.length, t]
            })
            return yield* HttpServerResponse.json({ bytes, sum, chunked: request.headers["transfer-encoding"], several: chunks > 1 })
          })
        ),
        HttpServer.serveEffect()
      )
      const piece = new Uint8Array(16 * 1024).map((_, i) => i & 0xff)
      const body = Stream.fromIterable(Array.from({ length: 64 }, () => piece))
      let expected = 0
      for (let k = 0; k < 64; k++) for (const b of piece) expected = (expected + b) % 65521
      const result = yield* HttpClient.post("/count", { body: HttpBody.stream(body, "application/octet-stream") }).pipe(Effect.flatMap((r) => r.json))
      expect(result).toEqual({ bytes: 64 * 16 * 1024, sum: expected, chunked: "chunked", several: true })
    }).pipe(provide))

  it.scopedLive("the request body streamed back as the response body", () =>
    Effect.gen(function*() {
      yield* HttpRouter.empty.pipe(
        HttpRouter.post("/echo", Effect.map(HttpServerRequest.HttpServerRequest, (r) => HttpServerResponse.stream(r.stream, { contentType: "application/octet-stream" }))),
        HttpServer.serveEffect()
      )
      const payload = new Uint8Array(300_000).map((_, i) => (i * 7) & 0xff)
      const back = yield* HttpClient.post("/echo", { body: HttpBody.uint8Array(payload) }).pipe(Effect.flatMap((r) => r.arrayBuffer))
      expect(new Uint8Array(back)).toEqual(payload)
    }).pipe(provide))

  it.scopedLive("MaxBodySize: a body over the limit fails the read with a RequestError", () =>
    Effect.gen(function*() {
      yield* HttpRouter.empty.pipe(
        HttpRouter.post("/limited", Effect.flatMap(HttpServerRequest.HttpServerRequest, (r) => Effect.map(r.text, (t) => HttpServerResponse.text(`${t.length}`)))),
        HttpRouter.catchTag("RequestError", (e) => HttpServerResponse.text(`${e.reason}`, { status: 400 })),
        HttpServerRequest.withMaxBodySize(Option.some(FileSystem.Size(16))),
        HttpServer.serveEffect()
      )
      const client = yield* HttpClient.HttpClient
      const ok = yield* client.post("/limited", { body: HttpBody.text("x".repeat(16)) })
      expect(ok.status).toEqual(200)
      expect(yield* ok.text).toEqual("16")
      const over = yield* Effect.either(client.post("/limited", { body: HttpBody.text("x".repeat(100)) }))
      if (server.answersOverMaxBodySize) {
        assert(over._tag === "Right")
        expect(over.right.status).toEqual(400)
        expect(yield* over.right.text).toEqual("Decode")
      } else {
        expect(over._tag).toEqual("Left")
      }
    }).pipe(provide))

  it.scopedLive("toWeb: the request as a web Request with its body", () =>
    Effect.gen(function*() {
      yield* HttpRouter.empty.pipe(
        HttpRouter.post(
          "/echo",
          Effect.gen(function*() {
            const request = yield* HttpServerRequest.HttpServerRequest
            const web = yield* HttpServerRequest.toWeb(request)
            const body = yield* Effect.promise(() => web.json() as Promise<unknown>)
            return HttpServerResponse.unsafeJson({ received: body, method: web.method, path: new URL(web.url).pathname })
          })
        ),
        HttpServer.serveEffect()
      )
      const res = yield* HttpClient.post("/echo", { body: HttpBody.unsafeJson({ message: "hello" }) })
      expect(yield* res.json).toEqual({ received: { message: "hello" }, method: "POST", path: "/echo" })
    }).pipe(provide))

  // --- request head --------------------------------------------------------------------------

  it.scopedLive("request headers: lower-case names, repeated fields joined, cookies parsed", () =>
    Effect.gen(function*() {
      yield* HttpRouter.empty.pipe(
        HttpRouter.get(
          "/h",
          Effect.map(HttpServerRequest.HttpServerRequest, (r) =>
            HttpServerResponse.unsafeJson({
              custom: r.headers["x-custom"],
              multi: r.headers["x-multi"],
              cookie: r.headers["cookie"],
              cookies: r.cookies,
              method: r.method,
              url: r.url,
              originalUrl: r.originalUrl,
              remote: Option.getOrNull(r.remoteAddress)
            }))
        ),
        HttpServer.serveEffect()
      )
      const port = yield* serverPort
      const res = yield* nodeRequest(port, {
        path: "/h?q=1",
        headers: ["Host", `127.0.0.1:${port}`, "X-Custom", "yes", "X-Multi", "a", "X-Multi", "b", "Cookie", "a=1", "Cookie", "b=two%20words"]
      })
      expect(JSON.parse(res.body)).toEqual({
        custom: "yes",
        multi: "a, b",
        cookie: "a=1; b=two%20words",
        cookies: { a: "1", b: "two words" },
        method: "GET",
        url: "/h?q=1",
        originalUrl: "/h?q=1",
        remote: "127.0.0.1"
      })
    }).pipe(provide))

  it.scopedLive("search params: schemaSearchParams", () =>
    Effect.gen(function*() {
      yield* HttpRouter.empty.pipe(
        HttpRouter.get(
          "/search",
          Effect.map(HttpServerRequest.schemaSearchParams(Schema.Struct({ q: Schema.String, n: Schema.NumberFromString, tag: Schema.Array(Schema.String) })), (p) => HttpServerResponse.unsafeJson(p))
        ),
        HttpServer.serveEffect()
      )
      expect(yield* HttpClient.get("/search?q=hi&n=4&tag=a&tag=b").pipe(Effect.flatMap((r) => r.json))).toEqual({ q: "hi", n: 4, tag: ["a", "b"] })
    }).pipe(provide))

  // --- responses -----------------------------------------------------------------------------

  it.scopedLive("text, html, json, uint8Array, urlParams and empty responses", () =>
    Effect.gen(function*() {
      yield* HttpRouter.empty.pipe(
        HttpRouter.get("/text", HttpServerResponse.text("hello")),
        HttpRouter.get("/html", HttpServerResponse.html("<html />")),
        HttpRouter.get("/json", HttpServerResponse.json({ a: [1, "b"] })),
        HttpRouter.get("/bytes", HttpServerResponse.uint8Array(new Uint8Array([1, 2, 3]), { contentType: "application/x-three" })),
        HttpRouter.get("/params", HttpServerResponse.urlParams({ a: "1", b: "x y" })),
        HttpRouter.get("/empty", HttpServerResponse.empty()),
        HttpServer.serveEffect()
      )
      const client = yield* HttpClient.HttpClient
      const text = yield* client.get("/text")
      expect([text.status, text.headers["content-type"], text.headers["content-length"], yield* text.text]).toEqual([200, "text/plain", "5", "hello"])
      const html = yield* client.get("/html")
      expect([html.headers["content-type"], yield* html.text]).toEqual(["text/html", "<html />"])
      const json = yield* client.get("/json")
      expect([json.headers["content-type"], yield* json.json]).toEqual(["application/json", { a: [1, "b"] }])
      const bytes = yield* client.get("/bytes")
      expect([bytes.headers["content-type"], [...new Uint8Array(yield* bytes.arrayBuffer)]]).toEqual(["application/x-three", [1, 2, 3]])
      const params = yield* client.get("/params")
      expect([params.headers["content-type"], yield* params.text]).toEqual(["application/x-www-form-urlencoded", "a=1&b=x+y"])
      const empty = yield* client.get("/empty")
      expect([empty.status, yield* empty.text]).toEqual([204, ""])
    }).pipe(provide))

  it.scopedLive("html templates and an html stream", () =>
    Effect.gen(function*() {
      yield* HttpRouter.empty.pipe(
        HttpRouter.get("/about", HttpServerResponse.html`<html>${Effect.succeed("<body />")}</html>`),
        HttpRouter.get("/stream", HttpServerResponse.htmlStream`<html>${Stream.make("<body />", 123, "hello")}</html>`),
        HttpServer.serveEffect()
      )
      expect(yield* HttpClient.get("/about").pipe(Effect.flatMap((r) => r.text))).toEqual("<html><body /></html>")
      expect(yield* HttpClient.get("/stream").pipe(Effect.flatMap((r) => r.text))).toEqual("<html><body />123hello</html>")
    }).pipe(provide))

  it.scopedLive("response headers, a status, and the status text", () =>
    Effect.gen(function*() {
      yield* HttpRouter.empty.pipe(
        HttpRouter.get(
          "/",
          HttpServerResponse.text("made", { status: 201, statusText: "Made It", headers: { "x-one": "1", "X-Two": "two" } }).pipe(HttpServerResponse.setHeader("cache-control", "no-store"))
        ),
        HttpServer.serveEffect()
      )
      const res = yield* nodeRequest(yield* serverPort, {})
      expect(res.status).toEqual(201)
      expect(res.statusMessage).toEqual(server.sendsStatusText ? "Made It" : "Created")
      expect([res.headers["x-one"], res.headers["x-two"], res.headers["cache-control"], res.body]).toEqual(["1", "two", "no-store", "made"])
    }).pipe(provide))

  it.scopedLive("cookies: several Set-Cookie fields with their attributes", () =>
    Effect.gen(function*() {
      yield* HttpRouter.empty.pipe(
        HttpRouter.get(
          "/home",
          HttpServerResponse.empty().pipe(
            HttpServerResponse.unsafeSetCookie("test", "value"),
            HttpServerResponse.unsafeSetCookie("test2", "value2", {
              httpOnly: true,
              secure: true,
              sameSite: "lax",
              partitioned: true,
              path: "/",
              domain: "example.com",
              expires: new Date(2022, 1, 1, 0, 0, 0, 0),
              maxAge: "5 minutes"
            })
          )
        ),
        HttpServer.serveEffect()
      )
      const res = yield* HttpClient.get("/home")
      assert.deepStrictEqual(
        res.cookies.toJSON(),
        Cookies.fromReadonlyRecord({
          test: Cookies.unsafeMakeCookie("test", "value"),
          test2: Cookies.unsafeMakeCookie("test2", "value2", {
            httpOnly: true,
            secure: true,
            sameSite: "lax",
            partitioned: true,
            path: "/",
            domain: "example.com",
            expires: new Date(2022, 1, 1, 0, 0, 0, 0),
            maxAge: Duration.minutes(5)
          })
        }).toJSON()
      )
      const raw = yield* nodeRequest(yield* serverPort, { path: "/home" })
      expect(raw.headers["set-cookie"]?.length).toEqual(2)
    }).pipe(provide))

  it.scopedLive("HEAD: the head of the GET route, no body", () =>
    Effect.gen(function*() {
      yield* HttpRouter.empty.pipe(
        HttpRouter.get("/", HttpServerResponse.text("Hello, World!")),
        HttpRouter.get("/stream", HttpServerResponse.stream(Stream.make(new Uint8Array([1, 2, 3])), { contentLength: 3, contentType: "application/octet-stream" })),
        HttpServer.serveEffect()
      )
      const port = yield* serverPort
      const head = yield* nodeRequest(port, { method: "HEAD" })
      expect([head.status, head.headers["content-length"], head.headers["content-type"], head.body]).toEqual([200, "13", "text/plain", ""])
      const stream = yield* nodeRequest(port, { method: "HEAD", path: "/stream" })
      expect([stream.status, stream.headers["content-length"], stream.body]).toEqual([200, "3", ""])
      // The connection is still good for a GET after a HEAD (no stray body bytes).
      const client = yield* HttpClient.HttpClient
      expect((yield* client.head("/")).status).toEqual(200)
      expect(yield* client.get("/").pipe(Effect.flatMap((r) => r.text))).toEqual("Hello, World!")
    }).pipe(provide))

  it.scopedLive("redirects", () =>
    Effect.gen(function*() {
      yield* HttpRouter.empty.pipe(
        HttpRouter.get("/old", HttpServerResponse.redirect("/new", { status: 301 })),
        HttpRouter.get("/found", HttpServerResponse.redirect("/new")),
        HttpRouter.get("/new", HttpServerResponse.text("new")),
        HttpServer.serveEffect()
      )
      const client = yield* HttpClient.HttpClient
      const moved = yield* client.get("/old")
      expect([moved.status, moved.headers["location"]]).toEqual([301, "/new"])
      expect((yield* client.get("/found")).status).toEqual(302)
      const followed = yield* HttpClient.followRedirects(client).get("/old")
      expect([followed.status, yield* followed.text]).toEqual([200, "new"])
    }).pipe(provide))

  it.scopedLive("a streamed response: chunks as they come, with and without a length", () =>
    Effect.gen(function*() {
      const chunks = ["alpha ", "beta ", "gamma"]
      const slow = Stream.fromIterable(chunks).pipe(Stream.mapEffect((s) => Effect.as(Effect.sleep("5 millis"), new TextEncoder().encode(s))))
      yield* HttpRouter.empty.pipe(
        HttpRouter.get("/chunked", HttpServerResponse.stream(slow, { contentType: "text/plain" })),
        HttpRouter.get("/sized", HttpServerResponse.stream(slow, { contentType: "text/plain", contentLength: 16 })),
        HttpServer.serveEffect()
      )
      const port = yield* serverPort
      const chunked = yield* nodeRequest(port, { path: "/chunked" })
      expect([chunked.headers["transfer-encoding"], chunked.body]).toEqual(["chunked", "alpha beta gamma"])
      const sized = yield* nodeRequest(port, { path: "/sized" })
      expect([sized.headers["content-length"], sized.body]).toEqual(["16", "alpha beta gamma"])
    }).pipe(provide))

  it.scopedLive("a large streamed response is pulled only as fast as the client reads", () =>
    Effect.gen(function*() {
      const pulled = yield* Ref.make(0)
      const chunk = new Uint8Array(64 * 1024)
      const total = 256 // 16 MiB
      const body = Stream.repeatEffect(Effect.as(Ref.update(pulled, (n) => n + 1), chunk)).pipe(Stream.take(total))
      yield* HttpRouter.empty.pipe(HttpRouter.get("/big", HttpServerResponse.stream(body, { contentType: "application/octet-stream" })), HttpServer.serveEffect())
      const socket = yield* rawConnect(yield* serverPort)
      socket.pause()
      socket.write("GET /big HTTP/1.1\r\nHost: localhost\r\n\r\n")
      yield* Effect.sleep("300 millis")
      // A client that does not read holds the server back: far fewer chunks than the body's.
      const early = yield* Ref.get(pulled)
      expect(early).toBeGreaterThan(0)
      expect(early).toBeLessThan(total / 2)
      // Reading it all lets the server finish.
      let received = 0
      yield* Effect.async<void>((resume) => {
        socket.on("data", (c: Buffer) => {
          received += c.length
          if (received >= total * chunk.length) resume(Effect.void)
        })
        socket.resume()
      }).pipe(Effect.timeout("10 seconds"))
      expect(yield* Ref.get(pulled)).toEqual(total)
    }).pipe(provide))

  it.scopedLive("a response stream failing after its first chunk", () =>
    Effect.gen(function*() {
      const body = Stream.make(new TextEncoder().encode("partial")).pipe(Stream.concat(Stream.fail("broken")))
      yield* HttpRouter.empty.pipe(HttpRouter.get("/broken", HttpServerResponse.stream(body)), HttpServer.serveEffect())
      const outcome = yield* Effect.either(nodeRequest(yield* serverPort, { path: "/broken" }))
      if (server.cutsFailedStreams) {
        // The head was sent: the connection is cut, so the client cannot take the body as whole.
        expect(outcome._tag).toEqual("Left")
      } else {
        expect(outcome._tag === "Right" && outcome.right.body).toEqual("partial")
      }
    }).pipe(provide))

  it.scopedLive("raw bodies: a string, a Node Readable, a web ReadableStream", () =>
    Effect.gen(function*() {
      yield* HttpRouter.empty.pipe(
        HttpRouter.get("/string", Effect.sync(() => HttpServerResponse.raw("raw text", { contentType: "text/plain" }))),
        HttpRouter.get("/readable", Effect.sync(() => HttpServerResponse.raw(Readable.from([Buffer.from("from "), Buffer.from("node")]), { contentType: "text/plain" }))),
        HttpRouter.get(
          "/web",
          Effect.sync(() =>
            HttpServerResponse.raw(new ReadableStream({
              start(controller) {
                controller.enqueue(new TextEncoder().encode("from "))
                controller.enqueue(new TextEncoder().encode("web"))
                controller.close()
              }
            }))
          )
        ),
        HttpServer.serveEffect()
      )
      const port = yield* serverPort
      expect((yield* nodeRequest(port, { path: "/string" })).body).toEqual("raw text")
      expect((yield* nodeRequest(port, { path: "/readable" })).body).toEqual("from node")
      if (server.name === "NetHttpServer") expect((yield* nodeRequest(port, { path: "/web" })).body).toEqual("from web")
    }).pipe(provide))

  it.scopedLive("a FormData response", () =>
    Effect.gen(function*() {
      yield* HttpRouter.empty.pipe(
        HttpRouter.get(
          "/form",
          Effect.sync(() => {
            const form = new FormData()
            form.append("field", "value")
            form.append("file", new Blob(["content"], { type: "text/plain" }), "f.txt")
            return HttpServerResponse.formData(form)
          })
        ),
        HttpServer.serveEffect()
      )
      const res = yield* HttpClient.get("/form")
      const contentType = res.headers["content-type"]!
      expect(contentType).toMatch(/^multipart\/form-data; boundary=/)
      const bytes = yield* res.arrayBuffer
      const form = yield* Effect.promise(() => new Response(bytes, { headers: { "content-type": contentType } }).formData())
      expect(form.get("field")).toEqual("value")
      const file = form.get("file") as File
      expect([file.name, yield* Effect.promise(() => file.text())]).toEqual(["f.txt", "content"])
    }).pipe(provide))

  // --- files ---------------------------------------------------------------------------------

  it.scopedLive("HttpServerResponse.file: type, length, ETag, body", () =>
    Effect.gen(function*() {
      yield* (yield* HttpServerResponse.file(textFile).pipe(
        Effect.updateService(HttpPlatform.HttpPlatform, (platform) => ({
          ...platform,
          fileResponse: (path, options) =>
            Effect.map(platform.fileResponse(path, options), (res) => {
              ;(res.headers as Record<string, string>).etag = "\"etag\""
              return res
            })
        }))
      )).pipe(Effect.succeed, HttpServer.serveEffect())
      const res = yield* HttpClient.get("/")
      expect(res.status).toEqual(200)
      expect(res.headers["content-type"]).toEqual("text/plain")
      expect(res.headers["content-length"]).toEqual("27")
      expect(res.headers.etag).toEqual("\"etag\"")
      expect(res.headers["last-modified"]).toEqual(fs.statSync(textFile).mtime.toUTCString())
      expect((yield* res.text).trim()).toEqual("lorem ipsum dolar sit amet")
    }).pipe(provide))

  it.scopedLive("HttpServerResponse.file: a 3 MiB file whole, the platform's ETag, a missing file", () =>
    Effect.gen(function*() {
      yield* HttpRouter.empty.pipe(
        HttpRouter.get("/big", HttpServerResponse.file(bigFile)),
        HttpRouter.get("/missing", HttpServerResponse.file(path.join(fixtures, "missing.txt"))),
        HttpServer.serveEffect()
      )
      const client = yield* HttpClient.HttpClient
      const res = yield* client.get("/big")
      expect(res.headers["content-length"]).toEqual(String(bigContent.length))
      expect(res.headers["content-type"]).toEqual("application/octet-stream")
      expect(res.headers.etag).toMatch(/^(W\/)?"[0-9a-f]+-[0-9a-f]+"$/)
      expect(Buffer.from(yield* res.arrayBuffer).equals(bigContent)).toEqual(true)
      expect((yield* client.get("/missing")).status).toEqual(500)
    }).pipe(provide))

  it.scopedLive("HttpServerResponse.fileWeb", () =>
    Effect.gen(function*() {
      const now = new Date()
      const file = new NodeBuffer.File([new TextEncoder().encode("test")], "test.txt", { type: "text/plain", lastModified: now.getTime() })
      yield* HttpServerResponse.fileWeb(file).pipe(
        Effect.updateService(HttpPlatform.HttpPlatform, (platform) => ({
          ...platform,
          fileWebResponse: (f, options) => Effect.map(platform.fileWebResponse(f, options), (res) => ({ ...res, headers: { ...res.headers, etag: "W/\"etag\"" } }) as HttpServerResponse.HttpServerResponse)
        })),
        HttpServer.serveEffect()
      )
      const res = yield* HttpClient.get("/")
      expect(res.status).toEqual(200)
      expect(res.headers["content-type"]).toEqual("text/plain")
      expect(res.headers["content-length"]).toEqual("4")
      expect(res.headers["last-modified"]).toEqual(now.toUTCString())
      expect(res.headers.etag).toEqual("W/\"etag\"")
      expect(yield* res.text).toEqual("test")
    }).pipe(provide))

  // --- middleware, tracing, interruption -----------------------------------------------------

  it.scopedLive("HttpMiddleware.logger logs every response with its status", () =>
    Effect.gen(function*() {
      const logs: Array<{ readonly status: unknown; readonly url: unknown }> = []
      const logger = Logger.make(({ annotations }) => {
        logs.push({ status: Option.getOrUndefined(HashMap.get(annotations, "http.status")), url: Option.getOrUndefined(HashMap.get(annotations, "http.url")) })
      })
      yield* HttpRouter.empty.pipe(
        HttpRouter.get("/ok", HttpServerResponse.text("ok")),
        HttpServer.serveEffect(HttpMiddleware.logger),
        Effect.provide(Logger.replace(Logger.defaultLogger, logger))
      )
      const client = yield* HttpClient.HttpClient
      yield* client.get("/ok")
      yield* client.get("/nope")
      yield* Effect.sleep("20 millis")
      expect(logs.map((l) => [l.url, l.status])).toEqual([["/ok", 200], ["/nope", 404]])
    }).pipe(provide))

  it.scopedLive("HttpMiddleware.xForwardedHeaders: remote address and host from the proxy's fields", () =>
    Effect.gen(function*() {
      yield* HttpRouter.empty.pipe(
        HttpRouter.get("/who", Effect.map(HttpServerRequest.HttpServerRequest, (r) => HttpServerResponse.unsafeJson({ remote: Option.getOrNull(r.remoteAddress), host: r.headers.host }))),
        HttpServer.serveEffect(HttpMiddleware.xForwardedHeaders)
      )
      const res = yield* HttpClient.HttpClient.pipe(
        Effect.flatMap((client) =>
          client.get("/who", { headers: { "x-forwarded-for": "203.0.113.7, 10.0.0.1", "x-forwarded-host": "example.com" } })
        ),
        Effect.flatMap((r) => r.json)
      )
      expect(res).toEqual({ remote: "203.0.113.7", host: "example.com" })
    }).pipe(provide))

  it.scopedLive("tracing: the server span continues the client's", () =>
    Effect.gen(function*() {
      yield* HttpRouter.empty.pipe(
        HttpRouter.get("/", Effect.flatMap(Effect.currentSpan, (span) => HttpServerResponse.json({ spanId: span.spanId, parent: span.parent }))),
        HttpServer.serveEffect()
      )
      const client = yield* HttpClient.HttpClient
      const requestSpan = yield* Effect.makeSpan("client request")
      const body = yield* client.get("/").pipe(
        Effect.flatMap((r) => r.json),
        Effect.withTracer(Tracer.make({
          span: () => requestSpan,
          context: (f) => f()
        })),
        Effect.withSpan("request parent")
      )
      expect((body as { parent: { value: { spanId: string } } }).parent.value.spanId).toEqual(requestSpan.spanId)
    }).pipe(provide))

  it.scopedLive("a client abort interrupts the handler, reported as 499", () =>
    Effect.gen(function*() {
      const latch = yield* Deferred.make<HttpServerResponse.HttpServerResponse, unknown>()
      yield* HttpServerResponse.empty().pipe(
        Effect.delay(2000),
        Effect.interruptible,
        HttpServer.serveEffect((app) => Effect.onExit(app, (exit) => Deferred.complete(latch, exit)))
      )
      const client = yield* HttpClient.HttpClient
      const fiber = yield* client.get("/").pipe(Effect.fork)
      yield* Effect.sleep("100 millis")
      yield* Fiber.interrupt(fiber)
      const cause = yield* Deferred.await(latch).pipe(Effect.sandbox, Effect.flip, Effect.timeout("3 seconds"))
      const [response] = HttpServerError.causeResponseStripped(cause)
      expect(response.status).toEqual(499)
    }).pipe(provide))

  it.scopedLive("an uninterruptible route interrupted by itself still answers", () =>
    Effect.gen(function*() {
      yield* HttpRouter.empty.pipe(
        HttpRouter.get(
          "/home",
          Effect.gen(function*() {
            const fiber = Option.getOrThrow(Fiber.getCurrentFiber())
            setTimeout(() => fiber.unsafeInterruptAsFork(fiber.id()), 10)
            return yield* HttpServerResponse.empty().pipe(Effect.delay(50))
          }),
          { uninterruptible: true }
        ),
        HttpServer.serveEffect()
      )
      expect((yield* HttpClient.get("/home")).status).toEqual(204)
      expect((yield* HttpClient.get("/home")).status).toEqual(204)
    }).pipe(provide))

  it.scopedLive("the request Scope closes after the response, streamed or not", () =>
    Effect.gen(function*() {
      const closed = yield* Ref.make<Array<string>>([])
      const note = (name: string) => Effect.addFinalizer(() => Ref.update(closed, (a) => [...a, name]))
      yield* HttpRouter.empty.pipe(
        HttpRouter.get("/plain", Effect.as(note("plain"), HttpServerResponse.text("plain"))),
        HttpRouter.get("/stream", Effect.as(note("stream"), HttpServerResponse.stream(Stream.make(new TextEncoder().encode("stream"))))),
        HttpServer.serveEffect()
      )
      const client = yield* HttpClient.HttpClient
      expect(yield* client.get("/plain").pipe(Effect.flatMap((r) => r.text))).toEqual("plain")
      expect(yield* client.get("/stream").pipe(Effect.flatMap((r) => r.text))).toEqual("stream")
      yield* Effect.sleep("20 millis")
      expect((yield* Ref.get(closed)).sort()).toEqual(["plain", "stream"])
    }).pipe(provide))

  it.scopedLive("keep-alive: many requests, some concurrent, on the client's pooled connections", () =>
    Effect.gen(function*() {
      yield* HttpRouter.empty.pipe(
        HttpRouter.get("/n/:n", Effect.map(HttpRouter.params, (p) => HttpServerResponse.text(p.n ?? ""))),
        HttpServer.serveEffect()
      )
      const client = yield* HttpClient.HttpClient
      const out = yield* Effect.forEach(Array.from({ length: 40 }, (_, i) => i), (i) => client.get(`/n/${i}`).pipe(Effect.flatMap((r) => r.text)), { concurrency: 8 })
      expect(out).toEqual(Array.from({ length: 40 }, (_, i) => String(i)))
    }).pipe(provide))

  // --- WebSockets ----------------------------------------------------------------------------

  it.scopedLive("WebSocket upgrade: an echo", () =>
    Effect.gen(function*() {
      yield* HttpRouter.empty.pipe(
        HttpRouter.get(
          "/ws",
          Effect.gen(function*() {
            const socket = yield* Effect.orDie(HttpServerRequest.upgrade)
            const write = yield* socket.writer
            yield* socket.runRaw((data) => write(typeof data === "string" ? `echo: ${data}` : data)).pipe(Effect.catchAll(() => Effect.void))
            return HttpServerResponse.empty()
          })
        ),
        HttpRouter.get("/plain", HttpServerResponse.text("plain")),
        HttpServer.serveEffect()
      )
      const port = yield* serverPort
      const ws = yield* wsConnect(`ws://127.0.0.1:${port}/ws`)
      ws.send("hello")
      expect(yield* nextMessage(ws).pipe(Effect.timeout("2 seconds"))).toEqual("echo: hello")
      ws.send("again")
      expect(yield* nextMessage(ws).pipe(Effect.timeout("2 seconds"))).toEqual("echo: again")
      // Plain requests still work next to the socket.
      expect(yield* HttpClient.get("/plain").pipe(Effect.flatMap((r) => r.text))).toEqual("plain")
    }).pipe(provide))

  it.scopedLive("WebSocket: the server closing the socket; upgrade refused on a plain request", () =>
    Effect.gen(function*() {
      yield* HttpRouter.empty.pipe(
        HttpRouter.get(
          "/ws",
          Effect.gen(function*() {
            const socket = yield* Effect.orDie(HttpServerRequest.upgrade)
            const write = yield* socket.writer
            yield* socket.runRaw(() => write("bye").pipe(Effect.zipRight(write(new Socket.CloseEvent(4000, "done"))))).pipe(Effect.catchAll(() => Effect.void))
            return HttpServerResponse.empty()
          })
        ),
        HttpServer.serveEffect()
      )
      const port = yield* serverPort
      const ws = yield* wsConnect(`ws://127.0.0.1:${port}/ws`)
      const closed = Effect.async<number>((resume) => {
        ws.once("close", (code) => resume(Effect.succeed(code)))
      })
      ws.send("hi")
      expect(yield* nextMessage(ws).pipe(Effect.timeout("2 seconds"))).toEqual("bye")
      expect(yield* closed.pipe(Effect.timeout("2 seconds"))).toEqual(4000)
      // Without an Upgrade header the request cannot be upgraded: RequestError, 400.
      expect((yield* HttpClient.get("/ws")).status).toEqual(400)
    }).pipe(provide))
})

// ---------------------------------------------------------------------------------------------
// Only ours

describe("NetHttpServer only", () => {
  it.scopedLive("before serve, and after its Scope closed, requests are answered 503", () =>
    Effect.gen(function*() {
      const port = yield* serverPort
      expect((yield* nodeRequest(port, {})).status).toEqual(503)
      yield* Effect.scoped(Effect.gen(function*() {
        yield* HttpServer.serveEffect(HttpServerResponse.text("up"))
        expect((yield* nodeRequest(port, {})).body).toEqual("up")
      }))
      expect((yield* nodeRequest(port, {})).status).toEqual(503)
    }).pipe(withLayer(NetHttpServer.layer({ port: 0, host: "127.0.0.1" }))))

  it.scopedLive("layerConfig: the address from Config", () =>
    Effect.gen(function*() {
      yield* HttpServer.serveEffect(HttpServerResponse.text("configured"))
      const address = (yield* HttpServer.HttpServer).address as HttpServer.TcpAddress
      expect(address.hostname).toEqual("127.0.0.1")
      expect((yield* nodeRequest(address.port, {})).body).toEqual("configured")
    }).pipe(
      withLayer(
        NetHttpServer.layerConfig({ host: Config.string("HOST"), port: Config.integer("PORT") }).pipe(
          Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["HOST", "127.0.0.1"], ["PORT", "0"]]))))
        )
      )
    ))

  it.scopedLive("a file byte range (offset, bytesToRead)", () =>
    Effect.gen(function*() {
      yield* HttpRouter.empty.pipe(
        HttpRouter.get("/range", HttpServerResponse.file(bigFile, { offset: 1000, bytesToRead: 70_000 })),
        HttpServer.serveEffect()
      )
      const res = yield* HttpClient.get("/range")
      expect(res.headers["content-length"]).toEqual("70000")
      expect(Buffer.from(yield* res.arrayBuffer).equals(bigContent.subarray(1000, 71_000))).toEqual(true)
    }).pipe(withLayer(testLayer(SERVERS[1]!))))

  it.scopedLive("the server's maxBodyBytes answers 413 before the app runs", () =>
    Effect.gen(function*() {
      const ran = yield* Ref.make(false)
      yield* HttpServer.serveEffect(Effect.as(Ref.set(ran, true), HttpServerResponse.text("ran")))
      const res = yield* nodeRequest(yield* serverPort, { method: "POST", body: "x".repeat(100) })
      expect(res.status).toEqual(413)
      expect(yield* Ref.get(ran)).toEqual(false)
    }).pipe(withLayer(NetHttpServer.layer({ port: 0, host: "127.0.0.1", maxBodyBytes: 10 }))))

  it.scopedLive("a client abort interrupts as HttpServerError.clientAbortFiberId", () =>
    Effect.gen(function*() {
      const exit = yield* Deferred.make<Exit.Exit<unknown, unknown>>()
      yield* HttpServer.serveEffect(
        Effect.never.pipe(Effect.interruptible, Effect.onExit((e) => Deferred.succeed(exit, e)), Effect.as(HttpServerResponse.empty()))
      )
      const socket = yield* rawConnect(yield* serverPort)
      socket.write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
      yield* Effect.sleep("50 millis")
      socket.destroy()
      const result = yield* Deferred.await(exit).pipe(Effect.timeout("2 seconds"))
      assert(Exit.isFailure(result))
      expect(HashSet.has(Cause.interruptors(result.cause), HttpServerError.clientAbortFiberId)).toEqual(true)
    }).pipe(withLayer(NetHttpServer.layer({ port: 0, host: "127.0.0.1" }))))
})
