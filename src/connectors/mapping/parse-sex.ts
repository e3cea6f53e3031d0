import type { Sex } from '../../domain/source-record-input.js';
import { memoize } from './memo.js';
import { ParseFailure } from './parse-failure.js';
import { describeValue } from './value-kind.js';

const LABELS: ReadonlyMap<string, Sex> = new Map([
  ['nam', 'MALE'],
  ['nữ', 'FEMALE'],
  ['nu', 'FEMALE'],
  ['1', 'MALE'],
  ['2', 'FEMALE'],
  ['m', 'MALE'],
  ['f', 'FEMALE'],
  ['male', 'MALE'],
  ['female', 'FEMALE'],
]);

const EXPECTED = 'expected Nam/Nữ, 1/2, M/F or male/female';

/** Zeros before a last digit (`01`). */
const LEADING_ZEROS = /^0+(?=\d$)/;
/**
 * A label as written → its sex, or null; labels are few, so the normalisation is memoised. A code's leading
 * zeros are dropped: an XLSX cell formatted `00` reads as the `01` Excel shows.
 */
const label = memoize((s: string): Sex | null => LABELS.get(s.trim().normalize('NFC').toLowerCase().replace(LEADING_ZEROS, '')) ?? null, 1_000);

/** `parse: sex`: `Nam`/`Nữ`/`Nu` (any case, NFC or NFD), `1`/`2` (`01`/`02`), `M`/`F`, `male`/`female` → MALE/FEMALE. */
export function parseSex(v: unknown): Sex | ParseFailure | undefined {
  if (v === undefined || v === null) return undefined;
  if (v === 1) return 'MALE';
  if (v === 2) return 'FEMALE';
  if (typeof v === 'string') {
    const sex = label(v);
    if (sex !== null) return sex;
    if (v.trim() === '') return undefined;
  }
  return new ParseFailure('INVALID_SEX', `${EXPECTED}; got ${describeValue(v)}`);
}
