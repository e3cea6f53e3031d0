import { describe, expect, it } from 'vitest';
import { monthFirstColumn, type DatedRow } from './date-order.js';

const all = () => true;
/** Rows of one column `d` (or the data given), at rows 2, 3, … of `f.csv`. */
const rows = (values: Array<string | Record<string, string>>): DatedRow[] =>
  values.map((v, i) => ({ data: typeof v === 'string' ? { d: v } : v, location: `f.csv row ${i + 2}` }));

describe('monthFirstColumn', () => {
  it('finds a column whose dates read only month first, with next to none only day first', () => {
    const us = rows(['6/27/2015', '11/1/2022', '1/13/2019 0:00', '12/31/2020', '3/4/2016']);
    expect(monthFirstColumn(us, all)).toEqual({ column: 'd', monthFirst: 3, dayFirst: 0, dates: 5, where: ['f.csv row 2', 'f.csv row 4', 'f.csv row 5'] });
    // Dashes and dots, as any day-first form the hub reads is also written.
    expect(monthFirstColumn(rows(['06-27-2015', '06.28.2015', '6-29-2015']), all)).toMatchObject({ column: 'd', monthFirst: 3 });
  });

  it('takes a small export whose one telling date reads only month first (QA: 2 of 3 stored swapped)', () => {
    expect(monthFirstColumn(rows(['3/4/2016', '1/2/2016', '4/25/2016']), all)).toMatchObject({ monthFirst: 1, dates: 3, where: ['f.csv row 4'] });
    expect(monthFirstColumn(rows(['4/25/2016']), all)).toMatchObject({ monthFirst: 1, dates: 1 });
  });

  it('leaves day-first dates with a slip or a few alone, and dates that read both ways', () => {
    expect(monthFirstColumn(rows(['27/06/2015', '13/01/2019', '06/27/2015', '01/02/2015']), all)).toBeNull();
    // A few slips among many day-first dates: 3 month-first against 25 day-first.
    expect(monthFirstColumn(rows([...Array<string>(25).fill('25/03/2016'), '03/25/2016', '03/26/2016', '03/27/2016']), all)).toBeNull();
    // A few slips among many dates whose day is 12 or less (QA: 3 among 200 refused the file).
    expect(monthFirstColumn(rows([...Array<string>(200).fill('05/03/2016'), '03/25/2016', '03/26/2016', '03/27/2016']), all)).toBeNull();
    expect(monthFirstColumn(rows(['01/02/2015', '03/04/2015', '05/06/2015']), all)).toBeNull();
  });

  it('looks only at the columns a mapping reads, and at numeric dates only', () => {
    const both = rows([{ note: '6/27/2015', d: '27/06/2015' }, { note: '6/28/2015' }, { note: '6/29/2015' }]);
    expect(monthFirstColumn(both, (c) => c === 'd')).toBeNull();
    expect(monthFirstColumn(both, all)).toMatchObject({ column: 'note' });
    expect(monthFirstColumn(rows(['2015-06-27', 'June 27, 2015', '27/2015']), all)).toBeNull();
  });
});
