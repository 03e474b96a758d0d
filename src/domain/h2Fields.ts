/**
 * A header block as `node:http2` takes it (`respond`, `request`, `sendTrailers`,
 * `additionalHeaders`): an object of lower-case names (RFC 9113 §8.2.1), a repeated name as a
 * list. Both HTTP/2 sides build theirs with these.
 *
 * @module
 * @internal
 */
import { lowerFieldName } from "./fieldNames.js"

/**
 * A header block for `node:http2`. A class, so that V8 never pretenures its allocation site
 * (one per message).
 *
 * @internal
 */
export class H2Fields {
  [name: string]: string | number | Array<string>
}

/**
 * Adds `name: value` to `fields`, `name` already lower case; a repeated name becomes a list.
 *
 * @internal
 */
export const addLowerField = (fields: H2Fields, name: string, value: string): void => {
  const had = fields[name]
  if (had === undefined) fields[name] = value
  else if (Array.isArray(had)) had.push(value)
  else fields[name] = [had as string, value]
}

/**
 * Adds the field `name: value` (a canonical name, as `Headers` keeps it) to `fields`.
 *
 * @internal
 */
export const addField = (fields: H2Fields, name: string, value: string): void => addLowerField(fields, lowerFieldName(name), value)
