/**
 * One transient status line at the bottom of stderr (the progress bar), redrawn in place with
 * a carriage return, and permanent lines (trace events, messages) printed above it without
 * garbling it.
 *
 * On a terminal the rest of a line is cleared with `ESC [ K`; elsewhere (a file, a pipe) with
 * spaces, so that a log still ends with the last state shown.
 *
 * @module
 */

/** Writes to one stream, keeping a status line apart from permanent lines. */
export interface StatusLine {
  /** Shows `text` as the status line, replacing the one shown. */
  readonly show: (text: string) => void
  /** Prints a permanent line; the status line shown, if any, is cleared first (the next `show` draws it again). */
  readonly print: (line: string) => void
  /** Clears the status line shown, if any. */
  readonly clear: () => void
}

/** A status line over `write` (e.g. `process.stderr.write`); `tty` says whether it is a terminal. */
export const makeStatusLine = (write: (text: string) => void, tty: boolean): StatusLine => {
  // The length of the status line on screen, 0 when none is shown.
  let shown = 0
  const clear = (): void => {
    if (shown === 0) return
    write(tty ? "\r\x1b[K" : "\r" + " ".repeat(shown) + "\r")
    shown = 0
  }
  return {
    show: (text) => {
      const pad = tty ? "\x1b[K" : " ".repeat(Math.max(0, shown - text.length))
      write("\r" + text + pad)
      shown = Math.max(1, text.length)
    },
    print: (line) => {
      clear()
      write(line + "\n")
    },
    clear
  }
}
