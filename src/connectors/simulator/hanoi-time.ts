/** Timestamps as the Vietnamese sources write them: ISO 8601 in Hà Nội time (UTC+7, no daylight saving). */

const HANOI_OFFSET_MS = 7 * 3_600_000;
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * Milliseconds since the epoch of an ISO date or date-time; no offset (and a bare date) means Hà Nội time.
 * A `+` turned into a space by an unencoded query string is read as `+`. NaN when it is not one.
 */
export function parseInstantMs(text: string): number {
  const m = ISO.exec(text.trim().replace(/(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$/, '$1+$2'));
  if (!m) return Number.NaN;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '0', zone] = m;
  const local = Date.UTC(+y!, +mo! - 1, +d!, +h, +mi, +s, Number(frac.slice(0, 3).padEnd(3, '0')));
  const check = new Date(local);
  if (check.getUTCDate() !== +d! || check.getUTCMonth() !== +mo! - 1 || +h > 23 || +mi > 59 || +s > 59) return Number.NaN;
  if (zone === undefined) return local - HANOI_OFFSET_MS;
  if (zone === 'Z') return local;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return local - sign * (Number(digits.slice(0, 2)) * 3_600_000 + Number(digits.slice(2, 4)) * 60_000);
}

/** `2026-11-01T08:05:00+07:00` for an instant (milliseconds dropped). */
export function formatHanoi(ms: number): string {
  return `${new Date(ms + HANOI_OFFSET_MS).toISOString().slice(0, 19)}+07:00`;
}
