/**
 * HTTP-dates (RFC 9110 §5.6.7): Go's `TimeFormat` to write one, Go's `http.ParseTime` to read
 * any of the three formats a recipient accepts. Shared by the server (conditional requests,
 * Last-Modified) and the client (Retry-After).
 *
 * @module
 */

/** Go's `TimeFormat` (IMF-fixdate) of epoch milliseconds, in UTC, to the second. */
export const httpDate = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toUTCString()

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
const M = MONTHS.join("|")
const IMF_FIXDATE = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\\d{2}) (${M}) (\\d{4}) (\\d{1,2}):(\\d{2}):(\\d{2}) GMT$`)
const RFC850 = new RegExp(`^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\\d{2})-(${M})-(\\d{2}) (\\d{1,2}):(\\d{2}):(\\d{2}) GMT$`)
const ANSIC = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (${M}) (?: (\\d)|(\\d{1,2})) (\\d{1,2}):(\\d{2}):(\\d{2}) (\\d{4})$`)

const daysIn = (month: number, year: number): number =>
  month === 1 ? ((year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28) : [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month]!

const toSeconds = (year: number, month: number, day: number, hour: number, minute: number, second: number): number | undefined => {
  if (day < 1 || day > daysIn(month, year) || hour > 23 || minute > 59 || second > 59) return undefined
  const d = new Date(Date.UTC(2000, month, day, hour, minute, second))
  d.setUTCFullYear(year)
  return d.getTime() / 1000
}

/**
 * Go's `http.ParseTime`: an HTTP-date in one of the three formats RFC 9110 §5.6.7 lets a
 * recipient accept (IMF-fixdate, RFC 850, asctime), as Unix seconds; undefined otherwise.
 */
export const parseHttpTime = (text: string): number | undefined => {
  let m = IMF_FIXDATE.exec(text)
  if (m !== null) return toSeconds(Number(m[3]), MONTHS.indexOf(m[2]!), Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]))
  m = RFC850.exec(text)
  if (m !== null) {
    const yy = Number(m[3])
    return toSeconds(yy >= 69 ? 1900 + yy : 2000 + yy, MONTHS.indexOf(m[2]!), Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]))
  }
  m = ANSIC.exec(text)
  if (m !== null) return toSeconds(Number(m[7]), MONTHS.indexOf(m[1]!), Number(m[2] ?? m[3]), Number(m[4]), Number(m[5]), Number(m[6]))
  return undefined
}
