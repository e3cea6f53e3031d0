import { foldName } from '../../domain/vietnamese-name.js';
import { ParseFailure } from './parse-failure.js';
import { describeValue } from './value-kind.js';

const INTEGER = /^[+-]?\d{1,15}$/;

/** A whole number followed by one or two words (a full stop after them, no space before them, allowed): `40 trẻ`, `35 cháu.`, `12 học sinh`. */
const COUNTED = /^(\d{1,15})\s*(\p{L}+(?:\s+\p{L}+)?)\.?$/u;

/**
 * The words a count of people or places is written with in the agencies' reports (`Công suất: 40 trẻ`, `Số trẻ
 * hiện có: 35 cháu`), folded (any case, with or without diacritics). The number is the count; the word says
 * only what is counted. Any other word (`40 trở lên`, `khoảng 40`, `3 tuổi`) is refused: it changes or qualifies
 * the number.
 */
const COUNT_WORDS: ReadonlySet<string> = new Set([
  'tre', 'tre em', 'chau', 'em', 'nguoi', 'hoc sinh', 'hs', 'cho', 'cho o', 'giuong', 'suat',
]);

/**
 * `parse: integer`: a whole number, or text holding one (`"12"`, `" 3 "`, `"042"`), or one followed by the word
 * for what it counts (`"40 trẻ"`) → number.
 */
export function parseInteger(v: unknown): number | ParseFailure | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') {
    return Number.isSafeInteger(v) ? v : new ParseFailure('INVALID_INTEGER', `expected a whole number; got ${describeValue(v)}`);
  }
  if (typeof v === 'string') {
    const t = v.trim();
    if (t === '') return undefined;
    if (INTEGER.test(t)) return Number(t);
    const counted = COUNTED.exec(t);
    if (counted && COUNT_WORDS.has(foldName(counted[2]!))) return Number(counted[1]);
  }
  return new ParseFailure('INVALID_INTEGER', `expected a whole number, alone or followed by what it counts (40 trẻ, 35 cháu); got ${describeValue(v)}`);
}
