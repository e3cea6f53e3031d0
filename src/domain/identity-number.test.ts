import { describe, expect, it } from 'vitest';
import {
  checkIdentityNumber,
  decodeIdentityNumber,
  makeIdentityNumber,
  normalizeIdentityNumber,
} from './identity-number.js';

const today = new Date('2026-11-01T00:00:00Z');
const codes = (number: string, ctx = {}) => checkIdentityNumber(number, { today, ...ctx }).findings.map((f) => f.code);

describe('normalizeIdentityNumber', () => {
  it('strips spaces, dots and dashes only', () => {
    expect(normalizeIdentityNumber(' 001 215.012-345 ')).toBe('001215012345');
    expect(normalizeIdentityNumber('001\u00a0215\u2013012345')).toBe('001215012345');
    expect(normalizeIdentityNumber('00121501234O')).toBe('00121501234O');
    expect(normalizeIdentityNumber('12345')).toBe('12345');
  });
});

describe('decodeIdentityNumber', () => {
  it('reads province, century, sex and year', () => {
    expect(decodeIdentityNumber('001215012345')).toEqual({ provinceCode: '001', centuryStart: 2000, sex: 'MALE', birthYear: 2015 });
    expect(decodeIdentityNumber('079309123456')).toEqual({ provinceCode: '079', centuryStart: 2000, sex: 'FEMALE', birthYear: 2009 });
    expect(decodeIdentityNumber('036188000001')).toEqual({ provinceCode: '036', centuryStart: 1900, sex: 'FEMALE', birthYear: 1988 });
    expect(decodeIdentityNumber('001 215 012 345')?.birthYear).toBe(2015);
  });

  it('returns null unless 12 digits', () => {
    expect(decodeIdentityNumber('00121501234')).toBeNull();
    expect(decodeIdentityNumber('0012150123456')).toBeNull();
    expect(decodeIdentityNumber('00121501234A')).toBeNull();
  });
});

describe('checkIdentityNumber', () => {
  it('accepts a consistent number', () => {
    expect(checkIdentityNumber('001215012345', { sex: 'MALE', birthYear: 2015, today })).toEqual({ wellFormed: true, findings: [] });
    expect(checkIdentityNumber('001315012345', { today }).wellFormed).toBe(true);
  });

  it('reports wrong length', () => {
    expect(checkIdentityNumber('0012150123', { today })).toMatchObject({ wellFormed: false });
    expect(codes('0012150123')).toEqual(['NOT_12_DIGITS']);
  });

  it('reports an unknown prefix but accepts all legacy ones', () => {
    expect(codes('003215012345')).toEqual(['UNKNOWN_PROVINCE_PREFIX']);
    expect(checkIdentityNumber('003215012345', { today }).wellFormed).toBe(false);
    expect(codes('096215012345')).toEqual([]);
    expect(codes('002215012345')).toEqual([]); // Hà Giang no longer exists as a province; its code stays valid
  });

  it('reports sex and year mismatches without changing well-formedness', () => {
    const check = checkIdentityNumber('001215012345', { sex: 'FEMALE', birthYear: 2016, today });
    expect(check.wellFormed).toBe(true);
    expect(check.findings.map((f) => f.code)).toEqual(['SEX_DIGIT_MISMATCH', 'BIRTH_YEAR_MISMATCH']);
    expect(check.findings.every((f) => !f.message.includes('001215012345'))).toBe(true);
  });

  it('does not report sex/year mismatches for abandoned children', () => {
    expect(codes('001215012345', { sex: 'FEMALE', birthYear: 2016, abandoned: true })).toEqual([]);
    expect(codes('001299012345', { abandoned: true })).toEqual(['BIRTH_YEAR_IN_FUTURE']);
  });

  it('reports a birth year in the future', () => {
    expect(codes('001227012345')).toEqual(['BIRTH_YEAR_IN_FUTURE']);
    expect(codes('001426012345')).toEqual(['BIRTH_YEAR_IN_FUTURE']);
    expect(codes('001226012345')).toEqual([]);
  });
});

describe('makeIdentityNumber', () => {
  it('builds numbers that decode back', () => {
    const n = makeIdentityNumber({ provinceCode: '001', sex: 'FEMALE', birthYear: 2012, random6: 42 });
    expect(n).toBe('001312000042');
    expect(decodeIdentityNumber(n)).toEqual({ provinceCode: '001', centuryStart: 2000, sex: 'FEMALE', birthYear: 2012 });
    expect(makeIdentityNumber({ provinceCode: '031', sex: 'MALE', birthYear: 1999, random6: '123456' })).toBe('031099123456');
  });

  it('rejects impossible parts', () => {
    expect(() => makeIdentityNumber({ provinceCode: '1', sex: 'MALE', birthYear: 2012, random6: 1 })).toThrow(RangeError);
    expect(() => makeIdentityNumber({ provinceCode: '001', sex: 'MALE', birthYear: 2012, random6: 1_000_000 })).toThrow(RangeError);
    expect(() => makeIdentityNumber({ provinceCode: '001', sex: 'MALE', birthYear: 1800, random6: 1 })).toThrow(RangeError);
  });
});
