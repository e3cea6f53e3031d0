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

/**
 * What `parse: date` accepts when a mapping names no `formats` (besides XLSX date cells, always accepted). The
 * day-month-year forms with `-` and `.` are as common in Vietnamese exports as `/`, and as unambiguous: the day
 * comes first, and none of them can be read as `yyyy-MM-dd`.
 */
export const DEFAULT_DATE_FORMATS: readonly DateFormat[] = ['d/M/yyyy', 'yyyy-MM-dd', 'yyyyMMdd', 'd-M-yyyy', 'd.M.yyyy', 'M/yyyy', 'yyyy', 'fhir'];

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

/**
 * FHIR's `date` and `dateTime`: a time only with its offset, hours 00–23 and a leap second allowed, as FHIR's own
 * pattern has them (QA: `T24:00`, `T25:00` and `T99:99` were read, one as the next day).
 */
const FHIR: Matcher = {
  re: /^(\d{4})(?:-(\d{2})(?:-(\d{2})(T(?:[01]\d|2[0-3]):[0-5]\d(?::(?:[0-5]\d|60)(?:\.\d{1,9})?)?(?:Z|[+-](?:(?:0\d|1[0-3]):[0-5]\d|14:00)))?)?)?$/,
  y: 1,
  m: 2,
  d: 3,
};
/** The longest text a format matches without a time (`dd/MM/yyyy`, `yyyy-MM-dd`): longer text has one, or is no date. */
const LONGEST_DATE = 10;
/**
 * A date followed by a time of day, as spreadsheet and SQL tools export a date column: `15/03/2018 00:00:00`,
 * `2018-03-15T00:00:00`, `2018-03-15 00:00:00.000`, optionally with an offset. Groups: the date, hours,
 * minutes, seconds, the offset (`Z`, `±HH:MM`, `±HHMM`, `±HH`).
 */
const DATE_AND_TIME = /^(\S+?)(?:T| +)(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d{1,9})?)?(?: ?(Z|[+-]\d{2}(?::?\d{2})?))?$/;

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
  // A leap second (`23:59:60`, which FHIR allows) is the second before: Date.parse refuses it.
  const ms = Date.parse(text.replace(/:60(?=[.Z+-])/, ':59'));
  if (Number.isNaN(ms)) return undefined;
  const there = new Date(ms + HA_NOI_OFFSET_MS);
  return [there.getUTCFullYear(), there.getUTCMonth() + 1, there.getUTCDate()];
}

export type DateParser = (v: unknown) => IsoDate | ParseFailure | undefined;

export interface DateParserOptions {
  /**
   * Whether a date followed by a time of day is read as that date (see {@link compileDateParser}). `parse:
   * datetime` turns it off: it reads the times it knows itself and must not lose one by reading it as a date.
   * @defaultValue true
   */
  times?: boolean;
}

/**
 * Compiles `parse: date` for a list of formats (default {@link DEFAULT_DATE_FORMATS}). Accepts text in one of
 * the formats, an XLSX date cell (a `Date` whose UTC fields are the calendar date), a whole number that reads
 * as `yyyy` or `yyyyMMdd` when those formats are allowed, and an already parsed date. The precision is kept
 * (DAY, MONTH, YEAR; the ISO date has 01 for the unknown parts; `00/00/2015` and `00/03/2015` are a year and a
 * month: see {@link unknownParts}) and the calendar is checked (31/02 is refused).
 *
 * A full date in one of the formats followed by a time of day (a space or `T` between: `15/03/2018 00:00:00`,
 * `2018-03-15T00:00:00.000`, as spreadsheet and SQL tools export a date column) is that date: a time without an
 * offset is the source's wall-clock time, so the day written is the day (`15/03/2018 14:30` is 15 March). A time
 * with an offset is an instant, and the date is its day in Hà Nội, the calendar the hub judges dates by
 * (`2018-03-14 17:00:00Z` and `2018-03-14T17:00:00Z` are 15 March), as the `fhir` format reads a FHIR
 * `dateTime`. A time that does not exist (`24:00`, `10:60`) and a time after a month or a year are refused.
 */
