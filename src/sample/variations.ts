/**
 * The ways a source's copy of a child differs from the truth. Each generated record lists the variations
 * applied to it, so tests and benchmarks know which differences were deliberate.
 */
import { placeToneMarks } from '../domain/vietnamese-name.js';
import { HANOI_PROVINCE_CODE, communesOfProvince } from '../reference/admin-units.js';
import type { Random } from './random.js';

export type Variation =
  /** Name sent in decomposed Unicode (harmless after normalisation). */
  | 'NFD'
  /** Tone marks in the modern style, `Hoà`/`Thuỷ` (harmless after normalisation). */
  | 'TONE_MODERN'
  /** Name in upper case (harmless after normalisation). */
  | 'UPPER_CASE'
  /** Name without diacritics, `đ` → `d`. */
  | 'NO_DIACRITICS'
  /** One-letter typo or a common Vietnamese spelling confusion (s/x, ch/tr, d/gi, i/y …). */
  | 'NAME_TYPO'
  /** Given name written first (`Hà Nguyễn Thị Thu`), so the split puts parts in the wrong fields. */
  | 'NAME_ORDER_SWAPPED'
  /** A nickname instead of the legal name (`Bé Na`). */
  | 'NICKNAME'
  /** Day and month swapped in the birth date (only when both are ≤ 12 and differ). */
  | 'DAY_MONTH_SWAPPED'
  /** Only the birth year is recorded. */
  | 'BIRTH_YEAR_ONLY'
  /** An abandoned child's estimated birth year is one year off the registered one. */
  | 'BIRTH_YEAR_ESTIMATE_OFF'
  /** The child has a personal number but this record does not carry it. */
  | 'NUMBER_MISSING'
  /** One digit of the personal number is wrong (deliberately corrupted). */
  | 'NUMBER_WRONG_DIGIT'
  /** The number is written with spaces or dots (harmless after normalisation). */
  | 'NUMBER_FORMATTED'
  /** The record's commune differs from where the child lives (moved, or registered elsewhere). */
  | 'COMMUNE_DIFFERENT'
  /** A second record for the same child in the same source. */
  | 'DUPLICATE_IN_SOURCE';

/** Removes diacritics but keeps case: `Đỗ Thị Hà` → `Do Thi Ha`. */
export function stripDiacritics(s: string): string {
  return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'D');
}

/** Modern tone placement (`Hòa` → `Hoà`); returns the input when no syllable is affected. */
export function toModernTones(s: string): string {
  return placeToneMarks(s, 'modern');
}

const CONFUSIONS: ReadonlyArray<readonly [string, string]> = [
  ['tr', 'ch'],
  ['ch', 'tr'],
  ['gi', 'd'],
  ['d', 'gi'],
  ['x', 's'],
  ['s', 'x'],
  ['l', 'n'],
  ['n', 'l'],
];
const LETTER_LIST: readonly string[] = [...'abcdeghiklmnopqrstuvxy'];

/** `replacement` (lower case) in the case style of `syllable`: `CH`, `Ch` or `ch`. */
function inCaseOf(replacement: string, syllable: string): string {
  if (syllable.length > 1 && syllable === syllable.toUpperCase()) return replacement.toUpperCase();
  if (syllable.charAt(0) !== syllable.charAt(0).toLowerCase()) return replacement.charAt(0).toUpperCase() + replacement.slice(1);
  return replacement;
}

/** One edit in one syllable of `name` (NFC): a spelling confusion at the start, or a letter substituted, dropped or swapped. */
function typoInSyllable(syllable: string, rnd: Random): string {
  const lower = syllable.toLowerCase();
  if (rnd.chance(0.4)) {
    const confusion = CONFUSIONS.find(([from]) => lower.startsWith(from));
    if (confusion) {
      const [from, to] = confusion;
      return inCaseOf(to, syllable) + syllable.slice(from.length);
    }
  }
  const chars = [...syllable];
  if (chars.length < 2) return syllable + rnd.pick(LETTER_LIST);
  // People rarely get the first letter wrong, so edits go after it: drop, swap with the next, or replace.
  const pos = rnd.int(1, chars.length - 1);
  const edit = chars.length >= 3 ? rnd.int(0, 2) : 0;
  if (edit === 1 || (edit === 2 && pos === chars.length - 1)) return chars.filter((_, i) => i !== pos).join('');
  if (edit === 2 && chars[pos] !== chars[pos + 1]) {
    [chars[pos], chars[pos + 1]] = [chars[pos + 1]!, chars[pos]!];
    return chars.join('');
  }
  const current = chars[pos]!;
  let letter = rnd.pick(LETTER_LIST);
  if (letter === current.toLowerCase()) letter = LETTER_LIST[(LETTER_LIST.indexOf(letter) + 1) % LETTER_LIST.length]!;
  chars[pos] = current === current.toLowerCase() ? letter : letter.toUpperCase();
  return chars.join('');
}

/** A typo in a middle or given syllable (the family name is left alone: it is usually copied with care). */
export function typo(fullName: string, rnd: Random): string {
  const words = fullName.split(' ');
  const from = words.length > 1 ? 1 : 0;
  const at = rnd.int(from, words.length - 1);
  words[at] = typoInSyllable(words[at]!, rnd);
  return words.join(' ');
}

/** Given name first, then family and middle: `Nguyễn Thị Thu Hà` → `Hà Nguyễn Thị Thu`. */
export function givenNameFirst(fullName: string): string {
  const words = fullName.split(' ');
  if (words.length < 2) return fullName;
  return [words[words.length - 1]!, ...words.slice(0, -1)].join(' ');
}

/** Swaps day and month of an ISO date when that gives another valid date; null otherwise. */
export function swapDayMonth(iso: string): string | null {
  const month = iso.slice(5, 7);
  const day = iso.slice(8, 10);
  if (day === month || Number(day) > 12) return null;
  return `${iso.slice(0, 4)}-${day}-${month}`;
}

/** The number with one digit replaced by a different one. */
export function corruptDigit(number: string, rnd: Random): string {
  const pos = rnd.int(0, number.length - 1);
  const old = Number(number[pos]);
  const digit = (old + rnd.int(1, 9)) % 10;
  return number.slice(0, pos) + String(digit) + number.slice(pos + 1);
}

/** The number as people write it: `001 215 012345`, `001.215.012.345`, `001215 012345`. */
export function formatNumber(number: string, rnd: Random): string {
  const style = rnd.int(0, 2);
  if (style === 0) return `${number.slice(0, 3)} ${number.slice(3, 6)} ${number.slice(6)}`;
  if (style === 1) return number.replace(/(\d{3})(?=\d)/g, '$1.');
  return `${number.slice(0, 6)} ${number.slice(6)}`;
}

let hanoiCommunes: readonly string[] | undefined;

/** Another Hà Nội commune than `communeCode`. */
export function otherHanoiCommune(communeCode: string, rnd: Random): string {
  hanoiCommunes ??= communesOfProvince(HANOI_PROVINCE_CODE).map((u) => u.communeCode);
  let code = rnd.pick(hanoiCommunes);
  while (code === communeCode) code = rnd.pick(hanoiCommunes);
  return code;
}
