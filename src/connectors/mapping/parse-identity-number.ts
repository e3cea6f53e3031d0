import { normalizeIdentityNumber } from '../../domain/identity-number.js';
import { ParseFailure } from './parse-failure.js';
import { describeValue } from './value-kind.js';

/**
 * `parse: identityNumber`: spaces, dots and dashes removed, nothing else changed — a number with a wrong
 * length or digit is kept as given (reconciliation reports it). A numeric cell is taken as its digits; a
 * leading zero an export dropped is not put back, as that would be guessing.
 */
export function parseIdentityNumber(v: unknown): string | ParseFailure | undefined {
  if (v === undefined || v === null) return undefined;
  let s: string;
  if (typeof v === 'string') s = v;
  else if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) s = String(v);
  else return new ParseFailure('INVALID_IDENTITY_NUMBER', `expected a number written as text; got ${describeValue(v)}`);
  const n = normalizeIdentityNumber(s);
  return n === '' ? undefined : n;
}
