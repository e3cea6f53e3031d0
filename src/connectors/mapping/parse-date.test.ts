import { describe, expect, it } from 'vitest';
import { compileDateParser } from './parse-date.js';
import { compileDateTimeParser } from './parse-datetime.js';
import { ParseFailure } from './parse-failure.js';
import { IsoDate } from './parsed-values.js';

describe('parse: date', () => {
  const parse = compileDateParser();

  it.each([
    ['15/03/2015', '2015-03-15', 'DAY'],
    ['5/3/2015', '2015-03-05', 'DAY'],
    ['2015-03-15', '2015-03-15', 'DAY'],
    ['20150315', '2015-03-15', 'DAY'],
    ['03/2015', '2015-03-01', 'MONTH'],
    ['3/2015', '2015-03-01', 'MONTH'],
    ['2015', '2015-01-01', 'YEAR'],
    ['2015-03', '2015-03-01', 'MONTH'],
    ['2015-03-15T08:30:00+07:00', '2015-03-15', 'DAY'],
    ['2015-03-15T01:30:00Z', '2015-03-15', 'DAY'],
    // A dateTime is dated in Hà Nội (QA: an EHR writing UTC put a night-time vaccination on the day before).
    ['2024-01-11T20:30:00Z', '2024-01-12', 'DAY'],
    ['2025-06-30T18:00:00.000Z', '2025-07-01', 'DAY'],
    ['2024-12-31T23:59:59-05:00', '2025-01-01', 'DAY'],
    ['2024-03-01T06:59:00+07:00', '2024-03-01', 'DAY'],
    ['2024-02-29T20:00:00Z', '2024-03-01', 'DAY'],
    [' 29/02/2016 ', '2016-02-29', 'DAY'],
  ])('default formats: %j → %s (%s)', (input, iso, precision) => {
    expect(parse(input)).toEqual(new IsoDate(iso, precision as IsoDate['precision']));
  });

  it('reads an XLSX date cell by its UTC calendar date', () => {
    expect(parse(new Date(Date.UTC(2015, 2, 15)))).toEqual(new IsoDate('2015-03-15', 'DAY'));
  });

  it('reads whole numbers as a year or yyyyMMdd when those formats are allowed', () => {
    expect(parse(2015)).toEqual(new IsoDate('2015-01-01', 'YEAR'));
    expect(parse(20150315)).toEqual(new IsoDate('2015-03-15', 'DAY'));
    expect(compileDateParser(['dd/MM/yyyy'])(2015)).toBeInstanceOf(ParseFailure);
    expect(parse(2015.5)).toBeInstanceOf(ParseFailure);
  });

  it('reads 00 as an unknown day (and month) in day-month-year and yyyyMMdd dates, keeping the precision given', () => {
    expect(parse('00/00/2015')).toEqual(new IsoDate('2015-01-01', 'YEAR'));
    expect(parse('00/03/2015')).toEqual(new IsoDate('2015-03-01', 'MONTH'));
    expect(parse('0/3/2015')).toEqual(new IsoDate('2015-03-01', 'MONTH'));
    expect(parse('20150000')).toEqual(new IsoDate('2015-01-01', 'YEAR'));
    expect(parse('20150300')).toEqual(new IsoDate('2015-03-01', 'MONTH'));
    expect(parse(20150300)).toEqual(new IsoDate('2015-03-01', 'MONTH'));
    expect(compileDateParser(['dd.MM.yyyy'])('00.00.2015')).toEqual(new IsoDate('2015-01-01', 'YEAR'));
    expect(compileDateParser(['dd-MM-yyyy'])('00-07-2015')).toEqual(new IsoDate('2015-07-01', 'MONTH'));
    // Still invalid: a month outside 1–12, a 00 month with a known day, and 00 in the ISO forms.
    expect(parse('00/13/2015')).toEqual(new ParseFailure('INVALID_DATE', 'expected a calendar date; got a month outside 1–12'));
    expect(parse('15/00/2015')).toMatchObject({ message: 'expected a calendar date; got a month outside 1–12' });
    expect(parse('20151300')).toMatchObject({ code: 'INVALID_DATE' });
    expect(parse('20150015')).toMatchObject({ code: 'INVALID_DATE' });
    expect(parse('2015-00-00')).toMatchObject({ code: 'INVALID_DATE' });
    expect(parse('00/00/1850')).toMatchObject({ message: expect.stringContaining('year outside') });
  });

  it('checks the calendar', () => {
    expect(parse('31/02/2015')).toEqual(new ParseFailure('INVALID_DATE', 'expected a calendar date; got a day that month does not have'));
    expect(parse('2015-02-30T20:00:00Z')).toEqual(new ParseFailure('INVALID_DATE', 'expected a calendar date; got a day that month does not have'));
    expect(parse('29/02/2015')).toMatchObject({ code: 'INVALID_DATE' });
    expect(parse('2015-13-01')).toMatchObject({ message: 'expected a calendar date; got a month outside 1–12' });
    expect(parse('20151301')).toMatchObject({ code: 'INVALID_DATE' });
    expect(parse('00/2015')).toMatchObject({ code: 'INVALID_DATE' });
    expect(parse('01/01/1850')).toMatchObject({ message: expect.stringContaining('year outside') });
  });

  it('names the formats and the kind of the value, never the value', () => {
    const r = compileDateParser(['dd/MM/yyyy', 'yyyy'])('2015.03.15') as ParseFailure;
    expect(r).toEqual(new ParseFailure('INVALID_DATE', "expected dd/MM/yyyy, yyyy or a date cell; got text of 10 characters (digits, '.')"));
    expect(compileDateParser(['dd/MM/yyyy'])('20150315')).toEqual(
      new ParseFailure('INVALID_DATE', 'expected dd/MM/yyyy or a date cell; got 8 digits'),
    );
  });

  it('keeps to the formats named', () => {
    const dmy = compileDateParser(['dd/MM/yyyy']);
    expect(dmy('5/3/2015')).toBeInstanceOf(ParseFailure);
    expect(dmy('2015-03-05')).toBeInstanceOf(ParseFailure);
    expect(compileDateParser(['d.M.yyyy'])('5.3.2015')).toEqual(new IsoDate('2015-03-05', 'DAY'));
    expect(compileDateParser(['dd-MM-yyyy'])('05-03-2015')).toEqual(new IsoDate('2015-03-05', 'DAY'));
  });

  it('treats blank as absent and passes a parsed date through', () => {
    expect(parse('  ')).toBeUndefined();
    expect(parse(null)).toBeUndefined();
    const d = new IsoDate('2015-01-01', 'YEAR');
    expect(parse(d)).toBe(d);
  });

  it('refuses an unknown format name when compiling', () => {
    expect(() => compileDateParser(['dd/mm/yy'])).toThrow(/unknown date format/);
  });
});