export function compileDateParser(formats: readonly string[] = DEFAULT_DATE_FORMATS, options: DateParserOptions = {}): DateParser {
  const matchers: Matcher[] = [];
  for (const f of formats) {
    if (f === 'fhir') matchers.push(FHIR);
    else {
      const m = MATCHERS[f as Exclude<DateFormat, 'fhir'>];
      if (!m) throw new Error(`unknown date format ${JSON.stringify(f)}`);
      matchers.push(m);
    }
  }
  const fhir = matchers.includes(FHIR);
  const times = options.times !== false;
  const yearNumbers = formats.includes('yyyy') || fhir;
  const compactNumbers = formats.includes('yyyyMMdd');
  // The refusal names the formats tried and where they come from, so the engineer knows what to change.
  const tried = formats === DEFAULT_DATE_FORMATS ? 'the default: a mapping names others with `formats`' : "the mapping's `formats`";
  const expected = `expected a date in one of the formats tried, ${formats.join(', ')} (${tried})${times ? ', optionally followed by a time,' : ''} or a date cell`;
  const fail = (v: unknown) => new ParseFailure('INVALID_DATE', `${expected}; got ${describeValue(v)}${serialDateHint(v)}`);

  /** Text in one of the formats: the date, a failure of the calendar, or undefined when no format matches. */
  const read = (t: string): IsoDate | ParseFailure | undefined => {
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
    return undefined;
  };

  /** Text longer than a date: a FHIR `dateTime`, or a date in one of the formats followed by a time of day. */
  const readWithTime = (t: string): IsoDate | ParseFailure | undefined => {
    if (fhir) {
      const whole = read(t);
      if (whole !== undefined) return whole;
    }
    if (!times) return undefined;
    const hit = DATE_AND_TIME.exec(t);
    if (!hit) return undefined;
    const date = read(hit[1]!);
    if (date === undefined || date instanceof ParseFailure) return date;
    if (date.precision !== 'DAY') return new ParseFailure('INVALID_DATE', 'expected a date; got a time of day after a date without its day');
    const hours = Number(hit[2]);
    const minutes = Number(hit[3]);
    if (hours > 23 || minutes > 59 || (hit[4] !== undefined && Number(hit[4]) > 59)) {
      return new ParseFailure('INVALID_DATE', 'expected a date, or a date and a time of day; got a time of day that does not exist');
    }
    if (hit[5] === undefined) return date;
    // With an offset it is an instant: its day in Hà Nội, as a FHIR dateTime's (QA: the same instant written with a
    // `T` was read so and with a space refused).
    return build(haNoiDayOf(date.iso, hours, minutes, hit[5]));
  };

  return (v) => {
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') {
      const t = v.trim();
      if (t === '') return undefined;
      // The common case (a date alone) is decided by the formats' own patterns, as before times were read.
      return (t.length <= LONGEST_DATE ? read(t) : readWithTime(t)) ?? fail(v);
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

/** Whether a time of day `hours:minutes` at `offset` (`Z`, `±HH:MM`, `±HHMM`, `±HH`) is on the same day in Hà Nội. */
function haNoiDayOf(iso: string, hours: number, minutes: number, offset: string): Parts {
  let offsetMinutes = 0;
  if (offset !== 'Z') {
    const sign = offset[0] === '-' ? -1 : 1;
    const digits = offset.slice(1).replace(':', '');
    offsetMinutes = sign * (Number(digits.slice(0, 2)) * 60 + (digits.length > 2 ? Number(digits.slice(2, 4)) : 0));
  }
  const [y, m, d] = iso.split('-').map(Number) as [number, number, number];
  const there = new Date(Date.UTC(y, m - 1, d, hours, minutes) - offsetMinutes * 60_000 + HA_NOI_OFFSET_MS);
  return [there.getUTCFullYear(), there.getUTCMonth() + 1, there.getUTCDate()];
}

/**
 * Numbers a spreadsheet's date reads as when its cell lost its date format (days since 1900: 10,000 is 1927, 73,050
 * the end of 2099): a refusal of one says so, and how to mend the workbook (QA: 44688 was refused as "a whole
 * number", leaving the engineer to guess).
 */
const SERIAL_FROM = 10_000;
const SERIAL_TO = 73_051;

/** What a refusal of `v` adds when `v` is a number a spreadsheet's date reads as once its cell lost its date format. */
export function serialDateHint(v: unknown): string {
  return typeof v === 'number' && v >= SERIAL_FROM && v < SERIAL_TO
    ? ', which is how a spreadsheet\'s date reads when its cell has lost its date format (a count of days since 1900): give the column a date format in the workbook'
    : '';
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
