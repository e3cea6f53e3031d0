/** Date arithmetic for the generator on ISO `yyyy-mm-dd` strings (UTC, no time zone surprises). */

/** The population is "children under 16 on this date" (Law on Children 2016: a child is under 16). */
export const REFERENCE_DATE = '2026-11-01';

/** Birth months covered: 2010-11 … 2026-10 (192 months); in 2010-11 only days from the 2nd count. */
export const BIRTH_MONTH_COUNT = 192;
const FIRST_BIRTH_YEAR = 2010;
const FIRST_BIRTH_MONTH = 11;

const DAY_MS = 86_400_000;

/** Calendar year and month (1–12) of a birth-month slot 0…191. */
export function birthMonthOfSlot(slot: number): { year: number; month: number } {
  const m = FIRST_BIRTH_MONTH - 1 + slot;
  return { year: FIRST_BIRTH_YEAR + Math.floor(m / 12), month: (m % 12) + 1 };
}

/** The first and last day a child born in that slot's month may have (keeps everyone under 16). */
export function birthDayRange(slot: number): { first: number; last: number } {
  const { year, month } = birthMonthOfSlot(slot);
  return { first: slot === 0 ? 2 : 1, last: daysInMonth(year, month) };
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function daysInMonth(year: number, month: number): number {
  if (month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) return 29;
  return MONTH_DAYS[month - 1]!;
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

export function isoDate(year: number, month: number, day: number): string {
  return `${year}-${pad2(month)}-${pad2(day)}`;
}

/** Days since 1970-01-01 for an ISO date. */
export function toDayNumber(iso: string): number {
  return Date.UTC(Number(iso.slice(0, 4)), Number(iso.slice(5, 7)) - 1, Number(iso.slice(8, 10))) / DAY_MS;
}

export function fromDayNumber(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

export function addDays(iso: string, days: number): string {
  return fromDayNumber(toDayNumber(iso) + days);
}

/** The last birth date in the population and the last day anything happens in the simulation. */
export const LAST_DAY = '2026-10-31';

/** The earlier of two ISO dates. */
export function minDate(a: string, b: string): string {
  return a < b ? a : b;
}

/** Whole years of age on `on`. */
export function ageOn(birthIso: string, on: string = REFERENCE_DATE): number {
  const years = Number(on.slice(0, 4)) - Number(birthIso.slice(0, 4));
  return on.slice(5) < birthIso.slice(5) ? years - 1 : years;
}

/** `yyyy-mm-dd` → `dd/MM/yyyy`, the form Vietnamese agency systems print. */
export function toDmy(iso: string): string {
  return `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;
}

/** `dd/MM/yyyy` → `yyyy-mm-dd`; null when the text is not in that shape. */
export function fromDmy(dmy: string): string | null {
  const m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(dmy.trim());
  if (!m) return null;
  return isoDate(Number(m[3]), Number(m[2]), Number(m[1]));
}

/** A timestamp on that day at the given minute, Hà Nội time (UTC+7), ISO 8601. */
export function localTimestamp(iso: string, minuteOfDay: number): string {
  return `${iso}T${pad2(Math.floor(minuteOfDay / 60) % 24)}:${pad2(minuteOfDay % 60)}:00+07:00`;
}
