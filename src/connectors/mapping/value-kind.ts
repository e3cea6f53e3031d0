import { CellError } from '../cell-error.js';

/**
 * Describes a value by its kind only, for problem messages: "8 digits", "text of 12 characters (letters,
 * spaces)", "a number with a fraction". Values from sources are personal data, so a message may say what a
 * value looks like but must never contain it.
 */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  switch (typeof v) {
    case 'string':
      return describeText(v.trim());
    case 'number':
      if (!Number.isFinite(v)) return 'a number that is not finite';
      // Past 2^53 a number is whole by its type, not exact: `1e308` or an 18-digit id read as a number lost digits.
      if (Number.isInteger(v)) return Number.isSafeInteger(v) ? 'a whole number' : 'a whole number too large to hold exactly (over 9,007,199,254,740,991)';
      return 'a number with a fraction';
    case 'boolean':
      return 'a boolean';
    case 'bigint':
      return 'a big integer';
    case 'object':
      if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'an invalid date cell' : 'a date cell';
      if (v instanceof CellError) return v.describe();
      return Array.isArray(v) ? 'a list' : 'an object';
    default:
      return `a ${typeof v}`;
  }
}

const DIGITS = /^\d+$/;

function describeText(s: string): string {
  const length = [...s].length;
  if (length === 0) return 'empty text';
  if (DIGITS.test(s)) return `${length} digit${length === 1 ? '' : 's'}`;
  const parts: string[] = [];
  let letters = false;
  let digits = false;
  let spaces = false;
  const symbols = new Set<string>();
  for (const ch of s) {
    if (/\p{L}|\p{M}/u.test(ch)) letters = true;
    else if (/\d/.test(ch)) digits = true;
    else if (/\s/.test(ch)) spaces = true;
    else symbols.add(ch);
  }
  if (letters) parts.push('letters');
  if (digits) parts.push('digits');
  if (spaces) parts.push('spaces');
  // Punctuation tells an engineer which format was used ("/" vs "-") and carries no personal content; it is
  // named only when the text also has letters or digits, so that a value made only of symbols is not echoed.
  if (symbols.size > 0) {
    if ((letters || digits) && symbols.size <= 3) parts.push([...symbols].map((c) => `'${c}'`).join(' '));
    else parts.push('symbols');
  }
  return `text of ${length} character${length === 1 ? '' : 's'} (${parts.join(', ')})`;
}
