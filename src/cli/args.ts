/**
 * The CLI's argument parser, by hand and pure: `parseArgs(argv)` gives the command to run or
 * a `UsageError` saying what is wrong.
 *
 * Options take their value as the next argument or after `=` (`--port 0`, `--port=0`); `--`
 * ends the options; `-h`/`--help` anywhere asks for the usage.
 *
 * @module
 */
import { Either } from "effect"
import { UsageError } from "./errors.js"

/** Print the usage. `explicit` is false when no arguments were given at all. */
export interface HelpCommand {
  readonly _tag: "Help"
  readonly explicit: boolean
}

/** `get URL ...`. */
export interface GetCommand {
  readonly _tag: "Get"
  readonly url: URL
  /** The file to write the body to; stdout when undefined. */
  readonly output: string | undefined
  readonly trace: boolean
  /** The `-H` fields in order, name and value. */
  readonly headers: ReadonlyArray<readonly [string, string]>
  /** The total timeout in milliseconds; undefined (or 0) for none. */
  readonly timeoutMs: number | undefined
}

/** `serve DIR ...`. */
export interface ServeCommand {
  readonly _tag: "Serve"
  readonly dir: string
  readonly host: string
  readonly port: number
}

/** What the arguments ask for. */
export type Command = HelpCommand | GetCommand | ServeCommand

/** The default address of `serve`. */
export const DEFAULT_HOST = "127.0.0.1"
/** The default port of `serve`. */
export const DEFAULT_PORT = 8080

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
// Field values: visible characters, spaces and tabs (RFC 9110 §5.5); no CR, LF, NUL or other controls.
const BAD_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

const usage = (detail: string) => Either.left(new UsageError({ detail }))

/**
 * A duration as Go's `time.ParseDuration` writes them (`500ms`, `30s`, `1m30s`, `1.5h`), or
 * a bare number of seconds, in milliseconds; undefined when it is not one.
 */
export const parseDuration = (text: string): number | undefined => {
  const s = text.trim()
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000)
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h)/y
  let total = 0
  let at = 0
  while (at < s.length) {
    part.lastIndex = at
    const m = part.exec(s)
    if (m === null) return undefined
    total += Number(m[1]) * UNITS[m[2]!]!
    at = part.lastIndex
  }
  return at === 0 ? undefined : Math.round(total)
}

/** A `-H` argument, `Name: value`, as a field; the value is trimmed. */
export const parseHeader = (text: string): Either.Either<readonly [string, string], UsageError> => {
  const colon = text.indexOf(":")
  if (colon <= 0) return usage(`-H ${JSON.stringify(text)}: expected "Name: value"`)
  const name = text.slice(0, colon).trim()
  const value = text.slice(colon + 1).trim()
  if (!TOKEN.test(name)) return usage(`-H ${JSON.stringify(text)}: invalid header name ${JSON.stringify(name)}`)
  if (BAD_VALUE.test(value)) return usage(`-H ${JSON.stringify(text)}: the value holds a control character`)
  return Either.right([name, value] as const)
}

