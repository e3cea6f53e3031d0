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

  it('refuses a number a date reads as when its cell lost its date format, saying so (QA)', () => {
    for (const serial of [44688, 44688.99]) {
      const failure = parse(serial) as ParseFailure;
      expect(failure.code).toBe('INVALID_DATE');
      expect(failure.message).toMatch(/, which is how a spreadsheet's date reads when its cell has lost its date format \(a count of days since 1900\): give the column a date format in the workbook$/);
    }
    // A date-time column alike (QA re-check: `sourceUpdatedAt` from the same column had no hint).
    expect((compileDateTimeParser()(44688) as ParseFailure).message).toMatch(/, which is how a spreadsheet's date reads when its cell has lost its date format/);
    // Nothing of the kind for numbers no date of 1927–2099 reads as.
    expect((parse(123) as ParseFailure).message).not.toMatch(/spreadsheet/);
    expect((parse(100_000) as ParseFailure).message).not.toMatch(/spreadsheet/);
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

  it('names the formats tried, where they come from (`formats`), and the kind of the value, never the value', () => {
    const r = compileDateParser(['dd/MM/yyyy', 'yyyy'])('2015.03.15') as ParseFailure;
    expect(r).toEqual(
      new ParseFailure(
        'INVALID_DATE',
        "expected a date in one of the formats tried, dd/MM/yyyy, yyyy (the mapping's `formats`), optionally followed by a time, or a date cell; got text of 10 characters (digits, '.')",
      ),
    );
    expect(compileDateParser(['dd/MM/yyyy'])('20150315')).toEqual(
      new ParseFailure('INVALID_DATE', "expected a date in one of the formats tried, dd/MM/yyyy (the mapping's `formats`), optionally followed by a time, or a date cell; got 8 digits"),
    );
    expect(parse('15 tháng 3 năm 2015')).toEqual(
      new ParseFailure(
        'INVALID_DATE',
        'expected a date in one of the formats tried, d/M/yyyy, yyyy-MM-dd, yyyyMMdd, d-M-yyyy, d.M.yyyy, M/yyyy, yyyy, fhir (the default: a mapping names others with `formats`), optionally followed by a time, or a date cell; got text of 19 characters (letters, digits, spaces)',
      ),
    );
  });

  it('default formats: day-month-year with - and . as well as / (QA: 15-03-2018 and 15.03.2018 were refused)', () => {
    expect(parse('15-03-2018')).toEqual(new IsoDate('2018-03-15', 'DAY'));
    expect(parse('5.3.2018')).toEqual(new IsoDate('2018-03-05', 'DAY'));
    expect(parse('00-00-2015')).toEqual(new IsoDate('2015-01-01', 'YEAR'));
    expect(parse('00.03.2015')).toEqual(new IsoDate('2015-03-01', 'MONTH'));
    // Day first, as Vietnamese dates are written: a month-first date past the 12th is no date.
    expect(parse('03-15-2018')).toMatchObject({ message: 'expected a calendar date; got a month outside 1–12' });
    expect(parse('2018.03.15')).toMatchObject({ code: 'INVALID_DATE' });
  });

  describe('a date followed by a time of day, as spreadsheet and SQL tools export a date column (QA: every row quarantined)', () => {
    it.each([
      ['15/03/2018 00:00:00', ['dd/MM/yyyy']],
      ['15/03/2018 00:00', ['dd/MM/yyyy']],
      ['15/3/2018 0:00', undefined],
      ['2018-03-15T00:00:00', undefined],
      ['2018-03-15 00:00:00', undefined],
      ['2018-03-15 00:00:00.000', undefined],
      ['2018-03-15T00:00:00.000', ['yyyy-MM-dd']],
      ['2018-03-15T00:00:00', ['fhir']],
      ['15-03-2018 00:00:00', undefined],
      ['15.03.2018 00:00:00', ['dd.MM.yyyy']],
      ['20180315 00:00:00', undefined],
      // Not midnight, no offset: the source's wall clock, so the day written is the day.
      ['15/03/2018 14:30', undefined],
      ['2018-03-15 23:59:59', undefined],
      // An offset that keeps the day in Hà Nội.
      ['2018-03-15T00:00:00+07:00', ['yyyy-MM-dd']],
      ['2018-03-15 00:00:00+0700', undefined],
      ['2018-03-15 10:00:00Z', undefined],
      // With an offset, an instant: its day in Hà Nội, however written (QA: with a space it was refused, with a T moved).
      ['2018-03-14T17:00:00Z', ['fhir']],
      ['2018-03-14T17:00:00Z', undefined],
      ['2018-03-14 17:00:00Z', undefined],
      ['2018-03-14T17:00:00Z', ['yyyy-MM-dd']],
      ['14/03/2018 20:00 +03:00', ['dd/MM/yyyy']],
      ['2018-03-15T23:59:60+07:00', undefined],
      ['2018-03-15T00:00:00+07:00', undefined],
    ])('%j (formats %j) is 15 March 2018', (input, formats) => {
      expect(compileDateParser(formats)(input)).toEqual(new IsoDate('2018-03-15', 'DAY'));
    });

    it('refuses a time that does not exist in every form, FHIR\'s too (QA: T24:00 was the next day, T25:00 and T99:99 read)', () => {
      const noSuchTime = 'expected a date, or a date and a time of day; got a time of day that does not exist';
      for (const t of ['2018-03-15T24:00:00+07:00', '2018-03-15T25:00:00+07:00', '2018-03-15T99:99:00Z', '2018-03-15 24:00:00Z', '2018-03-15T10:60:00Z', '2018-03-15T23:59:61+07:00']) {
        expect(parse(t), t).toEqual(new ParseFailure('INVALID_DATE', noSuchTime));
      }
      expect(parse('2018-03-15T23:30:00-05:00')).toEqual(new IsoDate('2018-03-16', 'DAY'));
      expect(parse('2018-03-15T00:00:00+14:00')).toEqual(new IsoDate('2018-03-14', 'DAY'));
    });

    it('refuses a time after a date without its day, an impossible time or date, and a date in no format named', () => {
      expect(parse('03/2018 00:00')).toEqual(new ParseFailure('INVALID_DATE', 'expected a date; got a time of day after a date without its day'));
      expect(parse('2018 00:00:00')).toMatchObject({ code: 'INVALID_DATE' });
      expect(parse('15/03/2018 24:00')).toEqual(new ParseFailure('INVALID_DATE', 'expected a date, or a date and a time of day; got a time of day that does not exist'));
      expect(parse('15/03/2018 10:60:00')).toMatchObject({ code: 'INVALID_DATE' });
      expect(parse('31/02/2018 00:00:00')).toEqual(new ParseFailure('INVALID_DATE', 'expected a calendar date; got a day that month does not have'));
      expect(compileDateParser(['dd/MM/yyyy'])('2018-03-15 00:00:00')).toMatchObject({ message: expect.stringContaining("dd/MM/yyyy (the mapping's `formats`)") });
      expect(parse('15/03/2018 lúc 10h')).toMatchObject({ code: 'INVALID_DATE' });
    });
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

  it('reads the new default date forms at 00:00, and never reads a date-time it does not know as its date (its time lost)', () => {
    expect(parse('31-10-2026')).toBe('2026-10-31T00:00:00+07:00');
    expect(parse('31.10.2026')).toBe('2026-10-31T00:00:00+07:00');
    expect(parse('31.10.2026 10:05')).toMatchObject({ code: 'INVALID_DATETIME' });
    expect(parse('20261031 10:05:00')).toMatchObject({ code: 'INVALID_DATETIME' });
  });

  it('refuses impossible dates and times, and dates without a day', () => {
    expect(parse('2026-02-30T10:00:00Z')).toMatchObject({ code: 'INVALID_DATETIME' });
    expect(parse('2026-10-31T24:00:00Z')).toMatchObject({ code: 'INVALID_DATETIME' });
    expect(parse('31/02/2026')).toEqual(new ParseFailure('INVALID_DATETIME', 'expected a calendar date; got a day that month does not have'));
    expect(parse('2026')).toMatchObject({ message: 'expected a full date or date-time; got a date without its day' });
    expect(parse('hôm qua')).toMatchObject({ code: 'INVALID_DATETIME', message: expect.stringContaining('got text of 7 characters') });
  });
});
