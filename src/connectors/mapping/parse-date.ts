import type { DatePrecision } from '../../domain/source-record-input.js';
import { IsoDate } from './parsed-values.js';
import { ParseFailure } from './parse-failure.js';
import { describeValue } from './value-kind.js';

/**
 * The date formats a mapping can name in `formats`. `d/M/yyyy` also takes two-digit days and months, so it
 * reads `dd/MM/yyyy` too; `fhir` is a FHIR `date` (yyyy, yyyy-MM, yyyy-MM-dd) or `dateTime` (its date in Hà Nội).
 */
export const DATE_FORMATS = [
  'dd/MM/yyyy',
  'd/M/yyyy',
  'dd-MM-yyyy',
  'd-M-yyyy',
  'dd.MM.yyyy',
  'd.M.yyyy',
  'yyyy-MM-dd',
  'yyyyMMdd',
  'MM/yyyy',
  'M/yyyy',
  'yyyy-MM',
  'yyyy',
  'fhir',
] as const;
export type DateFormat = (typeof DATE_FORMATS)[number];

/** What `parse: date` accepts when a mapping names no `formats` (besides XLSX date cells, always accepted). */
export const DEFAULT_DATE_FORMATS: readonly DateFormat[] = ['d/M/yyyy', 'yyyy-MM-dd', 'yyyyMMdd', 'M/yyyy', 'yyyy', 'fhir'];

/** Years a date may have: anything outside is a typing slip, not a date about a child or a parent. */
const MIN_YEAR = 1900;
const MAX_YEAR = 2100;

type Parts = [year: number, month: number | null, day: number | null];
interface Matcher {
  re: RegExp;
  /** Indexes of year, month, day in the match (0 when the format lacks the part). */
  y: number;
  m: number;
  d: number;
  /** Whether `00` stands for an unknown day (and month): see {@link unknownParts}. */
  zeros?: true;
}

const DMY = (sep: string, digits: string): Matcher => ({
  re: new RegExp(`^(\\d${digits})\\${sep}(\\d${digits})\\${sep}(\\d{4})$`),
  y: 3,
  m: 2,
  d: 1,
  zeros: true,
});
const MY = (digits: string): Matcher => ({ re: new RegExp(`^(\\d${digits})/(\\d{4})$`), y: 2, m: 1, d: 0 });

const MATCHERS: Record<Exclude<DateFormat, 'fhir'>, Matcher> = {
  'dd/MM/yyyy': DMY('/', '{2}'),
  'd/M/yyyy': DMY('/', '{1,2}'),
  'dd-MM-yyyy': DMY('-', '{2}'),
  'd-M-yyyy': DMY('-', '{1,2}'),
  'dd.MM.yyyy': DMY('.', '{2}'),
  'd.M.yyyy': DMY('.', '{1,2}'),
  'yyyy-MM-dd': { re: /^(\d{4})-(\d{2})-(\d{2})$/, y: 1, m: 2, d: 3 },
  yyyyMMdd: { re: /^(\d{4})(\d{2})(\d{2})$/, y: 1, m: 2, d: 3, zeros: true },
  'MM/yyyy': MY('{2}'),
  'M/yyyy': MY('{1,2}'),
  'yyyy-MM': { re: /^(\d{4})-(\d{2})$/, y: 1, m: 2, d: 0 },
  yyyy: { re: /^(\d{4})$/, y: 1, m: 0, d: 0 },
};

const FHIR: Matcher = {
  re: /^(\d{4})(?:-(\d{2})(?:-(\d{2})(T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?)?)?$/,
  y: 1,
  m: 2,
  d: 3,
};
/** The match group of a FHIR `dateTime`'s time and offset. */
const FHIR_TIME = 4;
/** Hà Nội's offset from UTC (no daylight saving). */
const HA_NOI_OFFSET_MS = 7 * 3_600_000;

/**
 * The date in Hà Nội of a FHIR `dateTime` with its time and offset (`2024-01-11T20:30:00Z` is 12 January
 * there): the calendar the hub judges dates by, where an EHR in UTC would otherwise put a night-time event on
 * the day before (QA). Undefined when the text is no instant (its fields are then checked as a date).
 */
function haNoiDateOf(text: string): Parts | undefined {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) return undefined;
  const there = new Date(ms + HA_NOI_OFFSET_MS);
  return [there.getUTCFullYear(), there.getUTCMonth() + 1, there.getUTCDate()];
}

export type DateParser = (v: unknown) => IsoDate | ParseFailure | undefined;

