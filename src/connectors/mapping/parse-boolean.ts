import { memoize } from './memo.js';
import { ParseFailure } from './parse-failure.js';
import { describeValue } from './value-kind.js';

const WORDS: ReadonlyMap<string, boolean> = new Map([
  ['true', true],
  ['false', false],
  ['có', true],
  ['co', true],
  ['không', false],
  ['khong', false],
  ['x', true],
  ['1', true],
  ['0', false],
  ['yes', true],
  ['no', false],
]);

/** Zeros before a last digit (`01`). */
const LEADING_ZEROS = /^0+(?=\d$)/;
/** A word as written → its value; `00`, `01` as `0`, `1` (an XLSX cell formatted `00` reads as Excel shows it). */
const word = memoize((s: string): boolean | undefined => WORDS.get(s.trim().normalize('NFC').toLowerCase().replace(LEADING_ZEROS, '')), 1_000);

const EXPECTED = 'expected true/Có/x/1 or false/Không/0';

/** `parse: boolean`: `true`/`Có`/`x`/`1` and `false`/`Không`/`0` (any case, NFC or NFD) → boolean. */
export function parseBoolean(v: unknown): boolean | ParseFailure | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v;
  if (v === 1) return true;
  if (v === 0) return false;
  if (typeof v === 'string') {
    const b = word(v);
    if (b !== undefined) return b;
    if (v.trim() === '') return undefined;
  }
  return new ParseFailure('INVALID_BOOLEAN', `${EXPECTED}; got ${describeValue(v)}`);
}
