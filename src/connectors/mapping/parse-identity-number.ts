import { normalizeIdentityNumber } from '../../domain/identity-number.js';
import { ParseFailure } from './parse-failure.js';
import { FlaggedValue } from './parsed-values.js';
import { describeValue } from './value-kind.js';

/**
 * A number read as a number (a spreadsheet's number cell, a JSON number) with fewer than 12 digits: a number drops
 * its leading zeros, and most numbers start with one (Hà Nội's province code is 001), so it may be another child's number.
 */
export const IDENTITY_NUMBER_FROM_NUMBER = 'IDENTITY_NUMBER_FROM_NUMBER';

/**
 * `parse: identityNumber`: spaces, dots and dashes removed, nothing else changed — a number with a wrong
 * length or digit is kept as given (reconciliation reports it). A numeric cell is taken as its digits; a
 * leading zero an export dropped is not put back, as that would be guessing, but a number of fewer than 12
 * digits so read is flagged {@link IDENTITY_NUMBER_FROM_NUMBER} (QA: `001203004567` typed as a number was stored
 * as `1203004567` without a word, and its child split in two). A cell formatted to show the zeros is read as
 * the text it shows (xlsx-rows.ts).
 */
export function parseIdentityNumber(v: unknown): string | FlaggedValue<string> | ParseFailure | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') {
    const n = normalizeIdentityNumber(v);
    return n === '' ? undefined : n;
  }
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) {
    const digits = String(v);
    if (digits.length >= 12) return digits;
    return new FlaggedValue(digits, IDENTITY_NUMBER_FROM_NUMBER, `read as a number of ${digits.length} digits, not as text: a number loses its leading zeros (a spreadsheet's number cell, a JSON number), so it may be a 12-digit number that lost its first; kept as read (have the export write it as text)`);
  }
  return new ParseFailure('INVALID_IDENTITY_NUMBER', `expected a number written as text; got ${describeValue(v)}`);
}
