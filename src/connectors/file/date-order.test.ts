import { describe, expect, it } from 'vitest';
import { monthFirstColumn } from './date-order.js';

const all = () => true;

describe('monthFirstColumn', () => {
  it('finds a column whose dates read only month first, with next to none only day first', () => {
    const us = [{ d: '6/27/2015' }, { d: '11/1/2022' }, { d: '1/13/2019 0:00' }, { d: '12/31/2020' }, { d: '3/4/2016' }];
    expect(monthFirstColumn(us, all)).toEqual({ column: 'd', monthFirst: 3, dayFirst: 0 });
    // Dashes and dots, as any day-first form the hub reads is also written.
    expect(monthFirstColumn([{ d: '06-27-2015' }, { d: '06.28.2015' }, { d: '6-29-2015' }], all)).toMatchObject({ column: 'd', monthFirst: 3 });
  });

  it('leaves day-first dates with a slip or two alone, and too few to tell', () => {
    const vn = [{ d: '27/06/2015' }, { d: '13/01/2019' }, { d: '06/27/2015' }, { d: '01/02/2015' }];
    expect(monthFirstColumn(vn, all)).toBeNull();
    // A slip among many day-first dates: 3 month-first against 25 day-first.
    const slips = [...Array.from({ length: 25 }, () => ({ d: '25/03/2016' })), { d: '03/25/2016' }, { d: '03/26/2016' }, { d: '03/27/2016' }];
    expect(monthFirstColumn(slips, all)).toBeNull();
    expect(monthFirstColumn([{ d: '6/27/2015' }, { d: '6/28/2015' }], all)).toBeNull();
    // Dates that read both ways say nothing.
    expect(monthFirstColumn([{ d: '01/02/2015' }, { d: '03/04/2015' }, { d: '05/06/2015' }], all)).toBeNull();
  });

  it('looks only at the columns a mapping reads, and at numeric dates only', () => {
    const rows = [{ note: '6/27/2015', d: '27/06/2015' }, { note: '6/28/2015' }, { note: '6/29/2015' }];
    expect(monthFirstColumn(rows, (c) => c === 'd')).toBeNull();
    expect(monthFirstColumn(rows, all)).toMatchObject({ column: 'note' });
    expect(monthFirstColumn([{ d: '2015-06-27' }, { d: 'June 27, 2015' }, { d: '27/2015' }], all)).toBeNull();
  });
});
