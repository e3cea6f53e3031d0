import { CommuneValue, FlaggedValue, IsoDate } from './parsed-values.js';
import { ParseFailure } from './parse-failure.js';
import { describeValue } from './value-kind.js';

/** The flag of a text field read from an XLSX date cell. */
export const TEXT_FROM_DATE_CELL = 'TEXT_FROM_DATE_CELL';
const TEXT_FROM_DATE_CELL_MESSAGE = 'an XLSX date cell read as text, kept as its ISO date: Excel turns text such as 01/2022 or 12/05 '
  + 'into a date when typed, so what was written may have been other text; format the column as Text in the workbook (or read it with parse: date)';

/**
 * `parse: text` (the default): a trimmed string; numbers and booleans stringified; an XLSX date cell as its ISO
 * date (or date-time when it has a time of day), flagged {@link TEXT_FROM_DATE_CELL}: a register's book `01/2022`
 * typed into Excel became a date, and its text is not in the file (QA: stored as 2022-01-01 unflagged). Empty or
 * blank → absent. Lists and objects are refused.
 */
export function parseText(v: unknown): string | FlaggedValue<string> | ParseFailure | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') {
    const t = v.trim();
    return t === '' ? undefined : t;
  }
  // A whole number past 2^53 has lost digits on its way in (JSON `12345678901234567890` reads as …567000, a cell's 20
  // digits as Excel kept 15): as text, an id would be another record's (QA re-check). Refused, naming the kind.
  if (typeof v === 'number') {
    return Number.isFinite(v) && !(Number.isInteger(v) && !Number.isSafeInteger(v))
      ? String(v)
      : new ParseFailure('INVALID_TEXT', `expected text; got ${describeValue(v)}: the source must send it as text`);
  }
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v instanceof IsoDate) return v.iso;
  if (v instanceof CommuneValue) return v.code ?? undefined;
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) return new ParseFailure('INVALID_TEXT', `expected text; got ${describeValue(v)}`);
    const iso = v.toISOString();
    return new FlaggedValue(iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso, TEXT_FROM_DATE_CELL, TEXT_FROM_DATE_CELL_MESSAGE);
  }
  return new ParseFailure('INVALID_TEXT', `expected text; got ${describeValue(v)}`);
}
