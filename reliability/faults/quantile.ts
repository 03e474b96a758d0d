/**
 * The `q` quantile of a sample (the value below which a fraction `q` of it lies; 0 for an
 * empty sample), for figures and checks that judge a spread rather than its one worst case.
 *
 * @module
 */

/** The `q` quantile (0 ≤ q ≤ 1) of `xs`, one of its values; 0 when `xs` is empty. */
export const quantile = (xs: ReadonlyArray<number>, q: number): number => {
  if (xs.length === 0) return 0
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!
}
