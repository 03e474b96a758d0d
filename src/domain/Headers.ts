/**
 * HTTP header fields: multi-valued, in the order received or added, under canonical keys as
 * Go's `http.CanonicalHeaderKey` forms them ("content-type" is kept as "Content-Type").
 *
 * Like Go's `http.Header` a `Headers` is mutable; a message owns its headers, and `clone`
 * makes a copy for whoever wants to change them independently.
 *
 * @module
 */
import { Either } from "effect"
import { invalidFieldValueIndex, invalidTokenIndex, TOKEN } from "./http1/chars.js"
import { InvalidHeader } from "./errors.js"

const isLower = (c: number) => c >= 0x61 && c <= 0x7a
const isUpper = (c: number) => c >= 0x41 && c <= 0x5a

/**
 * The canonical form of a header name, as Go's `textproto.CanonicalMIMEHeaderKey`: the first
 * letter and any letter following a hyphen upper case, the rest lower case. A name holding a
 * byte that is not a token character is returned unchanged.
 *
 * @since 0.1.0
 * @category utils
 */
export const canonicalHeaderKey = (name: string): string => {
  // Fast path: most names are already canonical.
  let upper = true
  let canonical = true
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i)
    if (c > 0x7f || TOKEN[c] === 0) return name
    if ((upper && isLower(c)) || (!upper && isUpper(c))) canonical = false
    upper = c === 0x2d
  }
  if (canonical) return name
  let out = ""
  upper = true
  for (let i = 0; i < name.length; i++) {
    let c = name.charCodeAt(i)
    if (upper && isLower(c)) c -= 0x20
    else if (!upper && isUpper(c)) c += 0x20
    out += String.fromCharCode(c)
    upper = c === 0x2d
  }
  return out
}

/**
 * What a `Headers` can be made from.
 *
 * @since 0.1.0
 * @category models
 */
export type HeadersInput =
  | Headers
  | Iterable<readonly [string, string]>
  | Readonly<Record<string, string | ReadonlyArray<string>>>

/**
 * Header fields in order, each under its canonical name. Several fields may share a name:
 * `get` returns the first value, `values` all of them in order.
 *
 * @since 0.1.0
 * @category models
 */
export class Headers implements Iterable<[string, string]> {
  // Parallel arrays: a linear scan over a dozen interned names beats a Map for typical sizes.
  private readonly _names: Array<string>
  private readonly _values: Array<string>

  private constructor(names: Array<string>, values: Array<string>) {
    this._names = names
    this._values = values
  }

  /** An empty set of headers. */
  static empty(): Headers {
    return new Headers([], [])
  }

  /**
   * Headers from a record, a list of pairs or other headers. Names are canonicalized; nothing
   * is validated here (see `validate` and `Headers.validated`).
   */
  static make(input?: HeadersInput): Headers {
    const h = new Headers([], [])
    if (input === undefined) return h
    if (input instanceof Headers) return input.clone()
    if (Symbol.iterator in input) {
      for (const [k, v] of input as Iterable<readonly [string, string]>) h.add(k, v)
      return h
    }
    for (const k of Object.keys(input)) {
      const v = (input as Record<string, string | ReadonlyArray<string>>)[k]!
      if (typeof v === "string") h.add(k, v)
      else for (const one of v) h.add(k, one)
    }
    return h
  }

  /** Headers from input, failing with `InvalidHeader` on the first invalid name or value. */
  static validated(input?: HeadersInput): Either.Either<Headers, InvalidHeader> {
    const h = Headers.make(input)
    const invalid = h.validate()
    return invalid === undefined ? Either.right(h) : Either.left(invalid)
  }

  /**
   * Takes ownership of parallel arrays of canonical names and values that a parser has
   * already validated. For the codec; users call `make`.
   * @internal
   */
  static unsafeFromArrays(names: Array<string>, values: Array<string>): Headers {
    return new Headers(names, values)
  }

  /** The number of header fields (a name with two values counts twice). */
  get size(): number {
    return this._names.length
  }

  /** The first value of the named field, or undefined. */
  get(name: string): string | undefined {
    const key = canonicalHeaderKey(name)
    const names = this._names
    for (let i = 0; i < names.length; i++) if (names[i] === key) return this._values[i]
    return undefined
  }

  /** Every value of the named field, in order. */
  values(name: string): Array<string> {
    const key = canonicalHeaderKey(name)
    const out: Array<string> = []
    const names = this._names
    for (let i = 0; i < names.length; i++) if (names[i] === key) out.push(this._values[i]!)
    return out
  }

  /** Whether a field of that name is present. */
  has(name: string): boolean {
    return this._names.indexOf(canonicalHeaderKey(name)) >= 0
  }

  /** Appends a field, after any others of the same name. */
  add(name: string, value: string): this {
    this._names.push(canonicalHeaderKey(name))
    this._values.push(value)
    return this
  }

  /** Replaces every field of that name by one field with this value, where the first one was. */
  set(name: string, value: string): this {
    const key = canonicalHeaderKey(name)
    const i = this._names.indexOf(key)
    if (i < 0) {
      this._names.push(key)
      this._values.push(value)
      return this
    }
    this._values[i] = value
    this.removeFrom(key, i + 1)
    return this
  }

  /** Removes every field of that name. */
  delete(name: string): this {
    this.removeFrom(canonicalHeaderKey(name), 0)
    return this
  }

  private removeFrom(key: string, from: number): void {
    const names = this._names
    let w = from
    for (let r = from; r < names.length; r++) {
      if (names[r] !== key) {
        names[w] = names[r]!
        this._values[w] = this._values[r]!
        w++
      }
    }
    names.length = w
    this._values.length = w
  }

  /** The distinct names present, in order of first appearance. */
  names(): Array<string> {
    return [...new Set(this._names)]
  }

  /** Every field as a [name, value] pair, in order. */
  *[Symbol.iterator](): IterableIterator<[string, string]> {
    for (let i = 0; i < this._names.length; i++) yield [this._names[i]!, this._values[i]!]
  }

  /** Calls `f` for every field in order. */
  forEach(f: (value: string, name: string) => void): void {
    for (let i = 0; i < this._names.length; i++) f(this._values[i]!, this._names[i]!)
  }

  /** The name of field `i` (0-based, in order). */
  nameAt(i: number): string | undefined {
    return this._names[i]
  }

  /** The value of field `i` (0-based, in order). */
  valueAt(i: number): string | undefined {
    return this._values[i]
  }

  /** An independent copy. */
  clone(): Headers {
    return new Headers(this._names.slice(), this._values.slice())
  }

  /** A record from name to every value, as Go's `map[string][]string`. */
  toRecord(): Record<string, Array<string>> {
    const out: Record<string, Array<string>> = {}
    for (let i = 0; i < this._names.length; i++) (out[this._names[i]!] ??= []).push(this._values[i]!)
    return out
  }

  /**
   * The first field whose name is not a token or whose value holds a character HTTP/1.1 may
   * not carry (CR, LF, NUL and other controls, or anything above 0xFF), or undefined.
   */
  validate(): InvalidHeader | undefined {
    for (let i = 0; i < this._names.length; i++) {
      const name = this._names[i]!
      const n = invalidTokenIndex(name)
      if (n >= 0) return new InvalidHeader({ name, part: "name", index: n })
      const v = invalidFieldValueIndex(this._values[i]!)
      if (v >= 0) return new InvalidHeader({ name, part: "value", index: v })
    }
    return undefined
  }
}
