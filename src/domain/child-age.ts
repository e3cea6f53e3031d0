import type { DatePrecision } from './source-record-input.js';

/** A child is a person under 16 (Law on Children 2016, Art. 1). */
export const CHILD_AGE_LIMIT = 16;

const HANOI_OFFSET_MS = 7 * 60 * 60_000;

/** The calendar date in Hà Nội at `at`, `yyyy-mm-dd` (Asia/Ho_Chi_Minh is UTC+7 all year: no daylight saving). */
export function hanoiDate(at: Date): string {
  return new Date(at.getTime() + HANOI_OFFSET_MS).toISOString().slice(0, 10);
}

let today = '';
let todayUntil = 0;

/**
 * Today's date in Hà Nội, {@link hanoiDate} of now, worked out at most once a minute (ingest asks it for
 * every record with a birth date): a minute late at midnight at most.
 */
export function hanoiToday(): string {
  const now = Date.now();
  if (now >= todayUntil) {
    today = hanoiDate(new Date(now));
    todayUntil = now + 60_000;
  }
  return today;
}

const isLeap = (y: number) => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
const daysIn = (y: number, m: number) => (m === 2 ? (isLeap(y) ? 29 : 28) : [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]!);
const iso = (y: number, m: number, d: number) => `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;

/**
 * The day a child born on `birthDate` turns 16 and is no longer a child, decided so that no one under 16 is
 * ever counted as 16: with a birth date known only to the month or the year (stored as its first day), the
 * LAST day that could be the 16th birthday.
 *
 * - `DAY` (or no precision): the 16th birthday; born on 29 February, 1 March when that year has no 29th.
 * - `MONTH`: the last day of the birth month, 16 years on (a child born "03/2010" turns 16 by 31 March 2026).
 * - `YEAR`: 31 December, 16 years on (a child born "2010" turns 16 by 31 December 2026).
 *
 * So a child known less precisely may stay in a group up to a month or a year after their real birthday; none
 * leaves before it. The date is the child's registered (or chosen) birth date as it is: for a child found
 * abandoned that is the date found, which is their legal birth date (Decree 123/2015), estimated or not.
 */
export function sixteenthBirthday(birthDate: string, precision: DatePrecision | null): string {
  const y = Number(birthDate.slice(0, 4)) + CHILD_AGE_LIMIT;
  const m = Number(birthDate.slice(5, 7));
  if (precision === 'YEAR') return iso(y, 12, 31);
  if (precision === 'MONTH') return iso(y, m, daysIn(y, m));
  const d = Number(birthDate.slice(8, 10));
  return d > daysIn(y, m) ? iso(y, m + 1, 1) : iso(y, m, d);
}

/**
 * The day the child stopped being a child ({@link sixteenthBirthday}), when it is on or before `today` (a Hà
 * Nội date, {@link hanoiDate}); null while the child is under 16, or when no birth date is known (nothing
 * says the child is 16: they stay a child).
 */
export function childhoodEndedOn(birthDate: string | null, precision: DatePrecision | null, today: string): string | null {
  if (!birthDate) return null;
  const end = sixteenthBirthday(birthDate, precision);
  return end <= today ? end : null;
}
