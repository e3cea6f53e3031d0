import { normalizeIdentityNumber } from '../../domain/identity-number.js';
import { isKnownIdProvinceCode } from '../../reference/id-province-codes.js';
import { ParseFailure } from './parse-failure.js';
import { FlaggedValue } from './parsed-values.js';
import { describeValue } from './value-kind.js';

/**
 * A number read as a number (a spreadsheet's number cell, a JSON number) with fewer than 12 digits: a number drops
 * its leading zeros, and most numbers start with one (Hà Nội's province code is 001), so it may be another child's number.
 */
export const IDENTITY_NUMBER_FROM_NUMBER = 'IDENTITY_NUMBER_FROM_NUMBER';

/**
 * Text of 10 or 11 digits that, with the zeros put back in front, begins with a province code: what a CSV re-saved by
 * a spreadsheet holds, which read the column as numbers and wrote them without their leading zeros (Hà Nội's
 * numbers begin 001). Kept as read: putting the zeros back would be guessing.
 */
export const IDENTITY_NUMBER_ZEROS_LOST = 'IDENTITY_NUMBER_ZEROS_LOST';

const TEN_OR_ELEVEN_DIGITS = /^\d{10,11}$/;

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
    if (n === '') return undefined;
    if (TEN_OR_ELEVEN_DIGITS.test(n) && n[0] !== '0' && isKnownIdProvinceCode(n.padStart(12, '0').slice(0, 3))) {
      return new FlaggedValue(n, IDENTITY_NUMBER_ZEROS_LOST, `${n.length} digits where a personal identification number has 12, and with the zeros put back in front it would begin with a province code: a spreadsheet may have dropped them (a CSV re-saved in Excel reads the column as numbers); kept as read (have the file written with the column as text)`);
    }
    return n;
  }
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) {
    const digits = String(v);
    if (digits.length >= 12) return digits;
    return new FlaggedValue(digits, IDENTITY_NUMBER_FROM_NUMBER, `read as a number of ${digits.length} digits, not as text: a number loses its leading zeros (a spreadsheet's number cell, a JSON number), so it may be a 12-digit number that lost its leading zeros; kept as read (have the export write it as text)`);
  }
  return new ParseFailure('INVALID_IDENTITY_NUMBER', `expected a number written as text; got ${describeValue(v)}`);
}
