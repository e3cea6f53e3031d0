import { compileDateParser, DEFAULT_DATE_FORMATS, serialDateHint } from './parse-date.js';
import { IsoDate } from './parsed-values.js';
import { ParseFailure, isParseFailure } from './parse-failure.js';
import { describeValue } from './value-kind.js';

/** The offset of Asia/Ho_Chi_Minh (no daylight saving), given to times and dates that carry no offset. */
export const HANOI_OFFSET = '+07:00';

const ISO_DATETIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/;
const DMY_TIME = /^(\d{1,2})\/(\d{1,2})\/(\d{4})[T ](\d{1,2}):(\d{2})(?::(\d{2}))?$/;
/** Already canonical: returned as given once its parts are checked. */
const CANONICAL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:Z|[+-](\d{2}):(\d{2}))$/;

export type DateTimeParser = (v: unknown) => string | ParseFailure | undefined;

/**
 * Compiles `parse: datetime`: an ISO date-time (`T` or a space, seconds and offset optional), `d/M/yyyy HH:mm[:ss]`,
 * an XLSX date-time cell (a `Date` whose UTC fields are the wall-clock time), or a full date in one of `formats`
 * (then 00:00). A time without an offset is Hà Nội time. Gives `yyyy-MM-ddTHH:mm:ss[.f](Z|±HH:MM)`.
 */
export function compileDateTimeParser(formats: readonly string[] = DEFAULT_DATE_FORMATS): DateTimeParser {
  // Dates alone: a date-time this parser does not read itself is refused, not read as its date (its time lost).
  const parseDate = compileDateParser(formats, { times: false });
  const expected = `expected an ISO date-time, d/M/yyyy HH:mm, a date (${formats.join(', ')}) or a date cell`;
  const fail = (v: unknown, why?: string) => new ParseFailure('INVALID_DATETIME', why ?? `${expected}; got ${describeValue(v)}${serialDateHint(v)}`);

  return (v) => {
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') {
      const t = v.trim();
      if (t === '') return undefined;
      let hit = CANONICAL.exec(t);
      if (hit && validCanonical(hit)) return t;
      hit = ISO_DATETIME.exec(t);
      if (hit) {
        const offset = hit[8] === undefined ? HANOI_OFFSET : hit[8] === 'Z' ? 'Z' : normalOffset(hit[8]);
        return assemble(+hit[1]!, +hit[2]!, +hit[3]!, +hit[4]!, +hit[5]!, hit[6] === undefined ? 0 : +hit[6], hit[7] ?? '', offset);
      }
      hit = DMY_TIME.exec(t);
      if (hit) return assemble(+hit[3]!, +hit[2]!, +hit[1]!, +hit[4]!, +hit[5]!, hit[6] === undefined ? 0 : +hit[6], '', HANOI_OFFSET);
    }
    if (v instanceof Date) {
      if (Number.isNaN(v.getTime())) return fail(v);
      const ms = v.getUTCMilliseconds();
      return assemble(
        v.getUTCFullYear(),
        v.getUTCMonth() + 1,
        v.getUTCDate(),
        v.getUTCHours(),
        v.getUTCMinutes(),
        v.getUTCSeconds(),
        ms ? `.${String(ms).padStart(3, '0')}` : '',
        HANOI_OFFSET,
      );
    }
    const date = v instanceof IsoDate ? v : parseDate(v);
    if (date === undefined) return undefined;
    if (isParseFailure(date)) {
      // A calendar slip (31/02) keeps its precise reason; anything else gets the date-time expectation.
      return date.message.startsWith('expected a calendar') ? new ParseFailure('INVALID_DATETIME', date.message) : fail(v);
    }
    if (date.precision !== 'DAY') return fail(v, 'expected a full date or date-time; got a date without its day');
    return `${date.iso}T00:00:00${HANOI_OFFSET}`;
  };
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

function normalOffset(o: string): string {
  return o.length === 5 ? `${o.slice(0, 3)}:${o.slice(3)}` : o;
}

function validCanonical(hit: RegExpExecArray): boolean {
  return (
    validDate(+hit[1]!, +hit[2]!, +hit[3]!) &&
    +hit[4]! < 24 &&
    +hit[5]! < 60 &&
    +hit[6]! < 60 &&
    (hit[7] === undefined || (+hit[7] <= 14 && +hit[8]! < 60))
  );
}

function validOffset(t: string): boolean {
  if (t.endsWith('Z')) return true;
  const o = t.slice(-6);
  return +o.slice(1, 3) <= 14 && +o.slice(4, 6) < 60;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function validDate(y: number, mo: number, d: number): boolean {
  if (y < 1900 || y > 2100 || mo < 1 || mo > 12 || d < 1) return false;
  const leap = mo === 2 && y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  return d <= MONTH_DAYS[mo - 1]! + (leap ? 1 : 0);
}

function assemble(y: number, mo: number, d: number, h: number, mi: number, s: number, fraction: string, offset: string): string | ParseFailure {
  if (!validDate(y, mo, d)) return new ParseFailure('INVALID_DATETIME', 'expected a calendar date-time; got a date that does not exist');
  if (h > 23 || mi > 59 || s > 59) return new ParseFailure('INVALID_DATETIME', 'expected a calendar date-time; got a time of day that does not exist');
  const out = `${y}-${pad2(mo)}-${pad2(d)}T${pad2(h)}:${pad2(mi)}:${pad2(s)}${fraction}${offset}`;
  if (offset !== 'Z' && !validOffset(out)) return new ParseFailure('INVALID_DATETIME', 'expected an offset from -14:00 to +14:00; got another');
  return out;
}
