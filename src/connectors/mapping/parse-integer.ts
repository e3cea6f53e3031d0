import { ParseFailure } from './parse-failure.js';
import { describeValue } from './value-kind.js';

const INTEGER = /^[+-]?\d{1,15}$/;

/** `parse: integer`: a whole number, or text holding one (`"12"`, `" 3 "`) → number. */
export function parseInteger(v: unknown): number | ParseFailure | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') {
    return Number.isSafeInteger(v) ? v : new ParseFailure('INVALID_INTEGER', `expected a whole number; got ${describeValue(v)}`);
  }
  if (typeof v === 'string') {
    const t = v.trim();
    if (t === '') return undefined;
    if (INTEGER.test(t)) return Number(t);
  }
  return new ParseFailure('INVALID_INTEGER', `expected a whole number; got ${describeValue(v)}`);
}
