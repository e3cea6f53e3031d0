/**
 * Dates written month first (`6/27/2015`): what a CSV re-saved by a spreadsheet set to English (United States)
 * holds. The hub reads every numeric date day first, as Vietnamese dates are written (there is no month-first
 * format to ask for), so such a file would have its dates refused where the day is past 12 and, worse, stored with
 * day and month swapped where it is not (QA: 56 of 60 rows refused, 4 stored a wrong birth date). A sheet's first rows
 * tell a column written so: some dates there read only month first, and (next to) none only day first. A file of
 * day-first dates with a slip or two is not one: its other dates read only day first.
 */

/** A numeric date, day and month either way, a 4-digit year, maybe a time after it. */
const NUMERIC_DATE = /^\s*(\d{1,2})([/.-])(\d{1,2})\2(\d{4})(?:[ T]\S.*)?\s*$/;

/** Dates that read only month first a column needs, at least, to be called month-first. */
export const MONTH_FIRST_AT_LEAST = 3;

/** A column whose dates read month first: how many did so only, and how many only day first. */
export interface MonthFirstColumn {
  column: string;
  monthFirst: number;
  dayFirst: number;
}

/**
 * The first column of `rows` (a sheet's first chunk) whose dates are written month first: at least
 * {@link MONTH_FIRST_AT_LEAST} read only so, and no more than one in ten of those read only day first. `reads`
 * limits the look to the columns a mapping reads (a column no one reads is none of the hub's business). Null when none.
 */
export function monthFirstColumn(rows: Iterable<Readonly<Record<string, unknown>>>, reads: (column: string) => boolean): MonthFirstColumn | null {
  const counts = new Map<string, { monthFirst: number; dayFirst: number }>();
  for (const data of rows) {
    for (const column in data) {
      const v = data[column];
      if (typeof v !== 'string' || v.length > 40) continue;
      const hit = NUMERIC_DATE.exec(v);
      if (!hit) continue;
      const first = Number(hit[1]);
      const second = Number(hit[3]);
      const onlyDayFirst = first > 12 && first <= 31 && second >= 1 && second <= 12;
      const onlyMonthFirst = second > 12 && second <= 31 && first >= 1 && first <= 12;
      if (!onlyDayFirst && !onlyMonthFirst) continue;
      let c = counts.get(column);
      if (!c) {
        if (!reads(column)) continue;
        counts.set(column, (c = { monthFirst: 0, dayFirst: 0 }));
      }
      if (onlyDayFirst) c.dayFirst++;
      else c.monthFirst++;
    }
  }
  for (const [column, c] of counts) {
    if (c.monthFirst >= MONTH_FIRST_AT_LEAST && c.dayFirst * 10 <= c.monthFirst) return { column, ...c };
  }
  return null;
}
