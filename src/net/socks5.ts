/**
 * The client side of a SOCKS5 handshake (RFC 1928) with username/password authentication
 * (RFC 1929), as Go's golang.org/x/net/proxy SOCKS5 dialer does it: offer "no
 * authentication" (and "username/password" when credentials are given), authenticate if the
 * server picks it, send CONNECT, read the reply. Afterwards the stream is a tunnel to the
 * target. Knows nothing of HTTP.
 *
 * @module
 */
import { Data, Effect } from "effect"
import * as net from "node:net"
import type { Duplex } from "node:stream"
import { errorCode, errorDetail } from "./errors.js"
import { type HandshakeError, HandshakeReader } from "./handshakeReader.js"

/**
 * Why a SOCKS5 handshake failed.
 *
 * @since 0.1.0
 * @category errors
 */
export type Socks5Failure = "no-acceptable-method" | "auth-failed" | "connect-failed" | "protocol" | "closed"

/**
 * A SOCKS5 handshake failed.
 *
 * @since 0.1.0
 * @category errors
 */
export class Socks5Error extends Data.TaggedError("Socks5Error")<{
  readonly reason: Socks5Failure
  /** The server's REP code, when it answered CONNECT with a failure (reason "connect-failed"). */
  readonly reply?: number
  /** The system error code, when the stream failed with one (reason "closed"). */
  readonly code?: string
  /** What happened; for a failure reply, its name in RFC 1928 §6 ("connection refused", ...). */
  readonly detail: string
}> {
  override get message(): string {
    return this.reply === undefined
      ? `socks5: ${this.detail}`
      : `socks5: ${this.detail} (reply 0x${this.reply.toString(16).padStart(2, "0")})`
  }
}

/** Where the server should connect: a host name or an IP literal (IPv6 bracketed or not), and a port. */
export interface Socks5Target {
  readonly host: string
  readonly port: number
}

/** Credentials for RFC 1929: a username of 1 to 255 bytes and a password of at most 255 (UTF-8). */
export interface Socks5Auth {
  readonly username: string
  readonly password: string
}

const VERSION = 0x05
// RFC 1928 §3: authentication methods.
const METHOD_NONE = 0x00
const METHOD_USERNAME_PASSWORD = 0x02
const METHOD_NO_ACCEPTABLE = 0xff
// RFC 1928 §4: commands; §5: address types.
const CMD_CONNECT = 0x01
const ATYP_IPV4 = 0x01
const ATYP_DOMAIN = 0x03
const ATYP_IPV6 = 0x04
// RFC 1929 §2: the sub-negotiation's version.
const AUTH_VERSION = 0x01

/** The name RFC 1928 §6 gives a reply code (REP). */
export const socks5ReplyText = (reply: number): string => {
  switch (reply) {
    case 0x00:
      return "succeeded"
    case 0x01:
      return "general SOCKS server failure"
    case 0x02:
      return "connection not allowed by ruleset"
    case 0x03:
      return "network unreachable"
    case 0x04:
      return "host unreachable"
    case 0x05:
      return "connection refused"
    case 0x06:
      return "TTL expired"
    case 0x07:
      return "command not supported"
    case 0x08:
      return "address type not supported"
    default:
      return `unassigned reply code 0x${reply.toString(16).padStart(2, "0")}`
  }
}

const protocol = (detail: string): Socks5Error => new Socks5Error({ reason: "protocol", detail })