describe('parse: datetime', () => {
  const parse = compileDateTimeParser();

  it.each([
    ['2026-10-31T10:05:00+07:00', '2026-10-31T10:05:00+07:00'],
    ['2026-10-31T03:05:00.123Z', '2026-10-31T03:05:00.123Z'],
    ['2026-10-31T10:05+07:00', '2026-10-31T10:05:00+07:00'],
    ['2026-10-31 10:05:09', '2026-10-31T10:05:09+07:00'],
    ['2026-10-31T10:05:00+0700', '2026-10-31T10:05:00+07:00'],
    ['31/10/2026 10:05', '2026-10-31T10:05:00+07:00'],
    ['31/10/2026', '2026-10-31T00:00:00+07:00'],
    ['2026-10-31', '2026-10-31T00:00:00+07:00'],
  ])('%j → %s', (input, out) => {
    expect(parse(input)).toBe(out);
  });

  it('reads an XLSX date-time cell as Hà Nội wall-clock time', () => {
    expect(parse(new Date(Date.UTC(2026, 9, 31, 10, 5, 0)))).toBe('2026-10-31T10:05:00+07:00');
  });

  it('refuses impossible dates and times, and dates without a day', () => {
    expect(parse('2026-02-30T10:00:00Z')).toMatchObject({ code: 'INVALID_DATETIME' });
    expect(parse('2026-10-31T24:00:00Z')).toMatchObject({ code: 'INVALID_DATETIME' });
    expect(parse('31/02/2026')).toEqual(new ParseFailure('INVALID_DATETIME', 'expected a calendar date; got a day that month does not have'));
    expect(parse('2026')).toMatchObject({ message: 'expected a full date or date-time; got a date without its day' });
    expect(parse('hôm qua')).toMatchObject({ code: 'INVALID_DATETIME', message: expect.stringContaining('got text of 7 characters') });
  });
});