/** The URL to GET: http or https; `http://` is assumed when no scheme is given (`localhost:8080/x`). */
export const parseUrl = (text: string): Either.Either<URL, UsageError> => {
  const withScheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(text) ? text : "http://" + text
  let url: URL
  try {
    url = new URL(withScheme)
  } catch {
    return usage(`invalid URL ${JSON.stringify(text)}`)
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return usage(`unsupported scheme ${JSON.stringify(url.protocol.slice(0, -1))} in ${JSON.stringify(text)} (http or https)`)
  if (url.hostname === "") return usage(`no host in ${JSON.stringify(text)}`)
  return Either.right(url)
}

/** A port number, 0 to 65535. */
export const parsePort = (text: string): Either.Either<number, UsageError> =>
  /^\d{1,5}$/.test(text) && Number(text) <= 65535 ? Either.right(Number(text)) : usage(`invalid port ${JSON.stringify(text)} (0 to 65535)`)

/** One option as found in argv: its name, and its inline value after `=` if any. */
interface OptionToken {
  readonly name: string
  readonly inline: string | undefined
}

const optionToken = (arg: string): OptionToken | undefined => {
  if (arg.length < 2 || !arg.startsWith("-") || arg === "--") return undefined
  const eq = arg.startsWith("--") ? arg.indexOf("=") : -1
  return eq < 0 ? { name: arg, inline: undefined } : { name: arg.slice(0, eq), inline: arg.slice(eq + 1) }
}

/**
 * Walks the arguments after the command: options go to `onOption` (which takes a value with
 * `value()`), anything else is a positional argument.
 */
const walk = (
  args: ReadonlyArray<string>,
  onOption: (token: OptionToken, value: () => Either.Either<string, UsageError>) => Either.Either<void, UsageError>
): Either.Either<{ readonly positional: ReadonlyArray<string>; readonly help: boolean }, UsageError> => {
  const positional: Array<string> = []
  let help = false
  let i = 0
  let optionsDone = false
  while (i < args.length) {
    const arg = args[i]!
    i++
    const token = optionsDone ? undefined : optionToken(arg)
    if (token === undefined) {
      if (!optionsDone && arg === "--") optionsDone = true
      else positional.push(arg)
      continue
    }
    if (token.name === "-h" || token.name === "--help") {
      help = true
      continue
    }
    const value = (): Either.Either<string, UsageError> => {
      if (token.inline !== undefined) return Either.right(token.inline)
      if (i >= args.length) return usage(`${token.name} needs a value`)
      return Either.right(args[i++]!)
    }
    const done = onOption(token, value)
    if (Either.isLeft(done)) return Either.left(done.left)
  }
  return Either.right({ positional, help })
}

const parseGet = (args: ReadonlyArray<string>): Either.Either<Command, UsageError> => {
  let output: string | undefined = undefined
  let trace = false
  let timeoutMs: number | undefined = undefined
  const headers: Array<readonly [string, string]> = []
  const walked = walk(args, (token, value) => {
    switch (token.name) {
      case "-o":
      case "--output":
        return Either.map(value(), (v) => {
          output = v
        })
      case "-H":
      case "--header":
        return Either.flatMap(value(), (v) =>
          Either.map(parseHeader(v), (field) => {
            headers.push(field)
          }))
      case "--timeout":
        return Either.flatMap(value(), (v) => {
          const ms = parseDuration(v)
          if (ms === undefined) return usage(`invalid --timeout ${JSON.stringify(v)} (e.g. 500ms, 30s, 2m)`)
          timeoutMs = ms
          return Either.void
        })
      case "--trace":
        if (token.inline !== undefined) return usage("--trace takes no value")
        trace = true
        return Either.void
      default:
        return usage(`get: unknown option ${token.name}`)
    }
  })
  if (Either.isLeft(walked)) return Either.left(walked.left)
  if (walked.right.help) return Either.right({ _tag: "Help", explicit: true })
  const [target, ...extra] = walked.right.positional
  if (target === undefined) return usage("get: missing URL")
  if (extra.length > 0) return usage(`get: unexpected argument ${JSON.stringify(extra[0])}`)
  if (output === "") return usage("-o needs a file name")
  return Either.map(parseUrl(target), (url): Command => ({ _tag: "Get", url, output, trace, headers, timeoutMs }))
}

const parseServe = (args: ReadonlyArray<string>): Either.Either<Command, UsageError> => {
  let host = DEFAULT_HOST
  let port = DEFAULT_PORT
  const walked = walk(args, (token, value) => {
    switch (token.name) {
      case "-p":
      case "--port":
        return Either.flatMap(value(), (v) =>
          Either.map(parsePort(v), (p) => {
            port = p
          }))
      case "--host":
        return Either.flatMap(value(), (v) => {
          if (v === "") return usage("--host needs an address")
          host = v
          return Either.void
        })
      default:
        return usage(`serve: unknown option ${token.name}`)
    }
  })
  if (Either.isLeft(walked)) return Either.left(walked.left)
  if (walked.right.help) return Either.right({ _tag: "Help", explicit: true })
  const [dir, ...extra] = walked.right.positional
  if (dir === undefined || dir === "") return usage("serve: missing DIR")
  if (extra.length > 0) return usage(`serve: unexpected argument ${JSON.stringify(extra[0])}`)
  return Either.right({ _tag: "Serve", dir, host, port })
}

/** The command `argv` (the arguments after the program's name) asks for. */
export const parseArgs = (argv: ReadonlyArray<string>): Either.Either<Command, UsageError> => {
  if (argv.length === 0) return Either.right({ _tag: "Help", explicit: false })
  const [command, ...rest] = argv
  switch (command) {
    case "-h":
    case "--help":
    case "help":
      return Either.right({ _tag: "Help", explicit: true })
    case "get":
      return parseGet(rest)
    case "serve":
      return parseServe(rest)
    default:
      return usage(command!.startsWith("-") ? `unknown option ${command}` : `unknown command ${JSON.stringify(command)} (get or serve)`)
  }
}