/** The 16 bytes of an IPv6 literal (a zone, "%eth0", is dropped), or undefined. */
const ipv6Bytes = (literal: string): Buffer | undefined => {
  const zone = literal.indexOf("%")
  const text = zone < 0 ? literal : literal.slice(0, zone)
  if (!net.isIPv6(text)) return undefined
  let groups = text.split(":")
  // An IPv4 tail ("::ffff:127.0.0.1") is two groups.
  const last = groups[groups.length - 1]!
  if (last.includes(".")) {
    const v4 = last.split(".").map(Number)
    groups = [...groups.slice(0, -1), ((v4[0]! << 8) | v4[1]!).toString(16), ((v4[2]! << 8) | v4[3]!).toString(16)]
  }
  const gap = text.indexOf("::")
  if (gap >= 0) {
    const head = text.slice(0, gap) === "" ? [] : groups.slice(0, groups.indexOf(""))
    const tailStart = groups.lastIndexOf("") + 1
    const tail = groups.slice(tailStart)
    groups = [...head, ...Array.from({ length: 8 - head.length - tail.length }, () => "0"), ...tail]
  }
  if (groups.length !== 8) return undefined
  const out = Buffer.alloc(16)
  groups.forEach((group, i) => out.writeUInt16BE(parseInt(group, 16), i * 2))
  return out
}

/** DST.ADDR with its ATYP (RFC 1928 §5), or why it cannot be encoded. */
const encodeAddress = (host: string): Buffer | Socks5Error => {
  const unbracketed = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host
  if (net.isIPv4(unbracketed)) return Buffer.from([ATYP_IPV4, ...unbracketed.split(".").map(Number)])
  const v6 = ipv6Bytes(unbracketed)
  if (v6 !== undefined) return Buffer.concat([Buffer.from([ATYP_IPV6]), v6])
  const name = Buffer.from(host, "utf8")
  if (name.length === 0 || name.length > 255) return protocol(`a domain name must be 1 to 255 bytes, not ${name.length}`)
  return Buffer.concat([Buffer.from([ATYP_DOMAIN, name.length]), name])
}

/** The CONNECT request (RFC 1928 §4), or why it cannot be made. */
const connectRequest = (target: Socks5Target): Buffer | Socks5Error => {
  const { port } = target
  if (!Number.isInteger(port) || port < 1 || port > 0xffff) return protocol(`port ${port} out of range`)
  const address = encodeAddress(target.host)
  if (address instanceof Socks5Error) return address
  const request = Buffer.alloc(3 + address.length + 2)
  request[0] = VERSION
  request[1] = CMD_CONNECT
  request[2] = 0x00 // RSV
  address.copy(request, 3)
  request.writeUInt16BE(port, 3 + address.length)
  return request
}

/** The RFC 1929 request, or why the credentials cannot be sent. */
const authRequest = (auth: Socks5Auth): Buffer | Socks5Error => {
  const username = Buffer.from(auth.username, "utf8")
  const password = Buffer.from(auth.password, "utf8")
  // As Go: the username must not be empty; RFC 1929 caps both at 255 bytes.
  if (username.length === 0 || username.length > 255 || password.length > 255) {
    return new Socks5Error({ reason: "auth-failed", detail: "invalid username/password: a username of 1 to 255 bytes and a password of at most 255" })
  }
  return Buffer.concat([Buffer.from([AUTH_VERSION, username.length]), username, Buffer.from([password.length]), password])
}

const fromHandshake = (error: HandshakeError): Socks5Error =>
  new Socks5Error({ reason: "closed", ...(error.code === undefined ? {} : { code: error.code }), detail: error.detail })

/** Writes `data`; completes when the stream has taken it. */
const write = (stream: Duplex, data: Buffer): Effect.Effect<void, Socks5Error> =>
  Effect.async<void, Socks5Error>((resume) => {
    if (stream.destroyed || stream.writableEnded) {
      resume(Effect.fail(new Socks5Error({ reason: "closed", detail: "the stream is closed" })))
      return
    }
    stream.write(data, (error) => {
      if (error === undefined || error === null) resume(Effect.void)
      else {
        const code = errorCode(error)
        resume(Effect.fail(new Socks5Error({ reason: "closed", ...(code === undefined ? {} : { code }), detail: errorDetail(error) })))
      }
    })
  })

