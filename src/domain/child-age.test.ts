import { describe, expect, it } from 'vitest';
import { childhoodEndedOn, hanoiDate, sixteenthBirthday } from './child-age.js';

describe('sixteenthBirthday', () => {
  it('is the 16th birthday for a day-precise birth date (29 February: 1 March when that year has none)', () => {
    expect(sixteenthBirthday('2010-12-03', 'DAY')).toBe('2026-12-03');
    expect(sixteenthBirthday('2010-12-03', null)).toBe('2026-12-03');
    expect(sixteenthBirthday('2012-02-29', 'DAY')).toBe('2028-02-29');
    expect(sixteenthBirthday('2084-02-29', 'DAY')).toBe('2100-03-01');
  });

  it('is the last day of the birth month for a month-precise date, and 31 December for a year-precise one', () => {
    expect(sixteenthBirthday('2010-11-01', 'MONTH')).toBe('2026-11-30');
    expect(sixteenthBirthday('2010-02-01', 'MONTH')).toBe('2026-02-28');
    expect(sixteenthBirthday('2012-02-01', 'MONTH')).toBe('2028-02-29');
    expect(sixteenthBirthday('2010-12-01', 'MONTH')).toBe('2026-12-31');
    expect(sixteenthBirthday('2010-01-01', 'YEAR')).toBe('2026-12-31');
  });
});

describe('childhoodEndedOn', () => {
  it('is the 16th birthday from that day on, null the day before, and null without a birth date', () => {
    expect(childhoodEndedOn('2010-12-03', 'DAY', '2026-12-02')).toBeNull();
    expect(childhoodEndedOn('2010-12-03', 'DAY', '2026-12-03')).toBe('2026-12-03');
    expect(childhoodEndedOn('2010-12-03', 'DAY', '2027-05-01')).toBe('2026-12-03');
    // Born some day of December 2010: not taken for 16 before 31 December 2026.
    expect(childhoodEndedOn('2010-12-01', 'MONTH', '2026-12-30')).toBeNull();
    expect(childhoodEndedOn('2010-12-01', 'MONTH', '2026-12-31')).toBe('2026-12-31');
    // Born some day of 2010: not before the year's end.
    expect(childhoodEndedOn('2010-01-01', 'YEAR', '2026-12-30')).toBeNull();
    expect(childhoodEndedOn('2010-01-01', 'YEAR', '2026-12-31')).toBe('2026-12-31');
    expect(childhoodEndedOn(null, null, '2099-01-01')).toBeNull();
  });
});

describe('hanoiDate', () => {
  it('is the date in Hà Nội (UTC+7): a new day starts at 17:00 UTC', () => {
    expect(hanoiDate(new Date('2026-12-02T16:59:59Z'))).toBe('2026-12-02');
    expect(hanoiDate(new Date('2026-12-02T17:00:00Z'))).toBe('2026-12-03');
  });
});