/**
 * Compiles `parse: date` for a list of formats (default {@link DEFAULT_DATE_FORMATS}). Accepts text in one of
 * the formats, an XLSX date cell (a `Date` whose UTC fields are the calendar date), a whole number that reads
 * as `yyyy` or `yyyyMMdd` when those formats are allowed, and an already parsed date. The precision is kept
 * (DAY, MONTH, YEAR; the ISO date has 01 for the unknown parts; `00/00/2015` and `00/03/2015` are a year and a
 * month: see {@link unknownParts}) and the calendar is checked (31/02 is refused).
 */
export function compileDateParser(formats: readonly string[] = DEFAULT_DATE_FORMATS): DateParser {
  const matchers: Matcher[] = [];
  for (const f of formats) {
    if (f === 'fhir') matchers.push(FHIR);
    else {
      const m = MATCHERS[f as Exclude<DateFormat, 'fhir'>];
      if (!m) throw new Error(`unknown date format ${JSON.stringify(f)}`);
      matchers.push(m);
    }
  }
  const yearNumbers = formats.includes('yyyy') || formats.includes('fhir');
  const compactNumbers = formats.includes('yyyyMMdd');
  const expected = `expected ${formats.join(', ')} or a date cell`;
  const fail = (v: unknown) => new ParseFailure('INVALID_DATE', `${expected}; got ${describeValue(v)}`);

  return (v) => {
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') {
      const t = v.trim();
      if (t === '') return undefined;
      for (const m of matchers) {
        const hit = m.re.exec(t);
        if (hit) {
          const parts: Parts = [
            Number(hit[m.y]),
            m.m && hit[m.m] !== undefined ? Number(hit[m.m]) : null,
            m.d && hit[m.d] !== undefined ? Number(hit[m.d]) : null,
          ];
          const written = build(m.zeros ? unknownParts(parts) : parts);
          // The date as written is checked first: Date.parse takes 30 February as 2 March.
          if (m === FHIR && hit[FHIR_TIME] !== undefined && !(written instanceof ParseFailure)) return build(haNoiDateOf(t) ?? parts);
          return written;
        }
      }
      return fail(v);
    }
    if (v instanceof IsoDate) return v;
    if (v instanceof Date) {
      if (Number.isNaN(v.getTime())) return fail(v);
      return build([v.getUTCFullYear(), v.getUTCMonth() + 1, v.getUTCDate()]);
    }
    if (typeof v === 'number' && Number.isInteger(v)) {
      if (yearNumbers && v >= 1000 && v <= 9999) return build([v, null, null]);
      if (compactNumbers && v >= 10_000_000 && v <= 99_999_999) {
        return build(unknownParts([Math.floor(v / 10_000), Math.floor(v / 100) % 100, v % 100]));
      }
    }
    return fail(v);
  };
}

/**
 * A full date written with `00` for what is not known, as Vietnamese registers do (`00/00/2015`: the year
 * only; `00/03/2015`, `20150300`: March 2015): a 00 day is an unknown day, and a 00 month with a 00 day an
 * unknown month, so the date keeps the precision given. A 00 month with a known day (`15/00/2015`) says
 * nothing sensible and stays a month outside 1–12. Only for the day-month-year forms and `yyyyMMdd`: the ISO
 * forms write a partial date by leaving parts out (`2015-03`, `2015`).
 */
function unknownParts([year, month, day]: Parts): Parts {
  if (day !== 0) return [year, month, day];
  return month === 0 ? [year, null, null] : [year, month, null];
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  if (month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) return 29;
  return MONTH_DAYS[month - 1]!;
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

function build([year, month, day]: Parts): IsoDate | ParseFailure {
  if (year < MIN_YEAR || year > MAX_YEAR) {
    return new ParseFailure('INVALID_DATE', `expected a calendar date; got a year outside ${MIN_YEAR}–${MAX_YEAR}`);
  }
  if (month !== null && (month < 1 || month > 12)) {
    return new ParseFailure('INVALID_DATE', 'expected a calendar date; got a month outside 1–12');
  }
  if (day !== null && (day < 1 || day > daysInMonth(year, month!))) {
    return new ParseFailure('INVALID_DATE', 'expected a calendar date; got a day that month does not have');
  }
  const precision: DatePrecision = day !== null ? 'DAY' : month !== null ? 'MONTH' : 'YEAR';
  return new IsoDate(`${year}-${pad2(month ?? 1)}-${pad2(day ?? 1)}`, precision);
}