/**
 * Does the client's side of a SOCKS5 handshake on `stream` (connected to the SOCKS server
 * and not yet read from): asks the server to connect to `target`, authenticating with
 * `auth` if the server wants it. On success the stream is a tunnel to the target, left
 * paused with nothing read beyond the server's reply (see `HandshakeReader.detach`); a
 * server that sent more than the reply fails with "protocol". Sets no timeout: the caller
 * bounds it (`Effect.timeoutFail`) and closes the stream on failure.
 */
export const socks5Handshake = (
  stream: Duplex,
  target: Socks5Target,
  auth?: Socks5Auth
): Effect.Effect<void, Socks5Error> =>
  Effect.suspend(() => {
    // Everything that can be wrong with the arguments fails before a byte is sent.
    const request = connectRequest(target)
    if (request instanceof Socks5Error) return Effect.fail(request)
    const credentials = auth === undefined ? undefined : authRequest(auth)
    if (credentials instanceof Socks5Error) return Effect.fail(credentials)
    const methods = credentials === undefined ? [METHOD_NONE] : [METHOD_NONE, METHOD_USERNAME_PASSWORD]

    return Effect.acquireUseRelease(
      Effect.sync(() => HandshakeReader.attach(stream)),
      (reader) => {
        const read = (n: number) => Effect.mapError(reader.readExactly(n), fromHandshake)
        return Effect.gen(function*() {
          // RFC 1928 §3: VER NMETHODS METHODS; the server answers VER METHOD.
          yield* write(stream, Buffer.from([VERSION, methods.length, ...methods]))
          const choice = yield* read(2)
          if (choice[0] !== VERSION) return yield* protocol(`version ${choice[0]} in the method selection, not 5`)
          const method = choice[1]!
          if (method === METHOD_NO_ACCEPTABLE) {
            return yield* new Socks5Error({ reason: "no-acceptable-method", detail: "no acceptable authentication methods" })
          }
          if (!methods.includes(method)) return yield* protocol(`the server chose method 0x${method.toString(16).padStart(2, "0")}, which was not offered`)

          // RFC 1929 §2: VER ULEN UNAME PLEN PASSWD; the server answers VER STATUS, 0 for success.
          if (method === METHOD_USERNAME_PASSWORD && credentials !== undefined) {
            yield* write(stream, credentials)
            const status = yield* read(2)
            if (status[0] !== AUTH_VERSION) return yield* protocol(`version ${status[0]} in the username/password reply, not 1`)
            if (status[1] !== 0x00) {
              return yield* new Socks5Error({ reason: "auth-failed", detail: `username/password authentication failed (status ${status[1]})` })
            }
          }

          // RFC 1928 §4, §6: VER CMD RSV ATYP DST.ADDR DST.PORT; the reply is VER REP RSV ATYP BND.ADDR BND.PORT.
          yield* write(stream, request)
          const head = yield* read(4)
          if (head[0] !== VERSION) return yield* protocol(`version ${head[0]} in the reply, not 5`)
          const reply = head[1]!
          if (reply !== 0x00) {
            return yield* new Socks5Error({ reason: "connect-failed", reply, detail: socks5ReplyText(reply) })
          }
          if (head[2] !== 0x00) return yield* protocol("non-zero reserved field in the reply")
          switch (head[3]) {
            case ATYP_IPV4:
              yield* read(4 + 2)
              break
            case ATYP_IPV6:
              yield* read(16 + 2)
              break
            case ATYP_DOMAIN: {
              const length = yield* read(1)
              yield* read(length[0]! + 2)
              break
            }
            default:
              return yield* protocol(`unknown address type ${head[3]} in the reply`)
          }
          // The server must not send the target's bytes before we send any.
          const rest = reader.detach()
          if (rest.length > 0) return yield* protocol(`${rest.length} unexpected bytes after the reply`)
        })
      },
      (reader) => Effect.sync(() => reader.detach())
    )
  })
