/**
 * The one helper from Go's `net/textproto` that the file server needs (Go's fs.go uses it to
 * read Range and entity-tag lists).
 *
 * @module
 */

/** Go's `textproto.TrimString`: ASCII space, tab, CR and LF off both ends (no other white space). */
export const trimString = (s: string): string => s.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, "")
