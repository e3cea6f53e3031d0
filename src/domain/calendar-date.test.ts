import { describe, expect, it } from 'vitest';
import { isIsoCalendarDate } from './calendar-date.js';

/** What the check replaces: build a Date and read it back. */
const byDate = (v: string) => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) return false;
  const d = new Date(`${v}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
};

describe('isIsoCalendarDate', () => {
  it('accepts dates that exist and refuses the rest', () => {
    expect(isIsoCalendarDate('2024-02-29')).toBe(true);
    expect(isIsoCalendarDate('2000-02-29')).toBe(true);
    expect(isIsoCalendarDate('1900-02-29')).toBe(false);
    expect(isIsoCalendarDate('2015-02-30')).toBe(false);
    expect(isIsoCalendarDate('2015-13-01')).toBe(false);
    expect(isIsoCalendarDate('2015-00-10')).toBe(false);
    expect(isIsoCalendarDate('2015-04-31')).toBe(false);
    expect(isIsoCalendarDate('2015-4-01')).toBe(false);
    expect(isIsoCalendarDate('2015/04/01')).toBe(false);
    expect(isIsoCalendarDate('２０１５-04-01')).toBe(false);
    expect(isIsoCalendarDate('2015-04-01 ')).toBe(false);
  });

  it('agrees with reading the date back through Date on every day of four centuries and on noise', () => {
    let checked = 0;
    for (let y = 1800; y <= 2200; y += 1) {
      for (let m = 0; m <= 13; m++) {
        for (let d = 0; d <= 32; d++) {
          const v = `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
          expect(isIsoCalendarDate(v), v).toBe(byDate(v));
          checked++;
        }
      }
    }
    for (const v of ['0000-01-01', '9999-12-31', '0000-02-29', 'abcd-ef-gh', '', '2024-02-2', '2024-02-290']) expect(isIsoCalendarDate(v), v).toBe(byDate(v));
    expect(checked).toBeGreaterThan(100_000);
  });
});
