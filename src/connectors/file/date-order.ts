/**
 * Dates written month first (`6/27/2015`): what a CSV re-saved by a spreadsheet set to English (United States)
 * holds. The hub reads every numeric date day first, as Vietnamese dates are written (there is no month-first
 * format to ask for), so such a file would have its dates refused where the day is past 12 and, worse, stored with
 * day and month swapped where it is not (QA: 56 of 60 rows refused, 4 stored a wrong birth date).
 *
 * A column's dates tell. Day first, about three dates in five have a day past 12 and read only day first; month
 * first, as many read only month first. So a column is taken as written month first when, of its numeric dates in
 * a sheet's first rows, some read only month first, next to none only day first, and those month-first ones are
 * not a few slips among many dates that read either way (QA: 3 slips among 200 dates of days 1–12 refused a good
 * file; and 1 of 3 dates of a small US export was the only sign, which a count of 3 missed).
 */

/** A numeric date, day and month either way, a 4-digit year, maybe a time after it. */
const NUMERIC_DATE = /^\s*(\d{1,2})([/.-])(\d{1,2})\2(\d{4})(?:[ T]\S.*)?\s*$/;

/**
 * The share of a column's numeric dates that must read only month first. Written month first, about 3 in 5 do;
 * slips in a day-first file are a few in a hundred.
 */
export const MONTH_FIRST_SHARE = 0.25;

/** A column whose dates read month first: how many did so only, how many only day first, of how many, and where. */
export interface MonthFirstColumn {
  column: string;
  monthFirst: number;
  dayFirst: number;
  dates: number;
  /** Where the first of those that read only month first are (`khai-sinh.csv row 3`), up to 5. */
  where: string[];
}

/** A row of a sheet's first chunk: its data, and where it is. */
export interface DatedRow {
  data: Readonly<Record<string, unknown>>;
  location?: string;
}

/**
 * The first column of `rows` (a sheet's first chunk) whose dates are written month first: at least one reads only
 * so, at least {@link MONTH_FIRST_SHARE} of its numeric dates do, and no more than one in ten of that many read only
 * day first. `reads` limits the look to the columns a mapping reads (a column no one reads is none of the hub's
 * business). Null when none.
 */
export function monthFirstColumn(rows: Iterable<DatedRow>, reads: (column: string) => boolean): MonthFirstColumn | null {
  const counts = new Map<string, MonthFirstColumn>();
  const skipped = new Set<string>();
  for (const { data, location } of rows) {
    for (const column in data) {
      const v = data[column];
      if (typeof v !== 'string' || v.length > 40) continue;
      const hit = NUMERIC_DATE.exec(v);
      if (!hit) continue;
      let c = counts.get(column);
      if (!c) {
        if (skipped.has(column)) continue;
        if (!reads(column)) {
          skipped.add(column);
          continue;
        }
        counts.set(column, (c = { column, monthFirst: 0, dayFirst: 0, dates: 0, where: [] }));
      }
      c.dates++;
      const first = Number(hit[1]);
      const second = Number(hit[3]);
      if (first > 12 && first <= 31 && second >= 1 && second <= 12) c.dayFirst++;
      else if (second > 12 && second <= 31 && first >= 1 && first <= 12) {
        c.monthFirst++;
        if (location && c.where.length < 5) c.where.push(location);
      }
    }
  }
  for (const c of counts.values()) {
    if (c.monthFirst >= 1 && c.monthFirst >= MONTH_FIRST_SHARE * c.dates && c.dayFirst * 10 <= c.monthFirst) return c;
  }
  return null;
}
