import { ISO_DURATION } from './http.schema.js';

/**
 * Times of incremental reads: parsing the sources' last-modified values, the high-water mark, and the
 * lower bound of the next run (high-water − lookback) written the way the source expects it.
 */

/** A point in time and the UTC offset it was written with (`Z`, `+07:00`). */
export interface Instant {
  ms: number;
  offset: string;
}

/** Values without an offset are read as Hà Nội time (UTC+7, no daylight saving), as the sources mean them. */
const LOCAL_OFFSET = '+07:00';

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;
const VN_DATE_TIME = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/;

/**
 * Reads a last-modified value: an ISO date or date-time (with or without offset; FHIR `meta.lastUpdated`
 * included) or a Vietnamese `dd/MM/yyyy[ HH:mm[:ss]]`. Anything else is undefined (not comparable).
 */
export function parseInstant(value: unknown): Instant | undefined {
  if (typeof value !== 'string') return undefined;
  const s = value.trim();
  let m = ISO_DATE_TIME.exec(s);
  if (m) {
    const ms = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
    return build(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, m[6] ? +m[6] : 0, ms, normaliseOffset(m[8]));
  }
  m = ISO_DATE.exec(s);
  if (m) return build(+m[1]!, +m[2]!, +m[3]!, 0, 0, 0, 0, LOCAL_OFFSET);
  m = VN_DATE_TIME.exec(s);
  if (m) return build(+m[3]!, +m[2]!, +m[1]!, m[4] ? +m[4] : 0, m[5] ? +m[5] : 0, m[6] ? +m[6] : 0, 0, LOCAL_OFFSET);
  return undefined;
}

function normaliseOffset(raw: string | undefined): string {
  if (raw === undefined) return LOCAL_OFFSET;
  if (raw === 'Z' || raw === 'z') return 'Z';
  const digits = raw.slice(1).replace(':', '').padEnd(4, '0');
  return `${raw[0]}${digits.slice(0, 2)}:${digits.slice(2, 4)}`;
}

function offsetMinutes(offset: string): number {
  if (offset === 'Z') return 0;
  const sign = offset.startsWith('-') ? -1 : 1;
  return sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
}

function build(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number, offset: string): Instant | undefined {
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return undefined;
  const utc = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  // Date.UTC rolls 31 February over into March; a value that does not come back unchanged is not a date.
  const check = new Date(utc);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return undefined;
  return { ms: utc - offsetMinutes(offset) * 60_000, offset };
}

/**
 * `instant − duration` (ISO 8601). Years and months go by the calendar of the instant's own offset, a day
 * that does not exist in the target month becoming its last day (31 March − P1M = 28 February); weeks,
 * days and time are fixed lengths (Hà Nội has no daylight saving).
 */
export function subtractDuration(instant: Instant, duration: string): Instant {
  const m = ISO_DURATION.exec(duration);
  if (!m) throw new Error(`not an ISO 8601 duration: ${duration}`);
  const [, y, mo, w, d, h, mi, s] = m;
  const offsetMs = offsetMinutes(instant.offset) * 60_000;
  let local = instant.ms + offsetMs;
  const months = Number(y ?? 0) * 12 + Number(mo ?? 0);
  if (months > 0) {
    const date = new Date(local);
    const target = date.getUTCFullYear() * 12 + date.getUTCMonth() - months;
    const year = Math.floor(target / 12);
    const month = target - year * 12;
    const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
    date.setUTCFullYear(year, month, Math.min(date.getUTCDate(), lastDay));
    local = date.getTime();
  }
  const fixed =
    Number(w ?? 0) * 7 * 86_400_000 +
    Number(d ?? 0) * 86_400_000 +
    Number(h ?? 0) * 3_600_000 +
    Number(mi ?? 0) * 60_000 +
    Math.round(Number((s ?? '0').replace(',', '.')) * 1000);
  return { ms: local - fixed - offsetMs, offset: instant.offset };
}

/** Writes `instant` in its own offset: `2026-11-25T10:00:00+07:00` (milliseconds only when not zero). */
export function formatInstant(instant: Instant): string {
  const local = new Date(instant.ms + offsetMinutes(instant.offset) * 60_000).toISOString();
  const withoutZone = local.endsWith('.000Z') ? local.slice(0, -5) : local.slice(0, -1);
  return withoutZone + instant.offset;
}

export type BoundFormat = 'iso' | 'date' | 'fhir';

/**
 * The lower bound of a run that follows a completed one: `highWater − lookback`, written in the offset the
 * high-water value had (Hà Nội time when it had none). Null when there is no usable high-water mark.
 */
export function lowerBound(highWater: string | null, lookback: string, format: BoundFormat): string | null {
  if (highWater === null) return null;
  const hw = parseInstant(highWater);
  if (!hw) return null;
  const iso = formatInstant(subtractDuration(hw, lookback));
  switch (format) {
    case 'iso':
      return iso;
    case 'date':
      return iso.slice(0, 10);
    case 'fhir':
      return `gt${iso}`;
  }
}

/** The later of two last-modified values, compared as times; an unreadable one loses to a readable one. */
export function laterOf(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  const ia = parseInstant(a);
  const ib = parseInstant(b);
  if (!ia) return ib ? b : a;
  if (!ib) return a;
  return ib.ms > ia.ms ? b : a;
}
