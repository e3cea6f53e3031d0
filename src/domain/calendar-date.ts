const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Whether `v` is an ISO calendar date `yyyy-mm-dd` that exists (proleptic Gregorian, as `Date` reads it: no
 * 30 February, 29 February only in leap years). Checked by arithmetic: ingest asks it for every date of every
 * record, and building a `Date` to read it back cost more than the rest of the check.
 */
export function isIsoCalendarDate(v: string): boolean {
  if (v.length !== 10 || v.charCodeAt(4) !== 45 || v.charCodeAt(7) !== 45) return false;
  const y = digits(v, 0, 4);
  const m = digits(v, 5, 7);
  const d = digits(v, 8, 10);
  if (y < 0 || m < 1 || m > 12 || d < 1) return false;
  const leap = m === 2 && (y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0));
  return d <= DAYS_IN_MONTH[m - 1]! + (leap ? 1 : 0);
}

/** The number `v[start, end)` spells in ASCII digits, or -1 when any character is not a digit. */
function digits(v: string, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = v.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}
